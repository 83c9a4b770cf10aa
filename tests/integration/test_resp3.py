"""RESP3 after HELLO 3: which reply types Redis 7.0 uses for string, key and
server commands, checked byte-exactly and through the typed parser.
(redis-py 4.3.4 cannot speak RESP3, so r3 is a raw RespConn.)"""
import pytest

from conftest import (Double, Push, RespError, RespMap, RespSet, Verbatim)


def send(c, *args):
    c.send_command(*args)
    return c.read_raw()


def test_hello_3_reply_is_a_map(raw, server):
    c = raw()
    c.send_command("HELLO", "3")
    raw_reply = c.read_raw()
    assert raw_reply.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n")
    c.send_command("HELLO")
    reply = c.read()
    assert isinstance(reply, RespMap)
    assert list(reply) == [b"server", b"version", b"proto", b"id", b"mode", b"role",
                           b"modules"]
    assert reply[b"proto"] == 3
    assert reply[b"id"] == c.call("CLIENT", "ID")
    assert reply[b"mode"] == b"standalone"
    assert reply[b"role"] == b"master"
    assert reply[b"modules"] == []


@pytest.mark.parametrize("setup,command", [
    ((), ("GET", "nokey")),
    ((), ("GETDEL", "nokey")),
    ((), ("GETEX", "nokey")),
    ((), ("SET", "k", "v", "GET")),
    ((("SET", "k", "v"),), ("SET", "k", "v", "NX")),
    ((), ("SET", "k", "v", "XX")),
    ((), ("RANDOMKEY",)),
    ((), ("OBJECT", "ENCODING", "nokey")),
    ((), ("DUMP", "nokey")),
    ((), ("CLIENT", "GETNAME")),
    ((), ("GETSET", "k", "v")),
])
def test_null_is_underscore(r3, setup, command):
    for cmd in setup:
        r3.call(*cmd)
    assert send(r3, *command) == b"_\r\n"


def test_null_inside_arrays(r3):
    r3.call("SET", "a", "1")
    assert send(r3, "MGET", "a", "nokey") == b"*2\r\n$1\r\n1\r\n_\r\n"
    assert send(r3, "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10") == \
        b"*1\r\n_\r\n"


def test_exec_results_and_aborted_exec(r3, raw):
    r3.call("MULTI")
    r3.call("GET", "nokey")
    r3.call("INCR", "n")
    assert send(r3, "EXEC") == b"*2\r\n_\r\n:1\r\n"
    other = raw()
    r3.call("WATCH", "n")
    other.call("INCR", "n")
    r3.call("MULTI")
    r3.call("PING")
    assert send(r3, "EXEC") == b"_\r\n"


def test_incrbyfloat_stays_a_bulk_string(r3):
    assert send(r3, "INCRBYFLOAT", "f", "1.5") == b"$3\r\n1.5\r\n"


def test_integers_and_simple_strings_unchanged(r3):
    assert send(r3, "SET", "a", "1") == b"+OK\r\n"
    assert send(r3, "EXISTS", "a") == b":1\r\n"
    assert send(r3, "TTL", "a") == b":-1\r\n"
    assert send(r3, "TYPE", "a") == b"+string\r\n"
    assert send(r3, "INCR", "a") == b":2\r\n"
    assert send(r3, "PING") == b"+PONG\r\n"


