"""HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.

tierkv keeps Redis's exact representation, so besides replies and errors these tests
compare the values themselves with a real redis-server (the `peer` fixture) fed the same
commands: equal counts, equal bytes (sparse and dense), equal DUMP payloads, and
RESTORE in both directions. In reference mode both sides are redis-server, which
checks the tests themselves.
"""

import pytest
import redis

from conftest import ALWAYS, sigkill, ServerProcess, call, raises_reply, server_bin

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"

HEADER_SIZE = 16
DENSE_SIZE = 12304
# A sparse header with its cached cardinality marked stale (so PFCOUNT computes).
STALE_SPARSE_HEADER = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"
# A damaged sparse value: one XZERO cut in half, covering registers 0..8192 only.
# "foo" hashes to register 7348 (inside), "a" to 12711 (outside).
CUT_HLL = STALE_SPARSE_HEADER + b"\x60"


@pytest.fixture
def rbpeer(peer):
    c = peer.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


def elements(n, prefix="e"):
    return [f"{prefix}{i}" for i in range(n)]


def pfadd_all(client, key, items, chunk=1000):
    pipe = client.pipeline(transaction=False)
    for i in range(0, len(items), chunk):
        pipe.pfadd(key, *items[i:i + chunk])
    return pipe.execute()


def encoding(client, key):
    reply = call(client, "PFDEBUG", "ENCODING", key)
    return reply.decode() if isinstance(reply, bytes) else reply


def dense_value(registers, stale=True):
    """A dense HLL with the given 16384 register values, packed as Redis packs them."""
    bits = 0
    for i, value in enumerate(registers):
        bits |= value << (6 * i)
    header = b"HYLL\x00\x00\x00\x00" + b"\x00" * 7 + (b"\x80" if stale else b"\x00")
    return header + bits.to_bytes(DENSE_SIZE - HEADER_SIZE, "little")


# --------------------------------------------------------------------------
# PFADD
# --------------------------------------------------------------------------

def test_pfadd_creates_and_reports_changes(rb):
    assert rb.pfadd("h") == 1  # an empty HLL, its cache marked stale by the change
    assert rb.get("h") == STALE_SPARSE_HEADER + b"\x7f\xff"
    assert rb.pfadd("h") == 0
    assert rb.pfadd("h", "a", "b", "c") == 1
    assert rb.pfadd("h", "a", "b") == 0
    assert rb.type("h") == b"string"
    assert call(rb, "OBJECT", "ENCODING", "h") == b"raw"
    assert rb.pfcount("h") == 3


def test_arity_errors(r):
    for command in (["PFADD"], ["PFCOUNT"], ["PFMERGE"], ["PFDEBUG", "GETREG"], ["PFSELFTEST", "x"]):
        with raises_reply(f"ERR wrong number of arguments for '{command[0].lower()}' command"):
            call(r, *command)


def test_pfadd_keeps_the_ttl_through_growth_and_promotion(rb, rbpeer):
    for c in (rb, rbpeer):
        c.pfadd("h", "first")
        c.expire("h", 1000)
        pfadd_all(c, "h", elements(5000))
    assert 990 < rb.ttl("h") <= 1000
    assert encoding(rb, "h") == "dense"
    assert rb.get("h") == rbpeer.get("h")


# --------------------------------------------------------------------------
# Counts and bytes equal Redis's
# --------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 10, 100, 1000, 3000, 10000, 100000])
def test_counts_and_bytes_equal_redis(rb, rbpeer, n):
    items = elements(n)
    assert pfadd_all(rb, "h", items) == pfadd_all(rbpeer, "h", items)
    assert encoding(rb, "h") == encoding(rbpeer, "h")
    assert rb.get("h") == rbpeer.get("h")
    assert rb.pfcount("h") == rbpeer.pfcount("h")
    # PFCOUNT cached the cardinality in the header, as Redis does.
    assert rb.get("h") == rbpeer.get("h")
    assert rb.dump("h") == rbpeer.dump("h")


def test_known_counts(r):
    """Counts redis-server 7.0 reports for "e0".."e<n-1>" (the unit tests use the same)."""
    for n, expected in [(1, 1), (10, 10), (100, 100), (1000, 1008), (10000, 9973), (100000, 100853)]:
        r.delete("h")
        pfadd_all(r, "h", elements(n))
        assert r.pfcount("h") == expected, n


