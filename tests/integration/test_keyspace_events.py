"""Keyspace notifications (notify-keyspace-events): the flag parsing and CONFIG GET
form, channel names and payloads byte for byte, and the event sequence of a
representative command set, every expectation recorded against redis-server 7.0
(reference mode runs the same file there)."""
import time

import pytest

from conftest import call, raises_reply, server_ms, wait_past, wait_until


@pytest.fixture
def events(server, r, config_restore):
    """A function running commands on `r` and returning the (channel, message)
    pairs a __key*@*__ subscriber got for them, in order."""
    config_restore("notify-keyspace-events")
    sub = server.raw()
    sub.call("PSUBSCRIBE", "__key*@*__:*")

    def run(flags, *commands):
        r.config_set("notify-keyspace-events", flags)
        for command in commands:
            call(r, *command)
        # A marker message ends the batch: everything before it has been delivered.
        r.publish("__keyspace@0__:marker-end", "end")
        got = []
        while True:
            message = sub.read()
            if message[2] == b"__keyspace@0__:marker-end":
                break
            got.append((message[2].decode(), message[3].decode()))
        return got

    yield run
    sub.close()


def keyevents(pairs):
    """The event names of the __keyevent channel, with their keys."""
    return [(channel.split(":", 1)[1], key) for channel, key in pairs if channel.startswith("__keyevent")]


# --------------------------------------------------------------------------
# The setting
# --------------------------------------------------------------------------

@pytest.mark.parametrize("value, canonical", [
    ("", ""), ("KEA", "AKE"), ("Kg$lshzxetdn", "AK"), ("EmnA", "AEm"), ("Kn", "nK"), ("Kg", "gK"),
    ("Km", "Km"), ("E$", "$E"), ("Ex", "xE"), ("Kgn", "gnK"), ("mKE", "KEm"), ("Kt", "tK"), ("Kd", "dK"),
    ("lshzK", "lshzK"), ("eE", "eE"),
])
def test_config_get_shows_redis_canonical_form(r, config_restore, value, canonical):
    config_restore("notify-keyspace-events")
    r.config_set("notify-keyspace-events", value)
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": canonical}


def test_unknown_class_letter_is_refused(r, config_restore):
    config_restore("notify-keyspace-events")
    with raises_reply("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
                      "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."):
        r.config_set("notify-keyspace-events", "KZ")


def test_the_config_file_sets_it(new_server, tmp_path):
    srv = new_server("--notify-keyspace-events", "KEx")
    client = srv.client()
    assert client.config_get("notify-keyspace-events") == {"notify-keyspace-events": "xKE"}
    client.close()


# --------------------------------------------------------------------------
# Channels and payloads
# --------------------------------------------------------------------------

def test_channel_names_and_payloads_are_byte_identical(server, r, config_restore):
    config_restore("notify-keyspace-events")
    r.config_set("notify-keyspace-events", "KEA")
    sub = server.raw()
    sub.call("PSUBSCRIBE", "__key*__:*")
    r.execute_command("SELECT", 3)
    r.set("k\x00ey", "v")
    r.execute_command("SELECT", 0)
    assert sub.read_raw() == (b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n"
                              b"$19\r\n__keyspace@3__:k\x00ey\r\n$3\r\nset\r\n")
    assert sub.read_raw() == (b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n"
                              b"$18\r\n__keyevent@3__:set\r\n$4\r\nk\x00ey\r\n")
    sub.close()


def test_nothing_is_published_while_off(events):
    assert events("", ("SET", "a", "1"), ("DEL", "a")) == []
    # K or E alone, without a class, publishes nothing either.
    assert events("KE", ("SET", "a", "1")) == []


def test_keyspace_only_and_keyevent_only(events):
    assert events("K$", ("SET", "a", "1")) == [("__keyspace@0__:a", "set")]
    assert events("E$", ("SET", "a", "1")) == [("__keyevent@0__:set", "a")]
    assert events("Eg", ("SET", "a", "1"), ("DEL", "a")) == [("__keyevent@0__:del", "a")]


