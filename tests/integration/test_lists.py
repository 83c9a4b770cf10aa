"""Lists: every non-blocking list command with its replies and errors (RESP2 and RESP3),
OBJECT ENCODING at the list-max-listpack-size limits, long lists across many nodes and
large elements against a Python model, DEBUG DIGEST-VALUE and DUMP/RESTORE against a
real redis-server (both directions, both encodings), WATCH, and persistence across
SIGKILL (journal under appendfsync always, and a SAVE followed by more writes).

Expectations are redis-server 7.0.15's except where Redis 7.2 differs, which is marked:
7.2 keeps small lists in one listpack (OBJECT ENCODING "listpack"; 7.0 says
"quicklist" for every list) and refuses LPOS RANK -9223372036854775808.
"""

import pytest
import redis

from conftest import (ALWAYS, sigkill, start_server, NOT_INT, SYNTAX, WRONGTYPE, call, is_reference,
                      raises_reply)

OUT_OF_RANGE_POSITIVE = "ERR value is out of range, must be positive"


def small_encoding():
    """OBJECT ENCODING of a small list: Redis 7.2 answers listpack, 7.0 quicklist."""
    return "quicklist" if is_reference() else "listpack"


def lrange(c, key):
    return c.lrange(key, 0, -1)


# --------------------------------------------------------------------------
# Pushes
# --------------------------------------------------------------------------

def test_lpush_rpush_order_and_length(r):
    assert r.rpush("k", "a", "b") == 2
    assert r.lpush("k", "x", "y") == 4  # each one pushed at the head in turn
    assert lrange(r, "k") == ["y", "x", "a", "b"]
    assert r.rpush("k", "c") == 5
    assert lrange(r, "k") == ["y", "x", "a", "b", "c"]
    assert call(r, "TYPE", "k") == "list"


def test_pushx_only_when_the_list_exists(r):
    assert call(r, "LPUSHX", "k", "a") == 0
    assert call(r, "RPUSHX", "k", "a", "b") == 0
    assert r.exists("k") == 0
    r.rpush("k", "m")
    assert call(r, "LPUSHX", "k", "h1", "h2") == 3
    assert call(r, "RPUSHX", "k", "t1", "t2") == 5
    assert lrange(r, "k") == ["h2", "h1", "m", "t1", "t2"]


def test_push_arity_and_wrongtype(r):
    r.set("s", "x")
    for cmd in ("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"):
        with raises_reply(WRONGTYPE):
            call(r, cmd, "s", "v")
        with raises_reply(f"ERR wrong number of arguments for '{cmd.lower()}' command"):
            call(r, cmd, "k")


def test_values_are_binary_safe_and_integers_keep_their_text(rb):
    values = [b"", b"\x00\r\n\xff", b"0", b"-0", b"007", b"-1", b"12345678901",
              b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
              b"1.5", b" 1", b"+1"]
    rb.rpush("k", *values)
    assert rb.lrange("k", 0, -1) == values
    assert [rb.lindex("k", i) for i in range(len(values))] == values
    assert rb.lpos("k", b"007") == 4
    assert rb.lpos("k", b"7") is None


# --------------------------------------------------------------------------
# Pops
# --------------------------------------------------------------------------

def test_pop_single_and_with_count(r):
    r.rpush("k", *"abcdef")
    assert r.lpop("k") == "a"
    assert r.rpop("k") == "f"
    assert call(r, "LPOP", "k", "2") == ["b", "c"]
    assert call(r, "RPOP", "k", "1") == ["e"]
    assert call(r, "RPOP", "k", "10") == ["d"]  # more than there is: all, in pop order
    assert r.exists("k") == 0  # an emptied list is deleted
    r.rpush("k", "1", "2", "3")
    assert call(r, "RPOP", "k", "3") == ["3", "2", "1"]


def test_pop_reply_shapes(r, raw):
    r.rpush("k", "a")
    conn = raw()
    conn.send_command("LPOP", "k", "0")
    assert conn.read_raw() == b"*0\r\n"  # count 0 on a list: empty array
    conn.send_command("LPOP", "nokey")
    assert conn.read_raw() == b"$-1\r\n"
    conn.send_command("LPOP", "nokey", "2")
    assert conn.read_raw() == b"*-1\r\n"  # with a count: null array
    conn.send_command("RPOP", "nokey", "0")
    assert conn.read_raw() == b"*-1\r\n"  # the key is looked up before count 0 answers
    assert r.llen("k") == 1


