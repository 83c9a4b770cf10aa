"""Generic key commands: DEL/EXISTS/TYPE/RENAME/COPY/MOVE/KEYS/SCAN/OBJECT,
DUMP/RESTORE (with a peer redis-server) and the EXPIRE family."""
import random

import pytest

from conftest import (NOT_INT, SYNTAX, call, make_wrongtype_key, raises_reply,
                      wait_until)

DB_RANGE = "ERR DB index is out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"


@pytest.fixture
def one(server):
    """A client pinned to a single connection, for SELECT-dependent tests."""
    c = server.client(single_connection_client=True)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def db1(server):
    c = server.client(db=1)
    yield c
    c.close()


# --------------------------------------------------------------------------
# DEL UNLINK EXISTS TYPE TOUCH RANDOMKEY
# --------------------------------------------------------------------------

def test_del_counts_deleted_keys(r):
    r.mset({"a": "1", "b": "2"})
    assert r.delete("a", "b", "c") == 2
    assert r.exists("a", "b") == 0


def test_del_duplicate_key_counts_once(r):
    r.set("a", "1")
    assert call(r, "DEL", "a", "a") == 1


def test_unlink(r):
    r.mset({"a": "1", "b": "2"})
    assert r.unlink("a", "nokey", "b") == 2
    assert r.dbsize() == 0


def test_exists_counts_repeats(r):
    r.set("k", "v")
    assert r.exists("k", "k", "nokey") == 2
    assert r.exists("nokey") == 0


def test_type(r):
    r.set("s", "v")
    assert call(r, "TYPE", "s") == "string"
    assert call(r, "TYPE", "nokey") == "none"


def test_type_list(r):
    make_wrongtype_key(r, "l")
    assert call(r, "TYPE", "l") == "list"


def test_touch_counts_existing(r):
    r.set("k", "v")
    assert r.touch("k", "nokey", "k") == 2


def test_randomkey(r):
    assert r.randomkey() is None
    r.set("only", "1")
    assert r.randomkey() == "only"
    r.mset({f"k{i}": i for i in range(20)})
    keys = set(r.keys("*"))
    for _ in range(20):
        assert r.randomkey() in keys


def test_dbsize(r):
    assert r.dbsize() == 0
    r.mset({"a": 1, "b": 2})
    assert r.dbsize() == 2


# --------------------------------------------------------------------------
# RENAME RENAMENX
# --------------------------------------------------------------------------

def test_rename_moves_value_and_ttl(r):
    r.set("a", "v", ex=100)
    r.set("b", "old")
    assert call(r, "RENAME", "a", "b") == "OK"
    assert r.exists("a") == 0
    assert r.get("b") == "v"
    assert 99 <= r.ttl("b") <= 100


def test_rename_clears_destination_ttl(r):
    r.set("a", "v")
    r.set("b", "old", ex=100)
    r.rename("a", "b")
    assert r.ttl("b") == -1


def test_rename_missing_source(r):
    with raises_reply("ERR no such key"):
        r.rename("nokey", "b")
    with raises_reply("ERR no such key"):
        r.renamenx("nokey", "b")
    with raises_reply("ERR no such key"):
        r.rename("nokey", "nokey")


def test_rename_to_itself_is_ok(r):
    r.set("a", "v", ex=100)
    assert call(r, "RENAME", "a", "a") == "OK"
    assert r.get("a") == "v"
    assert r.ttl("a") > 0
    assert call(r, "RENAMENX", "a", "a") == 0


def test_renamenx(r):
    r.mset({"a": "1", "b": "2"})
    assert call(r, "RENAMENX", "a", "b") == 0
    assert r.mget("a", "b") == ["1", "2"]
    assert call(r, "RENAMENX", "a", "c") == 1
    assert r.mget("a", "c") == [None, "1"]


# --------------------------------------------------------------------------
# COPY MOVE SELECT SWAPDB
# --------------------------------------------------------------------------

