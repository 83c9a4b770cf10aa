#!/usr/bin/python3
"""Hot-key latency while other clients read cold keys, and uniform reads over a dataset
four times the DRAM budget: tierkv (tiering, one read thread and the default) vs
redis-server (allkeys-lru), one after the other in one run.

Each server runs with `maxmemory BUDGET`, loaded with KEYS random SETs of 1 KiB
(redis-benchmark -t set -d 1024 -P 16 -c 50 -r KEYS), plus one hot key. Then:
  hot       redis-benchmark GET hot, 4 clients, HOT requests: p50/p99 with nothing else
  hot+cold  the same while 50 other clients GET uniformly over all keys (most of them
            cold in tierkv's tier, most of them evicted in Redis's cache)
  uniform   the 50 uniform clients alone (READS requests): ops/s, p50, p99, and for
            tierkv the share of GETs that read the tier (cold reads / GETs)
Target (issue "Tiering"): hot p99 with cold traffic <= 1.2x the hot p99 without.
tierkv runs twice: `tier-read-threads 1` (cold reads one at a time, as before the read
threads) and the default.

Usage: bench/tiering-hot-latency.py [--quick] [--budget-mb N]
Env: TIERKV_BIN, REDIS_BIN, KEEP_TMP=1.
"""
import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

VALUE_SIZE = 1024
OVERSUBSCRIBE = 4  # bytes offered / budget
HOT_CLIENTS = 4


def redis_benchmark(port, args):
    return ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "--csv"] + args


def parse_csv(out):
    rows = list(csv.DictReader(io.StringIO(out)))
    if not rows:
        raise SystemExit(f"error: no redis-benchmark result in:\n{out}")
    row = rows[-1]
    return {"rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]), "p99": float(row["p99_latency_ms"])}


def run_benchmark(port, args, time_limit):
    out = subprocess.run(redis_benchmark(port, args), check=True, capture_output=True, text=True,
                         timeout=time_limit).stdout
    return parse_csv(out)


def hot(port, requests, time_limit):
    return run_benchmark(port, ["-c", str(HOT_CLIENTS), "-n", str(requests), "GET", "hot"], time_limit)


def uniform_args(keys, requests):
    return ["-t", "get", "-c", "50", "-r", str(keys), "-n", str(requests)]


def hot_under_cold_traffic(server, keys, hot_requests, time_limit):
    """The hot clients' figures while 50 uniform readers run; the readers run until the
    hot clients are done (they are started first and stopped after)."""
    cold = subprocess.Popen(redis_benchmark(server.port, uniform_args(keys, keys * 100)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)  # the readers connected and reading
        with server.conn() as c:
            before = c.info("stats")
        result = hot(server.port, hot_requests, time_limit)
        with server.conn() as c:
            after = c.info("stats")
        overlapped = cold.poll() is None
    finally:
        cold.terminate()
        cold.wait(timeout=10)
    if not overlapped:
        raise SystemExit("error: the uniform readers ended before the hot clients")
    result["other_ops"] = int(after["total_commands_processed"]) - int(before["total_commands_processed"])
    return result


def run(name, binary, workdir, budget, extra, keys, reads, hot_requests, time_limit):
    server = tkbench.Server(name, binary, workdir, extra_args=["--maxmemory", str(budget)] + extra)
    try:
        subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", "set",
                        "-d", str(VALUE_SIZE), "-P", "16", "-c", "50", "-r", str(keys), "-n", str(keys), "-q"],
                       check=True, capture_output=True, timeout=time_limit)
        with server.conn() as c:
            c.call("SET", "hot", "h" * VALUE_SIZE)
        alone = hot(server.port, hot_requests, time_limit)
        contended = hot_under_cold_traffic(server, keys, hot_requests, time_limit)
        with server.conn() as c:
            before_stats, before_tiering = c.info("stats"), c.info("tiering") if name != "redis" else {}
        uniform = run_benchmark(server.port, uniform_args(keys, reads), time_limit)
        with server.conn() as c:
            after_stats, after_tiering = c.info("stats"), c.info("tiering") if name != "redis" else {}
        gets = sum(int(after_stats[f]) - int(before_stats[f]) for f in ("keyspace_hits", "keyspace_misses"))
        hits = int(after_stats["keyspace_hits"]) - int(before_stats["keyspace_hits"])
        cold_share = None
        if after_tiering:
            cold_reads = int(after_tiering["tier_cold_reads"]) - int(before_tiering["tier_cold_reads"])
            cold_share = cold_reads / max(1, gets)
        return {"alone": alone, "contended": contended, "uniform": uniform, "found": hits / max(1, gets),
                "cold_share": cold_share, "cold_p99_us": after_tiering.get("tier_cold_read_p99_usec")}
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)  # the next server's disk space


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="32 MiB budget instead of 64 MiB")
    ap.add_argument("--budget-mb", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds per benchmark run")
    a = ap.parse_args()
    budget_mb = a.budget_mb or (32 if a.quick else 64)
    budget = budget_mb << 20
    keys = OVERSUBSCRIBE * budget // VALUE_SIZE
    reads = keys // 4
    hot_requests = 10000 if a.quick else 40000

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    workdir = tkbench.bench_tmpdir()
    tiered = ["--tier", "rocksdb", "--appendonly", "yes", "--tiering", "yes"]
    configs = [("tierkv-1thread", bins["tierkv"], tiered + ["--tier-read-threads", "1"]),
               ("tierkv", bins["tierkv"], tiered),
               ("redis", bins["redis"], ["--maxmemory-policy", "allkeys-lru"])]
    print(f"maxmemory {budget_mb} MiB, {keys} random SETs of {VALUE_SIZE} B; hot: GET hot, {HOT_CLIENTS} clients, "
          f"{hot_requests} requests; uniform: {reads} GETs, 50 clients")
    print(f"{'server':<15} {'hot p50':>8} {'hot p99':>8} {'+cold p50':>10} {'+cold p99':>10} {'ratio':>6} "
          f"{'uni ops/s':>10} {'uni p50':>8} {'uni p99':>8} {'found':>6} {'cold':>6} {'tier p99 us':>11}")
    for name, binary, extra in configs:
        r = run(name, binary, workdir, budget, extra, keys, reads, hot_requests, a.time_limit)
        alone, contended, uniform = r["alone"], r["contended"], r["uniform"]
        share = "-" if r["cold_share"] is None else f"{r['cold_share']:.3f}"
        print(f"{name:<15} {alone['p50']:>8.3f} {alone['p99']:>8.3f} {contended['p50']:>10.3f} "
              f"{contended['p99']:>10.3f} {contended['p99'] / max(alone['p99'], 1e-3):>6.2f} "
              f"{uniform['rps']:>10.0f} {uniform['p50']:>8.3f} {uniform['p99']:>8.3f} {r['found']:>6.3f} "
              f"{share:>6} {r['cold_p99_us'] or '-':>11}", flush=True)
    print("latencies in ms; ratio = hot p99 with the uniform readers / hot p99 alone; "
          "cold = cold reads / GETs in the uniform phase")


if __name__ == "__main__":
    main()