# --------------------------------------------------------------------------
# Event sequences per command (compared with redis-server in reference mode)
# --------------------------------------------------------------------------

SEQUENCES = [
    # strings
    ([("SET", "s", "1"), ("SET", "s", "2", "EX", "100"), ("SET", "s", "3", "KEEPTTL"), ("SETNX", "s", "x"),
      ("APPEND", "s", "x"), ("SETRANGE", "s", "0", "y"), ("INCR", "n"), ("INCRBY", "n", "2"), ("DECR", "n"),
      ("DECRBY", "n", "2"), ("INCRBYFLOAT", "n", "1.5"), ("MSET", "m1", "a", "m2", "b"), ("GETSET", "m1", "c"),
      ("SETEX", "e", "100", "v"), ("PSETEX", "e", "100000", "v"), ("GETDEL", "e"), ("SETBIT", "b", "3", "1"),
      ("GETEX", "s", "PERSIST"), ("GETEX", "s", "EX", "50")],
     [("set", "s"), ("set", "s"), ("expire", "s"), ("set", "s"), ("append", "s"), ("setrange", "s"),
      ("incrby", "n"), ("incrby", "n"), ("incrby", "n"), ("incrby", "n"), ("incrbyfloat", "n"),
      ("set", "m1"), ("set", "m2"), ("set", "m1"), ("set", "e"), ("expire", "e"), ("set", "e"),
      ("expire", "e"), ("del", "e"), ("setbit", "b"), ("persist", "s"), ("expire", "s")]),
    # generic
    ([("SET", "a", "1"), ("EXPIRE", "a", "100"), ("PERSIST", "a"), ("RENAME", "a", "b"), ("COPY", "b", "c"),
      ("MOVE", "c", "1"), ("DEL", "b", "nokey"), ("SET", "x", "1"), ("EXPIRE", "x", "-1"), ("UNLINK", "nokey")],
     [("set", "a"), ("expire", "a"), ("persist", "a"), ("rename_from", "a"), ("rename_to", "b"),
      ("copy_to", "c"), ("move_from", "c"), ("move_to", "c"), ("del", "b"), ("set", "x"), ("del", "x")]),
    # lists
    ([("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LSET", "l", "0", "y"), ("LINSERT", "l", "BEFORE", "a", "q"),
      ("LREM", "l", "1", "q"), ("LTRIM", "l", "0", "2"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
      ("RPOPLPUSH", "l", "l2"), ("LPOP", "l"), ("RPOP", "l2", "5"), ("LPUSHX", "nolist", "a")],
     [("rpush", "l"), ("lpush", "l"), ("lset", "l"), ("linsert", "l"), ("lrem", "l"), ("ltrim", "l"),
      ("rpush", "l2"), ("lpop", "l"), ("lpush", "l2"), ("rpop", "l"), ("lpop", "l"), ("del", "l"),
      ("rpop", "l2"), ("del", "l2")]),
    # sets
    ([("SADD", "s1", "a", "b", "c"), ("SADD", "s1", "a"), ("SREM", "s1", "a"), ("SADD", "s2", "b", "x"),
      ("SINTERSTORE", "d", "s1", "s2"), ("SMOVE", "s1", "s2", "c"), ("SINTERSTORE", "d", "s1", "nokey"),
      ("SUNIONSTORE", "u", "s1", "s2"), ("SPOP", "s1")],
     [("sadd", "s1"), ("srem", "s1"), ("sadd", "s2"), ("sinterstore", "d"), ("srem", "s1"), ("sadd", "s2"),
      ("del", "d"), ("sunionstore", "u"), ("spop", "s1"), ("del", "s1")]),
    # hashes
    ([("HSET", "h", "f", "1", "g", "2"), ("HSETNX", "h", "f", "x"), ("HSETNX", "h", "k", "x"),
      ("HINCRBY", "h", "f", "1"), ("HINCRBYFLOAT", "h", "f", "0.5"), ("HDEL", "h", "f", "g"), ("HDEL", "h", "k")],
     [("hset", "h"), ("hset", "h"), ("hincrby", "h"), ("hincrbyfloat", "h"), ("hdel", "h"), ("hdel", "h"),
      ("del", "h")]),
    # sorted sets
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "INCR", "5", "a"), ("ZINCRBY", "z", "1", "b"),
      ("ZREM", "z", "c"), ("ZUNIONSTORE", "zu", "1", "z"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z"),
      ("ZADD", "z2", "1", "a", "2", "b", "3", "c"), ("ZREMRANGEBYSCORE", "z2", "1", "1"),
      ("ZREMRANGEBYRANK", "z2", "0", "0"), ("ZREMRANGEBYLEX", "z2", "-", "+")],
     [("zadd", "z"), ("zincr", "z"), ("zincr", "z"), ("zrem", "z"), ("zunionstore", "zu"), ("zpopmin", "z"),
      ("zpopmax", "z"), ("del", "z"), ("zadd", "z2"), ("zremrangebyscore", "z2"), ("zremrangebyrank", "z2"),
      ("zremrangebylex", "z2"), ("del", "z2")]),
    # streams
    ([("XADD", "x", "1-1", "f", "v"), ("XADD", "x", "2-1", "f", "v"), ("XDEL", "x", "1-1"),
      ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATECONSUMER", "x", "g", "c"),
      ("XGROUP", "DELCONSUMER", "x", "g", "c"), ("XGROUP", "SETID", "x", "g", "$"), ("XGROUP", "DESTROY", "x", "g"),
      ("XTRIM", "x", "MAXLEN", "0"), ("XSETID", "x", "5-0")],
     [("xadd", "x"), ("xadd", "x"), ("xdel", "x"), ("xgroup-create", "x"), ("xgroup-createconsumer", "x"),
      ("xgroup-delconsumer", "x"), ("xgroup-setid", "x"), ("xgroup-destroy", "x"), ("xtrim", "x"),
      ("xsetid", "x")]),
]


