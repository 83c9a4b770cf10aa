"""Tiering: with `tiering yes` and a tier, maxmemory is the DRAM budget and values past
it move to the tier instead of being evicted (engine/cold_values.h, server/cold_reads.h).

tierkv only: Redis has no tier. Each test starts its own server with a small budget, and
proves that every key stays readable with its exact value (DUMP before equals DUMP after),
that metadata-only commands leave a value cold, and that cold values come back for
commands, pipelines and transactions, after a restart too.
"""
import os
import signal
import sys
import threading
import time

import pytest
import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from conftest import ServerProcess, call, is_reference, server_bin, server_ms, wait_until  # noqa: E402

pytestmark = pytest.mark.skipif(is_reference(), reason="tierkv only: Redis has no tier")

BUDGET = 8 << 20
VALUE_SIZE = 1024


def start(tmp_path, *extra):
    srv = ServerProcess(server_bin(), tmp_path, ("--tier", "rocksdb", "--appendonly", "yes", "--tiering", "yes",
                                                 "--maxmemory", str(BUDGET), *extra))
    return srv.start()


def tiering_info(client):
    return client.info("tiering")


def value_of(i):
    return (f"{i:08d}-" * (VALUE_SIZE // 9 + 1))[:VALUE_SIZE]


def fill(client, first, count, prefix="k:"):
    pipe = client.pipeline(transaction=False)
    for i in range(first, first + count):
        pipe.set(f"{prefix}{i}", value_of(i))
        if len(pipe) >= 500:
            pipe.execute()
    pipe.execute()


def start_round(client):
    """BGSAVE, unless a round is running already (one that demotion started when it found
    nothing clean: Redis too answers BGSAVE, SCHEDULE or not, so while a save runs)."""
    try:
        call(client, "BGSAVE", "SCHEDULE")
    except redis.ResponseError as error:
        if "already in progress" not in str(error):
            raise


def make_cold(client, keys_before):
    """Writes the dirty values to the tier (a checkpoint round), then pushes filler
    past the budget until every key of `keys_before` has left DRAM."""
    def all_cold():
        start_round(client)
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=30)
        fill(client, 0, 500, prefix=f"filler:{os.urandom(4).hex()}:")
        return all("tier:cold" in client.debug_object_raw(key) for key in keys_before)
    wait_until(all_cold, timeout=60, interval=0.05, message="values demoted")


@pytest.fixture
def tiered(tmp_path):
    srv = start(tmp_path / "server")
    client = srv.client()
    client.debug_object_raw = lambda key: call(client, "DEBUG", "OBJECT", key)
    yield srv, client
    client.close()
    srv.stop()


def test_a_dataset_four_times_the_budget_keeps_every_key(tiered):
    srv, r = tiered
    count = 4 * BUDGET // VALUE_SIZE
    fill(r, 0, count)
    # Over the budget, the writes wait for rounds rather than failing.
    assert r.dbsize() == count
    info = tiering_info(r)
    assert info["tier_keys_cold"] > count // 2
    for first in range(0, count, 1000):
        keys = [f"k:{i}" for i in range(first, min(first + 1000, count))]
        assert r.mget(keys) == [value_of(i) for i in range(first, min(first + 1000, count))]
    info = tiering_info(r)
    assert info["tier_cold_reads"] > 0
    # Cold-read latency percentiles, and the share of lookups served from DRAM: most of
    # these MGETs found their values in the tier.
    assert 0 < info["tier_cold_read_p50_usec"] <= info["tier_cold_read_p99_usec"]
    assert 0 <= float(info["tier_dram_hits_pct"]) < 90
    wait_until(lambda: tiering_info(r)["tier_promotions_per_sec"] > 0, timeout=5, message="promotion rate sampled")
    # What was read back left DRAM again: the memory maxmemory bounds holds the budget
    # plus the keys, which never leave (about 100 bytes each here).
    assert tiering_info(r)["tier_keys_resident"] < count // 4
    memory = r.info("memory")
    assert memory["used_memory"] - memory["mem_not_counted_for_evict"] < BUDGET + count * 100


def test_every_type_comes_back_byte_identical(tiered):
    srv, r = tiered
    big = "x" * 200
    r.set("string", big)
    r.hset("hash", mapping={f"f{i}": "v" * 20 for i in range(20)})
    r.hset("table", mapping={f"f{i}": big for i in range(10)})
    r.rpush("list", *[big + str(i) for i in range(10)])
    r.sadd("set", *[f"member{i}" * 3 for i in range(20)])
    r.sadd("bigset", *[big + str(i) for i in range(10)])
    r.zadd("zset", {big + str(i): i for i in range(10)})
    for i in range(10):
        r.xadd("stream", {"field": big, "n": i})
    r.pfadd("hll", *[f"e{i}" for i in range(2000)])
    r.expire("hash", 3600)
    keys = ["string", "hash", "list", "set", "zset", "stream", "hll", "table", "bigset"]
    table, bigset = r.hgetall("table"), r.smembers("bigset")
    rb = srv.client(decode_responses=False)
    dumps = {key: rb.dump(key) for key in keys}
    ttl = r.pttl("hash")
    encodings = [r.object("encoding", key) for key in keys]
    make_cold(r, keys)
    # Metadata answers without reading the tier.
    reads = tiering_info(r)["tier_cold_reads"]
    assert [r.type(key) for key in keys] == ["string", "hash", "list", "set", "zset", "stream", "string", "hash", "set"]
    assert r.exists(*keys) == len(keys)
    assert 0 < r.pttl("hash") <= ttl
    assert [r.object("encoding", key) for key in keys] == encodings
    assert tiering_info(r)["tier_cold_reads"] == reads
    assert all("tier:cold" in r.debug_object_raw(key) for key in keys)
    # A value read back is the same bytes.
    # A hashtable's DUMP lists its elements in table order, which a rebuilt table need not
    # repeat: those come back with the same elements.
    for key in keys[:-2]:
        assert rb.dump(key) == dumps[key], key
    assert r.hgetall("table") == table and r.smembers("bigset") == bigset
    assert tiering_info(r)["tier_cold_reads"] > reads


def test_expire_and_delete_of_cold_keys_need_no_read(tiered):
    srv, r = tiered
    r.set("gone", "v" * 500)
    r.set("timed", "v" * 500)
    make_cold(r, ["gone", "timed"])
    reads = tiering_info(r)["tier_cold_reads"]
    assert r.pexpire("timed", 100)
    assert r.delete("gone") == 1
    assert tiering_info(r)["tier_cold_reads"] == reads
    wait_until(lambda: r.exists("timed") == 0, timeout=5, message="cold key expired")
    assert r.get("gone") is None and r.get("timed") is None


def test_pipelines_and_transactions_over_cold_keys_keep_their_order(tiered):
    srv, r = tiered
    keys = [f"p:{i}" for i in range(50)]
    for i, key in enumerate(keys):
        r.set(key, value_of(i))
    make_cold(r, keys)
    pipe = r.pipeline(transaction=False)
    for i, key in enumerate(keys):
        pipe.append(key, "!")
        pipe.get(key)
    replies = pipe.execute()
    assert replies[1::2] == [value_of(i) + "!" for i in range(len(keys))]
    make_cold(r, keys[:10])
    tx = r.pipeline(transaction=True)
    for key in keys[:10]:
        tx.get(key)
    assert tx.execute() == [value_of(i) + "!" for i in range(10)]


def test_many_clients_reading_one_cold_key_share_one_read(tiered):
    srv, r = tiered
    r.set("shared", "s" * 4000)
    make_cold(r, ["shared"])
    reads_before = int(tiering_info(r)["tier_cold_reads"])
    # Reads wait on the read thread until resumed, so every reader is waiting for the
    # same read before it completes.
    call(r, "DEBUG", "TIER-READS", "PAUSE")
    results = []
    def reader():
        c = srv.client()
        results.append(c.get("shared"))
        c.close()
    threads = [threading.Thread(target=reader) for _ in range(20)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: int(tiering_info(r)["tier_clients_waiting"]) == 20, timeout=30,
                   message="20 clients waiting")
        assert int(tiering_info(r)["tier_cold_reads_in_flight"]) == 1
        assert r.ping()  # the server serves others while they wait
    finally:
        call(r, "DEBUG", "TIER-READS", "RESUME")
    for t in threads:
        t.join(timeout=30)
    assert results == ["s" * 4000] * 20
    assert int(tiering_info(r)["tier_cold_reads"]) == reads_before + 1


def test_a_command_reads_its_cold_keys_in_one_request(tiered):
    srv, r = tiered
    keys = [f"batch:{i}" for i in range(20)]
    for i, key in enumerate(keys):
        r.set(key, value_of(i))
    make_cold(r, keys)
    before = tiering_info(r)
    assert r.mget(keys) == [value_of(i) for i in range(len(keys))]
    after = tiering_info(r)
    # One MultiGet for the 20 keys, not one read per key.
    assert int(after["tier_read_requests"]) == int(before["tier_read_requests"]) + 1
    assert int(after["tier_read_keys"]) == int(before["tier_read_keys"]) + len(keys)


def test_clients_reading_different_cold_keys_are_served_together(tiered):
    srv, r = tiered
    keys = [f"own:{i}" for i in range(8)]
    for i, key in enumerate(keys):
        r.set(key, value_of(i))
    make_cold(r, keys)
    # PAUSE holds every read thread: no reader gets its value until RESUME.
    call(r, "DEBUG", "TIER-READS", "PAUSE")
    results = {}
    def reader(i):
        c = srv.client()
        results[i] = c.get(keys[i])
        c.close()
    threads = [threading.Thread(target=reader, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: int(tiering_info(r)["tier_clients_waiting"]) == len(keys), timeout=30,
                   message="every reader waiting")
        assert int(tiering_info(r)["tier_cold_reads_in_flight"]) == len(keys)
        assert results == {}
    finally:
        call(r, "DEBUG", "TIER-READS", "RESUME")
    for t in threads:
        t.join(timeout=30)
    assert results == {i: value_of(i) for i in range(len(keys))}
    assert r.config_get("tier-read-threads") == {"tier-read-threads": "4"}


def test_a_failed_cold_read_is_counted_as_a_refused_command(tiered):
    srv, r = tiered
    r.set("refused", "v" * 2000)
    make_cold(r, ["refused"])

    def counts():
        # redis-py leaves "count=N" unparsed when it is the only field.
        errors = int(str(r.info("errorstats").get("errorstat_ERR", "count=0")).split("=")[1])
        commands = r.info("commandstats")
        def of(name, field):
            return commands.get(f"cmdstat_{name}", {}).get(field, 0)
        return (errors, int(r.info("stats")["total_error_replies"]), of("get", "rejected_calls"),
                of("get", "failed_calls"), of("exec", "rejected_calls"), of("exec", "failed_calls"))

    before = counts()
    fail_next_reads(r)
    with pytest.raises(redis.ResponseError, match="^cold read failed: .*injected"):
        r.get("refused")
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3], before[4], before[5])
    # EXEC keeps its reply and ends the transaction; it counts as a refused EXEC.
    fail_next_reads(r)
    c = srv.client(single_connection_client=True)
    assert call(c, "MULTI") == "OK"
    assert call(c, "GET", "refused") == "QUEUED"
    with pytest.raises(redis.ResponseError, match="^cold read failed"):
        call(c, "EXEC")
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        call(c, "EXEC")
    c.close()
    after = counts()
    assert after[0] == before[0] + 3  # the GET's, the EXEC's, the EXEC without MULTI
    # The failed EXEC was refused; the one without MULTI ran and failed, as in Redis.
    assert after[4] == before[4] + 1 and after[5] == before[5] + 1
    assert r.get("refused") == "v" * 2000


