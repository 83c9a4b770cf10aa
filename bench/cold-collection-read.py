#!/usr/bin/python3
"""What one HGET, LINDEX and ZSCORE cost on a large collection whose value is in the tier.

A collection is tiered as one value (docs/ARCHITECTURE.md, "Tiering"), so reading one
element of a cold one reads and decodes all of it. This measures that cost side by side:
  cold      tierkv with `tiering yes`, a 4 MiB budget: every collection has left DRAM
            before it is read (DEBUG OBJECT says tier:cold), so the command waits for
            the whole value to be read back.
  resident  tierkv without a budget: the same collections in DRAM.
  redis     redis-server, the same collections in DRAM.
Per command: the time to the reply (a cold value is read once: it goes back to the
tier afterwards; a resident one 20 times, median), and the bytes the server read
(/proc/PID/io rchar: RocksDB's reads, page cache included). The DRAM a cold read needs is
the whole value's (printed as MEMORY USAGE): it is decoded and installed before the
command runs.

Collections: 100,000 elements each (20,000 with --quick), fields/members of 13 bytes
and values of 32 hex digits; REPEATS collections of each type (median reported).

Usage: bench/cold-collection-read.py [--quick] [--elements N] [--repeats N]
Env: TIERKV_BIN, REDIS_BIN, KEEP_TMP=1.
"""
import argparse
import hashlib
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

BATCH = 1000


def value(i):
    """32 bytes that compress about as well as text does (not a run of one byte)."""
    return hashlib.sha1(str(i).encode()).hexdigest()[:32]

COMMANDS = (
    ("HGET", "hash", lambda key, n: ("HGET", key, f"field:{n // 2:07d}")),
    ("LINDEX", "list", lambda key, n: ("LINDEX", key, n // 2)),
    ("ZSCORE", "zset", lambda key, n: ("ZSCORE", key, f"member:{n // 2:07d}")),
)


def fill(conn, kind, key, n):
    """The collection in commands of BATCH elements each, pipelined."""
    out = []
    for first in range(0, n, BATCH):
        ids = range(first, min(first + BATCH, n))
        if kind == "hash":
            args = ["HSET", key] + [x for i in ids for x in (f"field:{i:07d}", value(i))]
        elif kind == "list":
            args = ["RPUSH", key] + [value(i) for i in ids]
        else:
            args = ["ZADD", key] + [x for i in ids for x in (str(i), f"member:{i:07d}")]
        out.append(tkbench.encode_command(*args))
    conn.sock.sendall(b"".join(out))
    for _ in out:
        conn.read_reply()


def wait_cold(server, keys, deadline_s):
    """Until every key's value has left DRAM; PINGs let demotion run (it runs after
    commands), BGSAVE writes what is still dirty."""
    deadline = time.monotonic() + deadline_s
    with server.conn() as c:
        while time.monotonic() < deadline:
            if all("tier:cold" in c.call("DEBUG", "OBJECT", key) for key in keys):
                return
            try:
                c.call("BGSAVE", "SCHEDULE")
            except tkbench.RespError:
                pass
            time.sleep(0.2)
    raise SystemExit(f"error: values did not leave DRAM within {deadline_s:.0f} s")


def measure(server, args, times):
    """Median time to the reply of `args` over `times` runs (each on a connection that
    has answered a PING already), and the bytes the server read meanwhile."""
    elapsed = []
    io_before = tkbench.proc_io(server.pid)["rchar"]
    with server.conn() as c:
        c.call("PING")
        for _ in range(times):
            started = time.monotonic()
            reply = c.call(*args)
            elapsed.append(time.monotonic() - started)
    if reply is None:
        raise SystemExit(f"error: {server.name}: {args} found nothing")
    io_after = tkbench.proc_io(server.pid)["rchar"]
    return {"ms": statistics.median(elapsed) * 1000, "read": (io_after - io_before) / times}


def run(name, binary, workdir, extra, n, repeats, cold):
    server = tkbench.Server(name, binary, workdir, extra_args=extra)
    try:
        keys = {kind: [f"{kind}:{r}" for r in range(repeats)] for _, kind, _ in COMMANDS}
        with server.conn(timeout=600) as c:
            for kind, names in keys.items():
                for key in names:
                    fill(c, kind, key, n)
        if cold:
            # Loaded under a large budget (a small one would make every batch wait for a
            # checkpoint round of the whole collection), then shrunk so that they leave.
            with server.conn() as c:
                c.call("CONFIG", "SET", "maxmemory", "4mb")
            wait_cold(server, [k for names in keys.values() for k in names], 300)
        results = {}
        for command, kind, make in COMMANDS:
            # A cold value is read once (it goes back to the tier after, being read once);
            # a resident one 20 times.
            runs = [measure(server, make(key, n), 1 if cold else 20) for key in keys[kind]]
            results[command] = {field: statistics.median(r[field] for r in runs) for field in ("ms", "read")}
        with server.conn() as c:
            tiering = c.info("tiering") if cold else {}
            sizes = {kind: c.call("MEMORY", "USAGE", names[0]) for kind, names in keys.items()}
        return results, sizes, tiering
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="20,000 elements per collection")
    ap.add_argument("--elements", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n = a.elements or (20_000 if a.quick else 100_000)

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    workdir = tkbench.bench_tmpdir()
    tier = ["--tier", "rocksdb", "--appendonly", "yes", "--enable-debug-command", "local"]
    configs = [
        ("tierkv-cold", "tierkv", tier + ["--tiering", "yes", "--maxmemory", "1gb"], True),
        ("tierkv-resident", "tierkv", tier, False),
        ("redis", "redis", [], False),
    ]
    print(f"{a.repeats} collections per type of {n:,} elements; median time to the reply")
    print(f"{'server':<16} {'command':<7} {'reply ms':>9} {'bytes read':>11}")
    table = {}
    for label, which, extra, cold in configs:
        results, sizes, tiering = run(label, bins[which], workdir, extra, n, a.repeats, cold)
        table[label] = results
        for command, r in results.items():
            print(f"{label:<16} {command:<7} {r['ms']:>9.3f} {r['read']:>11,.0f}")
        print(f"{'':<16} DRAM per value (MEMORY USAGE): "
              + ", ".join(f"{kind} {size / 1e6:.1f} MB" for kind, size in sizes.items())
              + (f"; cold reads {tiering.get('tier_cold_reads')}" if cold else ""))
    for command, _, _ in COMMANDS:
        cold, resident, redis = (table[k][command]["ms"] for k in ("tierkv-cold", "tierkv-resident", "redis"))
        print(f"{command}: cold/resident {cold / max(resident, 1e-3):.0f}x, cold/redis {cold / max(redis, 1e-3):.0f}x")


if __name__ == "__main__":
    main()