def test_binary_and_empty_elements_equal_redis(rb, rbpeer):
    items = [b"", b"\x00", b"\xff" * 7, b"\x00" * 8, b"12345678", b"123456789abcdef", bytes(range(256))]
    for c in (rb, rbpeer):
        c.pfadd("h", *items)
    assert rb.get("h") == rbpeer.get("h")
    assert rb.pfcount("h") == rbpeer.pfcount("h") == len(items)


def test_sparse_limit_follows_config(rb, rbpeer, config_restore):
    config_restore("hll-sparse-max-bytes")
    for c in (rb, rbpeer):
        c.config_set("hll-sparse-max-bytes", 200)
        pfadd_all(c, "h", elements(100))
        c.config_set("hll-sparse-max-bytes", 3000)
    assert encoding(rb, "h") == encoding(rbpeer, "h") == "dense"
    assert rb.get("h") == rbpeer.get("h")


def test_crafted_dense_values_count_as_in_redis(rb, rbpeer):
    cases = {
        "all51": [51] * 16384,                          # the estimator's z becomes 0
        "all63": [63] * 16384,
        "mixed": [(i * 37) % 64 for i in range(16384)],
        "half": [0] * 8192 + [1] * 8192,
    }
    for name, registers in cases.items():
        value = dense_value(registers)
        rb.set(name, value)
        rbpeer.set(name, value)
        assert rb.pfcount(name) == rbpeer.pfcount(name), name
        assert rb.get(name) == rbpeer.get(name), name
    assert rb.pfcount(*cases) == rbpeer.pfcount(*cases)


def test_valid_cache_is_trusted(rb):
    value = dense_value([0] * 16384, stale=False)
    value = value[:8] + (1234).to_bytes(8, "little") + value[16:]
    rb.set("h", value)
    assert rb.pfcount("h") == 1234


# --------------------------------------------------------------------------
# PFCOUNT of several keys, PFMERGE
# --------------------------------------------------------------------------

def test_pfcount_union(rb, rbpeer):
    for c in (rb, rbpeer):
        pfadd_all(c, "a", elements(500, "x"))
        pfadd_all(c, "b", elements(20000, "y"))
        pfadd_all(c, "c", elements(700, "x"))
    assert rb.pfcount("a", "b", "c", "missing") == rbpeer.pfcount("a", "b", "c", "missing")
    assert rb.pfcount("a", "c") == rbpeer.pfcount("a", "c")
    assert rb.pfcount("missing", "missing2") == 0
    # Several keys: no cache is written.
    assert rb.get("a") == rbpeer.get("a")


@pytest.mark.parametrize("sizes", [(10, 20), (300, 900), (10, 8000), (8000, 9000)])
def test_pfmerge_bytes_equal_redis(rb, rbpeer, sizes):
    for c in (rb, rbpeer):
        pfadd_all(c, "s1", elements(sizes[0], "p"))
        pfadd_all(c, "s2", elements(sizes[1], "q"))
        pfadd_all(c, "dest", elements(5, "d"))
        assert c.pfmerge("dest", "s1", "s2", "missing")
        assert c.pfmerge("fresh", "s1", "s2")
    for key in ("dest", "fresh"):
        assert encoding(rb, key) == encoding(rbpeer, key)
        assert rb.get(key) == rbpeer.get(key)
        assert rb.pfcount(key) == rbpeer.pfcount(key)


