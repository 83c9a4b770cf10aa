"""Lazy freeing: UNLINK, FLUSHALL/FLUSHDB ASYNC and, under the lazyfree-lazy-*
parameters, DEL, overwrites, expiry and eviction hand large values (more than
64 elements outside a compact encoding) to a background thread; INFO counts
them in lazyfree_pending_objects and lazyfreed_objects."""
import pytest

from conftest import call, wait_until


def lazyfree_counts(client):
    info = client.info("memory")
    return info["lazyfree_pending_objects"], info["lazyfreed_objects"]


def wait_freed(client, expected):
    """Wait until the background thread has freed `expected` objects in all."""
    wait_until(lambda: lazyfree_counts(client) == (0, expected),
               message=f"lazyfreed_objects to reach {expected}")


def make_large_hash(client, key, fields=1000):
    client.hset(key, mapping={f"f{i}": f"v{i}" for i in range(fields)})
    assert call(client, "OBJECT", "ENCODING", key) == "hashtable"


@pytest.fixture
def lazy(r, config_restore):
    """The module server with counters reset; lazyfree-* parameters restored after."""
    config_restore("lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
                   "lazyfree-lazy-server-del", "lazyfree-lazy-expire")
    call(r, "CONFIG", "RESETSTAT")
    return r


def test_unlink_frees_a_large_value_in_the_background(lazy):
    make_large_hash(lazy, "big")
    assert lazy.unlink("big") == 1
    assert lazy.exists("big") == 0
    wait_freed(lazy, 1)


def test_unlink_frees_small_and_compact_values_at_once(lazy):
    lazy.set("s", "x" * 1000)
    lazy.hset("small", mapping={f"f{i}": "v" for i in range(100)})  # listpack: one allocation
    lazy.sadd("few", *range(10))
    assert lazy.unlink("s", "small", "few") == 3
    assert lazyfree_counts(lazy) == (0, 0)


def test_unlink_counts_list_nodes_not_elements(lazy):
    # 2,000 elements of 100 bytes fill about 25 nodes of 8 KB: few allocations.
    lazy.rpush("list", *["x" * 100] * 2000)
    assert lazy.unlink("list") == 1
    assert lazyfree_counts(lazy) == (0, 0)
    # 200 nodes' worth is worth a background free.
    lazy.rpush("list", *["x" * 100] * 16000)
    assert lazy.unlink("list") == 1
    wait_freed(lazy, 1)


def test_del_is_lazy_only_under_lazyfree_lazy_user_del(lazy):
    make_large_hash(lazy, "big")
    assert lazy.delete("big") == 1
    assert lazyfree_counts(lazy) == (0, 0)
    lazy.config_set("lazyfree-lazy-user-del", "yes")
    make_large_hash(lazy, "big")
    assert lazy.delete("big") == 1
    wait_freed(lazy, 1)


def test_flushall_and_flushdb_async_free_every_key_in_the_background(lazy):
    for i in range(100):
        lazy.set(f"k{i}", i)
    assert call(lazy, "FLUSHALL", "ASYNC") == "OK"
    assert lazy.dbsize() == 0
    wait_freed(lazy, 100)
    for i in range(30):
        lazy.set(f"k{i}", i)
    assert call(lazy, "FLUSHDB", "ASYNC") == "OK"
    wait_freed(lazy, 130)
    lazy.set("k", 1)
    assert call(lazy, "FLUSHALL", "SYNC") == "OK"
    assert lazyfree_counts(lazy) == (0, 130)


def test_flush_without_option_follows_lazyfree_lazy_user_flush(lazy):
    lazy.set("k", 1)
    assert call(lazy, "FLUSHALL") == "OK"
    assert lazyfree_counts(lazy) == (0, 0)
    lazy.config_set("lazyfree-lazy-user-flush", "yes")
    lazy.set("k", 1)
    lazy.set("j", 1)
    assert call(lazy, "FLUSHDB") == "OK"
    wait_freed(lazy, 2)


def test_overwrite_is_lazy_under_lazyfree_lazy_server_del(lazy):
    lazy.config_set("lazyfree-lazy-server-del", "yes")
    make_large_hash(lazy, "big")
    assert lazy.set("big", "now a string")
    wait_freed(lazy, 1)
    assert lazy.get("big") == "now a string"


def test_expiry_is_lazy_under_lazyfree_lazy_expire(lazy):
    lazy.config_set("lazyfree-lazy-expire", "yes")
    make_large_hash(lazy, "big")
    lazy.pexpire("big", 1)
    wait_until(lambda: lazy.exists("big") == 0, message="the hash to expire")
    wait_freed(lazy, 1)


def test_eviction_is_lazy_under_lazyfree_lazy_eviction(new_server):
    srv = new_server("--lazyfree-lazy-eviction", "yes", "--maxmemory-policy", "volatile-lru")
    c = srv.client()
    make_large_hash(c, "big")
    c.expire("big", 1000)  # the only volatile key: the one eviction picks
    c.set("other", "x")
    c.config_set("maxmemory", "1")
    try:
        c.set("one-more", "y")
    except Exception:  # noqa: BLE001 - an OOM error once nothing else can go
        pass
    c.config_set("maxmemory", "0")
    assert c.exists("big") == 0
    wait_freed(c, 1)
    c.close()
