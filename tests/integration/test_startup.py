"""Start-up: options from a config file and the command line, and a clear
refusal (non-zero exit, the option named) for anything unknown or invalid."""
import subprocess

import pytest
import redis

from conftest import free_port, server_bin, wait_until


def run_server(*args, timeout=10):
    """Runs the server binary expecting it to refuse to start; returns (status, output)."""
    proc = subprocess.run([server_bin(), *args], capture_output=True, timeout=timeout)
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")


@pytest.mark.parametrize("args, named", [
    (["--no-such-option", "1"], "no-such-option"),
    (["--port", "notaport"], "port"),
    (["--port", "70000"], "port"),
    (["--maxmemory-policy", "sometimes"], "maxmemory-policy"),
    (["--maxmemory", "lots"], "maxmemory"),
    (["--appendonly", "maybe"], "appendonly"),
])
def test_bad_command_line_option_stops_startup_naming_it(tmp_path, args, named):
    status, output = run_server("--port", str(free_port()), "--dir", str(tmp_path), *args)
    assert status != 0
    assert named in output


def test_bad_config_file_line_stops_startup_naming_it(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("port %d\nmaxmemory-policy sometimes\n" % free_port())
    status, output = run_server(str(conf))
    assert status != 0
    assert "maxmemory-policy" in output


def test_missing_config_file_stops_startup(tmp_path):
    status, output = run_server(str(tmp_path / "absent.conf"))
    assert status != 0
    assert "absent.conf" in output


def test_config_file_and_command_line_are_both_applied(tmp_path):
    conf = tmp_path / "ok.conf"
    conf.write_text('# a comment\nmaxmemory 10mb\nmaxmemory-policy "allkeys-lru"\nhz 20\n')
    port = free_port()
    proc = subprocess.Popen([server_bin(), str(conf), "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path), "--save", "", "--appendonly", "no",
                             "--hz", "15"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=5)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False
        wait_until(answers, timeout=10)
        assert client.config_get("maxmemory") == {"maxmemory": str(10 * 1024 * 1024)}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert client.config_get("hz") == {"hz": "15"}  # the command line wins over the file
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
