#!/usr/bin/python3
"""tierkv-bench against redis-benchmark as load generators, on the same redis-server.

Both with one client thread, the same connections, pipeline, value size and key range;
GET and SET, unpipelined and at -P 16. Per case, the median of ROUNDS alternating runs:
the ops/s each drove, and each client's CPU time per request (user + system, from the
child's rusage). The generator's ceiling is requests per client CPU-second: on a 2-core
machine the server bounds the ops/s both drive, so the CPU figure tells how much further
one client thread could go (the issue's target: >= 1.5x redis-benchmark).

The server is pinned to SERVER_CPUS and the clients to CLIENT_CPUS when pinning is
possible (bench/lib/tkbench.py).

Usage: bench/generator-efficiency.py [--quick] [--rounds N]
Env: REDIS_BIN, TIERKV_BENCH_BIN (default build/bin/tierkv-bench), PIN=0.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

BENCH_BIN = os.environ.get("TIERKV_BENCH_BIN") or os.path.join(tkbench.REPO_ROOT, "build", "bin", "tierkv-bench")


def timed(cmd, timeout):
    """Runs cmd; returns (stdout, CPU seconds the child used)."""
    before = os.times()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout).stdout
    after = os.times()
    return out, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def redis_benchmark(port, test, clients, pipeline, requests):
    out, cpu = timed(["redis-benchmark", "-p", str(port), "-t", test, "-c", str(clients), "-P", str(pipeline),
                      "-d", "64", "-r", "100000", "-n", str(requests), "-q"], 600)
    rate = float(re.findall(r"([\d.]+) requests per second", out.replace("\r", "\n"))[-1])
    return rate, cpu / requests


def tierkv_bench(port, test, clients, pipeline, requests, workdir):
    path = os.path.join(workdir, "run.json")
    ratio = "1:0" if test == "set" else "0:1"
    _, cpu = timed([BENCH_BIN, "-t", str(port), "--ratio", ratio, "-c", str(clients), "-P", str(pipeline), "-d", "64",
                    "-r", "100000", "-n", str(requests), "--threads", "1", "--progress", "none", "--json", path], 600)
    with open(path) as f:
        result = json.load(f)["result"]
    return result["ops_per_sec"], cpu / requests


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer requests per run")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if not os.access(BENCH_BIN, os.X_OK):
        sys.exit(f"error: {BENCH_BIN} not executable (build first, or set TIERKV_BENCH_BIN)")
    tkbench.install_cleanup()
    server_cpus = tkbench.pin_client()
    workdir = tempfile.mkdtemp(prefix="generator-efficiency-")
    server = tkbench.Server("redis", tkbench.redis_bin(), tkbench.bench_tmpdir(), cpus=server_cpus)
    print(f"redis-server on {server.port}; {a.rounds} rounds, median; one client thread each; 64-byte values")
    print(f"{'case':<16} {'redis-benchmark ops/s':>22} {'tierkv-bench ops/s':>19} {'ops ratio':>9} "
          f"{'rb CPU us/req':>13} {'tk CPU us/req':>13} {'req per CPU-s ratio':>19}")
    try:
        for clients, pipeline, base in ((50, 1, 200_000), (50, 16, 1_000_000)):
            requests = base // 4 if a.quick else base
            for test in ("get", "set"):
                rb, tk = [], []
                for _ in range(a.rounds):
                    rb.append(redis_benchmark(server.port, test, clients, pipeline, requests))
                    tk.append(tierkv_bench(server.port, test, clients, pipeline, requests, workdir))
                rb_ops = statistics.median(r[0] for r in rb)
                tk_ops = statistics.median(r[0] for r in tk)
                rb_cpu = statistics.median(r[1] for r in rb) * 1e6
                tk_cpu = statistics.median(r[1] for r in tk) * 1e6
                case = f"{test.upper()} -c {clients} -P {pipeline}"
                print(f"{case:<16} {rb_ops:>22,.0f} {tk_ops:>19,.0f} {tk_ops / rb_ops:>9.2f} {rb_cpu:>13.2f} "
                      f"{tk_cpu:>13.2f} {rb_cpu / tk_cpu:>19.2f}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
