#!/usr/bin/python3
"""How long does a checkpoint round stall other clients when one key holds a huge list?

Starts tierkv-server (no save rules, no round on journal size, appendfsync no, a fresh
data directory), so that the only round is the one measured; loads one
list of about --mb MiB (elements of --element bytes, RPUSH 1000 at a time, pipelined),
then a probe process sends PING one at a time and times every round trip while BGSAVE
runs a round that serializes the list (on the engine thread, a bounded step at a time,
other commands running between the steps). Reports
the round's duration and the probe's p50 / p99 / worst latency during it.

Usage: bench/checkpoint-huge-value-stall.py [--mb 256] [--element 128]
Env: TIERKV_BIN (default build/bin/tierkv-server).
"""
import argparse
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import tempfile
import time

import redis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(port, stop, out):
    client = redis.Redis(port=port)
    samples = []
    while not stop.is_set() and len(samples) < 5_000_000:
        started = time.perf_counter()
        client.ping()
        samples.append(time.perf_counter() - started)
    out.put(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--element", type=int, default=128)
    args = parser.parse_args()
    binary = os.environ.get("TIERKV_BIN", "build/bin/tierkv-server")
    data = tempfile.mkdtemp(prefix="tierkv-stall-")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", data, "--save", "",
                               "--appendfsync", "no", "--journal-max-size", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(500):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.01)
        elements = args.mb * (1 << 20) // args.element
        value = b"x" * args.element
        pipe = client.pipeline(transaction=False)
        for start in range(0, elements, 1000):
            pipe.rpush("huge", *([value] * min(1000, elements - start)))
            if (start // 1000) % 16 == 15:
                pipe.execute()
        pipe.execute()
        print(f"list of {client.llen('huge')} elements of {args.element} bytes")
        stop, out = mp.Event(), mp.Queue()
        prober = mp.Process(target=probe, args=(port, stop, out))
        prober.start()
        time.sleep(0.5)  # baseline samples before the round
        started = time.perf_counter()
        client.bgsave()
        while client.info("persistence")["rdb_bgsave_in_progress"]:
            time.sleep(0.01)
        round_seconds = time.perf_counter() - started
        stop.set()
        samples = sorted(out.get())
        prober.join()
        ms = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000  # noqa: E731
        print(f"round {round_seconds:.2f} s; PING p50 {ms(0.5):.3f} ms, p99 {ms(0.99):.3f} ms, "
              f"worst {samples[-1] * 1000:.1f} ms over {len(samples)} probes")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
