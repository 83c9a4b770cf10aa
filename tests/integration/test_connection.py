"""Connection-level commands, CLIENT, inline protocol, pipelining and many
concurrent clients."""
import re
import time

import pytest

from conftest import SYNTAX, RespMap, call, raises_reply, wait_until

# Fields of a CLIENT LIST / CLIENT INFO line in Redis 7.0, in order.  Redis 7.2
# appends lib-name= and lib-ver=; extra fields are allowed, order is not.
CLIENT_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db",
                 "sub", "psub", "ssub", "multi", "qbuf", "qbuf-free", "argv-mem",
                 "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events",
                 "cmd", "user", "redir", "resp"]


def parse_client_line(line):
    fields = {}
    order = []
    for item in line.split(" "):
        k, _, v = item.partition("=")
        fields[k] = v
        order.append(k)
    return fields, order


def client_lines(text):
    assert text.endswith("\n")
    return [parse_client_line(line)[0] for line in text[:-1].split("\n")]


def send(c, *args):
    c.send_command(*args)
    return c.read_raw()


# --------------------------------------------------------------------------
# PING ECHO
# --------------------------------------------------------------------------

def test_ping(raw):
    c = raw()
    assert send(c, "PING") == b"+PONG\r\n"
    assert send(c, "PING", "hello") == b"$5\r\nhello\r\n"
    assert send(c, "ping", "") == b"$0\r\n\r\n"
    assert send(c, "PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_echo(raw):
    c = raw()
    assert send(c, "ECHO", "x y") == b"$3\r\nx y\r\n"
    assert send(c, "ECHO") == b"-ERR wrong number of arguments for 'echo' command\r\n"


def test_commands_are_case_insensitive(raw):
    c = raw()
    assert send(c, "pInG") == b"+PONG\r\n"


def test_unknown_command_error_text(raw):
    c = raw()
    assert send(c, "foo", "a", "b") == \
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    assert send(c, "FOO") == b"-ERR unknown command 'FOO', with args beginning with: \r\n"


# --------------------------------------------------------------------------
# HELLO AUTH
# --------------------------------------------------------------------------

def test_hello_2_reply(raw):
    c = raw()
    reply = c.call("HELLO", "2")
    assert isinstance(reply, list) and len(reply) == 14
    fields = dict(zip(reply[::2], reply[1::2]))
    assert list(fields) == [b"server", b"version", b"proto", b"id", b"mode", b"role",
                            b"modules"]
    assert fields[b"server"] == b"redis"
    assert re.fullmatch(rb"\d+\.\d+\.\d+", fields[b"version"])
    assert fields[b"proto"] == 2
    assert fields[b"id"] == c.call("CLIENT", "ID")
    assert fields[b"mode"] == b"standalone"
    assert fields[b"role"] == b"master"
    assert fields[b"modules"] == []


def test_hello_3_switches_to_resp3(raw):
    c = raw()
    reply = c.call("HELLO", "3")
    assert isinstance(reply, RespMap)
    assert reply[b"proto"] == 3
    assert send(c, "GET", "nokey") == b"_\r\n"
    assert isinstance(c.call("HELLO", "2"), list)
    assert send(c, "GET", "nokey") == b"$-1\r\n"


def test_hello_without_version_keeps_protocol(raw):
    c = raw()
    assert c.call("HELLO")[5] == 2
    c.call("HELLO", "3")
    assert c.call("HELLO")[b"proto"] == 3


@pytest.mark.parametrize("version", ["4", "1", "0", "-1"])
def test_hello_unsupported_protocol(raw, version):
    c = raw()
    assert send(c, "HELLO", version) == b"-NOPROTO unsupported protocol version\r\n"
    assert send(c, "GET", "nokey") == b"$-1\r\n"


def test_hello_errors(raw):
    c = raw()
    assert send(c, "HELLO", "x") == \
        b"-ERR Protocol version is not an integer or out of range\r\n"
    assert send(c, "HELLO", "2", "AUTH", "u") == b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    assert send(c, "HELLO", "2", "FOO") == b"-ERR Syntax error in HELLO option 'FOO'\r\n"


def test_hello_setname(raw):
    c = raw()
    c.call("HELLO", "2", "SETNAME", "myname")
    assert c.call("CLIENT", "GETNAME") == b"myname"
    assert send(c, "HELLO", "2", "SETNAME", "my name") == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    assert c.call("CLIENT", "GETNAME") == b"myname"


def test_hello_auth_default_user_without_password_succeeds(raw):
    c = raw()
    reply = c.call("HELLO", "3", "AUTH", "default", "anything")
    assert reply[b"proto"] == 3


def test_auth_without_configured_password(raw):
    c = raw()
    assert send(c, "AUTH", "secret") == (
        b"-ERR AUTH <password> called without any password configured for the default "
        b"user. Are you sure your configuration is correct?\r\n")
    assert send(c, "AUTH", "nosuchuser", "pw") == \
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert send(c, "AUTH", "default", "anything") == b"+OK\r\n"


# --------------------------------------------------------------------------
# QUIT RESET SELECT
# --------------------------------------------------------------------------

def test_quit_replies_ok_then_closes(raw):
    c = raw()
    c.send_command("QUIT")
    assert c.read_until_closed() == b"+OK\r\n"


def test_quit_after_pipelined_commands(raw):
    c = raw()
    c.send(c.encode("SET", "q", "1") + c.encode("QUIT") + c.encode("PING"))
    assert c.read_until_closed() == b"+OK\r\n+OK\r\n"


def test_reset_restores_connection_defaults(raw):
    c = raw()
    c.call("HELLO", "3", "SETNAME", "n1")
    c.call("SELECT", "5")
    c.call("WATCH", "w")
    c.call("MULTI")
    assert send(c, "RESET") == b"+RESET\r\n"
    assert send(c, "CLIENT", "GETNAME") == b"$-1\r\n"
    assert send(c, "GET", "nokey") == b"$-1\r\n"  # back to RESP2
    assert send(c, "EXEC") == b"-ERR EXEC without MULTI\r\n"
    info = parse_client_line(c.call("CLIENT", "INFO").decode().strip())[0]
    assert info["db"] == "0" and info["resp"] == "2" and info["name"] == ""


def test_select_range(raw):
    c = raw()
    assert send(c, "SELECT", "15") == b"+OK\r\n"
    assert send(c, "SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert send(c, "SELECT", "-1") == b"-ERR DB index is out of range\r\n"
    assert send(c, "SELECT", "one") == b"-ERR value is not an integer or out of range\r\n"


# --------------------------------------------------------------------------
# DBSIZE FLUSHDB FLUSHALL TIME
# --------------------------------------------------------------------------

def test_dbsize_and_flushdb(r, server):
    r.mset({"a": 1, "b": 2})
    other = server.client(db=2)
    other.set("c", 3)
    assert r.dbsize() == 2
    assert call(r, "FLUSHDB") == "OK"
    assert r.dbsize() == 0
    assert other.dbsize() == 1
    other.close()


@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",), ("async",)])
def test_flushall_modes(r, server, mode):
    other = server.client(db=3)
    r.set("a", 1)
    other.set("b", 1)
    assert call(r, "FLUSHALL", *mode) == "OK"
    assert r.dbsize() == 0 and other.dbsize() == 0
    other.close()


@pytest.mark.parametrize("mode", [("ASYNC",), ("SYNC",)])
def test_flushdb_modes(r, mode):
    r.set("a", 1)
    assert call(r, "FLUSHDB", *mode) == "OK"
    assert r.dbsize() == 0


def test_flush_syntax_errors(r):
    with raises_reply(SYNTAX):
        call(r, "FLUSHDB", "FOO")
    with raises_reply(SYNTAX):
        call(r, "FLUSHALL", "ASYNC", "SYNC")


def test_time(raw):
    c = raw()
    before = time.time()
    secs, usecs = c.call("TIME")
    after = time.time()
    assert secs.isdigit() and usecs.isdigit()
    assert 0 <= int(usecs) < 1_000_000
    assert before - 1 <= int(secs) + int(usecs) / 1e6 <= after + 1


# --------------------------------------------------------------------------
# CLIENT
# --------------------------------------------------------------------------

def test_client_id_is_unique_and_increasing(raw):
    a, b = raw(), raw()
    ida, idb = a.call("CLIENT", "ID"), b.call("CLIENT", "ID")
    assert isinstance(ida, int) and idb > ida


def test_client_setname_getname(raw):
    c = raw()
    assert send(c, "CLIENT", "GETNAME") == b"$-1\r\n"
    assert send(c, "CLIENT", "SETNAME", "worker-1") == b"+OK\r\n"
    assert send(c, "CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    assert send(c, "CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert send(c, "CLIENT", "GETNAME") == b"$-1\r\n"


@pytest.mark.parametrize("name", ["a b", "a\nb", "tab\there"])
def test_client_setname_rejects_bad_names(raw, name):
    c = raw()
    assert send(c, "CLIENT", "SETNAME", name) == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"


def test_client_info_line(raw):
    c = raw()
    c.call("CLIENT", "SETNAME", "me")
    c.call("SELECT", "4")
    text = c.call("CLIENT", "INFO").decode()
    assert text.endswith("\n") and text.count("\n") == 1
    fields, order = parse_client_line(text[:-1])
    assert [k for k in order if k in CLIENT_FIELDS] == CLIENT_FIELDS
    assert fields["id"] == str(c.call("CLIENT", "ID"))
    port = c.sock.getsockname()[1]
    assert fields["addr"] == f"127.0.0.1:{port}"
    assert fields["laddr"] == f"127.0.0.1:{c.sock.getpeername()[1]}"
    assert fields["name"] == "me"
    assert fields["db"] == "4"
    assert fields["cmd"] == "client|info"
    assert fields["flags"] == "N"
    assert fields["multi"] == "-1"
    assert fields["user"] == "default"
    assert fields["resp"] == "2"
    for k in ("age", "idle", "fd", "qbuf", "omem", "tot-mem", "sub", "psub"):
        assert fields[k].isdigit(), k


def test_client_list_shows_every_connection(raw):
    conns = [raw() for _ in range(3)]
    ids = set()
    for i, c in enumerate(conns):
        c.call("CLIENT", "SETNAME", f"lister-{i}")
        ids.add(str(c.call("CLIENT", "ID")))
    rows = client_lines(conns[0].call("CLIENT", "LIST").decode())
    listed = {row["id"]: row for row in rows}
    assert ids <= set(listed)
    assert {listed[i]["name"] for i in ids} == {"lister-0", "lister-1", "lister-2"}
    assert listed[str(conns[0].call("CLIENT", "ID"))]["cmd"] == "client|list"


def test_client_list_filters(raw):
    c = raw()
    my_id = c.call("CLIENT", "ID")
    rows = client_lines(c.call("CLIENT", "LIST", "ID", str(my_id)).decode())
    assert [row["id"] for row in rows] == [str(my_id)]
    assert c.call("CLIENT", "LIST", "ID", "999999999") == b""
    rows = client_lines(c.call("CLIENT", "LIST", "TYPE", "normal").decode())
    assert str(my_id) in {row["id"] for row in rows}
    assert send(c, "CLIENT", "LIST", "ID", "x") == b"-ERR Invalid client ID\r\n"
    assert send(c, "CLIENT", "LIST", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"


def test_client_kill_by_id(raw):
    killer, victim = raw(), raw()
    vid = victim.call("CLIENT", "ID")
    assert killer.call("CLIENT", "KILL", "ID", str(vid)) == 1
    assert victim.read_until_closed() == b""
    assert killer.call("CLIENT", "KILL", "ID", str(vid)) == 0


def test_client_kill_by_addr_filter_and_old_form(raw):
    killer, v1, v2 = raw(), raw(), raw()
    # A round trip each, so the server has accepted both victims before the kill.
    assert v1.call("PING") == "PONG" and v2.call("PING") == "PONG"
    addr1 = "127.0.0.1:%d" % v1.sock.getsockname()[1]
    addr2 = "127.0.0.1:%d" % v2.sock.getsockname()[1]
    assert killer.call("CLIENT", "KILL", "ADDR", addr1) == 1
    assert v1.read_until_closed() == b""
    assert send(killer, "CLIENT", "KILL", addr2) == b"+OK\r\n"
    assert v2.read_until_closed() == b""
    assert send(killer, "CLIENT", "KILL", addr2) == b"-ERR No such client\r\n"
    assert killer.call("CLIENT", "KILL", "ADDR", "1.1.1.1:1") == 0


def test_client_kill_errors(raw):
    c = raw()
    assert send(c, "CLIENT", "KILL", "ID", "x") == b"-ERR client-id should be greater than 0\r\n"
    assert send(c, "CLIENT", "KILL", "FOO", "x") == b"-ERR syntax error\r\n"


def test_client_no_evict(raw):
    c = raw()
    assert send(c, "CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
    assert "e" in parse_client_line(c.call("CLIENT", "INFO").decode().strip())[0]["flags"]
    assert send(c, "CLIENT", "NO-EVICT", "off") == b"+OK\r\n"
    assert send(c, "CLIENT", "NO-EVICT", "x") == b"-ERR syntax error\r\n"


def test_client_unknown_subcommand(raw):
    c = raw()
    assert send(c, "CLIENT", "FOO") == b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"


@pytest.mark.tierkv_only  # CLIENT SETINFO is Redis 7.2; 7.0 answers "unknown subcommand"
def test_client_setinfo(raw):
    c = raw()
    assert send(c, "CLIENT", "SETINFO", "LIB-NAME", "redis-py") == b"+OK\r\n"
    assert send(c, "CLIENT", "SETINFO", "lib-ver", "4.3.4") == b"+OK\r\n"
    fields = parse_client_line(c.call("CLIENT", "INFO").decode().strip())[0]
    assert fields["lib-name"] == "redis-py"
    assert fields["lib-ver"] == "4.3.4"
    reply = c.call("CLIENT", "SETINFO", "foo", "x")
    assert reply.startswith("ERR Unrecognized option")


@pytest.mark.tierkv_only  # CLIENT NO-TOUCH is Redis 7.2
def test_client_no_touch(raw):
    c = raw()
    assert send(c, "CLIENT", "NO-TOUCH", "on") == b"+OK\r\n"
    assert send(c, "CLIENT", "NO-TOUCH", "off") == b"+OK\r\n"
    assert send(c, "CLIENT", "NO-TOUCH", "x") == b"-ERR syntax error\r\n"


# --------------------------------------------------------------------------
# Inline commands
# --------------------------------------------------------------------------

@pytest.mark.parametrize("request_bytes,reply", [
    (b"PING\r\n", b"+PONG\r\n"),
    (b"PING\n", b"+PONG\r\n"),
    (b"  PING  \r\n", b"+PONG\r\n"),
    (b"ECHO hello\r\n", b"$5\r\nhello\r\n"),
    (b'ECHO "hello world"\r\n', b"$11\r\nhello world\r\n"),
    (b"ECHO 'single quoted'\r\n", b"$13\r\nsingle quoted\r\n"),
    (b'ECHO "a\\x41\\n"\r\n', b"$3\r\naA\n\r\n"),
    (b"ECHO 'a\\'b'\r\n", b"$3\r\na'b\r\n"),
    (b'ECHO ""\r\n', b"$0\r\n\r\n"),
    (b'ECHO "a" "b"\r\n', b"-ERR wrong number of arguments for 'echo' command\r\n"),
    (b"FOO a b\r\n", b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"),
])
def test_inline_commands(raw, request_bytes, reply):
    c = raw()
    c.send(request_bytes)
    assert c.read_raw() == reply
    assert send(c, "PING") == b"+PONG\r\n"


def test_inline_set_get(raw, r):
    c = raw()
    c.send(b"SET a b\r\n")
    assert c.read_raw() == b"+OK\r\n"
    c.send(b'SET "key with space" "v 1"\r\nGET "key with space"\r\n')
    assert c.read_raw() == b"+OK\r\n"
    assert c.read_raw() == b"$3\r\nv 1\r\n"
    assert r.get("a") == "b"


def test_inline_empty_lines_are_ignored(raw):
    c = raw()
    c.send(b"\r\n\n\r\nPING\r\n")
    assert c.read_raw() == b"+PONG\r\n"


def test_inline_and_multibulk_mixed_in_one_write(raw):
    c = raw()
    c.send(b"PING\r\n" + c.encode("ECHO", "x") + b"ECHO y\r\n")
    assert c.read_raw() == b"+PONG\r\n"
    assert c.read_raw() == b"$1\r\nx\r\n"
    assert c.read_raw() == b"$1\r\ny\r\n"


def test_request_split_across_many_writes(raw):
    c = raw()
    data = c.encode("SET", "split", "value") + c.encode("GET", "split")
    for i in range(len(data)):
        c.send(data[i:i + 1])
    assert c.read_raw() == b"+OK\r\n"
    assert c.read_raw() == b"$5\r\nvalue\r\n"


# --------------------------------------------------------------------------
# Pipelining and many clients
# --------------------------------------------------------------------------

@pytest.mark.needs_dram_budget("10,000 new keys take memory past the budget by themselves, so each write waits for a checkpoint round (a cron apart): minutes")
def test_pipelining_10k_commands_in_one_write(raw, r):
    c = raw(timeout=30)
    n = 10000
    payload = b"".join(c.encode("SET", f"p{i}", i) + c.encode("GET", f"p{i}")
                       for i in range(n))
    c.send(payload)
    for i in range(n):
        assert c.read_raw() == b"+OK\r\n"
        value = str(i).encode()
        assert c.read_raw() == b"$%d\r\n%s\r\n" % (len(value), value)
    assert r.dbsize() == n


def test_redis_py_pipeline_10k(r):
    with r.pipeline(transaction=False) as p:
        for i in range(10000):
            p.incr("counter")
        results = p.execute()
    assert results == list(range(1, 10001))


def test_1000_concurrent_clients(server, r):
    conns = []
    try:
        for _ in range(1000):
            conns.append(server.raw(timeout=30))
        for i, c in enumerate(conns):
            c.send_command("SET", f"client:{i}", f"value-{i}")
        for c in conns:
            assert c.read_raw() == b"+OK\r\n"
        assert r.info("clients")["connected_clients"] >= 1000
        for i, c in enumerate(conns):
            c.send_command("GET", f"client:{i}")
        for i, c in enumerate(conns):
            expected = f"value-{i}".encode()
            assert c.read_raw() == b"$%d\r\n%s\r\n" % (len(expected), expected)
    finally:
        for c in conns:
            c.close()
    wait_until(lambda: r.info("clients")["connected_clients"] < 10, timeout=10,
               message="closed clients to be released")
    assert r.dbsize() == 1000


def test_info_counts_connections(r, raw):
    before = r.info("clients")["connected_clients"]
    extra = [raw() for _ in range(5)]
    for c in extra:
        c.call("PING")
    assert r.info("clients")["connected_clients"] == before + 5
