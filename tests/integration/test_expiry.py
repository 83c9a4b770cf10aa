"""Key expiry: lazy (on access) and active (background) deletion."""
import time

import pytest

from conftest import call, raises_reply, server_ms, wait_past, wait_until


def info_field(client, section, name):
    return client.info(section).get(name)


def keyspace(client, db=0):
    """INFO keyspace entry for a db as a dict, or None when the db is empty."""
    return client.info("keyspace").get(f"db{db}")


@pytest.fixture
def no_active_expire(r):
    assert call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    yield r
    call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


# --------------------------------------------------------------------------
# Lazy expiry
# --------------------------------------------------------------------------

def test_key_readable_until_expiry_then_gone(no_active_expire):
    r = no_active_expire
    at = server_ms(r) + 150
    r.execute_command("SET", "k", "v", "PXAT", at)
    assert r.get("k") == "v"
    wait_past(r, at)
    assert r.get("k") is None
    assert r.get("k") is None


def test_key_never_visible_once_server_clock_passes_expiry(no_active_expire):
    r = no_active_expire
    at = server_ms(r) + 100
    r.execute_command("SET", "k", "v", "PXAT", at)
    seen_before, checked_after = 0, 0
    deadline = time.monotonic() + 3
    while checked_after < 50 and time.monotonic() < deadline:
        with r.pipeline(transaction=False) as p:  # TIME runs before GET
            (secs, usecs), value = p.time().get("k").execute()
        now = secs * 1000 + usecs // 1000
        if now > at:
            assert value is None, f"key visible at {now} after expiry at {at}"
            checked_after += 1
        elif value == "v":
            seen_before += 1
    assert seen_before > 0 and checked_after == 50


def test_expired_key_invisible_to_every_read(no_active_expire):
    r = no_active_expire
    at = server_ms(r) + 50
    for k in ("a", "b", "c", "d", "e", "f", "g", "h"):
        r.execute_command("SET", k, "12", "PXAT", at)
    wait_past(r, at)
    assert r.exists("a") == 0
    assert r.ttl("b") == -2
    assert r.pttl("c") == -2
    assert r.mget("d", "e") == [None, None]
    assert r.strlen("f") == 0
    assert r.type("g") == "none"
    assert call(r, "OBJECT", "ENCODING", "h") is None
    assert r.keys("*") == []


def test_expired_key_counts_in_dbsize_until_accessed(no_active_expire):
    r = no_active_expire
    at = server_ms(r) + 30
    r.execute_command("SET", "k", "v", "PXAT", at)
    wait_past(r, at)
    assert r.dbsize() == 1
    before = info_field(r, "stats", "expired_keys")
    assert r.get("k") is None
    assert r.dbsize() == 0
    assert info_field(r, "stats", "expired_keys") == before + 1


def test_writes_treat_expired_key_as_missing(no_active_expire):
    r = no_active_expire
    at = server_ms(r) + 30
    r.mset({"n": "41", "s": "old", "x": "v", "y": "v", "z": "v"})
    for k in ("n", "s", "x", "y", "z"):
        r.execute_command("PEXPIREAT", k, at)
    wait_past(r, at)
    assert r.incr("n") == 1
    assert r.append("s", "new") == 3
    assert r.setnx("x", "fresh") is True
    assert r.ttl("x") == -1
    assert call(r, "SET", "y", "v2", "XX") is None
    assert r.exists("y") == 0
    with raises_reply("ERR no such key"):
        r.rename("z", "z2")


def test_setex_key_expires(r):
    r.setex("k", 1, "v")
    assert r.get("k") == "v"
    wait_until(lambda: r.get("k") is None, timeout=3, message="SETEX key to expire")


# --------------------------------------------------------------------------
# Active expiry
# --------------------------------------------------------------------------

def test_active_expiry_removes_keys_without_access(r):
    call(r, "CONFIG", "RESETSTAT")
    with r.pipeline(transaction=False) as p:
        for i in range(200):
            p.execute_command("SET", f"k{i}", "v", "PX", "20")
        p.execute()
    r.set("persistent", "v")
    wait_until(lambda: r.dbsize() == 1, timeout=5, message="active expiry to run")
    assert info_field(r, "stats", "expired_keys") == 200
    assert keyspace(r) == {"keys": 1, "expires": 0, "avg_ttl": 0}


@pytest.mark.needs_dram_budget("the SET reply waits for a checkpoint round (writers over the budget), longer than the key's 20 ms TTL")
def test_active_expiry_empties_keyspace_info(r):
    r.execute_command("SET", "k", "v", "PX", "20")
    assert keyspace(r)["expires"] == 1
    wait_until(lambda: keyspace(r) is None, timeout=5, message="db0 to vanish from INFO")


def test_debug_set_active_expire_0_stops_background_expiry(no_active_expire):
    r = no_active_expire
    with r.pipeline(transaction=False) as p:
        for i in range(50):
            p.execute_command("SET", f"k{i}", "v", "PX", "10")
        p.execute()
    time.sleep(0.3)  # several active-expire cycles (hz 10) would have run
    assert r.dbsize() == 50
    call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
    wait_until(lambda: r.dbsize() == 0, timeout=5, message="re-enabled active expiry")


def test_keyspace_info_counts_expires(r):
    r.set("a", "1")
    r.set("b", "1", ex=1000)
    r.set("c", "1", ex=1000)
    ks = keyspace(r)
    assert ks["keys"] == 3 and ks["expires"] == 2
    assert isinstance(ks["avg_ttl"], int) and ks["avg_ttl"] >= 0


# --------------------------------------------------------------------------
# Past and negative expire times delete at once
# --------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("EXPIRE", "-1"), ("EXPIRE", "-100000"), ("PEXPIRE", "-1"),
    ("EXPIREAT", "1"), ("PEXPIREAT", "0"), ("EXPIRE", "0"),
])
def test_expire_in_past_deletes_immediately(no_active_expire, args):
    r = no_active_expire
    r.set("k", "v")
    assert call(r, args[0], "k", args[1]) == 1
    assert r.dbsize() == 0


def test_set_and_getex_with_past_absolute_time_delete(r):
    r.set("a", "v")
    assert call(r, "SET", "a", "v", "PXAT", "1") == "OK"
    assert r.exists("a") == 0
    r.set("b", "v")
    assert call(r, "GETEX", "b", "EXAT", "1") == "v"
    assert r.exists("b") == 0


def test_expire_on_expired_key_returns_0(no_active_expire):
    r = no_active_expire
    at = server_ms(r) + 20
    r.execute_command("SET", "k", "v", "PXAT", at)
    wait_past(r, at)
    assert call(r, "EXPIRE", "k", "100") == 0
    assert call(r, "PERSIST", "k") == 0
    assert r.exists("k") == 0


def test_ttl_counts_down(r):
    r.execute_command("SET", "k", "v", "PX", "3000")
    first = r.pttl("k")
    wait_until(lambda: r.pttl("k") < first, timeout=2, message="PTTL to decrease")
    assert 0 < r.pttl("k") < 3000
