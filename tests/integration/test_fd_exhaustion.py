"""Running out of file descriptors: the server refuses what it cannot accept,
keeps serving the clients it has, does not spin on the accept error, and
accepts again once descriptors are free."""
import os
import resource
import socket
import subprocess
import time

import redis

from conftest import free_port, server_bin, wait_until


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answers(client):
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_server_survives_descriptor_exhaustion(tmp_path):
    port = free_port()

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    proc = subprocess.Popen([server_bin(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=low_fd_limit)
    flood = []
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        wait_until(lambda: answers(client), timeout=10)
        # More connections than the server has descriptors: the kernel completes
        # them, the server cannot accept the excess.
        for _ in range(120):
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        assert client.ping() is True  # an existing client is still served
        before = cpu_seconds(proc.pid)
        time.sleep(1.0)  # measuring a rate: the window is the point, not a synchronisation
        spent = cpu_seconds(proc.pid) - before
        assert spent < 0.3, f"server used {spent:.2f}s of CPU in 1s while out of descriptors"
        for s in flood:
            s.close()
        flood.clear()
        fresh = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        wait_until(lambda: answers(fresh), timeout=10)
    finally:
        for s in flood:
            s.close()
        proc.terminate()
        assert proc.wait(timeout=10) == 0
