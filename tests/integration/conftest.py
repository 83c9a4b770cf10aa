"""Shared harness for the redis-py integration suite.

The suite runs against the server named by the environment variable
TIERKV_SERVER_BIN (the tierkv-server binary) or, when it is unset, against
Debian's /usr/bin/redis-server ("reference mode"), which is how the suite
itself is validated.  Every expectation in the tests is what redis-server
7.0 does; where tierkv intentionally differs the test says so through
is_reference() or the `tierkv_only` marker.

Fixtures
  server      module-scoped running server (ServerProcess)
  r           redis.Redis, decode_responses=True, RESP2, FLUSHALL before the test
  rb          same, bytes replies
  r3          RespConn after HELLO 3 (redis-py 4.3.4 has no RESP3 support)
  raw         factory: raw() -> RespConn to the module server, plain socket
  new_server  factory: new_server(*extra_args, binary=None) -> extra ServerProcess
  peer        a /usr/bin/redis-server peer (for DUMP/RESTORE interop)
  config_restore  snapshots CONFIG parameters a test changes and restores them

Helpers (import from conftest)
  wait_until, is_reference, make_wrongtype_key, call (a command without
  redis-py's reply conversions), raises_reply (exact error text), RespConn
  and the RESP3 value types.

Every server is started as
  BIN --port N --bind 127.0.0.1 --dir TMPDIR --save "" --appendonly no
      --enable-debug-command local
(DEBUG is needed by several tests; redis 7.0 refuses it without that flag).

Cold mode (TIERKV_TEST_COLD=1, tierkv only): every tierkv server the suite starts
also gets COLD_ARGS (tiering on, a DRAM budget just above the server's base memory,
every value demotable), so values leave DRAM between commands and come back through
cold reads.  Tests whose subject is the DRAM budget itself carry the
`needs_dram_budget(reason)` marker and are skipped in that mode.  The session ends with
the INFO tiering counters summed over every server that was stopped cleanly.
"""
import contextlib
import os
import resource
import signal
import socket
import subprocess
import time

import pytest
import redis

REFERENCE_BIN = "/usr/bin/redis-server"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"


def server_bin():
    return os.environ.get("TIERKV_SERVER_BIN") or REFERENCE_BIN


def is_reference():
    """True when the suite runs against redis-server itself."""
    return os.path.realpath(server_bin()) == os.path.realpath(REFERENCE_BIN)


def cold_mode():
    """True when tierkv servers run with a DRAM budget that keeps most values cold."""
    return os.environ.get("TIERKV_TEST_COLD") == "1" and not is_reference()


# Placed before a test's own arguments, so a test that names one of them wins.
COLD_ARGS = ("--tier", "rocksdb", "--tiering", "yes",
             "--maxmemory", os.environ.get("TIERKV_TEST_COLD_BUDGET", "3mb"),
             "--tier-min-value-size", "0")
COLD_COUNTERS = ("tier_keys_cold", "tier_demotions", "tier_promotions", "tier_cold_reads",
                 "tier_sync_loads", "tier_load_failures")
cold_totals = {}  # test module -> {counter: sum over its servers}


def wait_until(predicate, timeout=5.0, interval=0.005, message="condition"):
    """Poll predicate() until it is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def server_ms(client):
    """The server's clock (TIME) in milliseconds."""
    secs, usecs = client.time()
    return secs * 1000 + usecs // 1000


def wait_past(client, at_ms, margin_ms=5):
    """Wait (bounded, polling TIME) until the server clock is past at_ms,
    without touching any key."""
    wait_until(lambda: server_ms(client) > at_ms + margin_ms, timeout=3,
               message="server clock to pass the expiry time")


def make_wrongtype_key(client, key):
    """Create `key` holding a list (so string commands hit WRONGTYPE)."""
    client.delete(key)
    client.rpush(key, "x")
    return key


def error_text(full_message):
    """What redis-py shows for an error reply: it strips 'ERR ' and
    'EXECABORT ' but keeps other codes (WRONGTYPE, OOM, BUSYKEY, ...)."""
    for prefix in ("ERR ", "EXECABORT "):
        if full_message.startswith(prefix):
            return full_message[len(prefix):]
    return full_message


@contextlib.contextmanager
def raises_reply(full_message):
    """Expect a redis.ResponseError whose wire text is exactly full_message
    (written as on the wire without the leading '-', e.g. 'ERR syntax error')."""
    with pytest.raises(redis.ResponseError) as info:
        yield info
    assert str(info.value) == error_text(full_message)


