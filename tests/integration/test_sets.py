"""Sets: every command with its replies and errors (RESP2 and RESP3), OBJECT ENCODING for
intset, listpack and hashtable at the thresholds, random members (no repeats for positive
counts, uniform draws), SSCAN's guarantee while the set is resized, DEBUG DIGEST-VALUE and
DUMP/RESTORE against a real redis-server (peer) for every encoding, and survival of
SIGKILL under the journal, before and after a SAVE.

Every expectation was checked against redis-server 7.0.15 (reference mode). Redis 7.2
keeps small non-integer sets in a listpack where 7.0 uses a hashtable: those checks are
tierkv_only, or expect 7.0's answer in reference mode.
"""
import collections
import random

import pytest

from conftest import (ALWAYS, sigkill, start_server, NOT_INT, SYNTAX, WRONGTYPE, RespSet, call, is_reference,
                      raises_reply)

INTSET_ENTRIES = 512    # set-max-intset-entries default
LISTPACK_ENTRIES = 128  # set-max-listpack-entries default (7.2)
LISTPACK_VALUE = 64     # set-max-listpack-value default (7.2)


def encoding(client, key):
    return call(client, "OBJECT", "ENCODING", key)


def small_strings_encoding():
    """What a small set of short strings is encoded as: listpack in 7.2, hashtable in 7.0."""
    return "hashtable" if is_reference() else "listpack"


def wrongtype_key(client, key="str"):
    client.set(key, "x")
    return key


def members(client, key):
    return set(call(client, "SMEMBERS", key))


# --------------------------------------------------------------------------- writes

def test_sadd_counts_new_members_only(r):
    assert call(r, "SADD", "s", "a") == 1
    assert call(r, "SADD", "s", "a", "b", "c", "b") == 2
    assert members(r, "s") == {"a", "b", "c"}
    assert call(r, "SADD", "s", "a") == 0


def test_srem_counts_and_deletes_the_emptied_key(r):
    r.sadd("s", "a", "b", "c")
    assert call(r, "SREM", "s", "a", "zz", "a") == 1
    assert call(r, "SREM", "nokey", "a") == 0
    assert call(r, "SREM", "s", "b", "c") == 2
    assert r.exists("s") == 0
    r.sadd("ints", 1, 2)
    assert call(r, "SREM", "ints", "1", "01", "2") == 2
    assert r.exists("ints") == 0


def test_scard_sismember_smismember(r):
    r.sadd("s", "a", "1")
    assert call(r, "SCARD", "s") == 2
    assert call(r, "SCARD", "nokey") == 0
    assert call(r, "SISMEMBER", "s", "a") == 1
    assert call(r, "SISMEMBER", "s", "1") == 1
    assert call(r, "SISMEMBER", "s", "01") == 0
    assert call(r, "SISMEMBER", "nokey", "a") == 0
    assert call(r, "SMISMEMBER", "s", "a", "x", "1") == [1, 0, 1]
    assert call(r, "SMISMEMBER", "nokey", "a", "b") == [0, 0]


def test_smembers_every_encoding(r):
    r.sadd("ints", *range(10))
    r.sadd("strs", "a", "b", "-3")
    r.sadd("big", *[f"m{i}" for i in range(500)])
    assert sorted(call(r, "SMEMBERS", "ints"), key=int) == [str(i) for i in range(10)]
    assert members(r, "strs") == {"a", "b", "-3"}
    assert members(r, "big") == {f"m{i}" for i in range(500)}
    assert call(r, "SMEMBERS", "nokey") == []


def test_binary_and_empty_members(rb):
    assert rb.sadd("s", b"", b"\x00\xff", b"x" * 1000) == 3
    assert rb.smembers("s") == {b"", b"\x00\xff", b"x" * 1000}
    assert rb.sismember("s", b"") == 1
    assert rb.srem("s", b"\x00\xff") == 1


def test_integer_members_keep_their_text(r):
    values = ["0", "-1", "9223372036854775807", "-9223372036854775808", "007", "1.5", "+1",
              "9223372036854775808", " 1"]
    r.sadd("s", *values)
    assert members(r, "s") == set(values)
    for value in values:
        assert call(r, "SISMEMBER", "s", value) == 1
    assert call(r, "SISMEMBER", "s", "7") == 0


# --------------------------------------------------------------------------- SMOVE

