"""Sorted sets: every command with its replies and errors (RESP2 and RESP3), OBJECT
ENCODING at both thresholds and under CONFIG SET, a large set checked against a model,
DEBUG DIGEST-VALUE and DUMP/RESTORE against a real redis-server (peer) for both
encodings, and survival of SIGKILL under the journal, before and after a SAVE.

Every expectation was checked against redis-server 7.0.15 (reference mode). Where tierkv
follows Redis 7.2 instead, the test says so: ZRANK/ZREVRANK WITHSCORE (7.2), ZADD's
early conversion when it brings more pairs than zset-max-listpack-entries (7.2), and
scores printed in their shortest form (7.2: ZSCORE of 0.1 is "0.1", 7.0 printed
"0.10000000000000001"; both read back as the same double).
"""
import math
import random

import pytest

from conftest import (ALWAYS, sigkill, start_server, NOT_INT, SYNTAX, WRONGTYPE, call, is_reference,
                      raises_reply)

ZSET_ENTRIES = 128  # zset-max-listpack-entries default
ZSET_VALUE = 64     # zset-max-listpack-value default
NOT_FLOAT = "ERR value is not a valid float"
MIN_MAX_FLOAT = "ERR min or max is not a float"
MIN_MAX_LEX = "ERR min or max not valid string range item"
NAN_RESULT = "ERR resulting score is not a number (NaN)"


def encoding(client, key):
    return call(client, "OBJECT", "ENCODING", key)


def wrongtype_key(client, key="str"):
    client.set(key, "x")
    return key


def fill(client, key, count, prefix="m", size=None):
    """ZADD `count` members prefix0..prefixN-1 with scores 0..N-1 in one command."""
    args = []
    for i in range(count):
        member = f"{prefix}{i}" if size is None else (f"{prefix}{i}:" + "x" * size)[:size]
        args += [i, member]
    call(client, "ZADD", key, *args)