def test_pop_reply_shapes_resp3(r3):
    assert r3.call("RPUSH", "k", "a", "b") == 2
    r3.send_command("LPOP", "nokey", "2")
    assert r3.read_raw() == b"_\r\n"
    r3.send_command("LPOP", "nokey")
    assert r3.read_raw() == b"_\r\n"
    assert r3.call("LPOP", "k", "0") == []
    assert r3.call("RPOP", "k", "5") == [b"b", b"a"]


def test_pop_errors(r):
    r.rpush("k", "a")
    r.set("s", "x")
    for cmd in ("LPOP", "RPOP"):
        with raises_reply(OUT_OF_RANGE_POSITIVE):
            call(r, cmd, "k", "-1")
        with raises_reply(OUT_OF_RANGE_POSITIVE):
            call(r, cmd, "k", "abc")  # not an integer: the same text
        with raises_reply(OUT_OF_RANGE_POSITIVE):
            call(r, cmd, "nokey", "-1")  # the count is checked before the key
        with raises_reply(f"ERR wrong number of arguments for '{cmd.lower()}' command"):
            call(r, cmd, "k", "1", "2")
        with raises_reply(WRONGTYPE):
            call(r, cmd, "s")
        with raises_reply(WRONGTYPE):
            call(r, cmd, "s", "0")
    assert lrange(r, "k") == ["a"]


# --------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------

def test_llen(r):
    assert r.llen("nokey") == 0
    r.rpush("k", "a", "b")
    assert r.llen("k") == 2
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        r.llen("s")


@pytest.mark.parametrize("start,end", [(0, -1), (0, 0), (1, 3), (-3, -1), (-100, 2), (2, 100),
                                       (4, 4), (5, 10), (3, 1), (-1, -3), (-100, -50), (100, 200),
                                       (0, -6), (0, -5), (-9223372036854775808, 9223372036854775807)])
def test_lrange_index_rules(r, start, end):
    items = ["a", "b", "c", "d", "e"]
    r.rpush("k", *items)
    n = len(items)
    s = start + n if start < 0 else start
    e = end + n if end < 0 else end
    s = max(s, 0)
    expected = [] if s > e or s >= n else items[s:min(e, n - 1) + 1]
    assert r.lrange("k", start, end) == expected


def test_lrange_errors_and_missing(r):
    assert r.lrange("nokey", 0, -1) == []
    with raises_reply(NOT_INT):
        call(r, "LRANGE", "nokey", "a", "1")  # indexes are parsed before the lookup
    with raises_reply(NOT_INT):
        call(r, "LRANGE", "k", "0", "1.0")
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        r.lrange("s", 0, -1)


def test_lindex(r):
    r.rpush("k", "a", "b", "c")
    assert r.lindex("k", 0) == "a"
    assert r.lindex("k", 2) == "c"
    assert r.lindex("k", -1) == "c"
    assert r.lindex("k", -3) == "a"
    assert r.lindex("k", 3) is None
    assert r.lindex("k", -4) is None
    assert r.lindex("nokey", 0) is None
    # The key is looked up before the index is parsed.
    assert call(r, "LINDEX", "nokey", "notanumber") is None
    with raises_reply(NOT_INT):
        call(r, "LINDEX", "k", "notanumber")
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        call(r, "LINDEX", "s", "notanumber")


# --------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------

def test_lset(r):
    r.rpush("k", "a", "b", "c")
    assert call(r, "LSET", "k", "1", "B") == "OK"
    assert call(r, "LSET", "k", "-1", "C") == "OK"
    assert lrange(r, "k") == ["a", "B", "C"]
    with raises_reply("ERR index out of range"):
        call(r, "LSET", "k", "3", "x")
    with raises_reply("ERR index out of range"):
        call(r, "LSET", "k", "-4", "x")
    with raises_reply("ERR no such key"):
        call(r, "LSET", "nokey", "0", "x")
    with raises_reply("ERR no such key"):
        call(r, "LSET", "nokey", "notanumber", "x")  # lookup before the index
    with raises_reply(NOT_INT):
        call(r, "LSET", "k", "notanumber", "x")
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        call(r, "LSET", "s", "0", "x")


