"""Scripts are atomic across a crash, like MULTI/EXEC.

A script's writes are journaled as the effects its commands produced, in one record with
the EVAL that ran it (never by running the Lua again). Writers run a script that sets all
of their keys to one generation; the server is SIGKILLed at a random moment and
restarted: each writer's keys all hold one generation (or are all absent), never a mix,
and no acknowledged generation is lost (appendfsync always). And SHUTDOWN NOSAVE, which
stops a script half way, leaves none of that script's writes behind.

Seed: TIERKV_SCRIPT_CRASH_SEED. Bounded: about 15 s.
"""
import os
import random
import threading
import time

import pytest
import redis

from durability_harness import DurableServer, poll_until, server_bin_or_skip

WRITERS = 2
KEYS_PER_SCRIPT = 40
VALUE_BYTES = 3000  # a record of about 120 KB: a kill may land while it is written
CYCLES = 5
KILL_DELAY_S = (0.3, 1.2)
FILLER_KEYS = 20000
FILLER_VALUE_BYTES = 2000

SET_ALL = """
for i = 1, #KEYS do
  redis.call('set', KEYS[i], ARGV[1] .. string.rep('x', tonumber(ARGV[2])))
end
return #KEYS
"""


def keys_of(writer):
    return [f"w{writer}:k{i}" for i in range(KEYS_PER_SCRIPT)]


