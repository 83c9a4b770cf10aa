"""The crash model's short-TTL chains: a key of every type that gets a TTL of about a
hundred milliseconds and is then written again, so that it expires while the server is
down (test_crash_recovery.py waits out SHORT_CHAIN_MAX_MS after each kill).

Why: replay must rebuild the pre-crash state, expired keys included, and only then let
expiry act. An effect recorded before its key expired (the second write below) must
land on that key; if replay dropped the key when it met the expiry already past, the
second write would recreate it, partial and without a TTL, and it would never expire.

One op is one MULTI/EXEC, so the model knows the key's value after it exactly whatever
the timing (no key expires inside EXEC):
  string  SET k v PX ms | SET k v + PEXPIRE k ms, then APPEND k +a, SETRANGE k 0 S
  other   DEL k, a first write, PEXPIRE k ms, a second write (HSET, RPUSH, SADD, ZADD,
          XADD with explicit IDs, PFADD)
Each is journaled as its own effects (the string ones too), in one record. They are
checked as the other short-TTL keys are (crash_model.Writer._verify_shorts): present
only with a value it may hold and an expiry in that write's window, gone once expired.

Values are type-tagged as read_short_chains reads them: a string, ("hash", frozenset),
("list", tuple), ("set", frozenset), ("zset", ((member, score), ...)), ("stream",
((id, ((field, value),)), ...)), ("hll", count). A chain key is never empty, so an
empty read means the key is gone.

Thread-safety: as Writer (its own thread while the server runs, the main thread between).
"""
SHORT_CHAIN_MS = (40, 120)  # TTLs: far longer than one EXEC; each restart waits out the longest
SHORT_CHAIN_MAX_MS = SHORT_CHAIN_MS[1]
SHORT_CHAIN_TYPES = ("string", "hash", "list", "set", "zset", "stream", "hll")


def _first_and_second_writes(kind, key, first, second):
    """(commands, their model value) of the two writes around the TTL, and which replies
    to ignore (PFADD's answer depends on the registers the elements hash to)."""
    if kind == "hash":
        return ([("HSET", key, "f1", first)], [("HSET", key, "f2", second)],
                ("hash", frozenset({("f1", first), ("f2", second)})), False)
    if kind == "list":
        return [("RPUSH", key, first)], [("RPUSH", key, second)], ("list", (first, second)), False
    if kind == "set":
        return [("SADD", key, first)], [("SADD", key, second)], ("set", frozenset({first, second})), False
    if kind == "zset":
        return ([("ZADD", key, "1", first)], [("ZADD", key, "2", second)],
                ("zset", ((first, 1.0), (second, 2.0))), False)
    if kind == "stream":
        return ([("XADD", key, "1-1", "f", first)], [("XADD", key, "2-1", "f", second)],
                ("stream", (("1-1", (("f", first),)), ("2-1", (("f", second),)))), False)
    assert kind == "hll", kind
    return [("PFADD", key, first, "x")], [("PFADD", key, second)], ("hll", 3), True


class ShortChainOps:
    """The short-TTL chains of a Writer (needs self.tid, self.seq, self.cycle and
    self.make_op)."""

    def init_short_chains(self):
        self.short_chains = {f"w{self.tid}:chain:{kind}": kind for kind in SHORT_CHAIN_TYPES}

    def _chain_token(self, tag):
        self.seq += 1
        return f"{tag}{self.tid}.{self.cycle}.{self.seq}"

    def gen_short_chain(self, rng):
        key = rng.choice(sorted(self.short_chains))
        kind = self.short_chains[key]
        ms = rng.randint(*SHORT_CHAIN_MS)
        first, second = self._chain_token("c"), self._chain_token("d")
        if kind == "string":
            if rng.random() < 0.5:
                commands = [("SET", key, first, "PX", str(ms))]
            else:
                commands = [("SET", key, first), ("PEXPIRE", key, str(ms))]
            commands += [("APPEND", key, "+" + second), ("SETRANGE", key, "0", "S")]
            value, ignored = "S" + first[1:] + "+" + second, set()
        else:
            before, after, value, ignore_adds = _first_and_second_writes(kind, key, first, second)
            commands = [("DEL", key)] + before + [("PEXPIRE", key, str(ms))] + after
            ignored = {0} | ({1, 3} if ignore_adds else set())  # DEL: the key may have expired
        op = self.make_op("short-chain", "MULTI " + "; ".join(" ".join(c[:2]) for c in commands) +
                          f" EXEC (TTL {ms} ms)")
        op.shorts[key] = (value, ms)
        op.reply = [None if i in ignored else reply for i, reply in enumerate(_chain_replies(commands))]
        op.normalize = lambda got: [None if i in ignored else reply for i, reply in enumerate(got)]

        def issue(pipe):
            for command in commands:
                pipe.execute_command(*command)
        op.issue = issue
        return op


def _chain_replies(commands):
    """What redis-py answers to each command of a chain (execute_command applies the
    reply callbacks of the command's name); DEL's and PFADD's are ignored."""
    answers, length, pushed = [], 0, 0
    for name, *args in commands:
        if name in ("SET", "PEXPIRE"):
            answers.append(True)
            length = len(args[1]) if name == "SET" else length
        elif name == "APPEND":
            length += len(args[1])
            answers.append(length)
        elif name == "SETRANGE":
            answers.append(length)
        elif name == "XADD":
            answers.append(args[1])
        elif name == "RPUSH":
            pushed += 1
            answers.append(pushed)
        else:  # HSET, SADD, ZADD: one new field or member
            answers.append(1)
    return answers


def read_short_chains(client, writers):
    """{key: value or None} and {key: PEXPIRETIME} of every writer's chain keys, each read
    with its type's own command (no TYPE first: the key may expire in between)."""
    readers = {"string": lambda pipe, key: pipe.get(key),
               "hash": lambda pipe, key: pipe.hgetall(key),
               "list": lambda pipe, key: pipe.lrange(key, 0, -1),
               "set": lambda pipe, key: pipe.smembers(key),
               "zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True),
               "stream": lambda pipe, key: pipe.xrange(key),
               "hll": lambda pipe, key: pipe.pfcount(key)}
    chains = [(key, kind) for writer in writers for key, kind in sorted(writer.short_chains.items())]
    pipe = client.pipeline(transaction=False)
    for key, kind in chains:
        readers[kind](pipe, key)
        pipe.execute_command("PEXPIRETIME", key)
    replies = iter(pipe.execute(raise_on_error=False))
    values, expiries = {}, {}
    for key, kind in chains:
        reply, expiries[key] = next(replies), next(replies)
        values[key] = _tagged(kind, reply)
    return values, expiries


def _tagged(kind, reply):
    if isinstance(reply, Exception):
        return ("error", str(reply))
    if not reply:
        return None  # gone (a chain key is never empty)
    if kind == "string":
        return reply
    if kind == "hash":
        return ("hash", frozenset(reply.items()))
    if kind == "list":
        return ("list", tuple(reply))
    if kind == "set":
        return ("set", frozenset(reply))
    if kind == "zset":
        return ("zset", tuple(reply))
    if kind == "stream":
        return ("stream", tuple((entry_id, tuple(fields.items())) for entry_id, fields in reply))
    return ("hll", reply)