def test_copy_keeps_source_and_ttl(r):
    r.set("a", "v", ex=100)
    assert call(r, "COPY", "a", "b") == 1
    assert r.mget("a", "b") == ["v", "v"]
    assert 99 <= r.ttl("b") <= 100


def test_copy_does_not_overwrite_without_replace(r):
    r.mset({"a": "1", "b": "2"})
    assert call(r, "COPY", "a", "b") == 0
    assert r.get("b") == "2"
    assert call(r, "COPY", "a", "b", "REPLACE") == 1
    assert r.get("b") == "1"


def test_copy_is_deep(r):
    r.set("a", "1")
    r.copy("a", "b")
    r.append("b", "x")
    assert r.mget("a", "b") == ["1", "1x"]


def test_copy_missing_source(r):
    assert call(r, "COPY", "nokey", "b") == 0
    assert r.exists("b") == 0


def test_copy_to_other_db(r, db1):
    r.set("a", "v")
    assert call(r, "COPY", "a", "c", "DB", "1") == 1
    assert db1.get("c") == "v"
    assert r.exists("c") == 0


def test_copy_errors(r):
    r.set("a", "v")
    with raises_reply(SAME_OBJECT):
        call(r, "COPY", "a", "a")
    for db in ("16", "-1"):
        with raises_reply(DB_RANGE):
            call(r, "COPY", "a", "c", "DB", db)
    with raises_reply(NOT_INT):
        call(r, "COPY", "a", "c", "DB", "x")
    with raises_reply(SYNTAX):
        call(r, "COPY", "a", "c", "FOO")


def test_move_to_other_db_keeps_ttl(r, db1):
    r.set("a", "v", ex=100)
    assert call(r, "MOVE", "a", "1") == 1
    assert r.exists("a") == 0
    assert db1.get("a") == "v"
    assert 99 <= db1.ttl("a") <= 100


def test_move_fails_when_target_exists(r, db1):
    r.set("b", "x")
    db1.set("b", "y")
    assert call(r, "MOVE", "b", "1") == 0
    assert r.get("b") == "x"
    assert db1.get("b") == "y"


def test_move_missing_key(r):
    assert call(r, "MOVE", "nokey", "1") == 0


def test_move_errors(r):
    r.set("a", "v")
    with raises_reply(SAME_OBJECT):
        call(r, "MOVE", "a", "0")
    with raises_reply(DB_RANGE):
        call(r, "MOVE", "a", "16")
    with raises_reply(NOT_INT):
        call(r, "MOVE", "a", "x")


def test_select_switches_keyspace(one):
    one.set("k", "db0")
    assert call(one, "SELECT", "3") == "OK"
    assert one.get("k") is None
    one.set("k", "db3")
    call(one, "SELECT", "0")
    assert one.get("k") == "db0"
    call(one, "SELECT", "15")
    call(one, "SELECT", "3")
    assert one.get("k") == "db3"


def test_select_errors(one):
    for db in ("16", "-1", "100"):
        with raises_reply(DB_RANGE):
            call(one, "SELECT", db)
    with raises_reply(NOT_INT):
        call(one, "SELECT", "x")


def test_swapdb_swaps_contents(r, db1):
    r.set("a", "in0")
    db1.set("b", "in1")
    assert call(r, "SWAPDB", "0", "1") == "OK"
    assert r.get("b") == "in1" and r.exists("a") == 0
    assert db1.get("a") == "in0" and db1.exists("b") == 0
    assert call(r, "SWAPDB", "0", "0") == "OK"


def test_swapdb_errors(r):
    with raises_reply(DB_RANGE):
        call(r, "SWAPDB", "0", "16")
    with raises_reply("ERR invalid first DB index"):
        call(r, "SWAPDB", "x", "0")
    with raises_reply("ERR invalid second DB index"):
        call(r, "SWAPDB", "0", "x")


