"""The model behind the crash test: writer threads that record every write they send
and every reply they get, and the checks that compare a recovered server with it.

Why per-thread key spaces: each writer owns its keys and sends one batch at a time on
one connection, so its writes reach the server, and the journal, in the order it sent
them. The journal is recovered as a prefix (a torn tail is cut, nothing in the middle
may go missing), so after a crash each writer's keys must show exactly the state after
the first c of its writes, for some cut c:
  - c covers every acknowledged write (appendfsync always), or every write acknowledged
    more than EVERYSEC_WINDOW_S before the kill (everysec);
  - writes past c were in flight or (everysec) inside the window;
  - a multi-key write (MSET, MULTI/EXEC, RENAME, DEL of several keys) is one journal
    record, so a cut never splits it;
  - across writers, no hole: if writer A's write was acknowledged before writer B's
    write was sent, B's may survive only if A's did.
Short-TTL keys are kept out of the cut (they may expire at any moment) and checked on
their own; long TTLs must come back with the same absolute expiry. Short-TTL chains
(crash_model_short_chains.py) are short-TTL keys of every type written again after their
TTL was set, which expire while the server is down.

Thread-safety: a Writer is used by its own thread while the server runs and by the main
thread between runs (the thread has been joined).
"""
import random
import threading
import time

import redis

from crash_model_collections import CollectionOps, read_collections
from crash_model_db_ops import DbOps, read_db_ops
from crash_model_short_chains import ShortChainOps, read_short_chains

# A SIGKILL under everysec may lose only records the journal thread had not yet written
# (the periodic fdatasync runs on its own thread and never holds writes back): normally
# well under a millisecond; 5 ms passed repeatedly. The margin is for a starved thread on
# a loaded 2-core CI machine under ASan. (A power loss may lose up to ~1-2 s; SIGKILL
# cannot test that.)
EVERYSEC_WINDOW_S = 1.0
TTL_SLACK_MS = 5  # server ms clock vs client float clock
CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
PAD_SIZES = (0, 0, 16, 64, 256, 1024, 2048)  # value padding: journal volume for rounds


def wall_ms():
    return time.time() * 1000.0


def short(value, width=48):
    if value is None:
        return "(absent)"
    text = str(value)
    return text if len(text) <= width else f"{text[:width]}...({len(text)} bytes)"


class Op:
    """One command (or one MULTI/EXEC) as the model sees it.

    effects: tracked key -> (value, ttl) after the op, or None when the op deletes it;
             ttl is None (persistent), ("rel", op, ms) (set by `op`, ms from when it ran)
             or ("abs", unix_ms) (known exactly).
    shorts:  short-TTL key -> (value, ttl_ms) written by the op.
    """

    def __init__(self, kind, text):
        self.kind = kind
        self.text = text
        self.effects = {}
        self.shorts = {}
        self.reply = None
        self.normalize = lambda reply: reply  # redis-py's reply -> the form of self.reply
        self.issue = None  # issue(target): queues / sends the command on a client or pipeline
        self.index = 0     # 1-based position in the writer's op list of this cycle
        self.send_mono = self.send_wall = None
        self.ack_mono = self.ack_wall = None

    @property
    def acked(self):
        return self.ack_mono is not None

    def describe(self, kill_mono=None):
        when = ""
        if kill_mono is not None:
            sent = (self.send_mono - kill_mono) * 1000
            when = f" sent {sent:+.0f} ms"
            if self.acked:
                when += f", acknowledged {(self.ack_mono - kill_mono) * 1000:+.0f} ms (relative to the kill)"
            else:
                when += ", not acknowledged"
        return f"op #{self.index} {self.text}{when}"


def ttl_window(ttl, kill_wall):
    """(earliest, latest) absolute expiry in unix ms, or None for no TTL."""
    if ttl is None:
        return None
    if ttl[0] == "abs":
        return ttl[1], ttl[1]
    op, ms = ttl[1], ttl[2]
    ran_by = op.ack_wall if op.acked else kill_wall
    return op.send_wall + ms - TTL_SLACK_MS, ran_by + ms + TTL_SLACK_MS


def apply_effects(state, effects):
    for key, new in effects.items():
        if new is None:
            state.pop(key, None)
        else:
            state[key] = new


