"""CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE: held commands wait in
their client's queue (counted in INFO blocked_clients, as Redis counts them)
and run in order when the pause ends; reads go on under WRITE; keys neither
expire nor are evicted while paused; errors as Redis's."""
import time

import pytest

from conftest import call, raises_reply, wait_until, wait_past, server_ms

LONG_MS = "60000"  # long enough never to end by itself during a test


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


def wait_blocked(r, count):
    wait_until(lambda: blocked_clients(r) == count, timeout=5, message=f"{count} blocked clients")


@pytest.fixture
def admin(server, r):
    """A separate connection that pauses and unpauses; the pause never outlives a test."""
    c = server.client()
    yield c
    call(c, "CLIENT", "UNPAUSE")
    c.close()


def test_errors(r):
    with raises_reply("ERR CLIENT PAUSE mode must be WRITE or ALL"):
        call(r, "CLIENT", "PAUSE", "10", "READ")
    with raises_reply("ERR timeout is not an integer or out of range"):
        call(r, "CLIENT", "PAUSE", "x")
    with raises_reply("ERR timeout is negative"):
        call(r, "CLIENT", "PAUSE", "-1")
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."):
        call(r, "CLIENT", "PAUSE", "10", "WRITE", "x")
    with raises_reply("ERR wrong number of arguments for 'client|pause' command"):
        call(r, "CLIENT", "PAUSE")
    with raises_reply("ERR wrong number of arguments for 'client|unpause' command"):
        call(r, "CLIENT", "UNPAUSE", "x")
    assert call(r, "CLIENT", "UNPAUSE") == "OK"  # not paused: still OK


def test_write_pause_holds_writes_while_reads_continue(admin, r, raw):
    r.set("k", "before")
    assert call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE") == "OK"
    writer = raw()
    # a pipeline: the write is held, and so is everything behind it
    writer.send(writer.encode("SET", "k", "after") + writer.encode("GET", "k"))
    wait_blocked(r, 1)
    # other clients keep reading, and see the value from before the pause
    assert r.get("k") == "before"
    assert call(r, "PING") == "PONG"
    assert r.exists("k") == 1
    assert writer.read_available(timeout=0.1) == b""
    assert call(admin, "CLIENT", "UNPAUSE") == "OK"
    assert writer.read() == "OK"
    assert writer.read() == b"after"
    assert blocked_clients(r) == 0
    assert r.get("k") == "after"


def test_all_pause_holds_reads_too_until_it_ends(admin, r, raw):
    r.set("k", "v")
    reader = raw()
    started = time.monotonic()
    assert call(admin, "CLIENT", "PAUSE", "300", "ALL") == "OK"
    reader.send_command("GET", "k")
    # the pause ends by itself: the held GET runs then
    assert reader.read() == b"v"
    assert time.monotonic() - started >= 0.25


def test_all_pause_answers_refusals_at_once(admin, r, raw):
    c = raw()
    assert call(admin, "CLIENT", "PAUSE", "300", "ALL") == "OK"
    c.send_command("GET")
    assert c.read() == "ERR wrong number of arguments for 'get' command"
    c.send_command("NOSUCHCOMMAND")
    assert c.read().startswith("ERR unknown command 'NOSUCHCOMMAND'")


def test_write_pause_ends_by_itself(admin, r, raw):
    writer = raw()
    assert call(admin, "CLIENT", "PAUSE", "200", "WRITE") == "OK"
    writer.send_command("INCR", "counter")
    assert writer.read() == 1  # once the 200 ms are over
    assert r.get("counter") == "1"


def test_exec_is_held_when_its_queue_writes(admin, r, raw):
    tx = raw()
    assert tx.call("MULTI") == "OK"
    assert tx.call("SET", "k", "v") == "QUEUED"
    assert call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE") == "OK"
    tx.send_command("EXEC")
    wait_blocked(r, 1)
    reads = raw()
    assert reads.call("MULTI") == "OK"
    assert reads.call("GET", "k") == "QUEUED"
    assert reads.call("EXEC") == [None]  # a transaction of reads is not held
    call(admin, "CLIENT", "UNPAUSE")
    assert tx.read() == ["OK"]
    assert r.get("k") == "v"


