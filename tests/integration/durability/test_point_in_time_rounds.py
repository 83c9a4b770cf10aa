"""appendonly no: every checkpoint round is a point-in-time image of the keyspace.

Without a journal the tier is all a restart has, and nothing replays onto it: a round that
wrote each key as it was when its slice ran would leave half of an MSET or of a
MULTI/EXEC in the tier. Here writers keep pairs k<i>a / k<i>b equal (MSET, MULTI/EXEC,
DEL of both) while BGSAVE starts rounds back to back; values are large enough that a round
takes several slices, with commands running between them. The server is SIGKILLed at a
random moment and restarted: every pair must be equal (both present with one value, or
both absent), whatever round the restart found.

Seed: TIERKV_PIT_SEED. Bounded: about 25 s.
"""
import os
import random
import threading
import time

import redis

from durability_harness import DurableServer, poll_until, server_bin_or_skip

PAIRS = 3000
VALUE_BYTES = 1000        # a slice ends at 1024 keys or 4 MiB: a round of >1024 keys has several
CYCLES = 5
KILL_DELAY_S = (0.5, 2.5)
WRITERS = 3


def pair(i):
    return f"k{i}a", f"k{i}b"


def value_for(tag, rng):
    return f"{tag}:" + "x" * rng.randrange(VALUE_BYTES // 2, VALUE_BYTES)


def write_pairs(port, seed, stop, counts):
    """Writes pairs until the server goes away or `stop` is set."""
    rng = random.Random(seed)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    try:
        n = 0
        while not stop.is_set():
            pipe = client.pipeline(transaction=False)
            for _ in range(32):
                n += 1
                a, b = pair(rng.randrange(PAIRS))
                kind = rng.randrange(10)
                if kind < 5:
                    value = value_for(f"{seed}-{n}", rng)
                    pipe.mset({a: value, b: value})
                elif kind < 9:
                    value = value_for(f"{seed}-{n}", rng)
                    pipe.execute_command("MULTI")
                    pipe.execute_command("SET", a, value)
                    pipe.execute_command("SET", b, value)
                    pipe.execute_command("EXEC")
                else:
                    pipe.delete(a, b)
            pipe.execute()
            counts["batches"] += 1
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        pass  # killed
    finally:
        client.close()


def start_rounds(port, stop, counts):
    """BGSAVE back to back: rounds run all the time the writers do."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    try:
        while not stop.is_set():
            try:
                client.bgsave()
                counts["bgsave"] += 1
            except redis.ResponseError:
                pass  # one is running already
            time.sleep(0.005)
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        pass
    finally:
        client.close()


def unequal_pairs(client):
    unequal = []
    present = 0
    for first in range(0, PAIRS, 500):
        keys = [key for i in range(first, min(first + 500, PAIRS)) for key in pair(i)]
        values = client.mget(keys)
        for j in range(0, len(keys), 2):
            present += values[j] is not None
            if values[j] != values[j + 1]:
                unequal.append((keys[j], (values[j] or b"")[:24], (values[j + 1] or b"")[:24]))
    return unequal, present


def test_pairs_stay_equal_across_kills(tmp_path):
    binary = server_bin_or_skip()
    seed = int(os.environ.get("TIERKV_PIT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "no", "--save", "1 1"])
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
        client.save()
        client.close()

        for cycle in range(CYCLES):
            where = f"seed {seed}, cycle {cycle}"
            stop = threading.Event()
            counts = {"batches": 0, "bgsave": 0}
            threads = [threading.Thread(target=write_pairs, args=(server.port, rng.randrange(1 << 30), stop, counts))
                       for _ in range(WRITERS)]
            threads.append(threading.Thread(target=start_rounds, args=(server.port, stop, counts)))
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
    assert rounds_under_load >= CYCLES, f"only {rounds_under_load} rounds ran under load (seed {seed})"