def test_smove(r):
    r.sadd("src", "a", "b")
    assert call(r, "SMOVE", "src", "dst", "a") == 1
    assert members(r, "src") == {"b"}
    assert members(r, "dst") == {"a"}
    assert call(r, "SMOVE", "src", "dst", "zz") == 0
    r.sadd("dst", "b")
    assert call(r, "SMOVE", "src", "dst", "b") == 1   # already in dst: still moved
    assert r.exists("src") == 0
    assert members(r, "dst") == {"a", "b"}
    assert call(r, "SMOVE", "dst", "dst", "a") == 1   # same key: membership only
    assert call(r, "SMOVE", "dst", "dst", "zz") == 0
    assert members(r, "dst") == {"a", "b"}


def test_smove_creates_destination_in_its_own_encoding(r):
    r.sadd("strs", "x", "5")
    assert call(r, "SMOVE", "strs", "ints", "5") == 1
    assert encoding(r, "ints") == "intset"
    assert call(r, "SMOVE", "strs", "other", "x") == 1
    assert encoding(r, "other") == small_strings_encoding()


def test_smove_type_checks(r):
    wrongtype_key(r)
    r.sadd("s", "a")
    # A missing source answers 0 before any type check.
    assert call(r, "SMOVE", "nokey", "str", "a") == 0
    with raises_reply(WRONGTYPE):
        call(r, "SMOVE", "str", "s", "a")
    with raises_reply(WRONGTYPE):
        call(r, "SMOVE", "s", "str", "a")
    assert members(r, "s") == {"a"}


# --------------------------------------------------------------------------- SPOP / SRANDMEMBER

def build_each_encoding(client, size):
    """One set per encoding with `size` members: ints, strs (listpack in 7.2), big strings."""
    client.sadd("ints", *range(size))
    client.sadd("strs", *[f"s{i}" for i in range(size)])
    client.sadd("long", *[f"{i}" + "L" * 70 for i in range(size)])  # hashtable: long members
    return {"ints": {str(i) for i in range(size)},
            "strs": {f"s{i}" for i in range(size)},
            "long": {f"{i}" + "L" * 70 for i in range(size)}}


def test_spop_single(r):
    r.sadd("s", "a", "b", "c")
    popped = {call(r, "SPOP", "s") for _ in range(3)}
    assert popped == {"a", "b", "c"}
    assert r.exists("s") == 0
    assert call(r, "SPOP", "s") is None


@pytest.mark.parametrize("size", [10, 100, 600])
def test_spop_count_removes_exactly_what_it_returns(r, size):
    built = build_each_encoding(r, size)
    for key, original in built.items():
        remaining = set(original)
        # A few (drawn one by one), then most of what is left (what stays is rebuilt).
        for fraction in (0, 0.1, 0.5, 0.9):
            count = max(1, int(len(remaining) * fraction))
            popped = call(r, "SPOP", key, count)
            assert len(popped) == count and len(set(popped)) == count, (key, count)
            assert set(popped) <= remaining
            remaining -= set(popped)
            assert members(r, key) == remaining
        last = call(r, "SPOP", key, len(remaining) + 5)
        assert set(last) == remaining
        assert r.exists(key) == 0
    assert call(r, "SPOP", "nokey", 3) == []
    r.sadd("s", "a")
    assert call(r, "SPOP", "s", 0) == []
    assert members(r, "s") == {"a"}


@pytest.mark.tierkv_only
def test_spop_of_most_of_a_hashtable_leaves_a_listpack(r):
    # Redis 7.2 rebuilds what remains as a new set would start (7.0 kept a hashtable).
    r.sadd("s", *[f"m{i}" for i in range(1000)])
    assert encoding(r, "s") == "hashtable"
    assert len(call(r, "SPOP", "s", 990)) == 990
    assert r.scard("s") == 10
    assert encoding(r, "s") == "listpack"
    r.sadd("i", *range(600))           # a hashtable: its members are strings there
    call(r, "SPOP", "i", 590)
    assert encoding(r, "i") == "listpack"
    r.sadd("small", *range(100))
    call(r, "SPOP", "small", 95)
    assert encoding(r, "small") == "intset"


def test_srandmember_positive_counts_never_repeat(r):
    size = 40
    for key, original in build_each_encoding(r, size).items():
        for count in (1, 5, 13, 14, 20, 39, 40, 41, 1000):
            got = call(r, "SRANDMEMBER", key, count)
            assert len(got) == min(count, size), (key, count)
            assert len(set(got)) == len(got), (key, count)
            assert set(got) <= original
        assert set(call(r, "SRANDMEMBER", key, size)) == original
        assert call(r, "SRANDMEMBER", key, 0) == []
        assert r.scard(key) == size     # nothing removed