def test_pfcount_is_held_like_a_write(admin, r, raw):
    """PFCOUNT may rewrite its key's cached count, so WRITE holds it (Redis's may_replicate)."""
    r.pfadd("hll", "a", "b")
    c = raw()
    call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE")
    c.send_command("PFCOUNT", "hll")
    wait_blocked(r, 1)
    call(admin, "CLIENT", "UNPAUSE")
    assert c.read() == 2


@pytest.mark.needs_dram_budget("the SET reply waits for a checkpoint round (writers over the budget), longer than the key's 50 ms TTL, so it expires before the pause")
def test_keys_do_not_expire_while_paused(admin, r):
    r.set("k", "v", px=50)
    deadline = server_ms(r) + 50
    call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE")
    wait_past(r, deadline)
    # expired, so it reads as missing, but it is not deleted while paused
    assert r.get("k") is None
    assert r.dbsize() == 1
    call(admin, "CLIENT", "UNPAUSE")
    assert r.get("k") is None
    assert r.dbsize() == 0


def test_a_closed_client_leaves_the_held_ones(admin, r, raw):
    first, second = raw(), raw()
    call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE")
    first.send_command("SET", "a", "1")
    second.send_command("SET", "b", "2")
    wait_blocked(r, 2)
    first.close()
    wait_blocked(r, 1)
    call(admin, "CLIENT", "UNPAUSE")
    assert second.read() == "OK"
    assert r.get("a") is None and r.get("b") == "2"


def test_held_client_shows_in_client_list(admin, r, raw):
    c = raw()
    c.call("CLIENT", "SETNAME", "held")
    call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE")
    c.send_command("SET", "x", "1")
    wait_blocked(r, 1)
    line = [l for l in call(r, "CLIENT", "LIST").splitlines() if "name=held" in l][0]
    assert "flags=b" in line
    call(admin, "CLIENT", "UNPAUSE")
    assert c.read() == "OK"


def test_client_reply_skip_applies_to_the_held_command(admin, r, raw):
    c = raw()
    call(admin, "CLIENT", "PAUSE", LONG_MS, "WRITE")
    c.send_command("CLIENT", "REPLY", "SKIP")
    c.send_command("SET", "k", "v")
    c.send_command("PING")
    wait_blocked(r, 1)
    call(admin, "CLIENT", "UNPAUSE")
    assert c.read() == "PONG"  # SET's reply skipped
    assert r.get("k") == "v"


# CLIENT REPLY and CLIENT NO-TOUCH, the other per-client controls

def test_client_reply_off_skip_on(raw, r):
    c = raw()
    c.send_command("CLIENT", "REPLY", "OFF")
    c.send_command("SET", "a", "1")
    c.send_command("CLIENT", "REPLY", "SKIP")  # while OFF: stays OFF, no reply
    c.send_command("SET", "b", "2")
    assert c.call("CLIENT", "REPLY", "ON") == "OK"
    c.send_command("CLIENT", "REPLY", "SKIP")
    c.send_command("GET", "a")  # skipped
    assert c.call("GET", "b") == b"2"
    assert c.call("CLIENT", "REPLY", "MAYBE") == "ERR syntax error"
    assert c.read_available(timeout=0.1) == b""
    assert r.get("a") == "1"


@pytest.mark.tierkv_only  # CLIENT NO-TOUCH is Redis 7.2
def test_no_touch_leaves_access_information_alone(raw, r, config_restore):
    config_restore("maxmemory-policy")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.set("k", "v")
    c = raw()
    assert c.call("CLIENT", "NO-TOUCH", "on") == "OK"
    before = c.call("OBJECT", "FREQ", "k")
    for _ in range(300):
        assert c.call("GET", "k") == b"v"
    assert c.call("OBJECT", "FREQ", "k") == before
    # TOUCH still touches, as in Redis 7.2
    for _ in range(300):
        c.call("TOUCH", "k")
    assert c.call("OBJECT", "FREQ", "k") > before
    # without NO-TOUCH, reads raise the counter
    r.set("j", "v")
    before = call(r, "OBJECT", "FREQ", "j")
    for _ in range(300):
        r.get("j")
    assert call(r, "OBJECT", "FREQ", "j") > before
