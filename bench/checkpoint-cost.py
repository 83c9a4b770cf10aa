#!/usr/bin/python3
"""Checkpoint cost after a small change: bytes and time of a SAVE that follows
a change to 1% of the keys, tierkv-server vs redis-server.

For each server in turn: load N keys (default 1,000,000; "key:%012d", 1024-byte
unique, incompressible values), SAVE once (the baseline: everything is on
disk), then for each round (default 3): overwrite a random 1% of the keys with
new values of the same size, wait for the server's disk writes to settle, and
SAVE again. Per round we record the SAVE's wall time and the server's
/proc/PID/io write_bytes delta across it (bytes the process sent towards the
disk, counted when pages are dirtied: RocksDB SST files, MANIFEST, and for
Redis the new RDB file), then the further write_bytes until the disk writes
settle again (RocksDB compactions the round set off), and for tierkv INFO
persistence last_checkpoint_bytes (key + value bytes the round handed to the
tier). Reported: medians over rounds and each figure / changed bytes
(changed keys x value size). Target (docs/BENCHMARKS.md): tierkv writes within
2x the changed bytes. Redis rewrites the whole dataset on every SAVE.

tierkv runs with its defaults (journal on, appendfsync everysec) plus
--save "": the journal's own writes for the changes happen before the SAVE
and are reported separately (journal). With --appendonly no it runs without a
journal, so that every SAVE is a point-in-time round (staged in the tier, then
moved into place by its commit). Redis runs with RDB only (--appendonly no).
Servers run one at a time.

Usage: bench/checkpoint-cost.py [--quick] [--keys N] [--value-size B] [--rounds R] [--appendonly no]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, PIN=0, KEEP_TMP=1.
"""
import argparse
import os
import random
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

KEY_FMT = "key:%012d"      # 16 bytes
TARGET_RATIO = 2.0         # docs/BENCHMARKS.md: checkpoint writes <= 2x changed bytes


def settle_writes(pid, quiet=1.0, limit=60.0):
    """Waits until the process's write_bytes has not moved for `quiet` s (at most
    `limit` s); returns (write_bytes, seconds waited, settled?)."""
    t0 = time.monotonic()
    last = tkbench.proc_io(pid)["write_bytes"]
    still_since = t0
    while True:
        time.sleep(0.1)
        now = time.monotonic()
        cur = tkbench.proc_io(pid)["write_bytes"]
        if cur != last:
            last, still_since = cur, now
        elif now - still_since >= quiet:
            return cur, now - t0, True
        if now - t0 >= limit:
            return cur, now - t0, False


def timed_save(srv, timeout):
    """SAVE; returns (seconds, write_bytes delta, write_bytes after, INFO
    persistence after)."""
    with srv.conn(timeout=timeout) as c:
        tkbench.wait_round_done(c, timeout)
        w0 = tkbench.proc_io(srv.pid)["write_bytes"]
        t0 = time.monotonic()
        reply = c.call("SAVE")
        dt = time.monotonic() - t0
        w1 = tkbench.proc_io(srv.pid)["write_bytes"]
        if reply != "OK":
            raise SystemExit(f"error: {srv.name}: SAVE replied {reply!r}")
        return dt, w1 - w0, w1, c.info("persistence")


