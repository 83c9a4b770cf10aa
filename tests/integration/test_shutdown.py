"""SHUTDOWN runs against servers of its own (never the shared module server)."""
import pytest

from conftest import RespConn


def test_shutdown_nosave_closes_connection_and_exits(new_server):
    srv = new_server()
    other = srv.raw()
    assert other.call("PING") == "PONG"
    c = srv.raw()
    c.send_command("SHUTDOWN", "NOSAVE")
    assert c.read_until_closed(timeout=10) == b""  # no reply on success
    assert srv.proc.wait(timeout=10) == 0
    assert other.read_until_closed(timeout=10) == b""
    with pytest.raises(OSError):
        RespConn(srv.port, timeout=1)


def test_shutdown_syntax_error_keeps_server_running(new_server):
    srv = new_server()
    c = srv.raw()
    c.send_command("SHUTDOWN", "BOGUS")
    assert c.read_raw() == b"-ERR syntax error\r\n"
    assert c.call("PING") == "PONG"
    assert srv.alive()
