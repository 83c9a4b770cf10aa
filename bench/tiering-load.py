#!/usr/bin/python3
"""A dataset four times the DRAM budget: tierkv with tiering vs redis-server evicting.

Each server runs with `maxmemory BUDGET`; Redis with `maxmemory-policy allkeys-lru`
(a cache: past the budget it evicts), tierkv with `tiering yes` and its tier (past the
budget values move to the tier; keys stay). Then:
  load     redis-benchmark -t set -d 1024 -P 16 -c 50 -r KEYS -n KEYS (random keys)
  uniform  redis-benchmark -t get -c 50 -r KEYS -n READS (uniform over all keys)
Reported per server: load and read throughput (and their tierkv/redis ratios), keys
kept, the share of reads that found their key, RSS after the load, and for tierkv the
values left in DRAM and the cold reads' average latency.

Targets (issue "Tiering", docs/BENCHMARKS.md section 9): every key readable; load
>= 0.8x Redis; RSS <= 1.1x maxmemory plus the documented base.

Usage: bench/tiering-load.py [--quick] [--budget-mb N]
Env: TIERKV_BIN, REDIS_BIN, KEEP_TMP=1.
"""
import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

VALUE_SIZE = 1024
OVERSUBSCRIBE = 4  # bytes offered / budget


def benchmark(server, test, keys, requests, pipeline, time_limit):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", test,
           "-d", str(VALUE_SIZE), "-P", str(pipeline), "-c", "50", "-r", str(keys),
           "-n", str(requests), "-q"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=time_limit).stdout
    rates = re.findall(r"([\d.]+) requests per second", out.replace("\r", "\n"))
    return float(rates[-1]) if rates else 0.0


def run(name, binary, workdir, budget, extra, keys, reads, time_limit):
    server = tkbench.Server(name, binary, workdir, extra_args=["--maxmemory", str(budget)] + extra)
    try:
        load = benchmark(server, "set", keys, keys, 16, time_limit)
        rss = server.rss_bytes()
        with server.conn() as c:
            kept = c.call("DBSIZE")
            before = c.info("stats")
        uniform = benchmark(server, "get", keys, reads, 1, time_limit)
        with server.conn() as c:
            after = c.info("stats")
            tiering = c.info("tiering") if name == "tierkv" else {}
        hits = int(after["keyspace_hits"]) - int(before["keyspace_hits"])
        misses = int(after["keyspace_misses"]) - int(before["keyspace_misses"])
        return {"load": load, "uniform": uniform, "kept": kept, "rss": rss,
                "found": hits / max(1, hits + misses), "tiering": tiering}
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="64 MiB budget instead of 256 MiB")
    ap.add_argument("--budget-mb", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per benchmark run")
    a = ap.parse_args()
    budget_mb = a.budget_mb or (64 if a.quick else 256)
    budget = budget_mb << 20
    keys = OVERSUBSCRIBE * budget // VALUE_SIZE
    reads = keys // 4

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    workdir = tkbench.bench_tmpdir()
    configs = [("tierkv", bins["tierkv"], ["--tier", "rocksdb", "--appendonly", "yes", "--tiering", "yes"]),
               ("redis", bins["redis"], ["--maxmemory-policy", "allkeys-lru"])]
    print(f"maxmemory {budget_mb} MiB, {keys} random SETs of {VALUE_SIZE} B (-P 16, 50 clients), "
          f"then {reads} uniform GETs (50 clients)")
    print(f"{'server':<8} {'load ops/s':>11} {'keys kept':>10} {'RSS MiB':>8} {'GET ops/s':>10} "
          f"{'GETs found':>10} {'resident':>9} {'cold read avg us':>16}")
    results = {}
    for name, binary, extra in configs:
        r = run(name, binary, workdir, budget, extra, keys, reads, a.time_limit)
        results[name] = r
        t = r["tiering"]
        resident = t.get("tier_keys_resident", "-")
        latency = t.get("tier_cold_read_avg_usec", "-")
        print(f"{name:<8} {r['load']:>11.0f} {r['kept']:>10} {r['rss'] / 2**20:>8.1f} {r['uniform']:>10.0f} "
              f"{r['found']:>10.3f} {resident:>9} {latency:>16}", flush=True)
    t, r = results["tierkv"], results["redis"]
    print(f"tierkv/redis: load {t['load'] / max(1, r['load']):.2f}x, uniform GET {t['uniform'] / max(1, r['uniform']):.2f}x, "
          f"keys kept {t['kept'] / max(1, r['kept']):.2f}x")


if __name__ == "__main__":
    main()