def test_linsert(r):
    r.rpush("k", "a", "b", "c")
    assert r.linsert("k", "BEFORE", "b", "x") == 4
    assert r.linsert("k", "after", "c", "y") == 5
    assert call(r, "LINSERT", "k", "Before", "a", "z") == 6
    assert lrange(r, "k") == ["z", "a", "x", "b", "c", "y"]
    assert r.linsert("k", "BEFORE", "nope", "w") == -1
    assert r.linsert("nokey", "BEFORE", "a", "w") == 0
    assert r.exists("nokey") == 0
    r.rpush("dup", "p", "p")
    assert r.linsert("dup", "AFTER", "p", "q") == 3  # the first pivot from the head
    assert lrange(r, "dup") == ["p", "q", "p"]
    with raises_reply(SYNTAX):
        call(r, "LINSERT", "k", "MIDDLE", "a", "x")
    with raises_reply(SYNTAX):
        call(r, "LINSERT", "nokey", "MIDDLE", "a", "x")  # the word is checked first
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        r.linsert("s", "BEFORE", "a", "x")


def test_lrem(r):
    items = ["a", "b", "a", "c", "a", "b", "a"]
    r.rpush("k", *items)
    assert r.lrem("k", 2, "a") == 2  # first two from the head
    assert lrange(r, "k") == ["b", "c", "a", "b", "a"]
    assert r.lrem("k", -1, "b") == 1  # last one from the tail
    assert lrange(r, "k") == ["b", "c", "a", "a"]
    assert r.lrem("k", 0, "a") == 2  # all
    assert lrange(r, "k") == ["b", "c"]
    assert r.lrem("k", 0, "zzz") == 0
    assert r.lrem("nokey", 0, "a") == 0
    assert r.lrem("k", -9223372036854775808, "b") == 1
    assert r.lrem("k", 0, "c") == 1
    assert r.exists("k") == 0
    with raises_reply(NOT_INT):
        call(r, "LREM", "nokey", "x", "a")
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        r.lrem("s", 0, "a")


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (0, 0), (-2, -1), (2, 1), (10, 20),
                                       (-100, 100), (1, 3), (3, -3), (-1, 0)])
def test_ltrim(r, start, end):
    items = ["a", "b", "c", "d", "e"]
    r.rpush("k", *items)
    n = len(items)
    s = start + n if start < 0 else start
    e = end + n if end < 0 else end
    s = max(s, 0)
    expected = [] if s > e or s >= n else items[s:min(e, n - 1) + 1]
    assert call(r, "LTRIM", "k", start, end) == "OK"
    assert lrange(r, "k") == expected
    assert r.exists("k") == (1 if expected else 0)


def test_ltrim_errors(r):
    assert call(r, "LTRIM", "nokey", "0", "1") == "OK"
    with raises_reply(NOT_INT):
        call(r, "LTRIM", "nokey", "a", "1")
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        call(r, "LTRIM", "s", "0", "1")


# --------------------------------------------------------------------------
# LPOS
# --------------------------------------------------------------------------

def test_lpos(r):
    r.rpush("k", "a", "b", "c", "1", "2", "3", "c", "c")
    assert call(r, "LPOS", "k", "c") == 2
    assert call(r, "LPOS", "k", "c", "RANK", "2") == 6
    assert call(r, "LPOS", "k", "c", "RANK", "-1") == 7
    assert call(r, "LPOS", "k", "c", "RANK", "-3") == 2
    assert call(r, "LPOS", "k", "c", "RANK", "4") is None
    assert call(r, "LPOS", "k", "c", "COUNT", "2") == [2, 6]
    assert call(r, "LPOS", "k", "c", "COUNT", "0") == [2, 6, 7]
    assert call(r, "LPOS", "k", "c", "RANK", "-1", "COUNT", "2") == [7, 6]
    assert call(r, "LPOS", "k", "c", "RANK", "2", "COUNT", "0") == [6, 7]
    assert call(r, "LPOS", "k", "c", "COUNT", "0", "MAXLEN", "7") == [2, 6]
    assert call(r, "LPOS", "k", "c", "MAXLEN", "2") is None
    assert call(r, "LPOS", "k", "c", "RANK", "-1", "MAXLEN", "1") == 7
    assert call(r, "LPOS", "k", "z") is None
    assert call(r, "LPOS", "k", "z", "COUNT", "1") == []
    assert call(r, "LPOS", "nokey", "z") is None
    assert call(r, "LPOS", "nokey", "z", "COUNT", "0") == []
    # Options repeat (the last wins).
    assert call(r, "LPOS", "k", "c", "RANK", "1", "RANK", "3") == 7


