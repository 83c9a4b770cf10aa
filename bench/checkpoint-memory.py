#!/usr/bin/python3
"""Memory during a checkpoint under write load: peak / steady-state RSS,
tierkv-server vs redis-server.

For each server in turn: load N keys (default 1,000,000; "key:%012d",
1024-byte values), SAVE once, then start a writer process that overwrites
random keys with same-size values at full speed (pipelined SETs, bounded by
time and count). Each round (default 3): sample memory every 10 ms for
--steady-seconds (the steady state under the write load), send BGSAVE, and
keep sampling until INFO persistence shows the round over (polled every
100 ms), plus --tail-seconds. Reported per server: the steady median, the
round's peak and peak / steady, median over rounds. Target
(docs/BENCHMARKS.md): tierkv's peak <= 1.05x its steady state.

What a sample is: tierkv: VmRSS of the process (a checkpoint round runs in the
process: no fork). Redis: VmRSS of the server plus Private_Dirty of its BGSAVE
child (/proc/CHILD/smaps_rollup): pages the child no longer shares with the
parent, i.e. copy-on-write copies. Reading smaps_rollup walks the child's page
tables, so Redis samples during a round may come slower than every 10 ms.

tierkv runs with its defaults (journal on, appendfsync everysec) plus
--save "" and --journal-max-size 100gb (no rounds but ours: with the default
64mb the writer's journal starts one every few seconds, in the "steady state"
too); Redis with --save "" --appendonly no (BGSAVE forks an RDB child).
The writer and the sampler share the client CPU; the writer runs at normal
priority (under SCHED_IDLE it starved on the shared development VM).

Usage: bench/checkpoint-memory.py [--quick] [--keys N] [--value-size B] [--rounds R]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, PIN=0, KEEP_TMP=1.
"""
import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

KEY_FMT = "key:%012d"      # 16 bytes
TARGET_RATIO = 1.05        # docs/BENCHMARKS.md: peak RSS <= 1.05x steady state
SAMPLE_S = 0.010
INFO_EVERY = 10            # samples between INFO polls (100 ms)


def writer_main(port, keys, value_size, batch, time_limit, max_writes, cpus, progress, status):
    """Child process: overwrite random keys until the time or count runs out."""
    try:
        if cpus:
            os.sched_setaffinity(0, cpus)
        rnd = random.Random(7)
        value_fn = tkbench.unique_value_fn(value_size, seed=2)
        deadline = time.monotonic() + time_limit
        done = 0
        while done < max_writes and time.monotonic() < deadline:
            ids = [rnd.randrange(keys) for _ in range(min(50_000, max_writes - done))]
            done += tkbench.bulk_load(port, 0, KEY_FMT, value_fn, batch=batch,
                                      deadline=deadline, ids=ids)
            progress.value = done
        status.value = 0
    except BaseException as e:  # report, never hang the parent
        print(f"writer error: {e}", file=sys.stderr)
        status.value = 1


def sample_memory(srv):
    """One sample: (RSS of the server + Private_Dirty of its children, child count)."""
    total = srv.rss_bytes()
    kids = tkbench.child_pids(srv.pid)
    for k in kids:
        try:
            total += tkbench.private_dirty_bytes(k)
        except (OSError, RuntimeError):  # the child just exited
            pass
    return total, len(kids)


def sample_for(srv, seconds):
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(sample_memory(srv)[0])
        time.sleep(SAMPLE_S)
    return out