def test_flushdb_only_clears_current_db(r, db1):
    r.set("a", "1")
    db1.set("b", "1")
    db1.flushdb()
    assert r.get("a") == "1"
    assert db1.dbsize() == 0


# --------------------------------------------------------------------------
# KEYS
# --------------------------------------------------------------------------

GLOB_KEYS = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo",
             "h[llo", "hbllo", "a\\b", "h-llo"]


@pytest.mark.parametrize("pattern,expected", [
    ("h?llo", ["h*llo", "h-llo", "h?llo", "h[llo", "hallo", "hbllo", "hello", "hxllo"]),
    ("h*llo", ["h*llo", "h-llo", "h?llo", "h[llo", "hallo", "hbllo", "heeeello",
               "hello", "hllo", "hxllo"]),
    ("h[ae]llo", ["hallo", "hello"]),
    ("h[^e]llo", ["h*llo", "h-llo", "h?llo", "h[llo", "hallo", "hbllo", "hxllo"]),
    ("h[^a-e]llo", ["h*llo", "h-llo", "h?llo", "h[llo", "hxllo"]),
    ("h[a-b]llo", ["hallo", "hbllo"]),
    ("h[b-a]llo", ["hallo", "hbllo"]),
    ("h\\*llo", ["h*llo"]),
    ("h\\?llo", ["h?llo"]),
    ("h[\\[]llo", ["h[llo"]),
    ("h[!e]llo", ["hello"]),
    ("h[-]llo", ["h-llo"]),
    ("a\\\\b", ["a\\b"]),
    ("*", sorted(GLOB_KEYS)),
    ("H*", []),
    ("hel\\", []),
    ("h[", []),
    ("hello", ["hello"]),
])
def test_keys_glob_patterns(r, pattern, expected):
    r.mset({k: "1" for k in GLOB_KEYS})
    assert sorted(r.keys(pattern)) == expected


def test_keys_empty_db(r):
    assert r.keys("*") == []


def test_keys_skips_expired(r):
    r.set("live", "1")
    r.set("dead", "1", px=1)
    wait_until(lambda: r.keys("*") == ["live"], timeout=2, message="KEYS to drop expired")


# --------------------------------------------------------------------------
# SCAN
# --------------------------------------------------------------------------

def full_scan(client, count=None, match=None, _type=None, limit=100000):
    cursor, seen, rounds = "0", [], 0
    while True:
        args = ["SCAN", cursor]
        if match is not None:
            args += ["MATCH", match]
        if count is not None:
            args += ["COUNT", count]
        if _type is not None:
            args += ["TYPE", _type]
        cursor, keys = call(client, *args)
        assert isinstance(cursor, str) and cursor.isdigit()
        seen.extend(keys)
        rounds += 1
        assert rounds < limit, "SCAN did not terminate"
        if cursor == "0":
            return seen


def fill(client, n, prefix="key:", batch=1000):
    for start in range(0, n, batch):
        client.mset({f"{prefix}{i}": i for i in range(start, min(n, start + batch))})


def test_scan_reply_shape(r):
    r.set("a", "1")
    assert call(r, "SCAN", "0") == ["0", ["a"]]
    r.flushall()
    assert call(r, "SCAN", "0") == ["0", []]


def test_scan_returns_every_key(r):
    fill(r, 12000)
    seen = full_scan(r, count=100)
    assert set(seen) == {f"key:{i}" for i in range(12000)}


def test_scan_match(r):
    fill(r, 500)
    seen = full_scan(r, match="key:1?", count=50)
    assert sorted(set(seen)) == sorted(f"key:{i}" for i in range(10, 20))


def test_scan_type_filter(r):
    r.mset({"s1": "1", "s2": "2"})
    assert sorted(set(full_scan(r, _type="string"))) == ["s1", "s2"]
    assert full_scan(r, _type="hash") == []
    assert full_scan(r, _type="foo") == []


