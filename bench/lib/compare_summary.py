#!/usr/bin/python3
"""Summarize bench/compare-redis.sh raw results.

Input: runs.tsv (server, round, test, pipeline, requests, cpu_ticks, wall_s,
csv) plus the redis-benchmark --csv files it names, in the same directory.
redis-benchmark 7.x --csv prints a header line and one row per test:
  "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
  "p95_latency_ms","p99_latency_ms","max_latency_ms"
Some tests run a setup step first, with its own row before the test's (e.g.
"LPUSH (needed to benchmark LRANGE)" for lrange_100): the last row is the
test's; the server CPU of such a run includes the setup step's.
Optionally --unsupported: a TSV (test, reason) of tests that were not run.
With --per-round, also one line per round and test: both servers' ops/s and p99, the
round's ratios, and, when runs.tsv counts fsyncs (lib/fsync_delay.c preloaded), each
server's fsyncs per request batch (writes per fsync), mean fsync time and the share of
the run spent in fsync.
Output: one table row per (test, pipeline) with the median over rounds of
ops/s, p50, p99 and server CPU microseconds per request, for both servers,
and the tierkv/redis ratios checked against the targets in docs/BENCHMARKS.md.
"""
import argparse
import csv
import os
import statistics
import sys

SERVERS = ("tierkv", "redis")
# Default targets (docs/BENCHMARKS.md): throughput ratio >= 1.1, CPU/request <= 0.9x,
# p99 no worse than Redis. Other benchmarks (durability-always.sh) pass their own.
TARGET_TPUT = 1.10
TARGET_CPU = 0.90
TARGET_P99 = 1.00
CLIENT_BOUND = 90  # % of one CPU used by redis-benchmark (single-threaded)


def read_bench_csv(path):
    # Skip anything before the header (e.g. "WARNING: Could not fetch server
    # CONFIG", printed when the server rejects CONFIG GET).
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    start = next((i for i, r in enumerate(rows) if r[:2] == ["test", "rps"]), None)
    if start is None or start + 1 >= len(rows):
        raise SystemExit(f"unexpected redis-benchmark output in {path}: {rows[:3]}")
    hdr, row = rows[start], rows[-1]
    rec = dict(zip(hdr, row))
    return {
        "name": rec["test"],
        "setup_rows": len(rows) - start - 2,
        "rps": float(rec["rps"]),
        "p50": float(rec["p50_latency_ms"]),
        "p99": float(rec["p99_latency_ms"]),
    }


def ratio(a, b):
    return a / b if b else float("nan")