@pytest.mark.parametrize("commands, expected", SEQUENCES, ids=["strings", "generic", "lists", "sets", "hashes",
                                                                "zsets", "streams"])
def test_event_sequence_per_command(events, commands, expected):
    got = keyevents(events("EA", *commands))
    assert got == expected


def test_keyspace_and_keyevent_pairs_alternate(events):
    assert events("KEA", ("LPUSH", "l", "a"), ("LPOP", "l")) == [
        ("__keyspace@0__:l", "lpush"), ("__keyevent@0__:lpush", "l"),
        ("__keyspace@0__:l", "lpop"), ("__keyevent@0__:lpop", "l"),
        ("__keyspace@0__:l", "del"), ("__keyevent@0__:del", "l"),
    ]


def test_new_event_for_keys_that_did_not_exist(events):
    got = keyevents(events("En$lg", ("SET", "a", "1"), ("SET", "a", "2"), ("RPUSH", "l", "x"), ("RPUSH", "l", "y"),
                           ("DEL", "a")))
    assert got == [("new", "a"), ("set", "a"), ("set", "a"), ("new", "l"), ("rpush", "l"), ("rpush", "l"),
                   ("del", "a")]
    # n is a class of its own: without it, no new events.
    assert keyevents(events("E$", ("SET", "b", "1"))) == [("set", "b")]


def test_events_of_the_commands_of_a_transaction(events):
    got = keyevents(events("EA", ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("DEL", "a"), ("EXEC",)))
    assert got == [("set", "a"), ("incrby", "a"), ("del", "a")]


def test_classes_filter_events(events):
    got = keyevents(events("El", ("SET", "a", "1"), ("RPUSH", "l", "x"), ("SADD", "s", "x"), ("LPOP", "l")))
    assert got == [("rpush", "l"), ("lpop", "l")]


