"""Checkpoint rounds over huge values while clients write to them and to other keys.

A 32 MiB list and an 8 MiB hash are serialized a bounded step at a time
(tiering/sliced_values.h), other commands running between the steps; a command that
touches a value being serialized finishes its serialization first. Here writers push to
and pop from the list, set and delete fields of the hash and write small keys while BGSAVE
starts rounds back to back. Then:
- with the journal (appendonly yes, appendfsync always), SIGKILL: the restart must hold exactly
  what was acknowledged: a tier state of the list or hash whose bytes did not match the
  LSN written beside it would have the journal replay a push twice or not at all;
- without it (appendonly no), SHUTDOWN (whose round serializes the huge values in steps
  too) and a restart: the keyspace as it was at the SHUTDOWN.

Bounded: about 10 s per mode.
"""
import threading

import pytest
import redis

from durability_harness import DurableServer, poll_until, server_bin_or_skip

LIST_BYTES = 32 << 20
HASH_BYTES = 8 << 20
ELEMENT_BYTES = 256
ROUNDS_UNDER_WRITES = 3
WRITERS = 2


def load(client):
    element = b"e" * (ELEMENT_BYTES - 8)
    pipe = client.pipeline(transaction=False)
    for start in range(0, LIST_BYTES // ELEMENT_BYTES, 1000):
        pipe.rpush("huge-list", *[b"%08d" % i + element for i in range(start, start + 1000)])
        if len(pipe) >= 16:
            pipe.execute()
    for start in range(0, HASH_BYTES // ELEMENT_BYTES, 1000):
        pipe.hset("huge-hash", mapping={b"f%d" % i: element for i in range(start, start + 1000)})
        if len(pipe) >= 16:
            pipe.execute()
    pipe.execute()


def write(port, writer, stop, counts):
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
    try:
        n = 0
        while not stop.is_set():
            pipe = client.pipeline(transaction=False)
            for _ in range(16):
                n += 1
                pipe.rpush("huge-list", f"w{writer}-{n}")
                if n % 3 == 0:
                    pipe.lpop("huge-list")
                pipe.hset("huge-hash", f"w{writer}-{n % 500}", n)
                if n % 7 == 0:
                    pipe.hdel("huge-hash", f"f{n}")
                pipe.set(f"small:{writer}:{n % 200}", n)
                pipe.incr("counter")
            pipe.execute()
            counts[writer] += 1
    finally:
        client.close()


def run_rounds(client, count):
    for _ in range(count):
        client.bgsave()
        poll_until(lambda: not client.info("persistence")["rdb_bgsave_in_progress"], 120, "the round to end")
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"


@pytest.mark.parametrize("appendonly", ["yes", "no"])
def test_rounds_over_huge_values_under_writes_restart_to_the_same_keyspace(tmp_path, appendonly):
    binary = server_bin_or_skip()
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", appendonly, "--appendfsync", "always", "--save", "",
                            "--enable-debug-command", "yes"])
    try:
        server.start()
        client = server.client(decode_responses=False)
        load(client)
        stop = threading.Event()
        counts = [0] * WRITERS
        threads = [threading.Thread(target=write, args=(server.port, w, stop, counts)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        try:
            poll_until(lambda: all(counts), 30, "the first writes")
            run_rounds(client, ROUNDS_UNDER_WRITES)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a writer hung"
        assert all(count > 1 for count in counts), f"the writers hardly ran: {counts}"
        expected = client.execute_command("DEBUG", "DIGEST")
        lengths = (client.llen("huge-list"), client.hlen("huge-hash"), client.dbsize())
        if appendonly == "no":
            # Without a journal a restart has the last round only: the shutdown round's,
            # which serializes the huge values in steps too before the server exits.
            try:
                client.shutdown()
            except redis.ConnectionError:
                pass
            assert server.wait_exit() == 0, server.run_log()[-3000:]
        else:
            client.close()
            server.kill()

        server.start()
        assert not server.fatal_lines(), server.run_log()[-3000:]
        client = server.client(decode_responses=False)
        assert (client.llen("huge-list"), client.hlen("huge-hash"), client.dbsize()) == lengths
        assert client.execute_command("DEBUG", "DIGEST") == expected, server.all_logs()
        client.close()
    finally:
        server.kill()