def test_scan_type_filter_excludes_lists(r):
    r.set("s", "1")
    make_wrongtype_key(r, "l")
    assert full_scan(r, _type="string") == ["s"]
    assert full_scan(r, _type="list") == ["l"]


def test_scan_while_keys_are_added_still_returns_originals(r, server):
    fill(r, 10000)
    original = {f"key:{i}" for i in range(10000)}
    writer = server.client()
    cursor, seen, rounds, added = "0", set(), 0, 0
    while True:
        cursor, keys = call(r, "SCAN", cursor, "COUNT", "50")
        seen.update(keys)
        writer.mset({f"new:{added + j}": 1 for j in range(100)})
        added += 100
        rounds += 1
        assert rounds < 10000
        if cursor == "0":
            break
    writer.close()
    assert original <= seen
    assert r.dbsize() == 10000 + added


def test_scan_while_keys_are_deleted_returns_survivors(r):
    fill(r, 10000)
    survivors = {f"key:{i}" for i in range(0, 10000, 2)}
    cursor, seen, doomed = "0", set(), [f"key:{i}" for i in range(1, 10000, 2)]
    for _ in range(10000):
        cursor, keys = call(r, "SCAN", cursor, "COUNT", "100")
        seen.update(keys)
        if doomed:
            r.delete(*doomed[:500])
            del doomed[:500]
        if cursor == "0":
            break
    assert survivors <= seen


def test_scan_errors(r):
    with raises_reply("ERR invalid cursor"):
        call(r, "SCAN", "x")
    with raises_reply("ERR invalid cursor"):
        call(r, "SCAN", "18446744073709551616")
    with raises_reply(SYNTAX):
        call(r, "SCAN", "0", "COUNT", "0")
    with raises_reply(SYNTAX):
        call(r, "SCAN", "0", "FOO", "x")
    with raises_reply(SYNTAX):
        call(r, "SCAN", "0", "MATCH")
    with raises_reply(NOT_INT):
        call(r, "SCAN", "0", "COUNT", "x")


def test_scan_skips_expired_keys(r):
    r.set("live", "1")
    r.set("dead", "1", px=1)
    wait_until(lambda: full_scan(r) == ["live"], timeout=2, message="SCAN to drop expired")


# --------------------------------------------------------------------------
# OBJECT
# --------------------------------------------------------------------------

@pytest.mark.parametrize("value,encoding", [
    ("12345", "int"), ("-1", "int"), ("9223372036854775807", "int"),
    ("01", "embstr"), ("hello", "embstr"), ("x" * 44, "embstr"),
    ("x" * 45, "raw"), ("9223372036854775808", "embstr"),
])
def test_object_encoding(r, value, encoding):
    r.set("k", value)
    assert call(r, "OBJECT", "ENCODING", "k") == encoding


def test_object_encoding_after_append_is_raw(r):
    r.set("k", "hello")
    r.append("k", "x")
    assert call(r, "OBJECT", "ENCODING", "k") == "raw"


def test_object_missing_key_is_nil(r):
    assert call(r, "OBJECT", "ENCODING", "nokey") is None
    assert call(r, "OBJECT", "IDLETIME", "nokey") is None
    assert call(r, "OBJECT", "REFCOUNT", "nokey") is None


def test_object_refcount(r):
    r.set("k", "not shared")
    assert call(r, "OBJECT", "REFCOUNT", "k") == 1


def test_object_idletime_of_fresh_key_is_small(r):
    r.set("k", "v")
    idle = call(r, "OBJECT", "IDLETIME", "k")
    assert isinstance(idle, int) and 0 <= idle <= 2


def test_object_freq_requires_lfu_policy(r):
    r.set("k", "v")
    with raises_reply(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU "
            "data will take some time to adjust."):
        call(r, "OBJECT", "FREQ", "k")