def fail_next_reads(client, count=1):
    call(client, "DEBUG", "TIER-READS", "FAIL", str(count))


def test_a_cold_read_that_fails_answers_an_error_and_runs_nothing(tiered):
    srv, r = tiered
    r.set("victim", "v" * 2000)
    make_cold(r, ["victim"])
    failures_before = int(tiering_info(r)["tier_cold_read_failures"])
    fail_next_reads(r)
    with pytest.raises(redis.ResponseError, match="cold read failed: .*injected"):
        r.get("victim")
    # A transaction whose cold key cannot be read runs none of its commands.
    fail_next_reads(r)
    tx = r.pipeline(transaction=True)
    tx.set("marker", "1")
    tx.append("victim", "!")
    with pytest.raises(redis.ResponseError, match="cold read failed"):
        tx.execute()
    assert r.exists("marker") == 0
    assert int(tiering_info(r)["tier_cold_read_failures"]) == failures_before + 2
    # The value is still in the tier, and the next read brings it back.
    assert "tier:cold" in r.debug_object_raw("victim")
    assert r.get("victim") == "v" * 2000


def test_a_swapdb_whose_cold_values_cannot_be_read_swaps_nothing(tiered):
    # SWAPDB reads the cold values of both dbs back first (the tier holds them under their
    # db's number until a round writes the swap). One that failed was swapped as a cold
    # entry anyway, and later read from the other db: its value of the same key name.
    srv, r = tiered
    other = srv.client(db=1)
    other.debug_object_raw = lambda key: call(other, "DEBUG", "OBJECT", key)
    r.set("same", "zero" * 500)
    other.set("same", "one" * 500)
    make_cold(r, ["same"])
    wait_until(lambda: "tier:cold" in other.debug_object_raw("same"), timeout=30, message="db 1's value cold")
    fail_next_reads(r)
    with pytest.raises(redis.ResponseError, match="cold read failed: .*injected"):
        r.swapdb(0, 1)
    assert r.get("same") == "zero" * 500 and other.get("same") == "one" * 500
    assert r.swapdb(0, 1)
    assert r.get("same") == "one" * 500 and other.get("same") == "zero" * 500
    other.close()


