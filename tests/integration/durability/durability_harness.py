"""Server processes for the durability tests: started with the journal on, killed with
SIGKILL, restarted on the same data directory.

Why not conftest.ServerProcess: that one always starts with --appendonly no (the
command suite needs no persistence) and keeps one log; here every process gets its
own log file, so each start and each crash can be judged on its own.

Thread-safety: a DurableServer is driven by the test's main thread only.
"""
import os
import signal
import socket
import subprocess
import time

import pytest
import redis

# Lines a healthy start or run never logs: recovery refusing the data directory, a
# failed assertion, a sanitizer report.
FATAL_MARKERS = ("Fatal error", "AddressSanitizer", "LeakSanitizer", "runtime error:",
                 "terminate called", "Assertion", "Aborted", "Segmentation fault")


def server_bin_or_skip():
    binary = os.environ.get("TIERKV_SERVER_BIN")
    if not binary:
        pytest.skip("the durability tests run against tierkv only: set TIERKV_SERVER_BIN")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"TIERKV_SERVER_BIN={binary!r} is not executable")
    return binary


def is_sanitized(binary):
    """True for a TIERKV_SANITIZE build (GCC links libasan dynamically)."""
    try:
        linked = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "libasan" in linked


def poll_until(predicate, timeout, message, interval=0.02):
    """Polls predicate() until it returns something truthy (returned); fails the test
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}", pytrace=False)
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.settimeout(1.0)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class DurableServer:
    """tierkv-server on a free loopback port with the journal on, data in `data_dir`.

    Each start() writes the log `<log_dir>/run-<n>.log`; `run_log()` reads the current one.
    """

    def __init__(self, binary, data_dir, log_dir, base_args):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.log_dir = str(log_dir)
        self.base_args = list(base_args)
        self.proc = None
        self.port = None
        self.runs = 0
        self.log_path = None

    def start(self, extra_args=(), timeout=60.0, attempts=3):
        """Starts on the data dir and waits for PING (recovery included); fails the test
        with the log if the server exits or never answers."""
        os.makedirs(self.data_dir, exist_ok=True)
        os.makedirs(self.log_dir, exist_ok=True)
        for _ in range(attempts):
            self.runs += 1
            self.port = free_port()
            self.log_path = os.path.join(self.log_dir, f"run-{self.runs}.log")
            args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--dir", self.data_dir, *self.base_args, *extra_args]
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                             cwd=self.data_dir)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _ping(self.port):
                    return self
                time.sleep(0.01)
            if self.proc.poll() is not None and "Address already in use" not in self.run_log():
                pytest.fail(f"server exited with status {self.proc.returncode} while starting on "
                            f"{self.data_dir}; log:\n{self.run_log()[-4000:]}", pytrace=False)
            self.kill()  # port taken by someone else, or it never answered
        pytest.fail(f"server did not start on {self.data_dir}; log:\n{self.run_log()[-4000:]}",
                    pytrace=False)

    def kill(self):
        """SIGKILL: no final round, no journal sync; what is on disk is what is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def terminate(self, timeout=60.0):
        """SIGTERM (the shutdown round); returns the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            pytest.fail(f"server ignored SIGTERM for {timeout}s; log:\n{self.run_log()[-4000:]}",
                        pytrace=False)
        self.proc = None
        return code

    def wait_exit(self, timeout=60.0):
        """Waits for the process to exit by itself (SHUTDOWN); returns the exit status."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running {timeout}s after SHUTDOWN; log:\n{self.run_log()[-4000:]}",
                        pytrace=False)
        self.proc = None
        return code

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def client(self, **kwargs):
        kwargs.setdefault("decode_responses", True)
        kwargs.setdefault("socket_timeout", 30)
        kwargs.setdefault("single_connection_client", True)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def run_log(self):
        try:
            with open(self.log_path, "rb") as log:
                return log.read().decode(errors="replace")
        except (OSError, TypeError):
            return "(no log)"

    def all_logs(self, tail=3000):
        """The last `tail` characters of every run's log, oldest first (for failures)."""
        parts = []
        for run in range(1, self.runs + 1):
            path = os.path.join(self.log_dir, f"run-{run}.log")
            try:
                with open(path, "rb") as log:
                    parts.append(f"--- {path}\n" + log.read().decode(errors="replace")[-tail:])
            except OSError:
                pass
        return "\n".join(parts)

    def fatal_lines(self):
        return [line for line in self.run_log().splitlines()
                if any(marker in line for marker in FATAL_MARKERS)]


def base_memory(binary, work_dir, args):
    """used_memory of a fresh server started with `args` (about 3 MB in a release build,
    under 2 MB under ASan, which has no jemalloc): tiered tests set their DRAM budget
    relative to it."""
    probe = DurableServer(binary, os.path.join(work_dir, "data"), os.path.join(work_dir, "logs"), args)
    probe.start()
    try:
        client = probe.client()
        try:
            return client.info("memory")["used_memory"]
        finally:
            client.close()
    finally:
        probe.kill()