def test_object_freq_and_idletime_under_lfu(r, config_restore):
    config_restore("maxmemory-policy")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.set("k", "some value")
    freq = call(r, "OBJECT", "FREQ", "k")
    assert isinstance(freq, int) and 0 <= freq <= 255
    with raises_reply(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU "
            "data will take some time to adjust."):
        call(r, "OBJECT", "IDLETIME", "k")


def test_object_errors(r):
    with raises_reply("ERR unknown subcommand 'FOO'. Try OBJECT HELP."):
        call(r, "OBJECT", "FOO")
    with raises_reply("ERR wrong number of arguments for 'object|encoding' command"):
        call(r, "OBJECT", "ENCODING")


def test_object_help(r):
    lines = call(r, "OBJECT", "HELP")
    assert lines[0] == "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    for word in ("ENCODING <key>", "FREQ <key>", "IDLETIME <key>", "REFCOUNT <key>", "HELP"):
        assert word in lines


# --------------------------------------------------------------------------
# DUMP / RESTORE
# --------------------------------------------------------------------------

STRING_VALUES = [
    b"hello", b"", b"12345", b"-7", b"9223372036854775807", b"9223372036854775808",
    b"3.14", b"\x00\xffbinary\r\n", b"x" * 100, bytes(range(256)) * 40,
    bytes(random.Random(7).getrandbits(8) for _ in range(20000)),
]


@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


def test_dump_missing_key_is_nil(rb):
    assert rb.dump("nokey") is None


def test_dump_restore_roundtrip(rb):
    for i, value in enumerate(STRING_VALUES):
        rb.set(f"src{i}", value)
        payload = rb.dump(f"src{i}")
        assert call(rb, "RESTORE", f"dst{i}", "0", payload) == b"OK"
        assert rb.get(f"dst{i}") == value
        assert rb.ttl(f"dst{i}") == -1


@pytest.mark.parametrize("value", [b"hello", b"12345", b"", b"-1", b"0123",
                                   b"x" * 20, b"\x00\x01\x02"])
def test_dump_payload_bytes_match_redis(rb, rbpeer, value):
    rb.set("k", value)
    rbpeer.set("k", value)
    assert rb.dump("k") == rbpeer.dump("k")


def test_dump_from_tested_server_restores_into_redis(rb, rbpeer):
    for i, value in enumerate(STRING_VALUES):
        rb.set(f"k{i}", value)
        assert call(rbpeer, "RESTORE", f"k{i}", "0", rb.dump(f"k{i}")) == b"OK"
        assert rbpeer.get(f"k{i}") == value


def test_dump_from_redis_restores_into_tested_server(rb, rbpeer):
    for i, value in enumerate(STRING_VALUES):
        rbpeer.set(f"k{i}", value)
        assert call(rb, "RESTORE", f"k{i}", "0", rbpeer.dump(f"k{i}")) == b"OK"
        assert rb.get(f"k{i}") == value
        assert call(rb, "OBJECT", "ENCODING", f"k{i}") == \
            call(rbpeer, "OBJECT", "ENCODING", f"k{i}")


def test_restore_with_ttl(rb, rbpeer):
    rbpeer.set("k", b"v")
    payload = rbpeer.dump("k")
    call(rb, "RESTORE", "k", "100000", payload)
    assert 99000 <= rb.pttl("k") <= 100000


def test_restore_absttl(rb):
    rb.set("k", b"v")
    payload = rb.dump("k")
    call(rb, "RESTORE", "a", "4102444800000", payload, "ABSTTL")
    assert call(rb, "PEXPIRETIME", "a") == 4102444800000


def test_restore_absttl_in_past_creates_nothing(rb):
    rb.set("k", b"v")
    assert call(rb, "RESTORE", "a", "5000", rb.dump("k"), "ABSTTL") == b"OK"
    assert rb.exists("a") == 0