def test_a_script_never_writes_over_an_undeclared_cold_key_it_could_not_read(tiered):
    srv, r = tiered
    fields = {f"f{i}": f"{i}" * 300 for i in range(4)}
    r.hset("h", mapping=fields)
    make_cold(r, ["h"])
    sync_before = int(tiering_info(r)["tier_sync_loads"])
    fail_next_reads(r)
    # 'h' is not declared in KEYS: the script reads it on the engine thread.
    with pytest.raises(redis.ResponseError, match="cold read failed"):
        r.eval("return redis.call('HSET', 'h', 'new', '1')", 0)
    assert int(tiering_info(r)["tier_sync_loads"]) == sync_before + 1
    assert r.hgetall("h") == fields
    # Readable again: the same script now adds its field.
    assert r.eval("return redis.call('HSET', 'h', 'new', '1')", 0) == 1
    assert r.hgetall("h") == {**fields, "new": "1"}


def test_a_blocked_move_whose_destination_cannot_be_read_gets_an_error(tiered):
    srv, r = tiered
    items = [f"{i}" * 500 for i in range(4)]
    r.rpush("dst", *items)
    make_cold(r, ["dst"])
    waiter = srv.client()
    outcome = []
    def blocked_move():
        try:
            outcome.append(waiter.blmove("src", "dst", 30, "LEFT", "RIGHT"))
        except redis.ResponseError as error:
            outcome.append(error)
    thread = threading.Thread(target=blocked_move)
    thread.start()
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, timeout=10, message="BLMOVE blocked")
    # BLMOVE read its destination back before it blocked: cold again by the time it is
    # served.
    make_cold(r, ["dst"])
    fail_next_reads(r)
    r.rpush("src", "x")
    thread.join(timeout=30)
    waiter.close()
    assert len(outcome) == 1 and isinstance(outcome[0], redis.ResponseError), outcome
    assert "cold read failed" in str(outcome[0])
    assert r.lrange("src", 0, -1) == ["x"]
    assert r.lrange("dst", 0, -1) == items


