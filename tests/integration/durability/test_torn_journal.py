"""A journal torn inside a large record: the server must start, serving every write that
was acknowledged before that record, however far into the record the file was cut.

A SIGKILL cannot tear a write by itself (the page cache keeps what write() took), so the
test makes the damage a power loss would: it stops the server with SIGKILL after a large
SET, then cuts the newest journal segment at a random point inside that record (or leaves
zero-filled pages there), and restarts. With the journal's version 2 framing this is a
torn tail, found and cut in time linear in the journal; earlier framing could take minutes
on a 16 MB tail and call value bytes that looked like a record "corruption".

Reproduce a run with TIERKV_TORN_SEED=<seed printed in the failure>.
"""
import glob
import os
import random

import pytest

from durability_harness import DurableServer, server_bin_or_skip

LARGE_VALUE_BYTES = 32 << 20


def newest_segment(data_dir):
    segments = sorted(glob.glob(os.path.join(data_dir, "journal", "journal-*.log")))
    assert segments, f"no journal segment in {data_dir}"
    return segments[-1]


def large_value(rng):
    # Not one repeated byte; with v1 record bytes inside, as a value could hold them.
    chunk = bytes(rng.getrandbits(8) for _ in range(4096)) + b"\x20\x00\x00\x00" + b"\x00" * 28
    return (chunk * (LARGE_VALUE_BYTES // len(chunk) + 1))[:LARGE_VALUE_BYTES]


@pytest.mark.parametrize("damage", ["cut", "zero-filled"])
def test_journal_torn_inside_a_large_value_starts_serving_earlier_writes(damage, tmp_path):
    binary = server_bin_or_skip()
    seed = int(os.environ.get("TIERKV_TORN_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", ""])
    server.start()
    client = server.client(decode_responses=False)
    acked = {f"before:{i}".encode(): f"value {i}".encode() for i in range(200)}
    assert client.mset(acked) is True
    segment = newest_segment(server.data_dir)
    size_before = os.path.getsize(segment)
    assert client.set(b"large", large_value(rng)) is True
    server.kill()

    size_after = os.path.getsize(segment)
    assert size_after > size_before + LARGE_VALUE_BYTES, "the large record is not in the newest segment"
    at = rng.randrange(size_before + 1, size_after)
    if damage == "cut":
        os.truncate(segment, at)
    else:
        with open(segment, "r+b") as f:  # pages after `at` never reached the disk
            f.seek(at)
            f.write(b"\x00" * (size_after - at))

    server.start()
    try:
        client = server.client(decode_responses=False)
        missing = [key for key, value in acked.items() if client.get(key) != value]
        assert not missing, f"seed {seed}: acknowledged writes lost: {missing[:5]}\n{server.all_logs()}"
        assert client.get(b"large") is None, f"seed {seed}: the torn record was replayed"
        assert "torn" in server.run_log(), f"seed {seed}: the cut was not reported\n{server.run_log()}"
        # The journal goes on after the cut, and a restart finds it clean.
        assert client.set(b"after", b"1") is True
        server.kill()
        server.start()
        client = server.client(decode_responses=False)
        assert client.get(b"after") == b"1", f"seed {seed}\n{server.all_logs()}"
        assert client.get(b"before:0") == b"value 0"
    finally:
        server.kill()
