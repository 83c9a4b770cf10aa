"""The persistent-memory tier (`tier pmem`): the server on a pool in /dev/shm
(PMEM_IS_PMEM_FORCE=1: survives a process crash, which is what SIGKILL tests), every type
written, checkpointed into the pool and journaled on top, killed, restarted: the keyspace
must come back exactly (DEBUG DIGEST, and every key's DUMP payload and TTL).

Skipped, saying so, when the server was built without TIERKV_PMEM.
Bounded: a few hundred keys, a few seconds per test.
"""
import os
import re
import shutil
import tempfile

import pytest

from durability_harness import DurableServer, poll_until, server_bin_or_skip


@pytest.fixture
def pmem_server(tmp_path, monkeypatch):
    """Makes servers on a pool in /dev/shm; kills them and removes the pool at the end."""
    monkeypatch.setenv("PMEM_IS_PMEM_FORCE", "1")
    pool_dir = tempfile.mkdtemp(prefix="tierkv-pmem-", dir="/dev/shm")
    servers = []

    def make(*extra):
        args = ["--tier", "pmem", "--tier-path", os.path.join(pool_dir, "pool"), "--tier-pmem-size", "64mb",
                "--enable-debug-command", "yes", "--save", "", *extra]
        servers.append(DurableServer(server_bin_or_skip(), tmp_path / "data", tmp_path / "logs", args))
        return servers[-1]
    yield make
    for server in servers:
        server.kill()
    shutil.rmtree(pool_dir, ignore_errors=True)


def start_or_skip(server):
    """Starts the server; skips the test when this build has no persistent-memory tier."""
    try:
        return server.start(attempts=1)
    except pytest.fail.Exception:
        if "built without the persistent-memory tier" in server.run_log():
            pytest.skip("tierkv-server was built without TIERKV_PMEM (libpmemobj not found)")
        raise


def write_every_type(client, tag):
    """Strings (raw, integer, large), every collection in its small and large encodings,
    a stream, an HLL, keys with TTLs, in several dbs; FLUSHDB and SWAPDB among them."""
    pipe = client.pipeline(transaction=False)
    for i in range(50):
        pipe.set(f"{tag}:s:{i}", f"value-{i}-" * (i + 1))
        pipe.set(f"{tag}:n:{i}", i * 1000)
    pipe.set(f"{tag}:big", os.urandom(1 << 20))  # incompressible: 1 MiB in the pool too
    pipe.set(f"{tag}:ttl", "expiring", px=3_600_000)
    pipe.rpush(f"{tag}:list:small", *[f"e{i}" for i in range(5)])
    pipe.rpush(f"{tag}:list:large", *[f"element-{i}" * 3 for i in range(2000)])
    pipe.hset(f"{tag}:hash:small", mapping={f"f{i}": i for i in range(5)})
    pipe.hset(f"{tag}:hash:large", mapping={f"field-{i}": "v" * 80 for i in range(600)})
    pipe.sadd(f"{tag}:set:ints", *range(100))
    pipe.sadd(f"{tag}:set:strings", *[f"m{i}" for i in range(300)])
    pipe.zadd(f"{tag}:zset:small", {f"z{i}": i / 3 for i in range(5)})
    pipe.zadd(f"{tag}:zset:large", {f"member-{i}": i * 1.5 for i in range(500)})
    for i in range(30):
        pipe.xadd(f"{tag}:stream", {"field": i, "other": "x" * i})
    pipe.pfadd(f"{tag}:hll", *[f"u{i}" for i in range(1000)])
    pipe.expire(f"{tag}:hash:large", 7200)
    pipe.execute()
    for db in (1, 2, 4):
        client.execute_command("SELECT", db)
        client.set(f"{tag}:db{db}", f"in db {db}")
        client.rpush(f"{tag}:db{db}:list", *range(db * 10))
    client.execute_command("SELECT", 2)
    client.flushdb()
    client.set(f"{tag}:after-flush", "kept")
    client.execute_command("SWAPDB", 1, 4)
    client.execute_command("SELECT", 0)
    client.delete(f"{tag}:s:3", f"{tag}:list:small")


def snapshot(client):
    """Every key of every db with its DUMP payload and TTL state, and DEBUG DIGEST."""
    state = {}
    for db in range(16):
        client.execute_command("SELECT", db)
        for key in client.scan_iter(count=1000):
            ttl = client.pttl(key)
            state[(db, key)] = (client.dump(key), ttl > 0)
    client.execute_command("SELECT", 0)
    return client.execute_command("DEBUG", "DIGEST"), state


def assert_same(before, after):
    digest_before, keys_before = before
    digest_after, keys_after = after
    assert sorted(keys_after) == sorted(keys_before)
    for name, (payload, has_ttl) in keys_before.items():
        assert keys_after[name] == (payload, has_ttl), f"key {name} differs after the restart"
    assert digest_after == digest_before


def test_every_type_survives_a_sigkill_with_the_journal(pmem_server):
    server = pmem_server("--appendonly", "yes", "--appendfsync", "always")
    start_or_skip(server)
    assert re.search(r"Opened the tier /dev/shm/\S+/pool in ", server.run_log()), "the server did not open the pool"
    client = server.client(decode_responses=False)
    write_every_type(client, "one")
    client.save()  # a checkpoint round into the pool
    poll_until(lambda: client.info("persistence")["tier_bytes"] > (1 << 20), 30, "the pool's bytes in INFO")
    write_every_type(client, "two")  # journaled only
    client.set("one:s:1", "overwritten after the round")
    before = snapshot(client)
    client.close()
    server.kill()

    server.start()
    client = server.client(decode_responses=False)
    assert_same(before, snapshot(client))
    assert not server.fatal_lines(), server.run_log()[-3000:]
    # Once more through a round and a restart: the pool alone now holds it all.
    client.save()
    client.close()
    server.kill()
    server.start()
    client = server.client(decode_responses=False)
    assert_same(before, snapshot(client))
    client.close()
    server.kill()


def test_a_point_in_time_round_without_the_journal_survives_a_sigkill(pmem_server):
    server = pmem_server("--appendonly", "no")
    start_or_skip(server)
    client = server.client(decode_responses=False)
    write_every_type(client, "one")
    client.save()
    before = snapshot(client)
    write_every_type(client, "lost")  # after the last round, without a journal: gone
    client.close()
    server.kill()

    server.start()
    client = server.client(decode_responses=False)
    assert_same(before, snapshot(client))
    client.close()
    server.kill()