class Writer(CollectionOps, ShortChainOps, DbOps):
    """One writer thread's keys, its model and its ops of the current cycle. The string
    ops are here, the collection ops in crash_model_collections.py, the short-TTL chains
    in crash_model_short_chains.py, SWAPDB/FLUSHDB/MOVE/RENAME/COPY across two dbs of its
    own in crash_model_db_ops.py."""

    make_op = Op

    def __init__(self, tid):
        self.tid = tid
        p = f"w{tid}:"
        self.plain = [f"{p}plain{i}" for i in range(8)]
        self.long = [f"{p}long{i}" for i in range(8)]
        self.counters = [f"{p}ctr{i}" for i in range(3)]
        self.mset_groups = [[f"{p}mset{j}:{x}" for x in "abcd"] for j in range(2)]
        # MULTI groups: three keys share a generation (the third with a TTL) and a counter
        # counts the transactions.
        self.multi_groups = [[f"{p}multi{j}:{x}" for x in ("a", "b", "c", "n")] for j in range(2)]
        self.rename_pairs = [(f"{p}ren{j}:src", f"{p}ren{j}:dst") for j in range(2)]
        self.shorts = [f"{p}short{i}" for i in range(6)]
        self.init_collections()
        self.init_short_chains()
        self.base = {}        # tracked key -> (value, ttl) recovered at the start of the cycle
        self.short_base = {}  # short key (chains too) -> (value, expiry unix ms)
        self.state = {}       # base + every op generated so far
        self.ops = []
        self.errors = []
        self.cycle = 0
        self.seq = 0

    # -- keys -------------------------------------------------------------------------
    def tracked_keys(self):
        return self.string_keys() + self.collection_keys() + self.db_keys()

    def string_keys(self):
        keys = self.plain + self.long + self.counters
        for group in self.mset_groups + self.multi_groups:
            keys += group
        for src, dst in self.rename_pairs:
            keys += [src, dst]
        return keys

    def counter_keys(self):
        return self.counters + [group[3] for group in self.multi_groups]

    def begin_cycle(self, cycle):
        self.cycle = cycle
        self.state = dict(self.base)
        self.ops = []
        self.errors = []

    # -- op generation (updates self.state as if the op ran) ---------------------------
    def _value(self, rng, tag):
        self.seq += 1
        return f"{tag}{self.tid}.{self.cycle}.{self.seq}|" + "x" * rng.choice(PAD_SIZES)

    def _set_effect(self, op, key, value, ttl):
        op.effects[key] = (value, ttl)
        self.state[key] = (value, ttl)

    def gen_set_plain(self, rng):
        key, value = rng.choice(self.plain), self._value(rng, "v")
        op = Op("set", f"SET {key}")
        self._set_effect(op, key, value, None)
        op.reply = True
        op.issue = lambda t: t.set(key, value)
        return op

    def gen_set_long(self, rng):
        key, value = rng.choice(self.long), self._value(rng, "v")
        if rng.random() < 0.5:
            seconds = rng.randint(1000, 3600)
            op = Op("set", f"SET {key} EX {seconds}")
            op.issue = lambda t: t.set(key, value, ex=seconds)
            ms = seconds * 1000
        else:
            ms = rng.randint(1_000_000, 3_600_000)
            op = Op("set", f"SET {key} PX {ms}")
            op.issue = lambda t: t.set(key, value, px=ms)
        self._set_effect(op, key, value, ("rel", op, ms))
        op.reply = True
        return op

    def gen_set_short(self, rng):
        key, value, ms = rng.choice(self.shorts), self._value(rng, "s"), rng.randint(20, 150)
        op = Op("set-short", f"SET {key} PX {ms}")
        op.shorts[key] = (value, ms)
        op.reply = True
        op.issue = lambda t: t.set(key, value, px=ms)
        return op

    def gen_incr(self, rng):
        key = rng.choice(self.counters)
        current = self.state.get(key)
        count = (int(current[0]) if current else 0) + 1
        op = Op("incr", f"INCR {key}")
        self._set_effect(op, key, str(count), None)
        op.reply = count
        op.issue = lambda t: t.incr(key)
        return op

    def gen_mset(self, rng):
        group, gen = rng.choice(self.mset_groups), self._value(rng, "g")
        op = Op("mset", f"MSET {' '.join(group)} (generation {short(gen, 20)})")
        for key in group:
            self._set_effect(op, key, gen, None)
        op.reply = True
        op.issue = lambda t: t.mset({key: gen for key in group})
        return op

    def gen_del(self, rng):
        pool = self.plain + self.long + [key for pair in self.rename_pairs for key in pair]
        existing = [key for key in pool if key in self.state]
        if not existing:
            return self.gen_set_plain(rng)
        keys = rng.sample(existing, rng.randint(1, min(3, len(existing))))
        missing = [key for key in pool if key not in self.state]
        if missing and rng.random() < 0.3:
            keys.append(rng.choice(missing))
        op = Op("del", f"DEL {' '.join(keys)}")
        for key in keys:
            if key in self.state:
                op.effects[key] = None
                del self.state[key]
        op.reply = len(op.effects)
        op.issue = lambda t: t.delete(*keys)
        return op

    def gen_rename(self, rng):
        src, dst = rng.choice(self.rename_pairs)
        if src not in self.state:
            value = self._value(rng, "r")
            if rng.random() < 0.5:
                op = Op("set", f"SET {src}")
                self._set_effect(op, src, value, None)
                op.issue = lambda t: t.set(src, value)
            else:
                op = Op("set", f"SET {src} EX 3000")
                self._set_effect(op, src, value, ("rel", op, 3_000_000))
                op.issue = lambda t: t.set(src, value, ex=3000)
            op.reply = True
            return op
        op = Op("rename", f"RENAME {src} {dst}")
        moved = self.state[src]
        op.effects[src] = None
        del self.state[src]
        self._set_effect(op, dst, moved[0], moved[1])
        op.reply = True
        op.issue = lambda t: t.rename(src, dst)
        return op

    def gen_multi(self, rng):
        """MULTI; SET a g; SET b g; SET c g EX s; INCR n; EXEC (sent as a redis-py
        transaction pipeline)."""
        a, b, c, n = rng.choice(self.multi_groups)
        gen, seconds = self._value(rng, "m"), rng.randint(1000, 3600)
        current = self.state.get(n)
        count = (int(current[0]) if current else 0) + 1
        op = Op("multi", f"MULTI SET {a} SET {b} SET {c} EX {seconds} INCR {n} EXEC "
                         f"(generation {short(gen, 20)})")
        self._set_effect(op, a, gen, None)
        self._set_effect(op, b, gen, None)
        self._set_effect(op, c, gen, ("rel", op, seconds * 1000))
        self._set_effect(op, n, str(count), None)
        op.reply = [True, True, True, count]

        def issue(pipe):
            pipe.set(a, gen)
            pipe.set(b, gen)
            pipe.set(c, gen, ex=seconds)
            pipe.incr(n)
        op.issue = issue
        return op

    def gen_simple(self, rng):
        if rng.random() < 0.5:
            return self.gen_collection(rng)
        makers = (self.gen_set_plain, self.gen_set_long, self.gen_set_short, self.gen_incr,
                  self.gen_mset, self.gen_del, self.gen_rename)
        weights = (20, 12, 8, 15, 8, 8, 10)
        return rng.choices(makers, weights)[0](rng)

    # -- the thread -------------------------------------------------------------------
    def run(self, port, seed, barrier, stop, deadline, max_ops=100_000):
        """Writes until the connection breaks (the kill), `stop`, `deadline` or max_ops."""
        rng = random.Random(seed)
        client = None
        try:
            client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True,
                                 socket_timeout=30, socket_connect_timeout=10)
            client.ping()
        except CONNECTION_ERRORS as error:
            self.errors.append(f"writer {self.tid} could not connect: {error!r}")
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            self.errors.append(f"writer {self.tid}: start barrier broken")
            return
        if client is None or self.errors:
            return
        try:
            while not stop.is_set() and len(self.ops) < max_ops and time.monotonic() < deadline:
                roll = rng.random()
                if roll < 0.05:
                    batch, mode = [self.gen_multi(rng)], "multi"
                elif roll < 0.1:
                    batch, mode = [self.gen_mixed_multi(rng)], "multi"
                elif roll < 0.14:
                    batch, mode = [self.gen_short_chain(rng)], "multi"
                elif roll < 0.24:
                    batch, mode = [self.gen_db_op(rng)], "multi"
                elif roll < 0.40:
                    batch, mode = [self.gen_simple(rng) for _ in range(rng.randint(2, 6))], "pipeline"
                else:
                    batch, mode = [self.gen_simple(rng)], "single"
                if not self._send(client, batch, mode):
                    return
        finally:
            client.close()

    def _send(self, client, batch, mode):
        """Sends one batch and checks its replies; False when the thread must stop."""
        send_mono, send_wall = time.monotonic(), wall_ms()
        for op in batch:
            self.ops.append(op)
            op.index = len(self.ops)
            op.send_mono, op.send_wall = send_mono, send_wall
        try:
            if mode == "single":
                replies = [batch[0].issue(client)]
            else:
                pipe = client.pipeline(transaction=(mode == "multi"))
                for op in batch:
                    op.issue(pipe)
                replies = pipe.execute()
                if mode == "multi":
                    replies = [replies]
        except CONNECTION_ERRORS:
            return False  # the kill: this batch is in flight
        except redis.ResponseError as error:
            self.errors.append(f"writer {self.tid}: error reply to {batch[0].describe()}: {error}")
            return False
        ack_mono, ack_wall = time.monotonic(), wall_ms()
        for op, reply in zip(batch, replies):
            op.ack_mono, op.ack_wall = ack_mono, ack_wall
            if op.normalize(reply) != op.reply:
                self.errors.append(f"writer {self.tid}: {op.describe()} replied {reply!r}, "
                                   f"the model expected {op.reply!r}")
                return False
        return True

    # -- checks after the restart ------------------------------------------------------
    def required_index(self, fsync, kill_mono):
        """The last op that must have survived (0: only the base)."""
        limit = kill_mono - EVERYSEC_WINDOW_S if fsync == "everysec" else float("inf")
        required = 0
        for op in self.ops:
            if op.acked and op.ack_mono <= limit:
                required = op.index
        return required

    def state_after(self, cut):
        state = dict(self.base)
        for op in self.ops[:cut]:
            apply_effects(state, op.effects)
        return state

    def key_histories(self):
        """key -> [(op index, value after it)], starting with (0, base value)."""
        histories = {key: [(0, self.base.get(key, (None,))[0])] for key in self.tracked_keys()}
        for op in self.ops:
            for key, new in op.effects.items():
                histories[key].append((op.index, None if new is None else new[0]))
        return histories

    def matching_cuts(self, recovered):
        """Every c such that base + ops[:c] gives exactly the recovered tracked keys."""
        state = dict(self.base)
        wrong = {key for key in self.tracked_keys()
                 if state.get(key, (None,))[0] != recovered[key]}
        cuts = [0] if not wrong else []
        for op in self.ops:
            apply_effects(state, op.effects)
            for key in op.effects:
                if state.get(key, (None,))[0] == recovered[key]:
                    wrong.discard(key)
                else:
                    wrong.add(key)
            if not wrong:
                cuts.append(op.index)
        return cuts

    def ttl_problems(self, state, kill, expiries):
        """What is wrong with the recovered TTLs if the state is `state` (empty: none)."""
        problems = []
        for key in self.tracked_keys():
            if key not in state:
                continue
            window, got = ttl_window(state[key][1], kill.wall), expiries[key]
            if window is None and got != -1:
                problems.append(f"writer {self.tid}: {key} has no TTL in the model but PEXPIRETIME {got}")
            elif window is not None and not window[0] <= got <= window[1]:
                problems.append(f"writer {self.tid}: {key} PEXPIRETIME {got}, expected within "
                                f"[{window[0]:.0f}, {window[1]:.0f}]")
        return problems

    def ttl_matching_cuts(self, cuts, kill, expiries):
        """The cuts among `cuts` (ascending) whose state also has the recovered TTLs."""
        timed, state, done = [], dict(self.base), 0
        for cut in cuts:
            for op in self.ops[done:cut]:
                apply_effects(state, op.effects)
            done = cut
            if not self.ttl_problems(state, kill, expiries):
                timed.append(cut)
        return timed

    def closest_cut_report(self, recovered, kill_mono):
        """For a failure message: the cut with the fewest wrong keys and what is wrong."""
        best = None
        state = dict(self.base)
        for cut in range(len(self.ops) + 1):
            if cut > 0:
                apply_effects(state, self.ops[cut - 1].effects)
            wrong = [key for key in self.tracked_keys()
                     if state.get(key, (None,))[0] != recovered[key]]
            if best is None or len(wrong) < len(best[1]):
                best = (cut, wrong, {key: state.get(key, (None,))[0] for key in wrong})
        cut, wrong, expected = best
        lines = [f"closest cut: after op #{cut} of {len(self.ops)}, {len(wrong)} keys differ:"]
        for key in wrong[:8]:
            lines.append(f"  {key}: recovered {short(recovered[key], 400)}, model {short(expected[key], 400)}")
        for op in self.ops[max(cut - 3, 0):cut + 3]:
            lines.append(f"  {op.describe(kill_mono)}")
        return "\n".join(lines)

    def verify(self, fsync, kill, recovered, expiries, check_wall):
        """Checks the recovered tracked and short keys against the model. Returns
        (failures, (lowest, highest) matching cut or None, stats)."""
        failures = []
        tag = f"writer {self.tid}"
        required = self.required_index(fsync, kill.mono)
        histories = self.key_histories()

        # Per key: the value of the last write that must have survived, or a later one.
        for key, history in histories.items():
            position = max(i for i, (index, _) in enumerate(history) if index <= required)
            allowed = [value for _, value in history[position:]]
            if recovered[key] not in allowed:
                index, value = history[position]
                cause = self.ops[index - 1].describe(kill.mono) if index else "the recovered base"
                failures.append(f"{tag}: {key} recovered {short(recovered[key])}; it must hold "
                                f"{short(value)} (from {cause}) or a later value sent "
                                f"({len(allowed) - 1} later writes)")

        # Counters: between the acknowledged and the sent count.
        for key in self.counter_keys():
            history = histories[key]
            position = max(i for i, (index, _) in enumerate(history) if index <= required)
            low = int(history[position][1] or 0)
            high = max(int(value or 0) for _, value in history)
            got = int(recovered[key] or 0)
            if not low <= got <= high:
                failures.append(f"{tag}: counter {key} is {got}, outside [{low}, {high}] "
                                f"(must-survive count, sent count)")

        # Transactions: all keys of one MSET / MULTI carry one generation.
        for group in self.mset_groups + [g[:3] for g in self.multi_groups]:
            values = {recovered[key] for key in group}
            if len(values) > 1:
                failures.append(f"{tag}: transaction keys {group} are split: " +
                                ", ".join(f"{key}={short(recovered[key], 24)}" for key in group))

        # The whole state: one cut of this writer's ops. EXPIRE / PERSIST change only a
        # TTL, so the values alone may match several cuts around one: keep those whose
        # TTLs match too (the same absolute expiry, or none).
        cuts = self.matching_cuts(recovered)
        if cuts:
            timed = self.ttl_matching_cuts(cuts, kill, expiries)
            if not timed:
                failures += self.ttl_problems(self.state_after(cuts[-1]), kill, expiries)
            cuts = timed or cuts
        if not cuts:
            failures.append(f"{tag}: the recovered keys match no prefix of the writes "
                            f"(a write lost from the middle, or half a transaction):\n"
                            + self.closest_cut_report(recovered, kill.mono))
        elif cuts[-1] < required:
            failures.append(f"{tag}: recovered state is from before op #{cuts[-1] + 1}, but "
                            f"{self.ops[required - 1].describe(kill.mono)} must have survived")

        failures += self._verify_shorts(required, kill, recovered, expiries, check_wall)
        stats = {
            "ops": len(self.ops),
            "acked": sum(op.acked for op in self.ops),
            "in_flight": sum(not op.acked for op in self.ops),
            "must_survive": required,
            "acked_lost": sum(op.acked for op in self.ops[cuts[-1]:]) if cuts else 0,
        }
        lost_ages = [kill.mono - op.ack_mono for op in self.ops[cuts[-1]:] if op.acked] if cuts else []
        stats["acked_lost_max_age_ms"] = int(max(lost_ages, default=0) * 1000)
        return failures, ((cuts[0], cuts[-1]) if cuts else None), stats

    def short_keys(self):
        return self.shorts + sorted(self.short_chains)

    def _verify_shorts(self, required, kill, recovered, expiries, check_wall):
        failures = []
        for key in self.short_keys():
            # Candidates: the base and every write, from the last one that must survive on.
            candidates = []
            if key in self.short_base:
                value, expiry = self.short_base[key]
                candidates.append((0, value, (expiry, expiry), "the recovered base"))
            for op in self.ops:
                if key in op.shorts:
                    value, ms = op.shorts[key]
                    window = ttl_window(("rel", op, ms), kill.wall)
                    candidates.append((op.index, value, window, op.describe(kill.mono)))
            before = [c for c in candidates if c[0] <= required]
            allowed = candidates[candidates.index(before[-1]):] if before else candidates
            got, expiry = recovered[key], expiries[key]
            if got is not None:
                match = [c for c in allowed if c[1] == got]
                if not match:
                    failures.append(f"writer {self.tid}: short-TTL {key} recovered {short(got)}, which is "
                                    f"not a value it may hold")
                elif expiry == -2 and match[0][2][0] <= check_wall[1] + TTL_SLACK_MS:
                    pass  # expired between its GET and its PEXPIRETIME (each reads its own clock)
                elif not match[0][2][0] <= expiry <= match[0][2][1]:
                    failures.append(f"writer {self.tid}: short-TTL {key} PEXPIRETIME {expiry}, "
                                    f"expected within {match[0][2]} ({match[0][3]})")
                elif expiry <= check_wall[0] - TTL_SLACK_MS:
                    failures.append(f"writer {self.tid}: short-TTL {key} expired at {expiry} "
                                    f"but is still there after the restart")
            elif before and all(c[2][0] > check_wall[1] + TTL_SLACK_MS for c in allowed):
                # Gone, though neither the write that must have survived nor any later
                # one can have expired by the time GET ran.
                failures.append(f"writer {self.tid}: short-TTL {key} is missing, but "
                                f"{before[-1][3]} set it to expire only at {before[-1][2][0]:.0f}, "
                                f"after the check ({check_wall[1]:.0f})")
        return failures

    def adopt(self, recovered, expiries):
        """The recovered state becomes the base of the next cycle."""
        self.base = {}
        for key in self.tracked_keys():
            if recovered[key] is not None:
                ttl = None if expiries[key] == -1 else ("abs", expiries[key])
                self.base[key] = (recovered[key], ttl)
        self.short_base = {key: (recovered[key], expiries[key])
                           for key in self.short_keys() if recovered[key] is not None}


