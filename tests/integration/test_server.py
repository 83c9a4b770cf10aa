"""Server introspection: INFO, CONFIG, COMMAND, DEBUG, and maxmemory policies."""
import re

import pytest

from conftest import ServerProcess, call, is_reference, raises_reply, server_bin

OOM = "OOM command not allowed when used memory > 'maxmemory'."
ZERO_DIGEST = "0" * 40


def parse_info(text):
    """Parse INFO text strictly: '# Section' headers, 'key:value' lines, CRLF."""
    assert text.endswith("\r\n"), "INFO must end with CRLF"
    sections, current = {}, None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line.startswith("# "):
            current = line[2:].lower()
            sections[current] = {}
            continue
        assert current is not None, f"field before any section header: {line!r}"
        key, sep, value = line.partition(":")
        assert sep, f"malformed INFO line {line!r}"
        sections[current][key] = value
    return sections


def info_sections(client, *names):
    return parse_info(call(client, "INFO", *names))


def keyspace_entry(value):
    fields = dict(item.split("=") for item in value.split(","))
    assert list(fields) == ["keys", "expires", "avg_ttl"]
    return {k: int(v) for k, v in fields.items()}


HUMAN = re.compile(r"\d+(\.\d+)?[BKMGTP]")


# --------------------------------------------------------------------------
# INFO
# --------------------------------------------------------------------------

def test_info_default_sections(r):
    sections = info_sections(r)
    for name in ("server", "clients", "memory", "persistence", "stats",
                 "replication", "cpu", "keyspace"):
        assert name in sections, name


