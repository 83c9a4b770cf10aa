"""CLIENT TRACKING (server-assisted client-side caching): default mode, BCAST with
prefixes, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP, REDIRECT to a RESP2 subscriber,
a broken redirect, FLUSHALL/FLUSHDB, MULTI/EXEC, scripts, expiry, the
tracking-table-max-keys bound, CLIENT TRACKINGINFO / GETREDIR / LIST / INFO and every
error of a bad combination.  Everything passes against redis-server 7.0 (reference
mode).

redis-py 4.3 (Debian) has no RESP3, so the tracking clients are raw connections
(conftest.RespConn).  A message that must not come is checked by a PING sent after
the write that would have caused it: the server writes an invalidation into the
client's output when the key changes, so it would precede the PONG."""
import pytest

from conftest import Push, RespError, RespMap, RespSet, server_ms, wait_past, wait_until

INVALIDATE = b"$10\r\ninvalidate\r\n"


def tracking_client(raw, *options, resp3=True):
    c = raw()
    if resp3:
        assert isinstance(c.call("HELLO", "3"), RespMap)
    assert c.call("CLIENT", "TRACKING", "ON", *options) == "OK"
    return c


def invalidation(*keys):
    return Push([b"invalidate", [k.encode() for k in keys]])


def assert_quiet(c):
    """Nothing is waiting for `c`: the next thing it reads is its own PONG."""
    assert c.call("PING") == "PONG"


def client_fields(c):
    line = c.call("CLIENT", "INFO")
    if isinstance(line, bytes):
        line = line.decode()
    return dict(field.split("=", 1) for field in line.split())


def info_field(r, name):
    return r.info()[name]


# --------------------------------------------------------------------------
# Default mode
# --------------------------------------------------------------------------

def test_a_key_read_is_invalidated_once_when_another_client_changes_it(r, raw):
    c = tracking_client(raw)
    assert c.call("GET", "a") is None
    r.set("a", "1")
    assert c.read_raw() == b">2\r\n" + INVALIDATE + b"*1\r\n$1\r\na\r\n"
    # Forgotten after the message: another change sends nothing until it is read again.
    r.set("a", "2")
    assert_quiet(c)
    assert c.call("GET", "a") == b"2"
    r.delete("a")
    assert c.read() == invalidation("a")


def test_every_key_of_a_read_only_command_is_tracked_and_writes_are_not_reads(r, raw):
    r.set("w", "0")
    c = tracking_client(raw)
    assert c.call("MGET", "k1", "k2") == [None, None]
    assert c.call("INCR", "w") == 1  # a write registers nothing
    assert info_field(r, "tracking_total_keys") == 2
    assert info_field(r, "tracking_total_items") == 2
    r.set("w", "5")
    r.mset({"k2": "x", "k1": "y"})
    assert [c.read(), c.read()] == [invalidation("k2"), invalidation("k1")]
    assert_quiet(c)


def test_own_write_is_announced_after_its_reply_unless_noloop(r, raw):
    c = tracking_client(raw)
    c.call("GET", "a")
    c.send_command("SET", "a", "1")
    assert c.read() == "OK"
    assert c.read() == invalidation("a")

    n = tracking_client(raw, "NOLOOP")
    n.call("GET", "b")
    assert n.call("SET", "b", "1") == "OK"
    assert_quiet(n)
    # The change forgot the key anyway: another client's write sends nothing.
    r.set("b", "2")
    assert_quiet(n)
    n.call("GET", "b")
    r.set("b", "3")
    assert n.read() == invalidation("b")


def test_two_readers_of_one_key_each_get_the_message(r, raw):
    c1 = tracking_client(raw)
    c2 = tracking_client(raw)
    c1.call("GET", "k")
    c2.call("GET", "k")
    assert info_field(r, "tracking_total_keys") == 1
    assert info_field(r, "tracking_total_items") == 2
    r.set("k", "v")
    assert c1.read() == invalidation("k")
    assert c2.read() == invalidation("k")


def test_keys_are_names_whatever_the_db(r, raw):
    c = tracking_client(raw)
    c.call("GET", "k")
    r.execute_command("SELECT", "1")
    r.set("k", "other db")
    assert c.read() == invalidation("k")
    r.execute_command("SELECT", "0")
    r.execute_command("FLUSHALL")


def test_tracking_off_stops_the_messages(r, raw):
    c = tracking_client(raw)
    c.call("GET", "a")
    assert c.call("CLIENT", "TRACKING", "OFF") == "OK"
    r.set("a", "1")
    assert_quiet(c)
    assert info_field(r, "tracking_clients") == 0


def test_resp2_client_without_redirect_is_told_nothing(r, raw):
    c = tracking_client(raw, resp3=False)
    assert c.call("GET", "a") is None
    r.set("a", "1")
    assert_quiet(c)


