"""Shared helpers for the Python comparison benchmarks (bench/*.py).

- binary resolution (TIERKV_BIN, default <repo>/build/bin/tierkv-server),
- starting tierkv-server / redis-server on 127.0.0.1 with persistence off, and
  stopping every server we started on exit, SIGINT or SIGTERM,
- a minimal blocking RESP client (no redis-py: keeps the probe's own overhead
  small and parses INFO without a client library's assumptions),
- a pipelined bulk loader that writes raw RESP SETs and checks every reply,
- /proc readers: CPU time, RSS, private dirty memory, I/O bytes, child PIDs.

Standard library only; runs under /usr/bin/python3.
"""
import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(BENCH_DIR)


def tierkv_bin():
    return os.environ.get("TIERKV_BIN") or os.path.join(REPO_ROOT, "build", "bin", "tierkv-server")


def redis_bin():
    return os.environ.get("REDIS_BIN") or shutil.which("redis-server") or "/usr/bin/redis-server"


def server_bins():
    bins = {"tierkv": tierkv_bin(), "redis": redis_bin()}
    for name, b in bins.items():
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            sys.exit(f"error: {name} binary not executable: {b} (set TIERKV_BIN / REDIS_BIN)")
    return bins


def can_pin():
    """Pin only with >= 2 usable CPUs and PIN != 0."""
    return os.environ.get("PIN", "1") != "0" and len(os.sched_getaffinity(0)) >= 2


def cpu_sets():
    """(server CPUs, client CPUs) from SERVER_CPUS / CLIENT_CPUS, default 0 / 1."""
    parse = lambda s: {int(x) for x in s.split(",") if x}
    return parse(os.environ.get("SERVER_CPUS", "0")), parse(os.environ.get("CLIENT_CPUS", "1"))


def pin_client():
    """When pinning is allowed, moves this client to its CPUs and returns the servers'
    CPU set (for Server(cpus=...)); None otherwise."""
    if not can_pin():
        return None
    server_cpus, client_cpus = cpu_sets()
    os.sched_setaffinity(0, client_cpus)
    return server_cpus


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------- servers

_servers = []
_tmpdirs = []
_cleanup_hooks = []


def _cleanup():
    for hook in list(_cleanup_hooks):
        try:
            hook()
        except Exception:
            pass
    for s in list(_servers):
        s.stop()
    if os.environ.get("KEEP_TMP") != "1":
        for d in _tmpdirs:
            shutil.rmtree(d, ignore_errors=True)
    _tmpdirs.clear()


def _on_signal(signum, _frame):
    # Raise so that finally blocks run, then atexit stops the servers.
    raise SystemExit(128 + signum)


def install_cleanup():
    atexit.register(_cleanup)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def add_cleanup_hook(fn):
    _cleanup_hooks.append(fn)


def bench_tmpdir():
    d = tempfile.mkdtemp(prefix="tierkv-bench.")
    _tmpdirs.append(d)
    return d