def test_arrays_unchanged(r3):
    r3.call("SET", "a", "1")
    assert send(r3, "KEYS", "*") == b"*1\r\n$1\r\na\r\n"
    assert send(r3, "SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    secs, usecs = r3.call("TIME")
    assert isinstance(secs, bytes) and isinstance(usecs, bytes)


def test_errors_unchanged(r3):
    assert send(r3, "GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    r3.call("SET", "s", "x")
    reply = r3.call("INCR", "s")
    assert isinstance(reply, RespError)
    assert reply == "ERR value is not an integer or out of range"


def test_config_get_is_a_map(r3):
    assert send(r3, "CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert send(r3, "CONFIG", "GET", "nosuch") == b"%0\r\n"
    reply = r3.call("CONFIG", "GET", "maxmemory*")
    assert isinstance(reply, RespMap)
    assert reply[b"maxmemory-policy"] == b"noeviction"


def test_lcs_idx_is_a_map(r3):
    r3.call("MSET", "k1", "ohmytext", "k2", "mynewtext")
    reply = r3.call("LCS", "k1", "k2", "IDX")
    assert isinstance(reply, RespMap)
    assert reply == {b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len": 6}
    assert send(r3, "LCS", "k1", "k2", "LEN") == b":6\r\n"


def test_command_info_uses_sets_and_maps(r3):
    c = r3
    c.send_command("COMMAND", "INFO", "get")
    assert c.read_raw().startswith(
        b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        b"~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n")
    (info,) = c.call("COMMAND", "INFO", "get")
    assert isinstance(info[2], RespSet) and isinstance(info[6], RespSet)
    assert isinstance(info[8][0], RespMap)


def test_command_docs_is_a_map(r3):
    reply = r3.call("COMMAND", "DOCS", "get")
    assert isinstance(reply, RespMap)
    doc = reply[b"get"]
    assert isinstance(doc, RespMap)
    # Redis 7.0's text, or 7.2's (the summaries tierkv's table carries).
    assert doc[b"summary"] in (b"Get the value of a key", b"Returns the string value of a key.")


def test_info_and_client_list_are_verbatim_text(r3):
    info = r3.call("INFO", "server")
    assert isinstance(info, Verbatim) and info.format == "txt"
    assert info.startswith("# Server\r\n")
    for sub in ("INFO", "LIST"):
        line = r3.call("CLIENT", sub)
        assert isinstance(line, Verbatim) and line.format == "txt"
        assert "resp=3" in line
    r3.send_command("INFO", "keyspace")
    assert r3.read_raw().startswith(b"=")


def test_resp2_client_unaffected_by_resp3_client(r3, r):
    r3.call("SET", "k", "v")
    assert r.get("nokey") is None
    assert r.config_get("maxmemory") == {"maxmemory": "0"}


# --------------------------------------------------------------------------
# DEBUG PROTOCOL: every RESP3 type, and its RESP2 downgrade
# --------------------------------------------------------------------------

PROTOCOL_REPLIES = {
    "string": (b"$11\r\nHello World\r\n", b"$11\r\nHello World\r\n"),
    "integer": (b":12345\r\n", b":12345\r\n"),
    "double": (b",3.141\r\n", b"$5\r\n3.141\r\n"),
    "bignum": (b"(1234567999999999999999999999999999999\r\n",
               b"$37\r\n1234567999999999999999999999999999999\r\n"),
    "null": (b"_\r\n", b"$-1\r\n"),
    "array": (b"*3\r\n:0\r\n:1\r\n:2\r\n", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
    "set": (b"~3\r\n:0\r\n:1\r\n:2\r\n", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
    "map": (b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
            b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"),
    "attrib": (b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
               b"$39\r\nSome real reply following the attribute\r\n",
               b"$39\r\nSome real reply following the attribute\r\n"),
    "verbatim": (b"=29\r\ntxt:This is a verbatim\nstring\r\n",
                 b"$25\r\nThis is a verbatim\nstring\r\n"),
    "true": (b"#t\r\n", b":1\r\n"),
    "false": (b"#f\r\n", b":0\r\n"),
}


@pytest.mark.parametrize("kind", sorted(PROTOCOL_REPLIES))
def test_debug_protocol_resp3(r3, kind):
    assert send(r3, "DEBUG", "PROTOCOL", kind) == PROTOCOL_REPLIES[kind][0]


@pytest.mark.parametrize("kind", sorted(PROTOCOL_REPLIES))
def test_debug_protocol_resp2_downgrade(raw, kind):
    assert send(raw(), "DEBUG", "PROTOCOL", kind) == PROTOCOL_REPLIES[kind][1]


def test_debug_protocol_typed_values(r3):
    assert r3.call("DEBUG", "PROTOCOL", "double") == Double(3.141)
    assert isinstance(r3.call("DEBUG", "PROTOCOL", "double"), Double)
    assert r3.call("DEBUG", "PROTOCOL", "true") is True
    assert r3.call("DEBUG", "PROTOCOL", "false") is False
    assert r3.call("DEBUG", "PROTOCOL", "map") == {0: False, 1: True, 2: False}


def test_debug_protocol_push_precedes_the_reply(r3, raw):
    r3.send_command("DEBUG", "PROTOCOL", "push")
    push = r3.read()
    assert isinstance(push, Push) and push == [b"server-cpu-usage", 42]
    assert r3.read() == b"Some real reply following the push reply"
    assert send(raw(), "DEBUG", "PROTOCOL", "push") == \
        b"-ERR RESP2 is not supported by this command\r\n"
