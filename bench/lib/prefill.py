#!/usr/bin/python3
"""Prefill a server with redis-benchmark's keyspace so that every measured
round runs against the same, full dataset (otherwise the first round's SETs
grow the table while later rounds overwrite, which shows up as round-to-round
spread).

redis-benchmark -r N replaces __rand_int__ with a 12-digit zero-padded number
in [0, N); its SET/GET/MSET keys are key:__rand_int__ and its INCR keys
counter:__rand_int__. We SET key:%012d to the same value redis-benchmark
writes ('x' * data size) and counter:%012d to 0, for every i < N.

Usage: prefill.py PORT KEYSPACE DATA_SIZE
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tkbench  # noqa: E402


def main():
    port, keyspace, data_size = (int(x) for x in sys.argv[1:4])
    deadline = time.monotonic() + 600
    value = b"x" * data_size
    n = tkbench.bulk_load(port, keyspace, "key:%012d", lambda i: value, deadline=deadline)
    n += tkbench.bulk_load(port, keyspace, "counter:%012d", lambda i: b"0", deadline=deadline)
    if n != 2 * keyspace:
        sys.exit(f"prefill: only {n} of {2 * keyspace} keys written before the time limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
