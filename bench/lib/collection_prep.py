#!/usr/bin/python3
"""Per-run state for redis-benchmark's collection tests, for bench/compare-redis.sh.

redis-benchmark 7.0's collection tests each hit one fixed key; -r only
randomizes element names and scores (__rand_int__ = a 12-digit zero-padded
number below -r; <data> = 'x' * -d):
  lpush, rpush     LPUSH|RPUSH mylist <data>
  lpop, rpop       LPOP|RPOP mylist
  sadd             SADD myset element:__rand_int__
  spop             SPOP myset
  hset             HSET myhash element:__rand_int__ <data>
  zadd             ZADD myzset __rand_int__ element:__rand_int__   (score "0" without -r)
  zpopmin          ZPOPMIN myzset
  lrange_N         N in 100, 300, 500, 600: first LPUSH mylist <data>, as many requests
                   as the test (its own CSV row "LPUSH (needed to benchmark LRANGE)"),
                   then LRANGE mylist 0 N-1 (row "LRANGE_N (first N elements)")

`prepare` puts the test's key in the same state before every run, so that each
round measures the same work on both servers: missing for the tests that add
(lrange fills its list itself), and for the pop tests holding more elements
than the run can pop (redis-benchmark may send up to a pipeline's worth of
requests per client past -n), written as redis-benchmark would have written
them; a pop from a missing key would only measure nil replies.

`probe` runs each test's commands, and the ones `prepare` uses, once on a
scratch key and checks the replies, so that compare-redis.sh can report a test
that a server does not implement yet as unsupported instead of aborting
(redis-benchmark exits on the first error reply).

Tests not listed here (set, get, incr, mset, ...) need neither; `tests` prints
the ones that do.

Usage: collection_prep.py tests
       collection_prep.py probe PORT TEST
       collection_prep.py prepare PORT TEST REQUESTS PIPELINE CLIENTS DATA_SIZE
Exit status: 0 ok; 3 (probe) the server cannot run TEST, reason on stdout;
1 anything else.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tkbench  # noqa: E402

UNSUPPORTED = 3
SCRATCH = "tierkv-bench:probe"
CHUNK = 1000  # elements per fill command

LRANGE_SIZES = (100, 300, 500, 600)

# test -> the key redis-benchmark uses
KEYS = {"lpush": "mylist", "rpush": "mylist", "lpop": "mylist", "rpop": "mylist",
        "sadd": "myset", "spop": "myset", "hset": "myhash",
        "zadd": "myzset", "zpopmin": "myzset"}
KEYS.update({f"lrange_{n}": "mylist" for n in LRANGE_SIZES})


def member(i):
    return b"element:%012d" % i


# pop test -> (fill command, count command, args(i, data) for element i)
FILLS = {
    "lpop": ("RPUSH", "LLEN", lambda i, data: (data,)),
    "rpop": ("RPUSH", "LLEN", lambda i, data: (data,)),
    "spop": ("SADD", "SCARD", lambda i, data: (member(i),)),
    "zpopmin": ("ZADD", "ZCARD", lambda i, data: (b"%d" % i, member(i))),
}


def probes(test):
    """[(command args, check(reply) -> bool)] that exercise what `test` and its
    `prepare` send, on the scratch key."""
    k = SCRATCH
    is_int = lambda want: (lambda r: r == want)
    if test in ("lpush", "rpush"):
        return [((test.upper(), k, "x"), is_int(1))]
    if test == "lpop":
        return [(("RPUSH", k, "a", "b", "c"), is_int(3)), (("LPOP", k), lambda r: r == b"a"),
                (("LLEN", k), is_int(2))]
    if test == "rpop":
        return [(("RPUSH", k, "a", "b", "c"), is_int(3)), (("RPOP", k), lambda r: r == b"c"),
                (("LLEN", k), is_int(2))]
    if test == "sadd":
        return [(("SADD", k, "element:1"), is_int(1))]
    if test == "spop":
        return [(("SADD", k, "a", "b", "c"), is_int(3)),
                (("SPOP", k), lambda r: r in (b"a", b"b", b"c")), (("SCARD", k), is_int(2))]
    if test == "hset":
        return [(("HSET", k, "element:1", "x"), is_int(1))]
    if test == "zadd":
        return [(("ZADD", k, "5", "element:1"), is_int(1))]
    if test == "zpopmin":
        return [(("ZADD", k, "2", "b", "1", "a", "3", "c"), is_int(3)),
                (("ZPOPMIN", k), lambda r: r == [b"a", b"1"]), (("ZCARD", k), is_int(2))]
    if test.startswith("lrange_"):
        n = int(test.split("_")[1])
        return [(("LPUSH", k, "x"), is_int(1)), (("LRANGE", k, "0", str(n - 1)),
                                                 lambda r: r == [b"x"])]
    return []


def probe(port, test):
    with tkbench.Conn(port, timeout=30) as c:
        args = ("DEL", SCRATCH)
        try:
            c.call(*args)
            for args, check in probes(test):
                reply = c.call(*args)
                if not check(reply):
                    return f"{' '.join(args)} replied {reply!r}"
        except (tkbench.RespError, OSError) as e:
            # Redis's unknown-command error goes on to quote the arguments.
            return f"{args[0]}: {str(e).split(', with args')[0]}"
        finally:
            try:
                c.call("DEL", SCRATCH)
            except (tkbench.RespError, OSError):
                pass
    return None


def prepare(port, test, requests, pipeline, clients, data_size):
    key = KEYS[test]
    with tkbench.Conn(port, timeout=120) as c:
        c.call("DEL", key)
        if test not in FILLS:
            return
        fill_cmd, count_cmd, element = FILLS[test]
        total = requests + pipeline * clients + 1000
        data = b"x" * data_size
        done = 0
        while done < total:
            n = min(CHUNK, total - done)
            args = [a for i in range(done, done + n) for a in element(i, data)]
            reply = c.call(fill_cmd, key, *args)
            # RPUSH answers the new length; SADD and ZADD the number added.
            want = done + n if fill_cmd == "RPUSH" else n
            if reply != want:
                raise SystemExit(f"prepare {test}: {fill_cmd} replied {reply}, expected {want}")
            done += n
        got = c.call(count_cmd, key)
        if got != total:
            raise SystemExit(f"prepare {test}: {count_cmd} {key} is {got}, expected {total}")


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["tests"] and len(argv) == 1:
        print(" ".join(KEYS))
        return 0
    if argv[:1] == ["probe"] and len(argv) == 3:
        port, test = int(argv[1]), argv[2].lower()
        why = probe(port, test) if test in KEYS else None
        if why:
            print(why)
            return UNSUPPORTED
        return 0
    if argv[:1] == ["prepare"] and len(argv) == 7:
        test = argv[2].lower()
        if test in KEYS:
            prepare(int(argv[1]), test, *(int(x) for x in argv[3:]))
        return 0
    print("usage: collection_prep.py tests | probe PORT TEST | "
          "prepare PORT TEST REQUESTS PIPELINE CLIENTS DATA_SIZE", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
