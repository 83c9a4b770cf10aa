#!/usr/bin/python3
"""Keys kept under maxmemory with eviction: tierkv-server vs redis-server.

A cache with a memory limit should keep as many keys as Redis keeps in the same
budget. Each server runs with `maxmemory BUDGET` and `maxmemory-policy
allkeys-lru`; 1 KiB values are written until about four times the budget has
been offered, in two loads:
  random      redis-benchmark -t set -d 1024 -P 16 -c 10 -r KEYS -n KEYS
  sequential  distinct keys "key:%012d" over one pipelined connection
Reported per server and load: keys kept (DBSIZE), used_memory and RSS after the
load, and used_memory and RSS one second after FLUSHALL. tierkv runs twice: in
its default configuration (journal on, appendfsync everysec, Redis's default
save rules), with neither journal nor save rules, and as a pure cache (`tier
none`, nothing tracked for durability); Redis runs without persistence.

Targets (docs/BENCHMARKS.md section 7): tierkv keeps at least as many keys as
Redis; its RSS stays within 1.1x maxmemory plus the documented base.

Usage: bench/eviction-keys.py [--quick] [--budget-mb N]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, KEEP_TMP=1.
"""
import argparse
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

VALUE_SIZE = 1024
OVERSUBSCRIBE = 4  # bytes offered / budget


def memory(server):
    with server.conn() as c:
        info = c.info("memory")
        return {"dbsize": c.call("DBSIZE"), "used": int(info["used_memory"]),
                "rss": server.rss_bytes()}


def flush_and_settle(server):
    with server.conn() as c:
        c.call("FLUSHALL")
    time.sleep(1.0)  # the allocator's background purge returns pages
    return memory(server)


def load_random(server, keys, time_limit):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", "set",
           "-d", str(VALUE_SIZE), "-P", "16", "-c", "10", "-r", str(keys), "-n", str(keys), "-q"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=time_limit)


def load_sequential(server, keys, time_limit):
    deadline = time.monotonic() + time_limit
    tkbench.bulk_load(server.port, keys, "key:%012d", tkbench.unique_value_fn(VALUE_SIZE),
                      batch=200, deadline=deadline)


LOADS = {"random": load_random, "sequential": load_sequential}


def run(name, binary, workdir, budget, extra, load, keys, time_limit):
    args = ["--maxmemory", str(budget), "--maxmemory-policy", "allkeys-lru"] + extra
    server = tkbench.Server(name, binary, workdir, extra_args=args)
    try:
        LOADS[load](server, keys, time_limit)
        after = memory(server)
        flushed = flush_and_settle(server)
    finally:
        server.stop()
    return after, flushed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="64 MiB budget instead of 256 MiB")
    ap.add_argument("--budget-mb", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds per load")
    a = ap.parse_args()
    budget_mb = a.budget_mb or (64 if a.quick else 256)
    budget = budget_mb << 20
    keys = OVERSUBSCRIBE * budget // VALUE_SIZE

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    tierkv, redis = bins["tierkv"], bins["redis"]
    workdir = tkbench.bench_tmpdir()
    # tkbench starts every server with `--save "" --appendonly no`: put back tierkv's
    # defaults for the first row.
    configs = [("tierkv", tierkv, ["--appendonly", "yes", "--save", "3600 1 300 100 60 10000"]),
               ("tierkv-nojournal", tierkv, []),
               ("tierkv-tiernone", tierkv, ["--tier", "none"]),
               ("redis", redis, [])]
    print(f"maxmemory {budget_mb} MiB, allkeys-lru, {keys} writes of {VALUE_SIZE} B per load")
    print(f"{'load':<11} {'server':<17} {'keys kept':>10} {'used MiB':>9} {'RSS MiB':>8} "
          f"{'RSS/budget':>10} {'flushed used MiB':>17} {'flushed RSS MiB':>16}")
    kept = {}
    for load in LOADS:
        for name, binary, extra in configs:
            after, flushed = run(name, binary, workdir, budget, extra, load, keys, a.time_limit)
            kept[(load, name)] = after["dbsize"]
            print(f"{load:<11} {name:<17} {after['dbsize']:>10} {after['used'] / 2**20:>9.1f} "
                  f"{after['rss'] / 2**20:>8.1f} {after['rss'] / budget:>10.2f} "
                  f"{flushed['used'] / 2**20:>17.1f} {flushed['rss'] / 2**20:>16.1f}", flush=True)
    for load in LOADS:
        for name in ("tierkv", "tierkv-nojournal", "tierkv-tiernone"):
            print(f"{load}: {name}/redis keys kept = {kept[(load, name)] / max(1, kept[(load, 'redis')]):.3f}")


if __name__ == "__main__":
    main()
