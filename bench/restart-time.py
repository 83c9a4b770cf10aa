#!/usr/bin/python3
"""Restart time after a crash: tierkv-server (tier + journal tail) vs
redis-server loading an RDB file, and loading an AOF (RDB base + tail).

For each value size (default 100 B and 1000 B, the same key count, so the
comparison shows whether restart time grows with keys or with bytes) and each
mode, with a fresh server:
  tierkv     load N keys (default 1,000,000; journal on, appendfsync
             everysec), SAVE, then T more writes (default 100,000: overwrites
             of random keys with new values): the journal tail; SIGKILL.
  redis-rdb  --appendonly no: load N keys, T writes, SAVE; SIGKILL.
  redis-aof  --appendonly yes --appendfsync everysec: load N keys,
             BGREWRITEAOF (the base becomes an RDB preamble), T writes; SIGKILL.
  tierkv-tiered  as tierkv, restarted with `tiering yes` and `maxmemory
             --budget-mb`: start-up reads the keys and leaves large values in
             the tier until a command needs them (the load runs without a
             budget, so it does not wait for demotion).
Before the SIGKILL we wait until the data dir's size has not changed for
0.5 s (the journal / AOF writes have reached the OS; with everysec a SIGKILL,
unlike a power cut, loses nothing the OS has). Then, per round (default 3):
start the server on the same dir and measure from spawning the process to
  - the first PONG (a server still loading refuses, Redis with -LOADING), and
  - all keys available: DBSIZE equals N and a sample of GETs (--check keys,
    half from the tail, pipelined) returns the expected values;
then SIGKILL it again. Also shown: the load time the server logs itself
("DB loaded from disk: X seconds", or "from append only file") and the
size of the data on disk. All restarts read files that were just written, so
from the page cache (we do not drop caches on a shared machine): these are
warm-cache figures, the disk's read speed is not in them.

Targets (docs/BENCHMARKS.md): tierkv serves within 1 s, and its restart time
grows with the number of keys, not bytes: tierkv-tiered is the mode meant to
meet them; plain tierkv loads every value before it listens.

Usage: bench/restart-time.py [--quick] [--keys N] [--value-sizes 100,1000] [--tail T]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, PIN=0, KEEP_TMP=1.
"""
import argparse
import os
import random
import re
import shutil
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

KEY_FMT = "key:%012d"      # 16 bytes
MODES = ("tierkv", "redis-rdb", "redis-aof", "tierkv-tiered")
TARGET_SERVE_S = 1.0       # docs/BENCHMARKS.md: serving within 1 s
# Redis: "DB loaded from disk" (RDB) or "DB loaded from append only file" (AOF).
LOADED_RE = re.compile(rb"DB loaded from (?:disk|append only file): ([0-9.]+) seconds")
# tierkv's start-up phases, each timed in its own log line (seconds).
PHASES = (
    ("tier open", re.compile(rb"Opened the tier \S+ in ([0-9.]+) s(?: \(([0-9.]+) s of CPU\))?")),
    ("key walk", re.compile(rb"Loaded \d+ keys from the tier .*? in ([0-9.]+) s(?: \(([0-9.]+) s of CPU\))?")),
    ("journal tail", re.compile(rb"Replayed \d+ journal records .*? in ([0-9.]+) s(?: \(([0-9.]+) s of CPU\))?")),
    ("journal writer", re.compile(rb"Opened the journal for writing in ([0-9.]+) s")),
    ("listening", re.compile(rb"listening ([0-9.]+) s after start-up began")),
)


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f == "server.log":
                continue
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:  # removed meanwhile (segment dropped, temp file renamed)
                pass
    return total


def settle_dir(path, quiet=0.5, limit=60.0):
    """Waits until the dir's size has not changed for `quiet` s (<= `limit` s)."""
    t0 = time.monotonic()
    last, since = dir_bytes(path), t0
    while time.monotonic() - t0 < limit:
        time.sleep(0.05)
        cur = dir_bytes(path)
        if cur != last:
            last, since = cur, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
    return False


