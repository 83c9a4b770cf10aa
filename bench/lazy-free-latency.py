#!/usr/bin/python3
"""Does freeing a huge value stall other clients? tierkv-server vs redis-server.

For each server in turn (fresh, persistence off) and each operation (UNLINK,
FLUSHALL ASYNC, and DEL as the synchronous contrast): a hash of N fields
(default 10,000,000; "field:%012d" -> 8-byte values, a hashtable encoding) is
loaded, a probe process starts sending PING one at a time and timing every
round trip, then the operation is sent on another connection and the probe
keeps going until INFO reports lazyfree_pending_objects:0 (plus --tail
seconds). We report the operation's own reply time and the probe's p50 /
p99 / worst latency during that window, and an idle baseline.

Noise control as in growth-latency.py: servers on SERVER_CPUS (default CPU 0),
probe and driver on CLIENT_CPUS (default CPU 1); PIN=0 turns pinning off. Note
that the lazy-freeing thread of either server shares the server's CPUs.

Usage: bench/lazy-free-latency.py [--quick] [--fields N] [--ops unlink,flushall,del] [--servers tierkv,redis]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, PIN=0.
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

MAX_PROBES = 2_000_000


def load_hash(port, key, fields, per_command=1000, in_flight=16):
    """HSET `fields` fields into `key`, `per_command` pairs per HSET, pipelined."""
    value = b"v" * 8
    with tkbench.Conn(port, timeout=600) as c:
        done = 0
        while done < fields:
            batch = []
            for _ in range(in_flight):
                if done >= fields:
                    break
                n = min(per_command, fields - done)
                args = ["HSET", key]
                for i in range(done, done + n):
                    args += [b"field:%012d" % i, value]
                batch.append(tkbench.encode_command(*args))
                done += n
            c.sock.sendall(b"".join(batch))
            for _ in batch:
                c.read_reply()


def probe_main(port, cpus, stop, samples, count):
    """Child process: PING, one at a time, until `stop` is set."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    gc.disable()
    conn = tkbench.Conn(port, timeout=60)
    sock, req = conn.sock, tkbench.encode_command("PING")
    n = 0
    while not stop.is_set() and n < MAX_PROBES:
        t0 = time.perf_counter_ns()
        sock.sendall(req)
        got = sock.recv(64)
        while not got.endswith(b"\r\n"):
            got += sock.recv(64)
        samples[n] = time.perf_counter_ns() - t0
        n += 1
        count.value = n
    conn.close()


def probe_window(srv, client_cpus, action, tail_s, timeout_s):
    """Runs `action(conn)` while a probe pings; returns (action seconds, latencies ns)."""
    samples = mp.RawArray("q", MAX_PROBES)
    count = mp.RawValue("q", 0)
    stop = mp.Event()
    proc = mp.Process(target=probe_main, args=(srv.port, client_cpus, stop, samples, count))
    proc.start()
    try:
        deadline = time.monotonic() + 10
        while count.value < 100 and time.monotonic() < deadline:
            time.sleep(0.001)  # the probe is connected and warm
        with srv.conn(timeout=timeout_s) as c:
            t0 = time.monotonic()
            action(c)
            took = time.monotonic() - t0
            end = time.monotonic() + timeout_s
            while int(c.info("memory").get("lazyfree_pending_objects", "0")) > 0 and time.monotonic() < end:
                time.sleep(0.01)
        time.sleep(tail_s)
    finally:
        stop.set()
        proc.join(timeout=30)
    return took, sorted(samples[:count.value])


def pct(values, p):
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))] / 1e6 if values else float("nan")


def report(name, op, took, lat):
    print(f"{name:7s} {op:15s} reply {took * 1000:9.1f} ms   probes {len(lat):7d}   "
          f"p50 {pct(lat, 50):6.3f} ms   p99 {pct(lat, 99):7.3f} ms   worst {pct(lat, 100):8.3f} ms", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fields", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="1,000,000 fields")
    ap.add_argument("--ops", default="unlink,flushall,del")
    ap.add_argument("--tail", type=float, default=0.5, help="seconds probed after the free completes")
    ap.add_argument("--servers", default="tierkv,redis")
    a = ap.parse_args()
    if a.quick or os.environ.get("QUICK") == "1":
        a.fields = 1_000_000
    ops = {"unlink": ("UNLINK big", lambda c: c.call("UNLINK", "big")),
           "flushall": ("FLUSHALL ASYNC", lambda c: c.call("FLUSHALL", "ASYNC")),
           "del": ("DEL (sync)", lambda c: c.call("DEL", "big"))}
    tkbench.install_cleanup()
    server_cpus = tkbench.pin_client()
    client_cpus = tkbench.cpu_sets()[1] if server_cpus else None
    work = tkbench.bench_tmpdir()
    print(f"# {a.fields} fields; ops {a.ops}; pinning {'on' if server_cpus else 'off'}", flush=True)
    for name, binary in tkbench.server_bins().items():
        if name not in a.servers.split(","):
            continue
        srv = tkbench.Server(name, binary, work, cpus=server_cpus)
        try:
            took, lat = probe_window(srv, client_cpus, lambda c: time.sleep(1.0), 0, 60)
            report(name, "idle 1 s", 0, lat)
            for op in a.ops.split(","):
                label, action = ops[op]
                t0 = time.monotonic()
                load_hash(srv.port, "big", a.fields)
                print(f"#   {name}: loaded {a.fields} fields in {time.monotonic() - t0:.1f} s", flush=True)
                took, lat = probe_window(srv, client_cpus, action, a.tail, 600)
                report(name, label, took, lat)
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
