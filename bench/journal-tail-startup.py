#!/usr/bin/python3
"""Start-up time of tierkv-server with a journal whose last record is a large value, whole
or damaged: the torn-tail check must cost no more than reading a clean journal.

One data dir is prepared: 200 small keys, then SET of one --value-mb value (default 64 MiB),
appendfsync always, SIGKILL. Copies of its journal are then damaged per variant:
  clean    as written;
  cut      the newest segment cut 1 KiB before its end (the whole value is a torn tail);
  zeros    the second half of the value's bytes zero-filled (pages that never reached the
           disk): a bad frame, then a search of what follows;
  hole     one zero-filled 4 KiB page in the middle of the value, the rest intact: a bad
           frame followed by 32 MiB of good frames that the search must walk.
For each variant, --rounds times (default 3): restore the copy, start the server, and time
from spawning the process to the first PONG (tierkv listens once recovery is done).
Medians are printed with the journal's size. Warm page cache (files just written).

Usage: bench/journal-tail-startup.py [--value-mb 64] [--rounds 3]
Env: TIERKV_BIN, PIN=0, KEEP_TMP=1.
"""
import argparse
import glob
import os
import shutil
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

ARGS = ["--appendonly", "yes", "--appendfsync", "always"]
VARIANTS = ("clean", "cut", "zeros", "hole")


def newest_segment(data_dir):
    return sorted(glob.glob(os.path.join(data_dir, "journal", "journal-*.log")))[-1]


def damage(segment, variant, value_from):
    size = os.path.getsize(segment)
    if variant == "cut":
        os.truncate(segment, size - 1024)
    elif variant == "zeros":
        middle = value_from + (size - value_from) // 2
        with open(segment, "r+b") as f:
            f.seek(middle)
            f.write(b"\0" * (size - middle))
    elif variant == "hole":
        page = (value_from + (size - value_from) // 2) // 4096 * 4096
        with open(segment, "r+b") as f:
            f.seek(page)
            f.write(b"\0" * 4096)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--value-mb", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    tkbench.install_cleanup()
    binary = tkbench.tierkv_bin()
    work = tkbench.bench_tmpdir()
    cpus = tkbench.pin_client()

    srv = tkbench.Server("tierkv", binary, work, cpus=cpus, extra_args=ARGS)
    with srv.conn() as c:
        for i in range(200):
            c.call("SET", f"small:{i}", f"value {i}")
        value_from = os.path.getsize(newest_segment(srv.dir))
        c.call("SET", "large", os.urandom(1 << 20) * a.value_mb)
    srv.kill()
    pristine = os.path.join(work, "pristine")
    shutil.copytree(srv.dir, pristine)

    print(f"journal: {tkbench.fmt_bytes(os.path.getsize(newest_segment(pristine)))}, "
          f"value {a.value_mb} MiB; load {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print("| journal | to first PONG (s), median | runs |")
    print("|---|---:|---|")
    for variant in VARIANTS:
        runs = []
        for _ in range(a.rounds):
            shutil.rmtree(srv.dir)
            shutil.copytree(pristine, srv.dir)
            damage(newest_segment(srv.dir), variant, value_from)
            restarted = tkbench.Server("tierkv", binary, work, cpus=cpus, extra_args=ARGS, ready_timeout=600)
            runs.append(restarted.ready_at - restarted.started_at)
            with restarted.conn() as c:
                if c.call("GET", "small:199") != b"value 199":
                    raise SystemExit(f"error: {variant}: an acknowledged write is missing")
            restarted.kill()
        print(f"| {variant} | {statistics.median(runs):.3f} | {', '.join(f'{r:.3f}' for r in runs)} |")


if __name__ == "__main__":
    main()