def logged_load_seconds(srv):
    with open(srv.log_path, "rb") as f:
        found = LOADED_RE.findall(f.read())
    return float(found[-1]) if found else None


def logged_phases(srv):
    """{phase: seconds} from the last start-up's lines (tierkv only)."""
    with open(srv.log_path, "rb") as f:
        log = f.read()
    phases = {}
    for name, pattern in PHASES:
        found = pattern.findall(log)
        if found:
            last = found[-1] if isinstance(found[-1], tuple) else (found[-1],)
            phases[name] = float(last[0])
            if len(last) > 1 and last[1]:
                phases[name + " CPU"] = float(last[1])
    return phases


class Dataset:
    """What the server must hold: N keys, the tail's keys with the second value."""

    def __init__(self, keys, tail, value_size, check):
        self.keys = keys
        self.v1 = tkbench.unique_value_fn(value_size, seed=1)
        self.v2 = tkbench.unique_value_fn(value_size, seed=2)
        rnd = random.Random(3)
        self.tail_ids = sorted(rnd.sample(range(keys), tail))
        tail_set = set(self.tail_ids)
        half = max(1, check // 2)
        from_tail = rnd.sample(self.tail_ids, min(half, len(self.tail_ids)))
        rest = []
        while len(rest) < check - len(from_tail) and len(rest) < keys - len(tail_set):
            i = rnd.randrange(keys)
            if i not in tail_set:
                rest.append(i)
        self.check = [(i, self.v2(i)) for i in from_tail] + [(i, self.v1(i)) for i in rest]

    def available(self, conn):
        """DBSIZE == N and every sampled GET (pipelined) returns its value."""
        if conn.call("DBSIZE") != self.keys:
            return False
        conn.sock.sendall(b"".join(tkbench.encode_command("GET", KEY_FMT % i)
                                   for i, _ in self.check))
        ok = True
        for _, want in self.check:
            ok = (conn.read_reply() == want) and ok
        return ok


def prepare(mode, work, binary, data, a, cpus):
    """Fresh server for `mode`, data written as described; killed at the end.
    Returns the extra args a restart needs."""
    if mode.startswith("tierkv"):
        extra = ["--appendonly", "yes", "--appendfsync", "everysec"]
    elif mode == "redis-aof":
        extra = ["--appendonly", "yes", "--appendfsync", "everysec"]
    else:
        extra = []
    name = "tierkv" if mode.startswith("tierkv") else "redis"
    srv = tkbench.Server(name, binary, work, cpus=cpus, extra_args=extra)
    t0 = time.monotonic()
    deadline = t0 + a.time_limit
    n = tkbench.bulk_load(srv.port, data.keys, KEY_FMT, data.v1, batch=a.batch, deadline=deadline)
    if n != data.keys:
        raise SystemExit(f"error: {mode}: only {n:,} of {data.keys:,} keys loaded in time")
    with srv.conn(timeout=a.time_limit) as c:
        tkbench.wait_round_done(c, a.time_limit)
        if name == "tierkv":
            c.call("SAVE")
        elif mode == "redis-aof":
            c.call("BGREWRITEAOF")
            tkbench.wait_round_done(c, a.time_limit)
    n = tkbench.bulk_load(srv.port, 0, KEY_FMT, data.v2, batch=a.batch, deadline=deadline,
                          ids=data.tail_ids)
    if n != len(data.tail_ids):
        raise SystemExit(f"error: {mode}: only {n:,} of {len(data.tail_ids):,} tail writes in time")
    with srv.conn(timeout=a.time_limit) as c:
        if mode == "redis-rdb":
            c.call("SAVE")
        if not data.available(c):
            raise SystemExit(f"error: {mode}: data check failed before the restart")
        if name == "tierkv":
            wait_journal_durable(c, mode, a.time_limit)
    if not settle_dir(srv.dir):
        print(f"[{mode}] warning: data dir still changing before the kill", file=sys.stderr)
    print(f"[{mode}] {data.keys:,} keys + {len(data.tail_ids):,} tail writes in "
          f"{time.monotonic() - t0:.1f} s; {tkbench.fmt_bytes(dir_bytes(srv.dir))} on disk",
          file=sys.stderr)
    srv.kill()
    if mode == "tierkv-tiered":
        extra = extra + ["--tiering", "yes", "--maxmemory", str(a.budget_mb << 20)]
    return name, extra


def wait_journal_durable(conn, mode, time_limit):
    """Waits until every journaled write is on disk (INFO journal_durable_lsn reaches
    journal_lsn): under everysec a SIGKILL may otherwise lose a queue the writer has not
    caught up with, and a restart that comes back without part of its tail must mean a bug,
    not that."""
    deadline = time.monotonic() + time_limit
    while True:
        info = conn.info("persistence")
        if int(info["journal_durable_lsn"]) >= int(info["journal_lsn"]):
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"error: {mode}: the journal did not reach the disk in time")
        time.sleep(0.05)


