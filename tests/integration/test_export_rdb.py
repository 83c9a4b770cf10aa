"""tierkv-check --export-rdb of a data directory whose journal holds effects of every
kind (strings, TTLs, hashes, sets, sorted sets, lists, streams with consumer groups,
RESTORE of resulting states, SELECT, FLUSHDB), written by the real server and left by
SIGKILL: Debian's redis-server loads the exported dump.rdb and holds every key with the
type, value and expire time the server held.
"""
import os
import subprocess

import pytest

from conftest import ALWAYS, REFERENCE_BIN, ServerProcess, call, server_bin, sigkill, start_server

LATER_MS = 3_600_000  # TTLs far enough away that nothing expires during the test


def check_bin():
    return os.path.join(os.path.dirname(os.path.realpath(server_bin())), "tierkv-check")


def write_every_effect_kind(c, now_ms):
    """Writes whose journal effects cover every verb the engine emits."""
    later = now_ms + LATER_MS
    # Strings and TTLs.
    c.set("s", "value")
    c.append("s", "+tail")
    c.setrange("s", 1, "AL")
    c.setbit("bits", 21, 1)
    call(c, "BITFIELD", "bf", "SET", "u8", "0", "200", "INCRBY", "i5", "8", "3")
    c.incrby("counter", 41)
    c.incrbyfloat("float", "2.5")
    c.set("ttl", "t", px=LATER_MS)
    c.pexpireat("counter", later)
    c.set("persisted", "p", ex=100)
    c.persist("persisted")
    c.pfadd("hll", "a", "b", "c")
    c.set("deleted", "x")
    c.delete("deleted")
    # Hashes.
    c.hset("h", mapping={"f1": "v1", "f2": "v2", "f3": "v3"})
    c.hincrby("h", "n", 7)
    c.hincrbyfloat("h", "x", "1.25")
    c.hdel("h", "f2")
    c.pexpireat("h", later)
    # Sets.
    c.sadd("set", *[f"m{i}" for i in range(20)])
    c.srem("set", "m0", "m1")
    c.spop("set")
    c.smove("set", "set2", "m5")
    c.sadd("ints", 1, 2, 3)
    c.sunionstore("union", ["set", "ints"])  # a resulting state: RESTORE
    # Sorted sets and geo.
    c.zadd("z", {f"m{i}": i for i in range(12)})
    c.zincrby("z", 2.5, "m3")
    c.zrem("z", "m4")
    c.zpopmin("z")
    c.zremrangebyrank("z", -1, -1)
    c.zremrangebyscore("z", "(9", "+inf")
    c.zadd("lex", {"a": 0, "b": 0, "c": 0, "d": 0})
    c.zremrangebylex("lex", "[b", "(d")
    c.geoadd("geo", (13.361389, 38.115556, "Palermo"))
    # Lists.
    c.rpush("l", *"abcdefgh")
    c.lpush("l", "z")
    c.lpop("l", 2)
    c.rpop("l")
    c.lmove("l", "l", "LEFT", "RIGHT")
    c.lmove("l", "l2", "RIGHT", "LEFT")
    c.lset("l", 0, "X")
    c.linsert("l", "AFTER", "X", "Y")
    c.rpush("l", "Y")
    c.lrem("l", -1, "Y")
    c.ltrim("l", 0, 4)
    # Streams and consumer groups.
    for i in range(1, 9):
        c.xadd("st", {"f": str(i)}, id=f"{i}-1")
    c.xadd("st", {"f": "9"}, id="9-1", maxlen=7, approximate=False)
    c.xtrim("st", maxlen=6, approximate=False)
    c.xdel("st", "5-1")
    c.xgroup_create("st", "g", id="0")
    c.xgroup_create("st2", "g2", id="$", mkstream=True)
    c.xreadgroup("g", "c1", {"st": ">"}, count=3)
    c.xack("st", "g", "4-1")
    c.xclaim("st", "g", "c2", 0, ["6-1"])
    call(c, "XGROUP", "CREATECONSUMER", "st", "g", "c3")
    call(c, "XGROUP", "DELCONSUMER", "st", "g", "c3")
    call(c, "XSETID", "st", "100-0")
    # Commands that journal resulting states, and other databases.
    c.hset("to-rename", "k", "v")
    c.rename("to-rename", "renamed-hash")
    call(c, "COPY", "l", "l-copy")
    c.move("geo", 2)
    c.execute_command("SELECT", "3")
    c.set("db3", "3")
    c.rpush("db3-list", "x", "y")
    c.execute_command("SELECT", "4")
    c.set("flushed", "gone")
    c.flushdb()
    c.set("after-flush", "1", px=LATER_MS)
    c.execute_command("SELECT", "0")


