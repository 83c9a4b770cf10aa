"""SLOWLOG GET/LEN/RESET/HELP and what gets logged: every command at or over
slowlog-log-slower-than (0 logs all, negative none), newest first, at most
slowlog-max-len, arguments cut as Redis cuts them, secrets redacted, EXEC left out
(its commands are logged one by one)."""
import pytest

from conftest import call, is_reference, raises_reply

COUNT_ERROR = "ERR count should be greater than or equal to -1"


@pytest.fixture
def logged(r, config_restore):
    """Every command logged (threshold 0) into an emptied slow log."""
    config_restore("slowlog-log-slower-than", "slowlog-max-len")
    r.config_set("slowlog-max-len", 128)
    r.config_set("slowlog-log-slower-than", 0)
    call(r, "SLOWLOG", "RESET")
    return r


def entries(r, count=-1):
    return call(r, "SLOWLOG", "GET", str(count))


def commands(r, count=-1):
    return [entry[3] for entry in entries(r, count)]


def test_an_entry_has_id_time_duration_arguments_address_and_name(logged):
    r = logged
    r.client_setname("reporter")
    r.set("k", "v")
    newest = entries(r, 1)[0]
    assert len(newest) == 6
    entry_id, unix_seconds, usec, args, address, name = newest
    assert args == ["SET", "k", "v"]  # as the client sent it
    assert abs(unix_seconds - r.time()[0]) <= 2
    assert isinstance(usec, int) and usec >= 0
    assert address == r.client_info()["addr"]
    assert name == "reporter"
    setname = [e for e in entries(r) if e[3] == ["CLIENT", "SETNAME", "reporter"]]
    assert len(setname) == 1
    assert entry_id > setname[0][0]


def test_newest_first_and_the_get_count(logged):
    r = logged
    for i in range(12):
        r.set(f"k{i}", i)
    assert len(entries(r, 1)) == 1
    default = call(r, "SLOWLOG", "GET")
    assert len(default) == 10
    assert [e[3] for e in default[:2]] == [["SLOWLOG", "GET", "1"], ["SET", "k11", "11"]]
    assert entries(r, 0) == []
    everything = commands(r)
    assert ["SLOWLOG", "RESET"] in everything
    assert everything.index(["SET", "k0", "0"]) > everything.index(["SET", "k1", "1"])
    ids = [e[0] for e in entries(r)]
    assert ids == sorted(ids, reverse=True)


def test_count_and_arity_errors(logged):
    r = logged
    for bad in ("-2", "x", "1.5"):
        with raises_reply(COUNT_ERROR):
            call(r, "SLOWLOG", "GET", bad)
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."):
        call(r, "SLOWLOG", "GET", "1", "2")
    with raises_reply("ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP."):
        call(r, "SLOWLOG", "NOPE")
    with raises_reply("ERR wrong number of arguments for 'slowlog|len' command"):
        call(r, "SLOWLOG", "LEN", "1")


def test_len_and_reset(logged):
    r = logged
    r.set("a", 1)
    assert call(r, "SLOWLOG", "LEN") == 2  # the fixture's RESET, then SET
    assert call(r, "SLOWLOG", "RESET") == "OK"
    # The reset empties the log, then is logged itself once it has run.
    assert call(r, "SLOWLOG", "LEN") == 1
    assert commands(r) == [["SLOWLOG", "LEN"], ["SLOWLOG", "RESET"]]


def test_long_command_lines_and_arguments_are_cut(logged):
    r = logged
    r.rpush("list", *range(1, 41))  # 42 arguments
    args = commands(r, 1)[0]
    assert len(args) == 32
    assert args[:3] == ["RPUSH", "list", "1"]
    assert args[30] == "29"
    assert args[31] == "... (11 more arguments)"
    r.set("big", "x" * 200)
    args = commands(r, 1)[0]
    assert args == ["SET", "big", "x" * 128 + "... (72 more bytes)"]


def test_secrets_are_redacted(logged, config_restore):
    r = logged
    config_restore("masterauth", "masteruser")
    with pytest.raises(Exception):
        call(r, "AUTH", "someone", "wrong")
    assert commands(r, 1)[0] == ["AUTH", "(redacted)", "(redacted)"]
    call(r, "HELLO", "2", "AUTH", "default", "anything", "SETNAME", "n")
    assert commands(r, 1)[0] == ["HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"]
    assert call(r, "CONFIG", "SET", "masterauth", "s1", "masteruser", "u1", "slowlog-max-len", "128") == "OK"
    assert commands(r, 1)[0] == ["CONFIG", "SET", "masterauth", "(redacted)", "masteruser", "(redacted)",
                                 "slowlog-max-len", "128"]
    call(r, "CONFIG", "SET", "requirepass", "")
    assert commands(r, 1)[0] == ["CONFIG", "SET", "requirepass", "(redacted)"]


def test_exec_is_not_logged_but_what_it_ran_is(logged):
    r = logged
    pipe = r.pipeline(transaction=True)
    pipe.set("t", 1)
    pipe.incr("t")
    pipe.execute()
    assert commands(r, 3) == [["INCRBY", "t", "1"], ["SET", "t", "1"], ["MULTI"]]
    info = call(r, "COMMAND", "INFO", "exec")[0]
    assert "skip_slowlog" in info[2]


def test_a_blocked_command_is_logged_when_it_times_out(logged):
    """Redis 7.2 counts a blocked command that times out (commandstats, SLOWLOG), as
    tierkv does; 7.0 (the reference here) logs it only when served."""
    r = logged
    assert r.blpop(["nothing-here"], timeout=0.01) is None
    expected = ["SLOWLOG", "RESET"] if is_reference() else ["BLPOP", "nothing-here", "0.01"]
    assert commands(r, 1)[0] == expected
    r.rpush("ready", "x")
    assert r.blpop(["ready"], timeout=1) == ("ready", "x")
    assert commands(r, 1)[0] == ["BLPOP", "ready", "1"]


def test_the_threshold_and_the_length_limit(r, config_restore):
    config_restore("slowlog-log-slower-than", "slowlog-max-len")
    r.config_set("slowlog-log-slower-than", -1)
    call(r, "SLOWLOG", "RESET")
    r.set("quick", 1)
    call(r, "DEBUG", "SLEEP", "0.02")
    assert call(r, "SLOWLOG", "LEN") == 0
    r.config_set("slowlog-log-slower-than", 10000)  # 10 ms
    r.set("quick", 1)
    call(r, "DEBUG", "SLEEP", "0.02")
    slow = entries(r)
    assert [e[3] for e in slow] == [["DEBUG", "SLEEP", "0.02"]]
    assert slow[0][2] >= 20000
    r.config_set("slowlog-log-slower-than", 0)
    r.config_set("slowlog-max-len", 3)
    for i in range(5):
        r.set(f"k{i}", i)
    assert call(r, "SLOWLOG", "LEN") == 3
    assert commands(r) == [["SLOWLOG", "LEN"], ["SET", "k4", "4"], ["SET", "k3", "3"]]


def test_help(r):
    assert call(r, "SLOWLOG", "HELP") == [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ]


def test_parameters_are_validated(r, config_restore):
    config_restore("slowlog-log-slower-than", "slowlog-max-len")
    with pytest.raises(Exception):
        r.config_set("slowlog-log-slower-than", -2)
    with pytest.raises(Exception):
        r.config_set("slowlog-max-len", -1)
    r.config_set("slowlog-max-len", 7)
    assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "7"}
