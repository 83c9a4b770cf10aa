"""Keys kept under maxmemory with eviction when the journal and checkpoints are on (about
20 s: two servers filled with four times a 64 MiB budget).

With the journal on (the default), every write of a cache that evicts also costs
durability work: the journal's records, and once a round has written a key, the
tombstone its eviction owes the tier. That bookkeeping used to count against
maxmemory, and such a cache kept about half the keys a pure cache (`tier none`)
keeps in the same budget. It is set apart from eviction up to a bound, as Redis
sets its AOF buffer apart.
"""
import time

import pytest

from conftest import is_reference

BUDGET = 64 << 20
VALUE = b"v" * 1024
WRITES = 4 * BUDGET // len(VALUE)  # four times the budget offered
BATCH = 200


def fill(srv):
    """SET WRITES distinct keys over one pipelined connection; returns DBSIZE."""
    conn = srv.raw(timeout=60.0)
    try:
        for start in range(0, WRITES, BATCH):
            payload = b"".join(conn.encode("SET", b"key:%012d" % i, VALUE)
                               for i in range(start, min(start + BATCH, WRITES)))
            conn.send(payload)
            for _ in range(min(BATCH, WRITES - start)):
                reply = conn.read()
                assert reply == "OK", f"{reply} at write {start}: {srv.client().info()}"
        return conn.call("DBSIZE")
    finally:
        conn.close()


@pytest.mark.skipif(is_reference(), reason="compares tierkv's configurations")
def test_evicting_cache_with_journal_keeps_about_as_many_keys_as_a_pure_cache(new_server):
    limits = ("--maxmemory", str(BUDGET), "--maxmemory-policy", "allkeys-lru")
    pure = new_server(*limits, "--tier", "none")
    pure_keys = fill(pure)
    durable = new_server(*limits, "--appendonly", "yes", "--save", "3600 1 300 100 60 10000")
    started = time.monotonic()
    durable_keys = fill(durable)
    info = durable.client().info("persistence")
    assert info["rdb_saves"] + info["rdb_bgsave_in_progress"] >= 1, "no checkpoint round ran"
    print(f"pure cache {pure_keys} keys, journal and rounds {durable_keys} keys "
          f"({durable_keys / pure_keys:.2f}x) in {time.monotonic() - started:.1f}s")
    # Measured 0.77x-0.96x here (0.90x-0.96x on a quiet machine, the lower figures with a
    # load average of 9 on 2 cores: lagging background threads hold more); 0.20x before the
    # bookkeeping was bounded and set apart (0.15x at 32 MiB).
    assert durable_keys >= 0.65 * pure_keys
