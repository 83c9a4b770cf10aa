#!/usr/bin/python3
"""Latency while the keyspace grows: tierkv-server vs redis-server.

For each server in turn (fresh, persistence off): a loader process inserts N
keys (default 5,000,000; "key:%012d", 32-byte values) over one pipelined
connection, and meanwhile a probe client in this process sends one command at
a time (GET of an existing key, or PING) and times every round trip. We
report p50 / p99 / p99.9 / worst probe latency during the load, the same for
an idle baseline taken before it, and the largest stalls with the key count
at which they happened (Redis allocates a new, doubled hash table at 2^n keys
and rehashes it incrementally; the allocation and rehash steps are the stalls
this benchmark is after, most visibly at 4M -> 8M buckets).

Noise control: servers run on SERVER_CPUS (default CPU 0); the loader and
the probe share CLIENT_CPUS (default CPU 1), the loader under SCHED_IDLE (no
privilege needed) so that the probe, which mostly sleeps waiting for replies,
preempts it as soon as its reply arrives; with plain nice the loader may run
out its slice first and the probe would report milliseconds of its own
scheduling delay. The probe runs with Python's GC disabled. PIN=0 turns
pinning off. Everything is bounded: N keys, --time-limit seconds per
server, and at most --max-probes samples.

Usage: bench/growth-latency.py [--quick] [--keys N] [--probe get|ping]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, PIN=0, KEEP_TMP=1.
"""
import argparse
import array
import gc
import multiprocessing as mp
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

KEY_FMT = "key:%012d"      # 16 bytes
PROBE_KEY = b"probe:key"
TARGET_WORST_MS = 1.0      # docs/BENCHMARKS.md: worst latency < 1 ms


def loader_main(port, n, value_size, batch, time_limit, cpus, progress, status):
    """Child process: bounded pipelined SET load."""
    try:
        # SCHED_IDLE (allowed unprivileged): a waking probe preempts the
        # loader at once; plain nice would let the loader finish its slice.
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):
            os.nice(19)
        if cpus:
            os.sched_setaffinity(0, cpus)
        value = b"v" * value_size
        done = tkbench.bulk_load(port, n, KEY_FMT, lambda i: value, batch=batch,
                                 deadline=time.monotonic() + time_limit, progress=progress)
        status.value = 0 if done == n else 2
    except BaseException as e:  # report, never hang the parent
        print(f"loader error: {e}", file=sys.stderr)
        status.value = 1


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    i = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals))) - 1))
    return sorted_vals[i]


class Probe:
    def __init__(self, port, kind, value):
        self.conn = tkbench.Conn(port, timeout=30.0)
        self.sock = self.conn.sock
        if kind == "ping":
            self.req = tkbench.encode_command("PING")
            self.expect = b"+PONG\r\n"
        else:
            self.req = tkbench.encode_command("GET", PROBE_KEY)
            self.expect = b"$%d\r\n%s\r\n" % (len(value), value)

    def once(self):
        """One round trip; returns nanoseconds."""
        sock, expect = self.sock, self.expect
        t0 = time.perf_counter_ns()
        sock.sendall(self.req)
        got = sock.recv(256)
        while len(got) < len(expect):
            more = sock.recv(256)
            if not more:
                raise tkbench.RespError("probe connection closed")
            got += more
        t1 = time.perf_counter_ns()
        if got != expect:
            raise tkbench.RespError(f"unexpected probe reply {got[:100]!r}")
        return t1 - t0

    def close(self):
        self.conn.close()


def intrinsic_jitter(cpus, seconds):
    """Largest gap seen by a busy loop on each CPU: what the machine itself
    (hypervisor, interrupts, other tenants) adds, server or not. Like
    redis-cli --intrinsic-latency, in Python (~0.1 us per iteration)."""
    old = os.sched_getaffinity(0)
    out = {}
    try:
        for cpu in sorted(cpus):
            os.sched_setaffinity(0, {cpu})
            now = time.perf_counter_ns
            end = now() + int(seconds * 1e9)
            prev = worst = 0
            prev = now()
            while prev < end:
                t = now()
                if t - prev > worst:
                    worst = t - prev
                prev = t
            out[cpu] = worst / 1e6
    finally:
        os.sched_setaffinity(0, old)
    return out


def summarize(ns):
    s = sorted(ns)
    return {"n": len(s), "p50": pct(s, 50) / 1e6, "p99": pct(s, 99) / 1e6,
            "p999": pct(s, 99.9) / 1e6, "max": (s[-1] / 1e6) if s else float("nan")}