def test_srandmember_negative_counts_repeat(r):
    r.sadd("s", "a", "b")
    got = call(r, "SRANDMEMBER", "s", -50)
    assert len(got) == 50
    assert set(got) == {"a", "b"}
    assert call(r, "SRANDMEMBER", "nokey", -5) == []
    assert call(r, "SRANDMEMBER", "nokey", 5) == []
    assert call(r, "SRANDMEMBER", "nokey") is None
    assert call(r, "SRANDMEMBER", "s") in ("a", "b")


def test_random_members_are_uniform_in_every_encoding(r, config_restore):
    config_restore("set-max-intset-entries")
    r.config_set("set-max-intset-entries", "5")      # a hashtable of 6 integers
    r.sadd("ints", *range(5))
    r.sadd("strs", *[f"s{i}" for i in range(5)])
    r.sadd("table", *range(5))
    r.sadd("table", 5)                               # past the intset limit
    assert encoding(r, "table") == "hashtable"
    for key, size in (("ints", 5), ("strs", 5), ("table", 6)):
        draws = 60000
        counts = collections.Counter(call(r, "SRANDMEMBER", key, -draws))
        assert len(counts) == size
        for member, n in counts.items():
            assert abs(n - draws / size) < draws / size * 0.06, (key, member, n)
        distinct = collections.Counter()
        for _ in range(3000):
            distinct.update(call(r, "SRANDMEMBER", key, 2))
        for member, n in distinct.items():
            assert abs(n - 6000 / size) < 6000 / size * 0.15, (key, member, n)


@pytest.mark.needs_dram_budget("memory stays past the budget, so each of its 8,000 writes waits for a checkpoint round (a cron apart): minutes")
def test_spop_is_uniform(r):
    counts = collections.Counter()
    pipe = r.pipeline(transaction=False)
    for _ in range(4000):
        pipe.sadd("s", "a", "b", "c", "d")
        pipe.spop("s")
        pipe.delete("s")
    replies = pipe.execute()
    counts.update(replies[1::3])
    for member in "abcd":
        assert abs(counts[member] - 1000) < 150, counts


def test_spop_and_srandmember_errors(r):
    r.sadd("s", "a")
    for count in ("-1", "x", "1.5", "99999999999999999999"):
        with raises_reply("ERR value is out of range, must be positive"):
            call(r, "SPOP", "s", count)
    with raises_reply(SYNTAX):
        call(r, "SPOP", "s", "1", "2")
    with raises_reply(SYNTAX):
        call(r, "SRANDMEMBER", "s", "1", "2")
    with raises_reply(NOT_INT):
        call(r, "SRANDMEMBER", "s", "x")
    with raises_reply("ERR value is out of range, value must between "
                      "-9223372036854775807 and 9223372036854775807"):
        call(r, "SRANDMEMBER", "s", "-9223372036854775808")
    assert len(call(r, "SRANDMEMBER", "s", "-9223372036854775807"[:4])) == 922
    # The count is checked before the key's type.
    wrongtype_key(r)
    with raises_reply("ERR value is out of range, must be positive"):
        call(r, "SPOP", "str", "-1")
    with raises_reply(WRONGTYPE):
        call(r, "SPOP", "str", "1")
    with raises_reply(WRONGTYPE):
        call(r, "SRANDMEMBER", "str", "-1")


# --------------------------------------------------------------------------- algebra

def test_sinter_sunion_sdiff(r):
    r.sadd("a", 1, 2, 3, 4, "x")
    r.sadd("b", 3, 4, 5, "x", "y")
    r.sadd("c", 4, "x", "z")
    assert set(call(r, "SINTER", "a", "b")) == {"3", "4", "x"}
    assert set(call(r, "SINTER", "a", "b", "c")) == {"4", "x"}
    assert set(call(r, "SINTER", "a")) == {"1", "2", "3", "4", "x"}
    assert call(r, "SINTER", "a", "nokey") == []
    assert set(call(r, "SUNION", "a", "b", "nokey")) == {"1", "2", "3", "4", "5", "x", "y"}
    assert call(r, "SUNION", "nokey") == []
    assert set(call(r, "SDIFF", "a", "b")) == {"1", "2"}
    assert set(call(r, "SDIFF", "a", "b", "c")) == {"1", "2"}
    assert set(call(r, "SDIFF", "a", "nokey")) == {"1", "2", "3", "4", "x"}
    assert call(r, "SDIFF", "nokey", "a") == []
    assert call(r, "SDIFF", "a", "c", "a") == []


