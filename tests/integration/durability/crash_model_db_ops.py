"""The crash model's whole-db ops: SWAPDB, FLUSHDB, MOVE, RENAME and COPY across two
databases of a writer's own, so that the per-writer cut model still holds (no other
writer's keys ever sit in them).

Writer `tid` owns dbs DB_BASE + 2 * tid (slot 0) and DB_BASE + 2 * tid + 1 (slot 1),
holding string keys named DB_KEY_NAMES. In the model, the key `name` of slot s is
f"w{tid}:db{s}:{name}" (a tracked key like any other, checked by value and expiry).
Every op is one MULTI/EXEC that SELECTs the db it works in and goes back to db 0, so
it is one journal record and the connection stays on db 0:
  set       SET name v [EX s] in a slot
  expire    EXPIRE name s (long) or PERSIST name, on an existing key
  swapdb    SWAPDB of the two dbs: every key changes slot
  flushdb   FLUSHDB of a slot
  move      MOVE name to the other slot (0 when it is missing or taken)
  rename    RENAME a name to another within a slot
  copy      COPY name to another name, in the same or the other slot, REPLACE
What they check: SWAPDB and FLUSHDB are one effect each and one operation on the tier's
generation map; a crash must bring back the dbs as of one cut whatever the checkpoint
round had written (keys written after a swap or flush the tier forgot sit where their
db's contents were). Expiry changes become metadata-only tier writes.

Thread-safety: as Writer (its own thread while the server runs, the main thread between).
"""
import redis

DB_BASE = 2
DB_KEY_NAMES = ("k0", "k1", "k2", "k3")


def writer_dbs(tid):
    return DB_BASE + 2 * tid, DB_BASE + 2 * tid + 1