def test_lpos_errors(r):
    r.rpush("k", "a")
    with raises_reply("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
                      "... or use negative to start from the end of the list"):
        call(r, "LPOS", "k", "a", "RANK", "0")
    with raises_reply(NOT_INT):
        call(r, "LPOS", "k", "a", "RANK", "x")
    with raises_reply("ERR COUNT can't be negative"):
        call(r, "LPOS", "k", "a", "COUNT", "-1")
    with raises_reply("ERR COUNT can't be negative"):
        call(r, "LPOS", "k", "a", "COUNT", "x")
    with raises_reply("ERR MAXLEN can't be negative"):
        call(r, "LPOS", "k", "a", "MAXLEN", "-1")
    with raises_reply(SYNTAX):
        call(r, "LPOS", "k", "a", "RANK")
    with raises_reply(SYNTAX):
        call(r, "LPOS", "k", "a", "FOO", "1")
    with raises_reply("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
                      "... or use negative to start from the end of the list"):
        call(r, "LPOS", "nokey", "a", "RANK", "0")  # options before the key
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        call(r, "LPOS", "s", "a")


@pytest.mark.tierkv_only
def test_lpos_rank_int64_min_is_out_of_range(r):
    # Redis 7.2 checks RANK against [-LONG_MAX, LONG_MAX]; 7.0 negated LONG_MIN.
    r.rpush("k", "a")
    with raises_reply("ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"):
        call(r, "LPOS", "k", "a", "RANK", "-9223372036854775808")
    assert call(r, "LPOS", "k", "a", "RANK", "-9223372036854775807") is None


def test_lpos_resp3(r3):
    r3.call("RPUSH", "k", "a", "b")
    assert r3.call("LPOS", "k", "b") == 1
    r3.send_command("LPOS", "k", "z")
    assert r3.read_raw() == b"_\r\n"
    assert r3.call("LPOS", "k", "a", "COUNT", "0") == [0]


# --------------------------------------------------------------------------
# LMOVE / RPOPLPUSH
# --------------------------------------------------------------------------

@pytest.mark.parametrize("wherefrom,whereto,moved,src,dst", [
    ("LEFT", "LEFT", "a", ["b", "c"], ["a", "x", "y"]),
    ("LEFT", "RIGHT", "a", ["b", "c"], ["x", "y", "a"]),
    ("RIGHT", "LEFT", "c", ["a", "b"], ["c", "x", "y"]),
    ("RIGHT", "RIGHT", "c", ["a", "b"], ["x", "y", "c"]),
])
def test_lmove_directions(r, wherefrom, whereto, moved, src, dst):
    r.rpush("src", "a", "b", "c")
    r.rpush("dst", "x", "y")
    assert call(r, "LMOVE", "src", "dst", wherefrom, whereto) == moved
    assert lrange(r, "src") == src
    assert lrange(r, "dst") == dst


def test_lmove_same_key_rotates(r):
    r.rpush("k", "a", "b", "c")
    assert call(r, "LMOVE", "k", "k", "LEFT", "RIGHT") == "a"
    assert lrange(r, "k") == ["b", "c", "a"]
    assert call(r, "LMOVE", "k", "k", "right", "left") == "a"
    assert lrange(r, "k") == ["a", "b", "c"]
    assert call(r, "RPOPLPUSH", "k", "k") == "c"
    assert lrange(r, "k") == ["c", "a", "b"]
    r.rpush("one", "x")
    r.expire("one", 1000)
    assert call(r, "LMOVE", "one", "one", "LEFT", "LEFT") == "x"
    assert lrange(r, "one") == ["x"]
    assert r.ttl("one") > 990  # the key was never deleted


def test_lmove_creates_destination_and_deletes_empty_source(r):
    r.rpush("src", "only")
    assert call(r, "LMOVE", "src", "new", "LEFT", "RIGHT") == "only"
    assert r.exists("src") == 0
    assert lrange(r, "new") == ["only"]
    assert call(r, "LMOVE", "nokey", "new", "LEFT", "RIGHT") is None
    assert call(r, "RPOPLPUSH", "nokey", "new") is None
    assert lrange(r, "new") == ["only"]


