"""The metrics endpoint (metrics-port): GET /metrics in Prometheus text format,
parsed with prometheus_client's own parser; its HTTP handling of bad requests; its
access rules (loopback without a password, basic auth with ACL users otherwise);
CONFIG SET metrics-port; Debian's prometheus-redis-exporter reading tierkv and
redis-server alike; Debian's prometheus scraping the endpoint."""
import base64
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request

import pytest
import redis

from conftest import REFERENCE_BIN, free_port, raw_exchange, server_bin, wait_until

prometheus_parser = pytest.importorskip("prometheus_client.parser")

pytestmark = pytest.mark.tierkv_only

EXPORTER_BIN = "/usr/bin/prometheus-redis-exporter"
PROMETHEUS_BIN = "/usr/bin/prometheus"


def metrics_server(new_server, *args):
    """A server with the metrics endpoint on a free loopback port (tried again on a
    port someone took meanwhile)."""
    for _ in range(3):
        port = free_port()
        try:
            srv = new_server("--metrics-port", str(port), *args)
        except RuntimeError:
            continue
        srv.metrics_port = port
        return srv
    pytest.fail("could not start a server with a metrics port")


def http_get(port, path="/metrics", headers=None, method="GET", timeout=10):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def scrape(port, **kwargs):
    status, headers, body = http_get(port, **kwargs)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in prometheus_parser.text_string_to_metric_families(body)}


def value(families, family, **labels):
    """The sample of `family` (name without _total) with exactly `labels`; None if absent."""
    if family not in families:
        return None
    for sample in families[family].samples:
        if sample.labels == labels and sample.name in (family, family + "_total"):
            return sample.value
    return None


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def exchange(port, request):
    return raw_exchange("127.0.0.1", port, request)


# --------------------------------------------------------------------------
# The page


def test_scrape_parses_and_figures_move(new_server):
    srv = metrics_server(new_server)
    r = srv.client()
    before = scrape(srv.metrics_port)
    # Types: counters end in _total and are typed counter, the rest gauges.
    assert before["tierkv_commands_processed"].type == "counter"
    assert before["tierkv_keyspace_hits"].type == "counter"
    assert before["tierkv_connected_clients"].type == "gauge"
    assert before["tierkv_used_memory"].type == "gauge"
    assert before["tierkv_uptime_in_seconds"].type == "gauge"
    assert before["tierkv_command_calls"].type == "counter"
    assert before["tierkv_command_latency_seconds"].type == "histogram"
    assert before["tierkv_errors"].type == "counter"
    assert before["tierkv_db_keys"].type == "gauge"
    assert value(before, "tierkv_rdb_last_bgsave_status") == 1  # "ok"
    assert value(before, "tierkv_build_info", version=r.info("server")["tierkv_version"],
                 redis_version=r.info("server")["redis_version"]) == 1
    assert value(before, "tierkv_connected_clients") == 0
    assert value(before, "tierkv_db_keys", db="db0") == 0
    calls_before = value(before, "tierkv_command_calls", cmd="set") or 0

    r.set("k", "v")
    r.expire("k", 100)
    r.rpush("list", "x")
    with pytest.raises(redis.ResponseError):
        r.get("list")  # WRONGTYPE: a failed call and an error
    with pytest.raises(redis.ResponseError):
        r.execute_command("get")  # wrong arity: a rejected call
    after = scrape(srv.metrics_port)
    assert value(after, "tierkv_command_calls", cmd="set") == calls_before + 1
    assert value(after, "tierkv_command_failed_calls", cmd="get") == 1
    assert value(after, "tierkv_command_rejected_calls", cmd="get") == 1
    assert value(after, "tierkv_errors", err="WRONGTYPE") == 1
    assert value(after, "tierkv_errors", err="ERR") == 1
    assert value(after, "tierkv_db_keys", db="db0") == 2
    assert value(after, "tierkv_db_keys_expiring", db="db0") == 1
    assert value(after, "tierkv_connected_clients") == 1
    assert value(after, "tierkv_commands_processed") > value(before, "tierkv_commands_processed")
    # The histogram: cumulative buckets ending in +Inf, the count equal to the calls.
    buckets = [s for s in after["tierkv_command_latency_seconds"].samples
               if s.name.endswith("_bucket") and s.labels["cmd"] == "set"]
    assert buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == 1
    assert [b.value for b in buckets] == sorted(b.value for b in buckets)
    count = [s for s in after["tierkv_command_latency_seconds"].samples
             if s.name.endswith("_count") and s.labels["cmd"] == "set"]
    assert count[0].value == 1
    # Figures agree with INFO.
    info = r.info("commandstats")
    assert info["cmdstat_set"]["calls"] == value(after, "tierkv_command_calls", cmd="set")
    # CONFIG RESETSTAT resets the counters too.
    r.config_resetstat()
    assert value(scrape(srv.metrics_port), "tierkv_command_calls", cmd="set") is None