def test_sdiff_both_algorithms_agree(r):
    rng = random.Random(3)
    big = {str(rng.randrange(5000)) for _ in range(2000)} | {f"s{i}" for i in range(300)}
    r.sadd("big", *big)
    r.sadd("small", *list(big)[:50], "only-small")
    r.sadd("other", *list(big)[100:1500])
    # A small first set (test each member) and a big one against small ones (copy, remove).
    assert set(call(r, "SDIFF", "small", "big")) == {"only-small"}
    expected = big - set(list(big)[:50]) - set(list(big)[100:1500])
    assert set(call(r, "SDIFF", "big", "small", "other")) == expected
    assert set(call(r, "SDIFF", "big", "other", "nokey", "small")) == expected


def test_sintercard(r):
    r.sadd("a", *range(100))
    r.sadd("b", *range(50, 200))
    assert call(r, "SINTERCARD", "2", "a", "b") == 50
    assert call(r, "SINTERCARD", "2", "a", "b", "LIMIT", "10") == 10
    assert call(r, "SINTERCARD", "2", "a", "b", "limit", "0") == 50
    assert call(r, "SINTERCARD", "2", "a", "b", "LIMIT", "500") == 50
    assert call(r, "SINTERCARD", "1", "a") == 100
    assert call(r, "SINTERCARD", "2", "a", "nokey") == 0
    assert call(r, "SINTERCARD", "2", "a", "b", "LIMIT", "5", "LIMIT", "7") == 7