def one_round(srv, conn, a):
    tkbench.wait_round_done(conn, a.round_limit)
    steady = sample_for(srv, a.steady_seconds)
    reply = conn.call("BGSAVE")
    t0 = time.monotonic()
    if not str(reply).startswith("Background saving started"):
        raise SystemExit(f"error: {srv.name}: BGSAVE replied {reply!r}")
    peak, samples, kids_seen, i = 0, 0, 0, 0
    done_at = None
    while True:
        mem, kids = sample_memory(srv)
        peak = max(peak, mem)
        kids_seen = max(kids_seen, kids)
        samples += 1
        i += 1
        now = time.monotonic()
        if done_at is None and i % INFO_EVERY == 0:
            if conn.info("persistence").get("rdb_bgsave_in_progress") == "0":
                done_at = now
        if done_at is not None and now - done_at >= a.tail_seconds:
            break
        if now - t0 > a.round_limit:
            raise SystemExit(f"error: {srv.name}: BGSAVE still running after {a.round_limit:.0f} s")
        time.sleep(SAMPLE_S)
    info = conn.info("persistence")
    if info.get("rdb_last_bgsave_status") != "ok":
        raise SystemExit(f"error: {srv.name}: BGSAVE failed: {info.get('rdb_last_bgsave_status')}")
    steady_med = statistics.median(steady)
    return {"steady": steady_med, "steady_max": max(steady), "peak": peak,
            "ratio": peak / steady_med, "secs": done_at - t0, "samples": samples,
            "sample_ms": (time.monotonic() - t0) / samples * 1000, "children": kids_seen}


