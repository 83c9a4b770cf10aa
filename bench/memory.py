#!/usr/bin/python3
"""Memory per key: tierkv-server vs redis-server.

Starts both servers (persistence off), records the empty-server baseline of
INFO memory `used_memory` and /proc/PID/status VmRSS, loads N keys (default
1,000,000; 16-byte keys "key:%012d", 100-byte values) through the protocol
with pipelined SETs, checks DBSIZE, and reports (after - baseline) / N for
both metrics on both servers and the tierkv/redis ratio.

Values are unique and not compressible (12-digit index + 88 bytes drawn from
a seeded pool of random bytes) so neither server can profit from
deduplication or compression that real data would not allow.

Usage: bench/memory.py [--quick] [--keys N] [--value-size B]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, KEEP_TMP=1.
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

KEY_FMT = "key:%012d"      # 16 bytes
TARGET_RATIO = 0.80        # docs/BENCHMARKS.md: tierkv <= 0.8x Redis


def settle(server, seconds=1.0):
    """Give the allocator a moment (jemalloc background purge, lazy frees)."""
    time.sleep(seconds)
    with server.conn() as c:
        c.call("PING")


def snapshot(server):
    with server.conn() as c:
        info = c.info("memory")
        dbsize = c.call("DBSIZE")
    used = info.get("used_memory")
    return {"used": int(used) if used is not None else None,
            "rss": server.rss_bytes(), "dbsize": dbsize}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                    help="smoke test with 50,000 keys")
    ap.add_argument("--keys", type=int, default=None, help="keys to load (default 1000000)")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--batch", type=int, default=1000, help="SETs per pipelined round trip")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds allowed per server load (default 600)")
    a = ap.parse_args()
    n = a.keys or (50_000 if a.quick else 1_000_000)
    if n <= 0 or a.value_size <= 0:
        ap.error("--keys and --value-size must be positive")

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    work = tkbench.bench_tmpdir()
    value_fn = tkbench.unique_value_fn(a.value_size)

    results = {}
    for name in ("tierkv", "redis"):
        srv = tkbench.Server(name, bins[name], work)
        print(f"[{name}] {bins[name]} pid {srv.pid} port {srv.port}", file=sys.stderr)
        settle(srv)
        base = snapshot(srv)
        t0 = time.monotonic()
        loaded = tkbench.bulk_load(srv.port, n, KEY_FMT, value_fn, batch=a.batch,
                                   deadline=t0 + a.time_limit)
        dt = time.monotonic() - t0
        if loaded != n:
            raise SystemExit(f"error: {name}: only {loaded} of {n} keys loaded "
                             f"within {a.time_limit:.0f} s")
        settle(srv)
        after = snapshot(srv)
        srv.assert_alive()
        if after["dbsize"] != n:
            raise SystemExit(f"error: {name}: DBSIZE is {after['dbsize']}, expected {n}")
        print(f"[{name}] loaded {n:,} keys in {dt:.1f} s ({n / dt:,.0f} SET/s)", file=sys.stderr)
        results[name] = (base, after)
        srv.stop()   # one server at a time: keeps the machine quiet for the other

    def per_key(name, k):
        base, after = results[name]
        if base[k] is None or after[k] is None:
            return None
        return (after[k] - base[k]) / n

    print()
    print(f"{n:,} keys, {len(KEY_FMT % 0)}-byte keys, {a.value_size}-byte values; "
          f"per key = (loaded - empty baseline) / keys")
    hdr = (f"{'server':<8}{'used_memory base':>18}{'loaded':>12}{'B/key':>9}"
           f"{'VmRSS base':>14}{'loaded':>12}{'B/key':>9}")
    print(hdr)
    print("-" * len(hdr))
    for name in ("tierkv", "redis"):
        base, after = results[name]
        um = per_key(name, "used")
        fmt_u = lambda v: tkbench.fmt_bytes(v) if v is not None else "n/a"
        print(f"{name:<8}{fmt_u(base['used']):>18}{fmt_u(after['used']):>12}"
              f"{(f'{um:.1f}' if um is not None else 'n/a'):>9}"
              f"{tkbench.fmt_bytes(base['rss']):>14}{tkbench.fmt_bytes(after['rss']):>12}"
              f"{per_key(name, 'rss'):>9.1f}")
    for k, label in (("used", "used_memory"), ("rss", "VmRSS")):
        t, r = per_key("tierkv", k), per_key("redis", k)
        if t is None or r is None or r <= 0:
            print(f"ratio tierkv/redis {label:<12} n/a")
            continue
        ratio = t / r
        verdict = "meets" if ratio <= TARGET_RATIO else "misses"
        print(f"ratio tierkv/redis {label:<12} {ratio:.2f}  ({verdict} target <= {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