def run_server(name, binary, work, a, pin):
    server_cpus, client_cpus = tkbench.cpu_sets() if pin else (None, None)
    srv = tkbench.Server(name, binary, work, cpus=server_cpus)
    print(f"[{name}] {binary} pid {srv.pid} port {srv.port}", file=sys.stderr)
    probe_value = b"p" * 16
    with srv.conn() as c:
        c.call("SET", PROBE_KEY, probe_value)
    probe = Probe(srv.port, a.probe, probe_value)
    interval = a.interval_us / 1e6

    # Idle baseline.
    base = array.array("q")
    end = time.monotonic() + a.baseline_seconds
    while time.monotonic() < end and len(base) < a.max_probes:
        base.append(probe.once())
        if interval:
            time.sleep(interval)

    progress = mp.Value("q", 0, lock=False)
    status = mp.Value("i", -1, lock=False)
    loader = mp.Process(target=loader_main, daemon=True,
                        args=(srv.port, a.keys, a.value_size, a.batch, a.time_limit,
                              client_cpus, progress, status))
    tkbench.add_cleanup_hook(lambda: loader.is_alive() and loader.kill())
    lat = array.array("q")
    at_keys = array.array("q")
    other = tkbench.OtherLoad([srv.pid])
    other.start()
    t_start = time.monotonic()
    deadline = t_start + a.time_limit + 5
    loader.start()
    try:
        while loader.is_alive() and time.monotonic() < deadline and len(lat) < a.max_probes:
            lat.append(probe.once())
            at_keys.append(progress.value)
            if interval:
                time.sleep(interval)
        loader.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        if loader.is_alive():
            loader.kill()
            loader.join()
    load_s = time.monotonic() - t_start
    other_pct = other.stop()
    probe.close()
    srv.assert_alive()
    if status.value != 0:
        raise SystemExit(f"error: {name}: loader {'timed out' if status.value == 2 else 'failed'}"
                         f" after {progress.value:,} of {a.keys:,} keys")
    with srv.conn() as c:
        dbsize = c.call("DBSIZE")
    if dbsize != a.keys + 1:
        raise SystemExit(f"error: {name}: DBSIZE {dbsize}, expected {a.keys + 1}")
    srv.stop()

    top = sorted(range(len(lat)), key=lambda i: lat[i], reverse=True)[:a.top]
    return {"base": summarize(base), "load": summarize(lat), "load_s": load_s,
            "other_pct": other_pct,
            "keys": a.keys, "stalls": [(lat[i] / 1e6, at_keys[i]) for i in sorted(top)]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                    help="smoke test: 200,000 keys")
    ap.add_argument("--keys", type=int, default=None, help="keys to insert (default 5000000)")
    ap.add_argument("--value-size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=500, help="SETs per pipelined round trip")
    ap.add_argument("--probe", choices=("get", "ping"), default="get")
    ap.add_argument("--interval-us", type=float, default=100.0,
                    help="pause between probes in microseconds (default 100; 0 = back to back)")
    ap.add_argument("--baseline-seconds", type=float, default=2.0)
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds allowed for one server's load (default 600)")
    ap.add_argument("--max-probes", type=int, default=5_000_000)
    ap.add_argument("--top", type=int, default=5, help="largest stalls to list")
    ap.add_argument("--servers", default="tierkv,redis")
    ap.add_argument("--jitter-seconds", type=float, default=3.0,
                    help="busy-loop seconds per CPU for the machine-jitter check (0 = skip)")
    a = ap.parse_args()
    if a.keys is None:
        a.keys = 200_000 if a.quick else 5_000_000
    if a.quick:
        a.baseline_seconds = min(a.baseline_seconds, 0.5)
        a.time_limit = min(a.time_limit, 60.0)
        a.jitter_seconds = min(a.jitter_seconds, 0.5)
    names = [s for s in a.servers.split(",") if s]
    if a.keys <= 0 or not set(names) <= {"tierkv", "redis"}:
        ap.error("bad --keys or --servers")

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    work = tkbench.bench_tmpdir()
    pin = tkbench.can_pin()
    if pin:
        sc, cc = tkbench.cpu_sets()
        os.sched_setaffinity(0, cc)
        print(f"pinning: servers on CPU {sorted(sc)}, probe + loader (SCHED_IDLE) on CPU {sorted(cc)}",
              file=sys.stderr)
    else:
        print("pinning: off", file=sys.stderr)
    mp.set_start_method("fork")
    gc.disable()

    jitter = {}
    if a.jitter_seconds > 0:
        jitter = intrinsic_jitter(os.sched_getaffinity(0) | (tkbench.cpu_sets()[0] if pin else set()),
                                  a.jitter_seconds)

    res = {}
    for name in names:
        res[name] = run_server(name, bins[name], work, a, pin)
        r = res[name]
        print(f"[{name}] {r['keys']:,} keys in {r['load_s']:.1f} s "
              f"({r['keys'] / r['load_s']:,.0f} SET/s), {r['load']['n']:,} probes, "
              f"other load {r['other_pct']:.0f}% of a CPU",
              file=sys.stderr)

    print()
    print(f"{a.keys:,} keys inserted ({a.value_size}-byte values, {a.batch} SETs per round trip); "
          f"probe: {a.probe.upper()} one at a time, {a.interval_us:g} us apart; latencies in ms")
    hdr = (f"{'server':<8}{'phase':<10}{'probes':>9}{'p50':>8}{'p99':>8}{'p99.9':>8}"
           f"{'worst':>8}{'other%':>8}")
    print(hdr)
    print("-" * len(hdr))
    for name in names:
        for phase in ("base", "load"):
            s = res[name][phase]
            oth = f"{res[name]['other_pct']:>8.0f}" if phase == "load" else ""
            print(f"{name:<8}{('idle' if phase == 'base' else 'loading'):<10}{s['n']:>9,}"
                  f"{s['p50']:>8.3f}{s['p99']:>8.3f}{s['p999']:>8.3f}{s['max']:>8.3f}{oth}")
    print()
    for name in names:
        stalls = ", ".join(f"{ms:.2f} ms @ {k / 1e6:.2f}M" for ms, k in res[name]["stalls"])
        print(f"{name} largest stalls (latency @ keys loaded): {stalls}")
    print("other% = CPU used during the load by anything but the server, loader and probe "
          "(incl. steal), in % of one CPU; above ~10% the tail figures are suspect")
    if jitter:
        print("machine jitter (largest gap in a busy loop, no server involved): " +
              ", ".join(f"CPU {c}: {ms:.3f} ms" for c, ms in sorted(jitter.items())) +
              f" over {a.jitter_seconds:g} s each")
    print()
    for name in names:
        w = res[name]["load"]["max"]
        verdict = "meets" if w < TARGET_WORST_MS else "misses"
        print(f"worst latency {name:<7} {w:8.3f} ms  ({verdict} target < {TARGET_WORST_MS:g} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
