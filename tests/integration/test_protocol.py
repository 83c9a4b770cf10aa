"""RESP request parsing on raw sockets: exact protocol-error replies, the
connection closing after them, limits on requests and replies, and other
clients staying unaffected."""
import socket

import pytest

from conftest import RespConn, wait_until

PREFIX = b"-ERR Protocol error: "


def proto_error(text):
    return PREFIX + text + b"\r\n"


def assert_error_then_closed(conn, request, expected):
    conn.send(request)
    assert conn.read_until_closed() == expected


def assert_server_healthy(server):
    c = server.raw()
    try:
        assert c.call("PING") == "PONG"
        assert c.call("SET", "health", "ok") == "OK"
        assert c.call("GET", "health") == b"ok"
    finally:
        c.close()


# --------------------------------------------------------------------------
# Malformed requests: exact error, then close
# --------------------------------------------------------------------------

@pytest.mark.parametrize("request_bytes,error", [
    (b"*x\r\n", b"invalid multibulk length"),
    (b"*1a\r\n", b"invalid multibulk length"),
    (b"*\r\n", b"invalid multibulk length"),
    (b"*1 \r\n", b"invalid multibulk length"),
    (b"*+1\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    (b"*01\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    (b"*2147483648\r\n", b"invalid multibulk length"),
    (b"*1\r\n$x\r\n", b"invalid bulk length"),
    (b"*1\r\n$\r\n", b"invalid bulk length"),
    (b"*1\r\n$1a\r\n", b"invalid bulk length"),
    (b"*1\r\n$-1\r\n", b"invalid bulk length"),
    (b"*1\r\n$+4\r\nPING\r\n", b"invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", b"invalid bulk length"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$-5\r\n", b"invalid bulk length"),
    (b"*1\r\n$536870913\r\n", b"invalid bulk length"),
    (b"*1\r\n$2147483648\r\n", b"invalid bulk length"),
    (b"*1\r\nx\r\n", b"expected '$', got 'x'"),
    (b"*2\r\n$4\r\nPING\r\n:1\r\n", b"expected '$', got ':'"),
    (b"*1\r\n*1\r\n", b"expected '$', got '*'"),
    (b'SET a "b\r\n', b"unbalanced quotes in request"),
    (b"SET a 'b\r\n", b"unbalanced quotes in request"),
    (b'SET "a"b c\r\n', b"unbalanced quotes in request"),
])
def test_malformed_request_gets_error_then_close(raw, request_bytes, error):
    assert_error_then_closed(raw(), request_bytes, proto_error(error))


def test_commands_before_the_error_are_answered(raw):
    c = raw()
    good = c.encode("PING") + c.encode("ECHO", "x")
    assert_error_then_closed(c, good + b"*1\r\n$x\r\n",
                             b"+PONG\r\n$1\r\nx\r\n" + proto_error(b"invalid bulk length"))


def test_bytes_after_the_error_are_not_executed(raw, r):
    c = raw()
    assert_error_then_closed(c, b"*x\r\n" + c.encode("SET", "after", "1"),
                             proto_error(b"invalid multibulk length"))
    assert r.exists("after") == 0


def test_too_big_inline_request(raw):
    assert_error_then_closed(raw(), b"A" * (64 * 1024 + 10),
                             proto_error(b"too big inline request"))


def test_too_big_multibulk_count_line(raw):
    assert_error_then_closed(raw(), b"*" + b"1" * (64 * 1024 + 10),
                             proto_error(b"too big mbulk count string"))


def test_too_big_bulk_count_line(raw):
    assert_error_then_closed(raw(), b"*1\r\n$" + b"1" * (64 * 1024 + 10),
                             proto_error(b"too big bulk count string"))


def test_long_inline_request_under_limit_is_served(raw):
    c = raw()
    arg = b"a" * (60 * 1024)
    c.send(b"ECHO " + arg + b"\r\n")
    assert c.read_raw() == b"$%d\r\n%s\r\n" % (len(arg), arg)


def test_other_clients_unaffected_by_protocol_errors(raw, server):
    bystander = raw()
    bystander.call("SET", "mine", "1")
    bystander.call("MULTI")
    bystander.call("INCR", "mine")
    for bad in (b"*x\r\n", b'GET "a\r\n', b"*1\r\n$-7\r\n", b"*1\r\nx\r\n"):
        c = raw()
        c.send(bad)
        assert c.read_until_closed().startswith(PREFIX)
    assert bystander.call("EXEC") == [2]
    assert_server_healthy(server)


# --------------------------------------------------------------------------
# Requests that are not errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("request_bytes", [b"*0\r\n", b"*-1\r\n", b"*-5\r\n", b"\r\n", b"\n"])
def test_empty_and_null_multibulk_are_ignored(raw, request_bytes):
    c = raw()
    c.send(request_bytes + c.encode("PING"))
    assert c.read_raw() == b"+PONG\r\n"


def test_partial_request_waits_for_the_rest(raw):
    c = raw()
    c.send(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")
    assert c.read_available(0.2) == b""
    c.send(b"lo\r\n")
    assert c.read_raw() == b"$5\r\nhello\r\n"


def test_bulk_arguments_are_binary_safe(raw):
    c = raw()
    value = b"\r\n\x00*1\r\n$3\r\n" + bytes(range(256))
    assert c.call("SET", "bin", value) == "OK"
    assert c.call("GET", "bin") == value


def test_claimed_bulk_at_max_length_waits_and_server_serves_others(raw, server):
    c = raw()
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n" + b"x" * 1000)
    assert c.read_available(0.2) == b""
    assert_server_healthy(server)
    c.close()
    assert_server_healthy(server)


@pytest.mark.tierkv_only  # redis-server 7.0 reserves the claimed 512 MB up front
def test_claimed_huge_bulk_is_not_allocated_up_front(raw, r):
    before = r.info("memory")["used_memory"]
    c = raw()
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n" + b"x" * 1000)
    assert c.read_available(0.2) == b""
    assert r.info("memory")["used_memory"] < before + 64 * 1024 * 1024


def test_bulk_over_proto_max_bulk_len(raw, r, server, config_restore):
    config_restore("proto-max-bulk-len")
    r.config_set("proto-max-bulk-len", "1mb")
    c = raw()
    assert_error_then_closed(c, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
                             proto_error(b"invalid bulk length"))
    ok = raw()
    assert ok.call("SET", "k", b"x" * (1024 * 1024)) == "OK"
    assert r.strlen("k") == 1024 * 1024
    assert_server_healthy(server)


# --------------------------------------------------------------------------
# client-query-buffer-limit
# --------------------------------------------------------------------------

@pytest.fixture
def small_query_limit(r, config_restore):
    config_restore("client-query-buffer-limit")
    r.config_set("client-query-buffer-limit", "1mb")
    return r


def test_query_buffer_limit_disconnects_without_reply(small_query_limit, raw, server):
    c = raw()
    try:
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n" + b"x" * 1500000)
    except OSError:
        pass  # the server may already have closed the socket
    assert c.read_until_closed() == b""
    assert small_query_limit.exists("k") == 0
    assert_server_healthy(server)


def test_argument_under_query_buffer_limit_is_served(small_query_limit, raw):
    c = raw()
    value = b"y" * 500000
    assert c.call("ECHO", value) == value


def test_long_pipeline_of_small_commands_is_not_cut_by_query_limit(small_query_limit, raw):
    c = raw(timeout=30)
    n = 100000  # 1.4 MB of requests in one write, more than the 1 MB limit
    c.send(c.encode("PING") * n)
    for _ in range(n):
        assert c.read_raw() == b"+PONG\r\n"


# --------------------------------------------------------------------------
# client-output-buffer-limit
# --------------------------------------------------------------------------

def client_ids(client):
    return {int(entry["id"]) for entry in client.client_list()}


def test_client_that_never_reads_is_disconnected_at_output_limit(r, raw, server,
                                                                 config_restore):
    config_restore("client-output-buffer-limit")
    r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    r.set("big", "x" * 100000)
    bystander = raw()
    flooder = RespConn(server.port)
    try:
        flooder.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        fid = flooder.call("CLIENT", "ID")
        try:
            flooder.send(RespConn.encode("GET", "big") * 2000)  # 200 MB of replies
        except OSError:
            pass
        wait_until(lambda: fid not in client_ids(r), timeout=10,
                   message="the flooding client to be disconnected")
        received = flooder.read_until_closed(timeout=10)
        assert len(received) < 2000 * 100000
    finally:
        flooder.close()
    assert bystander.call("GET", "big") == b"x" * 100000
    assert_server_healthy(server)


def test_output_limit_does_not_affect_clients_that_read(r, raw, config_restore):
    config_restore("client-output-buffer-limit")
    r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    r.set("big", "x" * 100000)
    c = raw(timeout=30)
    c.send(RespConn.encode("GET", "big") * 5)
    for _ in range(5):
        assert len(c.read_raw()) == 100000 + len(b"$100000\r\n\r\n")
    assert c.call("PING") == "PONG"