def fmt_ratio(x, ok):
    return f"{x:5.2f}{' ' if ok else '!'}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    ap.add_argument("--clk-tck", type=int, required=True)
    ap.add_argument("--clients", default="?")
    ap.add_argument("--tierkv-bin", default="")
    ap.add_argument("--redis-bin", default="")
    ap.add_argument("--markdown", help="also write a markdown table here")
    ap.add_argument("--note", action="append", default=[], help="extra line for the header")
    ap.add_argument("--label", default="tierkv", help="first column of the markdown rows")
    ap.add_argument("--target-tput", type=float, default=TARGET_TPUT)
    ap.add_argument("--target-cpu", type=float, default=TARGET_CPU)
    ap.add_argument("--target-p99", type=float, default=TARGET_P99)
    ap.add_argument("--unsupported", help="TSV of tests not run: test, reason")
    ap.add_argument("--per-round", action="store_true",
                    help="also show every round's figures and ratios (and fsync counts)")
    a = ap.parse_args()
    unsupported = []
    if a.unsupported and os.path.exists(a.unsupported):
        with open(a.unsupported) as f:
            unsupported = [ln.rstrip("\n").split("\t", 1) for ln in f if ln.strip()]

    base = os.path.dirname(os.path.abspath(a.runs))
    data = {}  # (test, pipeline) -> server -> list of per-round dicts
    order = []
    with open(a.runs, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            key = (r["test"], int(r["pipeline"]))
            if key not in data:
                data[key] = {s: [] for s in SERVERS}
                order.append(key)
            b = read_bench_csv(os.path.join(base, r["csv"]))
            n = int(r["requests"])
            b["cpu_us"] = int(r["cpu_ticks"]) / a.clk_tck * 1e6 / n
            b["n"] = n
            # Load from everything else on the machine during the run, in %
            # of one CPU (older runs.tsv files lack the columns).
            wall_ticks = float(r["wall_s"]) * a.clk_tck
            other = int(r.get("other_ticks") or 0) + int(r.get("steal_ticks") or 0)
            b["other_pct"] = other / wall_ticks * 100 if wall_ticks else 0.0
            b["busy"] = int(r["cpu_ticks"]) / wall_ticks * 100 if wall_ticks else 0.0
            b["client_pct"] = (int(r.get("client_ticks") or 0) / wall_ticks * 100
                               if wall_ticks else 0.0)
            b["round"] = int(r["round"])
            b["fsyncs"] = int(r.get("fsyncs") or 0)
            b["fsync_ns"] = int(r.get("fsync_ns") or 0)
            b["wall_s"] = float(r["wall_s"])
            data[key][r["server"]].append(b)

    med = lambda runs, k: statistics.median(x[k] for x in runs)
    rows = []
    for key in order:
        t, p = key
        d = data[key]
        if not d["tierkv"] or not d["redis"]:
            continue
        m = {s: {k: med(d[s], k) for k in ("rps", "p50", "p99", "cpu_us", "busy")}
             for s in SERVERS}
        for s in SERVERS:  # round-to-round spread of throughput, % of median
            rps = [x["rps"] for x in d[s]]
            m[s]["spread"] = (max(rps) - min(rps)) / m[s]["rps"] * 100 if m[s]["rps"] else 0.0
        # '*': the run included a setup step, counted in its CPU figure.
        setup = any(x["setup_rows"] for sv in SERVERS for x in d[sv])
        rows.append({
            "other": max(x["other_pct"] for sv in SERVERS for x in d[sv]),
            "client": max(x["client_pct"] for sv in SERVERS for x in d[sv]),
            "test": d["redis"][0]["name"] + ("*" if setup else ""), "P": p, "rounds": len(d["redis"]),
            "n": d["redis"][0]["n"], "m": m,
            "tput": ratio(m["tierkv"]["rps"], m["redis"]["rps"]),
            "cpu": ratio(m["tierkv"]["cpu_us"], m["redis"]["cpu_us"]),
            "p99": ratio(m["tierkv"]["p99"], m["redis"]["p99"]),
        })

    print()
    print(f"tierkv: {a.tierkv_bin}")
    print(f"redis:  {a.redis_bin}")
    for note in a.note:
        print(note)
    print(f"medians over rounds; -c {a.clients}; CPU = server utime+stime per request "
          f"(CLK_TCK={a.clk_tck}); ratios are tierkv/redis, '!' = misses target "
          f"(tput >= {a.target_tput:g}, cpu <= {a.target_cpu:g}, p99 <= {a.target_p99:g})")
    w = max([15] + [len(r["test"]) + 1 for r in rows])
    hdr = (f"{'test':<{w}}{'P':>3}{'n':>9} | {'tierkv ops/s':>12}{'spr%':>5}{'p50':>8}{'p99':>8}"
           f"{'cpu us':>8}{'busy%':>6} | {'redis ops/s':>12}{'spr%':>5}{'p50':>8}{'p99':>8}"
           f"{'cpu us':>8}{'busy%':>6} | {'tput':>6}{'cpu':>6}{'p99':>6}{'cli%':>5}{'other%':>7}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        tk, rd = r["m"]["tierkv"], r["m"]["redis"]
        print(f"{r['test']:<{w}}{r['P']:>3}{r['n']:>9} | {tk['rps']:>12,.0f}{tk['spread']:>5.0f}"
              f"{tk['p50']:>8.3f}{tk['p99']:>8.3f}{tk['cpu_us']:>8.2f}{tk['busy']:>6.0f} | "
              f"{rd['rps']:>12,.0f}{rd['spread']:>5.0f}{rd['p50']:>8.3f}"
              f"{rd['p99']:>8.3f}{rd['cpu_us']:>8.2f}{rd['busy']:>6.0f} | "
              f"{fmt_ratio(r['tput'], r['tput'] >= a.target_tput)}"
              f"{fmt_ratio(r['cpu'], r['cpu'] <= a.target_cpu)}"
              f"{fmt_ratio(r['p99'], r['p99'] <= a.target_p99)}{r['client']:>4.0f}"
              f"{'C' if r['client'] >= CLIENT_BOUND else ' '}{r['other']:>6.0f}")
    print("latencies in ms, as reported by redis-benchmark; spr% = (max - min) / median of "
          "ops/s over rounds;\nbusy% = server CPU use during its runs (% of one CPU); "
          "cli% = redis-benchmark's CPU use, worst run;\n"
          f"  C = client-bound (cli% >= {CLIENT_BOUND}): the load generator, not the server, "
          "limits ops/s, so the\n  throughput ratio says little; compare CPU/request;\n"
          "other% = worst run's CPU use by anything but the two servers and redis-benchmark, "
          "incl. steal,\n  in % of one CPU: above ~10% the row is suspect")
    if any(r["test"].endswith("*") for r in rows):
        print("* redis-benchmark ran a setup step first (e.g. LPUSH for LRANGE): ops/s and "
              "latency are the test's own,\n  cpu us is the whole run's server CPU (setup "
              "included) per request of the test")
    for test, why in unsupported:
        print(f"unsupported, not run: {test} ({why})")

    round_lines = per_round_lines(data, order) if a.per_round else []
    if round_lines:
        print()
        print("per round (order alternates: odd rounds tierkv first); w/f = writes per fsync, "
              "fsync = mean ms per call,\ndisk% = share of the run spent in fsync")
        for line in round_lines:
            print(line["text"])

    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| run | test | -P | tierkv ops/s | tierkv p50/p99 ms | tierkv CPU µs/req "
                    "| redis ops/s | redis p50/p99 ms | redis CPU µs/req "
                    "| tput ratio | CPU ratio | p99 ratio | client CPU % | other load % |\n")
            f.write("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
            for r in rows:
                tk, rd = r["m"]["tierkv"], r["m"]["redis"]
                f.write(f"| {a.label} | {r['test']} | {r['P']} | {tk['rps']:,.0f} | "
                        f"{tk['p50']:.3f} / {tk['p99']:.3f} | {tk['cpu_us']:.2f} | "
                        f"{rd['rps']:,.0f} | {rd['p50']:.3f} / {rd['p99']:.3f} | "
                        f"{rd['cpu_us']:.2f} | {r['tput']:.2f} | {r['cpu']:.2f} | "
                        f"{r['p99']:.2f} | {r['client']:.0f} | {r['other']:.0f} |\n")
            for test, why in unsupported:
                f.write(f"| {a.label} | {test} | | unsupported: {why} "
                        f"| | | | | | | | | | |\n")
            if round_lines:
                f.write("\n| run | test | round | tierkv ops/s | tierkv p99 ms | tierkv w/fsync "
                        "| redis ops/s | redis p99 ms | redis w/fsync | tput ratio | p99 ratio "
                        "| fsync ms (tierkv / redis) | other load % |\n")
                f.write("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
                for line in round_lines:
                    f.write(f"| {a.label} | {line['md']} |\n")
    return 0


def fsync_figures(run):
    """(writes per fsync, mean fsync ms, % of the run in fsync), or None without counts."""
    if not run["fsyncs"]:
        return None
    return (run["n"] / run["fsyncs"], run["fsync_ns"] / run["fsyncs"] / 1e6,
            run["fsync_ns"] / 1e9 / run["wall_s"] * 100 if run["wall_s"] else 0.0)


def per_round_lines(data, order):
    lines = []
    for t, p in order:
        d = data[(t, p)]
        by_round = {s: {x["round"]: x for x in d[s]} for s in SERVERS}
        for rnd in sorted(set(by_round["tierkv"]) & set(by_round["redis"])):
            tk, rd = by_round["tierkv"][rnd], by_round["redis"][rnd]
            tput, p99 = ratio(tk["rps"], rd["rps"]), ratio(tk["p99"], rd["p99"])
            other = max(tk["other_pct"], rd["other_pct"])
            fs = {s: fsync_figures(x) for s, x in (("tierkv", tk), ("redis", rd))}
            text = (f"{tk['name']:<8}-P{p:<3} round {rnd}: tierkv {tk['rps']:>9,.0f} p99 {tk['p99']:7.3f}"
                    f" | redis {rd['rps']:>9,.0f} p99 {rd['p99']:7.3f} | tput {tput:5.2f} p99 {p99:5.2f}"
                    f" | other% {other:4.0f}")
            for s in SERVERS:
                if fs[s]:
                    text += f" | {s} w/f {fs[s][0]:5.1f} fsync {fs[s][1]:.3f} disk% {fs[s][2]:3.0f}"
            wf = lambda s: f"{fs[s][0]:.1f}" if fs[s] else ""
            ms = " / ".join(f"{fs[s][1]:.3f}" for s in SERVERS if fs[s])
            md = (f"{tk['name']} -P {p} | {rnd} | {tk['rps']:,.0f} | {tk['p99']:.3f} | {wf('tierkv')} | "
                  f"{rd['rps']:,.0f} | {rd['p99']:.3f} | {wf('redis')} | {tput:.2f} | {p99:.2f} | {ms} | {other:.0f}")
            lines.append({"text": text, "md": md})
    return lines


if __name__ == "__main__":
    sys.exit(main())
