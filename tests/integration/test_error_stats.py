"""Error accounting, side by side with Redis: for each way a command can fail, the
calls, rejected_calls and failed_calls of INFO commandstats, INFO errorstats and
total_error_replies are what Redis 7 counts. Refused before running (arity, unknown
command, NOPERM, OOM, a command queued into a doomed MULTI) is a rejected call; an
error from the command itself (WRONGTYPE, EXECABORT, a script's error) is a failed
call; one error reply is counted once, even when a script passes on the error of the
command it called; a blocking command that times out has not failed."""
import pytest
import redis

from conftest import ServerProcess, call, is_reference, server_bin


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory):
    # A pure cache, so that maxmemory refuses writes with OOM as Redis does (with a tier,
    # tierkv spills past maxmemory instead).
    args = () if is_reference() else ("--tier", "none")
    srv = ServerProcess(server_bin(), tmp_path_factory.mktemp("errors"), args)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def r(stats_server):
    client = stats_server.client()
    client.flushall()
    call(client, "CONFIG", "RESETSTAT")
    yield client
    client.config_set("maxmemory", "0")
    client.close()


def counts(client):
    """(commandstats, errorstats, total_error_replies) without the commands that read them."""
    commands = {}
    for name, fields in client.info("commandstats").items():
        name = name[len("cmdstat_"):]
        if name in ("info", "config|resetstat"):
            continue
        commands[name] = (fields["calls"], fields["rejected_calls"], fields["failed_calls"])
    errors = {}
    for name, fields in client.info("errorstats").items():
        value = fields["count"] if isinstance(fields, dict) else int(str(fields).split("=")[1])
        errors[name[len("errorstat_"):]] = value
    return commands, errors, client.info("stats")["total_error_replies"]


def fails(client, *args):
    with pytest.raises(redis.ResponseError):
        client.execute_command(*args)


def test_wrong_arity_is_a_rejected_call(r):
    fails(r, "GET")
    assert counts(r) == ({"get": (0, 1, 0)}, {"ERR": 1}, 1)


def test_unknown_command_counts_an_error_only(r):
    fails(r, "NOSUCHCOMMAND", "x")
    assert counts(r) == ({}, {"ERR": 1}, 1)


def test_wrongtype_is_a_failed_call(r):
    r.rpush("l", "x")
    fails(r, "GET", "l")
    assert counts(r) == ({"rpush": (1, 0, 0), "get": (1, 0, 1)}, {"WRONGTYPE": 1}, 1)


def test_noperm_is_a_rejected_call(r, stats_server):
    call(r, "ACL", "SETUSER", "limited", "on", "nopass", "~*", "+@all", "-get")
    try:
        limited = stats_server.client(username="limited", password="x")
        fails(limited, "GET", "k")
        limited.close()
        commands, errors, total = counts(r)
        assert commands["get"] == (0, 1, 0)
        assert (errors, total) == ({"NOPERM": 1}, 1)
    finally:
        call(r, "ACL", "DELUSER", "limited")


def test_oom_is_a_rejected_call(r):
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory", "1")
    fails(r, "SET", "k", "v")
    r.config_set("maxmemory", "0")
    commands, errors, total = counts(r)
    assert commands["set"] == (0, 1, 0)
    assert (errors, total) == ({"OOM": 1}, 1)


def test_exec_with_a_failing_command_fails_that_command_not_exec(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("k", "v")
    pipe.incr("k")
    with pytest.raises(redis.ResponseError):
        pipe.execute()
    assert counts(r) == ({"multi": (1, 0, 0), "set": (1, 0, 0), "incrby": (1, 0, 1), "exec": (1, 0, 0)},
                         {"ERR": 1}, 1)


def test_execabort_fails_exec_after_the_rejected_command(r, stats_server):
    client = stats_server.client(single_connection_client=True)
    call(client, "MULTI")
    fails(client, "GET")
    with pytest.raises(redis.ResponseError, match="Transaction discarded"):
        call(client, "EXEC")
    client.close()
    assert counts(r) == ({"multi": (1, 0, 0), "get": (0, 1, 0), "exec": (1, 0, 1)},
                         {"ERR": 1, "EXECABORT": 1}, 2)


def test_a_script_returning_an_error_reply_fails(r):
    fails(r, "EVAL", "return redis.error_reply('MY err')", 0)
    assert counts(r) == ({"eval": (1, 0, 1)}, {"MY": 1}, 1)


@pytest.mark.parametrize("how", ["call", "pcall"])
def test_a_scripts_failing_command_and_the_script_fail_with_one_error(r, how):
    r.set("s", "x")
    fails(r, "EVAL", f"return redis.{how}('incr', KEYS[1])", 1, "s")
    assert counts(r) == ({"set": (1, 0, 0), "incr": (1, 0, 1), "eval": (1, 0, 1)}, {"ERR": 1}, 1)


def test_a_script_raising_a_lua_error_fails(r):
    fails(r, "EVAL", "error('boom')", 0)
    assert counts(r) == ({"eval": (1, 0, 1)}, {"ERR": 1}, 1)


def test_a_blocking_command_that_times_out_has_not_failed(r):
    assert r.blpop("nokey", timeout=0.01) is None
    assert counts(r) == ({"blpop": (1, 0, 0)}, {}, 0)
