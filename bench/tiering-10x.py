#!/usr/bin/python3
"""A dataset ten times the DRAM budget: tierkv loads it, restarts after SIGKILL and serves it.

tierkv runs with `tier rocksdb`, the journal (`appendonly yes`, everysec), `tiering yes`
and `maxmemory BUDGET` (default 128 MiB); the dataset is MULTIPLE (default 10) times the
budget in VALUE-byte values (default 1024: 1,310,720 keys, 1.25 GiB of values), under the
names redis-benchmark uses (`key:%012d`). Phases, one server process each except the
restarts:
  load      distinct keys in order, pipelined SETs over one connection (batches of 200):
            keys/s and MB/s of values; then DBSIZE.
  restart   SIGKILL, start on the same dir: time to the first PONG and until DBSIZE is
            right and a sample of GETs (--check keys) returns the values written;
            the server's own start-up split (its log lines). --restarts times.
  uniform   redis-benchmark -t get -c 50 -r KEYS -n READS: ops/s over all keys.
  all keys  every key read back with MGET (--mget keys per command) and compared with
            what was written: the dataset is whole after the restart.
RSS (VmRSS and its anonymous part, RssAnon) is sampled every 0.1 s through every phase;
the peak anonymous RSS is compared with 1.1x maxmemory plus the base docs/ARCHITECTURE.md
documents ("What `used_memory` counts"): the tier's write buffers and block cache, the
journal writer's unsynced copy (16 MiB) and queue bound, the checkpoint bookkeeping.

Usage: bench/tiering-10x.py [--quick] [--budget-mb 128] [--multiple 10] [--value-size 1024]
Env: TIERKV_BIN, KEEP_TMP=1.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

KEY_FMT = "key:%012d"  # redis-benchmark's -r names
MIB = 1 << 20
PHASE_LINES = (
    ("tier open", re.compile(rb"Opened the tier \S+ in ([0-9.]+) s(?: \(([0-9.]+) s of CPU\))?")),
    ("key walk", re.compile(rb"Loaded \d+ keys from the tier .*? in ([0-9.]+) s(?: \(([0-9.]+) s of CPU\))?")),
    ("journal tail", re.compile(rb"Replayed \d+ journal records .*? in ([0-9.]+) s(?: \(([0-9.]+) s of CPU\))?")),
    ("listening", re.compile(rb"listening ([0-9.]+) s after start-up began")),
)


def share(budget, low, high):
    """A sixteenth of maxmemory within [low, high]: the tier's buffers, the journal's queue."""
    return min(max(budget // 16, low), high)


def documented_base(budget):
    """docs/ARCHITECTURE.md, "What `used_memory` counts": the bounds set apart from maxmemory."""
    tier_caches = 2 * share(budget, 8 * MIB, 1024 * MIB)   # write buffers + block cache
    journal = 16 * MIB + share(budget, 8 * MIB, 256 * MIB)  # unsynced copy + queue bound
    bookkeeping = share(budget, 8 * MIB, 1024 * MIB)
    return tier_caches + journal + bookkeeping


class RssSampler:
    """Peak VmRSS and RssAnon of the current server, per phase, every 0.1 s."""

    def __init__(self):
        self.pid = None
        self.phase = None
        self.peaks = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, pid, phase):
        self.pid, self.phase = pid, phase

    def _run(self):
        while not self._stop.wait(0.1):
            pid, phase = self.pid, self.phase
            if pid is None:
                continue
            try:
                rss = tkbench._status_kib(pid, "VmRSS:")
                anon = tkbench._status_kib(pid, "RssAnon:")
            except (OSError, RuntimeError):
                continue
            old = self.peaks.get(phase, (0, 0))
            self.peaks[phase] = (max(old[0], rss), max(old[1], anon))

    def stop(self):
        self._stop.set()
        self._thread.join()


def mget_check(port, ids, value_fn, per_command, deadline):
    """MGET every id (pipelined, 8 commands in flight); returns (read, wrong)."""
    read = wrong = 0
    with tkbench.Conn(port, timeout=120) as c:
        for start in range(0, len(ids), per_command * 8):
            if time.monotonic() > deadline:
                break
            chunk = ids[start:start + per_command * 8]
            groups = [chunk[i:i + per_command] for i in range(0, len(chunk), per_command)]
            c.sock.sendall(b"".join(tkbench.encode_command("MGET", *[KEY_FMT % i for i in g])
                                    for g in groups))
            for g in groups:
                got = c.read_reply()
                for i, v in zip(g, got):
                    wrong += v != value_fn(i)
                read += len(g)
    return read, wrong


def available(conn, keys, sample, value_fn):
    if conn.call("DBSIZE") != keys:
        return False
    conn.sock.sendall(b"".join(tkbench.encode_command("GET", KEY_FMT % i) for i in sample))
    ok = True
    for i in sample:
        ok = (conn.read_reply() == value_fn(i)) and ok
    return ok


def logged_phases(log_path):
    with open(log_path, "rb") as f:
        log = f.read()
    out = {}
    for name, pattern in PHASE_LINES:
        found = pattern.findall(log)
        if found:
            last = found[-1] if isinstance(found[-1], tuple) else (found[-1],)
            out[name] = float(last[0])
            if len(last) > 1 and last[1]:
                out[name + " CPU"] = float(last[1])
    return out


def uniform_gets(port, keys, reads, time_limit):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "get", "-d", "16",
           "-c", "50", "-r", str(keys), "-n", str(reads), "--csv"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=time_limit).stdout
    row = [line for line in out.splitlines() if line.startswith('"GET"')]
    fields = [x.strip('"') for x in row[-1].split(",")] if row else []
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max"
    return {"ops": float(fields[1]), "p50": float(fields[4]), "p99": float(fields[6])} if fields else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="32 MiB budget (a 320 MiB dataset)")
    ap.add_argument("--budget-mb", type=int, default=None, help="maxmemory (default 128)")
    ap.add_argument("--multiple", type=float, default=10.0, help="bytes of values / maxmemory")
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--restarts", type=int, default=2)
    ap.add_argument("--reads", type=int, default=None, help="uniform GETs (default keys / 4, at most 100,000)")
    ap.add_argument("--check", type=int, default=1000, help="GETs in the availability check")
    ap.add_argument("--mget", type=int, default=100, help="keys per MGET in the full read-back")
    ap.add_argument("--time-limit", type=float, default=900.0, help="seconds allowed per phase")
    a = ap.parse_args()
    budget = (a.budget_mb or (32 if a.quick else 128)) * MIB
    keys = int(a.multiple * budget) // a.value_size
    reads = a.reads or min(keys // 4, 100_000)
    if keys <= 0 or a.value_size < 12 or a.restarts <= 0 or a.mget <= 0:
        ap.error("bad --budget-mb, --multiple, --value-size, --restarts or --mget")

    tkbench.install_cleanup()
    binary = tkbench.tierkv_bin()
    work = tkbench.bench_tmpdir()
    values = tkbench.unique_value_fn(a.value_size, seed=1)
    args = ["--tier", "rocksdb", "--appendonly", "yes", "--appendfsync", "everysec",
            "--tiering", "yes", "--maxmemory", str(budget)]
    base = documented_base(budget)
    target = 1.1 * budget + base
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"maxmemory {budget // MIB} MiB, {keys:,} keys x {a.value_size} B = "
          f"{tkbench.fmt_bytes(keys * a.value_size)} of values ({a.multiple:g}x the budget); "
          f"RSS target 1.1 x maxmemory + base {base / MIB:.0f} MiB = {target / MIB:.0f} MiB",
          flush=True)
    rss = RssSampler()

    srv = tkbench.Server("tierkv", binary, work, extra_args=args)
    rss.watch(srv.pid, "load")
    t0 = time.monotonic()
    n = tkbench.bulk_load(srv.port, keys, KEY_FMT, values, batch=200,
                          deadline=t0 + a.time_limit, sock_timeout=a.time_limit)
    load_s = time.monotonic() - t0
    if n != keys:
        raise SystemExit(f"error: only {n:,} of {keys:,} keys loaded in {a.time_limit:.0f} s")
    with srv.conn(timeout=a.time_limit) as c:
        kept = c.call("DBSIZE")
        tiering = c.info("tiering")
        memory = c.info("memory")
    print(f"load: {keys / load_s:,.0f} keys/s, {keys * a.value_size / load_s / MIB:.1f} MiB/s of values "
          f"({load_s:.1f} s); DBSIZE {kept:,}; used_memory {int(memory['used_memory']) / MIB:.1f} MiB; "
          f"cold keys {tiering.get('tier_keys_cold', '?')}", flush=True)
    time.sleep(1.5)  # everysec: the last writes reach the OS before the kill
    srv.kill()

    sample = random.Random(7).sample(range(keys), min(a.check, keys))
    restarts = []
    for r in range(1, a.restarts + 1):
        srv = tkbench.Server("tierkv", binary, work, extra_args=args, ready_timeout=a.time_limit)
        rss.watch(srv.pid, "restart")
        ping_s = srv.ready_at - srv.started_at
        deadline = time.monotonic() + a.time_limit
        with srv.conn(timeout=a.time_limit) as c:
            while not available(c, keys, sample, values):
                if time.monotonic() > deadline:
                    raise SystemExit("error: the keys are not all available after the restart")
                time.sleep(0.005)
        all_s = time.monotonic() - srv.started_at
        phases = logged_phases(srv.log_path)
        restarts.append((ping_s, all_s, phases))
        print(f"restart {r}: PONG after {ping_s:.3f} s, all keys after {all_s:.3f} s; {phases}", flush=True)
        if r < a.restarts:
            srv.kill()

    rss.watch(srv.pid, "uniform")
    uni = uniform_gets(srv.port, keys, reads, a.time_limit)
    with srv.conn() as c:
        tiering = c.info("tiering")
    print(f"uniform GETs: {uni}; INFO tiering: " +
          ", ".join(f"{k}={v}" for k, v in tiering.items() if "cold" in k or "resident" in k or "read" in k),
          flush=True)

    rss.watch(srv.pid, "read-back")
    t0 = time.monotonic()
    read, wrong = mget_check(srv.port, list(range(keys)), values, a.mget, t0 + a.time_limit)
    back_s = time.monotonic() - t0
    print(f"read-back: {read:,} of {keys:,} keys in {back_s:.1f} s ({read / back_s:,.0f} keys/s), "
          f"{wrong} wrong or missing", flush=True)
    with srv.conn() as c:
        memory = c.info("memory")
    srv.kill()
    rss.stop()
    load_end = " ".join(open("/proc/loadavg").read().split()[:3])

    print()
    print(f"load average {load_start} at start, {load_end} at end")
    print(f"{'phase':<10}{'peak RSS MiB':>14}{'peak anon MiB':>15}{'anon / target':>15}")
    for phase in ("load", "restart", "uniform", "read-back"):
        if phase in rss.peaks:
            vm, anon = rss.peaks[phase]
            print(f"{phase:<10}{vm / MIB:>14.1f}{anon / MIB:>15.1f}{anon / target:>15.2f}")
    worst = max(anon for _, anon in rss.peaks.values())
    print(f"used_memory at the end {int(memory['used_memory']) / MIB:.1f} MiB")
    print(f"load {keys / load_s:,.0f} keys/s; restart: PONG {min(x[0] for x in restarts):.3f}-"
          f"{max(x[0] for x in restarts):.3f} s, all keys {min(x[1] for x in restarts):.3f}-"
          f"{max(x[1] for x in restarts):.3f} s; uniform GET {uni['ops'] if uni else 0:,.0f} ops/s; "
          f"read-back {'whole' if read == keys and wrong == 0 else 'NOT whole'}")
    print(f"peak anonymous RSS {worst / MIB:.1f} MiB: "
          f"{'meets' if worst <= target else 'misses'} target {target / MIB:.0f} MiB")
    if os.environ.get("KEEP_TMP") != "1":
        shutil.rmtree(work, ignore_errors=True)
    return 0 if read == keys and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
