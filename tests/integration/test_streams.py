"""Streams: every stream command with its replies and Redis's exact error texts, RESP3
shapes, a consumer-group flow where a worker crashes and another claims its entries,
DUMP/RESTORE interop with a real redis-server (peer) in both directions, groups
included, and survival of SIGKILL under the journal and after a checkpoint.

Redis 7.2 behaviour that redis-server 7.0 (the reference) lacks is asserted only
against tierkv (is_reference()): XINFO's consumer active-time/inactive fields, and
XREADGROUP/XCLAIM/XAUTOCLAIM creating their consumer even when they get nothing.
"""

import pytest

from conftest import (ALWAYS, sigkill, start_server, NOT_INT, SYNTAX, WRONGTYPE, RespMap, call, is_reference,
                      raises_reply)

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
NOT_BIGGER = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
KEY_MUST_EXIST = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
                  "to use the MKSTREAM option to create an empty stream automatically.")


def fields(flat):
    """An XINFO-style flat [name, value, ...] list as a dict."""
    return dict(zip(flat[::2], flat[1::2]))


def fill(c, key, count, start=1, seq=0, **extra):
    for i in range(start, start + count):
        c.xadd(key, {"n": i, **extra}, id=f"{i}-{seq}")


def ids(entries):
    return [entry[0] for entry in entries]


def info(c, key):
    return fields(call(c, "XINFO", "STREAM", key))


# --------------------------------------------------------------------------- XADD

def test_xadd_ids_explicit_partial_and_automatic(r):
    assert call(r, "XADD", "s", "5", "a", "1") == "5-0"
    assert call(r, "XADD", "s", "5-*", "a", "2") == "5-1"
    assert call(r, "XADD", "s", "7-*", "a", "3") == "7-0"
    assert call(r, "XADD", "s", "7-9", "a", "4") == "7-9"
    generated = call(r, "XADD", "s", "*", "a", "5")
    ms, seq = (int(part) for part in generated.split("-"))
    assert ms > 1_600_000_000_000 and seq == 0
    following = call(r, "XADD", "s", "*", "a", "6")  # same ms: seq + 1; later: a later ms
    assert tuple(map(int, following.split("-"))) > (ms, seq)
    assert r.xlen("s") == 6
    assert ids(call(r, "XRANGE", "s", "-", "+"))[:4] == ["5-0", "5-1", "7-0", "7-9"]


