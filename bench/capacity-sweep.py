#!/usr/bin/python3
"""The capacity sweep of docs/OPERATIONS.md ("Sizing"): tierkv with tiering against
redis-server evicting (allkeys-lru), both with `maxmemory BUDGET`, swept by
`tierkv-bench sweep` to 0.5x, 1x, 2x and 4x the budget with 1 KiB values, measuring a
read-heavy zipfian mix (1 SET : 10 GET, zipf 0.99, 50 connections) for DURATION
seconds at each step.

Writes the sweep's JSON and HTML report and its charts as SVG files into OUT_DIR
(default: a temporary directory; docs/capacity-sweep/ holds the committed run).

Usage: bench/capacity-sweep.py [--budget-mb 64] [--duration 10] [--steps 0.5,1,2,4] [--out DIR]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_BENCH_BIN.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

BENCH_BIN = os.environ.get("TIERKV_BENCH_BIN") or os.path.join(tkbench.REPO_ROOT, "build", "bin", "tierkv-bench")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-mb", type=int, default=64)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--steps", default="0.5,1,2,4")
    ap.add_argument("--p99-ms", type=float, default=10)
    ap.add_argument("--min-ops", type=float, default=10000)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="capacity-sweep-")
    os.makedirs(out, exist_ok=True)
    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    workdir = tkbench.bench_tmpdir()
    budget = str(a.budget_mb << 20)
    tierkv = tkbench.Server("tierkv", bins["tierkv"], workdir,
                            extra_args=["--maxmemory", budget, "--tier", "rocksdb", "--appendonly", "yes",
                                        "--tiering", "yes"])
    redis = tkbench.Server("redis", bins["redis"], workdir,
                           extra_args=["--maxmemory", budget, "--maxmemory-policy", "allkeys-lru"])
    try:
        cmd = [BENCH_BIN, "sweep",
               "-t", f"tierkv=127.0.0.1:{tierkv.port},pid={tierkv.pid}",
               "-t", f"redis=127.0.0.1:{redis.port},pid={redis.pid}",
               "--steps", a.steps, "--duration", str(a.duration), "-d", "1024", "-k", "zipf:0.99",
               "--ratio", "1:10", "-c", "50", "--p99-ms", str(a.p99_ms), "--min-ops", str(a.min_ops),
               "--progress", "lines", "--max-seconds", "1800",
               "--json", os.path.join(out, "sweep.json"), "--html", os.path.join(out, "sweep.html"),
               "--svg-dir", out]
        print(" ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, timeout=7200)
        print(f"reports in {out}")
    finally:
        tierkv.stop()
        redis.stop()


if __name__ == "__main__":
    main()