# --------------------------------------------------------------------------
# MULTI/EXEC, scripts, expiry
# --------------------------------------------------------------------------

def test_exec_reply_comes_before_the_invalidations_of_its_writes(r, raw):
    c = tracking_client(raw)
    c.call("MGET", "a", "b")
    for command in (("MULTI",), ("SET", "a", "1"), ("SET", "b", "2"), ("EXEC",)):
        c.send_command(*command)
    assert [c.read() for _ in range(4)] == ["OK", "QUEUED", "QUEUED", ["OK", "OK"]]
    assert c.read() == invalidation("a")
    assert c.read() == invalidation("b")
    assert_quiet(c)


def test_keys_read_inside_exec_are_tracked(r, raw):
    c = tracking_client(raw)
    for command in (("MULTI",), ("GET", "x"), ("EXEC",)):
        c.send_command(*command)
    assert [c.read() for _ in range(3)] == ["OK", "QUEUED", [None]]
    r.set("x", "1")
    assert c.read() == invalidation("x")


def test_script_reads_track_keys_for_the_caller_and_script_writes_invalidate(r, raw):
    c = tracking_client(raw)
    assert c.call("EVAL", "return redis.call('get', KEYS[1])", "1", "s") is None
    r.set("s", "1")
    assert c.read() == invalidation("s")

    c.call("GET", "t")
    c.send_command("EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "t")
    assert c.read() == "OK"
    assert c.read() == invalidation("t")


def test_expired_key_is_invalidated(r, raw):
    r.set("e", "1", px=50)
    c = tracking_client(raw)
    assert c.call("GET", "e") == b"1"
    wait_past(r, server_ms(r) + 60)
    assert r.get("e") is None  # lazy expiry by another client
    assert c.read() == invalidation("e")


# --------------------------------------------------------------------------
# FLUSHALL / FLUSHDB
# --------------------------------------------------------------------------

@pytest.mark.parametrize("flush", ["FLUSHALL", "FLUSHDB"])
def test_flush_sends_null_invalidation_and_empties_the_table(r, raw, flush):
    c = tracking_client(raw)
    c.call("GET", "a")
    r.execute_command(flush)
    assert c.read_raw() == b">2\r\n" + INVALIDATE + b"_\r\n"
    assert info_field(r, "tracking_total_keys") == 0
    # The flushing client itself gets it after its reply.
    c.send_command(flush)
    assert c.read() == "OK"
    assert c.read_raw() == b">2\r\n" + INVALIDATE + b"_\r\n"


# --------------------------------------------------------------------------
# BCAST
# --------------------------------------------------------------------------

def test_bcast_sends_the_changed_keys_of_each_prefix_in_one_message(r, raw):
    c = tracking_client(raw, "BCAST", "PREFIX", "user:", "PREFIX", "obj:")
    assert info_field(r, "tracking_total_prefixes") == 2
    r.mset({"user:2": "a", "other": "b", "obj:1": "c", "user:1": "d"})
    # Prefixes in byte order, keys in byte order; keys nobody read are announced too.
    assert c.read_raw() == b">2\r\n" + INVALIDATE + b"*1\r\n$5\r\nobj:1\r\n"
    assert c.read() == invalidation("user:1", "user:2")
    assert_quiet(c)
    # No key table in BCAST mode.
    c.call("GET", "user:1")
    assert info_field(r, "tracking_total_keys") == 0


def test_bcast_without_prefix_covers_every_key_and_noloop_skips_own_changes(r, raw):
    c = tracking_client(raw, "BCAST")
    r.set("anything", "1")
    assert c.read() == invalidation("anything")
    n = tracking_client(raw, "BCAST", "NOLOOP", "PREFIX", "n:")
    assert n.call("SET", "n:mine", "1") == "OK"
    assert_quiet(n)
    r.set("n:theirs", "1")
    assert n.read() == invalidation("n:theirs")


def test_bcast_client_list_flags_and_trackinginfo(r, raw):
    c = tracking_client(raw, "BCAST", "PREFIX", "b", "PREFIX", "a")
    fields = client_fields(c)
    assert fields["flags"] == "tB"
    assert fields["redir"] == "0"
    info = c.call("CLIENT", "TRACKINGINFO")
    assert info == RespMap([(b"flags", RespSet([b"on", b"bcast"])), (b"redirect", 0),
                            (b"prefixes", [b"a", b"b"])])
    # More prefixes add to the ones already there.
    assert c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c") == "OK"
    assert c.call("CLIENT", "TRACKINGINFO")[b"prefixes"] == [b"a", b"b", b"c"]
    assert info_field(r, "tracking_total_prefixes") == 3
    assert c.call("CLIENT", "TRACKING", "OFF") == "OK"
    assert info_field(r, "tracking_total_prefixes") == 0


# --------------------------------------------------------------------------
# OPTIN / OPTOUT and CLIENT CACHING
# --------------------------------------------------------------------------

def test_optin_tracks_only_the_command_after_caching_yes(r, raw):
    c = tracking_client(raw, "OPTIN")
    c.call("GET", "a")
    assert c.call("CLIENT", "CACHING", "YES") == "OK"
    flags = c.call("CLIENT", "TRACKINGINFO")[b"flags"]
    assert flags == RespSet([b"on", b"optin", b"caching-yes"])
    c.call("GET", "b")
    c.call("GET", "c")  # the choice lasted one command
    r.mset({"a": "1", "b": "1", "c": "1"})
    assert c.read() == invalidation("b")
    assert_quiet(c)
    assert c.call("CLIENT", "TRACKINGINFO")[b"flags"] == RespSet([b"on", b"optin"])


def test_optin_caching_yes_covers_a_whole_transaction(r, raw):
    c = tracking_client(raw, "OPTIN")
    for command in (("CLIENT", "CACHING", "YES"), ("MULTI",), ("GET", "a"), ("GET", "b"), ("EXEC",)):
        c.send_command(*command)
    assert [c.read() for _ in range(5)] == ["OK", "OK", "QUEUED", "QUEUED", [None, None]]
    r.mset({"a": "1", "b": "1"})
    assert [c.read(), c.read()] == [invalidation("a"), invalidation("b")]


def test_optout_skips_only_the_command_after_caching_no(r, raw):
    c = tracking_client(raw, "OPTOUT")
    assert c.call("CLIENT", "CACHING", "NO") == "OK"
    c.call("GET", "a")
    c.call("GET", "b")
    r.mset({"a": "1", "b": "1"})
    assert c.read() == invalidation("b")
    assert_quiet(c)


# --------------------------------------------------------------------------
# REDIRECT
# --------------------------------------------------------------------------

def test_redirect_to_a_resp2_subscriber_uses_the_invalidate_channel(r, raw):
    s = raw()
    sid = s.call("CLIENT", "ID")
    assert s.call("SUBSCRIBE", "__redis__:invalidate") == [b"subscribe", b"__redis__:invalidate", 1]
    c = tracking_client(raw, "REDIRECT", sid, resp3=False)
    assert c.call("CLIENT", "GETREDIR") == sid
    fields = client_fields(c)
    assert (fields["flags"], fields["redir"]) == ("t", str(sid))
    assert c.call("CLIENT", "TRACKINGINFO") == [b"flags", [b"on"], b"redirect", sid, b"prefixes", []]
    c.call("GET", "a")
    r.set("a", "1")
    assert s.read_raw() == (b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
                            b"*1\r\n$1\r\na\r\n")
    r.execute_command("FLUSHALL")
    assert s.read_raw() == b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
    assert_quiet(c)


def test_redirect_to_a_resp3_client_sends_it_the_push(r, raw):
    target = raw()
    assert isinstance(target.call("HELLO", "3"), RespMap)
    tid = target.call("CLIENT", "ID")
    c = tracking_client(raw, "REDIRECT", tid, resp3=False)
    c.call("GET", "a")
    r.set("a", "1")
    assert target.read() == invalidation("a")


def test_broken_redirect_is_reported_to_a_resp3_client(r, raw):
    s = raw()
    sid = s.call("CLIENT", "ID")
    c = tracking_client(raw, "REDIRECT", sid)
    s.close()
    r.execute_command("CLIENT", "KILL", "ID", sid)  # 0 or 1: it may be gone already
    c.call("GET", "a")
    r.set("a", "1")
    assert c.read_raw() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % sid
    fields = client_fields(c)
    assert fields["flags"] == "tR"
    assert c.call("CLIENT", "TRACKINGINFO")[b"flags"] == RespSet([b"on", b"broken_redirect"])
    # Turning tracking on again starts afresh.
    assert c.call("CLIENT", "TRACKING", "ON") == "OK"
    assert c.call("CLIENT", "TRACKINGINFO")[b"flags"] == RespSet([b"on"])


# --------------------------------------------------------------------------
# The table's bound
# --------------------------------------------------------------------------

def test_table_over_its_bound_forgets_keys_with_their_invalidations(r, raw, config_restore):
    config_restore("tracking-table-max-keys")
    r.config_set("tracking-table-max-keys", 2)
    c = tracking_client(raw)
    assert c.call("MGET", "a", "b", "c", "d") == [None] * 4
    # The next command (anyone's) brings the table back under the bound first.
    assert info_field(r, "tracking_total_keys") == 2
    evicted = [c.read(), c.read()]
    assert_quiet(c)
    keys = set()
    for message in evicted:
        assert message[0] == b"invalidate" and len(message[1]) == 1
        keys.add(message[1][0])
    assert len(keys) == 2 and keys < {b"a", b"b", b"c", b"d"}
    # The remaining two are still tracked.
    r.mset({"a": "1", "b": "1", "c": "1", "d": "1"})
    remaining = {c.read()[1][0], c.read()[1][0]}
    assert remaining == {b"a", b"b", b"c", b"d"} - keys


# --------------------------------------------------------------------------
# State: GETREDIR, TRACKINGINFO, CLIENT LIST, INFO, RESET, disconnection
# --------------------------------------------------------------------------

def test_state_when_off_and_on(r, raw):
    c = raw()
    assert c.call("CLIENT", "GETREDIR") == -1
    assert c.call("CLIENT", "TRACKINGINFO") == [b"flags", [b"off"], b"redirect", -1, b"prefixes", []]
    fields = client_fields(c)
    assert (fields["flags"], fields["redir"]) == ("N", "-1")
    before = info_field(r, "tracking_clients")
    assert c.call("CLIENT", "TRACKING", "ON", "OPTOUT", "NOLOOP") == "OK"
    assert c.call("CLIENT", "GETREDIR") == 0
    assert c.call("CLIENT", "TRACKINGINFO") == [b"flags", [b"on", b"optout", b"noloop"], b"redirect", 0,
                                                b"prefixes", []]
    assert info_field(r, "tracking_clients") == before + 1
    assert c.call("RESET") == "RESET"
    assert c.call("CLIENT", "TRACKINGINFO")[1] == [b"off"]
    assert info_field(r, "tracking_clients") == before
    assert c.call("CLIENT", "TRACKING", "ON") == "OK"
    c.close()
    wait_until(lambda: info_field(r, "tracking_clients") == before, message="tracking client gone")


def test_trackinginfo_resp3_bytes(raw):
    c = tracking_client(raw, "OPTIN")
    c.send_command("CLIENT", "TRACKINGINFO")
    assert c.read_raw() == (b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\noptin\r\n"
                            b"$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def test_errors_of_bad_combinations(r, raw):
    c = raw()
    cid = c.call("CLIENT", "ID")

    def err(*args):
        reply = c.call(*args)
        assert isinstance(reply, RespError), reply
        return str(reply)

    assert err("CLIENT", "TRACKING", "ON", "PREFIX", "a") == "ERR PREFIX option requires BCAST mode to be enabled"
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN") == "ERR OPTIN and OPTOUT are not compatible with BCAST"
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "OPTOUT") == "ERR OPTIN and OPTOUT are not compatible with BCAST"
    assert err("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT") == "ERR You can't specify both OPTIN mode and OPTOUT mode"
    assert err("CLIENT", "TRACKING", "ON", "REDIRECT", "987654") == (
        "ERR The client ID you want redirect to does not exist")
    assert err("CLIENT", "TRACKING", "ON", "REDIRECT", "x") == "ERR value is not an integer or out of range"
    assert err("CLIENT", "TRACKING", "ON", "REDIRECT", cid, "REDIRECT", cid) == (
        "ERR A client can only redirect to a single other client")
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a") == (
        "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.")
    assert err("CLIENT", "TRACKING", "ON", "NOPE") == "ERR syntax error"
    assert err("CLIENT", "TRACKING", "ON", "REDIRECT") == "ERR syntax error"
    assert err("CLIENT", "TRACKING", "MAYBE") == "ERR syntax error"
    assert err("CLIENT", "TRACKING") == "ERR wrong number of arguments for 'client|tracking' command"
    assert err("CLIENT", "CACHING", "YES") == (
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode "
        "enabled")
    assert c.call("CLIENT", "TRACKINGINFO")[1] == [b"off"]  # nothing above enabled it

    assert c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "abc") == "OK"
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab") == (
        "ERR Prefix 'ab' overlaps with an existing prefix 'abc'. Prefixes for a single client must not overlap.")
    assert err("CLIENT", "TRACKING", "ON") == (
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling "
        "it with a different mode.")
    assert c.call("CLIENT", "TRACKING", "OFF") == "OK"

    assert c.call("CLIENT", "TRACKING", "ON", "OPTIN") == "OK"
    assert err("CLIENT", "TRACKING", "ON", "OPTOUT") == (
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling "
        "it with a different mode.")
    assert err("CLIENT", "CACHING", "NO") == (
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    assert err("CLIENT", "CACHING", "MAYBE") == "ERR syntax error"
    assert c.call("CLIENT", "TRACKING", "ON") == "OK"
    assert err("CLIENT", "CACHING", "YES") == (
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
