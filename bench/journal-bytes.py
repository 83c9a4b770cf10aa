#!/usr/bin/python3
"""Journal bytes per command: what one write costs in the effect journal, for writes
whose change is small but whose value is large.

Each case prepares one key, then runs the measured command R times (default 20, each a
real change) and reports INFO persistence journal_bytes' growth divided by R. The
journal counts a record's bytes when the command commits it, so INFO read after the
last reply covers every record. Target (docs/BENCHMARKS.md): under 100 bytes each.

  setbit-8mb     SETBIT at a random offset of an 8 MB bitmap
  append-64mb    APPEND of 10 bytes to a 64 MB string
  expire-hash    EXPIRE on a hash of F fields (default 100,000; 16-byte values)
  incr           INCR of a counter

tierkv runs with the journal on (appendfsync everysec), --save "" and
--journal-max-size 0, so no checkpoint round trims the journal while it is measured.

Usage: bench/journal-bytes.py [--rounds R] [--hash-fields F]
Env: TIERKV_BIN (default build/bin/tierkv-server), TIERKV_ARGS, KEEP_TMP=1.
"""
import argparse
import os
import random
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

BITMAP_BITS = 8 * 8 * 1024 * 1024   # 8 MB
BIG_STRING = 64 * 1024 * 1024       # 64 MB
FIELDS_PER_HSET = 1000


def journal_bytes(conn):
    return int(conn.info("persistence")["journal_bytes"])


def prepare_setbit(conn, rounds):
    conn.call("SETBIT", "bitmap", BITMAP_BITS - 1, 1)
    offsets = random.Random(1).sample(range(BITMAP_BITS - 1), rounds)
    return [("SETBIT", "bitmap", offset, 1) for offset in offsets]


def prepare_append(conn, rounds):
    conn.call("SETRANGE", "big", BIG_STRING - 1, "x")
    return [("APPEND", "big", "0123456789")] * rounds


def prepare_expire(conn, rounds, fields):
    for start in range(0, fields, FIELDS_PER_HSET):
        args = ["HSET", "hash"]
        for i in range(start, min(start + FIELDS_PER_HSET, fields)):
            args += ["field:%08d" % i, "value:%09d" % i]
        conn.call(*args)
    return [("EXPIRE", "hash", 100_000 + i) for i in range(rounds)]


def prepare_incr(conn, rounds):
    return [("INCR", "counter")] * rounds


def measure(conn, commands):
    before = journal_bytes(conn)
    for command in commands:
        conn.call(*command)
    return (journal_bytes(conn) - before) / len(commands)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--hash-fields", type=int, default=100_000)
    args = parser.parse_args()
    tkbench.install_cleanup()
    binary = tkbench.tierkv_bin()
    work = tkbench.bench_tmpdir()
    server = tkbench.Server("tierkv", binary, work, extra_args=[
        "--appendonly", "yes", "--appendfsync", "everysec", "--journal-max-size", "0"])
    cases = [
        ("setbit-8mb", lambda c: prepare_setbit(c, args.rounds)),
        ("append-64mb", lambda c: prepare_append(c, args.rounds)),
        (f"expire-hash-{args.hash_fields}", lambda c: prepare_expire(c, args.rounds, args.hash_fields)),
        ("incr", lambda c: prepare_incr(c, args.rounds)),
    ]
    print(f"# {binary}, {args.rounds} commands per case")
    print(f"{'case':<24} {'journal bytes/command':>22}")
    with server.conn(timeout=300) as conn:
        for name, prepare in cases:
            commands = prepare(conn)
            print(f"{name:<24} {measure(conn, commands):>22,.0f}")
    server.stop()


if __name__ == "__main__":
    main()