def restart_once(name, binary, work, extra, data, a, cpus):
    srv = tkbench.Server(name, binary, work, cpus=cpus, extra_args=extra,
                         ready_timeout=a.time_limit)
    ping_s = srv.ready_at - srv.started_at
    deadline = time.monotonic() + a.time_limit
    with srv.conn(timeout=a.time_limit) as c:
        while not data.available(c):
            if time.monotonic() > deadline:
                raise SystemExit(f"error: {name}: data not all available after {a.time_limit:.0f} s")
            time.sleep(0.005)
    all_s = time.monotonic() - srv.started_at
    rss = srv.rss_bytes()
    logged = logged_load_seconds(srv)
    phases = logged_phases(srv) if name == "tierkv" else {}
    srv.kill()
    return {"ping": ping_s, "all": all_s, "logged": logged, "rss": rss, "phases": phases}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                    help="smoke test: 100,000 keys, 10,000 tail writes")
    ap.add_argument("--keys", type=int, default=None, help="keys (default 1000000)")
    ap.add_argument("--tail", type=int, default=None,
                    help="writes after the snapshot (default 100000, a tenth of the keys)")
    ap.add_argument("--value-sizes", default="100,1000")
    ap.add_argument("--rounds", type=int, default=3, help="restarts per mode and size")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--budget-mb", type=int, default=256, help="maxmemory of tierkv-tiered restarts")
    ap.add_argument("--check", type=int, default=1000, help="GETs in the availability check")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds allowed for each load and each restart (default 600)")
    a = ap.parse_args()
    if a.keys is None:
        a.keys = 100_000 if a.quick else 1_000_000
    if a.tail is None:
        a.tail = a.keys // 10
    sizes = [int(x) for x in a.value_sizes.split(",") if x]
    modes = [m for m in a.modes.split(",") if m]
    if (a.keys <= 0 or not 0 <= a.tail <= a.keys or a.rounds <= 0 or not sizes
            or min(sizes) < 12 or not set(modes) <= set(MODES)):
        ap.error("bad --keys, --tail, --rounds, --value-sizes (>= 12) or --modes")

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    work = tkbench.bench_tmpdir()
    cpus = tkbench.pin_client()
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])

    res = {}
    for size in sizes:
        data = Dataset(a.keys, a.tail, size, a.check)
        for mode in modes:
            binary = bins["tierkv" if mode.startswith("tierkv") else "redis"]
            mdir = os.path.join(work, f"{mode}-{size}")
            os.makedirs(mdir)
            name, extra = prepare(mode, mdir, binary, data, a, cpus)
            disk = dir_bytes(os.path.join(mdir, name))
            runs = []
            for r in range(1, a.rounds + 1):
                runs.append(restart_once(name, binary, mdir, extra, data, a, cpus))
                x = runs[-1]
                print(f"[{mode} {size} B] restart {r}: PONG after {x['ping']:.3f} s, all keys "
                      f"after {x['all']:.3f} s (logged load {x['logged']} s) {x['phases'] or ''}",
                      file=sys.stderr)
            res[(size, mode)] = {"runs": runs, "disk": disk}
            if os.environ.get("KEEP_TMP") != "1":
                shutil.rmtree(mdir, ignore_errors=True)  # 1M x 1000 B is ~1 GiB per mode
    load_end = " ".join(open("/proc/loadavg").read().split()[:3])

    med = lambda k, f: statistics.median(x[f] for x in res[k]["runs"])
    print()
    print(f"{a.keys:,} keys ({len(KEY_FMT % 0)}-byte), snapshot + {a.tail:,} tail writes, SIGKILL, "
          f"restart; medians of {a.rounds} restarts; warm page cache")
    print(f"pin={int(cpus is not None)}; load average {load_start} at start, {load_end} at end")
    hdr = (f"{'value':>6} {'mode':<14}{'on disk':>12}{'to PONG s':>11}{'all keys s':>12}"
           f"{'logged s':>10}{'RSS':>12}{'vs tierkv':>11}")
    print(hdr)
    print("-" * len(hdr))
    for size in sizes:
        for mode in modes:
            k = (size, mode)
            logged = [x["logged"] for x in res[k]["runs"] if x["logged"] is not None]
            rel = ""
            if mode != "tierkv" and (size, "tierkv") in res:
                rel = f"{med((size, 'tierkv'), 'all') / med(k, 'all'):.2f}x"
            print(f"{size:>5}B {mode:<14}{tkbench.fmt_bytes(res[k]['disk']):>12}"
                  f"{med(k, 'ping'):>11.3f}{med(k, 'all'):>12.3f}"
                  f"{(f'{statistics.median(logged):.3f}' if logged else '-'):>10}"
                  f"{med(k, 'rss') / 2**20:>8,.0f} MiB{rel:>11}")
    print("to PONG / all keys = from spawning the server to its first PONG / to DBSIZE and the "
          "sampled GETs\nbeing right; logged = the server's own \"DB loaded from disk\" figure; "
          "vs tierkv = tierkv's\nall-keys time / this mode's (above 1: tierkv is slower)")
    split = [(size, mode) for size in sizes for mode in modes if mode.startswith("tierkv")]
    if split:
        print("tierkv start-up split (the server's log lines, medians, seconds; CPU = the engine "
              "thread's CPU time in that phase):")
        columns = [name for name, _ in PHASES] + [name + " CPU" for name, _ in PHASES[:3]]
        print(f"{'value':>6} {'mode':<14}" + "".join(f"{name:>17}" for name in columns))
        for k in split:
            cells = []
            for name in columns:
                got = [x["phases"][name] for x in res[k]["runs"] if name in x["phases"]]
                cells.append(f"{statistics.median(got):>17.3f}" if got else f"{'-':>17}")
            print(f"{k[0]:>5}B {k[1]:<14}" + "".join(cells))
    for mode in modes:
        if len(sizes) >= 2 and all((s, mode) in res for s in sizes):
            lo, hi = min(sizes), max(sizes)
            print(f"{mode}: all-keys time at {hi} B / at {lo} B values = "
                  f"{med((hi, mode), 'all') / med((lo, mode), 'all'):.2f} "
                  f"(bytes on disk {res[(hi, mode)]['disk'] / res[(lo, mode)]['disk']:.2f}x)")
    for mode in ("tierkv", "tierkv-tiered"):
        if mode in modes:
            worst = max(med((s, mode), "ping") for s in sizes)
            verdict = "meets" if worst <= TARGET_SERVE_S else "misses"
            print(f"{mode} serving (first PONG) after {worst:.3f} s at worst  "
                  f"({verdict} target <= {TARGET_SERVE_S:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
