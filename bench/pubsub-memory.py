#!/usr/bin/python3
"""Memory per subscribed channel and pattern (pub/sub): tierkv-server vs redis-server.

For each server in turn, fresh (persistence off): one client subscribes to --channels
channels of --name-size bytes (SUBSCRIBE of --chunk names at a time, every confirmation
read), and the INFO memory `used_memory` growth is divided by the channels (checked
against PUBSUB NUMSUB and INFO `pubsub_channels`). A second client then subscribes to
the same channels: the growth per added subscriber. The same again for patterns
(PSUBSCRIBE, checked against PUBSUB NUMPAT, which counts distinct patterns). Target: no more than Redis.

Usage: bench/pubsub-memory.py [--channels N] [--name-size B] [--quick]
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


def subscribe_all(conn, verb, count, name_fmt, chunk, deadline):
    """Subscribes `conn` to every name, reading each confirmation (so no reply is left
    in the server's output buffer when memory is sampled)."""
    for start in range(0, count, chunk):
        if time.monotonic() > deadline:
            sys.exit("error: time limit reached while subscribing")
        names = [name_fmt % i for i in range(start, min(start + chunk, count))]
        conn.sock.sendall(tkbench.encode_command(verb, *names))
        for name in names:
            confirmation = conn.read_reply()
            if confirmation[1] != name:
                sys.exit(f"error: {verb} confirmed {confirmation[1]!r} for {name!r}")


def growth_per_name(server, verb, name_fmt, args, check):
    """used_memory growth per name for a first and a second subscriber."""
    deadline = time.monotonic() + args.time_limit
    admin, first, second = server.conn(), server.conn(), server.conn()
    time.sleep(0.2)  # let start-up allocations settle before the baseline
    base = used_memory(admin)
    subscribe_all(first, verb, args.channels, name_fmt, args.chunk, deadline)
    one = used_memory(admin)
    check(admin, 1)
    subscribe_all(second, verb, args.channels, name_fmt, args.chunk, deadline)
    two = used_memory(admin)
    check(admin, 2)
    for conn in (first, second):
        conn.close()
    return (one - base) / args.channels, (two - one) / args.channels


def measure(name, binary, workdir, args):
    server = tkbench.Server(name, binary, workdir)
    channel_fmt = b"c:%0" + str(args.name_size - 2).encode() + b"d"
    pattern_fmt = b"p:%0" + str(args.name_size - 3).encode() + b"d*"

    def check_channels(admin, subscribers):
        if int(admin.info()["pubsub_channels"]) != args.channels:
            sys.exit(f"error: {name} reports {admin.info()['pubsub_channels']} channels")
        numsub = admin.call("PUBSUB", "NUMSUB", channel_fmt % (args.channels - 1))
        if numsub[1] != subscribers:
            sys.exit(f"error: {name} counts {numsub[1]} subscribers, expected {subscribers}")

    def check_patterns(admin, _subscribers):
        # NUMPAT counts distinct patterns, whatever the number of clients on each.
        if admin.call("PUBSUB", "NUMPAT") != args.channels:
            sys.exit(f"error: {name} counts {admin.call('PUBSUB', 'NUMPAT')} pattern subscriptions")

    try:
        channels = growth_per_name(server, "SUBSCRIBE", channel_fmt, args, check_channels)
        patterns = growth_per_name(server, "PSUBSCRIBE", pattern_fmt, args, check_patterns)
        return channels, patterns
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=20_000, help="channels, and patterns, per client")
    parser.add_argument("--name-size", type=int, default=12, help="bytes per channel name (>= 4)")
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="5,000 channels")
    args = parser.parse_args()
    if args.quick or os.environ.get("QUICK") == "1":
        args.channels = 5_000
    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    workdir = tkbench.bench_tmpdir()
    results = {name: measure(name, bins[name], workdir, args) for name in ("tierkv", "redis")}
    print(f"{args.channels} channels and {args.channels} patterns of {args.name_size} bytes (used_memory growth)")
    print(f"{'server':8} {'B/channel':>10} {'B/extra subscriber':>19} {'B/pattern':>10} {'B/extra psubscriber':>20}")
    for name, ((channel, channel_reader), (pattern, pattern_reader)) in results.items():
        print(f"{name:8} {channel:10.1f} {channel_reader:19.1f} {pattern:10.1f} {pattern_reader:20.1f}")
    ratios = [results["tierkv"][i][j] / results["redis"][i][j] for i in (0, 1) for j in (0, 1)]
    print("tierkv/redis: channel %.2fx, extra subscriber %.2fx, pattern %.2fx, extra psubscriber %.2fx" %
          tuple(ratios))
    return 0 if all(r <= 1.0 for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