def run_writer(port, writer, start_generation, stop, progress):
    """Runs SET_ALL with increasing generations until the server goes away."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    sha = client.script_load(SET_ALL)
    keys = keys_of(writer)
    generation = start_generation
    try:
        while not stop.is_set():
            generation += 1
            progress[writer]["sent"] = generation
            client.evalsha(sha, len(keys), *keys, f"{generation}:", VALUE_BYTES)
            progress[writer]["acked"] = generation
    except (redis.ConnectionError, redis.TimeoutError):
        pass
    finally:
        client.close()


def generations_of(client, writer):
    values = client.mget(keys_of(writer))
    return {None if value is None else int(value.split(b":", 1)[0]) for value in values}


def test_script_writes_survive_a_crash_all_or_nothing(tmp_path):
    binary = server_bin_or_skip()
    seed = int(os.environ.get("TIERKV_SCRIPT_CRASH_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", ""])
    progress = [{"sent": 0, "acked": 0} for _ in range(WRITERS)]
    try:
        for cycle in range(CYCLES):
            server.start()
            stop = threading.Event()
            threads = [threading.Thread(target=run_writer,
                                        args=(server.port, w, progress[w]["sent"], stop, progress))
                       for w in range(WRITERS)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(*KILL_DELAY_S))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
                assert not thread.is_alive(), "writer did not stop"
            server.start()
            client = server.client(decode_responses=False)
            for writer in range(WRITERS):
                seen = generations_of(client, writer)
                assert len(seen) == 1, (f"seed {seed} cycle {cycle}: writer {writer}'s script left "
                                        f"a mix of generations {sorted(seen, key=str)}")
                (generation,) = seen
                acked, sent = progress[writer]["acked"], progress[writer]["sent"]
                if acked:
                    assert generation is not None and acked <= generation <= sent, (
                        f"seed {seed} cycle {cycle}: writer {writer} acknowledged {acked}, sent {sent}, "
                        f"found {generation}")
                progress[writer]["sent"] = max(sent, generation or 0)
                progress[writer]["acked"] = generation or 0
            client.close()
            server.kill()
        assert all(p["acked"] > CYCLES for p in progress), f"too few scripts ran: {progress}"
        server.start()
        assert server.fatal_lines() == []
    finally:
        server.kill()


def test_shutdown_nosave_leaves_none_of_the_running_script(tmp_path):
    binary = server_bin_or_skip()
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", "",
                            "--busy-reply-threshold", "50"])
    server.start()
    try:
        client = server.client()
        assert client.set("before", "1")
        outcome = {}

        def run_script():
            runner = server.client(socket_timeout=20)
            try:
                runner.eval("redis.call('set', 'during', '1') while true do end", 0)
            except (redis.ConnectionError, redis.ResponseError) as error:
                outcome["error"] = error

        thread = threading.Thread(target=run_script)
        thread.start()

        def busy():
            try:
                client.ping()
                return False
            except redis.ResponseError as error:
                return str(error).startswith("BUSY")

        poll_until(busy, timeout=10, message="the script to make other clients BUSY")
        with pytest.raises(redis.ResponseError, match="UNKILLABLE"):
            client.script_kill()
        client.shutdown(nosave=True)  # redis-py expects the connection to close
        assert server.wait_exit(timeout=30) == 0
        thread.join(timeout=30)
        assert not thread.is_alive()
        server.start()
        client = server.client()
        assert client.get("before") == "1"
        assert client.get("during") is None
    finally:
        server.kill()


def test_a_round_running_beside_a_slow_script_never_sees_its_writes(tmp_path):
    """A checkpoint round started before a slow script must not write the script's
    uncommitted changes to the tier while the script serves others with BUSY: its slices
    wait for the script's end. `target` is changed by the script and is among the last
    keys the round owes; the server is killed while the script still runs, so the
    restart must show the value acknowledged before the script."""
    binary = server_bin_or_skip()
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", "",
                            "--busy-reply-threshold", "20"])
    server.start()
    try:
        client = server.client()
        # About 40 MB the round owes, in slices of a few MiB: it is still running when the
        # script starts.
        filler = "x" * FILLER_VALUE_BYTES
        for batch in range(FILLER_KEYS // 500):
            assert client.mset({f"filler:{batch}:{i}": filler for i in range(500)})
        assert client.set("target", "before")
        assert client.bgsave()

        def run_script():
            runner = server.client(socket_timeout=60)
            try:
                runner.eval("redis.call('set', 'target', 'during') while true do end", 0)
            except (redis.ConnectionError, redis.ResponseError):
                pass

        thread = threading.Thread(target=run_script, daemon=True)
        thread.start()

        def busy():
            try:
                client.ping()
                return False
            except redis.ResponseError as error:
                return str(error).startswith("BUSY")

        poll_until(busy, timeout=10, message="the script to make other clients BUSY")
        # The round's slices would reach `target` by now, were they not held back (without
        # that, the restart shows "during" in most runs).
        time.sleep(1.0)
        server.kill()
        thread.join(timeout=30)
        server.start()
        client = server.client()
        assert client.get("target") == "before"
        assert client.dbsize() == FILLER_KEYS + 1
    finally:
        server.kill()


def test_sigterm_lets_a_running_script_finish(tmp_path):
    """SIGTERM during a slow script waits for it (as Redis): the final round then holds
    all of the script's writes, never the part written before the signal."""
    binary = server_bin_or_skip()
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", "",
                            "--busy-reply-threshold", "20"])
    server.start()
    try:
        client = server.client()
        outcome = {}

        def run_script():
            runner = server.client(socket_timeout=60)
            try:
                outcome["reply"] = runner.eval(
                    "redis.call('set', 'a', '1') local x = 0 for i = 1, 60000000 do x = x + 1 end "
                    "redis.call('set', 'b', '2') return x", 0)
            except (redis.ConnectionError, redis.ResponseError) as error:
                outcome["error"] = error

        thread = threading.Thread(target=run_script, daemon=True)
        thread.start()

        def busy():
            try:
                client.ping()
                return False
            except redis.ResponseError as error:
                return str(error).startswith("BUSY")

        poll_until(busy, timeout=10, message="the script to make other clients BUSY")
        assert server.terminate(timeout=60) == 0
        thread.join(timeout=30)
        assert outcome.get("reply") == 60000000, outcome
        server.start()
        client = server.client()
        assert (client.get("a"), client.get("b")) == ("1", "2")
    finally:
        server.kill()