def test_consumers_created_by_reading_or_claiming_are_reported(events):
    got = keyevents(events(
        "EA", ("XADD", "x", "1-0", "f", "v"), ("XADD", "y", "1-0", "f", "v"), ("XGROUP", "CREATE", "x", "g", "0"),
        ("XGROUP", "CREATE", "y", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "x", "y", ">", ">"),
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "x", ">"),  # exists: nothing
        ("XCLAIM", "x", "g", "c2", "0", "9-0"),  # claims nothing: no consumer
        ("XCLAIM", "x", "g", "c2", "0", "1-0"),
        ("XAUTOCLAIM", "x", "g", "c3", "0", "0"),
        ("XACK", "x", "g", "1-0")))  # XACK reports nothing
    assert got == [("xadd", "x"), ("xadd", "y"), ("xgroup-create", "x"), ("xgroup-create", "y"),
                   ("xgroup-createconsumer", "x"), ("xgroup-createconsumer", "y"),
                   ("xgroup-createconsumer", "x"), ("xgroup-createconsumer", "x")]


@pytest.mark.tierkv_only
def test_xautoclaim_that_claims_nothing_still_creates_and_reports_its_consumer(events):
    # Redis 7.2 creates the consumer before claiming (7.0 only once something is claimed).
    got = keyevents(events(
        "Et", ("XADD", "y", "1-0", "f", "v"), ("XGROUP", "CREATE", "y", "g", "0"),
        ("XAUTOCLAIM", "y", "g", "c4", "0", "9-0")))
    assert got == [("xadd", "y"), ("xgroup-create", "y"), ("xgroup-createconsumer", "y")]


def test_a_key_set_twice_by_mset_is_reported_twice(events):
    got = keyevents(events("EA", ("MSET", "k", "1", "j", "2", "k", "3"), ("MSETNX", "n", "1", "n", "2")))
    assert got == [("set", "k"), ("set", "j"), ("set", "k"), ("set", "n"), ("set", "n")]


def test_keymiss_for_reads_of_missing_keys_with_class_m(events):
    commands = [("SET", "k", "1"), ("GET", "missing"), ("MGET", "k", "gone"), ("HGET", "nohash", "f"),
                ("EXISTS", "nokey"), ("TYPE", "nokey2"), ("SET", "w", "1", "GET"), ("GET", "k")]
    got = keyevents(events("Em", *commands))
    assert got == [("keymiss", "missing"), ("keymiss", "gone"), ("keymiss", "nohash"), ("keymiss", "nokey"),
                   ("keymiss", "nokey2"), ("keymiss", "w")]
    # A (all classes) leaves m out.
    assert keyevents(events("EA", ("GET", "missing"))) == []


def test_commands_that_change_nothing_publish_nothing(events):
    got = keyevents(events("EA", ("DEL", "missing"), ("SREM", "missing", "x"), ("SET", "a", "1"),
                           ("SET", "a", "2", "NX"), ("EXPIRE", "missing", "10"), ("PERSIST", "a"),
                           ("HDEL", "missing", "f"), ("LPOP", "missing")))
    assert got == [("set", "a")]


# --------------------------------------------------------------------------
# Expired and evicted
# --------------------------------------------------------------------------

def test_expired_event_from_active_expiry(events, r):
    r.config_set("notify-keyspace-events", "Ex")
    r.set("gone", "v", px=1)
    got = []
    # Active expiry removes it within a few cron cycles; wait (bounded) for the event.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not got:
        got = keyevents(events("Ex"))
        if not got:
            time.sleep(0.02)
    assert got == [("expired", "gone")]