def test_cold_values_survive_a_crash_and_restart(tmp_path):
    # appendfsync always: every acknowledged write is in the journal when the kill lands.
    srv = start(tmp_path / "server", "--appendfsync", "always")
    r = srv.client()
    r.debug_object_raw = lambda key: call(r, "DEBUG", "OBJECT", key)
    keys = [f"c:{i}" for i in range(100)]
    for i, key in enumerate(keys):
        r.set(key, value_of(i))
    make_cold(r, keys)
    r.expire(keys[0], 3600)   # a metadata change of a cold key, journaled only
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.proc = None
    srv.start()
    r = srv.client()
    r.debug_object_raw = lambda key: call(r, "DEBUG", "OBJECT", key)
    # Start-up read the keys, not their values: they stay in the tier until a command
    # needs them, and metadata answers without a read.
    assert all("tier:cold" in r.debug_object_raw(key) for key in keys)
    assert 0 < r.ttl(keys[0]) <= 3600
    assert r.exists(*keys) == len(keys)
    assert tiering_info(r)["tier_cold_reads"] == 0
    assert r.mget(keys) == [value_of(i) for i in range(len(keys))]
    assert tiering_info(r)["tier_cold_reads"] > 0
    srv.stop()


def expired_keys(client):
    return client.info("stats")["expired_keys"]