def test_info_server_fields(r, server):
    s = info_sections(r, "server")
    assert list(s) == ["server"]
    s = s["server"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", s["redis_version"])
    assert s["redis_mode"] == "standalone"
    assert s["tcp_port"] == str(server.port)
    assert s["process_id"] == str(server.proc.pid)
    assert re.fullmatch(r"[0-9a-f]{40}", s["run_id"])
    assert s["arch_bits"] in ("32", "64")
    for k in ("uptime_in_seconds", "uptime_in_days", "hz", "configured_hz"):
        assert s[k].isdigit(), k


def test_info_clients_fields(r):
    c = info_sections(r, "clients")["clients"]
    assert int(c["connected_clients"]) >= 1
    assert c["blocked_clients"] == "0"
    assert c["maxclients"] == "10000"


def test_info_memory_fields(r):
    m = info_sections(r, "memory")["memory"]
    for k in ("used_memory", "used_memory_rss", "used_memory_peak", "maxmemory"):
        assert m[k].isdigit(), k
    assert int(m["used_memory"]) > 0
    for k in ("used_memory_human", "used_memory_peak_human", "maxmemory_human"):
        assert HUMAN.fullmatch(m[k]), (k, m[k])
    assert m["maxmemory"] == "0"
    assert m["maxmemory_human"] == "0B"
    assert m["maxmemory_policy"] == "noeviction"
    float(m["mem_fragmentation_ratio"])


def test_info_memory_tracks_config(r, config_restore):
    config_restore("maxmemory", "maxmemory-policy")
    r.config_set("maxmemory", "100mb")
    r.config_set("maxmemory-policy", "allkeys-lru")
    m = info_sections(r, "memory")["memory"]
    assert m["maxmemory"] == str(100 * 1024 * 1024)
    assert m["maxmemory_human"] == "100.00M"
    assert m["maxmemory_policy"] == "allkeys-lru"


def test_info_persistence_fields(r):
    p = info_sections(r, "persistence")["persistence"]
    assert p["loading"] == "0"
    assert p["aof_enabled"] == "0"
    for k in ("rdb_changes_since_last_save", "rdb_last_save_time"):
        assert p[k].isdigit(), k


def test_info_stats_fields_and_counters(r):
    call(r, "CONFIG", "RESETSTAT")
    r.set("k", "v")
    r.get("k")
    r.get("k")
    r.get("missing")
    st = info_sections(r, "stats")["stats"]
    assert st["keyspace_hits"] == "2"
    assert st["keyspace_misses"] == "1"
    assert int(st["total_commands_processed"]) >= 5
    for k in ("total_connections_received", "instantaneous_ops_per_sec",
              "expired_keys", "evicted_keys", "rejected_connections",
              "total_net_input_bytes", "total_net_output_bytes"):
        assert st[k].isdigit(), k


def test_total_commands_processed_increases(r):
    before = int(info_sections(r, "stats")["stats"]["total_commands_processed"])
    for _ in range(10):
        r.ping()
    after = int(info_sections(r, "stats")["stats"]["total_commands_processed"])
    assert after >= before + 10


def test_config_resetstat_clears_counters(r):
    r.get("missing")
    assert call(r, "CONFIG", "RESETSTAT") == "OK"
    st = info_sections(r, "stats")["stats"]
    assert st["keyspace_misses"] == "0"
    assert st["keyspace_hits"] == "0"
    assert st["expired_keys"] == "0"
    assert st["evicted_keys"] == "0"


def test_info_replication_is_master(r):
    rep = info_sections(r, "replication")["replication"]
    assert rep["role"] == "master"
    assert rep["connected_slaves"] == "0"


def test_info_cpu_fields(r):
    cpu = info_sections(r, "cpu")["cpu"]
    for k in ("used_cpu_sys", "used_cpu_user"):
        assert float(cpu[k]) >= 0


def test_info_keyspace(r, server):
    assert info_sections(r, "keyspace")["keyspace"] == {}
    r.mset({"a": 1, "b": 2})
    r.expire("a", 1000)
    db5 = server.client(db=5)
    db5.set("x", 1)
    ks = info_sections(r, "keyspace")["keyspace"]
    assert list(ks) == ["db0", "db5"]
    assert keyspace_entry(ks["db0"])["keys"] == 2
    assert keyspace_entry(ks["db0"])["expires"] == 1
    assert keyspace_entry(ks["db5"]) == {"keys": 1, "expires": 0, "avg_ttl": 0}
    db5.close()


def test_info_multiple_and_unknown_sections(r):
    assert list(info_sections(r, "server", "clients")) == ["server", "clients"]
    assert call(r, "INFO", "nosuchsection") == ""


def test_info_all_includes_commandstats(r):
    r.get("k")
    sections = info_sections(r, "all")
    assert "commandstats" in sections
    assert re.fullmatch(r"calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=\d+,"
                        r"failed_calls=\d+", sections["commandstats"]["cmdstat_get"])


def test_redis_py_info_parses(r):
    info = r.info()
    assert isinstance(info["used_memory"], int)
    assert isinstance(info["connected_clients"], int)
    assert info["role"] == "master"


# --------------------------------------------------------------------------
# CONFIG
# --------------------------------------------------------------------------

def config_get(client, *patterns):
    flat = call(client, "CONFIG", "GET", *patterns)
    assert isinstance(flat, list) and len(flat) % 2 == 0
    return dict(zip(flat[::2], flat[1::2]))


def test_config_get_single(r, server):
    assert config_get(r, "port") == {"port": str(server.port)}
    assert config_get(r, "maxmemory") == {"maxmemory": "0"}
    assert config_get(r, "save") == {"save": ""}
    assert config_get(r, "appendonly") == {"appendonly": "no"}
    assert config_get(r, "bind") == {"bind": "127.0.0.1"}
    assert config_get(r, "databases") == {"databases": "16"}


def test_config_get_glob(r):
    got = config_get(r, "maxmemory*")
    assert {"maxmemory", "maxmemory-policy", "maxmemory-samples"} <= set(got)
    assert all(k.startswith("maxmemory") for k in got)
    assert got["maxmemory-policy"] == "noeviction"


def test_config_get_multiple_args(r, server):
    got = config_get(r, "maxmemory", "port", "maxmemory")
    assert got == {"maxmemory": "0", "port": str(server.port)}


def test_config_get_unknown_is_empty(r):
    assert call(r, "CONFIG", "GET", "nosuch") == []


def test_config_set_and_get(r, config_restore):
    config_restore("maxmemory", "maxmemory-policy", "timeout")
    assert call(r, "CONFIG", "SET", "maxmemory", "10mb") == "OK"
    assert config_get(r, "maxmemory") == {"maxmemory": "10485760"}
    assert call(r, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "timeout", "30") == "OK"
    assert config_get(r, "maxmemory-policy", "timeout") == {
        "maxmemory-policy": "allkeys-lru", "timeout": "30"}


def config_set_failed(param, reason):
    return f"ERR CONFIG SET failed (possibly related to argument '{param}') - {reason}"


@pytest.mark.parametrize("args,err", [
    (("maxmemory", "abc"), config_set_failed("maxmemory", "argument must be a memory value")),
    (("maxmemory", "-1"), config_set_failed("maxmemory", "argument must be a memory value")),
    (("maxmemory-policy", "foo"), config_set_failed(
        "maxmemory-policy", "argument(s) must be one of the following: volatile-lru, "
        "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
        "allkeys-random, noeviction")),
    (("appendonly", "maybe"), config_set_failed("appendonly", "argument must be 'yes' or 'no'")),
    (("hz", "abc"), config_set_failed("hz", "argument couldn't be parsed into an integer")),
    (("timeout", "-1"), config_set_failed(
        "timeout", "argument must be between 0 and 2147483647 inclusive")),
    (("daemonize", "yes"), config_set_failed("daemonize", "can't set immutable config")),
    (("maxmemory", "1mb", "maxmemory", "2mb"), config_set_failed(
        "maxmemory", "duplicate parameter")),
    (("nosuch", "1"), "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
    (("port",), "ERR wrong number of arguments for 'config|set' command"),
])
def test_config_set_errors(r, args, err):
    with raises_reply(err):
        call(r, "CONFIG", "SET", *args)
    assert config_get(r, "maxmemory") == {"maxmemory": "0"}


def test_config_set_multiple_is_atomic(r, config_restore):
    config_restore("maxmemory")
    with raises_reply(config_set_failed("hz", "argument couldn't be parsed into an integer")):
        call(r, "CONFIG", "SET", "maxmemory", "1gb", "hz", "x")
    assert config_get(r, "maxmemory") == {"maxmemory": "0"}


def test_config_errors(r):
    with raises_reply("ERR unknown subcommand 'FOO'. Try CONFIG HELP."):
        call(r, "CONFIG", "FOO")
    with raises_reply("ERR wrong number of arguments for 'config|get' command"):
        call(r, "CONFIG", "GET")


# --------------------------------------------------------------------------
# COMMAND
# --------------------------------------------------------------------------

GET_KEY_SPEC = ["flags", ["RO", "access"],
                "begin_search", ["type", "index", "spec", ["index", 1]],
                "find_keys", ["type", "range", "spec",
                              ["lastkey", 0, "keystep", 1, "limit", 0]]]


def test_command_info_get(r):
    (info,) = call(r, "COMMAND", "INFO", "get")
    assert info[:8] == ["get", 2, ["readonly", "fast"], 1, 1, 1,
                        ["@read", "@string", "@fast"], []]
    assert info[8] == [GET_KEY_SPEC]
    assert info[9] == []


@pytest.mark.parametrize("name,arity,flags,first,last,step", [
    ("set", -3, ["write", "denyoom"], 1, 1, 1),
    ("mset", -3, ["write", "denyoom"], 1, -1, 2),
    ("del", -2, ["write"], 1, -1, 1),
    ("ping", -1, ["fast"], 0, 0, 0),
    ("incr", 2, ["write", "denyoom", "fast"], 1, 1, 1),
    ("mget", -2, ["readonly", "fast"], 1, -1, 1),
])
def test_command_info_key_positions(r, name, arity, flags, first, last, step):
    (info,) = call(r, "COMMAND", "INFO", name)
    assert len(info) == 10
    assert info[:6] == [name, arity, flags, first, last, step]


def test_command_info_multiple_and_unknown(r):
    infos = call(r, "COMMAND", "INFO", "GET", "nosuch", "Set")
    assert [i[0] if i else i for i in infos] == ["get", None, "set"]


def test_command_count_matches_command_list(r):
    count = call(r, "COMMAND", "COUNT")
    everything = call(r, "COMMAND")
    assert isinstance(count, int) and count == len(everything)
    names = {entry[0] for entry in everything}
    assert {"get", "set", "del", "info", "config", "command", "client"} <= names
    for entry in everything:
        assert len(entry) == 10
        assert isinstance(entry[1], int)


def test_command_getkeys(r):
    assert call(r, "COMMAND", "GETKEYS", "get", "a") == ["a"]
    assert call(r, "COMMAND", "GETKEYS", "mset", "a", "1", "b", "2") == ["a", "b"]
    assert call(r, "COMMAND", "GETKEYS", "set", "k", "v", "EX", "10") == ["k"]
    assert call(r, "COMMAND", "GETKEYS", "del", "x", "y", "z") == ["x", "y", "z"]


@pytest.mark.parametrize("args,err", [
    (("ping", "x"), "ERR The command has no key arguments"),
    (("nosuch", "x"), "ERR Invalid command specified"),
    (("get", "a", "b"), "ERR Invalid number of arguments specified for command"),
    (("set", "a"), "ERR Invalid number of arguments specified for command"),
    (("get",), "ERR wrong number of arguments for 'command|getkeys' command"),
])
def test_command_getkeys_errors(r, args, err):
    with raises_reply(err):
        call(r, "COMMAND", "GETKEYS", *args)


def test_command_docs_get(r):
    reply = call(r, "COMMAND", "DOCS", "get")
    assert reply[0] == "get"
    doc = dict(zip(reply[1][::2], reply[1][1::2]))
    # Redis 7.0's text, or 7.2's (the summaries tierkv's table carries).
    assert doc["summary"] in ("Get the value of a key", "Returns the string value of a key.")
    assert doc["since"] == "1.0.0"
    assert doc["group"] == "string"
    assert doc["complexity"] == "O(1)"


def test_command_docs_unknown_is_empty(r):
    assert call(r, "COMMAND", "DOCS", "nosuch") == []


def test_command_unknown_subcommand(r):
    with raises_reply("ERR unknown subcommand 'FOO'. Try COMMAND HELP."):
        call(r, "COMMAND", "FOO")


@pytest.mark.parametrize("args,err", [
    (("foo",), "ERR unknown command 'foo', with args beginning with: "),
    (("foo", "a", "b"), "ERR unknown command 'foo', with args beginning with: 'a' 'b' "),
    (("GETX", "k"), "ERR unknown command 'GETX', with args beginning with: 'k' "),
])
def test_unknown_command_error(r, args, err):
    with raises_reply(err):
        call(r, *args)


# --------------------------------------------------------------------------
# DEBUG
# --------------------------------------------------------------------------

def test_debug_sleep_0(r):
    assert call(r, "DEBUG", "SLEEP", "0") == "OK"


def test_debug_object(r):
    r.set("k", "hello")
    text = call(r, "DEBUG", "OBJECT", "k")
    assert re.fullmatch(r"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr "
                        r"serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+", text), text
    with raises_reply("ERR no such key"):
        call(r, "DEBUG", "OBJECT", "nokey")


def test_debug_unknown_subcommand(r):
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'FOO'. "
                      "Try DEBUG HELP."):
        call(r, "DEBUG", "FOO")


def test_debug_digest_of_empty_db_is_zeros(r):
    assert call(r, "DEBUG", "DIGEST") == ZERO_DIGEST


def test_debug_digest_tracks_content(r):
    r.mset({"a": "1", "b": "hello"})
    d1 = call(r, "DEBUG", "DIGEST")
    assert re.fullmatch(r"[0-9a-f]{40}", d1) and d1 != ZERO_DIGEST
    assert call(r, "DEBUG", "DIGEST") == d1
    r.set("b", "hellO")
    d2 = call(r, "DEBUG", "DIGEST")
    assert d2 != d1
    r.set("b", "hello")
    assert call(r, "DEBUG", "DIGEST") == d1
    r.expire("a", 1000)
    assert call(r, "DEBUG", "DIGEST") != d1


def test_debug_digest_independent_of_insertion_order(r):
    for i in range(100):
        r.set(f"k{i}", i)
    d1 = call(r, "DEBUG", "DIGEST")
    r.flushall()
    for i in reversed(range(100)):
        r.set(f"k{i}", i)
    assert call(r, "DEBUG", "DIGEST") == d1


def test_debug_digest_matches_redis(r, peer):
    other = peer.client()
    other.flushall()
    data = {"a": "1", "b": "hello", "c": "x" * 100, "d": "-5"}
    for client in (r, other):
        client.mset(data)
        client.execute_command("PEXPIREAT", "c", 4102444800000)
    assert call(r, "DEBUG", "DIGEST") == call(other, "DEBUG", "DIGEST")
    assert call(r, "DEBUG", "DIGEST-VALUE", "a", "b", "nokey") == \
        call(other, "DEBUG", "DIGEST-VALUE", "a", "b", "nokey")
    other.close()


def test_debug_digest_value(r):
    r.set("a", "hello")
    (da, dmissing) = call(r, "DEBUG", "DIGEST-VALUE", "a", "nokey")
    assert re.fullmatch(r"[0-9a-f]{40}", da) and da != ZERO_DIGEST
    assert dmissing == ZERO_DIGEST
    r.set("b", "hello")
    assert call(r, "DEBUG", "DIGEST-VALUE", "b") == [da]
    assert call(r, "DEBUG", "DIGEST-VALUE") == []


# --------------------------------------------------------------------------
# maxmemory and eviction policies
# --------------------------------------------------------------------------

def pure_cache_args():
    # tierkv spills to its tier past maxmemory instead of evicting; Redis's
    # eviction semantics apply with the tier disabled.
    return () if is_reference() else ("--tier", "none")


@pytest.fixture(scope="module")
def cache_server(tmp_path_factory):
    srv = ServerProcess(server_bin(), tmp_path_factory.mktemp("cache"), pure_cache_args())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def cache(cache_server):
    c = cache_server.client()
    c.config_set("maxmemory", "0")
    c.config_set("maxmemory-policy", "noeviction")
    c.flushall()
    call(c, "CONFIG", "RESETSTAT")
    yield c
    c.config_set("maxmemory", "0")
    c.config_set("maxmemory-policy", "noeviction")
    c.flushall()
    c.close()


def used_memory(client):
    return int(info_sections(client, "memory")["memory"]["used_memory"])


def set_budget(client, policy, headroom):
    """maxmemory = current used_memory + headroom bytes."""
    budget = used_memory(client) + headroom
    client.config_set("maxmemory-policy", policy)
    client.config_set("maxmemory", str(budget))
    return budget


VALUE = "v" * 10000


def test_noeviction_rejects_writes_with_oom(cache):
    set_budget(cache, "noeviction", 1024 * 1024)
    with raises_reply(OOM):
        for i in range(1000):  # ~10 MB: far more than the headroom
            cache.set(f"k{i}", VALUE)
    stored = cache.dbsize()
    assert 0 < stored < 1000
    assert cache.get("k0") == VALUE  # reads still served
    with raises_reply(OOM):
        cache.incr("counter")
    assert info_sections(cache, "stats")["stats"]["evicted_keys"] == "0"


def test_noeviction_allows_deletes_that_free_memory(cache):
    set_budget(cache, "noeviction", 512 * 1024)
    n = 0
    with raises_reply(OOM):
        for n in range(1000):
            cache.set(f"k{n}", VALUE)
    assert cache.delete(*[f"k{i}" for i in range(n)]) == n
    assert cache.set("again", "x") is True


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_evict_to_stay_under_budget(cache, policy):
    budget = set_budget(cache, policy, 1024 * 1024)
    # Under LFU every key written once has the same counter, so the newest key is no safer
    # than any other: what LFU keeps is a key read often.
    extra = 0
    if policy == "allkeys-lfu":
        cache.set("hot", VALUE)
        for _ in range(200):
            cache.get("hot")
        extra = 1
    for i in range(500):  # ~5 MB
        assert cache.set(f"k{i}", VALUE) is True
    assert used_memory(cache) <= budget
    evicted = int(info_sections(cache, "stats")["stats"]["evicted_keys"])
    assert evicted > 0
    assert cache.dbsize() == 500 + extra - evicted
    # Which keys LRU keeps is not asked here: keys written within one second of the LRU
    # clock tie, in Redis too, so the newest may go. The next test ages keys instead.
    if policy == "allkeys-lfu":
        assert cache.get("hot") == VALUE


def test_allkeys_lru_evicts_idle_keys_before_recent_ones(cache):
    # RESTORE ... IDLETIME ages keys without waiting for the LRU clock.
    cache.set("template", VALUE)
    dump = cache.dump("template")  # redis-py never decodes DUMP replies
    assert isinstance(dump, bytes)
    cache.delete("template")
    for i in range(200):
        call(cache, "RESTORE", f"idle{i}", "0", dump, "IDLETIME", "100000")
    for i in range(20):
        cache.set(f"recent{i}", VALUE)
    set_budget(cache, "allkeys-lru", 256 * 1024)
    for i in range(100):
        cache.set(f"new{i}", VALUE)
    assert int(info_sections(cache, "stats")["stats"]["evicted_keys"]) > 0
    assert cache.exists(*[f"recent{i}" for i in range(20)]) == 20
    assert cache.exists(*[f"idle{i}" for i in range(200)]) < 200


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_only_evict_keys_with_ttl(cache, policy):
    for i in range(50):
        cache.set(f"keep{i}", VALUE)
    budget = set_budget(cache, policy, 1024 * 1024)
    for i in range(300):
        assert cache.set(f"tmp{i}", VALUE, ex=10000) is True
    assert cache.exists(*[f"keep{i}" for i in range(50)]) == 50
    assert int(info_sections(cache, "stats")["stats"]["evicted_keys"]) > 0
    assert used_memory(cache) <= budget


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-ttl"])
def test_volatile_policy_without_volatile_keys_is_oom(cache, policy):
    set_budget(cache, policy, 512 * 1024)
    with raises_reply(OOM):
        for i in range(1000):
            cache.set(f"k{i}", VALUE)
    assert info_sections(cache, "stats")["stats"]["evicted_keys"] == "0"


def test_volatile_ttl_evicts_shortest_ttl_first(cache):
    set_budget(cache, "volatile-ttl", 2 * 1024 * 1024)
    for i in range(20):
        cache.set(f"long{i}", VALUE, ex=100000)
    for i in range(300):
        cache.set(f"short{i}", VALUE, ex=1000 + i)
    assert cache.exists(*[f"long{i}" for i in range(20)]) == 20


def test_raising_maxmemory_lets_writes_through_again(cache):
    set_budget(cache, "noeviction", 256 * 1024)
    with raises_reply(OOM):
        for i in range(1000):
            cache.set(f"k{i}", VALUE)
    cache.config_set("maxmemory", "0")
    assert cache.set("after", VALUE) is True
