#!/usr/bin/python3
"""What whole-db operations and expiry changes cost in the journal and in the tier.

  swapdb     SWAPDB 0 1 with K keys in each db (default 1,000,000): the journal bytes of
             the command (INFO persistence journal_bytes' growth), then the bytes and
             milliseconds of the checkpoint round (SAVE) that carries it to the tier
             (last_checkpoint_bytes: key + value bytes written; last_checkpoint_ms)
  flushdb    FLUSHDB of db 1 (K keys): the same two figures
  expire     EXPIRE on one string of V bytes (default 64 MiB) after a round wrote it:
             the bytes the next round writes to the tier (only the key, when the round
             writes metadata alone) and tier_bytes' growth on disk

tierkv runs with the journal on (appendfsync everysec), --save "" (rounds run on SAVE
only) and --journal-max-size 0. Keys are loaded with DEBUG POPULATE (journaled as SET NX
each) and checkpointed by a SAVE before anything is measured.

Targets (docs/BENCHMARKS.md 4.8): SWAPDB of two 1M-key dbs journals under 1 KB; an EXPIRE
on a large value makes the next round write no value bytes.

Usage: bench/db-ops-cost.py [--keys K] [--value-bytes V]
Env: TIERKV_BIN (default build/bin/tierkv-server), TIERKV_ARGS, KEEP_TMP=1.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402


def persistence(conn):
    return conn.info("persistence")


def journal_bytes_of(conn, *command):
    before = int(persistence(conn)["journal_bytes"])
    conn.call(*command)
    return int(persistence(conn)["journal_bytes"]) - before


def round_cost(conn):
    """SAVE, then (bytes written, ms) of that round."""
    conn.call("SAVE")
    info = persistence(conn)
    return int(info["last_checkpoint_bytes"]), int(info["last_checkpoint_ms"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--value-bytes", type=int, default=64 << 20)
    args = parser.parse_args()
    tkbench.install_cleanup()
    binary = tkbench.tierkv_bin()
    work = tkbench.bench_tmpdir()
    server = tkbench.Server("tierkv", binary, work, extra_args=[
        "--appendonly", "yes", "--appendfsync", "everysec", "--journal-max-size", "0",
        "--enable-debug-command", "yes"])
    print(f"# {binary}, {args.keys:,} keys per db, a {args.value_bytes:,}-byte value")
    print(f"{'case':<10} {'journal bytes':>14} {'round bytes':>14} {'round ms':>9} {'tier_bytes growth':>18}")
    with server.conn(timeout=600) as conn:
        for db in (0, 1):
            conn.call("SELECT", db)
            conn.call("DEBUG", "POPULATE", args.keys, f"db{db}:key", 16)
        conn.call("SELECT", 0)
        round_cost(conn)

        journal = journal_bytes_of(conn, "SWAPDB", 0, 1)
        written, ms = round_cost(conn)
        print(f"{'swapdb':<10} {journal:>14,} {written:>14,} {ms:>9,} {'':>18}")

        conn.call("SELECT", 1)
        journal = journal_bytes_of(conn, "FLUSHDB")
        written, ms = round_cost(conn)
        print(f"{'flushdb':<10} {journal:>14,} {written:>14,} {ms:>9,} {'':>18}")

        conn.call("SELECT", 2)
        conn.call("SETRANGE", "big", args.value_bytes - 1, "x")
        round_cost(conn)
        tier_before = int(persistence(conn)["tier_bytes"])
        journal = journal_bytes_of(conn, "EXPIRE", "big", 100_000)
        written, ms = round_cost(conn)
        growth = int(persistence(conn)["tier_bytes"]) - tier_before
        print(f"{'expire':<10} {journal:>14,} {written:>14,} {ms:>9,} {growth:>18,}")
    server.stop()


if __name__ == "__main__":
    main()
