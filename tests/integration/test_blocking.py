"""Blocking commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP (and the sorted-set and stream
variants in their own sections), served by writes from other clients, in arrival order,
after a whole EXEC; timeouts; no blocking inside MULTI; CLIENT UNBLOCK.

A client is known to be blocked when INFO's blocked_clients says so (polled, bounded);
a reply is read with a socket timeout, never after a sleep.
"""
import pytest
import redis

from conftest import SYNTAX, WRONGTYPE, call, is_reference, raises_reply, wait_until


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
    (("BLPOP", "k", "-1e300"), "ERR timeout is negative"),
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


def test_a_timeout_too_large_for_a_long_long_is_out_of_range(r):
    # Redis 7.0 cast the milliseconds without a range check, which made them negative.
    error = "ERR timeout is negative" if is_reference() else "ERR timeout is out of range"
    for command in (("BLPOP", "k", "1e300"), ("BLMOVE", "a", "b", "LEFT", "LEFT", "1e300"),
                    ("BZMPOP", "1e300", "1", "z", "MIN")):
        with raises_reply(error):
            call(r, *command)


@pytest.mark.tierkv_only  # Redis 7.0 lets the deadline overflow and blocks for ever
@pytest.mark.parametrize("timeout", ["9223372036854775.807", "9223372036854775807"])
def test_a_timeout_of_llong_max_milliseconds_is_out_of_range(r, timeout):
    with raises_reply("ERR timeout is out of range"):
        call(r, "BLPOP", "k", timeout)


@pytest.mark.tierkv_only  # Redis 7.0 lets the deadline overflow and blocks for ever
def test_a_timeout_that_overflows_the_deadline_is_out_of_range(r):
    with raises_reply("ERR timeout is out of range"):
        call(r, "BLPOP", "k", "9223372036854775")
    with raises_reply("ERR timeout is out of range"):
        call(r, "XREAD", "BLOCK", "9223372036854775807", "STREAMS", "s", "$")


def dirty(r):
    return r.info("persistence")["rdb_changes_since_last_save"]


@pytest.mark.tierkv_only  # Redis 7.0 did not count the pop of a served blocked client
@pytest.mark.needs_dram_budget("a checkpoint round that demotion starts resets rdb_changes_since_last_save")
def test_a_served_blocked_pop_counts_as_many_changes_as_a_plain_pop(r, raw):
    r.rpush("q", "v")
    before = dirty(r)
    r.lpop("q")
    plain = dirty(r) - before
    conn = block(raw, r, "BLPOP", "q", "0")
    before = dirty(r)
    r.rpush("q", "v")
    assert conn.read() == [b"q", b"v"]
    assert dirty(r) - before == 1 + plain

    r.rpush("src", "v")
    before = dirty(r)
    r.lmove("src", "dst", "LEFT", "LEFT")
    plain = dirty(r) - before
    r.delete("dst")
    conn = block(raw, r, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
    before = dirty(r)
    r.rpush("src", "v")
    assert conn.read() == b"v"
    assert dirty(r) - before == 1 + plain


def cmdstat(r, name):
    return r.info("commandstats").get(f"cmdstat_{name}", {"calls": 0, "failed_calls": 0})


@pytest.mark.tierkv_only  # Redis 7.0 counts the run that blocks as a call as well
def test_a_blocked_command_is_counted_once_in_commandstats(r, raw):
    r.config_resetstat()
    conn = block(raw, r, "BLPOP", "q", "0")
    assert cmdstat(r, "blpop")["calls"] == 0  # not while it waits
    r.zadd("q", {"m": 1})  # a key of another type: no re-run serves it
    r.delete("q")
    r.rpush("other", "x")
    r.rpush("q", "v")
    assert conn.read() == [b"q", b"v"]
    assert cmdstat(r, "blpop")["calls"] == 1

    conn.send_command("BLPOP", "q", "0.01")
    assert conn.read() is None
    assert cmdstat(r, "blpop")["calls"] == 2

    conn.send_command("BRPOP", "q", "0")
    wait_blocked(r, 1)
    blocked_id = next(c["id"] for c in r.client_list() if "b" in c["flags"])
    assert call(r, "CLIENT", "UNBLOCK", blocked_id, "ERROR") == 1
    assert conn.read_raw() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert cmdstat(r, "brpop")["calls"] == 1
    assert cmdstat(r, "brpop")["failed_calls"] == 1


def test_a_blmove_that_feeds_a_list_serves_the_client_waiting_on_it(r, raw):
    mover = block(raw, r, "BLMOVE", "src", "mid", "RIGHT", "LEFT", "0")
    popper = block(raw, r, "BLPOP", "mid", "0", already=1)
    second_mover = block(raw, r, "BRPOPLPUSH", "mid", "dst", "0", already=2)
    pipe = r.pipeline(transaction=True)
    pipe.rpush("src", "a", "b")
    pipe.rpush("mid", "m")
    pipe.execute()
    # src is served first (it was made ready first): "b" moves to mid's head, then mid's
    # clients are served in the order they blocked.
    assert mover.read() == b"b"
    assert popper.read() == [b"mid", b"b"]
    assert second_mover.read() == b"m"
    assert r.lrange("src", 0, -1) == ["a"]
    assert r.lrange("dst", 0, -1) == ["m"]
    assert r.exists("mid") == 0


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


# --- keys that go away while clients wait --------------------------------------------

GROUP_READ = ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
# Redis 7.0 answers every such wake-up with one error; 7.2 re-runs the command, whose own
# checks answer (tierkv follows 7.2).
GONE_70 = b"-UNBLOCKED the stream key no longer exists\r\n"
NOGROUP_72 = b"-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n"
WRONGTYPE_72 = b"-" + WRONGTYPE.encode() + b"\r\n"


def stream_with_group(r):
    r.xadd("s", {"f": "v"}, id="1-0")
    r.xgroup_create("s", "g", id="$")


def swap_in_an_empty_db(r):
    r.swapdb(0, 9)


def swap_in_a_list(r):
    redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=9).rpush("s", "e")
    r.swapdb(0, 9)