def test_lmove_errors(r):
    r.rpush("src", "a")
    r.set("s", "x")
    with raises_reply(WRONGTYPE):
        call(r, "LMOVE", "src", "s", "LEFT", "RIGHT")
    assert lrange(r, "src") == ["a"]  # nothing popped
    with raises_reply(WRONGTYPE):
        call(r, "LMOVE", "s", "src", "LEFT", "RIGHT")
    with raises_reply(WRONGTYPE):
        call(r, "RPOPLPUSH", "src", "s")
    # A missing source answers nil before the destination's type is looked at.
    assert call(r, "LMOVE", "nokey", "s", "LEFT", "RIGHT") is None
    with raises_reply(SYNTAX):
        call(r, "LMOVE", "src", "dst", "UP", "RIGHT")
    with raises_reply(SYNTAX):
        call(r, "LMOVE", "src", "dst", "LEFT", "DOWN")
    with raises_reply(SYNTAX):
        call(r, "LMOVE", "nokey", "dst", "LEFT", "DOWN")
    assert r.exists("dst") == 0


def test_rpoplpush(r):
    r.rpush("a", "1", "2", "3")
    assert r.rpoplpush("a", "b") == "3"
    assert r.rpoplpush("a", "b") == "2"
    assert lrange(r, "a") == ["1"]
    assert lrange(r, "b") == ["2", "3"]


# --------------------------------------------------------------------------
# LMPOP
# --------------------------------------------------------------------------

def test_lmpop(r):
    r.rpush("k2", "a", "b", "c", "d")
    r.rpush("k3", "z")
    assert call(r, "LMPOP", "3", "k1", "k2", "k3", "LEFT") == ["k2", ["a"]]
    assert call(r, "LMPOP", "2", "k2", "k3", "RIGHT", "COUNT", "2") == ["k2", ["d", "c"]]
    assert call(r, "LMPOP", "1", "k2", "left", "count", "10") == ["k2", ["b"]]
    assert r.exists("k2") == 0
    assert call(r, "LMPOP", "2", "k1", "k2", "LEFT") is None
    assert call(r, "LMPOP", "3", "k1", "k2", "k3", "LEFT", "COUNT", "5") == ["k3", ["z"]]