def test_pfmerge_into_itself_and_of_nothing(rb, rbpeer):
    for c in (rb, rbpeer):
        c.pfadd("h", "a", "b")
        assert call(c, "PFMERGE", "h") == b"OK"
        assert call(c, "PFMERGE", "empty") == b"OK"
        assert call(c, "PFMERGE", "empty2", "missing") == b"OK"
    for key in ("h", "empty", "empty2"):
        assert rb.get(key) == rbpeer.get(key)
    assert rb.pfcount("empty") == 0


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def test_strings_that_are_not_hlls(r):
    r.set("s", "hello world, not an HLL")
    r.set("i", "12345")
    r.set("short", "HYLL")
    r.set("badenc", b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff")
    r.set("densesize", b"HYLL\x00" + b"\x00" * 11 + b"\x7f\xff")
    for key in ("s", "i", "short", "badenc", "densesize"):
        for command in (["PFADD", key, "x"], ["PFCOUNT", key], ["PFCOUNT", "missing", key],
                        ["PFMERGE", "dest", key], ["PFMERGE", key], ["PFDEBUG", "ENCODING", key]):
            with raises_reply(NOT_HLL):
                call(r, *command)
    assert r.exists("dest") == 0
    assert r.get("s") == "hello world, not an HLL"


def test_other_types_are_wrongtype(r):
    r.rpush("l", "x")
    for command in (["PFADD", "l", "x"], ["PFCOUNT", "l"], ["PFCOUNT", "l", "m"],
                    ["PFMERGE", "d", "l"], ["PFDEBUG", "GETREG", "l"]):
        with raises_reply(WRONGTYPE):
            call(r, *command)


def test_damaged_sparse_values(rb):
    rb.set("cut", CUT_HLL)
    for command in (["PFCOUNT", "cut"], ["PFCOUNT", "cut", "missing"], ["PFMERGE", "dest", "cut"],
                    ["PFADD", "cut", "a"], ["PFDEBUG", "TODENSE", "cut"], ["PFDEBUG", "GETREG", "cut"]):
        with raises_reply(CORRUPT):
            call(rb, *command)
    assert rb.exists("dest") == 0
    assert rb.get("cut") == CUT_HLL
    assert call(rb, "PFDEBUG", "DECODE", "cut") == b"Z:8193"
    # An element inside the covered part still lands; the value stays damaged.
    assert rb.pfadd("cut", "foo") == 1
    with raises_reply(CORRUPT):
        rb.pfcount("cut")


def test_damaged_values_fail_the_same_in_redis(rb, rbpeer):
    for c in (rb, rbpeer):
        c.set("cut", CUT_HLL)
        c.set("over", STALE_SPARSE_HEADER + b"\x7f\xff\x00")  # one register too many
    for command in (["PFCOUNT", "cut"], ["PFCOUNT", "over"], ["PFCOUNT", "over", "cut"],
                    ["PFMERGE", "d", "over"], ["PFADD", "cut", "a"]):
        outcomes = []
        for c in (rb, rbpeer):
            try:
                outcomes.append(call(c, *command))
            except Exception as error:  # the error text is the outcome
                outcomes.append(str(error))
        assert outcomes[0] == outcomes[1], command


# --------------------------------------------------------------------------
# PFDEBUG, PFSELFTEST
# --------------------------------------------------------------------------

def test_pfdebug(rb, rbpeer):
    with raises_reply("ERR The specified key does not exist"):
        call(rb, "PFDEBUG", "ENCODING", "nokey")
    for c in (rb, rbpeer):
        c.pfadd("h", "a", "b", "c", "foo", "bar")
    with raises_reply("ERR Unknown PFDEBUG subcommand 'nosuch'"):
        call(rb, "PFDEBUG", "nosuch", "h")
    assert call(rb, "PFDEBUG", "DECODE", "h") == call(rbpeer, "PFDEBUG", "DECODE", "h") == \
        b"Z:7348 v:5,1 Z:1087 v:1,1 Z:1570 v:1,1 Z:2703 v:2,1 Z:3068 v:1,1 Z:603"
    assert call(rb, "PFDEBUG", "encoding", "h") == b"sparse"
    assert call(rb, "PFDEBUG", "TODENSE", "h") == call(rbpeer, "PFDEBUG", "TODENSE", "h") == 1
    assert call(rb, "PFDEBUG", "TODENSE", "h") == 0
    assert call(rb, "PFDEBUG", "ENCODING", "h") == b"dense"
    assert rb.get("h") == rbpeer.get("h")
    with raises_reply("ERR HLL encoding is not sparse"):
        call(rb, "PFDEBUG", "DECODE", "h")
    for c in (rb, rbpeer):
        c.pfadd("g", "x", "y")
    registers = call(rb, "PFDEBUG", "GETREG", "g")  # converts g to dense, as Redis does
    assert registers == call(rbpeer, "PFDEBUG", "GETREG", "g")
    assert len(registers) == 16384 and sum(1 for v in registers if v) == 2
    assert call(rb, "PFDEBUG", "ENCODING", "g") == b"dense"
    assert rb.get("g") == rbpeer.get("g")


def test_pfselftest(server):
    # Ten million adds: about a second in a release build, much longer under sanitizers.
    c = server.client(socket_timeout=300)
    try:
        assert call(c, "PFSELFTEST") == "OK"
    finally:
        c.close()


def test_resp3_replies(r3):
    assert r3.call("PFADD", "h", "a", "b") == 1
    assert r3.call("PFCOUNT", "h") == 2
    assert r3.call("PFMERGE", "m", "h") == "OK"
    assert r3.call("PFDEBUG", "ENCODING", "h") == "sparse"
    registers = r3.call("PFDEBUG", "GETREG", "h")
    assert isinstance(registers, list) and len(registers) == 16384


def test_pfadd_invalidates_watch(server, r):
    r.pfadd("h", "a")
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("h")
        other = server.client()
        other.pfadd("h", "b")
        other.close()
        pipe.multi()
        pipe.pfcount("h")
        with pytest.raises(Exception) as info:
            pipe.execute()
        assert "WatchError" in type(info.value).__name__


def test_pfcount_writing_its_cache_invalidates_watch_and_reading_it_does_not(server, r):
    # Redis counts the cache PFCOUNT writes into the value as a change of the key.
    r.pfadd("h", "a")
    for broken in (True, False):
        with r.pipeline(transaction=True) as pipe:
            pipe.watch("h")
            other = server.client()
            assert other.pfcount("h") == 1   # writes the cache only while it is stale
            other.close()
            pipe.multi()
            pipe.exists("h")
            if broken:
                with pytest.raises(redis.WatchError):
                    pipe.execute()
            else:
                assert len(pipe.execute()) == 1


# --------------------------------------------------------------------------
# DUMP / RESTORE with redis-server
# --------------------------------------------------------------------------

@pytest.mark.parametrize("n", [5, 2000, 20000])
def test_dump_equal_and_restore_both_ways(rb, rbpeer, n):
    for c in (rb, rbpeer):
        pfadd_all(c, "h", elements(n))
    assert rb.dump("h") == rbpeer.dump("h")

    # redis -> tested server, then both keep growing alike.
    assert call(rb, "RESTORE", "from_redis", "0", rbpeer.dump("h")) == b"OK"
    assert call(rbpeer, "RESTORE", "from_redis", "0", rbpeer.dump("h")) == b"OK"
    # tested server -> redis.
    assert call(rbpeer, "RESTORE", "from_tested", "0", rb.dump("h")) == b"OK"
    assert call(rb, "RESTORE", "from_tested", "0", rb.dump("h")) == b"OK"
    for key in ("from_redis", "from_tested"):
        for c in (rb, rbpeer):
            pfadd_all(c, key, elements(300, "more"))
        assert rb.get(key) == rbpeer.get(key)
        assert rb.pfcount(key) == rbpeer.pfcount(key)
        assert rb.dump(key) == rbpeer.dump(key)


# --------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------





def write_hlls(c, prefix):
    pfadd_all(c, f"{prefix}sparse", elements(200, prefix))
    pfadd_all(c, f"{prefix}dense", elements(20000, prefix))
    c.pfadd(f"{prefix}ttl", "x", "y")
    c.expire(f"{prefix}ttl", 1000)
    c.pfmerge(f"{prefix}merged", f"{prefix}sparse", f"{prefix}ttl")
    c.pfadd(f"{prefix}converted", "a", "b")
    call(c, "PFDEBUG", "TODENSE", f"{prefix}converted")


def test_hlls_survive_sigkill_with_journal_and_checkpoint(tmp_path):
    srv = ServerProcess(server_bin(), tmp_path, ALWAYS).start()
    try:
        c = srv.client(decode_responses=False)
        write_hlls(c, "a")
        assert c.save()
        write_hlls(c, "b")  # after the checkpoint: only the journal has these
        pfadd_all(c, "adense", elements(500, "late"))  # effects on top of a checkpointed key
        c.pfadd("asparse", "late")
        keys = sorted(c.keys("*"))
        before = {key: c.get(key) for key in keys}
        # PFCOUNT of a key with itself: the union path, which leaves the cached
        # cardinality alone (tierkv does not journal the cache; Redis's AOF would).
        counts = {key: c.pfcount(key, key) for key in keys}
        sigkill(srv)
        srv = ServerProcess(server_bin(), tmp_path, ALWAYS).start()
        c = srv.client(decode_responses=False)
        assert sorted(c.keys("*")) == keys
        assert {key: c.get(key) for key in keys} == before
        assert {key: c.pfcount(key, key) for key in keys} == counts
        assert {key: c.pfcount(key) for key in keys} == counts
        assert 990 < c.ttl("bttl") <= 1000
        assert encoding(c, "bconverted") == "dense"
    finally:
        srv.stop()