def call(client, *args):
    """Run a command on a redis-py client and return the reply as parsed from
    the wire, without redis-py's per-command conversions (so SET gives 'OK',
    INCRBYFLOAT gives the bulk string, ...).  Error replies still raise."""
    pool = client.connection_pool
    pinned = client.connection  # set for single_connection_client=True
    conn = pinned or pool.get_connection(str(args[0]))
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        if not pinned:
            pool.release(conn)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_exchange(address, port, request, timeout=5.0, complete=lambda data: False):
    """Sends raw bytes on a new connection and reads until the server closes it, `complete`
    says the answer is whole, or `timeout` passes. Returns (bytes read, closed by the
    server). The connection's local address is `address` when it is not loopback's."""
    with socket.create_connection((address, port), timeout=timeout) as sock:
        assert sock.getsockname()[0] == address or address == "127.0.0.1"
        sock.sendall(request)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
            if complete(data):
                return data, False
        return data, False


# --------------------------------------------------------------------------
# Raw RESP connection (protocol tests, inline commands, RESP3)
# --------------------------------------------------------------------------

class RespError(str):
    """An error reply (returned, not raised, by RespConn.read)."""


class SimpleString(str):
    pass


class Verbatim(str):
    def __new__(cls, text, fmt):
        obj = super().__new__(cls, text)
        obj.format = fmt
        return obj


class Double(float):
    pass


class BigNumber(int):
    pass


class RespMap(dict):
    pass


class RespSet(list):
    """RESP3 set; kept as a list because members may be unhashable."""


class Push(list):
    pass


class ConnectionClosed(Exception):
    pass


class RespConn:
    """A plain socket speaking RESP, for byte-exact assertions.

    read_raw() returns the exact bytes of one reply; read() parses one reply
    into Python values that keep the RESP3 type (RespMap, RespSet, Double,
    bool, None, RespError, SimpleString, bytes for bulk strings...).
    """

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self._capture = None

    # -- sending ----------------------------------------------------------
    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(self.encode(*args))

    def call(self, *args):
        self.send_command(*args)
        return self.read()

    # -- receiving --------------------------------------------------------
    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed("server closed the connection")
        self.buf += chunk

    def _take(self, n):
        data, self.buf = self.buf[:n], self.buf[n:]
        if self._capture is not None:
            self._capture.append(data)
        return data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        return self._take(i + 2)[:-2]

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        return self._take(n + 2)[:-2]

    def _parse(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return SimpleString(rest.decode())
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self._parse() for _ in range(n)]
            return {b"*": list, b"~": RespSet, b">": Push}[kind](items)
        if kind == b"%":
            n = int(rest)
            m = RespMap()
            for _ in range(n):
                k = self._parse()
                m[k] = self._parse()
            return m
        if kind == b"|":  # attribute: read and skip, return the next reply
            for _ in range(int(rest) * 2):
                self._parse()
            return self._parse()
        if kind == b"_":
            return None
        if kind == b",":
            return Double(float(rest.decode()))
        if kind == b"#":
            return rest == b"t"
        if kind == b"(":
            return BigNumber(int(rest))
        if kind in (b"=", b"!"):
            body = self._exact(int(rest))
            if kind == b"!":
                return RespError(body.decode())
            return Verbatim(body[4:].decode(), body[:3].decode())
        raise AssertionError(f"unparseable reply line: {line!r}")

    def read(self):
        return self._parse()

    def read_raw(self):
        """Exact bytes of the next complete reply."""
        self._capture = []
        try:
            self._parse()
            return b"".join(self._capture)
        finally:
            self._capture = None

    def read_available(self, timeout=0.5):
        """Everything the server sends until it pauses for `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        data, self.buf = self.buf, b""
        return data

    def read_until_closed(self, timeout=5.0):
        """Read all remaining bytes; fail unless the server closes within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail("server did not close the connection")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            self.buf += chunk
        data, self.buf = self.buf, b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------

