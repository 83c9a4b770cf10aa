"""The crash model's collection writes (issue 4): hashes, lists, sets, sorted sets and
streams, written by the same writer threads as the strings and checked by the same cut
rules (crash_model.py).

Why a mixin of Writer: every collection op is an Op like the string ones. It picks one of
the writer's own keys, computes the key's value after the op from the model state (so the
op's effect is known before it is sent, which is what the cut model needs: that is why
there is no SPOP or SRANDMEMBER here) and the reply Redis gives, and updates the state
as if it had run. Collection writes keep a key's TTL; emptying a hash, list, set or
sorted set deletes the key (an empty stream stays, as in Redis).

A key's model value is type-tagged so that it compares with == against what a
recovered server holds (read_collections reads it by TYPE):
  ("hash", frozenset((field, value)))
  ("list", (element, ...))
  ("set", frozenset(member))
  ("zset", ((member, score), ...) in Redis's order: by score, then member)
  ("stream", ((id, ((field, value), ...)), ...), last-generated id,
             frozenset((group, last-delivered id, frozenset((pending id, consumer)))))
Scores are Python floats: the server does the same IEEE double arithmetic (ZINCRBY), and
both redis-py (repr) and the server (%.17g or shortest) print doubles that read back
exactly, so a score that survives the journal round trip compares equal.

Thread-safety: as Writer (its own thread while the server runs, the main thread between).
"""
COLLECTION_PADS = (0, 0, 0, 8, 24, 80, 300)  # past 64 bytes: hashtable / skiplist encodings
HASH_FIELDS = [f"f{i}" for i in range(10)]
HASH_COUNTERS = ["n0", "n1"]  # only HINCRBY writes these, so they always hold integers
LIST_TOKENS = ["a", "b", "c", "7"]  # repeated elements, so LREM has work to do
LIST_MAX = 40
SET_MEMBERS = [str(i) for i in range(12)] + [f"m{i}" for i in range(8)] + \
              [f"L{i}" + "y" * 70 for i in range(2)]  # integers (intset), words, long
ZSET_MEMBERS = [f"z{i}" for i in range(12)] + ["Z" + "q" * 70]
STREAM_MAX = 12
STREAM_GROUPS = ("g1", "g2")
STREAM_CONSUMERS = ("c1", "c2")


def stream_order(entry_id):
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


def zset_value(scores):
    """("zset", ...) from {member: score}, in Redis's order."""
    return ("zset", tuple(sorted(scores.items(), key=lambda item: (item[1], item[0]))))


def stream_value(entries, last_id, groups):
    """("stream", ...) from [(id, fields)], the last id and {group: (last delivered, {id: consumer})}."""
    frozen = frozenset((name, delivered, frozenset(pending.items()))
                       for name, (delivered, pending) in groups.items())
    return ("stream", tuple(entries), last_id, frozen)


def redis_ltrim(elements, start, stop):
    """LTRIM's index rules: negative from the end, clamped; an empty range empties."""
    n = len(elements)
    start = start + n if start < 0 else start
    stop = stop + n if stop < 0 else stop
    start = max(start, 0)
    if start > stop or start >= n:
        return ()
    return tuple(elements[start:min(stop, n - 1) + 1])


def redis_lrem(elements, count, element):
    """LREM: count > 0 from the head, < 0 from the tail, 0 every one. -> (result, removed)."""
    order = list(elements) if count >= 0 else list(reversed(elements))
    limit = abs(count) or len(order)
    kept, removed = [], 0
    for item in order:
        if item == element and removed < limit:
            removed += 1
        else:
            kept.append(item)
    return tuple(kept if count >= 0 else reversed(kept)), removed


def normalize_stream_read(reply):
    """XREADGROUP's redis-py reply -> ((id, ((field, value), ...)), ...)."""
    if not reply:
        return ()
    return tuple((entry_id, tuple(fields.items())) for entry_id, fields in reply[0][1])