def test_restore_busykey_and_replace(rb):
    rb.set("k", b"v1")
    payload = rb.dump("k")
    rb.set("k", b"v2", ex=100)
    with raises_reply("BUSYKEY Target key name already exists."):
        call(rb, "RESTORE", "k", "0", payload)
    assert rb.get("k") == b"v2"
    assert call(rb, "RESTORE", "k", "0", payload, "REPLACE") == b"OK"
    assert rb.get("k") == b"v1"
    assert rb.ttl("k") == -1


def test_restore_idletime(rb):
    rb.set("k", b"v")
    call(rb, "RESTORE", "r", "0", rb.dump("k"), "IDLETIME", "1000")
    assert 1000 <= call(rb, "OBJECT", "IDLETIME", "r") <= 1002


def test_restore_freq_under_lfu(rb, config_restore):
    config_restore("maxmemory-policy")
    rb.config_set("maxmemory-policy", "allkeys-lfu")
    rb.set("k", b"v")
    call(rb, "RESTORE", "r", "0", rb.dump("k"), "FREQ", "100")
    assert call(rb, "OBJECT", "FREQ", "r") == 100


@pytest.mark.parametrize("payload", [
    b"garbage", b"", b"\x00\x05hello\n\x00cr\xdfve4 \x00",  # bad crc
    b"\x00\x05hello\x63\x00cr\xdfve4 \n",                  # future rdb version
])
def test_restore_bad_payload(rb, payload):
    with raises_reply(BAD_PAYLOAD):
        call(rb, "RESTORE", "k", "0", payload)
    assert rb.exists("k") == 0


def test_restore_argument_errors(rb):
    rb.set("k", b"v")
    payload = rb.dump("k")
    cases = [
        (("x", payload), NOT_INT),
        (("-1", payload), "ERR Invalid TTL value, must be >= 0"),
        (("0", payload, "FOO"), SYNTAX),
        (("0", payload, "IDLETIME"), SYNTAX),
        (("0", payload, "IDLETIME", "-1"), "ERR Invalid IDLETIME value, must be >= 0"),
        (("0", payload, "FREQ", "256"), "ERR Invalid FREQ value, must be >= 0 and <= 255"),
        (("0", payload, "FREQ", "x"), NOT_INT),
        (("0", payload, "IDLETIME", "1", "FREQ", "1"), SYNTAX),
    ]
    for args, err in cases:
        with raises_reply(err):
            call(rb, "RESTORE", "new", *args)
    assert rb.exists("new") == 0


# --------------------------------------------------------------------------
# EXPIRE family
# --------------------------------------------------------------------------

def test_expire_and_ttl(r):
    r.set("k", "v")
    assert call(r, "EXPIRE", "k", "100") == 1
    assert 99 <= r.ttl("k") <= 100
    assert 99000 <= r.pttl("k") <= 100000


def test_ttl_of_missing_and_persistent_keys(r):
    assert r.ttl("nokey") == -2
    assert r.pttl("nokey") == -2
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1


def test_expire_missing_key(r):
    assert call(r, "EXPIRE", "nokey", "10") == 0
    assert call(r, "PEXPIRE", "nokey", "10") == 0
    assert call(r, "EXPIREAT", "nokey", "4102444800") == 0


def test_pexpire_expireat_pexpireat(r):
    r.set("k", "v")
    assert call(r, "PEXPIRE", "k", "50000") == 1
    assert 49000 <= r.pttl("k") <= 50000
    assert call(r, "EXPIREAT", "k", "4102444800") == 1
    assert call(r, "EXPIRETIME", "k") == 4102444800
    assert call(r, "PEXPIRETIME", "k") == 4102444800000
    assert call(r, "PEXPIREAT", "k", "4102444800123") == 1
    assert call(r, "PEXPIRETIME", "k") == 4102444800123
    assert call(r, "EXPIRETIME", "k") == 4102444800


