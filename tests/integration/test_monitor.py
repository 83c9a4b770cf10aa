"""MONITOR: every command other clients run, one status line each in Redis's
format `+<seconds>.<micro> [<db> <addr>] "arg" ...`, in the order they ran
(a pipeline, a MULTI and its EXEC), secrets redacted, admin commands left out,
the same in RESP2 and RESP3."""
import re

import pytest

from conftest import call

LINE = re.compile(r'^(\d+)\.(\d{6}) \[(\d+) ([0-9.]+:\d+)\] (.*)$')


@pytest.fixture
def monitor(raw):
    def start(protocol=2):
        conn = raw()
        if protocol == 3:
            conn.call("HELLO", "3")
        assert conn.call("MONITOR") == "OK"
        return conn
    return start


def lines(conn, count):
    """The next `count` monitor lines, each as (db, address, arguments text)."""
    out = []
    for _ in range(count):
        line = conn.read()
        match = LINE.match(line)
        assert match, line
        out.append((int(match.group(3)), match.group(4), match.group(5)))
    return out


def texts(conn, count):
    return [text for _, _, text in lines(conn, count)]


def address_of(conn):
    info = conn.call("CLIENT", "INFO")
    info = info.decode() if isinstance(info, bytes) else info
    return re.search(r"addr=(\S+)", info).group(1)


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_command_line(monitor, raw, protocol):
    watcher = monitor(protocol)
    c = raw()
    address = address_of(c)  # CLIENT INFO is not admin: it shows too
    c.call("SET", "k", "v")
    seen = lines(watcher, 2)
    assert seen[0][2] == '"CLIENT" "INFO"'
    assert seen[1] == (0, address, '"SET" "k" "v"')
    # the raw line is a status reply in both protocols
    c.call("GET", "k")
    assert re.fullmatch(rb'\+\d+\.\d{6} \[0 [0-9.]+:\d+\] "GET" "k"\r\n', watcher.read_raw())


def test_a_pipeline_in_order(monitor, raw):
    watcher = monitor()
    c = raw()
    c.send(c.encode("SET", "a", "1") + c.encode("INCR", "a") + c.encode("get", "a"))
    assert [c.read(), c.read(), c.read()] == ["OK", 2, b"2"]
    assert texts(watcher, 3) == ['"SET" "a" "1"', '"INCR" "a"', '"get" "a"']


def test_multi_exec_as_redis_shows_it(monitor, raw):
    watcher = monitor()
    c = raw()
    assert c.call("MULTI") == "OK"
    assert c.call("SET", "k", "v") == "QUEUED"
    assert c.call("GET", "k") == "QUEUED"
    assert c.call("EXEC") == ["OK", b"v"]
    # queued commands show when EXEC runs them, EXEC after them
    assert texts(watcher, 4) == ['"MULTI"', '"SET" "k" "v"', '"GET" "k"', '"EXEC"']
    # a transaction aborted by an error: MULTI and EXEC only
    c.call("MULTI")
    assert c.call("NOSUCHCOMMAND").startswith("ERR unknown command")
    assert c.call("EXEC").startswith("EXECABORT")
    assert texts(watcher, 2) == ['"MULTI"', '"EXEC"']


def test_secrets_are_redacted(monitor, raw):
    watcher = monitor()
    c = raw()
    assert c.call("AUTH", "not-real").startswith("ERR")
    assert c.call("AUTH", "someone", "not-a-password").startswith("WRONGPASS")
    assert c.call("HELLO", "2", "AUTH", "someone", "secret").startswith("WRONGPASS")
    assert texts(watcher, 3) == ['"AUTH" "(redacted)"', '"AUTH" "(redacted)" "(redacted)"',
                                 '"HELLO" "2" "AUTH" "(redacted)" "(redacted)"']


def test_admin_commands_are_left_out_and_the_db_is_shown(monitor, raw):
    watcher = monitor()
    c = raw()
    c.call("CONFIG", "GET", "maxmemory")
    c.call("SELECT", "3")
    c.call("SET", "x", "y")
    seen = lines(watcher, 2)
    assert [(db, text) for db, _, text in seen] == [(3, '"SELECT" "3"'), (3, '"SET" "x" "y"')]


def test_arguments_are_quoted_as_redis_quotes_them(monitor, raw):
    watcher = monitor()
    c = raw()
    c.call("SET", b'a b"c\\', b"\x01\xff\t\r\n\x7f")
    assert texts(watcher, 1) == ['"SET" "a b\\"c\\\\" "\\x01\\xff\\t\\r\\n\\x7f"']


def test_the_monitor_client_itself(monitor, raw):
    watcher = monitor()
    assert watcher.call("GET", "k") == "ERR Replica can't interact with the keyspace"
    assert watcher.call("PING") == "PONG"
    assert texts(watcher, 1) == ['"PING"']  # its own commands show too
    watcher.send_command("MONITOR")  # already monitoring: no reply at all
    assert watcher.call("RESET") == "RESET"
    other = raw()
    other.call("SET", "k", "v")
    assert watcher.call("GET", "k") == b"v"
    assert watcher.read_available(timeout=0.2) == b""


def test_two_monitors_and_a_closed_one(monitor, raw, r):
    first, second = monitor(), monitor()
    first.close()
    r.set("k", "v")
    assert texts(second, 1) == ['"SET" "k" "v"']
    assert call(r, "PING") == "PONG"