def test_sintercard_errors(r):
    r.sadd("a", 1)
    for numkeys in ("0", "-1", "x"):
        with raises_reply("ERR numkeys should be greater than 0"):
            call(r, "SINTERCARD", numkeys, "a")
    with raises_reply("ERR Number of keys can't be greater than number of args"):
        call(r, "SINTERCARD", "3", "a", "b")
    for limit in ("-1", "x"):
        with raises_reply("ERR LIMIT can't be negative"):
            call(r, "SINTERCARD", "1", "a", "LIMIT", limit)
    with raises_reply(SYNTAX):
        call(r, "SINTERCARD", "1", "a", "LIMIT")
    with raises_reply(SYNTAX):
        call(r, "SINTERCARD", "1", "a", "FOO", "1")
    wrongtype_key(r)
    with raises_reply(WRONGTYPE):
        call(r, "SINTERCARD", "2", "nokey", "str")
    assert call(r, "COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "3") == ["a", "b"]


def test_store_forms(r):
    r.sadd("a", 1, 2, 3, "x")
    r.sadd("b", 2, 3, 4, "x")
    assert call(r, "SINTERSTORE", "dst", "a", "b") == 3
    assert members(r, "dst") == {"2", "3", "x"}
    assert call(r, "SUNIONSTORE", "dst", "a", "b") == 5
    assert members(r, "dst") == {"1", "2", "3", "4", "x"}
    assert call(r, "SDIFFSTORE", "dst", "a", "b") == 1
    assert members(r, "dst") == {"1"}
    # The destination may be a source.
    assert call(r, "SUNIONSTORE", "a", "a", "b") == 5
    assert members(r, "a") == {"1", "2", "3", "4", "x"}


def test_store_replaces_any_type_and_drops_the_ttl(r):
    r.sadd("a", "m")
    r.set("dst", "string", ex=1000)
    assert call(r, "SUNIONSTORE", "dst", "a") == 1
    assert r.type("dst") == "set"
    assert r.ttl("dst") == -1


def test_store_with_an_empty_result_deletes_the_destination(r):
    r.sadd("a", 1, 2)
    r.sadd("b", 3)
    for command, args in (("SINTERSTORE", ("a", "b")), ("SINTERSTORE", ("a", "nokey")),
                          ("SDIFFSTORE", ("a", "a")), ("SUNIONSTORE", ("nokey",)),
                          ("SDIFFSTORE", ("nokey", "a"))):
        r.set("dst", "old")
        assert call(r, command, "dst", *args) == 0
        assert r.exists("dst") == 0, command


def test_store_result_encodings(r):
    r.sadd("ints", *range(50))
    r.sadd("more", *range(25, 700))
    r.sadd("strs", "a", "b", "1")
    r.sadd("table", *[str(i) for i in range(200)], "text")
    assert encoding(r, "table") == "hashtable"
    call(r, "SINTERSTORE", "d1", "table", "more")   # all integers: an intset
    assert encoding(r, "d1") == "intset"
    call(r, "SUNIONSTORE", "d2", "ints", "more")     # 700 integers: past the intset limit
    assert encoding(r, "d2") == "hashtable"
    call(r, "SUNIONSTORE", "d3", "ints", "strs")
    assert encoding(r, "d3") == small_strings_encoding()
    call(r, "SDIFFSTORE", "d4", "ints", "strs")
    assert encoding(r, "d4") == "intset"


def test_multi_key_type_checks(r):
    wrongtype_key(r)
    r.sadd("s", "a")
    for command in ("SINTER", "SUNION", "SDIFF"):
        with raises_reply(WRONGTYPE):
            call(r, command, "s", "str")
        with raises_reply(WRONGTYPE):
            call(r, command, "nokey", "str")   # even after a missing key
    for command in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
        with raises_reply(WRONGTYPE):
            call(r, command, "dst", "s", "str")
        assert r.exists("dst") == 0


# --------------------------------------------------------------------------- SSCAN

def sscan_all(client, key, **options):
    seen = []
    cursor = "0"
    while True:
        cursor, batch = call(client, "SSCAN", key, cursor,
                             *[x for k, v in options.items() for x in (k.upper(), v)])
        seen.extend(batch)
        if cursor == "0":
            return seen


def test_sscan_compact_encodings_answer_whole(r):
    r.sadd("ints", *range(20))
    r.sadd("strs", "a", "b", "c")
    cursor, batch = call(r, "SSCAN", "ints", "0", "COUNT", "2")
    assert cursor == "0" and sorted(batch, key=int) == [str(i) for i in range(20)]
    assert call(r, "SSCAN", "nokey", "0") == ["0", []]
    assert sorted(call(r, "SSCAN", "strs", "0", "MATCH", "[ab]")[1]) == ["a", "b"]


def test_sscan_hashtable(r):
    r.sadd("s", *[f"m{i}" for i in range(3000)])
    seen = sscan_all(r, "s", count=50)
    assert set(seen) == {f"m{i}" for i in range(3000)}
    assert len(seen) == 3000     # no resize: no duplicates
    matched = sscan_all(r, "s", match="m1*", count=100)
    assert set(matched) == {f"m{i}" for i in range(3000) if str(i).startswith("1")}
    cursor, batch = call(r, "SSCAN", "s", "0", "COUNT", "20")
    assert cursor != "0" and 0 < len(batch) < 100


def test_sscan_returns_every_member_present_throughout_while_the_set_grows_and_shrinks(r):
    stable = {f"stable{i}" for i in range(500)}
    r.sadd("s", *stable)
    r.sadd("s", *[f"temp{i}" for i in range(4000)])
    seen = set()
    cursor = "0"
    step = 0
    while True:
        cursor, batch = call(r, "SSCAN", "s", cursor, "COUNT", "10")
        seen.update(batch)
        step += 1
        if step < 40:
            r.sadd("s", *[f"grow{step}_{i}" for i in range(300)])      # table doubles
        elif step < 120:
            r.srem("s", *[f"temp{i}" for i in range(step * 50, step * 50 + 50)])
            r.srem("s", *[f"grow{step - 80}_{i}" for i in range(300)])  # and shrinks
        if cursor == "0":
            break
    assert stable <= seen


def test_sscan_errors(r):
    r.sadd("s", "a")
    with raises_reply("ERR invalid cursor"):
        call(r, "SSCAN", "s", "abc")
    with raises_reply(SYNTAX):
        call(r, "SSCAN", "s", "0", "COUNT", "0")
    with raises_reply(NOT_INT):
        call(r, "SSCAN", "s", "0", "COUNT", "x")
    with raises_reply(SYNTAX):
        call(r, "SSCAN", "s", "0", "TYPE", "string")
    with raises_reply(SYNTAX):
        call(r, "SSCAN", "s", "0", "MATCH")
    # Options are checked only for an existing set.
    assert call(r, "SSCAN", "nokey", "0", "COUNT", "0") == ["0", []]
    wrongtype_key(r)
    with raises_reply(WRONGTYPE):
        call(r, "SSCAN", "str", "0", "COUNT", "0")
    with raises_reply("ERR invalid cursor"):
        call(r, "SSCAN", "str", "x")


# --------------------------------------------------------------------------- errors

def test_every_command_refuses_another_type(r):
    wrongtype_key(r)
    for args in (("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"),
                 ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"),
                 ("SPOP", "str"), ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"),
                 ("SINTER", "str"), ("SUNION", "str"), ("SDIFF", "str"),
                 ("SINTERCARD", "1", "str"), ("SSCAN", "str", "0")):
        with raises_reply(WRONGTYPE):
            call(r, *args)
    assert r.get("str") == "x"


def test_arity(r):
    for command, args in (("SADD", ("s",)), ("SREM", ("s",)), ("SCARD", ()), ("SISMEMBER", ("s",)),
                          ("SMISMEMBER", ("s",)), ("SMEMBERS", ()), ("SPOP", ()), ("SRANDMEMBER", ()),
                          ("SMOVE", ("a", "b")), ("SINTER", ()), ("SINTERCARD", ("1",)),
                          ("SINTERSTORE", ("d",)), ("SUNION", ()), ("SUNIONSTORE", ("d",)),
                          ("SDIFF", ()), ("SDIFFSTORE", ("d",)), ("SSCAN", ("s",))):
        with raises_reply(f"ERR wrong number of arguments for '{command.lower()}' command"):
            call(r, command, *args)


def test_command_info(r):
    info = {entry[0]: entry for entry in call(r, "COMMAND", "INFO", "sadd", "smove", "sinterstore",
                                              "sintercard", "srandmember", "spop")}
    name, arity, flags, first, last, step = info["sadd"][:6]
    assert (arity, first, last, step) == (-3, 1, 1, 1) and {"write", "denyoom", "fast"} <= set(flags)
    assert info["smove"][3:6] == [1, 2, 1]
    assert info["sinterstore"][3:6] == [1, -1, 1]
    assert info["sintercard"][3:6] == [0, 0, 0] and "movablekeys" in info["sintercard"][2]
    assert "readonly" in info["srandmember"][2] and "nondeterministic_output" in info["srandmember"][7]
    assert "nondeterministic_output" in info["spop"][7]


# --------------------------------------------------------------------------- RESP3

def test_resp3_reply_types(r3):
    r3.call("SADD", "s", "a", "b", "c")
    r3.call("SADD", "t", "b", "c", "d")
    for args in (("SMEMBERS", "s"), ("SINTER", "s", "t"), ("SUNION", "s", "t"), ("SDIFF", "s", "t"),
                 ("SMEMBERS", "nokey"), ("SINTER", "s", "nokey"), ("SPOP", "nokey", "2"),
                 ("SPOP", "s", "0")):
        reply = r3.call(*args)
        assert isinstance(reply, RespSet), (args, reply)
    assert set(r3.call("SINTER", "s", "t")) == {b"b", b"c"}
    popped = r3.call("SPOP", "t", "2")
    assert isinstance(popped, RespSet) and len(popped) == 2
    for args in (("SRANDMEMBER", "s", "2"), ("SRANDMEMBER", "s", "10"), ("SRANDMEMBER", "s", "-4"),
                 ("SMISMEMBER", "s", "a", "z"), ("SRANDMEMBER", "nokey", "2")):
        reply = r3.call(*args)
        assert type(reply) is list, (args, reply)
    assert r3.call("SMISMEMBER", "s", "a", "z") == [1, 0]
    assert r3.call("SRANDMEMBER", "nokey") is None
    assert r3.call("SPOP", "nokey") is None
    cursor, batch = r3.call("SSCAN", "s", "0")
    assert cursor == b"0" and type(batch) is list and set(batch) == {b"a", b"b", b"c"}
    rest = r3.call("SPOP", "t", "5")      # more than it holds: the whole set, as a set
    assert isinstance(rest, RespSet) and len(rest) == 1 and not set(rest) & set(popped)


# --------------------------------------------------------------------------- encodings

def test_intset_until_the_entry_limit(r):
    r.sadd("s", *range(INTSET_ENTRIES))
    assert encoding(r, "s") == "intset"
    r.sadd("s", INTSET_ENTRIES)
    assert encoding(r, "s") == "hashtable"
    r.srem("s", *range(1, INTSET_ENTRIES + 1))
    assert encoding(r, "s") == "hashtable"   # never converts back
    r.sadd("wide", "-9223372036854775808", "9223372036854775807")
    assert encoding(r, "wide") == "intset"


def test_intset_takes_a_string(r):
    r.sadd("s", 1, 2, 3)
    r.sadd("s", "a")
    assert encoding(r, "s") == small_strings_encoding()
    assert members(r, "s") == {"1", "2", "3", "a"}
    r.sadd("long", 1)
    r.sadd("long", "v" * (LISTPACK_VALUE + 1))
    assert encoding(r, "long") == "hashtable"


@pytest.mark.tierkv_only
def test_listpack_at_the_thresholds(r):
    r.sadd("s", *[f"m{i}" for i in range(LISTPACK_ENTRIES)])
    assert encoding(r, "s") == "listpack"
    r.sadd("s", "m0")
    assert encoding(r, "s") == "listpack"
    r.sadd("s", "one-more")
    assert encoding(r, "s") == "hashtable"
    r.sadd("v", "v" * LISTPACK_VALUE)
    assert encoding(r, "v") == "listpack"
    r.sadd("v", "v" * (LISTPACK_VALUE + 1))
    assert encoding(r, "v") == "hashtable"
    # An intset becomes a listpack only while it is short enough to be one.
    r.sadd("i", *range(LISTPACK_ENTRIES - 1))
    r.sadd("i", "x")
    assert encoding(r, "i") == "listpack"
    r.sadd("j", *range(LISTPACK_ENTRIES))
    r.sadd("j", "x")
    assert encoding(r, "j") == "hashtable"
    # SADD sizes the set for its arguments first (Redis 7.2's setTypeMaybeConvert).
    r.sadd("hint", "a")
    r.sadd("hint", *(["a"] * (LISTPACK_ENTRIES + 1)))
    assert encoding(r, "hint") == "hashtable"
    assert r.scard("hint") == 1


@pytest.mark.tierkv_only
def test_listpack_thresholds_follow_config(r, config_restore):
    config_restore("set-max-listpack-entries", "set-max-listpack-value", "set-max-intset-entries")
    r.config_set("set-max-listpack-entries", "4")
    r.config_set("set-max-listpack-value", "3")
    r.config_set("set-max-intset-entries", "2")
    r.sadd("a", "x", "y", "z", "w")
    assert encoding(r, "a") == "listpack"
    r.sadd("a", "v")
    assert encoding(r, "a") == "hashtable"
    r.sadd("b", "long")
    assert encoding(r, "b") == "hashtable"
    r.sadd("c", 1, 2)
    assert encoding(r, "c") == "intset"
    r.sadd("c", 3)
    assert encoding(r, "c") == "hashtable"
    r.sadd("d", 1000)
    r.sadd("d", "x")   # the intset's widest member (4 digits) is past the value limit
    assert encoding(r, "d") == "hashtable"


def test_intset_limit_follows_config(r, config_restore):
    config_restore("set-max-intset-entries")
    r.config_set("set-max-intset-entries", "3")
    r.sadd("s", 1, 2, 3)
    assert encoding(r, "s") == "intset"
    r.sadd("s", 4)
    assert encoding(r, "s") == "hashtable"


def test_copy_rename_and_expiry(r):
    r.sadd("i", 1, 2)
    r.sadd("t", *[f"m{i}" for i in range(300)])
    assert call(r, "COPY", "i", "i2") == 1
    assert call(r, "COPY", "t", "t2") == 1
    r.sadd("i", 3)
    r.srem("t", "m0")
    assert members(r, "i2") == {"1", "2"}
    assert r.scard("t2") == 300
    assert encoding(r, "i2") == "intset" and encoding(r, "t2") == "hashtable"
    r.rename("i2", "i3")
    assert r.type("i3") == "set"
    r.pexpire("i3", 1)
    r.execute_command("DEBUG", "SLEEP", "0.01")
    assert r.scard("i3") == 0


# --------------------------------------------------------------------------- redis-server peer

@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


def build_all_encodings(client):
    """intset (with every width), small strings (listpack in 7.2), a hashtable of strings
    and one of integers."""
    sets = {
        b"ints": {b"1", b"-2", b"40000", b"-3000000000", b"9223372036854775807"},
        b"strs": {b"alpha", b"12", b"", b"\x00bin", b"-7", b"x" * 64},
        b"table": {f"member:{i}".encode() for i in range(400)} | {b"L" * 300},
        b"bigints": {str(i * 7).encode() for i in range(700)},
    }
    for key, values in sets.items():
        client.sadd(key, *values)
    return sets


def digest(client, key):
    return call(client, "DEBUG", "DIGEST-VALUE", key)


def test_digest_value_matches_redis(rb, rbpeer):
    built = build_all_encodings(rb)
    build_all_encodings(rbpeer)
    for key in built:
        assert digest(rb, key) == digest(rbpeer, key), key
    for client in (rb, rbpeer):
        client.srem("table", "member:3")
        client.sadd("ints", 5)
        client.expire("strs", 1000)
    for key in built:
        assert digest(rb, key) == digest(rbpeer, key), key
    assert call(rb, "DEBUG", "DIGEST") == call(rbpeer, "DEBUG", "DIGEST")


def test_intset_dump_payload_bytes_match_redis(rb, rbpeer):
    for client in (rb, rbpeer):
        client.sadd("ints", 1, -2, 40000, 7)
    assert rb.dump("ints") == rbpeer.dump("ints")


@pytest.mark.parametrize("direction", ["to_redis", "from_redis"])
def test_dump_restore_interop_every_encoding(rb, rbpeer, direction):
    source, target = (rb, rbpeer) if direction == "to_redis" else (rbpeer, rb)
    built = build_all_encodings(source)
    expected_encoding = {b"ints": "intset", b"table": "hashtable", b"bigints": "hashtable",
                         b"strs": "listpack" if target is rb and not is_reference() else "hashtable"}
    for key, values in built.items():
        assert call(target, "RESTORE", key, "0", source.dump(key)) == b"OK"
        assert target.smembers(key) == values
        assert encoding(target, key).decode() == expected_encoding[key], key
        assert digest(target, key) == digest(source, key)
    # A restored set is fully usable, and its DUMP goes back the other way.
    target.sadd(b"strs", b"extra")
    target.srem(b"ints", b"1")
    for key in built:
        assert call(source, "RESTORE", key, "0", target.dump(key), "REPLACE") == b"OK"
        assert source.smembers(key) == target.smembers(key)


def test_restore_converts_by_this_servers_limits(r, config_restore):
    r.sadd("ints", *range(10))
    payload = r.dump("ints")
    config_restore("set-max-intset-entries")
    r.config_set("set-max-intset-entries", "5")
    assert call(r, "RESTORE", "copy", "0", payload) == "OK"
    assert encoding(r, "copy") == "hashtable"
    assert members(r, "copy") == {str(i) for i in range(10)}


def test_restore_rejects_damaged_payloads(rb):
    rb.sadd("ints", 1, 2, 3)
    rb.sadd("strs", "a", "b", "c")
    for key in ("ints", "strs"):
        good = rb.dump(key)
        for position in range(len(good) - 10):   # the value, not the version and CRC footer
            damaged = bytearray(good)
            damaged[position] ^= 0x55
            with pytest.raises(Exception):
                call(rb, "RESTORE", "bad", "0", bytes(damaged))
        assert rb.exists("bad") == 0


# --------------------------------------------------------------------------- durability



def start(workdir):
    return start_server(workdir, *ALWAYS)




def set_writes(c, round_number):
    """Every kind of set write, in every encoding, with conversions along the way."""
    tag = str(round_number)
    c.sadd("ints" + tag, *range(20))
    c.sadd("ints" + tag, 70000, -5)
    c.srem("ints" + tag, 3, 4, "nope")
    c.sadd("mixed" + tag, 1, 2, 3)
    c.sadd("mixed" + tag, "text")                   # intset -> listpack (hashtable in 7.0)
    c.sadd("big" + tag, *[f"m{i}" for i in range(400)])
    c.srem("big" + tag, *[f"m{i}" for i in range(0, 400, 3)])
    c.spop("big" + tag)
    c.spop("big" + tag, 20)                         # SREM of the popped members
    c.sadd("mostly" + tag, *[f"p{i}" for i in range(300)])
    c.spop("mostly" + tag, 290)                     # rebuilt from what remains
    c.smove("big" + tag, "moved" + tag, "m1")
    c.smove("ints" + tag, "big" + tag, 5)
    c.sadd("gone" + tag, "only")
    c.spop("gone" + tag)
    c.sadd("popall" + tag, *range(10))
    c.spop("popall" + tag, 100)
    c.sinterstore("inter" + tag, "ints" + tag, "mixed" + tag)
    c.sunionstore("union" + tag, "ints" + tag, "mixed" + tag, "moved" + tag)
    c.sdiffstore("diff" + tag, "big" + tag, "moved" + tag)
    c.set("empty" + tag, "string")
    c.sinterstore("empty" + tag, "ints" + tag, "nokey")   # deletes the destination
    c.expire("mixed" + tag, 10000)


def set_state(c):
    keys = sorted(c.keys("*"))
    return {key: sorted(c.smembers(key)) for key in keys}, call(c, "DEBUG", "DIGEST")


def test_sets_survive_sigkill_under_fsync_always(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        set_writes(c, 1)
        before = set_state(c)
        assert "gone1" not in before[0] and "popall1" not in before[0] and "empty1" not in before[0]
        encodings = {key: encoding(c, key) for key in ("ints1", "big1", "union1")}
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert set_state(c) == before
        assert {key: encoding(c, key) for key in encodings} == encodings
        assert c.ttl("mixed1") > 9000
    finally:
        srv.stop()


def test_sets_survive_sigkill_after_save_and_more_writes(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        set_writes(c, 1)
        assert c.save() is True
        set_writes(c, 2)                       # new keys after the checkpoint
        c.sadd("big1", "after-save")           # and changes to checkpointed ones
        c.srem("ints1", 0)
        c.spop("mostly1", 3)
        c.smove("big1", "ints1", "after-save")
        before = set_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert set_state(c) == before
        # And once more, from what the restart recovered.
        c.sadd("big2", "third-life")
        c.sunionstore("union1", "big2", "ints1")
        before = set_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        assert set_state(srv.client()) == before
    finally:
        srv.stop()