def test_every_family_has_help_and_type(new_server):
    srv = metrics_server(new_server)
    srv.client().set("k", "v")
    status, _, body = http_get(srv.metrics_port)
    assert status == 200
    typed = set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert name.startswith("tierkv_")
            assert kind in ("counter", "gauge", "histogram")
            assert name.endswith("_total") == (kind == "counter"), line
            assert name not in typed, f"family {name} declared twice"
            typed.add(name)
        elif line and not line.startswith("#"):
            name = line.split("{")[0].split(" ")[0]
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[: -len(suffix)] in typed:
                    base = name[: -len(suffix)]
            assert base in typed, f"sample {name} has no TYPE line"


# --------------------------------------------------------------------------
# HTTP


def test_malformed_requests_are_answered_and_the_endpoint_keeps_serving(new_server):
    srv = metrics_server(new_server)
    port = srv.metrics_port
    cases = [
        (b"garbage\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /metrics HTTP/2.0\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", b"HTTP/1.1 400 "),
        (b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 10000, b"HTTP/1.1 400 "),  # no end of head in sight
        (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b"HTTP/1.1 405 "),
        (b"DELETE / HTTP/1.1\r\n\r\n", b"HTTP/1.1 405 "),
    ]
    for request, status_line in cases:
        data, closed = exchange(port, request)
        assert data.startswith(status_line), (request[:60], data[:200])
        assert closed, request[:60]
    data, _ = exchange(port, b"PUT /metrics HTTP/1.1\r\n\r\n")
    assert b"\r\nAllow: GET, HEAD\r\n" in data
    # A client that sends part of a head and goes away.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /metr")
    assert srv.client().ping()
    assert "tierkv_used_memory" in scrape(port)


def test_not_found_keep_alive_pipelining_head_and_http_1_0(new_server):
    srv = metrics_server(new_server)
    port = srv.metrics_port
    status, _, _ = http_get(port, "/")
    assert status == 404
    status, headers, body = http_get(port, method="HEAD")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 0
    # Two pipelined requests on one connection: a 404 that keeps it, then the page,
    # then "Connection: close" ends it.
    data, closed = exchange(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                                  b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 404 ")
    assert b"HTTP/1.1 200 OK" in data and b"tierkv_used_memory" in data
    assert closed
    # HTTP/1.0 closes after one answer unless asked otherwise.
    data, closed = exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ") and closed


# --------------------------------------------------------------------------
# Access


def test_basic_auth_with_acl_users(new_server):
    srv = metrics_server(new_server)
    port = srv.metrics_port
    r = srv.client()
    r.execute_command("ACL", "SETUSER", "scraper", "on", ">scrape", "+info")
    r.execute_command("ACL", "SETUSER", "noinfo", "on", ">pw", "+@all", "-info")
    r.execute_command("ACL", "SETUSER", "disabled", "off", ">pw", "+info")
    # Once the default user has a password, every request needs credentials.
    r.config_set("requirepass", "secret")
    status, headers, _ = http_get(port)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic ")
    assert http_get(port, headers=basic("default", "wrong"))[0] == 401
    assert http_get(port, headers={"Authorization": "Basic !!notbase64"})[0] == 401
    assert http_get(port, headers={"Authorization": "Bearer secret"})[0] == 401
    assert "tierkv_used_memory" in scrape(port, headers=basic("default", "secret"))
    assert "tierkv_used_memory" in scrape(port, headers=basic("", "secret"))  # no name: the default user
    assert "tierkv_used_memory" in scrape(port, headers=basic("scraper", "scrape"))
    assert http_get(port, headers=basic("noinfo", "pw"))[0] == 403
    assert http_get(port, headers=basic("disabled", "pw"))[0] == 401
    # The default user's password set by ACL rules counts the same.
    r = srv.client(password="secret")
    r.config_set("requirepass", "")
    assert http_get(port)[0] == 200
    r.execute_command("ACL", "SETUSER", "default", "resetpass", ">other")
    assert http_get(port)[0] == 401
    assert http_get(port, headers=basic("default", "other"))[0] == 200


def run_briefly(args, timeout=10):
    """Starts a server expected to refuse its configuration: its exit status and output."""
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def test_non_loopback_bind_needs_a_password(new_server, tmp_path):
    base = [server_bin(), "--port", str(free_port()), "--bind", "127.0.0.1", "--dir", str(tmp_path),
            "--save", "", "--appendonly", "no", "--metrics-port", str(free_port()), "--metrics-bind", "0.0.0.0"]
    code, output = run_briefly(base)
    assert code != 0
    assert "metrics-bind 0.0.0.0 is not a loopback address" in output
    # Explicitly allowed, it starts.
    port = free_port()
    srv = new_server("--metrics-port", str(port), "--metrics-bind", "0.0.0.0",
                     "--metrics-allow-unauthenticated", "yes")
    assert http_get(port)[0] == 200
    srv.stop()
    # At run time the same rule, and the listener stays where it was.
    srv = metrics_server(new_server)
    r = srv.client()
    with pytest.raises(redis.ResponseError, match="metrics-bind 0.0.0.0 is not a loopback address"):
        r.config_set("metrics-bind", "0.0.0.0")
    assert r.config_get("metrics-bind") == {"metrics-bind": "127.0.0.1"}
    assert "tierkv_used_memory" in scrape(srv.metrics_port)
    # With a password it may listen there.
    r.config_set("requirepass", "pw")
    r = srv.client(password="pw")
    r.config_set("metrics-bind", "0.0.0.0")
    assert "tierkv_used_memory" in scrape(srv.metrics_port, headers=basic("default", "pw"))


def test_config_set_metrics_port_opens_moves_and_closes_the_listener(new_server):
    srv = new_server()
    r = srv.client()
    assert r.config_get("metrics-port") == {"metrics-port": "0"}
    port = free_port()
    r.config_set("metrics-port", port)
    assert "tierkv_used_memory" in scrape(port)
    # A port in use: refused, and the endpoint keeps its port.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(redis.ResponseError):
            r.config_set("metrics-port", taken.getsockname()[1])
    assert r.config_get("metrics-port") == {"metrics-port": str(port)}
    assert "tierkv_used_memory" in scrape(port)
    r.config_set("metrics-port", 0)
    with pytest.raises(urllib.error.URLError):
        http_get(port, timeout=2)
    assert r.ping()


# --------------------------------------------------------------------------
# Debian's exporter and Prometheus


def start_http_tool(args, port, path, workdir, name, ready=lambda body: True, timeout=30):
    """Starts a tool serving HTTP on 127.0.0.1:`port`; waits until GET `path` answers
    200 and `ready(body)`; returns the process."""
    log = open(os.path.join(workdir, f"{name}.log"), "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    last = [None]

    def answered():
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}: "
                        + open(os.path.join(workdir, f"{name}.log"), errors="replace").read()[-2000:])
        try:
            status, _, body = http_get(port, path, timeout=2)
        except (urllib.error.URLError, OSError):
            return False
        last[0] = body
        return status == 200 and ready(body)

    try:
        wait_until(answered, timeout=timeout, interval=0.2, message=f"{name} to answer {path}")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, last[0]