def test_expired_event_from_lazy_expiry_comes_before_the_commands_own(events, r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("k", "v", px=1)
        wait_past(r, server_ms(r) + 1)
        got = keyevents(events("EA", ("SET", "k", "new")))
        assert got == [("expired", "k"), ("set", "k")]
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.needs_dram_budget("with tiering, a value past maxmemory leaves DRAM instead of its key being evicted")
def test_evicted_event(events, r, config_restore):
    config_restore("maxmemory", "maxmemory-policy")
    r.config_set("maxmemory-policy", "allkeys-random")
    for i in range(50):
        r.set(f"ev{i}", "x" * 10000)
    used = r.info("memory")["used_memory"]
    r.config_set("notify-keyspace-events", "Ee")
    r.config_set("maxmemory", used - 100000)
    got = keyevents(events("Ee", ("SET", "trigger", "1")))
    r.config_set("maxmemory", 0)
    assert got, "nothing was evicted"
    assert all(event == "evicted" and key.startswith("ev") for event, key in got)


def test_new_events_of_keys_added_anew_and_multi_key_commands(server, r, config_restore):
    """RENAME, COPY REPLACE and MOVE add their destination anew (so `new` even when
    it existed); *STOREs, LMPOP/ZMPOP, XADD's trimming and a list rotated onto itself,
    with the database in each channel."""
    config_restore("notify-keyspace-events")
    sub = server.raw()
    sub.call("PSUBSCRIBE", "__keyevent@*__:*")
    r.config_set("notify-keyspace-events", "En$lgshzxt")
    for command in [
            ("SET", "a", "1"), ("SET", "c", "x"), ("RENAME", "c", "a"), ("RPUSH", "src", "b", "a"),
            ("SORT", "src", "ALPHA", "STORE", "dst"), ("SORT", "nosuch", "STORE", "dst"), ("SET", "k1", "foo"),
            ("BITOP", "AND", "bo", "k1", "k1"), ("BITOP", "AND", "bo", "none1", "none2"), ("PFADD", "hll", "a"),
            ("GEOADD", "g", "13.36", "38.11", "p"), ("RPUSH", "ml", "a", "b"), ("LMPOP", "1", "ml", "RIGHT", "COUNT", "5"),
            ("ZADD", "mz", "1", "a"), ("ZMPOP", "1", "mz", "MIN"), ("HSET", "h", "f", "v"), ("COPY", "h", "h2", "DB", "2"),
            ("COPY", "h", "a", "REPLACE"), ("XADD", "st", "MAXLEN", "1", "*", "a", "b"),
            ("XADD", "st", "MAXLEN", "1", "*", "a", "b"), ("LPUSH", "lm", "a"), ("LMOVE", "lm", "lm", "LEFT", "RIGHT")]:
        call(r, *command)
    r.config_set("notify-keyspace-events", "")
    r.publish("__keyevent@0__:end", "end")
    got = []
    while True:
        message = sub.read()
        if message[2] == b"__keyevent@0__:end":
            break
        got.append((message[2].decode().split("@", 1)[1].replace("__:", ":"), message[3].decode()))
    sub.close()
    assert got == [
        ("0:new", "a"), ("0:set", "a"), ("0:new", "c"), ("0:set", "c"), ("0:new", "a"), ("0:rename_from", "c"),
        ("0:rename_to", "a"), ("0:new", "src"), ("0:rpush", "src"), ("0:new", "dst"), ("0:sortstore", "dst"),
        ("0:del", "dst"), ("0:new", "k1"), ("0:set", "k1"), ("0:new", "bo"), ("0:set", "bo"), ("0:del", "bo"),
        ("0:new", "hll"), ("0:pfadd", "hll"), ("0:new", "g"), ("0:zadd", "g"), ("0:new", "ml"), ("0:rpush", "ml"),
        ("0:rpop", "ml"), ("0:del", "ml"), ("0:new", "mz"), ("0:zadd", "mz"), ("0:zpopmin", "mz"), ("0:del", "mz"),
        ("0:new", "h"), ("0:hset", "h"), ("2:new", "h2"), ("2:copy_to", "h2"), ("0:new", "a"), ("0:copy_to", "a"),
        ("0:new", "st"), ("0:xadd", "st"), ("0:xadd", "st"), ("0:xtrim", "st"), ("0:new", "lm"), ("0:lpush", "lm"),
        ("0:rpush", "lm"), ("0:lpop", "lm")]


def test_blocked_client_served_by_a_push_reports_its_pop(server, r, events):
    blocked = server.raw()
    r.config_set("notify-keyspace-events", "El")
    blocked.send_command("BLPOP", "q", "0")
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, message="BLPOP to block")
    got = keyevents(events("El", ("RPUSH", "q", "x")))
    assert blocked.read() == [b"q", b"x"]
    assert got == [("rpush", "q"), ("lpop", "q")]
    blocked.close()
