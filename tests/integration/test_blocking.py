"""Blocking commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP (and the sorted-set and stream
variants in their own sections), served by writes from other clients, in arrival order,
after a whole EXEC; timeouts; no blocking inside MULTI; CLIENT UNBLOCK.

A client is known to be blocked when INFO's blocked_clients says so (polled, bounded);
a reply is read with a socket timeout, never after a sleep.
"""
import pytest

from conftest import SYNTAX, WRONGTYPE, call, raises_reply, wait_until


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


def wait_blocked(r, count):
    wait_until(lambda: blocked_clients(r) == count, message=f"{count} blocked clients")


def block(raw, r, *command, already=0):
    """Sends a blocking command on a new connection and waits until it is blocked."""
    conn = raw()
    conn.send_command(*command)
    wait_blocked(r, already + 1)
    return conn


# --- lists --------------------------------------------------------------------------

def test_blpop_is_served_by_a_push_from_another_client(r, raw):
    conn = block(raw, r, "BLPOP", "q1", "q2", "0")
    assert r.rpush("q2", "hello") == 1
    assert conn.read() == [b"q2", b"hello"]
    assert r.exists("q2") == 0  # the served pop emptied and deleted it
    assert blocked_clients(r) == 0


def test_blpop_answers_at_once_when_a_list_has_elements(r):
    r.rpush("b", "x", "y")
    assert r.blpop(["a", "b"], 0) == ("b", "x")
    assert r.brpop(["a", "b"], 0) == ("b", "y")


def test_clients_are_served_in_the_order_they_blocked(r, raw):
    first = block(raw, r, "BLPOP", "k", "0")
    second = block(raw, r, "BLPOP", "k", "0", already=1)
    third = block(raw, r, "BLPOP", "k", "0", already=2)
    r.rpush("k", "a", "b")
    assert first.read() == [b"k", b"a"]
    assert second.read() == [b"k", b"b"]
    wait_blocked(r, 1)
    r.rpush("k", "c")
    assert third.read() == [b"k", b"c"]


def test_timeout_answers_a_null_array_and_accepts_fractions(r, raw):
    conn = raw()
    conn.send_command("BLPOP", "missing", "0.05")
    assert conn.read_raw() == b"*-1\r\n"
    assert blocked_clients(r) == 0


def test_brpoplpush_timeout_answers_a_null_array_too(raw):
    conn = raw()
    conn.send_command("BRPOPLPUSH", "missing", "dst", "0.05")
    assert conn.read_raw() == b"*-1\r\n"


def test_inside_multi_brpoplpush_answers_a_null_bulk(raw):
    conn = raw()
    assert conn.call("MULTI") == "OK"
    assert conn.call("BRPOPLPUSH", "missing", "dst", "0") == "QUEUED"
    conn.send_command("EXEC")
    assert conn.read_raw() == b"*1\r\n$-1\r\n"


def test_pushes_inside_exec_wake_the_client_after_the_whole_transaction(r, raw):
    conn = block(raw, r, "BLPOP", "k", "0")
    pipe = r.pipeline(transaction=True)
    pipe.rpush("k", "x")
    pipe.rpush("k", "y")
    pipe.llen("k")
    # Inside EXEC the list held both elements: nobody popped in the middle.
    assert pipe.execute() == [1, 2, 2]
    assert conn.read() == [b"k", b"x"]
    assert r.lrange("k", 0, -1) == ["y"]


def test_a_blocking_command_inside_multi_does_not_block(r):
    pipe = r.pipeline(transaction=True)
    pipe.blpop(["empty"], 0)
    pipe.brpoplpush("empty", "dst", 0)
    pipe.set("after", "1")
    assert pipe.execute() == [None, None, True]


