#!/usr/bin/python3
"""Memory per collection element: tierkv-server vs redis-server.

Shapes (full size; --quick loads 1/100 of the keys, or of the entries for the
stream, with the same elements per key, so the encodings are the same):
  hashes   100,000 keys x 10 fields      HSET hash:%08d field:J val:%08d ...
  zsets     10,000 keys x 1,000 members  ZADD zset:%06d <random int score> member:%06d ...
  lists     10,000 keys x 1,000 elements RPUSH list:%06d item:%08d ...
  sets      10,000 keys x 1,000 members  SADD set:%06d member:%06d ...
  stream    1 key x 1,000,000 entries    XADD stream:0 * user <N> n <N>
Element strings are 7-13 bytes, not integers (no intset or integer listpack
entries for members); an element is a hash field with its value, a member, a
list element or a stream entry.

For each shape and each server in turn, on a fresh server (persistence off,
as bench/memory.py starts it; one server at a time keeps RAM and noise low):
probe the shape's commands on a scratch key (a server that rejects them is
reported "unsupported" for that shape and the run goes on), record INFO memory
`used_memory` and /proc/PID/status VmRSS, load the shape through the protocol
(variadic commands of --chunk elements, --batch commands per pipelined round
trip, every reply checked, bounded by --time-limit), check DBSIZE and the
length of three sample keys, and report (loaded - empty) / elements for both
metrics, the sample key's MEMORY USAGE (SAMPLES 0) per element and its OBJECT
ENCODING, and the tierkv/redis ratios (target: used_memory <= 0.8x Redis).

Usage: bench/collection-memory.py [--quick] [--shapes hashes,zsets,...]
Env: TIERKV_BIN, REDIS_BIN, TIERKV_ARGS / REDIS_ARGS, QUICK=1, KEEP_TMP=1.
Exit status: 0 when every shape was measured or reported unsupported; 1 when a
load failed (error reply, wrong count, server exit, time limit).
"""
import argparse
import itertools
import os
import random
import shutil
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tkbench  # noqa: E402

TARGET_RATIO = 0.80   # issue 4 / docs/BENCHMARKS.md: used_memory <= 0.8x Redis per element
SERVERS = ("tierkv", "redis")
SCRATCH = b"tierkv-bench:probe"
ANY_BULK = None       # expected reply: any bulk string (XADD's new ID)


class Shape:
    """One benchmark shape: how to build it and how to check it."""

    def __init__(self, name, desc, keys, per_key, key_fmt, cmd, elem, len_cmd, probe,
                 reply_is_length=False):
        self.name, self.desc = name, desc
        self.keys, self.per_key = keys, per_key
        self.key_fmt = key_fmt        # bytes % key number
        self.cmd = cmd                # the variadic write command
        self.elem = elem              # elem(rnd, key number, element number) -> args
        self.len_cmd = len_cmd        # HLEN, ZCARD, ...
        self.probe = probe            # [(args, expected reply)] on the scratch key
        self.reply_is_length = reply_is_length  # RPUSH answers the new length

    @property
    def title(self):
        return self.desc.format(keys=self.keys, per_key=self.per_key)

    @property
    def elements(self):
        return self.keys * self.per_key

    def commands(self, chunk):
        """Yields (args, expected reply, elements) for the whole shape."""
        rnd = random.Random(1)  # the same scores for both servers
        if self.cmd == b"XADD":
            for j in range(self.per_key):
                yield [b"XADD", self.key_fmt % 0, b"*"] + self.elem(rnd, 0, j), ANY_BULK, 1
            return
        for i in range(self.keys):
            key = self.key_fmt % i
            for start in range(0, self.per_key, chunk):
                n = min(chunk, self.per_key - start)
                args = [self.cmd, key]
                for j in range(start, start + n):
                    args += self.elem(rnd, i, j)
                yield args, (start + n if self.reply_is_length else n), n