class DbOps:
    """The whole-db ops of a Writer (needs self.tid, self.state, self._value, self._set_effect
    and self.make_op)."""

    def db_keys(self):
        return [self._db_key(slot, name) for slot in (0, 1) for name in DB_KEY_NAMES]

    def _db_key(self, slot, name):
        return f"w{self.tid}:db{slot}:{name}"

    def _op(self, kind, slot, command, reply):
        """One MULTI: SELECT the slot's db, `command`, SELECT 0; `reply` is the command's."""
        db = writer_dbs(self.tid)[slot]
        op = self.make_op(kind, f"MULTI SELECT {db} {' '.join(map(str, command))} SELECT 0 EXEC")
        op.reply = [True, reply, True]

        def issue(pipe):
            pipe.execute_command("SELECT", db)
            pipe.execute_command(*command)
            pipe.execute_command("SELECT", 0)
        op.issue = issue
        return op

    def gen_db_set(self, rng):
        slot, name, value = rng.randrange(2), rng.choice(DB_KEY_NAMES), self._value(rng, "d")
        if rng.random() < 0.3:
            seconds = rng.randint(1000, 3600)
            op = self._op("db-set", slot, ("SET", name, value, "EX", str(seconds)), True)
            self._set_effect(op, self._db_key(slot, name), value, ("rel", op, seconds * 1000))
        else:
            op = self._op("db-set", slot, ("SET", name, value), True)
            self._set_effect(op, self._db_key(slot, name), value, None)
        return op

    def gen_db_expire(self, rng):
        existing = [(slot, name) for slot in (0, 1) for name in DB_KEY_NAMES if self._db_key(slot, name) in self.state]
        if not existing:
            return self.gen_db_set(rng)
        slot, name = rng.choice(existing)
        key = self._db_key(slot, name)
        value, ttl = self.state[key]
        if rng.random() < 0.7:
            seconds = rng.randint(1000, 3600)
            op = self._op("db-expire", slot, ("EXPIRE", name, str(seconds)), True)
            self._set_effect(op, key, value, ("rel", op, seconds * 1000))
        else:
            op = self._op("db-expire", slot, ("PERSIST", name), ttl is not None)
            self._set_effect(op, key, value, None)
        return op

    def gen_db_swap(self, rng):
        op = self._op("swapdb", 0, ("SWAPDB",) + writer_dbs(self.tid), True)
        for name in DB_KEY_NAMES:
            first, second = self._db_key(0, name), self._db_key(1, name)
            a, b = self.state.get(first), self.state.get(second)
            for key, new in ((first, b), (second, a)):
                op.effects[key] = new
                if new is None:
                    self.state.pop(key, None)
                else:
                    self.state[key] = new
        return op

    def gen_db_flush(self, rng):
        slot = rng.randrange(2)
        op = self._op("flushdb", slot, ("FLUSHDB",), True)
        for name in DB_KEY_NAMES:
            key = self._db_key(slot, name)
            op.effects[key] = None
            self.state.pop(key, None)
        return op

    def gen_db_move(self, rng):
        slot, name = rng.randrange(2), rng.choice(DB_KEY_NAMES)
        source, target = self._db_key(slot, name), self._db_key(1 - slot, name)
        moved = source in self.state and target not in self.state
        op = self._op("move", slot, ("MOVE", name, writer_dbs(self.tid)[1 - slot]), moved)
        if moved:
            op.effects[source] = None
            op.effects[target] = self.state.pop(source)
            self.state[target] = op.effects[target]
        return op

    def gen_db_rename(self, rng):
        slot = rng.randrange(2)
        present = [name for name in DB_KEY_NAMES if self._db_key(slot, name) in self.state]
        if not present:
            return self.gen_db_set(rng)
        name = rng.choice(present)
        other = rng.choice([n for n in DB_KEY_NAMES if n != name])
        op = self._op("rename", slot, ("RENAME", name, other), True)
        source, target = self._db_key(slot, name), self._db_key(slot, other)
        op.effects[source] = None
        op.effects[target] = self.state.pop(source)
        self.state[target] = op.effects[target]
        return op

    def gen_db_copy(self, rng):
        slot, name = rng.randrange(2), rng.choice(DB_KEY_NAMES)
        to_slot = rng.randrange(2)
        other = rng.choice([n for n in DB_KEY_NAMES if to_slot != slot or n != name])
        source, target = self._db_key(slot, name), self._db_key(to_slot, other)
        copied = source in self.state
        op = self._op("copy", slot, ("COPY", name, other, "DB", writer_dbs(self.tid)[to_slot], "REPLACE"), copied)
        if copied:
            op.effects[target] = self.state[source]
            self.state[target] = self.state[source]
        return op

    def gen_db_op(self, rng):
        makers = (self.gen_db_set, self.gen_db_expire, self.gen_db_swap, self.gen_db_flush,
                  self.gen_db_move, self.gen_db_rename, self.gen_db_copy)
        weights = (30, 12, 12, 5, 12, 12, 12)
        return rng.choices(makers, weights)[0](rng)


def read_db_ops(client, writers):
    """{model key: value or None}, {model key: PEXPIRETIME} and the set of model keys the
    server lists (KEYS) for every writer's two dbs, read on connections of their own."""
    values, expiries, present = {}, {}, set()
    kwargs = dict(client.connection_pool.connection_kwargs)
    for writer in writers:
        for slot, db in enumerate(writer_dbs(writer.tid)):
            kwargs["db"] = db
            reader = redis.Redis(**kwargs)
            try:
                pipe = reader.pipeline(transaction=False)
                for name in DB_KEY_NAMES:
                    pipe.get(name)
                    pipe.execute_command("PEXPIRETIME", name)
                pipe.keys("*")
                replies = pipe.execute()
            finally:
                reader.close()
            for i, name in enumerate(DB_KEY_NAMES):
                key = writer._db_key(slot, name)
                values[key], expiries[key] = replies[2 * i], replies[2 * i + 1]
            for name in replies[-1]:
                present.add(writer._db_key(slot, name) if name in DB_KEY_NAMES else f"db{db}:{name}")
    return values, expiries, present
