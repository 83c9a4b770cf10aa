"""Hashes: every command with its replies and errors (RESP2 and RESP3), OBJECT ENCODING
at both thresholds and under CONFIG SET, DEBUG DIGEST-VALUE and DUMP/RESTORE against a
real redis-server (peer) for both encodings, and survival of SIGKILL under the journal,
before and after a SAVE.

Every expectation was checked against redis-server 7.0.15 (reference mode).
"""
import random

import pytest

from conftest import ALWAYS, sigkill, start_server, NOT_INT, SYNTAX, WRONGTYPE, RespMap, call, raises_reply

HASH_ENTRIES = 512   # hash-max-listpack-entries default
HASH_VALUE = 64      # hash-max-listpack-value default


def fill(client, key, count, value_size=5, prefix="field:"):
    """HSET `count` fields in one command: field:i -> a value of value_size bytes."""
    mapping = {f"{prefix}{i}": (str(i) + "v" * value_size)[:value_size] for i in range(count)}
    client.hset(key, mapping=mapping)
    return mapping


def encoding(client, key):
    return call(client, "OBJECT", "ENCODING", key)


def wrongtype_key(client, key="str"):
    client.set(key, "x")
    return key


# --------------------------------------------------------------------------- writes

def test_hset_counts_new_fields_only(r):
    assert r.hset("h", "a", "1") == 1
    assert call(r, "HSET", "h", "a", "2", "b", "3", "c", "4") == 2
    assert call(r, "HSET", "h", "d", "1", "d", "2") == 1   # repeated in one call: last wins
    assert r.hgetall("h") == {"a": "2", "b": "3", "c": "4", "d": "2"}


def test_hset_and_hmset_arity(r):
    for command in ("HSET", "HMSET"):
        name = command.lower()
        with raises_reply(f"ERR wrong number of arguments for '{name}' command"):
            call(r, command, "h", "f")
        with raises_reply(f"ERR wrong number of arguments for '{name}' command"):
            call(r, command, "h", "f", "v", "g")
    assert r.exists("h") == 0


def test_hmset_replies_ok(r):
    assert call(r, "HMSET", "h", "a", "1", "b", "2") == "OK"
    assert r.hgetall("h") == {"a": "1", "b": "2"}


def test_hsetnx(r):
    assert r.hsetnx("h", "a", "1") == 1
    assert r.hsetnx("h", "a", "2") == 0
    assert r.hget("h", "a") == "1"
    with raises_reply("ERR wrong number of arguments for 'hsetnx' command"):
        call(r, "HSETNX", "h", "a")