def test_blmove_moves_the_element_when_served(r, raw):
    conn = block(raw, r, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    r.rpush("dst", "old")
    wait_blocked(r, 1)  # a push to the destination does not serve it
    r.rpush("src", "a", "b")
    assert conn.read() == b"b"
    assert r.lrange("src", 0, -1) == ["a"]
    assert r.lrange("dst", 0, -1) == ["b", "old"]


def test_blmpop_serves_count_elements_from_the_first_ready_key(r, raw):
    conn = block(raw, r, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
    r.rpush("b", "1", "2", "3")
    assert conn.read() == [b"b", [b"3", b"2"]]
    r.rpush("a", "x")
    assert call(r, "BLMPOP", "0", "2", "a", "b", "LEFT") == ["a", ["x"]]


def test_pipelined_commands_after_a_blocked_one_run_once_it_is_served(r, raw):
    conn = raw()
    conn.send(b"BLPOP k 0\r\nPING\r\nGET k\r\n")
    wait_blocked(r, 1)
    r.rpush("k", "v")
    assert conn.read() == [b"k", b"v"]
    assert conn.read() == "PONG"
    assert conn.read() is None


def test_a_disconnected_blocked_client_takes_nothing(r, raw):
    conn = block(raw, r, "BLPOP", "k", "0")
    conn.close()
    wait_blocked(r, 0)
    r.rpush("k", "kept")
    assert r.lrange("k", 0, -1) == ["kept"]


def test_a_key_that_gets_another_type_does_not_serve_the_client(r, raw):
    conn = block(raw, r, "BLPOP", "k", "30")
    r.set("k", "a string")
    assert blocked_clients(r) == 1
    r.delete("k")
    r.rpush("k", "v")
    assert conn.read() == [b"k", b"v"]


def test_client_unblock_ends_the_wait_with_a_timeout_or_an_error(r, raw):
    conn = block(raw, r, "BLPOP", "k", "0")
    blocked_id = next(c["id"] for c in r.client_list() if "b" in c["flags"])
    assert call(r, "CLIENT", "UNBLOCK", blocked_id) == 1
    assert conn.read_raw() == b"*-1\r\n"
    assert call(r, "CLIENT", "UNBLOCK", blocked_id) == 0
    conn.send_command("BLPOP", "k", "0")
    wait_blocked(r, 1)
    assert call(r, "CLIENT", "UNBLOCK", blocked_id, "ERROR") == 1
    assert conn.read_raw() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    with raises_reply("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"):
        call(r, "CLIENT", "UNBLOCK", blocked_id, "MAYBE")


@pytest.mark.parametrize("command, error", [
    (("BLPOP", "k", "-1"), "ERR timeout is negative"),
    (("BLPOP", "k", "abc"), "ERR timeout is not a float or out of range"),
    (("BLPOP", "k", "nan"), "ERR timeout is not a float or out of range"),
    # Redis 7.0 converts the milliseconds to a long long without a range check.
    (("BRPOP", "k", "1e300"), "ERR timeout is negative"),
    (("BLMOVE", "a", "b", "UP", "LEFT", "0"), SYNTAX),
    (("BLMPOP", "0", "0", "a", "LEFT"), "ERR numkeys should be greater than 0"),
    (("BLMPOP", "0", "x", "a", "LEFT"), "ERR numkeys should be greater than 0"),
    (("BLMPOP", "0", "3", "a", "LEFT"), SYNTAX),
    (("BLMPOP", "0", "1", "a", "UP"), SYNTAX),
    (("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"), "ERR count should be greater than 0"),
    (("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), SYNTAX),
    (("BLMPOP", "x", "1", "a", "LEFT"), "ERR timeout is not a float or out of range"),
])
def test_argument_errors(r, command, error):
    with raises_reply(error):
        call(r, *command)


def test_wrongtype_is_reported_instead_of_blocking(r):
    r.set("s", "string")
    with raises_reply(WRONGTYPE):
        call(r, "BLPOP", "missing", "s", "0")
    with raises_reply(WRONGTYPE):
        call(r, "BLMOVE", "s", "dst", "LEFT", "LEFT", "0")


# --- sorted sets --------------------------------------------------------------------

def test_bzpopmin_is_served_by_a_zadd_from_another_client(r, raw):
    conn = block(raw, r, "BZPOPMIN", "z1", "z2", "0")
    r.zadd("z2", {"b": 2, "a": 1})
    assert conn.read() == [b"z2", b"a", b"1"]
    assert r.zrange("z2", 0, -1, withscores=True) == [("b", 2.0)]


def test_bzpopmax_answers_at_once_and_times_out_with_a_null_array(r, raw):
    r.zadd("z", {"a": 1, "b": 2})
    assert call(r, "BZPOPMAX", "z", "0") == ["z", "b", "2"]
    conn = raw()
    conn.send_command("BZPOPMAX", "empty", "0.05")
    assert conn.read_raw() == b"*-1\r\n"


def test_bzmpop_serves_count_members_in_order(r, raw):
    conn = block(raw, r, "BZMPOP", "0", "2", "z1", "z2", "MAX", "COUNT", "2")
    r.zadd("z1", {"a": 1, "b": 2, "c": 3})
    assert conn.read() == [b"z1", [[b"c", b"3"], [b"b", b"2"]]]


def test_zset_waiters_are_served_in_order_and_not_by_a_list(r, raw):
    first = block(raw, r, "BZPOPMIN", "k", "0")
    second = block(raw, r, "BZPOPMIN", "k", "0", already=1)
    r.rpush("other", "x")
    r.zadd("k", {"only": 1})
    assert first.read() == [b"k", b"only", b"1"]
    assert blocked_clients(r) == 1
    r.zadd("k", {"next": 2})
    assert second.read() == [b"k", b"next", b"2"]


@pytest.mark.parametrize("command, error", [
    (("BZPOPMIN", "k", "-1"), "ERR timeout is negative"),
    (("BZMPOP", "0", "1", "k", "LEFT"), SYNTAX),
    (("BZMPOP", "0", "0", "k", "MIN"), "ERR numkeys should be greater than 0"),
    (("BZMPOP", "0", "1", "k", "MIN", "COUNT", "-1"), "ERR count should be greater than 0"),
])
def test_zset_argument_errors(r, command, error):
    with raises_reply(error):
        call(r, *command)


def test_bzpopmin_inside_multi_answers_a_null_array(r):
    pipe = r.pipeline(transaction=True)
    pipe.bzpopmin(["empty"], 0)
    assert pipe.execute() == [None]


# --- streams ------------------------------------------------------------------------

def test_xread_block_dollar_waits_for_entries_added_after_it(r, raw):
    r.xadd("s", {"f": "old"}, id="1-0")
    conn = block(raw, r, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    r.xadd("s", {"f": "new"}, id="2-0")
    assert conn.read() == [[b"s", [[b"2-0", [b"f", b"new"]]]]]


def test_xread_block_answers_at_once_with_data_and_times_out_with_a_null_array(r, raw):
    r.xadd("s", {"f": "v"}, id="1-0")
    assert call(r, "XREAD", "BLOCK", "10", "STREAMS", "s", "0") == [["s", [["1-0", ["f", "v"]]]]]
    conn = raw()
    conn.send_command("XREAD", "BLOCK", "50", "STREAMS", "s", "$")
    assert conn.read_raw() == b"*-1\r\n"


def test_xread_block_on_a_missing_stream_is_served_when_it_is_created(r, raw):
    conn = block(raw, r, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "a", "b", "0", "0")
    r.xadd("b", {"x": "1"}, id="5-1")
    assert conn.read() == [[b"b", [[b"5-1", [b"x", b"1"]]]]]


def test_xreadgroup_block_delivers_new_entries_to_one_consumer_each(r, raw):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    first = block(raw, r, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
    second = block(raw, r, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">", already=1)
    r.xadd("s", {"n": "1"}, id="1-0")
    assert first.read() == [[b"s", [[b"1-0", [b"n", b"1"]]]]]
    assert blocked_clients(r) == 1
    r.xadd("s", {"n": "2"}, id="2-0")
    assert second.read() == [[b"s", [[b"2-0", [b"n", b"2"]]]]]
    pending = r.xpending("s", "g")
    assert pending["pending"] == 2
    assert sorted((c["name"], c["pending"]) for c in pending["consumers"]) == [("c1", 1), ("c2", 1)]


def test_xread_block_inside_multi_answers_a_null_array(raw):
    conn = raw()
    assert conn.call("MULTI") == "OK"
    assert conn.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$") == "QUEUED"
    conn.send_command("EXEC")
    assert conn.read_raw() == b"*1\r\n*-1\r\n"


@pytest.mark.parametrize("command, error", [
    (("XREAD", "BLOCK", "-1", "STREAMS", "s", "$"), "ERR timeout is negative"),
    (("XREAD", "BLOCK", "1.5", "STREAMS", "s", "$"), "ERR timeout is not an integer or out of range"),
])
def test_stream_block_argument_errors(r, command, error):
    with raises_reply(error):
        call(r, *command)
