"""Protected mode: with protected-mode yes and no password, a client connecting
from a non-loopback address gets Redis's DENIED error and is closed; loopback
clients are served. The server binds 0.0.0.0 and the test connects through the
machine's own non-loopback interface address (its source address is then that
address, not 127.0.0.1)."""
import subprocess

import pytest

from conftest import call, raw_exchange

DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    b"default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    b"from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    b"sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the "
    b"same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    b"so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode "
    b"by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting "
    b"the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' "
    b"option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the "
    b"above things in order for the server to start accepting connections from the outside.\r\n")


def non_loopback_address():
    """An IPv4 address of one of this machine's interfaces outside 127.0.0.0/8, or None."""
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True,
                             text=True, timeout=10).stdout
    except OSError:
        return None
    for line in out.splitlines():
        words = line.split()
        if "inet" in words:
            address = words[words.index("inet") + 1].split("/")[0]
            if not address.startswith("127."):
                return address
    return None


@pytest.fixture
def outside():
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    return address


def exchange(address, port, request=b"PING\r\n"):
    """Sends `request` from `address` (the server sees a non-loopback client) and reads
    until the server closes or a reply line has come."""
    return raw_exchange(address, port, request,
                        complete=lambda data: data.startswith((b"+", b":")) and data.endswith(b"\r\n"))


def test_non_loopback_clients_get_denied_and_are_closed(new_server, outside):
    srv = new_server("--bind", "0.0.0.0")
    reply, closed = exchange(outside, srv.port)
    assert reply == DENIED
    assert closed
    local = srv.client()
    assert local.ping()  # loopback clients are served
    assert local.info("stats")["rejected_connections"] >= 1


def test_a_password_or_protected_mode_no_lets_them_in(new_server, outside):
    srv = new_server("--bind", "0.0.0.0")
    local = srv.client()
    assert call(local, "CONFIG", "SET", "protected-mode", "no") == "OK"
    assert exchange(outside, srv.port) == (b"+PONG\r\n", False)
    assert call(local, "CONFIG", "SET", "protected-mode", "yes", "requirepass", "secret") == "OK"
    reply, _ = exchange(outside, srv.port, b"AUTH secret\r\nPING\r\n")
    assert reply.startswith(b"+OK\r\n")
    # A password the default user got from ACL SETUSER counts the same.
    local.auth("secret")
    assert call(local, "CONFIG", "SET", "requirepass", "") == "OK"
    assert exchange(outside, srv.port)[0] == DENIED
    assert call(local, "ACL", "SETUSER", "default", ">other") == "OK"
    reply, _ = exchange(outside, srv.port, b"AUTH other\r\nPING\r\n")
    assert reply.startswith(b"+OK\r\n")


def test_protected_mode_is_on_by_default(r):
    assert r.config_get("protected-mode") == {"protected-mode": "yes"}