def test_hdel_removes_and_deletes_empty_key(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert r.hdel("h", "a", "zz") == 1
    assert r.hdel("h", "b", "c", "b") == 2
    assert r.exists("h") == 0
    assert r.hdel("h", "a") == 0
    assert r.hdel("missing", "a") == 0


def test_hincrby(r):
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrby("h", "n", -7) == -2
    r.hset("h", "big", "9223372036854775807")
    with raises_reply("ERR increment or decrement would overflow"):
        r.hincrby("h", "big", 1)
    r.hset("h", "small", "-9223372036854775808")
    with raises_reply("ERR increment or decrement would overflow"):
        r.hincrby("h", "small", -1)
    for bad in ("abc", " 1", "1.5", "01", ""):
        r.hset("h", "bad", bad)
        with raises_reply("ERR hash value is not an integer"):
            r.hincrby("h", "bad", 1)
    with raises_reply(NOT_INT):
        call(r, "HINCRBY", "h", "n", "x")
    with raises_reply(NOT_INT):
        call(r, "HINCRBY", "h", "n", "9223372036854775808")
    assert r.hget("h", "n") == "-2"


def test_hincrbyfloat(r):
    assert call(r, "HINCRBYFLOAT", "h", "f", "10.5") == "10.5"
    assert call(r, "HINCRBYFLOAT", "h", "f", "0.1") == "10.6"
    assert call(r, "HINCRBYFLOAT", "h", "f", "-5") == "5.6"
    assert call(r, "HINCRBYFLOAT", "h", "e", "1.5e1") == "15"
    assert call(r, "HINCRBYFLOAT", "h", "e", "3.0") == "18"
    r.hset("h", "i", "7")
    assert call(r, "HINCRBYFLOAT", "h", "i", "0.25") == "7.25"
    r.hset("h", "s", "abc")
    with raises_reply("ERR hash value is not a float"):
        call(r, "HINCRBYFLOAT", "h", "s", "1")
    r.hset("h", "sp", " 1")
    with raises_reply("ERR hash value is not a float"):
        call(r, "HINCRBYFLOAT", "h", "sp", "1")
    with raises_reply("ERR value is not a valid float"):
        call(r, "HINCRBYFLOAT", "h", "f", "abc")
    with raises_reply("ERR value is not a valid float"):
        call(r, "HINCRBYFLOAT", "h", "f", "nan")
    with raises_reply("ERR value is NaN or Infinity"):
        call(r, "HINCRBYFLOAT", "h", "f", "inf")
    r.hset("h", "huge", "1e4932")
    with raises_reply("ERR increment would produce NaN or Infinity"):
        call(r, "HINCRBYFLOAT", "h", "huge", "1e4932")
    assert r.hget("h", "f") == "5.6"


def test_writes_against_wrong_type(r):
    key = wrongtype_key(r)
    for args in (("HSET", key, "f", "v"), ("HMSET", key, "f", "v"), ("HSETNX", key, "f", "v"),
                 ("HDEL", key, "f"), ("HINCRBY", key, "f", "1"), ("HINCRBYFLOAT", key, "f", "1")):
        with raises_reply(WRONGTYPE):
            call(r, *args)
    assert r.get(key) == "x"


def test_argument_errors_come_before_the_type_check(r):
    key = wrongtype_key(r)
    with raises_reply(NOT_INT):
        call(r, "HINCRBY", key, "f", "x")
    with raises_reply("ERR value is not a valid float"):
        call(r, "HINCRBYFLOAT", key, "f", "x")
    with raises_reply(NOT_INT):
        call(r, "HRANDFIELD", key, "x")
    with raises_reply("ERR invalid cursor"):
        call(r, "HSCAN", key, "x")


# --------------------------------------------------------------------------- reads

def test_hget_hmget_hexists_hstrlen_hlen(r):
    r.hset("h", mapping={"a": "hello", "n": "-123", "e": ""})
    assert r.hget("h", "a") == "hello"
    assert r.hget("h", "zz") is None
    assert r.hget("missing", "a") is None
    assert r.hmget("h", "a", "zz", "n") == ["hello", None, "-123"]
    assert r.hmget("missing", "a", "b") == [None, None]
    assert r.hexists("h", "e") is True
    assert r.hexists("h", "zz") is False
    assert r.hexists("missing", "a") is False
    assert r.hstrlen("h", "a") == 5
    assert r.hstrlen("h", "n") == 4      # an integer in the listpack counts as its text
    assert r.hstrlen("h", "e") == 0
    assert r.hstrlen("h", "zz") == 0
    assert r.hstrlen("missing", "a") == 0
    assert r.hlen("h") == 3
    assert r.hlen("missing") == 0


def test_hkeys_hvals_hgetall(r):
    mapping = {"a": "1", "b": "two", "c": "3"}
    r.hset("h", mapping=mapping)
    assert sorted(r.hkeys("h")) == ["a", "b", "c"]
    assert sorted(r.hvals("h")) == ["1", "3", "two"]
    assert r.hgetall("h") == mapping
    # Fields and values come out in the same order.
    assert [mapping[k] for k in r.hkeys("h")] == r.hvals("h")
    assert r.hkeys("missing") == []
    assert r.hvals("missing") == []
    assert r.hgetall("missing") == {}


def test_reads_against_wrong_type(r):
    key = wrongtype_key(r)
    for args in (("HGET", key, "f"), ("HMGET", key, "f"), ("HLEN", key), ("HSTRLEN", key, "f"),
                 ("HEXISTS", key, "f"), ("HKEYS", key), ("HVALS", key), ("HGETALL", key),
                 ("HRANDFIELD", key), ("HRANDFIELD", key, "2"), ("HSCAN", key, "0"),
                 ("HSCAN", key, "0", "BADOPT")):
        with raises_reply(WRONGTYPE):
            call(r, *args)


@pytest.mark.parametrize("command,arity", [
    ("HGET", 3), ("HMGET", -3), ("HLEN", 2), ("HSTRLEN", 3), ("HEXISTS", 3), ("HKEYS", 2),
    ("HVALS", 2), ("HGETALL", 2), ("HINCRBY", 4), ("HINCRBYFLOAT", 4), ("HRANDFIELD", -2),
    ("HSCAN", -3), ("HDEL", -3), ("HSETNX", 4), ("HSET", -4), ("HMSET", -4)])
def test_arity(r, command, arity):
    too_few = ["k"] * ((abs(arity) - 2))
    with raises_reply(f"ERR wrong number of arguments for '{command.lower()}' command"):
        call(r, command, *too_few)
    if arity > 0:
        with raises_reply(f"ERR wrong number of arguments for '{command.lower()}' command"):
            call(r, command, *(["k"] * arity))


def test_large_values_and_binary_fields(rb):
    value = bytes(range(256)) * 100
    rb.hset("h", b"\x00bin\r\n", value)
    assert rb.hget("h", b"\x00bin\r\n") == value
    assert rb.hstrlen("h", b"\x00bin\r\n") == len(value)
    assert encoding(rb, "h") == b"hashtable"


# --------------------------------------------------------------------------- HRANDFIELD

@pytest.mark.parametrize("size", [5, 600])   # listpack, hashtable
def test_hrandfield_counts(r, size):
    mapping = fill(r, "h", size)
    assert r.hrandfield("h") in mapping
    assert r.hrandfield("missing") is None
    assert call(r, "HRANDFIELD", "missing", "3") == []
    assert call(r, "HRANDFIELD", "h", "0") == []
    for count in (1, 3, size - 1, size, size + 10):
        fields = call(r, "HRANDFIELD", "h", str(count))
        assert len(fields) == min(count, size)
        assert len(set(fields)) == len(fields)
        assert set(fields) <= set(mapping)
    picks = call(r, "HRANDFIELD", "h", "-20")
    assert len(picks) == 20 and set(picks) <= set(mapping)
    flat = call(r, "HRANDFIELD", "h", "-6", "WITHVALUES")
    assert len(flat) == 12
    for field, value in zip(flat[::2], flat[1::2]):
        assert mapping[field] == value
    flat = call(r, "HRANDFIELD", "h", "4", "withvalues")
    assert len(flat) == 8 and len(set(flat[::2])) == 4
    for field, value in zip(flat[::2], flat[1::2]):
        assert mapping[field] == value


def test_hrandfield_negative_count_repeats(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    picks = call(r, "HRANDFIELD", "h", "-100")
    assert len(picks) == 100 and set(picks) == {"a", "b"}


def test_hrandfield_errors(r):
    r.hset("h", "a", "1")
    with raises_reply(SYNTAX):
        call(r, "HRANDFIELD", "h", "1", "WITHVALUESX")
    with raises_reply(SYNTAX):
        call(r, "HRANDFIELD", "h", "1", "WITHVALUES", "x")
    with raises_reply(NOT_INT):
        call(r, "HRANDFIELD", "missing", "x")
    with raises_reply("ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"):
        call(r, "HRANDFIELD", "h", "-9223372036854775808")
    with raises_reply("ERR value is out of range"):
        call(r, "HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES")
    with raises_reply("ERR value is out of range"):
        call(r, "HRANDFIELD", "h", "4611686018427387904", "WITHVALUES")


# --------------------------------------------------------------------------- HSCAN

def scan_all(client, key, **options):
    cursor, seen, calls = "0", {}, 0
    while True:
        args = ["HSCAN", key, cursor]
        for name, value in options.items():
            args += [name.upper(), str(value)]
        cursor, items = call(client, *args)
        calls += 1
        for field, value in zip(items[::2], items[1::2]):
            seen[field] = value
        if cursor == "0":
            return seen, calls


def test_hscan_listpack_returns_everything_at_once(r):
    mapping = fill(r, "h", 20)
    assert encoding(r, "h") == "listpack"
    cursor, items = call(r, "HSCAN", "h", "0", "COUNT", "1")
    assert cursor == "0"
    assert dict(zip(items[::2], items[1::2])) == mapping
    # Any cursor: a listpack is replied whole.
    assert call(r, "HSCAN", "h", "12345")[0] == "0"
    cursor, items = call(r, "HSCAN", "h", "0", "MATCH", "field:1*")
    assert cursor == "0"
    assert sorted(items[::2]) == sorted(f for f in mapping if f.startswith("field:1"))


def test_hscan_hashtable_pages_and_covers_everything(r):
    mapping = fill(r, "h", 1000)
    assert encoding(r, "h") == "hashtable"
    seen, calls = scan_all(r, "h", count=10)
    assert seen == mapping
    assert calls > 10
    seen, _ = scan_all(r, "h", match="field:99*", count=50)
    assert set(seen) == {"field:99"} | {f"field:99{i}" for i in range(10)}


def test_hscan_keeps_fields_present_throughout_while_the_hash_grows(r):
    fill(r, "h", 600, prefix="stable:")
    cursor, seen, added = "0", set(), 0
    while True:
        cursor, items = call(r, "HSCAN", "h", cursor, "COUNT", "20")
        seen.update(items[::2])
        if added < 4000:  # several resizes, yet a scan that can catch up and finish
            r.hset("h", mapping={f"new:{added + i}": "x" for i in range(100)})
            added += 100
        if cursor == "0":
            break
    assert {f"stable:{i}" for i in range(600)} <= seen


def test_hscan_errors(r):
    r.hset("h", "a", "1")
    with raises_reply("ERR invalid cursor"):
        call(r, "HSCAN", "h", "abc")
    with raises_reply(SYNTAX):
        call(r, "HSCAN", "h", "0", "COUNT", "0")
    with raises_reply(SYNTAX):
        call(r, "HSCAN", "h", "0", "FOO", "bar")
    with raises_reply(SYNTAX):
        call(r, "HSCAN", "h", "0", "TYPE", "hash")
    with raises_reply(SYNTAX):
        call(r, "HSCAN", "h", "0", "COUNT")
    with raises_reply(NOT_INT):
        call(r, "HSCAN", "h", "0", "COUNT", "x")
    # A missing key answers an empty page before the options are looked at.
    assert call(r, "HSCAN", "missing", "0", "FOO") == ["0", []]


# --------------------------------------------------------------------------- RESP3

def test_resp3_reply_shapes(r3):
    r3.call("HSET", "h", "a", "1", "b", "2")
    assert r3.call("HGETALL", "h") == RespMap({b"a": b"1", b"b": b"2"})
    assert r3.call("HGETALL", "missing") == RespMap()
    assert r3.call("HGET", "h", "zz") is None
    assert r3.call("HMGET", "h", "a", "zz") == [b"1", None]
    pairs = r3.call("HRANDFIELD", "h", "2", "WITHVALUES")
    assert sorted(pairs) == [[b"a", b"1"], [b"b", b"2"]]
    pairs = r3.call("HRANDFIELD", "h", "-3", "WITHVALUES")
    assert len(pairs) == 3 and all(len(p) == 2 and p[1] == {b"a": b"1", b"b": b"2"}[p[0]] for p in pairs)
    assert sorted(r3.call("HRANDFIELD", "h", "5")) == [b"a", b"b"]
    assert r3.call("HRANDFIELD", "missing") is None
    assert r3.call("HRANDFIELD", "missing", "2", "WITHVALUES") == []
    assert r3.call("HSCAN", "h", "0") == [b"0", [b"a", b"1", b"b", b"2"]]
    assert r3.call("HINCRBYFLOAT", "h", "a", "0.5") == b"1.5"


def test_resp2_hgetall_is_flat(raw):
    conn = raw()
    conn.call("FLUSHALL")
    conn.call("HSET", "h", "a", "1")
    assert conn.call("HGETALL", "h") == [b"a", b"1"]
    assert conn.call("HGETALL", "missing") == []


# --------------------------------------------------------------------------- encodings

def test_encoding_at_the_entry_threshold(r):
    fill(r, "h", HASH_ENTRIES)
    assert encoding(r, "h") == "listpack"
    r.hset("h", "one-more", "x")
    assert encoding(r, "h") == "hashtable"
    r.hdel("h", *[f"field:{i}" for i in range(HASH_ENTRIES)])
    assert r.hlen("h") == 1
    assert encoding(r, "h") == "hashtable"   # never converts back


def test_encoding_at_the_value_threshold(r):
    r.hset("v", "f", "x" * HASH_VALUE)
    assert encoding(r, "v") == "listpack"
    r.hset("v", "g", "x" * (HASH_VALUE + 1))
    assert encoding(r, "v") == "hashtable"
    r.hset("f", "x" * HASH_VALUE, "v")
    assert encoding(r, "f") == "listpack"
    r.hset("f", "x" * (HASH_VALUE + 1), "v")
    assert encoding(r, "f") == "hashtable"
    r.hset("n", "a", "1")
    r.hincrby("n", "y" * (HASH_VALUE + 1), 1)
    assert encoding(r, "n") == "hashtable"


@pytest.mark.tierkv_only  # Redis 7.2 (#12019) pre-sizes from the argument count; 7.0 counts fields
def test_more_pairs_than_the_limit_convert_even_if_repeated(r):
    args = []
    for i in range(HASH_ENTRIES + 1):
        args += ["same", str(i)]
    assert call(r, "HSET", "h", *args) == 1
    assert encoding(r, "h") == "hashtable"


def test_config_set_thresholds(r, config_restore):
    config_restore("hash-max-listpack-entries", "hash-max-listpack-value")
    r.config_set("hash-max-listpack-entries", "4")
    r.config_set("hash-max-listpack-value", "8")
    assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "4"}
    # The old name is an alias.
    assert r.config_get("hash-max-ziplist-value") == {"hash-max-ziplist-value": "8"}
    fill(r, "four", 4)
    assert encoding(r, "four") == "listpack"
    fill(r, "five", 5)
    assert encoding(r, "five") == "hashtable"
    r.hset("short", "f", "12345678")
    assert encoding(r, "short") == "listpack"
    r.hset("long", "f", "123456789")
    assert encoding(r, "long") == "hashtable"
    # Existing values keep their encoding when the limits change.
    r.config_set("hash-max-listpack-entries", "512")
    r.config_set("hash-max-listpack-value", "64")
    assert encoding(r, "five") == "hashtable"
    r.hset("four", "f", "v")
    assert encoding(r, "four") == "listpack"


def test_type_and_object(r):
    r.hset("h", "a", "1")
    assert r.type("h") == "hash"
    assert call(r, "OBJECT", "ENCODING", "h") == "listpack"


# --------------------------------------------------------------------------- redis-server peer

@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


def build_both(client, rng_seed=5):
    """A small hash (listpack) with text, integers and empty values, and a big one
    (hashtable) with values of several sizes."""
    rng = random.Random(rng_seed)
    small = {b"name": b"tierkv", b"count": b"12345", b"neg": b"-99", b"empty": b"",
             b"big-int": b"9223372036854775807", b"float": b"3.14"}
    client.hset("small", mapping=small)
    big = {f"field:{i}".encode(): rng.randbytes(rng.randint(0, 40)) for i in range(700)}
    big[b"long"] = b"L" * 300
    client.hset("big", mapping=big)
    return {b"small": small, b"big": big}


def digest(client, key):
    return call(client, "DEBUG", "DIGEST-VALUE", key)


def test_digest_value_matches_redis(rb, rbpeer):
    built = build_both(rb)
    build_both(rbpeer)
    for key in built:
        assert digest(rb, key) == digest(rbpeer, key), key
    rb.hincrbyfloat("small", "float", 1)
    rbpeer.hincrbyfloat("small", "float", 1)
    rb.hdel("big", "field:3")
    rbpeer.hdel("big", "field:3")
    rb.expire("small", 1000)
    rbpeer.expire("small", 1000)
    for key in built:
        assert digest(rb, key) == digest(rbpeer, key), key
    assert call(rb, "DEBUG", "DIGEST") == call(rbpeer, "DEBUG", "DIGEST")


def test_listpack_dump_payload_bytes_match_redis(rb, rbpeer):
    build_both(rb)
    build_both(rbpeer)
    assert rb.dump("small") == rbpeer.dump("small")


@pytest.mark.parametrize("direction", ["to_redis", "from_redis"])
def test_dump_restore_interop_both_encodings(rb, rbpeer, direction):
    source, target = (rb, rbpeer) if direction == "to_redis" else (rbpeer, rb)
    built = build_both(source)
    for key, mapping in built.items():
        assert call(target, "RESTORE", key, "0", source.dump(key)) == b"OK"
        assert target.hgetall(key) == mapping
        assert encoding(target, key) == encoding(source, key)
        assert digest(target, key) == digest(source, key)
    # A restored hash is fully usable.
    target.hset("big", "extra", "1")
    assert target.hlen("big") == len(built[b"big"]) + 1


def test_restore_of_a_big_listpack_converts_by_this_servers_limit(r, config_restore):
    fill(r, "h", 10)
    payload = r.dump("h")
    config_restore("hash-max-listpack-entries")
    r.config_set("hash-max-listpack-entries", "5")
    assert call(r, "RESTORE", "copy", "0", payload) == "OK"
    assert encoding(r, "copy") == "hashtable"
    assert r.hgetall("copy") == r.hgetall("h")


def test_restore_rejects_a_damaged_payload(rb):
    rb.hset("h", mapping={"a": "1", "b": "2"})
    payload = bytearray(rb.dump("h"))
    payload[3] ^= 0xFF
    with pytest.raises(Exception):
        call(rb, "RESTORE", "bad", "0", bytes(payload))
    assert rb.exists("bad") == 0


def test_copy_rename_and_expiry(r):
    fill(r, "h", 3)
    fill(r, "t", 600)
    assert call(r, "COPY", "h", "h2") == 1
    assert call(r, "COPY", "t", "t2") == 1
    r.hset("h", "field:0", "changed")
    r.hdel("t", "field:0")
    assert r.hget("h2", "field:0") != "changed"
    assert r.hlen("t2") == 600
    assert encoding(r, "t2") == "hashtable"
    r.rename("h2", "h3")
    assert r.hlen("h3") == 3
    r.pexpire("h3", 1)
    r.execute_command("DEBUG", "SLEEP", "0.01")
    assert r.hlen("h3") == 0


# --------------------------------------------------------------------------- durability



def start(workdir):
    return start_server(workdir, *ALWAYS)




def hash_writes(c, round_number):
    """Every kind of hash write, in both encodings, with conversions along the way."""
    tag = str(round_number)
    c.hset("small" + tag, mapping={"a": "1", "b": "2", "c": "x"})
    c.hsetnx("small" + tag, "d", "4")
    c.hsetnx("small" + tag, "a", "ignored")
    c.hincrby("small" + tag, "a", 41)
    c.hincrbyfloat("small" + tag, "f", "0.1")
    c.hincrbyfloat("small" + tag, "f", "0.2")
    c.hdel("small" + tag, "c")
    c.execute_command("HMSET", "small" + tag, "m", "n")
    fill(c, "big" + tag, 300)
    fill(c, "big" + tag, 700, value_size=9)            # past the entry limit
    c.hdel("big" + tag, *[f"field:{i}" for i in range(0, 700, 5)])
    c.hincrby("big" + tag, "counter", 10 ** 12)
    c.hset("gone" + tag, "only", "1")
    c.hdel("gone" + tag, "only")
    c.hset("long" + tag, "v", "z" * 100)              # hashtable through a long value
    c.expire("small" + tag, 10000)


def hash_state(c):
    keys = sorted(c.keys("*"))
    return {key: (c.hgetall(key), encoding(c, key)) for key in keys}, call(c, "DEBUG", "DIGEST")


def test_hashes_survive_sigkill_under_fsync_always(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        hash_writes(c, 1)
        before = hash_state(c)
        assert "gone1" not in before[0]
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert hash_state(c) == before
        assert c.ttl("small1") > 9000
    finally:
        srv.stop()


def test_hashes_survive_sigkill_after_save_and_more_writes(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        hash_writes(c, 1)
        assert c.save() is True
        hash_writes(c, 2)                      # new keys after the checkpoint
        c.hset("big1", "after-save", "1")      # and changes to checkpointed ones
        c.hdel("small1", "a")
        c.hincrbyfloat("small1", "f", "1.5")
        before = hash_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        c = srv.client()
        assert hash_state(c) == before
        # And once more, from what the restart recovered.
        c.hset("big2", "third-life", "1")
        before = hash_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        assert hash_state(srv.client()) == before
    finally:
        srv.stop()