def make_shapes(scale):
    """The shapes at 1/scale of the full number of keys (stream: entries)."""
    k = lambda n: max(1, n // scale)
    return [
        Shape("hashes", "{keys:,} hashes x {per_key} fields ('field:J' 7 B, values 12 B)",
              k(100_000), 10, b"hash:%08d", b"HSET",
              lambda rnd, i, j: [b"field:%d" % j, b"val:%08d" % ((i * 10 + j) % 10**8)],
              b"HLEN", [([b"HSET", SCRATCH, b"f1", b"v1", b"f2", b"v2"], 2),
                        ([b"HLEN", SCRATCH], 2)]),
        Shape("zsets", "{keys:,} sorted sets x {per_key:,} members (13 B, random integer scores)",
              k(10_000), 1000, b"zset:%06d", b"ZADD",
              lambda rnd, i, j: [b"%d" % rnd.randrange(10**9), b"member:%06d" % j],
              b"ZCARD", [([b"ZADD", SCRATCH, b"1", b"a", b"2", b"b"], 2),
                         ([b"ZCARD", SCRATCH], 2)]),
        Shape("lists", "{keys:,} lists x {per_key:,} elements (13 B)",
              k(10_000), 1000, b"list:%06d", b"RPUSH",
              lambda rnd, i, j: [b"item:%08d" % j],
              b"LLEN", [([b"RPUSH", SCRATCH, b"a", b"b"], 2), ([b"LLEN", SCRATCH], 2)],
              reply_is_length=True),
        Shape("sets", "{keys:,} sets x {per_key:,} members (13 B)",
              k(10_000), 1000, b"set:%06d", b"SADD",
              lambda rnd, i, j: [b"member:%06d" % j],
              b"SCARD", [([b"SADD", SCRATCH, b"a", b"b"], 2), ([b"SCARD", SCRATCH], 2)]),
        Shape("stream", "{keys} stream x {per_key:,} entries (XADD * user <N> n <N>)",
              1, k(1_000_000), b"stream:%d", b"XADD",
              lambda rnd, i, j: [b"user", b"%d" % (j % 100_000), b"n", b"%d" % j],
              b"XLEN", [([b"XADD", SCRATCH, b"*", b"a", b"1", b"b", b"2"], ANY_BULK),
                        ([b"XLEN", SCRATCH], 1)]),
    ]


class LoadError(Exception):
    pass


def reply_ok(reply, want):
    return isinstance(reply, bytes) if want is ANY_BULK else reply == want


def short_error(e):
    # Redis's unknown-command error goes on to quote the arguments.
    return str(e).split(", with args")[0]


def probe(srv, shape):
    """None if the server runs the shape's commands, else the reason."""
    with srv.conn(timeout=30) as c:
        args = [b"DEL", SCRATCH]
        try:
            c.call(*args)
            for args, want in shape.probe:
                reply = c.call(*args)
                if not reply_ok(reply, want):
                    return f"{args[0].decode()} replied {reply!r}"
            c.call(b"DEL", SCRATCH)
        except (tkbench.RespError, OSError) as e:
            return f"{args[0].decode()}: {short_error(e)}"
    return None


def load(srv, shape, chunk, batch, deadline):
    """Sends the shape's commands, `batch` per round trip, reading and checking
    every reply. Returns the elements written; raises LoadError."""
    elements = 0
    commands = shape.commands(chunk)
    with srv.conn(timeout=120) as c:
        while True:
            part = list(itertools.islice(commands, batch))
            if not part:
                return elements
            if time.monotonic() > deadline:
                raise LoadError(f"time limit reached after {elements:,} of "
                                f"{shape.elements:,} elements")
            try:
                c.sock.sendall(b"".join(tkbench.encode_command(*a) for a, _, _ in part))
                first_bad = None
                for args, want, _ in part:  # read all replies, even after an error
                    try:
                        reply = c.read_reply()
                    except tkbench.RespError as e:  # an error reply, or the connection closed
                        first_bad = first_bad or f"{args[0].decode()}: {short_error(e)}"
                        continue
                    if not reply_ok(reply, want) and first_bad is None:
                        first_bad = f"{args[0].decode()} replied {reply!r}, expected {want!r}"
            except OSError as e:
                raise LoadError(f"connection: {e}")
            if first_bad:
                raise LoadError(first_bad)
            elements += sum(n for _, _, n in part)


def settle(srv, seconds=1.0):
    """Give the allocator a moment (jemalloc background purge, lazy frees)."""
    time.sleep(seconds)
    with srv.conn() as c:
        c.call("PING")


def snapshot(srv):
    with srv.conn() as c:
        used = c.info("memory").get("used_memory")
        dbsize = c.call("DBSIZE")
    return {"used": int(used) if used is not None else None, "rss": srv.rss_bytes(),
            "dbsize": dbsize}


def sample_keys(shape):
    return sorted({0, shape.keys // 2, shape.keys - 1})


def optional(c, *args):
    """A reply, or None if the server rejects the command (OBJECT, MEMORY)."""
    try:
        r = c.call(*args)
    except tkbench.RespError:
        return None
    return r.decode() if isinstance(r, bytes) else r


def check_and_sample(srv, shape):
    """Checks DBSIZE and sample lengths; returns (encoding, MEMORY USAGE) of key 0."""
    with srv.conn() as c:
        dbsize = c.call("DBSIZE")
        if dbsize != shape.keys:
            raise LoadError(f"DBSIZE is {dbsize}, expected {shape.keys}")
        for i in sample_keys(shape):
            key = shape.key_fmt % i
            n = c.call(shape.len_cmd, key)
            if n != shape.per_key:
                raise LoadError(f"{shape.len_cmd.decode()} {key.decode()} is {n}, "
                                f"expected {shape.per_key}")
        key = shape.key_fmt % 0
        return optional(c, "OBJECT", "ENCODING", key), optional(c, "MEMORY", "USAGE", key,
                                                                "SAMPLES", "0")


def measure(name, binary, shape, a, work):
    """One server, one shape. Returns a result dict with 'status' ok /
    unsupported / failed."""
    res = {"status": "failed"}
    srv = tkbench.Server(name, binary, os.path.join(work, shape.name))
    try:
        why = probe(srv, shape)
        if why:
            return {"status": "unsupported", "why": why}
        settle(srv)
        base = snapshot(srv)
        t0 = time.monotonic()
        try:
            loaded = load(srv, shape, a.chunk, a.batch, t0 + a.time_limit)
            res["load_s"] = time.monotonic() - t0
            settle(srv)
            after = snapshot(srv)
            res["encoding"], res["memory_usage"] = check_and_sample(srv, shape)
        except (LoadError, tkbench.RespError, OSError) as e:
            srv.assert_alive()  # a crash says so (SystemExit) rather than as a load error
            res["why"] = str(e)
            return res
        srv.assert_alive()
        res.update(status="ok", loaded=loaded, base=base, after=after)
        per = lambda k: ((after[k] - base[k]) / loaded
                         if after[k] is not None and base[k] is not None else None)
        res["used_per"], res["rss_per"] = per("used"), per("rss")
        mu = res["memory_usage"]
        res["mu_per"] = mu / shape.per_key if isinstance(mu, int) else None
        return res
    except SystemExit as e:
        if not isinstance(e.code, str):  # a signal or exit status: stop here
            raise
        res["why"] = e.code.splitlines()[0]  # the server exited: go on with the next
        return res
    finally:
        srv.kill()   # SIGKILL: the data is thrown away, so no shutdown save
        if os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(srv.dir, ignore_errors=True)


def fmt(v, spec=".1f"):
    return "n/a" if v is None else format(v, spec)


def ratio(results, k):
    t, r = (results.get(s, {}) for s in SERVERS)
    if t.get("status") != "ok" or r.get("status") != "ok":
        return None
    return t[k] / r[k] if t.get(k) is not None and r.get(k) else None


def print_shape(shape, results):
    print()
    print(f"== {shape.name}: {shape.title} = {shape.elements:,} elements; "
          f"per element = (loaded - empty) / elements")
    hdr = (f"{'server':<8}{'used_memory B/el':>17}{'RSS B/el':>10}{'MEMORY USAGE B/el':>19}"
           f"  {'encoding':<11}{'load s':>8}")
    print(hdr)
    print("-" * len(hdr))
    for s in SERVERS:
        r = results.get(s)
        if r is None:
            continue
        if r["status"] != "ok":
            print(f"{s:<8}{r['status']}: {r.get('why', '')}")
            continue
        print(f"{s:<8}{fmt(r['used_per']):>17}{fmt(r['rss_per']):>10}{fmt(r['mu_per']):>19}"
              f"  {str(r['encoding']):<11}{r['load_s']:>8.1f}")
    for k, label in (("used_per", "used_memory"), ("rss_per", "VmRSS")):
        x = ratio(results, k)
        if x is None:
            print(f"ratio tierkv/redis {label:<12} n/a")
            continue
        verdict = "" if k != "used_per" else (
            f"  ({'meets' if x <= TARGET_RATIO else 'misses'} target <= {TARGET_RATIO})")
        print(f"ratio tierkv/redis {label:<12} {x:.2f}{verdict}")


def cell(r, k):
    if r is None:
        return "not run"
    if r["status"] != "ok":
        return r["status"]
    return fmt(r[k])


def print_summary(shapes, all_results, a):
    print()
    print("summary (bytes per element; ratio = tierkv/redis used_memory, "
          f"target <= {TARGET_RATIO})")
    hdr = (f"{'shape':<8}{'elements':>12}{'tierkv':>13}{'redis':>13}{'ratio':>7}"
           f"  {'encoding tierkv / redis'}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for shape in shapes:
        res = all_results[shape.name]
        t, r = res.get("tierkv"), res.get("redis")
        x = ratio(res, "used_per")
        enc = " / ".join(str(v.get("encoding")) if v and v["status"] == "ok" else "-"
                         for v in (t, r))
        print(f"{shape.name:<8}{shape.elements:>12,}{cell(t, 'used_per'):>13}"
              f"{cell(r, 'used_per'):>13}{fmt(x, '.2f'):>6}{'!' if x and x > TARGET_RATIO else ' '}"
              f"  {enc}")
        rows.append((shape, t, r, x, enc))
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| run | shape | elements | tierkv used_memory B/el | tierkv RSS B/el "
                    "| redis used_memory B/el | redis RSS B/el | used_memory ratio "
                    "| RSS ratio | encoding tierkv / redis |\n")
            f.write("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
            for shape, t, r, x, enc in rows:
                f.write(f"| {a.label} | {shape.name} | {shape.elements:,} "
                        f"| {cell(t, 'used_per')} | {cell(t, 'rss_per')} "
                        f"| {cell(r, 'used_per')} | {cell(r, 'rss_per')} "
                        f"| {fmt(x, '.2f')} | {fmt(ratio(all_results[shape.name], 'rss_per'), '.2f')} "
                        f"| {enc} |\n")
        print(f"markdown table in {a.markdown}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                    help="1/100 of the keys (stream: entries), same elements per key")
    ap.add_argument("--shapes", default="hashes,zsets,lists,sets,stream",
                    help="comma-separated subset of hashes,zsets,lists,sets,stream")
    ap.add_argument("--servers", default="tierkv,redis")
    ap.add_argument("--chunk", type=int, default=100, help="elements per write command")
    ap.add_argument("--batch", type=int, default=100, help="commands per pipelined round trip")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="seconds allowed per load (one shape, one server; default 600)")
    ap.add_argument("--markdown", help="also write the summary as a markdown table here")
    ap.add_argument("--label", default="tierkv", help="first column of the markdown rows")
    a = ap.parse_args()
    if a.chunk <= 0 or a.batch <= 0 or a.time_limit <= 0:
        ap.error("--chunk, --batch and --time-limit must be positive")
    all_shapes = make_shapes(100 if a.quick else 1)
    by_name = {s.name: s for s in all_shapes}
    wanted = [x for x in a.shapes.split(",") if x]
    unknown = [x for x in wanted if x not in by_name]
    servers = [x for x in a.servers.split(",") if x]
    if unknown or not wanted or not servers or any(s not in SERVERS for s in servers):
        ap.error(f"--shapes from {','.join(by_name)}; --servers from {','.join(SERVERS)}")
    shapes = [by_name[x] for x in wanted]

    tkbench.install_cleanup()
    bins = tkbench.server_bins()
    work = tkbench.bench_tmpdir()
    print(f"tierkv: {bins['tierkv']}\nredis:  {bins['redis']}", file=sys.stderr)

    all_results = {}
    failed = False
    for shape in shapes:
        all_results[shape.name] = results = {}
        for name in servers:
            t0 = time.monotonic()
            r = measure(name, bins[name], shape, a, work)
            results[name] = r
            failed |= r["status"] == "failed"
            what = (f"{fmt(r['used_per'])} B/element used_memory" if r["status"] == "ok"
                    else f"{r['status']}: {r.get('why', '')}")
            print(f"[{name}] {shape.name}: {what} ({time.monotonic() - t0:.1f} s)",
                  file=sys.stderr)
        print_shape(shape, results)
    print_summary(shapes, all_results, a)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
