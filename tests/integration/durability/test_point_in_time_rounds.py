"""appendonly no: every checkpoint round is a point-in-time image of the keyspace.

Without a journal the tier is all a restart has, and nothing replays onto it: a round that
wrote each key as it was when its slice ran would leave half of an MSET or of a
MULTI/EXEC in the tier. Here writers keep pairs k<i>a / k<i>b equal (MSET, MULTI/EXEC,
DEL of both) while rounds run every few hundred ms (BGSAVE, and `save 1 1`); values are
large enough (a slice ends past 4 MiB) that a round takes several slices, with commands
running between them. The server is SIGKILLed at a random moment and restarted: every
pair must be equal (both present with one value, or both absent), whatever round the
restart found.

Two configurations: write buffers (64 MiB without maxmemory) larger than any round, so
that only the commit flushes what a round wrote; and small ones (`maxmemory 64mb`: 8 MiB,
memtables of 2 MiB) that a round outgrows, so that RocksDB flushes part of it on its own
before the commit (the round is staged in the tier, and its commit makes all of it
current at once).

Seed: TIERKV_PIT_SEED. Bounded: about 30 s per configuration.
"""
import os
import random
import threading
import time

import pytest
import redis

from durability_harness import DurableServer, poll_until, server_bin_or_skip

PAIRS = 400
VALUE_BYTES = 24000       # 800 keys of 12-24 KB: a round that owes them all takes 3-4 slices
CYCLES = 5
KILL_DELAY_S = (1.0, 3.0)
ROUND_EVERY_S = 0.25
# Rounds further apart owe more: several memtables of the small configuration.
SMALL_BUFFERS_ROUND_EVERY_S = 1.0
# name: (server arguments, seconds between BGSAVEs, kill cycles). A kill tears a round
# only if it lands after RocksDB flushed part of it: the small configuration takes more
# cycles (without the stage, 10 cycles found a torn pair in nearly every run).
CONFIGURATIONS = {
    "large_buffers": ([], ROUND_EVERY_S, CYCLES),
    "small_buffers": (["--maxmemory", "64mb"], SMALL_BUFFERS_ROUND_EVERY_S, 10),
}
WRITERS = 3


def pair(i):
    return f"k{i}a", f"k{i}b"


def value_for(tag, rng):
    # Random hex: the tier's encoding compresses repeated bytes, and the slices must be large.
    return f"{tag}:" + rng.randbytes(rng.randrange(VALUE_BYTES // 4, VALUE_BYTES // 2)).hex()


def write_pairs(port, writer, seed, stop, counts):
    """Writes the pairs this writer owns until the server goes away or `stop` is set.

    Besides changing both keys of a pair (MSET, MULTI/EXEC, DEL), it sets one key to the
    value the pair has: the pair stays equal, and the two keys sit apart in the list of
    keys a round writes, so that slices split pairs."""
    rng = random.Random(seed)
    owned = range(writer, PAIRS, WRITERS)
    current = {i: None for i in owned}  # None: unknown or deleted (never rewritten alone)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    try:
        n = 0
        while not stop.is_set():
            pipe = client.pipeline(transaction=False)
            for _ in range(8):
                n += 1
                i = rng.choice(owned)
                a, b = pair(i)
                kind = rng.randrange(10)
                if kind < 4:
                    current[i] = value_for(f"{seed}-{n}", rng)
                    pipe.mset({a: current[i], b: current[i]})
                elif kind < 7:
                    current[i] = value_for(f"{seed}-{n}", rng)
                    pipe.execute_command("MULTI")
                    pipe.execute_command("SET", b, current[i])
                    pipe.execute_command("SET", a, current[i])
                    pipe.execute_command("EXEC")
                elif kind < 8:
                    current[i] = None
                    pipe.delete(a, b)
                elif current[i] is not None:
                    pipe.set(rng.choice((a, b)), current[i])
            pipe.execute()
            counts["batches"] += 1
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        pass  # killed
    finally:
        client.close()


def start_rounds(port, stop, counts, every_s):
    """BGSAVE every `every_s`: each round owes what changed meanwhile."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    try:
        while not stop.is_set():
            try:
                client.bgsave()
                counts["bgsave"] += 1
            except redis.ResponseError:
                pass  # one is running already
            stop.wait(every_s)
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        pass
    finally:
        client.close()


def unequal_pairs(client):
    unequal = []
    present = 0
    for first in range(0, PAIRS, 50):
        keys = [key for i in range(first, min(first + 50, PAIRS)) for key in pair(i)]
        values = client.mget(keys)
        for j in range(0, len(keys), 2):
            present += values[j] is not None
            if values[j] != values[j + 1]:
                unequal.append((keys[j], (values[j] or b"")[:24], (values[j + 1] or b"")[:24]))
    return unequal, present


def save_unless_round_running(client):
    try:
        return client.save()
    except redis.ResponseError as error:
        if "already in progress" not in str(error):
            raise
        return False


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_pairs_stay_equal_across_kills(tmp_path, configuration):
    binary = server_bin_or_skip()
    extra_args, round_every_s, cycles = CONFIGURATIONS[configuration]
    seed = int(os.environ.get("TIERKV_PIT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "no", "--save", "1 1", *extra_args])
    rounds_under_load = 0
    try:
        server.start()
        client = server.client(decode_responses=False)
        pipe = client.pipeline(transaction=False)
        for i in range(PAIRS):
            value = value_for(f"init-{i}", rng)
            a, b = pair(i)
            pipe.mset({a: value, b: value})
        pipe.execute()
        # The save rule may have started a round already (a slow machine takes more than
        # a second to load the pairs): SAVE is refused until it ends, as in Redis.
        poll_until(lambda: save_unless_round_running(client), 60, "a SAVE after the load")
        client.close()

        for cycle in range(cycles):
            where = f"{configuration}, seed {seed}, cycle {cycle}"
            stop = threading.Event()
            counts = {"batches": 0, "bgsave": 0}
            threads = [threading.Thread(target=write_pairs,
                                        args=(server.port, writer, rng.randrange(1 << 30), stop, counts))
                       for writer in range(WRITERS)]
            threads.append(threading.Thread(target=start_rounds, args=(server.port, stop, counts, round_every_s)))
            for thread in threads:
                thread.start()
            try:
                poll_until(lambda: counts["batches"] > 0, 30, f"the first writes ({where})")
                time.sleep(rng.uniform(*KILL_DELAY_S))  # the kill lands at a random moment
                rounds_under_load += server.run_log().count("Checkpoint at LSN")
                server.kill()
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)
            assert not any(thread.is_alive() for thread in threads), f"a client hung ({where})"

            server.start()
            assert not server.fatal_lines(), f"{where}:\n{server.run_log()[-3000:]}"
            client = server.client(decode_responses=False)
            try:
                unequal, present = unequal_pairs(client)
            finally:
                client.close()
            assert not unequal, (f"{where}: {len(unequal)} pairs differ after the restart, e.g. "
                                 f"{unequal[:5]}; log:\n{server.all_logs()}")
            assert present > 0, f"{where}: the restart found no pair at all"
    finally:
        server.kill()
    # Proves something only if rounds committed while the writers ran.
    assert rounds_under_load >= cycles, f"only {rounds_under_load} rounds ran under load (seed {seed})"