def abc(client, key="z"):
    call(client, "ZADD", key, 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")


# --------------------------------------------------------------------------- ZADD / ZINCRBY

def test_zadd_counts_added_members_and_ch_counts_changes(r):
    assert call(r, "ZADD", "z", 1, "a", 2, "b") == 2
    assert call(r, "ZADD", "z", 1, "a", 3, "b", 4, "c") == 1
    assert call(r, "ZADD", "z", "CH", 1, "a", 5, "b", 6, "d") == 2
    assert r.zrange("z", 0, -1, withscores=True) == [("a", 1), ("c", 4), ("b", 5), ("d", 6)]
    # A member named twice: the last score wins.
    assert call(r, "ZADD", "y", 1, "x", 2, "x") == 1
    assert r.zscore("y", "x") == 2


def test_zadd_nx_xx_gt_lt(r):
    abc(r)
    assert call(r, "ZADD", "z", "NX", 10, "a", 6, "f") == 1
    assert r.zscore("z", "a") == 1
    assert call(r, "ZADD", "z", "XX", 10, "a", 7, "g") == 0
    assert r.zscore("z", "a") == 10 and r.zscore("z", "g") is None
    assert call(r, "ZADD", "z", "GT", "CH", 5, "a", 20, "b", 1, "h") == 2  # b raised, h added
    assert call(r, "ZADD", "z", "LT", "CH", 50, "a", 1, "c") == 1
    assert call(r, "ZADD", "z", "XX", "GT", "CH", 11, "a", 0, "b", 9, "new") == 1
    assert r.zscore("z", "new") is None
    assert call(r, "ZADD", "missing", "XX", 1, "a") == 0
    assert r.exists("missing") == 0


def test_zadd_incr(r):
    assert call(r, "ZADD", "z", "INCR", 1.5, "a") == "1.5"
    assert call(r, "ZADD", "z", "INCR", "-0.5", "a") == "1"
    # A condition that keeps the element out answers nil.
    assert call(r, "ZADD", "z", "NX", "INCR", 1, "a") is None
    assert call(r, "ZADD", "z", "XX", "INCR", 1, "b") is None
    assert call(r, "ZADD", "z", "GT", "INCR", "-1", "a") is None
    assert call(r, "ZADD", "z", "LT", "INCR", "-1", "a") == "0"
    assert call(r, "ZADD", "missing", "XX", "INCR", 1, "a") is None
    assert r.exists("missing") == 0


def test_zadd_errors(r):
    with raises_reply("ERR XX and NX options at the same time are not compatible"):
        call(r, "ZADD", "z", "NX", "XX", 1, "a")
    for options in (["GT", "LT"], ["GT", "NX"], ["LT", "NX"]):
        with raises_reply("ERR GT, LT, and/or NX options at the same time are not compatible"):
            call(r, "ZADD", "z", *options, 1, "a")
    with raises_reply("ERR INCR option supports a single increment-element pair"):
        call(r, "ZADD", "z", "INCR", 1, "a", 2, "b")
    with raises_reply(SYNTAX):
        call(r, "ZADD", "z", 1, "a", 2)
    with raises_reply(SYNTAX):
        call(r, "ZADD", "z", "NX", "CH")
    with raises_reply("ERR wrong number of arguments for 'zadd' command"):
        call(r, "ZADD", "z", 1)
    for bad in ("nan", "abc", "1e400", "", " 1"):
        with raises_reply(NOT_FLOAT):
            call(r, "ZADD", "z", 1, "a", bad, "b")
    # A bad score anywhere leaves the set untouched.
    assert r.exists("z") == 0


def test_zadd_nan_from_an_increment(r):
    call(r, "ZADD", "z", "inf", "a")
    with raises_reply(NAN_RESULT):
        call(r, "ZADD", "z", "INCR", "-inf", "a")
    with raises_reply(NAN_RESULT):
        call(r, "ZINCRBY", "z", "-inf", "a")
    assert call(r, "ZSCORE", "z", "a") == "inf"


def test_zincrby(r):
    assert call(r, "ZINCRBY", "z", 2, "a") == "2"
    assert call(r, "ZINCRBY", "z", "-3.5", "a") == "-1.5"
    assert call(r, "ZINCRBY", "z", "+inf", "b") == "inf"
    with raises_reply(NOT_FLOAT):
        call(r, "ZINCRBY", "z", "x", "a")
    with raises_reply("ERR wrong number of arguments for 'zincrby' command"):
        call(r, "ZINCRBY", "z", 1)


def test_argument_errors_come_before_the_type_check(r):
    wrongtype_key(r)
    with raises_reply(SYNTAX):
        call(r, "ZADD", "str", 1, "a", 2)
    with raises_reply(NOT_FLOAT):
        call(r, "ZADD", "str", "x", "a")
    with raises_reply(MIN_MAX_FLOAT):
        call(r, "ZCOUNT", "str", "a", "b")
    with raises_reply(MIN_MAX_LEX):
        call(r, "ZLEXCOUNT", "str", "a", "b")
    with raises_reply(NOT_INT):
        call(r, "ZRANGE", "str", "a", "b")
    with raises_reply(NOT_INT):
        call(r, "ZREMRANGEBYRANK", "str", "a", 0)
    with raises_reply("ERR value is out of range, must be positive"):
        call(r, "ZPOPMIN", "str", -1)
    with raises_reply("ERR invalid cursor"):
        call(r, "ZSCAN", "str", "x")


# --------------------------------------------------------------------------- ZREM / reads

def test_zrem_removes_and_deletes_the_empty_key(r):
    abc(r)
    assert call(r, "ZREM", "z", "a", "nope", "a") == 1
    assert call(r, "ZREM", "missing", "a") == 0
    assert call(r, "ZREM", "z", "b", "c", "d", "e") == 4
    assert r.exists("z") == 0


def test_zcard_zscore_zmscore(r):
    abc(r)
    assert r.zcard("z") == 5
    assert r.zcard("missing") == 0
    assert call(r, "ZSCORE", "z", "c") == "3"
    assert call(r, "ZSCORE", "z", "zz") is None
    assert call(r, "ZSCORE", "missing", "a") is None
    assert call(r, "ZMSCORE", "z", "a", "zz", "e") == ["1", None, "5"]
    assert call(r, "ZMSCORE", "missing", "a", "b") == [None, None]


def test_zrank_and_zrevrank(r):
    abc(r)
    assert r.zrank("z", "a") == 0
    assert r.zrank("z", "e") == 4
    assert r.zrevrank("z", "a") == 4
    assert r.zrank("z", "nope") is None
    assert r.zrevrank("missing", "a") is None


@pytest.mark.tierkv_only  # WITHSCORE is Redis 7.2
def test_zrank_withscore(r):
    abc(r)
    assert call(r, "ZRANK", "z", "c", "WITHSCORE") == [2, "3"]
    assert call(r, "ZREVRANK", "z", "c", "withscore") == [2, "3"]
    assert call(r, "ZRANK", "z", "nope", "WITHSCORE") is None
    with raises_reply(SYNTAX):
        call(r, "ZRANK", "z", "c", "WITHSCORES")
    with raises_reply("ERR wrong number of arguments for 'zrank' command"):
        call(r, "ZRANK", "z", "c", "WITHSCORE", "x")


def test_zcount_bounds(r):
    abc(r)
    assert r.zcount("z", "-inf", "+inf") == 5
    assert r.zcount("z", "(1", "3") == 2
    assert r.zcount("z", "(1", "(3") == 1
    assert r.zcount("z", 3, 1) == 0
    assert r.zcount("z", "(3", 3) == 0
    # Redis reads bounds with strtod: leading spaces pass, the empty string is 0.
    assert r.zcount("z", " 2", "inf") == 4
    assert r.zcount("z", "", 3) == 3
    assert r.zcount("missing", 0, 1) == 0
    for bad in (("a", "1"), ("1", "x"), ("nan", "1"), ("((1", "2")):
        with raises_reply(MIN_MAX_FLOAT):
            call(r, "ZCOUNT", "z", *bad)


def test_zlexcount_and_lex_bounds(r):
    call(r, "ZADD", "z", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e")
    assert r.zlexcount("z", "-", "+") == 5
    assert r.zlexcount("z", "[b", "[d") == 3
    assert r.zlexcount("z", "(b", "(d") == 1
    assert r.zlexcount("z", "+", "-") == 0
    assert r.zlexcount("z", "[", "+") == 5  # the empty string sorts first
    assert r.zlexcount("missing", "-", "+") == 0
    for bad in (("a", "+"), ("-", "b"), ("+x", "+"), ("", "+")):
        with raises_reply(MIN_MAX_LEX):
            call(r, "ZLEXCOUNT", "z", *bad)


# --------------------------------------------------------------------------- ZRANGE family

def test_zrange_by_rank(r):
    abc(r)
    assert r.zrange("z", 0, -1) == ["a", "b", "c", "d", "e"]
    assert r.zrange("z", -2, 100) == ["d", "e"]
    assert r.zrange("z", 3, 1) == []
    assert r.zrange("z", 5, 10) == []
    assert call(r, "ZRANGE", "z", 0, 1, "WITHSCORES") == ["a", "1", "b", "2"]
    assert call(r, "ZRANGE", "z", 0, 1, "REV") == ["e", "d"]
    assert call(r, "ZREVRANGE", "z", 0, 1, "WITHSCORES") == ["e", "5", "d", "4"]
    assert call(r, "ZRANGE", "missing", 0, -1) == []


def test_zrange_by_score_and_limit(r):
    abc(r)
    assert call(r, "ZRANGE", "z", "(1", 4, "BYSCORE") == ["b", "c", "d"]
    assert call(r, "ZRANGE", "z", 5, "(1", "BYSCORE", "REV", "WITHSCORES") == ["e", "5", "d", "4", "c", "3", "b", "2"]
    assert call(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 1, 2) == ["b", "c"]
    assert call(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 1, -1) == ["b", "c", "d", "e"]
    assert call(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 0, 0) == []
    assert call(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", -1, 2) == []
    assert call(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 5, 2) == []
    assert call(r, "ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 1, 2) == ["d", "c"]
    assert call(r, "ZRANGEBYSCORE", "z", 2, 4, "WITHSCORES", "LIMIT", 1, 5) == ["c", "3", "d", "4"]
    assert call(r, "ZREVRANGEBYSCORE", "z", "+inf", "(4") == ["e"]
    assert call(r, "ZRANGEBYSCORE", "z", 4, 2) == []


def test_zrange_by_lex(r):
    call(r, "ZADD", "z", *sum([[0, m] for m in "abcdefg"], []))
    assert call(r, "ZRANGE", "z", "[b", "(e", "BYLEX") == ["b", "c", "d"]
    assert call(r, "ZRANGE", "z", "+", "[e", "BYLEX", "REV", "LIMIT", 1, 2) == ["f", "e"]
    assert call(r, "ZRANGEBYLEX", "z", "-", "+", "LIMIT", 5, 10) == ["f", "g"]
    assert call(r, "ZREVRANGEBYLEX", "z", "(c", "-") == ["b", "a"]
    assert call(r, "ZRANGEBYLEX", "z", "+", "-") == []


def test_zrange_option_errors(r):
    abc(r)
    with raises_reply("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"):
        call(r, "ZRANGE", "z", 0, -1, "LIMIT", 0, 1)
    assert call(r, "ZRANGE", "z", 0, 0, "LIMIT", 0, -1) == ["a"]  # count -1 means "no LIMIT"
    with raises_reply("ERR syntax error, WITHSCORES not supported in combination with BYLEX"):
        call(r, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES")
    for args in (["BYSCORE", "BYLEX"], ["REV", "REV"], ["LIMIT"], ["LIMIT", 0], ["FOO"]):
        with raises_reply(SYNTAX):
            call(r, "ZRANGE", "z", 0, -1, *args)
    with raises_reply(NOT_INT):
        call(r, "ZRANGE", "z", 0, -1, "BYSCORE", "LIMIT", "a", 1)
    with raises_reply(MIN_MAX_FLOAT):
        call(r, "ZRANGE", "z", "x", "y", "BYSCORE")
    with raises_reply(MIN_MAX_LEX):
        call(r, "ZRANGE", "z", "a", "b", "BYLEX")
    # The older forms fix the type and direction.
    with raises_reply(SYNTAX):
        call(r, "ZRANGEBYSCORE", "z", 0, 1, "REV")
    with raises_reply(SYNTAX):
        call(r, "ZRANGEBYSCORE", "z", 0, 1, "BYSCORE")
    with raises_reply("ERR syntax error, WITHSCORES not supported in combination with BYLEX"):
        call(r, "ZRANGEBYLEX", "z", "-", "+", "WITHSCORES")
    with raises_reply("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"):
        call(r, "ZREVRANGE", "z", 0, 1, "LIMIT", 0, 1)


def test_zrangestore(r):
    abc(r)
    assert call(r, "ZRANGESTORE", "dst", "z", 0, 1) == 2
    assert r.zrange("dst", 0, -1, withscores=True) == [("a", 1), ("b", 2)]
    assert call(r, "ZRANGESTORE", "dst", "z", 5, "(2", "BYSCORE", "REV", "LIMIT", 0, 2) == 2
    assert r.zrange("dst", 0, -1, withscores=True) == [("d", 4), ("e", 5)]
    wrongtype_key(r, "s")
    assert call(r, "ZRANGESTORE", "s", "z", 0, 0) == 1  # replaces any type
    assert r.type("s") == "zset"
    # An empty result deletes the destination.
    assert call(r, "ZRANGESTORE", "dst", "z", 10, 20) == 0
    assert call(r, "ZRANGESTORE", "s", "missing", 0, -1) == 0
    assert r.exists("dst", "s") == 0
    with raises_reply(SYNTAX):
        call(r, "ZRANGESTORE", "dst", "z", 0, 1, "WITHSCORES")
    wrongtype_key(r)
    with raises_reply(WRONGTYPE):
        call(r, "ZRANGESTORE", "dst", "str", 0, 1)


# --------------------------------------------------------------------------- removals and pops

def test_zremrangebyrank_score_lex(r):
    fill(r, "z", 10)
    assert call(r, "ZREMRANGEBYRANK", "z", 0, 1) == 2
    assert call(r, "ZREMRANGEBYRANK", "z", -2, -1) == 2
    assert call(r, "ZREMRANGEBYRANK", "z", 10, 20) == 0
    assert r.zrange("z", 0, -1) == ["m2", "m3", "m4", "m5", "m6", "m7"]
    assert call(r, "ZREMRANGEBYSCORE", "z", "(2", 4) == 2
    assert call(r, "ZREMRANGEBYSCORE", "z", 100, 200) == 0
    with raises_reply(MIN_MAX_FLOAT):
        call(r, "ZREMRANGEBYSCORE", "z", "a", 1)
    assert call(r, "ZREMRANGEBYSCORE", "z", "-inf", "+inf") == 4
    assert r.exists("z") == 0
    call(r, "ZADD", "l", 0, "a", 0, "b", 0, "c", 0, "d")
    assert call(r, "ZREMRANGEBYLEX", "l", "[b", "(d") == 2
    assert r.zrange("l", 0, -1) == ["a", "d"]
    with raises_reply(MIN_MAX_LEX):
        call(r, "ZREMRANGEBYLEX", "l", "b", "d")
    assert call(r, "ZREMRANGEBYLEX", "missing", "-", "+") == 0


def test_zpopmin_zpopmax(r):
    abc(r)
    assert call(r, "ZPOPMIN", "z") == ["a", "1"]
    assert call(r, "ZPOPMAX", "z") == ["e", "5"]
    assert call(r, "ZPOPMIN", "z", 2) == ["b", "2", "c", "3"]
    assert call(r, "ZPOPMIN", "z", 0) == []
    assert call(r, "ZPOPMAX", "z", 10) == ["d", "4"]
    assert r.exists("z") == 0
    assert call(r, "ZPOPMIN", "missing") == []
    assert call(r, "ZPOPMIN", "missing", 3) == []
    for bad in ("-1", "x"):
        with raises_reply("ERR value is out of range, must be positive"):
            call(r, "ZPOPMIN", "z", bad)
    with raises_reply(SYNTAX):
        call(r, "ZPOPMAX", "z", 1, 2)


def test_zmpop(r):
    abc(r)
    assert call(r, "ZMPOP", 2, "missing", "z", "MIN", "COUNT", 2) == ["z", [["a", "1"], ["b", "2"]]]
    assert call(r, "ZMPOP", 1, "z", "max") == ["z", [["e", "5"]]]
    assert call(r, "ZMPOP", 1, "missing", "MAX") is None
    assert call(r, "ZMPOP", 1, "z", "MIN", "COUNT", 10) == ["z", [["c", "3"], ["d", "4"]]]
    assert r.exists("z") == 0
    for args in ([0, "z", "MIN"], ["x", "z", "MIN"], [-1, "z", "MIN"]):
        with raises_reply("ERR numkeys should be greater than 0"):
            call(r, "ZMPOP", *args)
    for args in ([1, "z", "z"], [1, "z", "LEFT"], [3, "z", "MIN"], [1, "z", "MIN", "COUNT"],
                 [1, "z", "MIN", "COUNT", 1, "COUNT", 2]):
        with raises_reply(SYNTAX):
            call(r, "ZMPOP", *args)
    for count in (0, -1, "x"):
        with raises_reply("ERR count should be greater than 0"):
            call(r, "ZMPOP", 1, "z", "MIN", "COUNT", count)
    wrongtype_key(r)
    with raises_reply(WRONGTYPE):
        call(r, "ZMPOP", 2, "missing", "str", "MIN")


# --------------------------------------------------------------------------- ZRANDMEMBER

@pytest.mark.parametrize("size", [5, 300])
def test_zrandmember_counts(r, size):
    fill(r, "z", size)
    members = {f"m{i}" for i in range(size)}
    assert call(r, "ZRANDMEMBER", "z") in members
    picked = call(r, "ZRANDMEMBER", "z", 3)
    assert len(picked) == 3 and len(set(picked)) == 3 and set(picked) <= members
    # More than the set holds: all of it, highest score first.
    everything = call(r, "ZRANDMEMBER", "z", size + 10, "WITHSCORES")
    assert everything[::2] == [f"m{i}" for i in reversed(range(size))]
    assert everything[1::2] == [str(i) for i in reversed(range(size))]
    pairs = call(r, "ZRANDMEMBER", "z", 4, "WITHSCORES")
    assert len(pairs) == 8
    for member, score in zip(pairs[::2], pairs[1::2]):
        assert "m" + score == member
    repeated = call(r, "ZRANDMEMBER", "z", -20)
    assert len(repeated) == 20 and set(repeated) <= members
    assert call(r, "ZRANDMEMBER", "z", 0) == []


def test_zrandmember_errors_and_missing_key(r):
    abc(r)
    assert call(r, "ZRANDMEMBER", "missing") is None
    assert call(r, "ZRANDMEMBER", "missing", 5) == []
    assert call(r, "ZRANDMEMBER", "missing", -5, "WITHSCORES") == []
    call(r, "ZADD", "one", 5, "only")
    assert call(r, "ZRANDMEMBER", "one", -3, "WITHSCORES") == ["only", "5"] * 3
    with raises_reply(NOT_INT):
        call(r, "ZRANDMEMBER", "z", "x")
    with raises_reply("ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"):
        call(r, "ZRANDMEMBER", "z", "-9223372036854775808")
    with raises_reply("ERR value is out of range"):
        call(r, "ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES")
    with raises_reply(SYNTAX):
        call(r, "ZRANDMEMBER", "z", 1, "WITHSCORE")
    with raises_reply(SYNTAX):
        call(r, "ZRANDMEMBER", "z", 1, "WITHSCORES", "x")


# --------------------------------------------------------------------------- set operations

def build_inputs(r):
    call(r, "ZADD", "u1", 1, "a", 2, "b", 3, "c")
    call(r, "ZADD", "u2", 10, "b", 20, "c", 30, "d")
    r.sadd("s1", "a", "d", "x")


def test_zunion_zinter_zdiff(r):
    build_inputs(r)
    assert call(r, "ZUNION", 2, "u1", "u2", "WITHSCORES") == ["a", "1", "b", "12", "c", "23", "d", "30"]
    assert call(r, "ZUNION", 2, "u1", "u2", "WEIGHTS", 2, "0.5", "WITHSCORES") == \
        ["a", "2", "b", "9", "d", "15", "c", "16"]
    assert call(r, "ZUNION", 2, "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES") == \
        ["a", "1", "b", "2", "c", "3", "d", "30"]
    assert call(r, "ZUNION", 2, "u1", "u2", "aggregate", "max") == ["a", "b", "c", "d"]
    # Sets count as members with score 1.
    assert call(r, "ZUNION", 2, "u1", "s1", "WITHSCORES") == ["d", "1", "x", "1", "a", "2", "b", "2", "c", "3"]
    assert call(r, "ZINTER", 2, "u1", "u2", "WITHSCORES") == ["b", "12", "c", "23"]
    assert call(r, "ZINTER", 2, "u1", "s1", "WITHSCORES") == ["a", "2"]
    assert call(r, "ZINTER", 2, "u1", "u2", "AGGREGATE", "MAX", "WEIGHTS", 1, "0.5") == ["b", "c"]
    assert call(r, "ZINTER", 3, "u1", "u2", "missing") == []
    assert call(r, "ZDIFF", 2, "u1", "u2", "WITHSCORES") == ["a", "1"]
    assert call(r, "ZDIFF", 2, "s1", "u1", "WITHSCORES") == ["d", "1", "x", "1"]
    assert call(r, "ZDIFF", 2, "u1", "u1") == []
    assert call(r, "ZDIFF", 1, "missing") == []


def test_set_operations_with_infinities(r):
    call(r, "ZADD", "p", 1, "a")
    call(r, "ZADD", "q", 1, "a")
    # inf + -inf is taken as 0, and so is inf * 0.
    assert call(r, "ZUNION", 2, "p", "q", "WEIGHTS", "inf", "-inf", "WITHSCORES") == ["a", "0"]
    call(r, "ZADD", "zero", 0, "a")
    assert call(r, "ZUNION", 1, "zero", "WEIGHTS", "inf", "WITHSCORES") == ["a", "0"]


def test_set_operation_store_forms(r):
    build_inputs(r)
    assert call(r, "ZUNIONSTORE", "out", 2, "u1", "u2", "WEIGHTS", 1, 1, "AGGREGATE", "SUM") == 4
    assert r.zrange("out", 0, -1, withscores=True) == [("a", 1), ("b", 12), ("c", 23), ("d", 30)]
    assert call(r, "ZINTERSTORE", "out", 2, "u1", "u2") == 2
    assert r.zrange("out", 0, -1) == ["b", "c"]
    assert call(r, "ZDIFFSTORE", "out", 2, "u1", "u2") == 1
    assert r.zrange("out", 0, -1) == ["a"]
    # The destination may be an input, and an empty result deletes it.
    assert call(r, "ZUNIONSTORE", "u1", 2, "u1", "u1") == 3
    assert r.zscore("u1", "c") == 6
    assert call(r, "ZINTERSTORE", "out", 2, "u1", "missing") == 0
    assert r.exists("out") == 0
    wrongtype_key(r, "target")
    assert call(r, "ZDIFFSTORE", "target", 1, "u2") == 3
    assert r.type("target") == "zset"
    with raises_reply(SYNTAX):
        call(r, "ZUNIONSTORE", "out", 2, "u1", "u2", "WITHSCORES")


def test_set_operation_errors(r):
    build_inputs(r)
    for command in ("zunion", "zinter", "zdiff", "zintercard"):
        with raises_reply(f"ERR at least 1 input key is needed for '{command}' command"):
            call(r, command.upper(), 0, "u1")
        with raises_reply(NOT_INT):
            call(r, command.upper(), "x", "u1")
        with raises_reply(SYNTAX):
            call(r, command.upper(), 3, "u1", "u2")
    for command in ("zunionstore", "zinterstore", "zdiffstore"):
        with raises_reply(f"ERR at least 1 input key is needed for '{command}' command"):
            call(r, command.upper(), "out", 0, "u1")
    with raises_reply("ERR weight value is not a float"):
        call(r, "ZUNION", 2, "u1", "u2", "WEIGHTS", 1, "x")
    for options in (["WEIGHTS", 1], ["AGGREGATE", "avg"], ["AGGREGATE"], ["FOO"]):
        with raises_reply(SYNTAX):
            call(r, "ZINTER", 2, "u1", "u2", *options)
    with raises_reply(SYNTAX):
        call(r, "ZDIFF", 2, "u1", "u2", "WEIGHTS", 1, 2)
    wrongtype_key(r)
    with raises_reply(WRONGTYPE):
        call(r, "ZUNION", 2, "u1", "str")
    # A key of the wrong type is reported before the options' errors, as Redis reads the
    # keys first.
    with raises_reply(WRONGTYPE):
        call(r, "ZUNION", 2, "u1", "str", "WEIGHTS", 1, "x")


def test_zintercard(r):
    build_inputs(r)
    assert call(r, "ZINTERCARD", 2, "u1", "u2") == 2
    assert call(r, "ZINTERCARD", 2, "u1", "u2", "LIMIT", 1) == 1
    assert call(r, "ZINTERCARD", 2, "u1", "u2", "LIMIT", 0) == 2
    assert call(r, "ZINTERCARD", 3, "u1", "u2", "s1") == 0
    assert call(r, "ZINTERCARD", 2, "u1", "missing") == 0
    for bad in ("-1", "x"):
        with raises_reply("ERR LIMIT can't be negative"):
            call(r, "ZINTERCARD", 2, "u1", "u2", "LIMIT", bad)
    with raises_reply(SYNTAX):
        call(r, "ZINTERCARD", 2, "u1", "u2", "WITHSCORES")


# --------------------------------------------------------------------------- ZSCAN

def test_zscan_listpack_returns_everything_at_once(r):
    abc(r)
    cursor, items = call(r, "ZSCAN", "z", 0)
    assert cursor == "0"
    assert items == ["a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]
    assert call(r, "ZSCAN", "z", 0, "MATCH", "[bd]")[1] == ["b", "2", "d", "4"]
    assert call(r, "ZSCAN", "missing", 0) == ["0", []]


def test_zscan_skiplist_pages_and_covers_everything(r):
    fill(r, "z", 1000)
    seen = {}
    cursor = "0"
    rounds = 0
    while True:
        cursor, items = call(r, "ZSCAN", "z", cursor, "COUNT", 50)
        for member, score in zip(items[::2], items[1::2]):
            seen[member] = score
        rounds += 1
        if cursor == "0":
            break
    assert rounds > 5
    assert seen == {f"m{i}": str(i) for i in range(1000)}
    matched = set()
    cursor = "0"
    while True:
        cursor, items = call(r, "ZSCAN", "z", cursor, "MATCH", "m99*", "COUNT", 200)
        matched.update(items[::2])
        if cursor == "0":
            break
    assert matched == {"m99"} | {f"m99{i}" for i in range(10)}


def test_zscan_keeps_members_present_throughout_while_the_set_changes(r):
    fill(r, "z", 500)
    seen = set()
    cursor = "0"
    step = 0
    while True:
        cursor, items = call(r, "ZSCAN", "z", cursor, "COUNT", 20)
        seen.update(items[::2])
        step += 1
        if step == 3:
            fill(r, "z", 3000, prefix="grow")
        if step == 6:
            call(r, "ZREMRANGEBYSCORE", "z", 100, "+inf")
        if cursor == "0":
            break
    assert {f"m{i}" for i in range(100)} <= seen


def test_zscan_errors(r):
    abc(r)
    with raises_reply("ERR invalid cursor"):
        call(r, "ZSCAN", "z", "abc")
    with raises_reply(SYNTAX):
        call(r, "ZSCAN", "z", 0, "COUNT", 0)
    with raises_reply(SYNTAX):
        call(r, "ZSCAN", "z", 0, "TYPE", "zset")
    with raises_reply(SYNTAX):
        call(r, "ZSCAN", "z", 0, "COUNT")
    # Options are read only for an existing key of the right type.
    assert call(r, "ZSCAN", "missing", 0, "COUNT", 0) == ["0", []]
    wrongtype_key(r)
    with raises_reply(WRONGTYPE):
        call(r, "ZSCAN", "str", 0, "COUNT", 0)


# --------------------------------------------------------------------------- types, arity

def test_every_command_against_the_wrong_type(r):
    wrongtype_key(r)
    commands = [
        ("ZADD", "str", 1, "a"), ("ZINCRBY", "str", 1, "a"), ("ZREM", "str", "a"), ("ZCARD", "str"),
        ("ZSCORE", "str", "a"), ("ZMSCORE", "str", "a"), ("ZRANK", "str", "a"), ("ZREVRANK", "str", "a"),
        ("ZCOUNT", "str", 0, 1), ("ZLEXCOUNT", "str", "-", "+"), ("ZRANGE", "str", 0, -1),
        ("ZRANGEBYSCORE", "str", 0, 1), ("ZREVRANGEBYSCORE", "str", 1, 0), ("ZRANGEBYLEX", "str", "-", "+"),
        ("ZREVRANGEBYLEX", "str", "+", "-"), ("ZREVRANGE", "str", 0, 1), ("ZREMRANGEBYRANK", "str", 0, 1),
        ("ZREMRANGEBYSCORE", "str", 0, 1), ("ZREMRANGEBYLEX", "str", "-", "+"), ("ZPOPMIN", "str"),
        ("ZPOPMAX", "str", 0), ("ZRANDMEMBER", "str"), ("ZRANDMEMBER", "str", 1), ("ZSCAN", "str", 0),
        ("ZUNION", 1, "str"), ("ZINTER", 1, "str"), ("ZDIFF", 1, "str"), ("ZINTERCARD", 1, "str"),
        ("ZUNIONSTORE", "d", 1, "str"), ("ZMPOP", 1, "str", "MIN"),
    ]
    for args in commands:
        with raises_reply(WRONGTYPE):
            call(r, *args)


@pytest.mark.parametrize("command,arity", [
    ("ZADD", -4), ("ZINCRBY", 4), ("ZREM", -3), ("ZCARD", 2), ("ZSCORE", 3), ("ZMSCORE", -3),
    ("ZCOUNT", 4), ("ZLEXCOUNT", 4), ("ZRANGE", -4), ("ZRANGESTORE", -5), ("ZRANGEBYSCORE", -4),
    ("ZREVRANGEBYSCORE", -4), ("ZRANGEBYLEX", -4), ("ZREVRANGEBYLEX", -4), ("ZREVRANGE", -4),
    ("ZREMRANGEBYRANK", 4), ("ZREMRANGEBYSCORE", 4), ("ZREMRANGEBYLEX", 4), ("ZPOPMIN", -2),
    ("ZPOPMAX", -2), ("ZMPOP", -4), ("ZRANDMEMBER", -2), ("ZUNION", -3), ("ZINTER", -3),
    ("ZDIFF", -3), ("ZINTERCARD", -3), ("ZUNIONSTORE", -4), ("ZINTERSTORE", -4), ("ZDIFFSTORE", -4),
    ("ZSCAN", -3)])
def test_arity(r, command, arity):
    info = call(r, "COMMAND", "INFO", command)[0]
    assert info[1] == arity
    too_few = abs(arity) - 2
    with raises_reply(f"ERR wrong number of arguments for '{command.lower()}' command"):
        call(r, command, *(["k"] * too_few))


def test_getkeys_for_movable_key_commands(r):
    assert call(r, "COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", 2, "a", "b", "WEIGHTS", 1, 2) == ["dst", "a", "b"]
    assert call(r, "COMMAND", "GETKEYS", "ZINTER", 2, "a", "b") == ["a", "b"]
    assert call(r, "COMMAND", "GETKEYS", "ZMPOP", 2, "a", "b", "MIN") == ["a", "b"]
    assert call(r, "COMMAND", "GETKEYS", "ZRANGESTORE", "dst", "src", 0, 1) == ["dst", "src"]


# --------------------------------------------------------------------------- scores as text

def test_score_text(r):
    call(r, "ZADD", "z", "inf", "pinf", "-inf", "ninf", "1e20", "big", "-2.5", "neg", 12345, "int",
         "1e300", "huge", "0x10", "hex")
    assert call(r, "ZSCORE", "z", "pinf") == "inf"
    assert call(r, "ZSCORE", "z", "ninf") == "-inf"
    assert call(r, "ZSCORE", "z", "big") == "1e+20"
    assert call(r, "ZSCORE", "z", "neg") == "-2.5"
    assert call(r, "ZSCORE", "z", "int") == "12345"
    assert call(r, "ZSCORE", "z", "hex") == "16"
    # Redis 7.2 prints the shortest text that reads back as the same double.
    expected = "1.0000000000000001e+300" if is_reference() else "1e+300"
    assert call(r, "ZSCORE", "z", "huge") == expected
    call(r, "ZADD", "z", "0.1", "tenth")
    expected = "0.10000000000000001" if is_reference() else "0.1"
    assert call(r, "ZSCORE", "z", "tenth") == expected
    assert float(call(r, "ZINCRBY", "z", "0.2", "tenth")) == 0.1 + 0.2
    # -0 reads back as 0 from a listpack.
    call(r, "ZADD", "z", "-0", "negzero")
    assert call(r, "ZSCORE", "z", "negzero") == "0"


# --------------------------------------------------------------------------- RESP3

def test_resp3_reply_shapes(r3):
    r3.call("ZADD", "z", "1", "a", "2.5", "b", "3", "c")
    assert r3.call("ZSCORE", "z", "b") == 2.5
    assert r3.call("ZSCORE", "z", "nope") is None
    assert r3.call("ZMSCORE", "z", "a", "nope") == [1.0, None]
    assert r3.call("ZINCRBY", "z", "1", "a") == 2.0
    assert r3.call("ZADD", "z", "NX", "INCR", "1", "a") is None
    assert r3.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == [[b"a", 2.0], [b"b", 2.5], [b"c", 3.0]]
    assert r3.call("ZRANGE", "z", "0", "-1") == [b"a", b"b", b"c"]
    assert r3.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "0", "1") == [[b"a", 2.0]]
    assert r3.call("ZUNION", "1", "z", "WITHSCORES") == [[b"a", 2.0], [b"b", 2.5], [b"c", 3.0]]
    assert r3.call("ZRANDMEMBER", "z", "5", "WITHSCORES") == [[b"c", 3.0], [b"b", 2.5], [b"a", 2.0]]
    assert r3.call("ZRANDMEMBER", "z", "-2", "WITHSCORES")[0][1] in (2.0, 2.5, 3.0)
    assert r3.call("ZRANDMEMBER", "missing") is None
    assert r3.call("ZSCAN", "z", "0") == [b"0", [b"a", b"2", b"b", b"2.5", b"c", b"3"]]
    # A single pop is flat; with a count the pairs nest.
    assert r3.call("ZPOPMIN", "z") == [b"a", 2.0]
    assert r3.call("ZPOPMAX", "z", "1") == [[b"c", 3.0]]
    assert r3.call("ZPOPMIN", "missing") == []
    assert r3.call("ZMPOP", "1", "z", "MIN") == [b"z", [[b"b", 2.5]]]
    assert r3.call("ZMPOP", "1", "z", "MIN") is None
    r3.call("ZADD", "z", "inf", "x")
    assert r3.call("ZSCORE", "z", "x") == math.inf


@pytest.mark.tierkv_only  # ZRANK WITHSCORE is Redis 7.2
def test_resp3_zrank_withscore(r3):
    r3.call("ZADD", "z", "1", "a")
    assert r3.call("ZRANK", "z", "a", "WITHSCORE") == [0, 1.0]
    assert r3.call("ZRANK", "z", "b", "WITHSCORE") is None


def test_resp2_wire_bytes(raw):
    conn = raw()
    conn.call("FLUSHALL")
    conn.call("ZADD", "z", "1.5", "a")
    conn.send_command("ZSCORE", "z", "a")
    assert conn.read_raw() == b"$3\r\n1.5\r\n"
    conn.send_command("ZRANK", "z", "nope")
    assert conn.read_raw() == b"$-1\r\n"
    conn.send_command("ZMPOP", "1", "missing", "MIN")
    assert conn.read_raw() == b"*-1\r\n"
    conn.send_command("ZADD", "z", "NX", "INCR", "1", "a")
    assert conn.read_raw() == b"$-1\r\n"


# --------------------------------------------------------------------------- encodings

def test_encoding_at_the_entry_threshold(r):
    fill(r, "z", ZSET_ENTRIES)
    assert encoding(r, "z") == "listpack"
    call(r, "ZADD", "z", 1000, "one-more")
    assert encoding(r, "z") == "skiplist"
    # Removals never convert back.
    call(r, "ZREMRANGEBYRANK", "z", 0, 100)
    assert encoding(r, "z") == "skiplist"
    assert r.zcard("z") == ZSET_ENTRIES - 100


def test_encoding_at_the_value_threshold(r):
    call(r, "ZADD", "z", 1, "v" * ZSET_VALUE)
    assert encoding(r, "z") == "listpack"
    call(r, "ZADD", "z", 2, "w" * (ZSET_VALUE + 1))
    assert encoding(r, "z") == "skiplist"
    call(r, "ZADD", "long", 1, "w" * (ZSET_VALUE + 1))
    assert encoding(r, "long") == "skiplist"
    assert r.zrange("z", 0, -1) == ["v" * ZSET_VALUE, "w" * (ZSET_VALUE + 1)]


@pytest.mark.tierkv_only  # Redis 7.2 converts up front when ZADD brings more pairs than the limit
def test_zadd_with_more_pairs_than_the_limit_converts_even_if_repeated(r):
    call(r, "ZADD", "z", *sum([[1, "same"] for _ in range(ZSET_ENTRIES + 1)], []))
    assert r.zcard("z") == 1
    assert encoding(r, "z") == "skiplist"


def test_store_results_take_the_encoding_of_their_size(r):
    fill(r, "big", 300)
    assert call(r, "ZRANGESTORE", "few", "big", 0, 9) == 10
    assert encoding(r, "few") == "listpack"
    assert call(r, "ZUNIONSTORE", "many", 1, "big") == 300
    assert encoding(r, "many") == "skiplist"
    assert call(r, "ZINTERSTORE", "some", 2, "big", "few") == 10
    assert encoding(r, "some") == "listpack"
    call(r, "ZADD", "long", 1, "x" * 100)
    assert call(r, "ZUNIONSTORE", "one", 1, "long") == 1
    assert encoding(r, "one") == "skiplist"


def test_config_set_thresholds(r, config_restore):
    config_restore("zset-max-listpack-entries", "zset-max-listpack-value")
    r.config_set("zset-max-listpack-entries", 4)
    r.config_set("zset-max-listpack-value", 8)
    assert r.config_get("zset-max-ziplist-entries") == {"zset-max-ziplist-entries": "4"}
    fill(r, "z", 4)
    assert encoding(r, "z") == "listpack"
    call(r, "ZADD", "z", 9, "m9")
    assert encoding(r, "z") == "skiplist"
    call(r, "ZADD", "v", 1, "12345678")
    assert encoding(r, "v") == "listpack"
    call(r, "ZADD", "v", 1, "123456789")
    assert encoding(r, "v") == "skiplist"


def test_type_object_and_scan_type(r):
    abc(r)
    r.set("str", "x")
    assert r.type("z") == "zset"
    assert call(r, "SCAN", 0, "TYPE", "zset")[1] == ["z"]
    assert call(r, "OBJECT", "ENCODING", "z") == "listpack"


def test_large_set_against_a_model(r):
    """Random writes on a skiplist-encoded set; ranks, ranges and counts compared with a
    sorted Python model."""
    rng = random.Random(42)
    model = {}
    for round_number in range(30):
        args = []
        for _ in range(200):
            member = f"k{rng.randrange(3000)}"
            score = rng.randrange(-500, 500) / 4
            args += [score, member]
            model[member] = score
        call(r, "ZADD", "z", *args)
        doomed = [f"k{rng.randrange(3000)}" for _ in range(50)]
        removed = sum(1 for m in set(doomed) if m in model)
        for m in set(doomed):
            model.pop(m, None)
        assert call(r, "ZREM", "z", *doomed) == removed
        ordered = sorted(model.items(), key=lambda kv: (kv[1], kv[0]))
        assert r.zcard("z") == len(ordered)
        probe = rng.choice(ordered)[0]
        assert r.zrank("z", probe) == ordered.index((probe, model[probe]))
        start = rng.randrange(len(ordered))
        assert r.zrange("z", start, start + 20) == [m for m, _ in ordered[start:start + 21]]
        low, high = sorted(rng.randrange(-500, 500) / 4 for _ in range(2))
        inside = [m for m, s in ordered if low <= s <= high]
        assert r.zcount("z", low, high) == len(inside)
        assert call(r, "ZRANGEBYSCORE", "z", low, high, "LIMIT", 3, 10) == inside[3:13]
        assert call(r, "ZREVRANGEBYSCORE", "z", high, low, "LIMIT", 2, 5) == inside[::-1][2:7]
    assert encoding(r, "z") == "skiplist"
    popped = call(r, "ZPOPMIN", "z", 100)
    ordered = sorted(model.items(), key=lambda kv: (kv[1], kv[0]))
    assert popped[::2] == [m for m, _ in ordered[:100]]


# --------------------------------------------------------------------------- redis-server peer

@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


def build_both(client, rng_seed=7):
    """A small set (listpack) with text, integer and empty members and infinite scores,
    and a big one (skiplist) with a long member; scores are exact binary fractions so
    that Redis 7.0 and 7.2 print them alike."""
    rng = random.Random(rng_seed)
    small = {b"name": 1.5, b"12345": -3, b"-99": 0, b"": 2, b"pinf": math.inf, b"ninf": -math.inf,
             b"9223372036854775807": 7.25}
    client.zadd("small", small)
    big = {f"member:{i}".encode(): rng.randrange(-10 ** 6, 10 ** 6) / 8 for i in range(700)}
    big[b"L" * 300] = 0.5
    client.zadd("big", big)
    return {b"small": small, b"big": big}


def digest(client, key):
    return call(client, "DEBUG", "DIGEST-VALUE", key)


def as_pairs(mapping):
    return sorted(((member, float(score)) for member, score in mapping.items()), key=lambda p: (p[1], p[0]))


def test_digest_value_matches_redis(rb, rbpeer):
    built = build_both(rb)
    build_both(rbpeer)
    for key in built:
        assert digest(rb, key) == digest(rbpeer, key), key
    for client in (rb, rbpeer):
        client.zincrby("small", 2, "name")
        client.zrem("big", "member:3")
        client.expire("small", 1000)
    for key in built:
        assert digest(rb, key) == digest(rbpeer, key), key
    assert call(rb, "DEBUG", "DIGEST") == call(rbpeer, "DEBUG", "DIGEST")


def test_dump_payload_bytes_match_redis(rb, rbpeer):
    build_both(rb)
    build_both(rbpeer)
    assert rb.dump("small") == rbpeer.dump("small")
    assert rb.dump("big") == rbpeer.dump("big")


@pytest.mark.parametrize("direction", ["to_redis", "from_redis"])
def test_dump_restore_interop_both_encodings(rb, rbpeer, direction):
    source, target = (rb, rbpeer) if direction == "to_redis" else (rbpeer, rb)
    built = build_both(source)
    for key, mapping in built.items():
        assert call(target, "RESTORE", key, "0", source.dump(key)) == b"OK"
        assert target.zrange(key, 0, -1, withscores=True) == as_pairs(mapping)
        assert encoding(target, key) == encoding(source, key)
        assert digest(target, key) == digest(source, key)
    # A restored set is fully usable.
    target.zadd("big", {"extra": 1})
    assert target.zcard("big") == len(built[b"big"]) + 1
    assert target.zrank("small", "name") == 3


def test_restore_converts_by_this_servers_limits(r, config_restore):
    fill(r, "small", 10)
    fill(r, "big", 200)
    call(r, "ZREMRANGEBYRANK", "big", 10, -1)  # a skiplist of 10 members
    small_payload = r.dump("small")
    big_payload = r.dump("big")
    assert call(r, "RESTORE", "shrunk", "0", big_payload) == "OK"
    assert encoding(r, "shrunk") == "listpack"  # loaded sets take the encoding of their size
    config_restore("zset-max-listpack-entries")
    r.config_set("zset-max-listpack-entries", "5")
    assert call(r, "RESTORE", "copy", "0", small_payload) == "OK"
    assert encoding(r, "copy") == "skiplist"
    assert r.zrange("copy", 0, -1, withscores=True) == r.zrange("small", 0, -1, withscores=True)


def test_restore_rejects_a_damaged_payload(rb):
    rb.zadd("z", {"a": 1, "b": 2})
    payload = bytearray(rb.dump("z"))
    payload[3] ^= 0xFF
    with pytest.raises(Exception):
        call(rb, "RESTORE", "bad", "0", bytes(payload))
    assert rb.exists("bad") == 0


def test_copy_rename_and_expiry(r):
    fill(r, "small", 3)
    fill(r, "big", 300)
    assert call(r, "COPY", "small", "small2") == 1
    assert call(r, "COPY", "big", "big2") == 1
    r.zadd("small", {"m0": 100})
    r.zrem("big", "m0")
    assert r.zscore("small2", "m0") == 0
    assert r.zcard("big2") == 300
    assert encoding(r, "big2") == "skiplist"
    r.rename("small2", "small3")
    assert r.zcard("small3") == 3
    r.pexpire("small3", 1)
    r.execute_command("DEBUG", "SLEEP", "0.01")
    assert r.zcard("small3") == 0


def test_watch_sees_sorted_set_writes(server, r):
    abc(r)
    watcher = server.client()
    pipe = watcher.pipeline()
    pipe.watch("z")
    r.zincrby("z", 1, "a")
    pipe.multi()
    pipe.zcard("z")
    with pytest.raises(Exception):
        pipe.execute()
    watcher.close()


# --------------------------------------------------------------------------- durability



def start(workdir):
    return start_server(workdir, *ALWAYS)




def zset_writes(c, tag):
    """Every kind of sorted-set write, in both encodings, with conversions on the way."""
    c.zadd("small" + tag, {"a": 1, "b": 2, "c": 3.5})
    call(c, "ZADD", "small" + tag, "NX", 10, "a", 4, "d")
    call(c, "ZADD", "small" + tag, "GT", "CH", 0, "b", 5, "c")
    call(c, "ZADD", "small" + tag, "INCR", "0.25", "a")
    c.zincrby("small" + tag, "-0.75", "b")
    c.zrem("small" + tag, "d")
    fill(c, "big" + tag, 100)
    fill(c, "big" + tag, 400, prefix="n")  # past the entry limit
    c.zpopmin("big" + tag, 5)
    c.zpopmax("big" + tag, 3)
    call(c, "ZMPOP", 1, "big" + tag, "MIN", "COUNT", 2)
    call(c, "ZREMRANGEBYRANK", "big" + tag, -10, -5)
    call(c, "ZREMRANGEBYSCORE", "big" + tag, "(50", 60)
    call(c, "ZADD", "lex" + tag, 0, "a", 0, "b", 0, "c", 0, "d", 0, "e")
    call(c, "ZREMRANGEBYLEX", "lex" + tag, "[b", "(d")
    call(c, "ZUNIONSTORE", "union" + tag, 2, "small" + tag, "lex" + tag, "WEIGHTS", 2, 3)
    call(c, "ZRANGESTORE", "range" + tag, "big" + tag, 0, 9)
    call(c, "ZINTERSTORE", "gone" + tag, 2, "small" + tag, "missing")
    c.zadd("emptied" + tag, {"x": 1})
    c.zrem("emptied" + tag, "x")
    c.zadd("long" + tag, {"z" * 100: 1})  # skiplist through a long member
    c.expire("small" + tag, 10000)


def zset_state(c):
    keys = sorted(c.keys("*"))
    return ({key: (c.zrange(key, 0, -1, withscores=True), encoding(c, key)) for key in keys},
            call(c, "DEBUG", "DIGEST"))


def test_sorted_sets_survive_sigkill_under_fsync_always(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        zset_writes(c, "1")
        before = zset_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert zset_state(c) == before
        assert 9990 < c.ttl("small1") <= 10000
    finally:
        srv.stop()


def test_sorted_sets_survive_save_then_more_writes_then_sigkill(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        zset_writes(c, "1")
        assert c.save() is True
        zset_writes(c, "2")
        c.zadd("small1", {"after-save": 9})
        c.zrem("big1", "n200")
        before = zset_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert zset_state(c) == before
    finally:
        srv.stop()