def test_lmpop_errors(r):
    r.rpush("k", "a")
    r.set("s", "x")
    with raises_reply("ERR numkeys should be greater than 0"):
        call(r, "LMPOP", "0", "k", "LEFT")
    with raises_reply("ERR numkeys should be greater than 0"):
        call(r, "LMPOP", "x", "k", "LEFT")
    with raises_reply("ERR count should be greater than 0"):
        call(r, "LMPOP", "1", "k", "LEFT", "COUNT", "0")
    with raises_reply("ERR count should be greater than 0"):
        call(r, "LMPOP", "1", "k", "LEFT", "COUNT", "x")
    with raises_reply(SYNTAX):
        call(r, "LMPOP", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1")
    with raises_reply(SYNTAX):
        call(r, "LMPOP", "1", "k", "MIDDLE")
    with raises_reply(SYNTAX):
        call(r, "LMPOP", "2", "k", "LEFT")  # numkeys swallows the direction
    with raises_reply(SYNTAX):
        call(r, "LMPOP", "5", "k", "LEFT")
    with raises_reply(SYNTAX):
        call(r, "LMPOP", "1", "k", "LEFT", "COUNT")
    with raises_reply("ERR wrong number of arguments for 'lmpop' command"):
        call(r, "LMPOP", "1", "k")
    # A wrong type stops the scan; a list before it would have been popped.
    with raises_reply(WRONGTYPE):
        call(r, "LMPOP", "2", "nokey", "s", "LEFT")
    assert call(r, "LMPOP", "2", "k", "s", "LEFT") == ["k", ["a"]]


def test_lmpop_resp3_and_keys(r3, r):
    r3.call("RPUSH", "k", "a", "b")
    assert r3.call("LMPOP", "1", "k", "RIGHT", "COUNT", "2") == [b"k", [b"b", b"a"]]
    r3.send_command("LMPOP", "1", "k", "LEFT")
    assert r3.read_raw() == b"_\r\n"
    assert call(r, "COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT") == ["a", "b"]
    info = call(r, "COMMAND", "INFO", "lmpop")[0]
    assert info[1] == -4
    assert "movablekeys" in info[2]


def test_command_info_shapes(r):
    expected = {
        "lpush": (-3, {"write", "denyoom", "fast"}, 1, 1),
        "rpushx": (-3, {"write", "denyoom", "fast"}, 1, 1),
        "lpop": (-2, {"write", "fast"}, 1, 1),
        "llen": (2, {"readonly", "fast"}, 1, 1),
        "lrange": (4, {"readonly"}, 1, 1),
        "lset": (4, {"write", "denyoom"}, 1, 1),
        "lrem": (4, {"write"}, 1, 1),
        "lpos": (-3, {"readonly"}, 1, 1),
        "lmove": (5, {"write", "denyoom"}, 1, 2),
        "rpoplpush": (3, {"write", "denyoom"}, 1, 2),
    }
    for name, (arity, flags, first, last) in expected.items():
        info = call(r, "COMMAND", "INFO", name)[0]
        assert info[1] == arity, name
        assert set(info[2]) == flags, name
        assert (info[3], info[4]) == (first, last), name


# --------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------

def test_small_list_encoding(r):
    r.rpush("k", "a", "b")
    assert call(r, "OBJECT", "ENCODING", "k") == small_encoding()


def test_encoding_follows_the_entry_count_limit(r, config_restore):
    config_restore("list-max-listpack-size")
    r.config_set("list-max-listpack-size", "4")
    r.rpush("k", "1", "2", "3", "4")
    assert call(r, "OBJECT", "ENCODING", "k") == small_encoding()
    r.rpush("k", "5")
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"
    r.rpop("k")  # one node of 4: above half the limit
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"
    r.rpop("k", 2)  # 2 = half: back to a listpack (7.2)
    assert call(r, "OBJECT", "ENCODING", "k") == small_encoding()
    assert lrange(r, "k") == ["1", "2"]


def test_encoding_follows_the_byte_limit(r, config_restore):
    config_restore("list-max-listpack-size")
    r.config_set("list-max-listpack-size", "-1")  # 4 KiB
    # 7 header bytes + 12 bytes per 10-byte value; converts when bytes + 10 > 4096.
    r.rpush("k", *["v%09d" % i for i in range(340)])
    assert call(r, "OBJECT", "ENCODING", "k") == small_encoding()
    r.rpush("k", "v000000340")
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"
    assert r.llen("k") == 341


def test_large_element_makes_a_quicklist(r):
    r.rpush("k", "small")
    r.rpush("k", "x" * 9000)  # past the default 8 KiB node limit
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"
    assert lrange(r, "k") == ["small", "x" * 9000]
    r.rpop("k")
    assert call(r, "OBJECT", "ENCODING", "k") == small_encoding()


def test_lset_large_value_converts_even_when_the_index_is_bad(r):
    r.rpush("k", "a")
    with raises_reply("ERR index out of range"):
        call(r, "LSET", "k", "5", "x" * 9000)
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"  # as Redis: converted first
    assert call(r, "LSET", "k", "0", "x" * 9000) == "OK"
    assert call(r, "LSET", "k", "0", "b") == "OK"
    assert call(r, "OBJECT", "ENCODING", "k") == small_encoding()
    assert lrange(r, "k") == ["b"]


# --------------------------------------------------------------------------
# Long lists against a model
# --------------------------------------------------------------------------

def exercise_against_model(r, values):
    """Every positional command on a long list, compared with a Python list."""
    model = []
    for i in range(0, len(values), 100):
        chunk = values[i:i + 100]
        if (i // 100) % 2:
            r.rpush("k", *chunk)
            model.extend(chunk)
        else:
            r.lpush("k", *chunk)
            model[:0] = reversed(chunk)
    assert r.llen("k") == len(model)
    n = len(model)
    for i in list(range(0, n, max(1, n // 50))) + [n - 1, -1, -n, n // 2]:
        assert r.lindex("k", i) == model[i]
    for start, end in [(0, 99), (n // 3, n // 3 + 250), (-300, -1), (n - 5, n + 5)]:
        assert r.lrange("k", start, end) == model[start:end + 1 if end != -1 else None]
    mid = n // 2
    assert call(r, "LSET", "k", str(mid), "set-in-the-middle") == "OK"
    model[mid] = "set-in-the-middle"
    pivot = model[n // 4]
    assert r.linsert("k", "AFTER", pivot, "inserted") == n + 1
    model.insert(model.index(pivot) + 1, "inserted")
    target = model[n // 5]
    removed = model.count(target)
    assert r.lrem("k", 0, target) == removed
    model = [v for v in model if v != target]
    assert r.lpos("k", "inserted") == model.index("inserted")
    assert call(r, "LTRIM", "k", "10", "-11") == "OK"
    model = model[10:-10]
    assert call(r, "LPOP", "k", "7") == model[:7]
    assert call(r, "RPOP", "k", "7") == list(reversed(model[-7:]))
    model = model[7:-7]
    assert lrange(r, "k") == model
    return model


def test_long_list_across_many_small_nodes(r, config_restore):
    config_restore("list-max-listpack-size")
    r.config_set("list-max-listpack-size", "5")
    exercise_against_model(r, [f"v{i % 700}" for i in range(3000)])
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"


def test_long_list_with_default_nodes_and_integers(r):
    exercise_against_model(r, [str(i * 37 - 5000) if i % 3 else f"s{i}" for i in range(20000)])


def test_long_list_with_large_elements(r):
    # Every seventh value is 6,000 to 12,000 bytes: the larger ones get plain nodes.
    values = [("L%d" % i) * 3000 if i % 7 == 0 else "e%d" % i for i in range(600)]
    exercise_against_model(r, values)
    assert call(r, "OBJECT", "ENCODING", "k") == "quicklist"


# --------------------------------------------------------------------------
# Keyspace integration
# --------------------------------------------------------------------------

def test_watch_sees_list_writes(server, r):
    r.rpush("k", "a", "b")
    other = server.client()
    for write in (lambda: other.rpush("k", "c"), lambda: other.lpop("k"),
                  lambda: other.execute_command("LTRIM", "k", "0", "-1")):  # even a no-op trim
        with r.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            write()
            pipe.multi()
            pipe.llen("k")
            with pytest.raises(redis.WatchError):
                pipe.execute()
    other.close()


def test_copy_rename_expire(r):
    r.rpush("k", *[str(i) for i in range(1000)])
    assert r.copy("k", "c") is True
    r.rpush("k", "extra")
    assert r.llen("c") == 1000
    r.rename("c", "d")
    assert r.lindex("d", 999) == "999"
    r.expire("d", 100)
    r.lpush("d", "x")
    assert 0 < r.ttl("d") <= 100  # pushes keep the TTL


def test_digest_value_matches_redis(r, peer):
    other = peer.client()
    other.flushall()
    try:
        big = [str(i) if i % 2 else "x%d" % i for i in range(5000)]
        for c in (r, other):
            c.rpush("small", "a", "1", "-2", "", "foo")
            c.rpush("big", *big)
            c.rpush("huge", "a", "y" * 10000, "b")
        for key in ("small", "big", "huge"):
            assert call(r, "DEBUG", "DIGEST-VALUE", key) == call(other, "DEBUG", "DIGEST-VALUE", key), key
        assert call(r, "DEBUG", "DIGEST") == call(other, "DEBUG", "DIGEST")
    finally:
        other.flushall()
        other.close()


# --------------------------------------------------------------------------
# DUMP / RESTORE with a real redis-server
# --------------------------------------------------------------------------

LIST_SHAPES = {
    "small": [b"a", b"1", b"-2", b"", b"foo", b"12345678901"],
    "many": [b"v%d" % i for i in range(5000)],
    "large-element": [b"head", b"z" * 20000, b"tail"],
    "integers": [str(i * 1000003).encode() for i in range(-500, 500)],
}


@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.flushall()
    c.close()


def restored_encoding(shape):
    """A restored list is a listpack (7.2) when it arrives as one node within the limit."""
    return b"listpack" if shape in ("small", "integers") and not is_reference() else b"quicklist"


@pytest.mark.parametrize("shape", sorted(LIST_SHAPES))
def test_dump_to_redis_and_back(rb, rbpeer, shape):
    values = LIST_SHAPES[shape]
    rb.rpush("k", *values)
    payload = rb.dump("k")
    assert call(rbpeer, "RESTORE", "k", "0", payload) == b"OK"
    assert rbpeer.lrange("k", 0, -1) == values
    back = rbpeer.dump("k")
    assert call(rb, "RESTORE", "k2", "0", back) == b"OK"
    assert rb.lrange("k2", 0, -1) == values
    assert call(rb, "OBJECT", "ENCODING", "k2") == restored_encoding(shape)


@pytest.mark.parametrize("shape", sorted(LIST_SHAPES))
def test_dump_from_redis_restores_here(rb, rbpeer, shape):
    values = LIST_SHAPES[shape]
    rbpeer.rpush("k", *values)
    assert call(rb, "RESTORE", "k", "0", rbpeer.dump("k")) == b"OK"
    assert rb.lrange("k", 0, -1) == values
    assert rb.llen("k") == len(values)
    assert call(rb, "OBJECT", "ENCODING", "k") == restored_encoding(shape)
    # It stays editable: both ends and the middle.
    rb.lpush("k", b"new-head")
    rb.rpush("k", b"new-tail")
    rb.linsert("k", "AFTER", values[len(values) // 2], b"mid")
    assert rb.lindex("k", 0) == b"new-head"
    assert rb.lindex("k", -1) == b"new-tail"


def test_small_list_dump_bytes_equal_redis(rb, rbpeer):
    rb.rpush("k", *LIST_SHAPES["small"])
    rbpeer.rpush("k", *LIST_SHAPES["small"])
    assert rb.dump("k") == rbpeer.dump("k")


def test_restore_rejects_damaged_list_payloads(rb):
    rb.rpush("k", b"a", b"b")
    payload = bytearray(rb.dump("k"))
    payload[5] ^= 0xFF  # inside the listpack; the checksum now disagrees
    with raises_reply("ERR DUMP payload version or checksum are wrong"):
        call(rb, "RESTORE", "k2", "0", bytes(payload))
    assert rb.exists("k2") == 0


# --------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------







def build_lists(c, prefix):
    """Writes touching every list effect, including several on one key in a transaction."""
    c.rpush(f"{prefix}:q", *[f"job{i}" for i in range(3000)])
    c.lpush(f"{prefix}:q", "urgent1", "urgent2")
    c.lpop(f"{prefix}:q")
    c.execute_command("RPOP", f"{prefix}:q", "5")
    c.execute_command("LSET", f"{prefix}:q", "100", "changed")
    c.execute_command("LSET", f"{prefix}:q", "-1", "y" * 9000)
    c.linsert(f"{prefix}:q", "BEFORE", "job1500", "before-1500")
    c.rpush(f"{prefix}:q", "dup", "dup", "dup")
    c.lrem(f"{prefix}:q", -2, "dup")
    c.execute_command("LTRIM", f"{prefix}:q", "3", "-2")
    c.rpush(f"{prefix}:small", "a", "b", "c")
    c.execute_command("LMOVE", f"{prefix}:small", f"{prefix}:dst", "LEFT", "RIGHT")
    c.execute_command("LMOVE", f"{prefix}:small", f"{prefix}:small", "LEFT", "RIGHT")
    c.rpoplpush(f"{prefix}:q", f"{prefix}:dst")
    c.execute_command("LMPOP", "2", f"{prefix}:none", f"{prefix}:dst", "RIGHT", "COUNT", "1")
    c.rpush(f"{prefix}:gone", "x")
    c.lpop(f"{prefix}:gone")
    c.rpush(f"{prefix}:ttl", "t")
    c.expire(f"{prefix}:ttl", 1000)
    c.execute_command("LMOVE", f"{prefix}:ttl", f"{prefix}:ttl", "LEFT", "LEFT")
    pipe = c.pipeline(transaction=True)
    pipe.rpush(f"{prefix}:tx", "1")
    pipe.rpush(f"{prefix}:tx", "2")
    pipe.lpush(f"{prefix}:tx", "0")
    pipe.execute_command("LMOVE", f"{prefix}:tx", f"{prefix}:tx", "RIGHT", "LEFT")
    pipe.execute()


def snapshot(c):
    keys = sorted(c.keys("*"))
    return call(c, "DEBUG", "DIGEST"), keys, {k: c.lrange(k, 0, -1) for k in keys}


def test_lists_survive_sigkill_with_the_journal(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    build_lists(c, "a")
    before = snapshot(c)
    assert before[2]["a:tx"] == ["2", "0", "1"]
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert snapshot(c) == before
        assert c.ttl("a:ttl") > 990
    finally:
        srv.stop()


def test_lists_survive_save_then_more_writes_then_sigkill(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    build_lists(c, "a")
    assert c.save() is True
    build_lists(c, "b")  # after the checkpoint: only in the journal
    c.rpush("a:q", "after-save")
    c.lpop("a:small")
    before = snapshot(c)
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        assert snapshot(srv.client()) == before
    finally:
        srv.stop()


def test_saved_lists_load_in_both_encodings(tmp_path):
    srv = start_server(tmp_path)
    c = srv.client()
    c.rpush("small", "a", "b")
    c.rpush("big", *[str(i) for i in range(10000)])
    c.rpush("plain", "p" * 50000)
    assert c.save() is True
    before = snapshot(c)
    sigkill(srv)
    srv = start_server(tmp_path)
    try:
        c = srv.client()
        assert snapshot(c) == before
        assert call(c, "OBJECT", "ENCODING", "small") == small_encoding()
        assert call(c, "OBJECT", "ENCODING", "big") == "quicklist"
        assert call(c, "OBJECT", "ENCODING", "plain") == "quicklist"
    finally:
        srv.stop()