def stop_process(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Families the exporter shows for redis-server but not for tierkv, each with its
# reason. None today: INFO carries every field the exporter reads, under Redis's
# names (docs/COMPATIBILITY.md, "Metrics").
EXPORTER_EXCEPTIONS = set()


def exporter_families(srv, workdir, name):
    port = free_port()
    proc, body = start_http_tool(
        [EXPORTER_BIN, "-redis.addr", f"redis://127.0.0.1:{srv.port}", "-web.listen-address",
         f"127.0.0.1:{port}"], port, "/metrics", workdir, name,
        ready=lambda body: "\nredis_up 1" in body)
    try:
        families = prometheus_parser.text_string_to_metric_families(body)
        return {family.name: family.type for family in families if family.name.startswith("redis_")}
    finally:
        stop_process(proc)


def test_redis_exporter_exports_for_tierkv_what_it_exports_for_redis(new_server, tmp_path):
    if not os.access(EXPORTER_BIN, os.X_OK):
        pytest.skip("prometheus-redis-exporter is not installed")
    tierkv = new_server()
    reference = new_server(binary=REFERENCE_BIN)
    # The same data and commands on both: the exporter's per-db, per-command and
    # per-error families appear only once something was counted.
    for srv in (tierkv, reference):
        r = srv.client()
        r.set("k", "v", ex=100)
        r.hset("h", "f", "v")
        r.get("k")
        r.get("missing")
        with pytest.raises(redis.ResponseError):
            r.hget("k", "f")
    ours = exporter_families(tierkv, str(tmp_path), "exporter-tierkv")
    theirs = exporter_families(reference, str(tmp_path), "exporter-redis")
    missing = {name for name in theirs if name not in ours} - EXPORTER_EXCEPTIONS
    assert not missing, f"families exported for redis-server but not for tierkv: {sorted(missing)}"
    mistyped = {name for name in theirs if name in ours and ours[name] != theirs[name]}
    assert not mistyped, f"families typed differently: {sorted(mistyped)}"


def test_prometheus_scrapes_the_endpoint(new_server, tmp_path):
    if not os.access(PROMETHEUS_BIN, os.X_OK):
        pytest.skip("prometheus is not installed")
    srv = metrics_server(new_server)
    srv.client().set("k", "v")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: tierkv\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{srv.metrics_port}']\n")
    args = [PROMETHEUS_BIN, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}"]
    proc, _ = start_http_tool(args, port, "/-/ready", str(tmp_path), "prometheus", timeout=60)
    try:
        def target_up():
            _, _, body = http_get(port, "/api/v1/targets", timeout=2)
            targets = json.loads(body)["data"]["activeTargets"]
            return targets and targets[0]["health"] == "up" and targets

        targets = wait_until(target_up, timeout=60, interval=0.5, message="prometheus to scrape tierkv")
        assert targets[0]["lastError"] == ""

        def set_calls():
            _, _, body = http_get(port, '/api/v1/query?query=tierkv_command_calls_total%7Bcmd%3D%22set%22%7D',
                                  timeout=2)
            result = json.loads(body)["data"]["result"]
            return result and result[0]["value"][1]

        assert wait_until(set_calls, timeout=30, interval=0.5, message="the set calls in prometheus") == "1"
    finally:
        stop_process(proc)