def run_server(name, binary, work, a, pin):
    server_cpus, client_cpus = tkbench.cpu_sets() if pin else (None, None)
    # tierkv: no rounds of its own (journal-max-size far away), so that the
    # steady state has none and each measured round is the BGSAVE's.
    extra = (["--appendonly", "yes", "--appendfsync", "everysec", "--journal-max-size", "100gb"]
             if name == "tierkv" else [])
    srv = tkbench.Server(name, binary, work, cpus=server_cpus, extra_args=extra)
    print(f"[{name}] {binary} pid {srv.pid} port {srv.port}", file=sys.stderr)
    t0 = time.monotonic()
    loaded = tkbench.bulk_load(srv.port, a.keys, KEY_FMT, tkbench.unique_value_fn(a.value_size),
                               batch=a.batch, deadline=t0 + a.time_limit)
    if loaded != a.keys:
        raise SystemExit(f"error: {name}: only {loaded:,} of {a.keys:,} keys loaded "
                         f"within {a.time_limit:.0f} s")
    with srv.conn(timeout=a.time_limit) as c:
        tkbench.wait_round_done(c, a.time_limit)
        c.call("SAVE")
    print(f"[{name}] loaded {a.keys:,} keys and saved in {time.monotonic() - t0:.1f} s",
          file=sys.stderr)

    progress = mp.Value("q", 0, lock=False)
    status = mp.Value("i", -1, lock=False)
    budget = a.rounds * (a.steady_seconds + a.round_limit + a.tail_seconds) + 10
    writer = mp.Process(target=writer_main, daemon=True,
                        args=(srv.port, a.keys, a.value_size, a.writer_batch, budget,
                              a.max_writes, client_cpus, progress, status))
    tkbench.add_cleanup_hook(lambda: writer.is_alive() and writer.kill())
    writer.start()
    rounds = []
    other = tkbench.OtherLoad([srv.pid])
    try:
        time.sleep(1.0)  # let the writer reach full speed before the first window
        other.start()
        w0, t_w0 = progress.value, time.monotonic()
        with srv.conn(timeout=60) as c:
            for r in range(1, a.rounds + 1):
                if not writer.is_alive():
                    raise SystemExit(f"error: {name}: writer stopped early "
                                     f"({progress.value:,} writes)")
                rec = one_round(srv, c, a)
                rounds.append(rec)
                print(f"[{name}] round {r}: steady {rec['steady'] / 2**20:,.0f} MiB, peak "
                      f"{rec['peak'] / 2**20:,.0f} MiB ({rec['ratio']:.3f}x), round "
                      f"{rec['secs']:.2f} s, {rec['samples']} samples "
                      f"({rec['sample_ms']:.1f} ms apart)", file=sys.stderr)
        writes_per_s = (progress.value - w0) / (time.monotonic() - t_w0)
    finally:
        writer.kill()
        writer.join()
    other_pct = other.stop()  # after join: the writer's CPU is then ours, not "other"
    if status.value == 1:
        raise SystemExit(f"error: {name}: writer failed")
    srv.assert_alive()
    srv.stop()
    return {"rounds": rounds, "writes_per_s": writes_per_s, "other_pct": other_pct}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                    help="smoke test: 100,000 keys")
    ap.add_argument("--keys", type=int, default=None, help="keys to load (default 1000000)")
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=500, help="SETs per round trip while loading")
    ap.add_argument("--writer-batch", type=int, default=100,
                    help="SETs per round trip of the writer (default 100)")
    ap.add_argument("--max-writes", type=int, default=100_000_000,
                    help="cap on the writer's SETs (default 100M)")
    ap.add_argument("--steady-seconds", type=float, default=3.0)
    ap.add_argument("--tail-seconds", type=float, default=0.5,
                    help="sampling after the round is over (default 0.5)")
    ap.add_argument("--round-limit", type=float, default=600.0,
                    help="longest a BGSAVE may take (default 600 s)")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds allowed for the load and first SAVE (default 600)")
    ap.add_argument("--servers", default="tierkv,redis")
    a = ap.parse_args()
    if a.keys is None:
        a.keys = 100_000 if a.quick else 1_000_000
    if a.quick:
        a.steady_seconds = min(a.steady_seconds, 2.0)
    names = [s for s in a.servers.split(",") if s]
    if a.keys <= 0 or a.rounds <= 0 or not set(names) <= {"tierkv", "redis"}:
        ap.error("bad --keys, --rounds or --servers")

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    work = tkbench.bench_tmpdir()
    pin = tkbench.can_pin()
    if pin:
        os.sched_setaffinity(0, tkbench.cpu_sets()[1])
    mp.set_start_method("fork")
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    res = {name: run_server(name, bins[name], work, a, pin) for name in names}
    load_end = " ".join(open("/proc/loadavg").read().split()[:3])

    fb = lambda n: f"{n / 2**20:,.0f} MiB"
    med = lambda name, k: statistics.median(x[k] for x in res[name]["rounds"])
    print()
    print(f"{a.keys:,} keys x {a.value_size} B values; writer overwrites random keys "
          f"({a.writer_batch} SETs per round trip); {a.rounds} BGSAVE rounds, each after "
          f"{a.steady_seconds:g} s of steady-state sampling; medians over rounds")
    print(f"pin={int(pin)}; load average {load_start} at start, {load_end} at end")
    hdr = (f"{'server':<8}{'writes/s':>10}{'steady':>12}{'peak':>12}{'peak/steady':>13}"
           f"{'round s':>9}{'sample ms':>11}{'other%':>8}")
    print(hdr)
    print("-" * len(hdr))
    for name in names:
        r = res[name]
        print(f"{name:<8}{r['writes_per_s']:>10,.0f}{fb(med(name, 'steady')):>12}"
              f"{fb(med(name, 'peak')):>12}{med(name, 'ratio'):>13.3f}{med(name, 'secs'):>9.2f}"
              f"{med(name, 'sample_ms'):>11.1f}{r['other_pct']:>8.0f}")
    for name in names:
        print(f"{name} rounds (peak/steady): " +
              ", ".join(f"{x['ratio']:.3f}" for x in res[name]["rounds"]))
    print("steady = median sample before BGSAVE; peak = largest sample from BGSAVE to the end "
          "of the round\n(+ tail); Redis samples add the BGSAVE child's Private_Dirty; "
          "sample ms = mean time between\nsamples during rounds; other% = CPU used by anything "
          "but the server and this benchmark\n(incl. steal), in % of one CPU")
    for name in names:
        x = med(name, "ratio")
        verdict = "meets" if x <= TARGET_RATIO else "misses"
        print(f"peak/steady {name:<7} {x:.3f}  ({verdict} target <= {TARGET_RATIO:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