def test_expiretime_missing_and_persistent(r):
    assert call(r, "EXPIRETIME", "nokey") == -2
    assert call(r, "PEXPIRETIME", "nokey") == -2
    r.set("k", "v")
    assert call(r, "EXPIRETIME", "k") == -1
    assert call(r, "PEXPIRETIME", "k") == -1


def test_persist(r):
    r.set("k", "v", ex=100)
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert call(r, "PERSIST", "k") == 0
    assert call(r, "PERSIST", "nokey") == 0


def test_expire_nx_xx(r):
    r.set("k", "v")
    assert call(r, "EXPIRE", "k", "10", "XX") == 0
    assert r.ttl("k") == -1
    assert call(r, "EXPIRE", "k", "10", "NX") == 1
    assert call(r, "EXPIRE", "k", "20", "NX") == 0
    assert r.ttl("k") == 10
    assert call(r, "EXPIRE", "k", "20", "XX") == 1
    assert r.ttl("k") == 20


def test_expire_gt_lt(r):
    r.set("k", "v", ex=10)
    assert call(r, "EXPIRE", "k", "5", "GT") == 0
    assert call(r, "EXPIRE", "k", "20", "GT") == 1
    assert r.ttl("k") == 20
    assert call(r, "EXPIRE", "k", "30", "LT") == 0
    assert call(r, "EXPIRE", "k", "5", "LT") == 1
    assert r.ttl("k") == 5
    assert call(r, "EXPIRE", "k", "10", "XX", "GT") == 1
    assert r.ttl("k") == 10


def test_expire_gt_lt_on_persistent_key_treats_it_as_infinite(r):
    r.set("k", "v")
    assert call(r, "EXPIRE", "k", "10", "GT") == 0
    assert r.ttl("k") == -1
    assert call(r, "PEXPIRE", "k", "10000", "LT") == 1
    assert 9000 <= r.pttl("k") <= 10000


def test_expire_option_errors(r):
    r.set("k", "v")
    nx_err = "ERR NX and XX, GT or LT options at the same time are not compatible"
    for opts in (("NX", "XX"), ("NX", "GT"), ("NX", "LT")):
        with raises_reply(nx_err):
            call(r, "EXPIRE", "k", "10", *opts)
    with raises_reply("ERR GT and LT options at the same time are not compatible"):
        call(r, "PEXPIRE", "k", "10", "GT", "LT")
    with raises_reply("ERR Unsupported option FOO"):
        call(r, "EXPIRE", "k", "10", "FOO")
    with raises_reply(NOT_INT):
        call(r, "EXPIRE", "k", "x")
    with raises_reply(NOT_INT):
        call(r, "EXPIRE", "k", "1.5")
    assert r.ttl("k") == -1


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", "9223372036854775807"), ("EXPIRE", "9223372036854775"),
    ("EXPIRE", "-9223372036854775808"), ("PEXPIRE", "9223372036854775807"),
    ("EXPIREAT", "9223372036854775807"),
])
def test_expire_overflow_is_invalid_expire_time(r, cmd, value):
    r.set("k", "v")
    with raises_reply(f"ERR invalid expire time in '{cmd.lower()}' command"):
        call(r, cmd, "k", value)
    assert r.ttl("k") == -1


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", "-1"), ("EXPIRE", "0"), ("PEXPIRE", "0"), ("PEXPIRE", "-100"),
    ("EXPIREAT", "1"), ("PEXPIREAT", "1"), ("EXPIREAT", "0"),
])
def test_expire_in_past_deletes_key(r, cmd, value):
    r.set("k", "v")
    assert call(r, cmd, "k", value) == 1
    assert r.exists("k") == 0
    assert r.ttl("k") == -2


def test_set_resets_ttl_but_append_keeps_it(r):
    r.set("k", "v", ex=100)
    r.append("k", "x")
    assert r.ttl("k") > 0
    r.set("k", "w")
    assert r.ttl("k") == -1