def replace_by_a_set_in_a_transaction(r):
    pipe = r.pipeline(transaction=True)
    pipe.delete("s")
    pipe.sadd("s", "e")
    pipe.execute()


@pytest.mark.parametrize("remove", [
    lambda r: r.delete("s"),
    lambda r: r.unlink("s"),
    lambda r: r.flushdb(),
    lambda r: r.flushall(),
    lambda r: r.rename("s", "elsewhere"),
    lambda r: r.move("s", 9),
    swap_in_an_empty_db,
], ids=["del", "unlink", "flushdb", "flushall", "rename", "move", "swapdb"])
def test_xreadgroup_blocked_on_a_key_that_goes_away_is_answered_nogroup(r, raw, remove):
    stream_with_group(r)
    conn = block(raw, r, *GROUP_READ)
    remove(r)
    assert conn.read_raw() == (GONE_70 if is_reference() else NOGROUP_72)
    assert blocked_clients(r) == 0


@pytest.mark.parametrize("replace", [
    lambda r: r.set("s", "x"),
    replace_by_a_set_in_a_transaction,
    swap_in_a_list,
], ids=["set", "multi", "swapdb"])
def test_xreadgroup_blocked_on_a_key_that_changes_type_is_answered_wrongtype(r, raw, replace):
    stream_with_group(r)
    conn = block(raw, r, *GROUP_READ)
    replace(r)
    assert conn.read_raw() == (GONE_70 if is_reference() else WRONGTYPE_72)


def test_xreadgroup_blocked_on_a_stream_that_expires_is_answered_nogroup(r, raw):
    stream_with_group(r)
    conn = block(raw, r, *GROUP_READ)
    r.pexpire("s", 20)
    # Active expiry deletes it (no command touches the key); the read times out if not.
    assert conn.read_raw() == (GONE_70 if is_reference() else NOGROUP_72)


def test_xgroup_destroy_answers_the_blocked_xreadgroup_nogroup(r, raw):
    stream_with_group(r)
    r.config_resetstat()
    conn = block(raw, r, *GROUP_READ)
    assert r.xgroup_destroy("s", "g") == 1
    expected = (b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
                if is_reference() else NOGROUP_72)
    assert conn.read_raw() == expected
    stats = cmdstat(r, "xreadgroup")
    assert (stats["calls"], stats["failed_calls"]) == (1, 1)
    assert r.info("errorstats")["errorstat_NOGROUP"] == "count=1"


def test_xreadgroup_is_served_by_a_recreated_stream_with_its_group(r, raw):
    stream_with_group(r)
    conn = block(raw, r, *GROUP_READ)
    pipe = r.pipeline(transaction=True)
    pipe.delete("s")
    pipe.xadd("s", {"f": "new"}, id="5-0")
    pipe.xgroup_create("s", "g", id="0")
    pipe.execute()
    assert conn.read() == [[b"s", [[b"5-0", [b"f", b"new"]]]]]


@pytest.mark.parametrize("command, served_by", [
    (("BLPOP", "k", "0"), lambda r: r.rpush("k", "v")),
    (("BZPOPMIN", "k", "0"), lambda r: r.zadd("k", {"v": 1})),
    (("XREAD", "BLOCK", "0", "STREAMS", "k", "0"), lambda r: r.xadd("k", {"f": "v"}, id="1-0")),
], ids=["list", "zset", "xread"])
def test_other_waiters_keep_waiting_through_deletion_flush_swapdb_and_wrong_types(r, raw, command, served_by):
    conn = block(raw, r, *command)
    r.set("k", "a string")
    r.delete("k")
    r.flushall()
    r.swapdb(0, 9)
    r.hset("k", "f", "v")
    r.move("k", 9)
    assert blocked_clients(r) == 1
    other_db = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=9)
    other_db.delete("k")
    served_by(other_db)
    r.swapdb(0, 9)  # the key of the awaited type arrives by SWAPDB
    reply = conn.read()
    assert (reply[0][0] if command[0] == "XREAD" else reply[0]) == b"k"
    assert blocked_clients(r) == 0


def test_total_commands_processed_counts_each_command_once_as_commandstats_do(r, raw):
    """A blocked command re-run while it waits, a refused command and a queued one are
    not counted again: the total stays the sum of commandstats' calls."""
    r.xadd("s", {"f": "v"}, id="1-0")
    r.xadd("s", {"f": "v"}, id="2-0")
    r.config_resetstat()
    conn = block(raw, r, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    r.xdel("s", "1-0")  # a change that serves nothing: the XREAD waits on
    r.xtrim("s", maxlen=5)
    assert blocked_clients(r) == 1
    r.xadd("s", {"f": "new"}, id="3-0")
    assert conn.read() == [[b"s", [[b"3-0", [b"f", b"new"]]]]]
    conn.send_command("BLPOP", "q", "0.01")
    assert conn.read() is None
    assert conn.call("NOSUCHCOMMAND") is not None
    assert conn.call("MULTI") == "OK"
    assert conn.call("SET", "k", "v") == "QUEUED"
    assert conn.call("EXEC") == ["OK"]
    total = r.info("stats")["total_commands_processed"]
    calls = r.info("commandstats")  # counts the INFO above, which the total did not
    assert calls["cmdstat_xread"]["calls"] == 1
    assert total + 1 == sum(c["calls"] for c in calls.values())