def test_a_ttl_that_runs_out_while_the_value_is_cold_or_the_server_is_down(tmp_path):
    # Values expiring within seconds are never demoted, so the TTLs are set once the values
    # are cold (a metadata-only change): they run out with the value only in the tier, for
    # the first group while the server runs (found by active expiry, or by a read first),
    # for the second while it is down, killed with them cold. No expired value is ever
    # served or read from the tier, and expired_keys counts each key once.
    srv = start(tmp_path / "server", "--appendfsync", "always")
    r = srv.client()
    r.debug_object_raw = lambda key: call(r, "DEBUG", "OBJECT", key)
    running = [f"run:{i}" for i in range(20)]
    down = [f"down:{i}" for i in range(20)]
    kept = [f"kept:{i}" for i in range(20)]
    values = {key: value_of(i) for i, key in enumerate(running + down + kept)}
    for key, value in values.items():
        r.set(key, value)
    r.hset("down:hash", mapping={f"f{i}": value_of(i) for i in range(10)})
    r.rpush("run:list", *[value_of(i) for i in range(10)])
    down.append("down:hash")
    running.append("run:list")
    make_cold(r, running + down + kept)
    reads, expired = tiering_info(r)["tier_cold_reads"], expired_keys(r)
    # One absolute expiry for the group: once one key is past it, every key is.
    expire_at = server_ms(r) + 300
    for key in running:
        assert r.pexpireat(key, expire_at)
    assert all("tier:cold" in r.debug_object_raw(key) for key in running)
    # While the server runs: half are read as their TTL runs out, the rest left to
    # active expiry; a read after the expiry finds nothing.
    wait_until(lambda: r.pttl(running[0]) == -2, timeout=5, message="the first TTL to run out")
    assert [r.get(key) for key in running[:10]] == [None] * 10
    wait_until(lambda: expired_keys(r) >= expired + len(running), timeout=10,
               message="active expiry to find the cold keys")
    assert r.exists(*running) == 0
    assert expired_keys(r) == expired + len(running)
    assert tiering_info(r)["tier_cold_reads"] == reads, "an expired value was read from the tier"

    # Killed with the `down` keys cold and their TTLs running; restarted once they ran out.
    expire_at = server_ms(r) + 300
    for key in down:
        assert r.pexpireat(key, expire_at)
    assert all("tier:cold" in r.debug_object_raw(key) for key in down)
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.proc = None
    time.sleep(0.5)  # the experiment: the TTLs run out while the server is down
    srv.start()
    r = srv.client()
    assert r.get(down[0]) is None and r.hgetall("down:hash") == {}
    wait_until(lambda: expired_keys(r) >= len(down), timeout=10, message="active expiry after the restart")
    assert r.exists(*down) == 0 and r.exists(*running) == 0
    assert expired_keys(r) == len(down)
    assert tiering_info(r)["tier_cold_reads"] == 0, "an expired value was read from the tier"
    assert r.mget(kept) == [values[key] for key in kept]
    # Their deletion was journaled: a second start does not bring them back.
    srv.stop()
    srv.start()
    r = srv.client()
    assert r.exists(*down) == 0 and r.exists(*running) == 0
    assert r.mget(kept) == [values[key] for key in kept]
    srv.stop()