@pytest.mark.parametrize("args,error", [
    (["s", "0-0", "a", "b"], "ERR The ID specified in XADD must be greater than 0-0"),
    (["s", "0", "a", "b"], "ERR The ID specified in XADD must be greater than 0-0"),
    (["s", "10-1", "a", "b"], NOT_BIGGER),
    (["s", "10-*", "a", "b"], None),
    (["s", "9-*", "a", "b"], NOT_BIGGER),
    (["s", "abc", "a", "b"], INVALID_ID),
    (["s", "-", "a", "b"], INVALID_ID),
    (["s", "1-2-3", "a", "b"], INVALID_ID),
    (["s", "18446744073709551616", "a", "b"], INVALID_ID),
    (["s", "11-1", "a"], "ERR wrong number of arguments for 'xadd' command"),
    (["s", "MAXLEN", "5"], "ERR wrong number of arguments for 'xadd' command"),
    (["s", "MAXLEN", "-1", "*", "a", "b"], "ERR The MAXLEN argument must be >= 0."),
    (["s", "MAXLEN", "x", "*", "a", "b"], NOT_INT),
    (["s", "MAXLEN", "5", "MINID", "1", "*", "a", "b"],
     "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
    (["s", "LIMIT", "5", "*", "a", "b"],
     "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    (["s", "MAXLEN", "5", "LIMIT", "5", "*", "a", "b"],
     "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (["s", "MAXLEN", "~", "5", "LIMIT", "-1", "*", "a", "b"], "ERR The LIMIT argument must be >= 0."),
    (["s", "MINID", "~", "x", "*", "a", "b"], INVALID_ID),
])
def test_xadd_errors(r, args, error):
    r.xadd("s", {"a": "b"}, id="10-1")
    if error is None:
        assert call(r, "XADD", *args) == "10-2"
        return
    with raises_reply(error):
        call(r, "XADD", *args)
    assert r.xlen("s") == 1


def test_xadd_on_the_last_possible_id(r):
    assert call(r, "XADD", "s", "18446744073709551615-18446744073709551615", "a", "b")
    for id_arg in ("*", "18446744073709551615-*"):
        with raises_reply("ERR The stream has exhausted the last possible ID, unable to add more items"):
            call(r, "XADD", "s", id_arg, "a", "b")


def test_xadd_nomkstream_and_wrongtype(r):
    assert call(r, "XADD", "nos", "NOMKSTREAM", "*", "a", "b") is None
    assert r.exists("nos") == 0
    r.set("str", "x")
    with raises_reply(WRONGTYPE):
        call(r, "XADD", "str", "*", "a", "b")
    with raises_reply(WRONGTYPE):
        call(r, "XLEN", "str")


def test_xadd_trimming_exact_approximate_and_limit(r):
    fill(r, "s", 250)  # nodes of 100 entries
    assert call(r, "XADD", "s", "MAXLEN", "~", "120", "251-0", "n", "x") == "251-0"
    assert r.xlen("s") == 151  # one whole node went, another would leave fewer than 120
    assert call(r, "XADD", "s", "MAXLEN", "=", "120", "252-0", "n", "x") == "252-0"
    assert r.xlen("s") == 120
    assert info(r, "s")["recorded-first-entry-id"] == "133-0"
    assert call(r, "XADD", "s", "MINID", "200", "253-0", "n", "x") == "253-0"
    assert r.xlen("s") == 54
    assert ids(call(r, "XRANGE", "s", "-", "+", "COUNT", "1")) == ["200-0"]
    fill(r, "t", 300)
    call(r, "XADD", "t", "MAXLEN", "~", "0", "LIMIT", "150", "301-0", "n", "x")
    assert r.xlen("t") == 201  # LIMIT stops before a second node


# --------------------------------------------------------------------------- XRANGE / XREVRANGE / XLEN

def test_xrange_bounds_counts_and_exclusion(r):
    r.xadd("s", {"a": "1"}, id="1-1")
    r.xadd("s", {"b": "2"}, id="1-2")
    r.xadd("s", {"a": "3", "b": "4"}, id="2-0")
    r.xadd("s", {"c": "5"}, id="3-5")
    assert call(r, "XRANGE", "s", "-", "+") == [["1-1", ["a", "1"]], ["1-2", ["b", "2"]],
                                                 ["2-0", ["a", "3", "b", "4"]], ["3-5", ["c", "5"]]]
    assert ids(call(r, "XRANGE", "s", "-", "+", "COUNT", "2")) == ["1-1", "1-2"]
    assert ids(call(r, "XRANGE", "s", "(1-1", "(3-5")) == ["1-2", "2-0"]
    assert ids(call(r, "XRANGE", "s", "1", "1")) == ["1-1", "1-2"]
    assert call(r, "XRANGE", "s", "2", "1") == []
    assert ids(call(r, "XREVRANGE", "s", "+", "-", "COUNT", "3")) == ["3-5", "2-0", "1-2"]
    assert ids(call(r, "XREVRANGE", "s", "(3-5", "(1-1")) == ["2-0", "1-2"]
    assert call(r, "XRANGE", "s", "-", "+", "COUNT", "0") is None
    assert call(r, "XRANGE", "s", "-", "+", "COUNT", "-3") is None
    assert call(r, "XRANGE", "nokey", "-", "+", "COUNT", "0") == []
    assert r.xlen("s") == 4 and r.xlen("nokey") == 0


@pytest.mark.parametrize("args,error", [
    (["(-", "+"], INVALID_ID),
    (["-", "(+"], INVALID_ID),
    (["(", "+"], INVALID_ID),
    (["x", "+"], INVALID_ID),
    (["(18446744073709551615-18446744073709551615", "+"], "ERR invalid start ID for the interval"),
    (["-", "(0-0"], "ERR invalid end ID for the interval"),
    (["-", "+", "COUNT"], SYNTAX),
    (["-", "+", "LIMIT", "1"], SYNTAX),
    (["-", "+", "COUNT", "x"], NOT_INT),
])
def test_xrange_errors(r, args, error):
    r.set("str", "x")
    with raises_reply(error):
        call(r, "XRANGE", "str", *args)  # arguments are checked before the key


# --------------------------------------------------------------------------- XDEL / XTRIM / XSETID

def test_xdel_counts_and_bookkeeping(r):
    fill(r, "s", 5)
    assert call(r, "XDEL", "s", "1-0", "1-0", "9-9") == 1
    assert call(r, "XDEL", "s", "3") == 1
    assert call(r, "XDEL", "nokey", "not-an-id") == 0  # the key is looked up first
    with raises_reply(INVALID_ID):
        call(r, "XDEL", "s", "2-0", "x")
    assert r.xlen("s") == 3  # all or nothing
    meta = info(r, "s")
    assert meta["max-deleted-entry-id"] == "3-0"
    assert meta["recorded-first-entry-id"] == "2-0"
    assert meta["entries-added"] == 5
    assert call(r, "XDEL", "s", "2-0", "4-0", "5-0") == 3
    assert r.exists("s") == 1  # an empty stream stays
    assert r.xlen("s") == 0
    meta = info(r, "s")
    assert meta["recorded-first-entry-id"] == "0-0"
    assert meta["first-entry"] is None and meta["last-entry"] is None
    with raises_reply(NOT_BIGGER):  # the last ID stays
        call(r, "XADD", "s", "5-0", "a", "b")


def test_xtrim_strategies_and_errors(r):
    fill(r, "s", 250)
    assert call(r, "XTRIM", "s", "MAXLEN", "~", "180") == 0
    assert call(r, "XTRIM", "s", "MAXLEN", "~", "120") == 100
    assert call(r, "XTRIM", "s", "MAXLEN", "100") == 50
    assert call(r, "XTRIM", "s", "MINID", "~", "230") == 50  # the node ending at 200 goes whole
    assert call(r, "XTRIM", "s", "MINID", "~", "240") == 0   # the next one holds 240
    assert call(r, "XTRIM", "s", "MINID", "230") == 29
    assert call(r, "XTRIM", "nokey", "MAXLEN", "1") == 0
    for args, error in ([("MAXLEN",), "ERR wrong number of arguments for 'xtrim' command"],
                        [("MAXLEN", "1", "foo"), SYNTAX],
                        [("NOMKSTREAM", "MAXLEN", "1"), SYNTAX],
                        [("MAXLEN", "5", "LIMIT", "10"),
                         "ERR syntax error, LIMIT cannot be used without the special ~ option"],
                        [("MAXLEN", "x"), NOT_INT]):
        with raises_reply(error):
            call(r, "XTRIM", "s", *args)


def test_xsetid(r):
    fill(r, "s", 3)
    assert call(r, "XSETID", "s", "10-0", "ENTRIESADDED", "20", "MAXDELETEDID", "5-0") == "OK"
    meta = info(r, "s")
    assert (meta["last-generated-id"], meta["entries-added"], meta["max-deleted-entry-id"]) == ("10-0", 20, "5-0")
    with raises_reply(NOT_BIGGER):
        call(r, "XADD", "s", "9-0", "a", "b")
    for args, error in ([("2-0",), "ERR The ID specified in XSETID is smaller than the target stream top item"],
                        [("11-0", "ENTRIESADDED", "1"),
                         "ERR The entries_added specified in XSETID is smaller than the target stream length"],
                        [("11-0", "ENTRIESADDED", "-1"), "ERR entries_added must be positive"],
                        [("11-0", "MAXDELETEDID", "12-0"),
                         "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"],
                        [("11-0", "FOO"), SYNTAX],
                        [("x",), INVALID_ID]):
        with raises_reply(error):
            call(r, "XSETID", "s", *args)
    with raises_reply("ERR no such key"):
        call(r, "XSETID", "nokey", "1-1")


# --------------------------------------------------------------------------- XREAD

def test_xread_keys_ids_count_and_dollar(r):
    fill(r, "a", 3)
    fill(r, "b", 2)
    assert call(r, "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "1") == [
        ["a", [["1-0", ["n", "1"]], ["2-0", ["n", "2"]]]], ["b", [["2-0", ["n", "2"]]]]]
    assert call(r, "XREAD", "STREAMS", "a", "b", "$", "$") is None
    assert call(r, "XREAD", "STREAMS", "nokey", "0") is None
    assert call(r, "XREAD", "STREAMS", "a", "3-0") is None
    # BLOCK with data available answers at once.
    assert call(r, "XREAD", "BLOCK", "0", "STREAMS", "a", "2") == [["a", [["3-0", ["n", "3"]]]]]


@pytest.mark.parametrize("args,error", [
    (["STREAMS", "a", "b", "0"],
     "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    (["STREAMS", "a", ">"],
     "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
    (["GROUP", "g", "c", "STREAMS", "a", "0"],
     "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
    (["NOACK", "STREAMS", "a", "0"],
     "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."),
    (["BLOCK", "x", "STREAMS", "a", "0"], "ERR timeout is not an integer or out of range"),
    (["BLOCK", "-1", "STREAMS", "a", "0"], "ERR timeout is negative"),
    (["COUNT", "x", "STREAMS", "a", "0"], NOT_INT),
    (["FOO", "STREAMS", "a", "0"], SYNTAX),
    (["COUNT", "1", "a", "0"], SYNTAX),
    (["STREAMS", "a", "-"], INVALID_ID),
    (["STREAMS", "str", "0"], WRONGTYPE),
])
def test_xread_errors(r, args, error):
    r.xadd("a", {"f": "v"}, id="1-0")
    r.set("str", "x")
    with raises_reply(error):
        call(r, "XREAD", *args)


# --------------------------------------------------------------------------- groups

def test_xgroup_create_setid_destroy_and_errors(r):
    fill(r, "s", 3)
    assert call(r, "XGROUP", "CREATE", "s", "g", "0") == "OK"
    assert call(r, "XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3") == "OK"
    with raises_reply("BUSYGROUP Consumer Group name already exists"):
        call(r, "XGROUP", "CREATE", "s", "g", "$")
    with raises_reply(KEY_MUST_EXIST):
        call(r, "XGROUP", "CREATE", "nokey", "g", "$")
    assert call(r, "XGROUP", "CREATE", "made", "g", "$", "MKSTREAM") == "OK"
    assert r.xlen("made") == 0
    with raises_reply("ERR value for ENTRIESREAD must be positive or -1"):
        call(r, "XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "-2")
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."):
        call(r, "XGROUP", "CREATE", "s", "g3", "0", "FOO")
    with raises_reply(INVALID_ID):
        call(r, "XGROUP", "CREATE", "s", "g3", "+")
    with raises_reply("ERR wrong number of arguments for 'xgroup|create' command"):
        call(r, "XGROUP", "CREATE", "s")
    with raises_reply("ERR unknown subcommand 'FOO'. Try XGROUP HELP."):
        call(r, "XGROUP", "FOO", "s", "g")
    groups = {g[1]: fields(g) for g in call(r, "XINFO", "GROUPS", "s")}
    assert groups["g"]["last-delivered-id"] == "0-0" and groups["g"]["lag"] == 3
    assert groups["g2"]["last-delivered-id"] == "3-0" and groups["g2"]["entries-read"] == 3
    assert call(r, "XGROUP", "SETID", "s", "g", "2-0", "ENTRIESREAD", "2") == "OK"
    assert fields(call(r, "XINFO", "GROUPS", "s")[0])["lag"] == 1
    assert call(r, "XGROUP", "SETID", "s", "g", "$") == "OK"
    with raises_reply("NOGROUP No such consumer group 'nog' for key name 's'"):
        call(r, "XGROUP", "SETID", "s", "nog", "0")
    assert call(r, "XGROUP", "DESTROY", "s", "g2") == 1
    assert call(r, "XGROUP", "DESTROY", "s", "g2") == 0
    assert len(call(r, "XGROUP", "HELP")) == 17
    r.set("str", "x")
    with raises_reply(WRONGTYPE):
        call(r, "XGROUP", "CREATE", "str", "g", "$", "MKSTREAM")


def test_the_journal_form_of_xgroup_is_not_a_command(r):
    """Consumer-group changes are journaled as TIERKV.XGROUP effects, which only the
    engine's effect applier reads: clients never see the name."""
    r.xadd("s", {"f": "v"}, id="1-1")
    assert "tierkv.xgroup" not in call(r, "COMMAND", "LIST")
    assert call(r, "COMMAND", "INFO", "tierkv.xgroup") == [None]
    commands = call(r, "COMMAND")
    assert "tierkv.xgroup" not in [command[0] for command in commands]
    assert call(r, "COMMAND", "COUNT") == len(commands)
    with raises_reply("ERR unknown command 'TIERKV.XGROUP', with args beginning with: 's' 'CREATE' 'g' '0' "):
        call(r, "TIERKV.XGROUP", "s", "CREATE", "g", "0")
    assert r.xinfo_groups("s") == []


def test_consumers_create_and_delete(r):
    fill(r, "s", 4)
    r.xgroup_create("s", "g", id="0")
    assert call(r, "XGROUP", "CREATECONSUMER", "s", "g", "c1") == 1
    assert call(r, "XGROUP", "CREATECONSUMER", "s", "g", "c1") == 0
    call(r, "XREADGROUP", "GROUP", "g", "c2", "COUNT", "3", "STREAMS", "s", ">")
    assert call(r, "XGROUP", "DELCONSUMER", "s", "g", "c2") == 3
    assert call(r, "XGROUP", "DELCONSUMER", "s", "g", "c2") == 0
    assert call(r, "XPENDING", "s", "g") == [0, None, None, None]
    with raises_reply("NOGROUP No such consumer group 'nog' for key name 's'"):
        call(r, "XGROUP", "CREATECONSUMER", "s", "nog", "c")
    with raises_reply(KEY_MUST_EXIST):
        call(r, "XGROUP", "DELCONSUMER", "nokey", "g", "c")


def test_xreadgroup_new_history_noack_and_errors(r):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    assert call(r, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">") == [
        ["s", [["1-0", ["n", "1"]], ["2-0", ["n", "2"]]]]]
    # History: the consumer's own pending entries after the ID, each delivery counted.
    assert ids(call(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")[0][1]) == ["1-0", "2-0"]
    assert ids(call(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "1-0")[0][1]) == ["2-0"]
    assert call(r, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0") == [["s", []]]
    assert call(r, "XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">") == [
        ["s", [["3-0", ["n", "3"]]]]]
    assert [row[3] for row in call(r, "XPENDING", "s", "g", "-", "+", "10")] == [2, 3]
    r.xdel("s", "1-0")
    assert call(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")[0][1][0] == ["1-0", None]
    assert ids(call(r, "XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">")[0][1]) == ["4-0", "5-0"]
    assert call(r, "XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">") is None
    group = fields(call(r, "XINFO", "GROUPS", "s")[0])
    assert (group["pending"], group["last-delivered-id"]) == (4, "5-0")
    for args, error in (
            (["STREAMS", "s", "$"], "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
             "history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would "
             "just return an empty result set."),
            (["STREAMS", "s", "nokey", ">", ">"],
             "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"),
            (["STREAMS", "s", "x"], INVALID_ID)):
        with raises_reply(error):
            call(r, "XREADGROUP", "GROUP", "g", "c", *args)
    with raises_reply("ERR Missing GROUP option for XREADGROUP"):
        call(r, "XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">")
    with raises_reply("ERR wrong number of arguments for 'xreadgroup' command"):
        call(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s")


def test_xreadgroup_after_setid_takes_over_pending_entries(r):
    fill(r, "s", 3)
    r.xgroup_create("s", "g", id="0")
    call(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    call(r, "XGROUP", "SETID", "s", "g", "0")
    call(r, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    assert [(row[0], row[1], row[3]) for row in call(r, "XPENDING", "s", "g", "-", "+", "10")] == [
        ("1-0", "bob", 1), ("2-0", "bob", 1), ("3-0", "alice", 1)]


def test_xack_and_xpending(r):
    fill(r, "s", 6)
    r.xgroup_create("s", "g", id="0")
    call(r, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "4", "STREAMS", "s", ">")
    call(r, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    assert call(r, "XACK", "s", "g", "1-0", "1-0", "9-0") == 1
    assert call(r, "XACK", "s", "nog", "2-0") == 0
    assert call(r, "XACK", "nokey", "g", "bad-id") == 0
    with raises_reply(INVALID_ID):
        call(r, "XACK", "s", "g", "bad")
    assert call(r, "XPENDING", "s", "g") == [5, "2-0", "6-0", [["alice", "3"], ["bob", "2"]]]
    rows = call(r, "XPENDING", "s", "g", "-", "+", "10")
    assert [(row[0], row[1], row[3]) for row in rows] == [("2-0", "alice", 1), ("3-0", "alice", 1),
                                                          ("4-0", "alice", 1), ("5-0", "bob", 1), ("6-0", "bob", 1)]
    assert all(0 <= row[2] < 60000 for row in rows)
    assert ids(call(r, "XPENDING", "s", "g", "(2-0", "(6-0", "2")) == ["3-0", "4-0"]
    assert ids(call(r, "XPENDING", "s", "g", "-", "+", "10", "bob")) == ["5-0", "6-0"]
    assert call(r, "XPENDING", "s", "g", "-", "+", "10", "nobody") == []
    assert call(r, "XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10") == []
    for args, error in ((["-", "+"], SYNTAX), (["IDLE", "5"], SYNTAX), (["-", "+", "x"], NOT_INT),
                        (["x", "y", "1"], INVALID_ID), (["IDLE", "x", "-", "+", "1"], NOT_INT)):
        with raises_reply(error):
            call(r, "XPENDING", "s", "g", *args)
    with raises_reply("NOGROUP No such key 's' or consumer group 'nog'"):
        call(r, "XPENDING", "s", "nog")


def test_xclaim_options(r):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    call(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    assert call(r, "XCLAIM", "s", "g", "bob", "0", "1-0") == [["1-0", ["n", "1"]]]
    assert call(r, "XCLAIM", "s", "g", "bob", "3600000", "2-0") == []  # not idle long enough
    assert call(r, "XCLAIM", "s", "g", "bob", "0", "2-0", "3-0", "JUSTID", "RETRYCOUNT", "7") == ["2-0", "3-0"]
    assert call(r, "XCLAIM", "s", "g", "bob", "0", "4-0", "IDLE", "60000", "JUSTID") == ["4-0"]
    assert call(r, "XCLAIM", "s", "g", "alice", "30000", "4-0", "JUSTID") == ["4-0"]
    rows = {row[0]: row for row in call(r, "XPENDING", "s", "g", "-", "+", "10")}
    assert rows["1-0"][1] == "bob" and rows["1-0"][3] == 2
    assert rows["2-0"][3] == 7
    assert rows["4-0"][1] == "alice"
    # FORCE adds an entry never delivered; an ID whose entry is gone leaves the PEL.
    call(r, "XACK", "s", "g", "5-0")
    assert call(r, "XCLAIM", "s", "g", "bob", "0", "5-0", "FORCE", "JUSTID", "LASTID", "9-0") == ["5-0"]
    r.xdel("s", "3-0")
    assert call(r, "XCLAIM", "s", "g", "bob", "0", "3-0") == []
    assert "3-0" not in ids(call(r, "XPENDING", "s", "g", "-", "+", "10"))
    assert fields(call(r, "XINFO", "GROUPS", "s")[0])["last-delivered-id"] == "9-0"
    for args, error in ((["x", "1-0"], "ERR Invalid min-idle-time argument for XCLAIM"),
                        (["0", "1-0", "IDLE", "x"], "ERR Invalid IDLE option argument for XCLAIM"),
                        (["0", "1-0", "TIME", "x"], "ERR Invalid TIME option argument for XCLAIM"),
                        (["0", "1-0", "RETRYCOUNT", "x"], "ERR Invalid RETRYCOUNT option argument for XCLAIM"),
                        (["0", "1-0", "LASTID", "x"], INVALID_ID),
                        (["0", "1-0", "FOO"], "ERR Unrecognized XCLAIM option 'FOO'"),
                        (["0", "1-0", "IDLE"], "ERR Unrecognized XCLAIM option 'IDLE'")):
        with raises_reply(error):
            call(r, "XCLAIM", "s", "g", "bob", *args)
    with raises_reply("NOGROUP No such key 'nokey' or consumer group 'g'"):
        call(r, "XCLAIM", "nokey", "g", "bob", "x", "1-0")


def test_xautoclaim_cursor_deleted_entries_and_errors(r):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    call(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    r.xdel("s", "2-0", "4-0")
    assert call(r, "XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2") == ["3-0", [["1-0", ["n", "1"]]], ["2-0"]]
    assert call(r, "XAUTOCLAIM", "s", "g", "bob", "0", "3-0", "COUNT", "2", "JUSTID") == ["5-0", ["3-0"], ["4-0"]]
    assert call(r, "XAUTOCLAIM", "s", "g", "bob", "0", "(3-0", "JUSTID") == ["0-0", ["5-0"], []]
    assert call(r, "XAUTOCLAIM", "s", "g", "bob", "3600000", "-") == ["0-0", [], []]
    for args, error in ((["x", "0"], "ERR Invalid min-idle-time argument for XAUTOCLAIM"),
                        (["0", "x"], INVALID_ID),
                        (["0", "0", "COUNT", "0"], "ERR COUNT must be > 0"),
                        (["0", "0", "COUNT", "x"], "ERR COUNT must be > 0"),
                        (["0", "0", "FOO"], SYNTAX),
                        (["0", "(18446744073709551615-18446744073709551615"],
                         "ERR invalid start ID for the interval")):
        with raises_reply(error):
            call(r, "XAUTOCLAIM", "s", "g", "bob", *args)
    with raises_reply("NOGROUP No such key 's' or consumer group 'nog'"):
        call(r, "XAUTOCLAIM", "s", "nog", "bob", "0", "0")


def test_worker_crash_and_recovery_by_claiming(r):
    """Worker 1 reads a batch and dies before acknowledging most of it; worker 2 finds
    the stale entries and takes them over; a fresh worker's entries are left alone."""
    for i in range(1, 11):
        r.xadd("jobs", {"job": i}, id=f"{i}-0")
    r.xgroup_create("jobs", "workers", id="0")
    batch = call(r, "XREADGROUP", "GROUP", "workers", "w1", "COUNT", "5", "STREAMS", "jobs", ">")[0][1]
    call(r, "XACK", "jobs", "workers", batch[0][0], batch[1][0])
    # w1 crashes. Its remaining entries age: as if delivered a minute ago.
    call(r, "XCLAIM", "jobs", "workers", "w1", "0", "3-0", "4-0", "5-0", "IDLE", "60000", "JUSTID")
    call(r, "XREADGROUP", "GROUP", "workers", "w3", "COUNT", "2", "STREAMS", "jobs", ">")  # fresh work
    stale = [row for row in call(r, "XPENDING", "jobs", "workers", "IDLE", "30000", "-", "+", "100")]
    assert [(row[0], row[1]) for row in stale] == [("3-0", "w1"), ("4-0", "w1"), ("5-0", "w1")]
    cursor, claimed, deleted = call(r, "XAUTOCLAIM", "jobs", "workers", "w2", "30000", "0", "COUNT", "2")
    assert ids(claimed) == ["3-0", "4-0"] and cursor == "5-0" and deleted == []
    claimed_more = call(r, "XCLAIM", "jobs", "workers", "w2", "30000", "5-0")
    assert claimed_more == [["5-0", ["job", "5"]]]
    assert call(r, "XPENDING", "jobs", "workers") == [5, "3-0", "7-0", [["w2", "3"], ["w3", "2"]]]
    assert [row[3] for row in call(r, "XPENDING", "jobs", "workers", "-", "+", "3", "w2")] == [2, 2, 2]
    assert call(r, "XACK", "jobs", "workers", "3-0", "4-0", "5-0") == 3
    consumers = {c[1]: fields(c) for c in call(r, "XINFO", "CONSUMERS", "jobs", "workers")}
    assert (consumers["w1"]["pending"], consumers["w2"]["pending"], consumers["w3"]["pending"]) == (0, 0, 2)


# --------------------------------------------------------------------------- XINFO and RESP3

def test_xinfo_stream_groups_consumers(r):
    fill(r, "s", 3)
    r.xgroup_create("s", "g", id="0")
    call(r, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
    meta = info(r, "s")
    assert list(meta) == ["length", "radix-tree-keys", "radix-tree-nodes", "last-generated-id",
                          "max-deleted-entry-id", "entries-added", "recorded-first-entry-id", "groups",
                          "first-entry", "last-entry"]
    assert (meta["length"], meta["radix-tree-keys"], meta["radix-tree-nodes"], meta["groups"]) == (3, 1, 2, 1)
    assert meta["first-entry"] == ["1-0", ["n", "1"]] and meta["last-entry"] == ["3-0", ["n", "3"]]
    full = fields(call(r, "XINFO", "STREAM", "s", "FULL", "COUNT", "1"))
    assert ids(full["entries"]) == ["1-0"]
    group = fields(full["groups"][0])
    assert (group["name"], group["last-delivered-id"], group["entries-read"], group["lag"], group["pel-count"]) == (
        "g", "2-0", 2, 1, 2)
    assert [row[:2] + row[3:] for row in group["pending"]] == [["1-0", "alice", 1]]
    consumer = fields(group["consumers"][0])
    assert consumer["name"] == "alice" and consumer["pel-count"] == 2 and len(consumer["pending"]) == 1
    assert ("active-time" in consumer) == (not is_reference())
    listed = fields(call(r, "XINFO", "CONSUMERS", "s", "g")[0])
    assert listed["pending"] == 2 and listed["idle"] >= 0
    if not is_reference():  # Redis 7.2's "inactive": since the last successful read
        assert 0 <= listed["inactive"] < 60000
    with raises_reply("ERR no such key"):
        call(r, "XINFO", "STREAM", "nokey")
    with raises_reply("NOGROUP No such consumer group 'nog' for key name 's'"):
        call(r, "XINFO", "CONSUMERS", "s", "nog")
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."):
        call(r, "XINFO", "STREAM", "s", "FOO")
    r.set("str", "x")
    with raises_reply(WRONGTYPE):
        call(r, "XINFO", "GROUPS", "str")


def test_resp3_shapes(r3):
    r3.call("XADD", "s", "1-0", "a", "1")
    r3.call("XGROUP", "CREATE", "s", "g", "0")
    read = r3.call("XREAD", "STREAMS", "s", "0")
    assert isinstance(read, RespMap) and read == {b"s": [[b"1-0", [b"a", b"1"]]]}
    assert r3.call("XREAD", "STREAMS", "s", "$") is None
    assert isinstance(r3.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), RespMap)
    stream_info = r3.call("XINFO", "STREAM", "s")
    assert isinstance(stream_info, RespMap) and stream_info[b"length"] == 1
    full = r3.call("XINFO", "STREAM", "s", "FULL")
    assert isinstance(full[b"groups"][0], RespMap)
    assert isinstance(full[b"groups"][0][b"consumers"][0], RespMap)
    assert isinstance(r3.call("XINFO", "GROUPS", "s")[0], RespMap)
    assert r3.call("XPENDING", "s", "nothing") == "NOGROUP No such key 's' or consumer group 'nothing'"
    r3.call("XACK", "s", "g", "1-0")
    assert r3.call("XPENDING", "s", "g") == [0, None, None, None]
    assert r3.call("XRANGE", "s", "-", "+", "COUNT", "0") is None


def test_type_encoding_copy_rename(r):
    fill(r, "s", 150)
    r.xgroup_create("s", "g", id="0")
    assert r.type("s") == "stream"
    assert call(r, "OBJECT", "ENCODING", "s") == "stream"
    assert call(r, "COPY", "s", "t") == 1
    r.xadd("s", {"x": "y"})
    r.xgroup_destroy("s", "g")
    assert r.xlen("t") == 150 and len(call(r, "XINFO", "GROUPS", "t")) == 1
    r.rename("t", "u")
    assert r.xlen("u") == 150


# --------------------------------------------------------------------------- redis-server peer

@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


def build_stream(c):
    """Several nodes, same-field and different-field entries, deletions, trimming, and
    two groups with PELs and an idle consumer."""
    for i in range(1, 260):
        if i % 3:
            c.xadd("s", {"f": i, "g": "x" * (i % 11)}, id=f"{i}-{i % 4}")
        else:
            c.xadd("s", {"other": i}, id=f"{i}-{i % 4}")
    c.xdel("s", "5-1", "6-2", "200-0")
    c.xtrim("s", maxlen=240)


def build_groups(c):
    c.xgroup_create("s", "g1", id="0")
    c.xgroup_create("s", "g2", id="$")
    c.xreadgroup("g1", "alice", {"s": ">"}, count=20)
    c.xreadgroup("g1", "bob", {"s": ">"}, count=5)
    c.xgroup_createconsumer("s", "g2", "idle")
    c.xack("s", "g1", "25-1")


def digest(c, key):
    return call(c, "DEBUG", "DIGEST-VALUE", key)


def test_payload_bytes_and_digest_match_redis(rb, rbpeer):
    build_stream(rb)
    build_stream(rbpeer)
    assert rb.dump("s") == rbpeer.dump("s")
    assert digest(rb, "s") == digest(rbpeer, "s")
    assert call(rb, "XINFO", "STREAM", "s") == call(rbpeer, "XINFO", "STREAM", "s")


def full_without_times(c, key):
    """XINFO STREAM FULL with every timestamp and 7.2-only field taken out."""
    full = fields(call(c, "XINFO", "STREAM", key, "FULL", "COUNT", "0"))
    groups = []
    for group in full.pop(b"groups"):
        g = fields(group)
        g[b"pending"] = [row[:2] + row[3:] for row in g[b"pending"]]
        g[b"consumers"] = [(fields(x)[b"name"], [row[:1] + row[2:] for row in fields(x)[b"pending"]])
                           for x in g[b"consumers"]]
        groups.append(g)
    return full, groups


@pytest.mark.parametrize("direction", ["to_redis", "from_redis"])
def test_dump_restore_interop_with_groups(rb, rbpeer, direction):
    source, target = (rb, rbpeer) if direction == "to_redis" else (rbpeer, rb)
    build_stream(source)
    build_groups(source)
    payload = source.dump("s")
    assert call(target, "RESTORE", "s", "0", payload) == b"OK"
    assert full_without_times(target, "s") == full_without_times(source, "s")
    assert digest(target, "s") == digest(source, "s")
    assert target.dump("s") == payload  # same encoding both ways: the bytes survive
    # A restored stream is fully usable, groups included.
    assert target.xadd("s", {"new": "1"}, id="1000-0") == b"1000-0"
    last = fields(call(target, "XINFO", "GROUPS", "s")[0])[b"last-delivered-id"]
    following = call(target, "XRANGE", "s", b"(" + last, "+", "COUNT", "1")
    pending = call(target, "XPENDING", "s", "g1")[0]
    assert call(target, "XREADGROUP", "GROUP", "g1", "carol", "COUNT", "1", "STREAMS", "s", ">") == [
        [b"s", following]]
    assert call(target, "XPENDING", "s", "g1")[0] == pending + 1


def test_restore_rejects_damaged_stream_payloads(rb):
    build_stream(rb)
    build_groups(rb)
    payload = rb.dump("s")
    for offset in (5, 40, len(payload) // 2, len(payload) - 40):
        damaged = bytearray(payload)
        damaged[offset] ^= 0x5A
        with pytest.raises(Exception):
            call(rb, "RESTORE", "bad", "0", bytes(damaged))
        assert rb.exists("bad") == 0


# --------------------------------------------------------------------------- durability



def start(workdir):
    return start_server(workdir, *ALWAYS)




def stream_writes(c, tag):
    key = "s" + tag
    for i in range(1, 300):
        c.xadd(key, {"f": i, "g": "x"}, id=f"{i}-1")
    c.xadd(key, {"a": 1}, maxlen=250, approximate=True)
    c.xadd(key, {"a": 2}, maxlen=240, approximate=False)
    c.xdel(key, "150-1", "151-1")
    c.xtrim(key, minid="120-1")
    c.xgroup_create(key, "g", id="0")
    c.xgroup_create(key, "g2", id="$")
    c.xgroup_createconsumer(key, "g2", "lonely")
    c.xreadgroup("g", "alice", {key: ">"}, count=10)
    c.xreadgroup("g", "bob", {key: ">"}, count=5, noack=True)
    c.xreadgroup("g", "carol", {key: ">"}, count=7)
    c.xreadgroup("g", "alice", {key: "0"})
    c.xack(key, "g", "125-1", "126-1")
    c.xclaim(key, "g", "bob", 0, ["127-1", "128-1"])
    call(c, "XCLAIM", key, "g", "dave", "0", "200-1", "FORCE", "LASTID", "210-1")
    c.xdel(key, "140-1")
    c.xautoclaim(key, "g", "erin", 0, "0-0", count=4)
    call(c, "XGROUP", "SETID", key, "g2", "130-1", "ENTRIESREAD", "5")
    c.xgroup_delconsumer(key, "g", "carol")
    c.xgroup_create(key, "gone", id="0")
    c.xgroup_destroy(key, "gone")
    call(c, "XSETID", key, "99999999999999-0", "ENTRIESADDED", "1000")
    pipe = c.pipeline(transaction=True)
    pipe.xadd("tx" + tag, {"a": 1}, id="1-1")
    pipe.xadd("tx" + tag, {"a": 2}, id="1-2")
    pipe.xgroup_create("tx" + tag, "g", id="0")
    pipe.xreadgroup("g", "c", {"tx" + tag: ">"})
    pipe.execute()


def stream_state(c):
    """What a restart must keep. redis-server's AOF does not replay the delivery counts of
    history reads nor entries-read (it propagates neither), so against it only the
    rest is compared; tierkv keeps all of it."""
    state = {}
    for key in sorted(c.keys("*")):
        full = fields(call(c, "XINFO", "STREAM", key, "FULL", "COUNT", "0"))
        groups = []
        for group in full.pop("groups"):
            g = fields(group)
            pending = [row if not is_reference() else row[:2] for row in g["pending"]]
            consumers = [(fields(x)["name"], [row[0] for row in fields(x)["pending"]]) for x in g["consumers"]]
            entries_read = g["entries-read"] if not is_reference() else None
            groups.append((g["name"], g["last-delivered-id"], entries_read, g["pel-count"], pending, consumers))
        state[key] = (full, groups, call(c, "DEBUG", "DIGEST-VALUE", key))
    return state


def test_streams_survive_sigkill_under_fsync_always(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        stream_writes(c, "1")
        before = stream_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        assert stream_state(srv.client()) == before
    finally:
        srv.stop()


def test_streams_survive_sigkill_after_save_and_more_writes(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        stream_writes(c, "1")
        assert c.save() is True
        stream_writes(c, "2")                          # new keys after the checkpoint
        c.xadd("s1", {"late": 1}, id="99999999999999-5")  # and changes to checkpointed ones
        c.xreadgroup("g", "zed", {"s1": ">"}, count=3)
        c.xack("s1", "g", "101-1")
        before = stream_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert stream_state(c) == before
        c.xreadgroup("g", "zed", {"s1": ">"})       # once more, from what was recovered
        before = stream_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        assert stream_state(srv.client()) == before
    finally:
        srv.stop()


# --------------------------------------------------------------------------- Redis 7.2 only

@pytest.mark.tierkv_only
@pytest.mark.needs_dram_budget("BUG: the tier stores a stream in the 7.0 form (RDB type 19, DUMP's), which has no consumer active time, so a demotion turns a consumer's inactive -1 into its seen time")
def test_readers_and_claimers_create_their_consumer_even_with_nothing_to_get(r):
    r.xadd("s", {"a": "1"}, id="1-0")
    r.xgroup_create("s", "g", id="$")
    assert call(r, "XREADGROUP", "GROUP", "g", "reader", "STREAMS", "s", ">") is None
    assert call(r, "XAUTOCLAIM", "s", "g", "autoclaimer", "0", "0") == ["0-0", [], []]
    assert call(r, "XCLAIM", "s", "g", "claimer", "0", "1-0") == []
    consumers = {fields(c)["name"]: fields(c) for c in call(r, "XINFO", "CONSUMERS", "s", "g")}
    assert set(consumers) == {"reader", "autoclaimer", "claimer"}
    assert all(c["inactive"] == -1 for c in consumers.values())


def test_an_emptied_stream_survives_dump_restore_and_a_restart(tmp_path):
    # Redis keeps a stream that XDEL or XTRIM emptied (with its last ID); regression: its
    # RDB form was refused as an empty collection, which stopped recovery.
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        c.xadd("s", {"f": "v"}, id="1-1")
        c.xdel("s", "1-1")
        assert c.restore("copy", 0, c.dump("s"))
        assert c.xinfo_stream("copy")["last-generated-id"] == "1-1"
        c.save()
        c.xadd("t", {"f": "v"}, id="2-2")
        c.xtrim("t", maxlen=0)
        sigkill(srv)
        srv = start_server(tmp_path, *ALWAYS)
        c = srv.client()
        for key, last_id in (("s", "1-1"), ("copy", "1-1"), ("t", "2-2")):
            assert c.type(key) == "stream"
            assert c.xlen(key) == 0
            assert c.xinfo_stream(key)["last-generated-id"] == last_id
    finally:
        srv.stop()
