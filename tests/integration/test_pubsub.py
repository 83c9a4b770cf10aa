"""Pub/sub: SUBSCRIBE PSUBSCRIBE SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH SPUBLISH,
PUBSUB, the RESP2 subscribed mode, RESP3 pushes, glob patterns, RESET and
disconnection, CLIENT LIST / INFO counts, the pubsub output buffer limit and
redis-py's PubSub (run_in_thread included).  Replies are byte-exact where they
are compared raw; everything passes against redis-server 7.0 (reference mode).

redis-py 4.3 (Debian) has no RESP3 support, so RESP3 pushes are read from a raw
connection (conftest.RespConn)."""
import socket
import threading
import time

import pytest

from conftest import Push, RespError, call, raises_reply, wait_until

SUBSCRIBED_ONLY = ("only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                   "are allowed in this context")


def numsub(r, channel):
    return call(r, "PUBSUB", "NUMSUB", channel)[1]


def wait_numsub(r, channel, count):
    wait_until(lambda: numsub(r, channel) == count, message=f"NUMSUB {channel} == {count}")


def next_message(pubsub, timeout=5.0):
    """The next message (not subscription confirmation) of a redis-py PubSub."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            return message
    pytest.fail("no message arrived")


# --------------------------------------------------------------------------
# Replies, byte for byte (RESP2)
# --------------------------------------------------------------------------

def test_subscribe_replies_one_confirmation_per_channel_with_the_running_count(raw):
    c = raw()
    c.send_command("SUBSCRIBE", "a", "b", "a")
    assert c.read_raw() == b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    assert c.read_raw() == b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
    assert c.read_raw() == b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n"
    # Patterns count with channels; shard channels on their own.
    assert c.call("PSUBSCRIBE", "p*") == [b"psubscribe", b"p*", 3]
    assert c.call("SSUBSCRIBE", "s") == [b"ssubscribe", b"s", 1]
    # Unsubscribing from a channel one is not subscribed to still answers.
    assert c.call("UNSUBSCRIBE", "x") == [b"unsubscribe", b"x", 3]
    assert c.call("SUNSUBSCRIBE", "s") == [b"sunsubscribe", b"s", 0]
    c.send_command("SUNSUBSCRIBE")
    assert c.read_raw() == b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
    assert c.call("PUNSUBSCRIBE") == [b"punsubscribe", b"p*", 2]
    c.send_command("UNSUBSCRIBE")
    got = sorted([c.read(), c.read()])
    assert got == [[b"unsubscribe", b"a", 0], [b"unsubscribe", b"b", 1]] or \
        got == [[b"unsubscribe", b"a", 1], [b"unsubscribe", b"b", 0]]
    # Out of subscribed mode: a plain PONG again, and an empty UNSUBSCRIBE answers null.
    c.send_command("UNSUBSCRIBE")
    assert c.read_raw() == b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    assert c.call("PING") == "PONG"


def test_messages_are_arrays_of_kind_channel_payload(raw, r):
    sub = raw()
    sub.call("SUBSCRIBE", "news")
    sub.call("PSUBSCRIBE", "n*s")
    sub.call("SSUBSCRIBE", "news")
    assert r.publish("news", "hello") == 2
    assert sub.read_raw() == b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    assert sub.read_raw() == b"*4\r\n$8\r\npmessage\r\n$3\r\nn*s\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    assert call(r, "SPUBLISH", "news", "shard") == 1
    assert sub.read_raw() == b"*3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$5\r\nshard\r\n"
    # Binary-safe payloads and channel names.
    assert r.publish("news", b"\x00\r\n\xff") == 2
    assert sub.read() == [b"message", b"news", b"\x00\r\n\xff"]
    assert sub.read() == [b"pmessage", b"n*s", b"news", b"\x00\r\n\xff"]
    assert r.publish("nobody", "x") == 0
    assert call(r, "SPUBLISH", "nobody", "x") == 0


def test_subscribed_resp2_client_may_only_change_subscriptions(raw):
    c = raw()
    c.call("SUBSCRIBE", "ch")
    c.send_command("PING")
    assert c.read_raw() == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert c.call("PING", "hi") == [b"pong", b"hi"]
    assert c.call("GET", "k") == RespError(f"ERR Can't execute 'get': {SUBSCRIBED_ONLY}")
    assert c.call("CONFIG", "GET", "maxmemory") == RespError(f"ERR Can't execute 'config|get': {SUBSCRIBED_ONLY}")
    assert c.call("PUBSUB", "NUMSUB") == RespError(f"ERR Can't execute 'pubsub|numsub': {SUBSCRIBED_ONLY}")
    assert c.call("HELLO", "3") == RespError(f"ERR Can't execute 'hello': {SUBSCRIBED_ONLY}")
    assert c.call("PUBLISH", "ch", "x") == RespError(f"ERR Can't execute 'publish': {SUBSCRIBED_ONLY}")
    # An unknown command and a wrong arity are reported as such first.
    assert c.call("NOSUCH") == RespError("ERR unknown command 'NOSUCH', with args beginning with: ")
    assert c.call("SUBSCRIBE") == RespError("ERR wrong number of arguments for 'subscribe' command")
    assert c.call("PSUBSCRIBE", "p") == [b"psubscribe", b"p", 2]
    assert c.call("RESET") == "RESET"
    assert c.call("GET", "k") is None


def test_quit_is_allowed_while_subscribed(raw):
    c = raw()
    c.call("SUBSCRIBE", "ch")
    c.send_command("QUIT")
    assert c.read_until_closed() == b"+OK\r\n"


def test_subscribe_in_multi_runs_at_exec_but_ssubscribe_is_refused(raw):
    c = raw()
    assert c.call("MULTI") == "OK"
    assert c.call("SSUBSCRIBE", "s") == "QUEUED"
    assert c.call("SUBSCRIBE", "ch") == "QUEUED"
    c.send_command("EXEC")
    assert c.read_raw() == (b"*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
                            b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
    assert c.call("PING") == [b"pong", b""]


# --------------------------------------------------------------------------
# RESP3: pushes mixed with replies
# --------------------------------------------------------------------------

def test_resp3_subscriber_runs_any_command_and_gets_pushes(r3):
    c = r3
    c.send_command("SUBSCRIBE", "a")
    assert c.read_raw() == b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    # A RESP3 client publishing to itself: the push comes before PUBLISH's reply.
    c.send_command("PUBLISH", "a", "hi")
    assert c.read_raw() == b">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
    assert c.read_raw() == b":1\r\n"
    c.send_command("PING")
    assert c.read_raw() == b"+PONG\r\n"
    assert c.call("SET", "k", "v") == "OK"
    assert c.call("GET", "k") == b"v"
    assert c.call("PSUBSCRIBE", "*") == Push([b"psubscribe", b"*", 2])
    assert c.call("PUBSUB", "NUMPAT") == 1
    c.send_command("UNSUBSCRIBE")
    assert c.read_raw() == b">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n"
    c.send_command("PUNSUBSCRIBE")
    assert c.read_raw() == b">3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:0\r\n"
    c.send_command("UNSUBSCRIBE")
    assert c.read_raw() == b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"


def test_resp3_messages_from_another_client_arrive_between_replies(r3, r):
    c = r3
    assert c.call("SUBSCRIBE", "ch") == Push([b"subscribe", b"ch", 1])
    assert c.call("SSUBSCRIBE", "sh") == Push([b"ssubscribe", b"sh", 1])
    assert r.publish("ch", "one") == 1
    assert call(r, "SPUBLISH", "sh", "two") == 1
    assert c.read_raw() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\none\r\n"
    assert c.read_raw() == b">3\r\n$8\r\nsmessage\r\n$2\r\nsh\r\n$3\r\ntwo\r\n"
    assert c.call("ECHO", "after") == b"after"


# --------------------------------------------------------------------------
# Patterns: Redis's glob rules
# --------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, matching, not_matching", [
    ("h?llo", ["hello", "hallo"], ["hllo", "heello"]),
    ("h*llo", ["hllo", "heeeello"], ["hell", "xhllo"]),
    ("h[ae]llo", ["hello", "hallo"], ["hillo"]),
    ("h[^e]llo", ["hallo", "hbllo"], ["hello"]),
    ("h[a-b]llo", ["hallo", "hbllo"], ["hcllo"]),
    ("h\\*llo", ["h*llo"], ["hello"]),
    ("*", ["anything", "x"], [""]),  # Redis's matcher never matches an empty channel
    ("news.*", ["news.", "news.art"], ["news", "new.s"]),
    ("a*b*c", ["abc", "axxbyyc"], ["acb"]),
])
def test_pattern_subscriptions_follow_redis_glob_rules(raw, r, pattern, matching, not_matching):
    sub = raw()
    assert sub.call("PSUBSCRIBE", pattern) == [b"psubscribe", pattern.encode(), 1]
    for channel in not_matching:
        assert r.publish(channel, "no") == 0
    for channel in matching:
        assert r.publish(channel, "yes") == 1
        assert sub.read() == [b"pmessage", pattern.encode(), channel.encode(), b"yes"]


def test_a_message_reaches_each_matching_subscription(raw, r):
    sub = raw()
    sub.call("SUBSCRIBE", "a.b")
    sub.call("PSUBSCRIBE", "a.*")
    sub.call("PSUBSCRIBE", "*.b")
    sub.call("PSUBSCRIBE", "x*")
    other = raw()
    other.call("PSUBSCRIBE", "a.*")
    assert r.publish("a.b", "m") == 4
    got = [sub.read() for _ in range(3)]
    assert got[0] == [b"message", b"a.b", b"m"]
    assert sorted(got[1:]) == [[b"pmessage", b"*.b", b"a.b", b"m"], [b"pmessage", b"a.*", b"a.b", b"m"]]
    assert other.read() == [b"pmessage", b"a.*", b"a.b", b"m"]


def test_many_patterns_with_shared_prefixes(raw, r):
    sub = raw()
    patterns = [f"user.{i}.*" for i in range(200)] + ["user.*", "us*", "*"]
    sub.send_command("PSUBSCRIBE", *patterns)
    for _ in patterns:
        sub.read()
    assert call(r, "PUBSUB", "NUMPAT") == len(patterns)
    assert r.publish("user.17.login", "x") == 4  # user.17.*, user.*, us*, *
    assert r.publish("user.1", "x") == 3
    assert r.publish("other", "x") == 1
    sub.send_command("PUNSUBSCRIBE", *patterns[:200])
    for _ in range(200):
        sub.read()
    sub.read_available(0.2)
    assert call(r, "PUBSUB", "NUMPAT") == 3
    assert r.publish("user.17.login", "x") == 3


# --------------------------------------------------------------------------
# PUBSUB introspection
# --------------------------------------------------------------------------

def test_pubsub_channels_numsub_numpat(raw, r):
    a = raw()
    b = raw()
    a.send_command("SUBSCRIBE", "news.art", "news.tech", "sport")
    [a.read() for _ in range(3)]
    b.call("SUBSCRIBE", "news.art")
    b.call("PSUBSCRIBE", "news.*")
    a.call("PSUBSCRIBE", "news.*")
    b.call("SSUBSCRIBE", "shard.one")
    assert sorted(call(r, "PUBSUB", "CHANNELS")) == ["news.art", "news.tech", "sport"]
    assert sorted(call(r, "PUBSUB", "CHANNELS", "news.*")) == ["news.art", "news.tech"]
    assert call(r, "PUBSUB", "CHANNELS", "nothing*") == []
    assert call(r, "PUBSUB", "NUMSUB", "news.art", "sport", "none") == ["news.art", 2, "sport", 1, "none", 0]
    assert call(r, "PUBSUB", "NUMSUB") == []
    assert call(r, "PUBSUB", "NUMPAT") == 1  # unique patterns
    assert call(r, "PUBSUB", "SHARDCHANNELS") == ["shard.one"]
    assert call(r, "PUBSUB", "SHARDCHANNELS", "x*") == []
    assert call(r, "PUBSUB", "SHARDNUMSUB", "shard.one", "news.art") == ["shard.one", 1, "news.art", 0]
    # redis-py's helpers
    assert r.pubsub_numsub("news.art") == [("news.art", 2)]
    assert r.pubsub_numpat() == 1


def test_pubsub_errors_and_help(r):
    with raises_reply("ERR wrong number of arguments for 'pubsub' command"):
        call(r, "PUBSUB")
    with raises_reply("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."):
        call(r, "PUBSUB", "FOO")
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."):
        call(r, "PUBSUB", "CHANNELS", "a", "")
    with raises_reply("ERR wrong number of arguments for 'pubsub|numpat' command"):
        call(r, "PUBSUB", "NUMPAT", "x")
    with raises_reply("ERR wrong number of arguments for 'publish' command"):
        call(r, "PUBLISH", "ch")
    with raises_reply("ERR wrong number of arguments for 'spublish' command"):
        call(r, "SPUBLISH", "ch")
    help_lines = call(r, "PUBSUB", "HELP")
    assert help_lines[0] == "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "SHARDNUMSUB [<shardchannel> ...]" in help_lines
    assert help_lines[-2:] == ["HELP", "    Prints this help."]
    assert len(help_lines) == 14


def test_command_info_of_pubsub_commands(r):
    info = call(r, "COMMAND", "INFO", "publish", "ssubscribe", "spublish")
    assert info[0][:6] == ["publish", 3, ["pubsub", "loading", "stale", "fast"], 0, 0, 0]
    assert info[1][:6] == ["ssubscribe", -2, ["pubsub", "noscript", "loading", "stale"], 1, -1, 1]
    assert info[2][:6] == ["spublish", 3, ["pubsub", "loading", "stale", "fast"], 1, 1, 1]
    assert set(info[1][6]) == {"@pubsub", "@slow"}


# --------------------------------------------------------------------------
# RESET, disconnection, CLIENT LIST, INFO
# --------------------------------------------------------------------------

def test_reset_and_disconnection_drop_every_subscription(raw, r):
    a = raw()
    a.call("SUBSCRIBE", "gone")
    a.call("PSUBSCRIBE", "gone*")
    a.call("SSUBSCRIBE", "gone")
    assert a.call("RESET") == "RESET"
    assert numsub(r, "gone") == 0
    assert call(r, "PUBSUB", "NUMPAT") == 0
    assert call(r, "PUBSUB", "SHARDNUMSUB", "gone") == ["gone", 0]
    assert a.call("PING") == "PONG"

    b = raw()
    b.call("SUBSCRIBE", "gone")
    b.call("PSUBSCRIBE", "gone*")
    b.call("SSUBSCRIBE", "gone")
    b.close()
    wait_numsub(r, "gone", 0)
    wait_until(lambda: call(r, "PUBSUB", "NUMPAT") == 0, message="NUMPAT 0")
    assert call(r, "PUBSUB", "SHARDNUMSUB", "gone") == ["gone", 0]
    assert r.publish("gone", "x") == 0


def test_client_list_and_info_count_subscriptions(raw, r):
    a = raw()
    a.call("CLIENT", "SETNAME", "subscriber")
    a.send_command("SUBSCRIBE", "c1", "c2")
    [a.read() for _ in range(2)]
    a.call("PSUBSCRIBE", "p*")
    a.call("SSUBSCRIBE", "s1")
    line = next(line for line in r.execute_command("CLIENT", "LIST").splitlines() if "name=subscriber" in line)
    fields = dict(item.partition("=")[::2] for item in line.split(" "))
    assert (fields["sub"], fields["psub"], fields["ssub"]) == ("2", "1", "1")
    assert fields["flags"] == "P"
    assert fields["cmd"] == "ssubscribe"
    listed = r.execute_command("CLIENT", "LIST", "TYPE", "pubsub")
    assert "name=subscriber" in listed
    assert "name=subscriber" not in r.execute_command("CLIENT", "LIST", "TYPE", "normal")
    stats = r.info("stats")
    assert (stats["pubsub_channels"], stats["pubsub_patterns"], stats["pubsubshard_channels"]) == (2, 1, 1)
    a.call("RESET")
    stats = r.info("stats")
    assert (stats["pubsub_channels"], stats["pubsub_patterns"], stats["pubsubshard_channels"]) == (0, 0, 0)


# --------------------------------------------------------------------------
# client-output-buffer-limit pubsub
# --------------------------------------------------------------------------

def test_slow_subscriber_is_disconnected_at_the_pubsub_hard_limit(server, r, config_restore):
    config_restore("client-output-buffer-limit")
    r.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
    sub = socket.create_connection(("127.0.0.1", server.port))
    try:
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
        wait_numsub(r, "slow", 1)
        # The subscriber never reads: at most ~1 MiB plus the socket buffers can be
        # pending before the server lets it go (bounded: 400 x 64 KiB = 25 MiB).
        payload = "x" * 65536
        for sent in range(400):
            if r.publish("slow", payload) == 0:
                break
        else:
            pytest.fail("the slow subscriber was never disconnected")
        assert sent > 4
        wait_numsub(r, "slow", 0)
        # The publisher and other clients are unaffected.
        assert r.ping()
    finally:
        sub.close()


def test_subscriber_that_reads_keeps_up_with_a_burst(raw, r):
    sub = raw()
    sub.call("SUBSCRIBE", "burst")
    pipe = r.pipeline(transaction=False)
    for i in range(2000):
        pipe.publish("burst", str(i))
    assert pipe.execute() == [1] * 2000
    for i in range(2000):
        assert sub.read() == [b"message", b"burst", str(i).encode()]


# --------------------------------------------------------------------------
# redis-py PubSub
# --------------------------------------------------------------------------

def test_redis_py_pubsub_round_trip(server, r):
    client = server.client()
    p = client.pubsub()
    p.subscribe("rp.channel")
    p.psubscribe("rp.*")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert p.get_message(timeout=5)["type"] == "psubscribe"
    assert r.publish("rp.channel", "payload") == 2
    m = next_message(p)
    assert (m["type"], m["channel"], m["data"]) == ("message", "rp.channel", "payload")
    m = next_message(p)
    assert (m["type"], m["pattern"], m["channel"], m["data"]) == ("pmessage", "rp.*", "rp.channel", "payload")
    p.unsubscribe("rp.channel")
    p.punsubscribe()
    assert p.get_message(timeout=5)["type"] == "unsubscribe"
    assert p.get_message(timeout=5)["type"] == "punsubscribe"
    assert not p.subscribed
    p.close()
    client.close()


def test_redis_py_run_in_thread_delivers_to_handlers(server, r):
    client = server.client()
    p = client.pubsub(ignore_subscribe_messages=True)
    received = []
    done = threading.Event()

    def handler(message):
        received.append(message["data"])
        if len(received) == 100:
            done.set()

    p.subscribe(**{"thread.channel": handler})
    worker = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        wait_numsub(r, "thread.channel", 1)
        for i in range(100):
            r.publish("thread.channel", str(i))
        assert done.wait(10), f"only {len(received)} messages arrived"
        assert received == [str(i) for i in range(100)]
    finally:
        worker.stop()
        worker.join(timeout=5)
        p.close()
        client.close()
    assert not worker.is_alive()
    wait_numsub(r, "thread.channel", 0)
