#!/usr/bin/python3
"""Memory per tracked key (CLIENT TRACKING): tierkv-server vs redis-server.

For each server in turn, fresh (persistence off): one client turns tracking on
(default mode, RESP2: keys are remembered, nothing is sent), records INFO memory
`used_memory`, reads --keys missing keys of --key-size bytes with MGET (--chunk
keys each; a missing key is tracked like a present one, so the dataset stays
empty), checks INFO `tracking_total_keys`, and reports the used_memory growth per
tracked key. A second client then reads the same keys, and the growth per added
reader (tracking_total_items) is reported too. Target: no more than Redis.

Usage: bench/tracking-memory.py [--keys N] [--key-size B] [--quick]
Env: TIERKV_BIN, REDIS_BIN, KEEP_TMP=1.
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402


def used_memory(conn):
    return int(conn.info("memory")["used_memory"])


def read_all(conn, keys, key_fmt, chunk, deadline):
    for start in range(0, keys, chunk):
        if time.monotonic() > deadline:
            sys.exit("error: time limit reached while reading keys")
        names = [key_fmt % i for i in range(start, min(start + chunk, keys))]
        reply = conn.call("MGET", *names)
        if len(reply) != len(names):
            sys.exit(f"error: MGET answered {len(reply)} values for {len(names)} keys")


def measure(name, binary, workdir, args):
    server = tkbench.Server(name, binary, workdir)
    try:
        key_fmt = b"k:%0" + str(args.key_size - 2).encode() + b"d"
        deadline = time.monotonic() + args.time_limit
        first, second, admin = server.conn(), server.conn(), server.conn()
        for conn in (first, second):
            if conn.call("CLIENT", "TRACKING", "ON") != "OK":
                sys.exit(f"error: {name} refused CLIENT TRACKING ON")
        time.sleep(0.2)  # let start-up allocations settle before the baseline
        base = used_memory(admin)
        read_all(first, args.keys, key_fmt, args.chunk, deadline)
        one = used_memory(admin)
        info = admin.info()
        if int(info["tracking_total_keys"]) != args.keys:
            sys.exit(f"error: {name} tracks {info['tracking_total_keys']} keys, expected {args.keys}")
        read_all(second, args.keys, key_fmt, args.chunk, deadline)
        two = used_memory(admin)
        info = admin.info()
        if int(info["tracking_total_items"]) != 2 * args.keys:
            sys.exit(f"error: {name} tracks {info['tracking_total_items']} items, expected {2 * args.keys}")
        return (one - base) / args.keys, (two - one) / args.keys
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--key-size", type=int, default=12, help="bytes per key name (>= 3)")
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="100,000 keys")
    args = parser.parse_args()
    if args.quick or os.environ.get("QUICK") == "1":
        args.keys = 100_000
    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    workdir = tkbench.bench_tmpdir()
    results = {name: measure(name, bins[name], workdir, args) for name in ("tierkv", "redis")}
    print(f"{args.keys} tracked keys of {args.key_size} bytes (used_memory growth)")
    print(f"{'server':8} {'bytes/key':>10} {'bytes/extra reader':>19}")
    for name, (per_key, per_reader) in results.items():
        print(f"{name:8} {per_key:10.1f} {per_reader:19.1f}")
    ratio = results["tierkv"][0] / results["redis"][0]
    print(f"tierkv/redis per key: {ratio:.2f}x")
    return 0 if ratio <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
