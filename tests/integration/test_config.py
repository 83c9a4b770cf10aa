"""CONFIG completeness: every Redis parameter is listed and can be set back to
the value CONFIG GET reports; CONFIG SET of several parameters is all or
nothing, also when a new value cannot take effect (a port or an address that
cannot be listened on, a dir that does not exist)."""
import socket

import pytest
import redis

from conftest import call, free_port, is_reference, raises_reply

IMMUTABLE = "can't set immutable config"
PROTECTED = "can't set protected config"

# CONFIG GET * of redis-server 7.0 (aliases included, hidden parameters not).
REDIS_70_PARAMETERS = """
acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max active-defrag-cycle-min
active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower
active-defrag-threshold-upper active-expire-effort activedefrag activerehashing always-show-logo
aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync aof-timestamp-enabled
aof-use-rdb-preamble aof_rewrite_cpulist appenddirname appendfilename appendfsync appendonly
auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist bind bind-source-addr
bio_cpulist busy-reply-threshold client-output-buffer-limit client-query-buffer-limit
cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down cluster-allow-replica-migration
cluster-announce-bus-port cluster-announce-hostname cluster-announce-ip cluster-announce-port
cluster-announce-tls-port cluster-config-file cluster-enabled cluster-link-sendbuf-limit
cluster-migration-barrier cluster-node-timeout cluster-port cluster-preferred-endpoint-type
cluster-replica-no-failover cluster-replica-validity-factor cluster-require-full-coverage
cluster-slave-no-failover cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled
daemonize databases dbfilename dir disable-thp dynamic-hz enable-debug-command
enable-module-command enable-protected-configs hash-max-listpack-entries hash-max-listpack-value
hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes hz ignore-warnings io-threads
io-threads-do-reads jemalloc-bg-thread latency-monitor-threshold latency-tracking
latency-tracking-info-percentiles lazyfree-lazy-eviction lazyfree-lazy-expire
lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time
lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size logfile loglevel
lua-time-limit masterauth masteruser maxclients maxmemory maxmemory-clients
maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples min-replicas-max-lag
min-replicas-to-write min-slaves-max-lag min-slaves-to-write no-appendfsync-on-rewrite
notify-keyspace-events oom-score-adj oom-score-adj-values pidfile port proc-title-template
propagation-error-behavior protected-mode proto-max-bulk-len rdb-del-sync-files
rdb-save-incremental-fsync rdbchecksum rdbcompression repl-backlog-size repl-backlog-ttl
repl-disable-tcp-nodelay repl-diskless-load repl-diskless-sync repl-diskless-sync-delay
repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period repl-timeout
replica-announce-ip replica-announce-port replica-announced replica-ignore-disk-write-errors
replica-ignore-maxmemory replica-lazy-flush replica-priority replica-read-only
replica-serve-stale-data replicaof requirepass sanitize-dump-payload save server_cpulist
set-max-intset-entries set-proc-title shutdown-on-sigint shutdown-on-sigterm shutdown-timeout
slave-announce-ip slave-announce-port slave-ignore-maxmemory slave-lazy-flush slave-priority
slave-read-only slave-serve-stale-data slaveof slowlog-log-slower-than slowlog-max-len
socket-mark-id stop-writes-on-bgsave-error stream-node-max-bytes stream-node-max-entries
supervised syslog-enabled syslog-facility syslog-ident tcp-backlog tcp-keepalive timeout
tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites
tls-client-cert-file tls-client-key-file tls-client-key-file-pass tls-cluster tls-dh-params-file
tls-key-file tls-key-file-pass tls-port tls-prefer-server-ciphers tls-protocols tls-replication
tls-session-cache-size tls-session-cache-timeout tls-session-caching tracking-table-max-keys
unixsocket unixsocketperm zset-max-listpack-entries zset-max-listpack-value
zset-max-ziplist-entries zset-max-ziplist-value
""".split()
# Added by Redis 7.2.
REDIS_72_PARAMETERS = ["cluster-announce-human-nodename", "locale-collate",
                       "set-max-listpack-entries", "set-max-listpack-value"]
# Redis's debugging knobs: answered when named, never listed by a pattern.
HIDDEN_PARAMETERS = {"rdb-key-save-delay": "0", "key-load-delay": "0", "watchdog-period": "0",
                     "use-exit-on-panic": "no", "loading-process-events-interval-bytes": "2097152"}
# What CONFIG SET refuses in Redis: start-up-only and protected parameters.
REDIS_IMMUTABLE = """
aclfile always-show-logo aof_rewrite_cpulist appenddirname appendfilename bgsave_cpulist
bio_cpulist cluster-config-file cluster-enabled cluster-port daemonize databases disable-thp
enable-debug-command enable-module-command enable-protected-configs io-threads io-threads-do-reads
logfile pidfile rdbchecksum replicaof server_cpulist set-proc-title slaveof socket-mark-id
supervised syslog-enabled syslog-facility syslog-ident tcp-backlog unixsocket unixsocketperm
""".split()
REDIS_PROTECTED = ["dbfilename", "dir"]
TIERKV_IMMUTABLE = ["tier", "tier-read-threads", "tier-path", "tier-pmem-size"]


def config_get(client, *patterns):
    flat = call(client, "CONFIG", "GET", *patterns)
    return dict(zip(flat[::2], flat[1::2]))


def set_failed(param, reason):
    return f"ERR CONFIG SET failed (possibly related to argument '{param}') - {reason}"