def test_a_restart_leaves_large_values_in_the_tier_and_small_ones_in_dram(tmp_path):
    srv = start(tmp_path / "server")
    r = srv.client()
    big = "x" * 200
    r.set("string", big)
    r.set("small", "tiny")
    r.set("number", 12345)
    r.hset("hash", mapping={f"f{i}": "v" * 20 for i in range(20)})
    r.rpush("list", *[big + str(i) for i in range(10)])
    r.sadd("set", *[f"member{i}" * 3 for i in range(20)])
    r.sadd("intset", *range(100))
    r.zadd("zset", {big + str(i): i for i in range(10)})
    for i in range(10):
        r.xadd("stream", {"field": big, "n": i})
    r.pexpire("list", 3_600_000)
    large = ["string", "hash", "list", "set", "intset", "zset", "stream"]
    rb = srv.client(decode_responses=False)
    dumps = {key: rb.dump(key) for key in large}
    encodings = {key: r.object("encoding", key) for key in large}
    call(r, "SAVE")
    srv.stop()
    srv.start()
    r = srv.client()
    rb = srv.client(decode_responses=False)
    info = tiering_info(r)
    assert info["tier_keys_cold"] == len(large)
    assert "tier:cold" not in call(r, "DEBUG", "OBJECT", "small")
    assert r.get("small") == "tiny" and r.get("number") == "12345"
    assert {key: r.object("encoding", key) for key in large} == encodings
    assert 0 < r.pttl("list") <= 3_600_000
    assert tiering_info(r)["tier_cold_reads"] == 0
    assert {key: rb.dump(key) for key in large} == dumps
    assert tiering_info(r)["tier_keys_cold"] == 0
    srv.stop()


def test_a_transaction_loads_the_keys_of_every_db_it_selects(tiered):
    srv, r = tiered
    other = srv.client(db=1)
    other.debug_object_raw = lambda key: call(other, "DEBUG", "OBJECT", key)
    other.set("elsewhere", "e" * 500)
    make_cold(other, ["elsewhere"])
    sync_loads = tiering_info(r)["tier_sync_loads"]
    tx = r.pipeline(transaction=True)
    tx.execute_command("SELECT", 1)
    tx.append("elsewhere", "!")
    assert tx.execute() == [True, 501]
    assert other.get("elsewhere") == "e" * 500 + "!"
    # Read ahead of EXEC, not by the engine thread while it ran.
    assert tiering_info(r)["tier_sync_loads"] == sync_loads
    other.close()


def test_a_value_read_once_goes_back_and_one_read_again_stays(tiered):
    srv, r = tiered
    # 2 MiB: more than the room that freed buffers (a filler pipeline's query buffer)
    # can leave under the budget, so reading it back takes memory over it.
    big = "".join(value_of(i) for i in range(2048))
    r.set("once", big)
    r.set("twice", big)
    make_cold(r, ["once", "twice"])
    before = tiering_info(r)
    assert r.get("once") == big
    after = tiering_info(r)
    # Served, not admitted, and back in the tier rather than pushing out a value used
    # more: sent back after its command (tier_reads_sent_back), unless the demotion that
    # follows every command over the budget sampled it first (cold_values_test covers
    # the sending back itself).
    assert after["tier_reads_admitted"] == before["tier_reads_admitted"]
    assert "tier:cold" in r.debug_object_raw("once")
    assert r.get("twice") == big and r.get("twice") == big
    again = tiering_info(r)
    assert again["tier_reads_admitted"] >= after["tier_reads_admitted"] + 1