class CollectionOps:
    """The collection half of a Writer (needs self.tid, self.state, self.seq and
    self.make_op, the Op class: crash_model imports this module)."""

    def init_collections(self):
        p = f"w{self.tid}:"
        self.hashes = [f"{p}hash{i}" for i in range(3)]
        self.lists = [f"{p}list{i}" for i in range(3)]
        self.sets = [f"{p}set{i}" for i in range(3)]
        self.zsets = [f"{p}zset{i}" for i in range(3)]
        self.streams = [f"{p}stream{i}" for i in range(2)]

    def collection_keys(self):
        return self.hashes + self.lists + self.sets + self.zsets + self.streams

    # -- model helpers ----------------------------------------------------------------
    def _content(self, key, kind):
        """The key's content in the model (frozenset / tuple / ...), or None if missing."""
        current = self.state.get(key)
        if current is None:
            return None
        assert current[0][0] == kind, f"model: {key} holds {current[0][0]}, not {kind}"
        return current[0][1]

    def _put(self, op, key, value):
        """Records the key's value after `op` (None: deleted), keeping its TTL."""
        if value is None:
            op.effects[key] = None
            self.state.pop(key, None)
            return
        ttl = self.state[key][1] if key in self.state else None
        op.effects[key] = (value, ttl)
        self.state[key] = (value, ttl)

    def _element(self, rng, tag):
        self.seq += 1
        return f"{tag}{self.tid}.{self.seq}" + "x" * rng.choice(COLLECTION_PADS)

    # -- hashes -----------------------------------------------------------------------
    def gen_hset(self, rng):
        key = rng.choice(self.hashes)
        fields = dict(self._content(key, "hash") or ())
        mapping = {field: self._element(rng, "h") for field in rng.sample(HASH_FIELDS, rng.randint(1, 4))}
        added = sum(field not in fields for field in mapping)
        fields.update(mapping)
        op = self.make_op("hset", f"HSET {key} {' '.join(mapping)}")
        self._put(op, key, ("hash", frozenset(fields.items())))
        op.reply = added
        op.issue = lambda t: t.hset(key, mapping=mapping)
        return op

    def gen_hdel(self, rng):
        key = rng.choice(self.hashes)
        fields = dict(self._content(key, "hash") or ())
        if not fields:
            return self.gen_hset(rng)
        names = rng.sample(sorted(fields), rng.randint(1, min(3, len(fields))))
        if rng.random() < 0.3:
            names.append(rng.choice([f for f in HASH_FIELDS + HASH_COUNTERS if f not in names]))
        removed = sum(fields.pop(name, None) is not None for name in names)
        op = self.make_op("hdel", f"HDEL {key} {' '.join(names)}")
        self._put(op, key, ("hash", frozenset(fields.items())) if fields else None)
        op.reply = removed
        op.issue = lambda t: t.hdel(key, *names)
        return op

    def gen_hincrby(self, rng):
        key, field, delta = rng.choice(self.hashes), rng.choice(HASH_COUNTERS), rng.randint(-5, 100)
        fields = dict(self._content(key, "hash") or ())
        result = int(fields.get(field, 0)) + delta
        fields[field] = str(result)
        op = self.make_op("hincrby", f"HINCRBY {key} {field} {delta}")
        self._put(op, key, ("hash", frozenset(fields.items())))
        op.reply = result
        op.issue = lambda t: t.hincrby(key, field, delta)
        return op

    # -- lists ------------------------------------------------------------------------
    def gen_push(self, rng):
        key = rng.choice(self.lists)
        elements = self._content(key, "list") or ()
        if len(elements) > LIST_MAX:
            return self.gen_pop(rng)
        pushed = [rng.choice(LIST_TOKENS) if rng.random() < 0.4 else self._element(rng, "l")
                  for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.5:
            op = self.make_op("rpush", f"RPUSH {key} ({len(pushed)} elements)")
            result = elements + tuple(pushed)
            op.issue = lambda t: t.rpush(key, *pushed)
        else:
            op = self.make_op("lpush", f"LPUSH {key} ({len(pushed)} elements)")
            result = tuple(reversed(pushed)) + elements
            op.issue = lambda t: t.lpush(key, *pushed)
        self._put(op, key, ("list", result))
        op.reply = len(result)
        return op

    def gen_pop(self, rng):
        key, count = rng.choice(self.lists), rng.randint(1, 3)
        elements = self._content(key, "list")
        left = rng.random() < 0.5
        popped = rest = None
        if elements is not None and left:
            popped, rest = list(elements[:count]), elements[count:]
        elif elements is not None:
            popped, rest = list(reversed(elements[-count:])), elements[:max(len(elements) - count, 0)]
        op = self.make_op("lpop" if left else "rpop", f"{'LPOP' if left else 'RPOP'} {key} {count}")
        if elements is not None:
            self._put(op, key, ("list", rest) if rest else None)
        op.reply = popped
        op.issue = (lambda t: t.lpop(key, count)) if left else (lambda t: t.rpop(key, count))
        return op

    def gen_lrem(self, rng):
        key, count, element = rng.choice(self.lists), rng.choice((-2, -1, 0, 1, 2)), rng.choice(LIST_TOKENS)
        elements = self._content(key, "list") or ()
        result, removed = redis_lrem(elements, count, element)
        op = self.make_op("lrem", f"LREM {key} {count} {element}")
        if removed:
            self._put(op, key, ("list", result) if result else None)
        op.reply = removed
        op.issue = lambda t: t.lrem(key, count, element)
        return op

    def gen_ltrim(self, rng):
        key = rng.choice(self.lists)
        start, stop = rng.choice((0, 1, 2, -5)), rng.choice((-1, -2, 3, 10))
        elements = self._content(key, "list")
        op = self.make_op("ltrim", f"LTRIM {key} {start} {stop}")
        if elements is not None:
            result = redis_ltrim(elements, start, stop)
            self._put(op, key, ("list", result) if result else None)
        op.reply = True
        op.issue = lambda t: t.ltrim(key, start, stop)
        return op

    # -- sets -------------------------------------------------------------------------
    def gen_sadd(self, rng):
        key = rng.choice(self.sets)
        members = set(self._content(key, "set") or ())
        adding = rng.sample(SET_MEMBERS, rng.randint(1, 4))
        added = len(set(adding) - members)
        members.update(adding)
        op = self.make_op("sadd", f"SADD {key} {' '.join(m[:8] for m in adding)}")
        self._put(op, key, ("set", frozenset(members)))
        op.reply = added
        op.issue = lambda t: t.sadd(key, *adding)
        return op

    def gen_srem(self, rng):
        key = rng.choice(self.sets)
        members = set(self._content(key, "set") or ())
        if not members:
            return self.gen_sadd(rng)
        removing = rng.sample(sorted(members), rng.randint(1, min(3, len(members))))
        if rng.random() < 0.3:
            removing.append(rng.choice([m for m in SET_MEMBERS if m not in removing]))
        removed = len(members & set(removing))
        members -= set(removing)
        op = self.make_op("srem", f"SREM {key} {' '.join(m[:8] for m in removing)}")
        self._put(op, key, ("set", frozenset(members)) if members else None)
        op.reply = removed
        op.issue = lambda t: t.srem(key, *removing)
        return op

    # -- sorted sets ------------------------------------------------------------------
    @staticmethod
    def _score(rng):
        return rng.choice((float(rng.randint(-20, 20)), rng.randint(-40, 40) / 4,
                           round(rng.uniform(-1000, 1000), 3), rng.uniform(-1, 1)))

    def gen_zadd(self, rng):
        key = rng.choice(self.zsets)
        scores = dict(self._content(key, "zset") or ())
        mapping = {member: self._score(rng) for member in rng.sample(ZSET_MEMBERS, rng.randint(1, 3))}
        added = sum(member not in scores for member in mapping)
        scores.update(mapping)
        op = self.make_op("zadd", f"ZADD {key} " + " ".join(f"{s!r} {m[:8]}" for m, s in mapping.items()))
        self._put(op, key, zset_value(scores))
        op.reply = added
        op.issue = lambda t: t.zadd(key, mapping)
        return op

    def gen_zincrby(self, rng):
        key, member = rng.choice(self.zsets), rng.choice(ZSET_MEMBERS)
        delta = rng.choice((1.0, -2.5, 0.1, rng.uniform(-10, 10)))
        scores = dict(self._content(key, "zset") or ())
        scores[member] = scores.get(member, 0.0) + delta
        op = self.make_op("zincrby", f"ZINCRBY {key} {delta!r} {member[:8]}")
        self._put(op, key, zset_value(scores))
        op.reply = scores[member]
        op.issue = lambda t: t.zincrby(key, delta, member)
        return op

    def gen_zrem(self, rng):
        key = rng.choice(self.zsets)
        scores = dict(self._content(key, "zset") or ())
        if not scores:
            return self.gen_zadd(rng)
        removing = rng.sample(sorted(scores), rng.randint(1, min(2, len(scores))))
        if rng.random() < 0.3:
            removing.append(rng.choice([m for m in ZSET_MEMBERS if m not in removing]))
        removed = sum(scores.pop(member, None) is not None for member in removing)
        op = self.make_op("zrem", f"ZREM {key} {' '.join(m[:8] for m in removing)}")
        self._put(op, key, zset_value(scores) if scores else None)
        op.reply = removed
        op.issue = lambda t: t.zrem(key, *removing)
        return op

    # -- streams ----------------------------------------------------------------------
    def _stream(self, key):
        """(entries list, last id, {group: (last delivered, {id: consumer})}) or None."""
        content = self.state.get(key)
        if content is None:
            return None
        _, entries, last_id, groups = content[0]
        return (list(entries), last_id,
                {name: (delivered, dict(pending)) for name, delivered, pending in groups})

    def gen_xadd(self, rng):
        key = rng.choice(self.streams)
        current = self._stream(key)
        if current and len(current[0]) >= STREAM_MAX:
            return self.gen_xtrim(rng) if rng.random() < 0.5 else self.gen_xdel(rng)
        entries, _, groups = current or ([], None, {})
        self.seq += 1  # every id this writer ever made has a smaller millisecond part
        entry_id = f"{self.seq}-{rng.randint(0, 3)}"
        fields = tuple((f"k{i}", self._element(rng, "x")) for i in range(rng.randint(1, 3)))
        entries.append((entry_id, fields))
        op = self.make_op("xadd", f"XADD {key} {entry_id}")
        self._put(op, key, stream_value(entries, entry_id, groups))
        op.reply = entry_id
        op.issue = lambda t: t.xadd(key, dict(fields), id=entry_id)
        return op

    def gen_xdel(self, rng):
        key = rng.choice(self.streams)
        current = self._stream(key)
        if not current or not current[0]:
            return self.gen_xadd(rng)
        entries, last_id, groups = current
        ids = [entry_id for entry_id, _ in rng.sample(entries, rng.randint(1, min(2, len(entries))))]
        if rng.random() < 0.3:
            ids.append("1-99")  # never added
        kept = [entry for entry in entries if entry[0] not in ids]
        op = self.make_op("xdel", f"XDEL {key} {' '.join(ids)}")
        self._put(op, key, stream_value(kept, last_id, groups))  # an empty stream stays
        op.reply = len(entries) - len(kept)
        op.issue = lambda t: t.xdel(key, *ids)
        return op

    def gen_xtrim(self, rng):
        key, maxlen = rng.choice(self.streams), rng.randint(0, 6)
        current = self._stream(key)
        if not current:
            return self.gen_xadd(rng)
        entries, last_id, groups = current
        kept = entries[max(len(entries) - maxlen, 0):]
        op = self.make_op("xtrim", f"XTRIM {key} MAXLEN {maxlen}")
        self._put(op, key, stream_value(kept, last_id, groups))
        op.reply = len(entries) - len(kept)
        op.issue = lambda t: t.xtrim(key, maxlen=maxlen, approximate=False)
        return op

    def gen_xreadgroup(self, rng):
        """XGROUP CREATE k g 0 when the group is missing, else XREADGROUP ... >."""
        key, group = rng.choice(self.streams), rng.choice(STREAM_GROUPS)
        current = self._stream(key)
        if not current:
            return self.gen_xadd(rng)
        entries, last_id, groups = current
        if group not in groups:
            groups[group] = ("0-0", {})
            op = self.make_op("xgroup", f"XGROUP CREATE {key} {group} 0")
            self._put(op, key, stream_value(entries, last_id, groups))
            op.reply = True
            op.issue = lambda t: t.xgroup_create(key, group, id="0")
            return op
        consumer, count = rng.choice(STREAM_CONSUMERS), rng.randint(1, 3)
        delivered, pending = groups[group]
        read = [entry for entry in entries if stream_order(entry[0]) > stream_order(delivered)][:count]
        if read:
            pending.update((entry_id, consumer) for entry_id, _ in read)
            groups[group] = (read[-1][0], pending)
        op = self.make_op("xreadgroup", f"XREADGROUP GROUP {group} {consumer} COUNT {count} STREAMS {key} >")
        if read:
            self._put(op, key, stream_value(entries, last_id, groups))
        op.reply = tuple(read)
        op.normalize = normalize_stream_read
        op.issue = lambda t: t.xreadgroup(group, consumer, {key: ">"}, count=count)
        return op

    def gen_xack(self, rng):
        key, group = rng.choice(self.streams), rng.choice(STREAM_GROUPS)
        current = self._stream(key)
        if not current or group not in current[2] or not current[2][group][1]:
            return self.gen_xreadgroup(rng)
        entries, last_id, groups = current
        delivered, pending = groups[group]
        ids = rng.sample(sorted(pending), rng.randint(1, min(2, len(pending))))
        if rng.random() < 0.3:
            ids.append("1-98")  # never delivered
        acked = sum(pending.pop(entry_id, None) is not None for entry_id in ids)
        op = self.make_op("xack", f"XACK {key} {group} {' '.join(ids)}")
        self._put(op, key, stream_value(entries, last_id, groups))
        op.reply = acked
        op.issue = lambda t: t.xack(key, group, *ids)
        return op

    # -- any type ---------------------------------------------------------------------
    def gen_collection_expire(self, rng):
        """EXPIRE (long) or PERSIST on an existing collection: the TTL checks then cover
        collections too."""
        existing = [key for key in self.collection_keys() if key in self.state]
        if not existing:
            return self.gen_hset(rng)
        key = rng.choice(existing)
        value, ttl = self.state[key]
        if rng.random() < 0.7:
            seconds = rng.randint(1000, 3600)
            op = self.make_op("expire", f"EXPIRE {key} {seconds}")
            new_ttl, op.reply = ("rel", op, seconds * 1000), True
            op.issue = lambda t: t.expire(key, seconds)
        else:
            op = self.make_op("persist", f"PERSIST {key}")
            new_ttl, op.reply = None, ttl is not None
            op.issue = lambda t: t.persist(key)
        op.effects[key] = (value, new_ttl)
        self.state[key] = (value, new_ttl)
        return op

    def gen_collection_del(self, rng):
        keys = rng.sample(self.collection_keys(), rng.randint(1, 2))
        op = self.make_op("del", f"DEL {' '.join(keys)}")
        for key in keys:
            if key in self.state:
                op.effects[key] = None
                del self.state[key]
        op.reply = len(op.effects)
        op.issue = lambda t: t.delete(*keys)
        return op

    def gen_collection(self, rng):
        makers = (self.gen_hset, self.gen_hdel, self.gen_hincrby,
                  self.gen_push, self.gen_pop, self.gen_lrem, self.gen_ltrim,
                  self.gen_sadd, self.gen_srem,
                  self.gen_zadd, self.gen_zincrby, self.gen_zrem,
                  self.gen_xadd, self.gen_xdel, self.gen_xtrim, self.gen_xreadgroup, self.gen_xack,
                  self.gen_collection_expire, self.gen_collection_del)
        weights = (7, 3, 4,
                   7, 4, 2, 2,
                   6, 3,
                   5, 4, 2,
                   6, 2, 1, 3, 2,
                   3, 2)
        return rng.choices(makers, weights)[0](rng)

    def gen_mixed_multi(self, rng):
        """MULTI with writes to two or three collection types on different keys, EXEC:
        one journal record, so a cut takes all of it or none."""
        families = [(self.gen_hset, self.gen_hincrby, self.gen_hdel),
                    (self.gen_push, self.gen_pop, self.gen_ltrim),
                    (self.gen_sadd, self.gen_srem),
                    (self.gen_zadd, self.gen_zincrby, self.gen_zrem),
                    (self.gen_xadd, self.gen_xreadgroup, self.gen_xack)]
        parts = [rng.choice(family)(rng) for family in rng.sample(families, rng.randint(2, 3))]
        op = self.make_op("multi-collections", "MULTI " + "; ".join(part.text for part in parts) + " EXEC")
        for part in parts:
            op.effects.update(part.effects)
        op.reply = [part.reply for part in parts]
        op.normalize = lambda replies: [part.normalize(reply) for part, reply in zip(parts, replies)]

        def issue(pipe):
            for part in parts:
                part.issue(pipe)
        op.issue = issue
        return op


def read_collections(client, types):
    """The model value of each key from its TYPE: {key: value, None when missing}."""
    readers = {"hash": lambda pipe, key: pipe.hgetall(key),
               "list": lambda pipe, key: pipe.lrange(key, 0, -1),
               "set": lambda pipe, key: pipe.smembers(key),
               "zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True)}
    values, plan = {}, []
    pipe = client.pipeline(transaction=False)
    for key, kind in types.items():
        if kind == "none":
            values[key] = None
        elif kind == "stream":
            pipe.xrange(key)
            pipe.xinfo_stream(key)
            pipe.xinfo_groups(key)
            plan.append((key, kind))
        elif kind in readers:
            readers[kind](pipe, key)
            plan.append((key, kind))
        else:
            values[key] = ("unexpected type", str(kind))
    replies = iter(pipe.execute())
    streams = {}
    for key, kind in plan:
        reply = next(replies)
        if kind == "hash":
            values[key] = ("hash", frozenset(reply.items()))
        elif kind == "list":
            values[key] = ("list", tuple(reply))
        elif kind == "set":
            values[key] = ("set", frozenset(reply))
        elif kind == "zset":
            values[key] = ("zset", tuple(reply))
        else:
            entries = tuple((entry_id, tuple(fields.items())) for entry_id, fields in reply)
            info, groups = next(replies), next(replies)
            streams[key] = (entries, info["last-generated-id"],
                            [(group["name"], group["last-delivered-id"]) for group in groups])
    pipe = client.pipeline(transaction=False)
    for key, (_, _, groups) in streams.items():
        for name, _ in groups:
            pipe.xpending_range(key, name, min="-", max="+", count=10_000)
    pending = iter(pipe.execute())
    for key, (entries, last_id, groups) in streams.items():
        frozen = frozenset((name, delivered,
                            frozenset((row["message_id"], row["consumer"]) for row in next(pending)))
                           for name, delivered in groups)
        values[key] = ("stream", entries, last_id, frozen)
    return values