def test_config_get_star_lists_every_redis_parameter(r):
    expected = set(REDIS_70_PARAMETERS)
    if not is_reference():
        expected |= set(REDIS_72_PARAMETERS)
    assert expected - set(config_get(r, "*")) == set()


def test_config_get_hidden_parameters_answered_only_when_named(r):
    listed = config_get(r, "*")
    for name, default in HIDDEN_PARAMETERS.items():
        assert name not in listed
        assert config_get(r, name) == {name: default}
        assert name not in config_get(r, name[:4] + "*")


def test_config_set_of_every_value_config_get_returns(r):
    """Redis's round trip: setting each parameter to its current value succeeds,
    except the ones CONFIG SET refuses, with Redis's reason."""
    before = config_get(r, "*")
    refused = {}
    for name, value in before.items():
        try:
            assert call(r, "CONFIG", "SET", name, value) == "OK"
        except redis.ResponseError:
            with raises_reply(set_failed(name, PROTECTED if name in REDIS_PROTECTED else IMMUTABLE)):
                call(r, "CONFIG", "SET", name, value)
            refused[name] = value
    expected_refused = set(REDIS_IMMUTABLE) | set(REDIS_PROTECTED)
    if not is_reference():
        expected_refused |= set(TIERKV_IMMUTABLE)
    assert set(refused) == expected_refused
    assert config_get(r, "*") == before


@pytest.mark.needs_dram_budget("maxmemory is the cold budget, not 0")
def test_config_set_rolls_back_when_the_port_cannot_be_listened_on(server, r):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = str(busy.getsockname()[1])
        with raises_reply(set_failed("port", "Unable to listen on this port. Check server logs.")):
            call(r, "CONFIG", "SET", "maxmemory", "10mb", "port", taken, "timeout", "30")
    assert config_get(r, "maxmemory", "port", "timeout") == {
        "maxmemory": "0", "port": str(server.port), "timeout": "0"}
    fresh = server.client()
    assert fresh.ping()
    fresh.close()


def test_config_set_rolls_back_when_the_addresses_cannot_be_bound(server, r):
    # 192.0.2.0/24 is reserved for documentation: never a local address.
    with raises_reply(set_failed("bind", "Failed to bind to specified addresses.")):
        call(r, "CONFIG", "SET", "bind", "192.0.2.1", "hz", "50")
    assert config_get(r, "bind", "hz") == {"bind": "127.0.0.1", "hz": "10"}
    fresh = server.client()
    assert fresh.ping()
    fresh.close()


def test_config_set_port_moves_the_listener(new_server):
    srv = new_server()
    c = srv.client(single_connection_client=True)
    old_port, new_port = srv.port, free_port()
    assert call(c, "CONFIG", "SET", "port", str(new_port)) == "OK"
    srv.port = new_port
    assert c.ping()  # connections made before stay
    assert config_get(c, "port") == {"port": str(new_port)}
    moved = redis.Redis(host="127.0.0.1", port=new_port, socket_timeout=5)
    assert moved.ping()
    moved.close()
    with pytest.raises(redis.ConnectionError):
        redis.Redis(host="127.0.0.1", port=old_port, socket_timeout=5).ping()
    c.close()


@pytest.mark.parametrize("make_dir,reason", [
    (lambda path: None, "No such file or directory"),
    (lambda path: path.write_text(""), "Not a directory"),
])
def test_config_set_rolls_back_when_dir_is_not_a_directory(new_server, tmp_path, make_dir, reason):
    srv = new_server("--enable-protected-configs", "yes")
    c = srv.client()
    target = tmp_path / "target"
    make_dir(target)
    before = config_get(c, "dir", "maxmemory")
    with raises_reply(set_failed("dir", reason)):
        call(c, "CONFIG", "SET", "maxmemory", "10mb", "dir", str(target))
    assert config_get(c, "dir", "maxmemory") == before
    c.close()


def test_config_set_hz_is_kept_within_redis_limits(r):
    try:
        assert call(r, "CONFIG", "SET", "hz", "0") == "OK"
        assert config_get(r, "hz") == {"hz": "1"}
        assert call(r, "CONFIG", "SET", "hz", "1000") == "OK"
        assert config_get(r, "hz") == {"hz": "500"}
    finally:
        call(r, "CONFIG", "SET", "hz", "10")


@pytest.mark.parametrize("name,value,reason", [
    ("active-defrag-cycle-max", "100", "argument must be between 1 and 99 inclusive"),
    ("slowlog-log-slower-than", "-2", "argument must be between -1 and 9223372036854775807 inclusive"),
    ("repl-timeout", "0", "argument must be between 1 and 2147483647 inclusive"),
    ("maxmemory-eviction-tenacity", "101", "argument must be between 0 and 100 inclusive"),
    ("maxmemory-clients", "abc", "argument must be a memory or percent value"),
])
def test_config_set_checks_redis_bounds_of_parameters_without_effect(r, name, value, reason):
    before = config_get(r, name)
    with raises_reply(set_failed(name, reason)):
        call(r, "CONFIG", "SET", name, value)
    assert config_get(r, name) == before


@pytest.mark.parametrize("value,stored", [("10%", "10%"), ("5mb", "5242880"), ("0", "0")])
def test_config_maxmemory_clients_takes_memory_or_percent(r, value, stored):
    try:
        assert call(r, "CONFIG", "SET", "maxmemory-clients", value) == "OK"
        assert config_get(r, "maxmemory-clients") == {"maxmemory-clients": stored}
    finally:
        call(r, "CONFIG", "SET", "maxmemory-clients", "0")