def test_a_full_tier_lets_the_policy_decide(tmp_path):
    # tier-max-size of one byte: full once the first round has written a file.
    srv = start(tmp_path / "server", "--tier-max-size", "1", "--maxmemory-policy", "noeviction")
    r = srv.client()
    try:
        fill(r, 0, 100)
        start_round(r)
        wait_until(lambda: tiering_info(r)["tier_full"] == 1, timeout=30, message="tier full")
        # noeviction: past the budget writes are refused, as without tiering, and no value
        # leaves DRAM.
        refused = False
        for first in range(100, 4 * BUDGET // VALUE_SIZE, 200):
            try:
                fill(r, first, 200)
            except redis.ResponseError as error:
                assert "OOM command not allowed" in str(error), error
                refused = True
                break
        assert refused, "writes were never refused"
        assert tiering_info(r)["tier_keys_cold"] == 0
        # allkeys-lru: keys are evicted instead.
        r.config_set("maxmemory-policy", "allkeys-lru")
        fill(r, 0, 2 * BUDGET // VALUE_SIZE, prefix="lru:")
        assert r.info("stats")["evicted_keys"] > 0
        # Room again: values leave DRAM and no more keys are evicted.
        r.config_set("tier-max-size", "0")
        wait_until(lambda: tiering_info(r)["tier_full"] == 0, timeout=10, message="tier not full")
        evicted = r.info("stats")["evicted_keys"]
        keys = r.dbsize()
        fill(r, 0, 2 * BUDGET // VALUE_SIZE, prefix="kept:")
        assert r.info("stats")["evicted_keys"] == evicted
        assert r.dbsize() == keys + 2 * BUDGET // VALUE_SIZE
        assert tiering_info(r)["tier_keys_cold"] > 0
    finally:
        r.close()
        srv.stop()


def start_below_base_memory(tmp_path, budget):
    """A server without a journal (point-in-time rounds) whose budget is under what it takes
    before it holds any value: every value a round writes leaves DRAM at once."""
    return ServerProcess(server_bin(), tmp_path / "server",
                         ("--tier", "rocksdb", "--appendonly", "no", "--tiering", "yes",
                          "--maxmemory", budget, "--tier-min-value-size", "0")).start()


def test_writers_do_not_wait_forever_when_the_budget_is_below_the_base_memory(tmp_path):
    # A budget under what the server takes before it holds any value: once a round has
    # written the dirty values, waiting frees nothing more, so writes go on (they used to
    # wait for a round that could never bring memory under the budget).
    srv = start_below_base_memory(tmp_path, "1mb")
    r = srv.client(socket_timeout=10)
    try:
        assert r.info("memory")["used_memory"] > (1 << 20) * 9 // 8
        for i in range(20):
            assert r.set(f"k{i}", value_of(i))
            assert r.rpush("list", value_of(i)) == i + 1
        assert [r.get(f"k{i}") for i in range(20)] == [value_of(i) for i in range(20)]
        assert r.lrange("list", 0, -1) == [value_of(i) for i in range(20)]
    finally:
        r.close()
        srv.stop()


def test_a_value_written_by_a_round_without_a_journal_stays_readable(tmp_path):
    # appendonly no: point-in-time rounds write the tier's stage, which reads do not see
    # before the round commits. A budget just under the server's base memory demotes every
    # value a round writes at once: one demoted before the commit was read from the last
    # commit, which did not hold it ("cold read failed: the tier holds no value").
    srv = start_below_base_memory(tmp_path, "3mb")
    r = srv.client()
    try:
        r.config_set("proto-max-bulk-len", "1mb")
        for i in range(40):
            r.flushall()
            r.setrange("s", (1 << 20) - 1, "x")
            with pytest.raises(redis.ResponseError, match="exceeds maximum allowed size"):
                r.append("s", "y")
            assert r.strlen("s") == 1 << 20, f"iteration {i}"
    finally:
        r.close()
        srv.stop()


def test_a_value_comes_back_in_the_encoding_it_left_with(tmp_path):
    """A live value keeps its encoding where a load would pick the one of its size (the
    RDB rule the tier's decoding follows): a round trip through the tier must not change
    OBJECT ENCODING, nor DUMP."""
    srv = start(tmp_path / "server", "--tier-min-value-size", "0")   # small values leave too
    r = srv.client()
    r.debug_object_raw = lambda key: call(r, "DEBUG", "OBJECT", key)
    big = "x" * 1000
    r.hset("hash", mapping={f"f{i}": "v" for i in range(600)})       # past 512 fields
    r.hdel("hash", *[f"f{i}" for i in range(1, 600)])                 # shrank: still a hashtable
    r.zadd("zset", {f"m{i}": i for i in range(200)})
    r.zremrangebyrank("zset", 2, -1)                                  # still a skiplist
    r.sadd("set", *[f"member{i}" for i in range(200)])
    r.srem("set", *[f"member{i}" for i in range(2, 200)])             # still a hashtable
    r.sadd("numbers", "a", *range(3))
    r.srem("numbers", "a")                                            # a listpack of integers
    r.rpush("list", *[big + str(i) for i in range(10)])               # two nodes
    for _ in range(4):
        r.rpop("list")                                                # one node over half the limit
    r.set("digits", "1234567890")
    r.append("digits", "1")                                           # raw, as APPEND leaves it
    keys = ["hash", "zset", "set", "numbers", "list", "digits"]
    encodings = [r.object("encoding", key) for key in keys]
    assert encodings == ["hashtable", "skiplist", "hashtable", "listpack", "quicklist", "raw"]
    rb = srv.client(decode_responses=False)
    dumps = [rb.dump(key) for key in keys]
    make_cold(r, keys)
    assert [r.object("encoding", key) for key in keys] == encodings
    reads = tiering_info(r)["tier_cold_reads"]
    assert [rb.dump(key) for key in keys] == dumps       # read back
    assert tiering_info(r)["tier_cold_reads"] >= reads + len(keys)
    # Each went back to the tier after its read (read once), as the value it came back as.
    assert [r.object("encoding", key) for key in keys] == encodings
    srv.stop()


def test_a_cached_hll_cardinality_leaves_dram_with_its_value(tiered):
    """PFCOUNT writes the cardinality into the value's header, as Redis does; a value that
    leaves DRAM right after must come back with it (GET and DUMP show the header)."""
    srv, r = tiered
    rb = srv.client(decode_responses=False)
    r.pfadd("hll", *[f"e{i}" for i in range(2000)])
    assert 1900 < r.pfcount("hll") < 2100
    cached = rb.get("hll")
    dump = rb.dump("hll")
    make_cold(r, ["hll"])
    assert rb.get("hll") == cached
    assert rb.dump("hll") == dump


def test_a_no_touch_client_reading_a_cold_value_leaves_its_access_information(tiered):
    srv, r = tiered
    # Every access raises the LFU counter (log factor 0) and nothing lowers it (no
    # decay), so one access would show.
    call(r, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    call(r, "CONFIG", "SET", "lfu-log-factor", "0")
    call(r, "CONFIG", "SET", "lfu-decay-time", "0")
    r.set("k", "v" * 1000)
    make_cold(r, ["k"])
    c = srv.client()
    assert call(c, "CLIENT", "NO-TOUCH", "on") == "OK"
    before = call(c, "OBJECT", "FREQ", "k")
    reads = tiering_info(r)["tier_cold_reads"]
    assert c.get("k") == "v" * 1000
    assert tiering_info(r)["tier_cold_reads"] == reads + 1
    assert call(c, "OBJECT", "FREQ", "k") == before
    # Without NO-TOUCH the read is an access, once.
    make_cold(r, ["k"])
    assert r.get("k") == "v" * 1000
    assert call(c, "OBJECT", "FREQ", "k") == before + 1
    c.close()