def read_value(c, raw, key, kind):
    if kind == "string":
        return raw.get(key)  # bytes: bitmaps and HyperLogLogs are not text
    if kind == "hash":
        return sorted(c.hgetall(key).items())
    if kind == "set":
        return sorted(c.smembers(key))
    if kind == "zset":
        return c.zrange(key, 0, -1, withscores=True)
    if kind == "list":
        return c.lrange(key, 0, -1)
    if kind == "stream":
        groups = []
        for group in c.xinfo_groups(key):
            pending = c.xpending_range(key, group["name"], "-", "+", 100)
            groups.append((group["name"], group["last-delivered-id"], group["pending"],
                           [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending]))
        return c.xrange(key), groups
    raise AssertionError(f"unexpected type {kind}")


def keyspace(srv, databases=16):
    """(db, key) -> (type, absolute expire time, value, DEBUG DIGEST-VALUE)."""
    image = {}
    for db in range(databases):
        c = srv.client(db=db)
        raw = srv.client(db=db, decode_responses=False)
        for key in c.keys("*"):
            kind = c.type(key)
            digest = call(c, "DEBUG", "DIGEST-VALUE", key)
            image[(db, key)] = (kind, call(c, "PEXPIRETIME", key), read_value(c, raw, key, kind), digest)
        c.close()
        raw.close()
    return image


@pytest.mark.tierkv_only
def test_export_of_a_journal_with_every_effect_kind_loads_in_redis(tmp_path):
    data = tmp_path / "data"
    srv = start_server(data, *ALWAYS)
    c = srv.client()
    c.set("checkpointed", "in the tier")
    c.hset("checkpointed-hash", "f", "v")
    c.save()  # these come from the tier; everything after from the journal
    write_every_effect_kind(c, int(c.time()[0]) * 1000)
    expected = keyspace(srv)
    assert {kind for kind, *_ in expected.values()} == {"string", "hash", "set", "zset", "list", "stream"}
    sigkill(srv)

    out = tmp_path / "redis"
    out.mkdir()
    run = subprocess.run([check_bin(), "--dir", str(data), "--export-rdb", str(out / "dump.rdb")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"exported: {len(expected)} keys" in run.stdout, run.stdout

    redis = ServerProcess(REFERENCE_BIN, out).start()
    try:
        loaded = keyspace(redis)
    finally:
        redis.stop()
    assert loaded == expected


@pytest.mark.tierkv_only
def test_export_carries_function_libraries(tmp_path):
    """The libraries checkpointed and the ones journaled after become the file's function
    section (opcode 245), which redis-server loads."""
    data = tmp_path / "data"
    srv = start_server(data, *ALWAYS)
    c = srv.client()
    call(c, "FUNCTION", "LOAD", "#!lua name=saved\nredis.register_function('one', function() return 1 end)")
    c.save()
    call(c, "FUNCTION", "LOAD", "#!lua name=journaled\nredis.register_function('two', function() return 2 end)")
    c.set("k", "v")
    sigkill(srv)

    out = tmp_path / "redis"
    out.mkdir()
    run = subprocess.run([check_bin(), "--dir", str(data), "--export-rdb", str(out / "dump.rdb")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "function libraries: 2" in run.stdout, run.stdout
    redis = ServerProcess(REFERENCE_BIN, out).start()
    try:
        r = redis.client()
        assert r.fcall("one", 0) == 1 and r.fcall("two", 0) == 2
        assert r.get("k") == "v"
    finally:
        redis.stop()


@pytest.mark.tierkv_only
def test_import_carries_function_libraries(tmp_path):
    """A dump.rdb redis-server saved with libraries: --import-rdb makes them the tier's
    libraries, which the server loads at start."""
    source = tmp_path / "redis"
    source.mkdir()
    redis = ServerProcess(REFERENCE_BIN, source).start()
    try:
        r = redis.client()
        call(r, "FUNCTION", "LOAD", "#!lua name=theirs\nredis.register_function('hello', function() return 'hi' end)")
        r.set("k", "v")
        r.save()
    finally:
        redis.stop()
    data = tmp_path / "data"
    run = subprocess.run([check_bin(), "--dir", str(data), "--import-rdb", str(source / "dump.rdb")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "function libraries: 1" in run.stdout, run.stdout
    srv = start_server(data)
    try:
        c = srv.client()
        assert c.fcall("hello", 0) == "hi" and c.get("k") == "v"
    finally:
        srv.stop()