def run_server(name, binary, work, a, cpus):
    # Server() starts both with --save "" --appendonly no; tierkv gets its
    # journal back (its default) unless --appendonly no, Redis stays RDB-only.
    extra = ["--appendonly", "yes", "--appendfsync", "everysec"] if name == "tierkv" and a.appendonly == "yes" else []
    srv = tkbench.Server(name, binary, work, cpus=cpus, extra_args=extra)
    print(f"[{name}] {binary} pid {srv.pid} port {srv.port} dir {srv.dir}", file=sys.stderr)
    value_fn = tkbench.unique_value_fn(a.value_size, seed=1)
    t0 = time.monotonic()
    loaded = tkbench.bulk_load(srv.port, a.keys, KEY_FMT, value_fn, batch=a.batch,
                               deadline=t0 + a.time_limit)
    if loaded != a.keys:
        raise SystemExit(f"error: {name}: only {loaded:,} of {a.keys:,} keys loaded "
                         f"within {a.time_limit:.0f} s")
    print(f"[{name}] loaded {a.keys:,} keys in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    settle_writes(srv.pid, limit=a.settle_limit)
    base_s, base_w, _, _ = timed_save(srv, a.time_limit)
    print(f"[{name}] baseline SAVE: {base_s:.2f} s, {tkbench.fmt_bytes(base_w)} written",
          file=sys.stderr)

    changed = max(1, int(a.keys * a.change_pct / 100))
    rounds = []
    for r in range(1, (a.rounds if name == "tierkv" else a.redis_rounds) + 1):
        _, waited, ok = settle_writes(srv.pid, limit=a.settle_limit)
        if not ok:
            print(f"[{name}] warning: disk writes still running after {waited:.0f} s",
                  file=sys.stderr)
        ids = sorted(random.Random(r).sample(range(a.keys), changed))
        j0 = tkbench.proc_io(srv.pid)["write_bytes"]
        done = tkbench.bulk_load(srv.port, 0, KEY_FMT, tkbench.unique_value_fn(a.value_size, seed=100 + r),
                                 batch=a.batch, deadline=time.monotonic() + a.time_limit, ids=ids)
        if done != changed:
            raise SystemExit(f"error: {name}: changed only {done:,} of {changed:,} keys")
        # The changes' own writes (tierkv's journal) land before the SAVE.
        j1, _, _ = settle_writes(srv.pid, quiet=0.5, limit=a.settle_limit)
        secs, written, w_saved, info = timed_save(srv, a.time_limit)
        # Background work the SAVE set off (RocksDB compactions) counts too.
        w_settled, _, _ = settle_writes(srv.pid, quiet=2.0, limit=a.settle_limit)
        rounds.append({"secs": secs, "written": written, "journal": j1 - j0,
                       "background": w_settled - w_saved,
                       "ckpt_bytes": int(info.get("last_checkpoint_bytes", 0) or 0),
                       "ckpt_keys": int(info.get("last_checkpoint_keys", 0) or 0)})
        print(f"[{name}] round {r}: {changed:,} keys changed; SAVE {secs:.3f} s, "
              f"{tkbench.fmt_bytes(written)} written during SAVE", file=sys.stderr)
    srv.assert_alive()
    with srv.conn() as c:
        dbsize = c.call("DBSIZE")
        tier_bytes = c.info("persistence").get("tier_bytes")
    if dbsize != a.keys:
        raise SystemExit(f"error: {name}: DBSIZE {dbsize}, expected {a.keys}")
    srv.stop()
    return {"changed": changed, "rounds": rounds, "base_s": base_s, "base_w": base_w,
            "tier_bytes": int(tier_bytes) if tier_bytes is not None else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                    help="smoke test: 100,000 keys")
    ap.add_argument("--keys", type=int, default=None, help="keys to load (default 1000000)")
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--change-pct", type=float, default=1.0, help="%% of keys changed per round")
    ap.add_argument("--rounds", type=int, default=8,
                    help="change + SAVE rounds for tierkv (default 8: RocksDB compacts every few "
                         "rounds, and the mean shows that cost spread over rounds)")
    ap.add_argument("--redis-rounds", type=int, default=3,
                    help="rounds for Redis (default 3; every SAVE rewrites everything)")
    ap.add_argument("--batch", type=int, default=500, help="SETs per pipelined round trip")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds allowed for the load and for each SAVE (default 600)")
    ap.add_argument("--settle-limit", type=float, default=60.0,
                    help="longest wait for a server's disk writes to settle (default 60 s)")
    ap.add_argument("--servers", default="tierkv,redis")
    ap.add_argument("--appendonly", choices=("yes", "no"), default="yes",
                    help="tierkv's journal (no: every SAVE is a point-in-time round)")
    a = ap.parse_args()
    if a.keys is None:
        a.keys = 100_000 if a.quick else 1_000_000
    names = [s for s in a.servers.split(",") if s]
    if (a.keys <= 0 or a.value_size <= 0 or a.rounds <= 0 or a.redis_rounds <= 0
            or not set(names) <= {"tierkv", "redis"}):
        ap.error("bad --keys, --value-size, --rounds, --redis-rounds or --servers")

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    work = tkbench.bench_tmpdir()
    cpus = tkbench.pin_client()
    load_start = open("/proc/loadavg").read().split()[:3]
    res = {name: run_server(name, bins[name], work, a, cpus) for name in names}
    load_end = open("/proc/loadavg").read().split()[:3]

    changed = res[names[0]]["changed"]
    changed_bytes = changed * a.value_size
    for r in res.values():
        for x in r["rounds"]:
            x["total"] = x["written"] + x["background"]
    med = lambda name, k: statistics.median(x[k] for x in res[name]["rounds"])
    mean = lambda name, k: statistics.mean(x[k] for x in res[name]["rounds"])
    fb = tkbench.fmt_bytes
    print()
    print(f"tierkv appendonly {a.appendonly}; {a.keys:,} keys x {a.value_size} B values; per round {changed:,} keys "
          f"({a.change_pct:g}%) overwritten, then SAVE; changed bytes = {changed:,} x "
          f"{a.value_size} B = {fb(changed_bytes)}")
    print(f"data dirs under {work} ({fs_of(work)}); load average {' '.join(load_start)} "
          f"at start, {' '.join(load_end)} at end")
    hdr = (f"{'server':<8}{'rounds':>7}{'baseline SAVE':>20}{'SAVE s':>8}{'SAVE wr':>11}{'x':>7}"
           f"{'SAVE+bg':>11}{'x':>7}{'mean':>11}{'x':>7}{'ckpt bytes':>12}{'journal':>11}")
    print(hdr)
    print("-" * len(hdr))
    for name in names:
        r = res[name]
        ck = fb(med(name, "ckpt_bytes")) if name == "tierkv" else "-"
        print(f"{name:<8}{len(r['rounds']):>7}{r['base_s']:>8.2f} s {fb(r['base_w']):>10}"
              f"{med(name, 'secs'):>8.3f}"
              f"{fb(med(name, 'written')):>11}{med(name, 'written') / changed_bytes:>7.2f}"
              f"{fb(med(name, 'total')):>11}{med(name, 'total') / changed_bytes:>7.2f}"
              f"{fb(mean(name, 'total')):>11}{mean(name, 'total') / changed_bytes:>7.2f}"
              f"{ck:>12}{fb(med(name, 'journal')):>11}")
    print("medians over rounds except `mean`; SAVE wr = /proc/PID/io write_bytes during the SAVE;\n"
          "SAVE+bg = that plus further write_bytes until the server's writes were still for 2 s\n"
          "(RocksDB compactions the SAVE set off); mean = SAVE+bg averaged over rounds (compactions\n"
          "spread out); x = bytes / changed bytes; ckpt bytes = INFO last_checkpoint_bytes (key +\n"
          "value bytes the round gave the tier); journal = write_bytes while the changes were made")
    for name in names:
        print(f"{name} rounds (SAVE s, SAVE wr + bg): " + "; ".join(
            f"{x['secs']:.3f} s {fb(x['written'])} + {fb(x['background'])}"
            for x in res[name]["rounds"]))
    if "tierkv" in res and "redis" in res:
        print(f"ratio tierkv/redis: bytes per round (median SAVE+bg) "
              f"{med('tierkv', 'total') / med('redis', 'total'):.3f}, (mean) "
              f"{mean('tierkv', 'total') / mean('redis', 'total'):.3f}; SAVE time "
              f"{med('tierkv', 'secs') / med('redis', 'secs'):.3f}")
    if "tierkv" in res:
        for label, x in (("median round", med("tierkv", "total") / changed_bytes),
                         ("mean over rounds", mean("tierkv", "total") / changed_bytes)):
            verdict = "meets" if x <= TARGET_RATIO else "misses"
            print(f"tierkv bytes written per changed byte, {label}: {x:.2f}  "
                  f"({verdict} target <= {TARGET_RATIO:g})")
    return 0


def fs_of(path):
    st = os.statvfs(path)
    dev = os.stat(path).st_dev
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            major, minor = (int(x) for x in parts[2].split(":"))
            if os.makedev(major, minor) == dev:
                fstype = parts[parts.index("-") + 1]
                return f"{fstype} on {parts[4]}, {st.f_bavail * st.f_frsize / 2**30:.0f} GiB free"
    return "?"


if __name__ == "__main__":
    sys.exit(main())