def cross_writer_holes(writers, cuts, kill_mono):
    """No hole across writers: a write acknowledged before another write was sent is
    lost only if that later write is lost too."""
    survivors, lost = [], []
    for writer in writers:
        low, high = cuts[writer.tid]
        if low > 0:
            survivors.append((writer.ops[low - 1].send_mono, writer))
        if high < len(writer.ops) and writer.ops[high].acked:
            lost.append((writer.ops[high].ack_mono, writer))
    if not survivors or not lost:
        return []
    latest_sent, survivor = max(survivors, key=lambda item: item[0])
    earliest_acked, loser = min(lost, key=lambda item: item[0])
    if earliest_acked >= latest_sent:
        return []
    return [f"hole in the recovered journal: writer {loser.tid}'s "
            f"{loser.ops[cuts[loser.tid][1]].describe(kill_mono)} is lost, but writer "
            f"{survivor.tid}'s {survivor.ops[cuts[survivor.tid][0] - 1].describe(kill_mono)}, "
            f"sent after that acknowledgement, survived"]


def read_recovered(client, writers):
    """Every key of every writer: its value (strings by GET, collections by TYPE and then
    their own reads, as crash_model_collections.py's tagged values), its PEXPIRETIME,
    and the keys the server has."""
    strings = [key for writer in writers for key in writer.string_keys() + writer.shorts]
    collections = [key for writer in writers for key in writer.collection_keys()]
    pipe = client.pipeline(transaction=False)
    for key in strings:
        pipe.get(key)
        pipe.execute_command("PEXPIRETIME", key)
    for key in collections:
        pipe.type(key)
        pipe.execute_command("PEXPIRETIME", key)
    started = wall_ms()
    replies = pipe.execute(raise_on_error=False)  # GET of a key of another type: WRONGTYPE
    chain_values, chain_expiries = read_short_chains(client, writers)
    check_wall = (started, wall_ms())  # the GETs (and the chains' reads) ran within this interval
    keys = strings + collections
    values = {key: replies[2 * i] for i, key in enumerate(keys)}
    for key, value in values.items():
        if isinstance(value, Exception):
            values[key] = ("error", str(value))
    expiries = {key: replies[2 * i + 1] for i, key in enumerate(keys)}
    values.update(read_collections(client, {key: values[key] for key in collections}))
    values.update(chain_values)
    expiries.update(chain_expiries)
    present = set(client.keys("*"))
    db_values, db_expiries, db_present = read_db_ops(client, writers)
    values.update(db_values)
    expiries.update(db_expiries)
    return values, expiries, present | db_present, check_wall