def _prctl_pdeathsig():
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Server:
    """A tierkv-server or redis-server child listening on 127.0.0.1."""

    def __init__(self, name, binary, workdir, cpus=None, extra_args=None, ready_timeout=10.0):
        """Starts the server and waits up to `ready_timeout` s for PING. Its data
        dir is workdir/name: a second Server with the same name and workdir
        restarts on the same data (the log is appended to). `started_at` and
        `ready_at` are time.monotonic() at spawn and at the first PONG."""
        self.name = name
        self.binary = binary
        self.port = free_port()
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "server.log")
        env_extra = os.environ.get("TIERKV_ARGS" if name == "tierkv" else "REDIS_ARGS", "")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.dir] + env_extra.split() + (extra_args or [])
        self._log = open(self.log_path, "ab")
        self.cpus = cpus
        def pre_exec():
            # Die with us even if we are SIGKILLed; pin before exec so that
            # every server thread inherits the CPU mask.
            _prctl_pdeathsig()
            if cpus:
                os.sched_setaffinity(0, cpus)
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=pre_exec)
        self.pid = self.proc.pid
        _servers.append(self)
        self.ready_at = None
        self.wait_ready(ready_timeout)

    def tail_log(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def assert_alive(self):
        if self.proc.poll() is not None:
            raise SystemExit(f"error: {self.name} (pid {self.pid}) exited with "
                             f"{self.proc.returncode}\n{self.tail_log()}")

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                with Conn(self.port, timeout=1.0) as c:
                    if c.call("PING") == "PONG":
                        self.ready_at = time.monotonic()
                        return
            except (OSError, RespError):  # refused, or -LOADING while it loads
                pass
            time.sleep(0.005)
        raise SystemExit(f"error: {self.name} did not answer PING on port {self.port} "
                         f"within {timeout:.0f} s\n{self.tail_log()}")

    def conn(self, timeout=60.0):
        return Conn(self.port, timeout=timeout)

    def rss_bytes(self):
        return rss_bytes(self.pid)

    def kill(self):
        """SIGKILL: a crash, no shutdown work."""
        if self in _servers:
            _servers.remove(self)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()

    def stop(self):
        if self in _servers:
            _servers.remove(self)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


# ----------------------------------------------------------------- RESP

class RespError(Exception):
    pass


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """Blocking RESP2 connection to 127.0.0.1:port."""

    def __init__(self, port, timeout=60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise RespError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._fill()

    def read_reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RespError(rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data = bytes(self.buf[:n])
            del self.buf[:n + 2]
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise RespError(f"unexpected reply line {line[:80]!r}")

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return self.read_reply()

    def info(self, section=None):
        raw = self.call("INFO", section) if section else self.call("INFO")
        out = {}
        for line in raw.decode(errors="replace").splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k.strip()] = v.strip()
        return out


# ----------------------------------------------------------------- loader

def set_batch(ids, key_fmt, value_fn):
    """RESP bytes for SET key_fmt % i, value_fn(i), for each i in `ids`."""
    parts = []
    for i in ids:
        k = (key_fmt % i).encode()
        v = value_fn(i)
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    return b"".join(parts)


def bulk_load(port, total, key_fmt, value_fn, batch=1000, deadline=None, progress=None,
              sock_timeout=60.0, ids=None):
    """SET `total` keys (key_fmt % i for i in range(total), or for i in the
    sequence `ids` if given) over one pipelined connection, `batch` commands
    per round trip; every reply must be +OK. Stops at `deadline` (monotonic s).
    `progress`, if given, is a multiprocessing.Value updated after each batch.
    Returns the number of keys written."""
    if ids is not None:
        total = len(ids)
    done = 0
    with Conn(port, timeout=sock_timeout) as c:
        sock = c.sock
        while done < total:
            if deadline is not None and time.monotonic() > deadline:
                break
            n = min(batch, total - done)
            batch_ids = range(done, done + n) if ids is None else ids[done:done + n]
            sock.sendall(set_batch(batch_ids, key_fmt, value_fn))
            expect = b"+OK\r\n" * n
            buf = bytearray()
            # All SET replies are single lines: read until n lines arrived.
            while buf.count(b"\r\n") < n:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    raise RespError("connection closed by server during load")
                buf += chunk
            if buf != expect:
                bad = next((ln for ln in bytes(buf).split(b"\r\n") if ln != b"+OK"), b"?")
                raise RespError(f"unexpected reply during load: {bad[:200]!r}")
            done += n
            if progress is not None:
                progress.value = done
    return done


def unique_value_fn(size, seed=1):
    """value(i): `size` bytes, unique per i and not compressible (the index's
    last digits + bytes from a seeded pool of random bytes), so that no server
    gains from compression or deduplication real data would not allow.
    `seed` varies the pool: a new seed gives every key a new value."""
    rnd = random.Random(seed)
    pool = [rnd.randbytes(size) for _ in range(4096)]
    prefix = min(12, size)

    def value(i):
        return (b"%012d" % i)[-prefix:] + pool[i & 4095][prefix:]
    return value


# ----------------------------------------------------------------- /proc

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    """utime + stime of a whole process (all threads), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds():
    """user + nice + system + steal over all CPUs, seconds (from /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[7]) / CLK_TCK


def own_cpu_seconds():
    """This process plus its reaped children, seconds."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherLoad:
    """CPU used by anything except the given server PIDs and this process
    tree between start() and stop(), in % of one CPU: a noise indicator."""

    def __init__(self, pids):
        self.pids = list(pids)

    def _sample(self):
        return (time.monotonic(), machine_busy_seconds(), own_cpu_seconds(),
                sum(proc_cpu_seconds(p) for p in self.pids))

    def start(self):
        self.a = self._sample()

    def stop(self):
        b = self._sample()
        wall, busy, own, srv = (y - x for x, y in zip(self.a, b))
        return max(0.0, busy - own - srv) / wall * 100 if wall > 0 else 0.0


def _status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def rss_bytes(pid):
    """VmRSS of a process, bytes."""
    return _status_kib(pid, "VmRSS:")


def private_dirty_bytes(pid):
    """Private_Dirty from /proc/PID/smaps_rollup, bytes: for a forked child,
    the pages it no longer shares with its parent (copy-on-write copies)."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no Private_Dirty in /proc/{pid}/smaps_rollup")


def proc_io(pid):
    """/proc/PID/io as a dict (read_bytes / write_bytes: storage-layer I/O the
    process caused; write_bytes is counted when a page is dirtied)."""
    with open(f"/proc/{pid}/io") as f:
        return {k: int(v) for k, v in (line.split(":") for line in f)}


def child_pids(pid):
    """PIDs of a process's children (any thread's), via /proc/PID/task/*/children."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def wait_round_done(conn, timeout, poll=0.05):
    """Polls INFO persistence until no BGSAVE / BGREWRITEAOF runs (or is
    scheduled); returns the last INFO dict. Raises after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        info = conn.info("persistence")
        busy = any(info.get(k, "0") == "1" for k in (
            "rdb_bgsave_in_progress", "aof_rewrite_in_progress", "aof_rewrite_scheduled"))
        if not busy:
            return info
        if time.monotonic() > deadline:
            raise RespError(f"background save still running after {timeout:.0f} s")
        time.sleep(poll)


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