class ServerProcess:
    """One server process on a free loopback port, with its own data dir."""

    def __init__(self, binary, workdir, extra_args=()):
        self.binary = binary
        self.workdir = str(workdir)
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None
        self.returncode = None
        self.log_path = os.path.join(self.workdir, "server.log")

    def cold(self):
        return cold_mode() and os.path.realpath(self.binary) != os.path.realpath(REFERENCE_BIN)

    def args(self):
        cold = COLD_ARGS if self.cold() else ()
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.workdir, "--save", "", "--appendonly", "no",
                "--enable-debug-command", "local", *cold, *self.extra_args]

    def record_tiering(self):
        """Adds this server's INFO tiering counters to cold_totals (cold mode)."""
        try:
            conn = RespConn(self.port, timeout=2.0)
            try:
                conn.send_command("INFO", "tiering")
                text = conn.read()
            finally:
                conn.close()
        except (OSError, ConnectionClosed):
            return
        if not isinstance(text, bytes):
            return  # e.g. NOAUTH: a test set a password
        fields = dict(line.split(":", 1) for line in text.decode().splitlines() if ":" in line)
        module = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0]
        totals = cold_totals.setdefault(os.path.basename(module), {})
        for name in COLD_COUNTERS:
            if name in fields:
                totals[name] = totals.get(name, 0) + int(fields[name])

    def start(self, attempts=3):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"server binary {self.binary!r} is not executable "
                               "(check TIERKV_SERVER_BIN)")
        os.makedirs(self.workdir, exist_ok=True)
        for _ in range(attempts):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(self.args(), stdout=log,
                                             stderr=subprocess.STDOUT,
                                             cwd=self.workdir)
            if self._wait_ready(timeout=10.0):
                return self
            self.stop()  # port taken by someone else, or a failed start
        raise RuntimeError(f"server {self.binary} did not start:\n{self.log_tail()}")

    def log_tail(self, size=4000):
        try:
            with open(self.log_path, "rb") as log:
                return log.read()[-size:].decode(errors="replace")
        except OSError:
            return "(no log)"

    def ensure_alive(self):
        """Fail the current test with the server log if the server has died."""
        if not self.alive():
            code = self.proc.returncode if self.proc else self.returncode
            pytest.fail(f"server {self.binary} is not running (exit status {code}); "
                        f"log tail:\n{self.log_tail()}", pytrace=False)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                conn = RespConn(self.port, timeout=1.0)
                try:
                    if conn.call("PING") == "PONG":
                        return True
                finally:
                    conn.close()
            except (OSError, ConnectionClosed):
                pass
            time.sleep(0.01)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if self.cold():
                self.record_tiering()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.returncode = self.proc.returncode
        self.proc = None

    def client(self, **kwargs):
        kwargs.setdefault("decode_responses", True)
        kwargs.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def raw(self, timeout=5.0):
        return RespConn(self.port, timeout=timeout)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(server_bin(), tmp_path_factory.mktemp("server"))
    srv.start()
    yield srv
    srv.ensure_alive()  # a crash during the module is reported here too
    srv.stop()
    assert srv.returncode == 0, (
        f"server exited with status {srv.returncode} on SIGTERM; log tail:\n"
        f"{srv.log_tail()}")


@pytest.fixture
def new_server(tmp_path_factory):
    """Factory for extra servers, stopped at the end of the test."""
    started = []

    def start(*extra_args, binary=None):
        srv = ServerProcess(binary or server_bin(),
                            tmp_path_factory.mktemp("extra"), extra_args)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    """A real redis-server, always, as the other side of DUMP/RESTORE."""
    srv = ServerProcess(REFERENCE_BIN, tmp_path_factory.mktemp("peer"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def r(server):
    server.ensure_alive()
    c = server.client()
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def rb(server):
    server.ensure_alive()
    c = server.client(decode_responses=False)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def raw(server):
    """Factory of raw socket connections to the module server."""
    server.ensure_alive()
    conns = []

    def connect(timeout=5.0):
        conn = server.raw(timeout=timeout)
        conns.append(conn)
        return conn

    yield connect
    for conn in conns:
        conn.close()


@pytest.fixture
def r3(server, raw):
    """A raw connection switched to RESP3 with HELLO 3, on a flushed server."""
    conn = raw()
    hello = conn.call("HELLO", "3")
    assert isinstance(hello, RespMap), hello
    assert conn.call("FLUSHALL") == "OK"
    return conn


@pytest.fixture
def config_restore(server):
    """config_restore('maxmemory', ...) snapshots params; restored afterwards."""
    admin = server.client()
    saved = {}

    def snapshot(*names):
        for name in names:
            saved.update(admin.config_get(name))

    yield snapshot
    for name, value in saved.items():
        admin.config_set(name, value)
    admin.close()


def pytest_configure(config):
    # 1,000+ simultaneous connections need descriptors on both sides; servers
    # started by the suite inherit this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def pytest_collection_modifyitems(config, items):
    if cold_mode():
        for item in items:
            marker = item.get_closest_marker("needs_dram_budget")
            if marker is not None:
                item.add_marker(pytest.mark.skip(
                    reason="cold mode (TIERKV_TEST_COLD): " + " ".join(marker.args)))
    if not is_reference():
        return
    skip = pytest.mark.skip(reason="tierkv-only behaviour (not in redis 7.0)")
    for item in items:
        if "tierkv_only" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not cold_mode():
        return
    write = terminalreporter.write_line
    terminalreporter.section("cold mode: INFO tiering summed over the servers stopped cleanly")
    grand = {}
    for module in sorted(cold_totals):
        counts = cold_totals[module]
        write(f"{module}: " + " ".join(f"{k}={counts.get(k, 0)}" for k in COLD_COUNTERS))
        for k, v in counts.items():
            grand[k] = grand.get(k, 0) + v
    write("total: " + " ".join(f"{k}={grand.get(k, 0)}" for k in COLD_COUNTERS))


ALWAYS = ("--appendonly", "yes", "--appendfsync", "always")


def start_server(workdir, *args):
    """A server of the test's own on `workdir` (which outlives it: restart on the same
    directory to recover what it wrote)."""
    return ServerProcess(server_bin(), workdir, args).start()


def sigkill(srv):
    """SIGKILL: nothing gets a chance to save."""
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=10)
    srv.proc = None
