"""Functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/DUMP/RESTORE/HELP, FCALL and
FCALL_RO, redis.register_function in both forms with flags, the load run's restricted
globals, payloads exchanged with redis-server both ways, and libraries surviving a
restart (a clean one, and SIGKILL with the journal). Every reply and error text here is
what redis-server 7.0 answers, except where a test says otherwise."""
import hashlib
import threading

import pytest
import redis

from conftest import (ALWAYS, RespMap, RespSet, call, is_reference, raises_reply, sigkill,
                      start_server, wait_until)

LIB = """#!lua name=mylib
redis.register_function('setit', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='getit', callback=function(keys, args) return redis.call('GET', keys[1]) end,
                        flags={'no-writes'}, description='reads a key'}
"""


def lib(name, *bodies):
    return f"#!lua name={name}\n" + "\n".join(bodies)


def fn(name, body="return 1", flags=None):
    if flags is None:
        return f"redis.register_function('{name}', function(keys, args) {body} end)"
    quoted = ", ".join(f"'{f}'" for f in flags)
    return (f"redis.register_function{{function_name='{name}', callback=function(keys, args) {body} end, "
            f"flags={{{quoted}}}}}")


@pytest.fixture
def f(r):
    r.execute_command("FUNCTION", "FLUSH")
    yield r
    r.execute_command("FUNCTION", "FLUSH")


def listing(r, *args):
    """FUNCTION LIST as {library: {function: (description, flags)}} plus codes."""
    result = {}
    for entry in call(r, "FUNCTION", "LIST", *args):
        entry = dict(zip(entry[::2], entry[1::2]))
        functions = {}
        for function in entry["functions"]:
            function = dict(zip(function[::2], function[1::2]))
            functions[function["name"]] = (function["description"], sorted(function["flags"]))
        result[entry["library_name"]] = (entry["engine"], functions, entry.get("library_code"))
    return result


# ----------------------------------------------------------------------------
# LOAD and FCALL
# ----------------------------------------------------------------------------

def test_load_and_call(f):
    assert call(f, "FUNCTION", "LOAD", LIB) == "mylib"
    assert call(f, "FCALL", "setit", 1, "k", "v") == "OK"
    assert call(f, "FCALL", "getit", 1, "k") == "v"
    assert call(f, "FCALL_RO", "getit", 1, "k") == "v"
    assert f.fcall("getit", 1, "k") == "v"
    # Functions get (keys, args); KEYS and ARGV are EVAL's only.
    call(f, "FUNCTION", "LOAD", lib("l2", fn("counts", "return {#keys, #args, keys[1], args[2]}")))
    assert call(f, "FCALL", "counts", 2, "a", "b", "c", "d") == [2, 2, "a", "d"]
    call(f, "FUNCTION", "LOAD", lib("l3", fn("usekeys", "return KEYS")))
    with raises_reply("ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS' "
                      "script: usekeys, on @user_function:2."):
        f.fcall("usekeys", 0)


def test_fcall_errors(f):
    call(f, "FUNCTION", "LOAD", LIB)
    with raises_reply("ERR Function not found"):
        f.fcall("nope", 0)
    with raises_reply("ERR Bad number of keys provided"):
        f.execute_command("FCALL", "setit", "abc")
    with raises_reply("ERR Number of keys can't be negative"):
        f.execute_command("FCALL", "setit", -1)
    with raises_reply("ERR Number of keys can't be greater than number of args"):
        f.execute_command("FCALL", "setit", 3, "a")
    with raises_reply("ERR wrong number of arguments for 'fcall' command"):
        f.execute_command("FCALL")
    with raises_reply("ERR wrong number of arguments for 'fcall_ro' command"):
        f.execute_command("FCALL_RO", "x")
    # FCALL_RO refuses a function without no-writes before it runs ...
    with raises_reply("ERR Can not execute a script with write flag using *_ro command."):
        f.execute_command("FCALL_RO", "setit", 1, "k", "v")
    assert f.get("k") is None
    # ... and a no-writes function cannot write either.
    call(f, "FUNCTION", "LOAD", lib("w", fn("sneaky", "return redis.call('SET', 'x', 1)", ["no-writes"])))
    with raises_reply("ERR Write commands are not allowed from read-only scripts. script: sneaky, "
                      "on @user_function:2."):
        f.fcall("sneaky", 0)
    with raises_reply("ERR Write commands are not allowed from read-only scripts. script: sneaky, "
                      "on @user_function:2."):
        f.execute_command("FCALL_RO", "sneaky", 0)
    call(f, "FUNCTION", "LOAD", lib("e", fn("boom", "error('bad')"), fn("unknown", "return redis.call('nope')"),
                                    fn("register", "return redis.register_function('y', function() end)")))
    with raises_reply("ERR user_function:2: bad script: boom, on @user_function:2."):
        f.fcall("boom", 0)
    with raises_reply("ERR Unknown Redis command called from script script: unknown, on @user_function:3."):
        f.fcall("unknown", 0)
    with raises_reply("ERR user_function:4: attempt to call field 'register_function' (a nil value) "
                      "script: register, on @user_function:4."):
        f.fcall("register", 0)
    # Scripts cannot reach FUNCTION or FCALL.
    call(f, "FUNCTION", "LOAD", lib("n", fn("nested", "return redis.call('FCALL', 'setit', 0)")))
    with raises_reply("ERR This Redis command is not allowed from script script: nested, on @user_function:2."):
        f.fcall("nested", 0)
    script = "return redis.call('FUNCTION', 'LIST')"
    with raises_reply(f"ERR This Redis command is not allowed from script script: "
                      f"{hashlib.sha1(script.encode()).hexdigest()}, on @user_script:1."):
        f.eval(script, 0)


def test_load_errors(f):
    cases = [
        ("x", "ERR Missing library metadata"),
        ("#!lua", "ERR Invalid library metadata"),
        ("#!lua name=a", "ERR Invalid library metadata"),
        ("#!lua name=a foo=b\n", "ERR Invalid metadata value given: foo=b"),
        ("#!lua name=a name=b\n", "ERR Invalid metadata value, name argument was given multiple times"),
        ("#!lua\n", "ERR Library name was not given"),
        ("#!py name=z\n", "ERR Engine 'py' not found"),
        ("#!lua name=z\nreturn 1", "ERR No functions registered"),
        ("#!lua name=a-b\n", "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
                             "at least one character long"),
        ("#!lua name=c\nlocal x = \n", "ERR Error compiling function: user_function:3: unexpected symbol near "
                                       "'<eof>'"),
        (lib("c", "redis.call('ping')"), "ERR Error registering functions: ERR user_function:2: Script attempted "
                                         "to access nonexistent global variable 'call'"),
        (lib("c", "local f = string.format"), "ERR Error registering functions: ERR user_function:2: Script "
                                              "attempted to access nonexistent global variable 'string'"),
        (lib("c", "error('x')"), "ERR Error registering functions: ERR user_function:2: Script attempted to "
                                 "access nonexistent global variable 'error'"),
        (lib("c", "foo = 1"), "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly "
                              "table"),
        (lib("c", fn("x"), fn("x")), "ERR Error registering functions: ERR Function already exists in the "
                                     "library"),
        (lib("c", fn("x", flags=["bad"])), "ERR Error registering functions: ERR unknown flag given"),
        (lib("c", "redis.register_function{function_name='x', callback=function() end, foo=1}"),
         "ERR Error registering functions: ERR unknown argument given to redis.register_function"),
        (lib("c", "redis.register_function{callback=function() end}"),
         "ERR Error registering functions: ERR redis.register_function must get a function name argument"),
        (lib("c", "redis.register_function{function_name='x'}"),
         "ERR Error registering functions: ERR redis.register_function must get a callback argument"),
        (lib("c", "redis.register_function{function_name='x', callback=1}"),
         "ERR Error registering functions: ERR callback argument given to redis.register_function must be a "
         "function"),
        (lib("c", "redis.register_function{function_name='x', callback=function() end, flags='no-writes'}"),
         "ERR Error registering functions: ERR flags argument to redis.register_function must be a table "
         "representing function flags"),
        (lib("c", "redis.register_function{function_name='x', callback=function() end, description={}}"),
         "ERR Error registering functions: ERR description argument given to redis.register_function must be a "
         "string"),
        (lib("c", "redis.register_function('x')"),
         "ERR Error registering functions: ERR calling redis.register_function with a single argument is only "
         "applicable to Lua table (representing named arguments)."),
        (lib("c", "redis.register_function(1, 2, 3)"),
         "ERR Error registering functions: ERR wrong number of arguments to redis.register_function"),
        (lib("c", "redis.register_function('x', 2)"),
         "ERR Error registering functions: ERR second argument to redis.register_function must be a function"),
        (lib("c", "redis.register_function({}, function() end)"),
         "ERR Error registering functions: ERR first argument to redis.register_function must be a string"),
    ]
    for code, error in cases:
        with raises_reply(error):
            f.execute_command("FUNCTION", "LOAD", code)
    with raises_reply("ERR Unknown option given: bogus"):
        f.execute_command("FUNCTION", "LOAD", "bogus", LIB)
    with raises_reply("ERR wrong number of arguments for 'function|load' command"):
        f.execute_command("FUNCTION", "LOAD")
    assert call(f, "FUNCTION", "LIST") == []


def test_load_run_times_out(f):
    with raises_reply("ERR Error registering functions: ERR FUNCTION LOAD timeout"):
        f.execute_command("FUNCTION", "LOAD", lib("t", "local i = 0 while true do i = i + 1 end"))
    assert f.ping() is True and call(f, "FUNCTION", "LIST") == []


@pytest.mark.tierkv_only
def test_invalid_function_name_is_named_as_such(f):
    # Redis 7.0 calls a bad function name a bad library name; 7.2 says function.
    with raises_reply("ERR Error registering functions: ERR Function names can only contain letters, numbers, or "
                      "underscores(_) and must be at least one character long"):
        f.execute_command("FUNCTION", "LOAD", lib("c", fn("a-b")))


def test_load_time_api(f):
    # What a load run may use: register_function, log and the constants.
    code = lib("api", "redis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION)",
               "local v = redis.REDIS_VERSION_NUM + redis.LOG_DEBUG + redis.LOG_VERBOSE + redis.LOG_WARNING",
               fn("v", "return redis.REDIS_VERSION_NUM > 0 and type(string.format) == 'function'"))
    assert call(f, "FUNCTION", "LOAD", code) == "api"
    assert f.fcall("v", 0) == 1


def test_replace_and_collisions(f):
    call(f, "FUNCTION", "LOAD", LIB)
    with raises_reply("ERR Library 'mylib' already exists"):
        f.execute_command("FUNCTION", "LOAD", LIB)
    with raises_reply("ERR Function setit already exists"):
        f.execute_command("FUNCTION", "LOAD", lib("other", fn("setit")))
    # REPLACE swaps the library whole; a collision with another library keeps the old one.
    call(f, "FUNCTION", "LOAD", lib("other", fn("o1")))
    with raises_reply("ERR Function o1 already exists"):
        f.execute_command("FUNCTION", "LOAD", "REPLACE", lib("mylib", fn("o1")))
    assert sorted(listing(f)["mylib"][1]) == ["getit", "setit"]
    assert call(f, "FUNCTION", "LOAD", "REPLACE", lib("mylib", fn("fresh", "return 7"))) == "mylib"
    assert f.fcall("fresh", 0) == 7
    with raises_reply("ERR Function not found"):
        f.fcall("setit", 0)


def test_list(f):
    call(f, "FUNCTION", "LOAD", LIB)
    call(f, "FUNCTION", "LOAD", lib("Other", fn("all", flags=["no-writes", "allow-oom", "allow-stale", "no-cluster",
                                                             "allow-cross-slot-keys"])))
    libs = listing(f)
    assert libs["mylib"] == ("LUA", {"setit": (None, []), "getit": ("reads a key", ["no-writes"])}, None)
    assert libs["Other"][1]["all"] == (None, sorted(["no-writes", "allow-oom", "allow-stale", "no-cluster",
                                                     "allow-cross-slot-keys"]))
    assert list(listing(f, "WITHCODE", "LIBRARYNAME", "my*")) == ["mylib"]
    assert listing(f, "WITHCODE", "LIBRARYNAME", "my*")["mylib"][2] == LIB
    assert list(listing(f, "libraryname", "other")) == ["Other"]  # patterns ignore case
    assert listing(f, "LIBRARYNAME", "zz*") == {}
    with raises_reply("ERR Unknown argument foo"):
        f.execute_command("FUNCTION", "LIST", "foo")
    with raises_reply("ERR library name argument was not given"):
        f.execute_command("FUNCTION", "LIST", "LIBRARYNAME")
    with raises_reply("ERR Unknown argument WITHCODE"):
        f.execute_command("FUNCTION", "LIST", "WITHCODE", "WITHCODE")


def test_list_resp3(f, r3):
    call(f, "FUNCTION", "LOAD", LIB)
    reply = r3.call("FUNCTION", "LIST")
    assert isinstance(reply[0], RespMap)
    functions = {function[b"name"]: function for function in reply[0][b"functions"]}
    assert isinstance(functions[b"getit"][b"flags"], RespSet)
    assert list(functions[b"getit"][b"flags"]) in (["no-writes"], [b"no-writes"])
    assert functions[b"setit"][b"description"] is None and functions[b"getit"][b"description"] == b"reads a key"
    stats = r3.call("FUNCTION", "STATS")
    assert isinstance(stats, RespMap)
    assert stats[b"running_script"] is None
    assert stats[b"engines"] == {b"LUA": {b"libraries_count": 1, b"functions_count": 2}}


def test_delete_flush_stats(f):
    call(f, "FUNCTION", "LOAD", LIB)
    assert call(f, "FUNCTION", "STATS") == ["running_script", None, "engines",
                                            ["LUA", ["libraries_count", 1, "functions_count", 2]]]
    info = f.info("memory")
    assert info["number_of_libraries"] == 1 and info["number_of_functions"] == 2
    with raises_reply("ERR Library not found"):
        f.execute_command("FUNCTION", "DELETE", "nope")
    assert call(f, "FUNCTION", "DELETE", "mylib") == "OK"
    with raises_reply("ERR Function not found"):
        f.fcall("getit", 1, "k")
    call(f, "FUNCTION", "LOAD", LIB)
    with raises_reply("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"):
        f.execute_command("FUNCTION", "FLUSH", "xx")
    assert call(f, "FUNCTION", "FLUSH", "ASYNC") == "OK"
    assert call(f, "FUNCTION", "LIST") == []
    call(f, "FUNCTION", "LOAD", LIB)
    assert call(f, "FUNCTION", "FLUSH", "sync") == "OK"
    assert call(f, "FUNCTION", "STATS")[3] == ["LUA", ["libraries_count", 0, "functions_count", 0]]
    # The two caches are apart: SCRIPT FLUSH keeps the libraries, FUNCTION FLUSH the scripts.
    call(f, "FUNCTION", "LOAD", LIB)
    sha = f.script_load("return 1")
    f.script_flush()
    assert f.fcall("setit", 1, "k", "v") == "OK"
    sha = f.script_load("return 1")
    call(f, "FUNCTION", "FLUSH")
    assert f.evalsha(sha, 0) == 1


def test_library_changes_count_for_the_save_rules(f):
    # Each successful LOAD, DELETE, FLUSH and RESTORE is one change, as in Redis; a
    # refused one is none.
    def changes():
        return f.info("persistence")["rdb_changes_since_last_save"]

    before = changes()
    f.execute_command("FUNCTION", "LOAD", LIB)
    assert changes() == before + 1
    binary = redis.Redis(host="127.0.0.1", port=f.connection_pool.connection_kwargs["port"])
    payload = binary.execute_command("FUNCTION", "DUMP")
    with pytest.raises(redis.ResponseError):
        f.execute_command("FUNCTION", "LOAD", LIB)
    assert changes() == before + 1
    f.execute_command("FUNCTION", "DELETE", "mylib")
    assert changes() == before + 2
    binary.execute_command("FUNCTION", "RESTORE", payload)
    binary.close()
    assert changes() == before + 3
    f.execute_command("FUNCTION", "FLUSH")
    assert changes() == before + 4


def test_command_info_tips_match_redis(server, peer):
    def tips(srv):
        conn = srv.raw()
        got = {}
        for info in conn.call("COMMAND", "INFO", "function", "script", "fcall", "fcall_ro", "eval", "evalsha"):
            got[info[0]] = info[7]
            for sub in info[9]:
                got[sub[0]] = sub[7]
        conn.close()
        return got

    ours, redis_tips = tips(server), tips(peer)
    assert ours == {name: redis_tips[name] for name in ours}  # SCRIPT DEBUG is not implemented


def test_help_and_unknown_subcommand(f):
    help_lines = call(f, "FUNCTION", "HELP")
    assert help_lines[0] == "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]" in help_lines
    assert help_lines[-2:] == ["HELP", "    Prints this help."]
    assert len(help_lines) == 40
    with raises_reply("ERR unknown subcommand 'foo'. Try FUNCTION HELP."):
        f.execute_command("FUNCTION", "foo")


# ----------------------------------------------------------------------------
# DUMP and RESTORE
# ----------------------------------------------------------------------------

def test_dump_restore_policies(f):
    fb = redis.Redis(host="127.0.0.1", port=f.connection_pool.connection_kwargs["port"])
    call(f, "FUNCTION", "LOAD", LIB)
    call(f, "FUNCTION", "LOAD", lib("second", fn("two", "return 2")))
    payload = fb.execute_command("FUNCTION", "DUMP")
    assert payload[0] == 0xF5  # RDB_OPCODE_FUNCTION2
    call(f, "FUNCTION", "DELETE", "mylib")
    with raises_reply("ERR Library second already exists"):
        fb.execute_command("FUNCTION", "RESTORE", payload)
    with raises_reply("ERR Library second already exists"):
        fb.execute_command("FUNCTION", "RESTORE", payload, "APPEND")
    assert sorted(listing(f)) == ["second"]
    assert fb.execute_command("FUNCTION", "RESTORE", payload, "REPLACE") == b"OK"
    call(f, "FUNCTION", "FLUSH")
    assert fb.execute_command("FUNCTION", "RESTORE", payload) == b"OK"
    assert f.fcall("two", 0) == 2
    call(f, "FUNCTION", "LOAD", lib("third", fn("three", "return 3")))
    assert fb.execute_command("FUNCTION", "RESTORE", payload, "flush") == b"OK"
    assert sorted(listing(f)) == ["mylib", "second"]
    # A library whose function another library already has: all or nothing.
    call(f, "FUNCTION", "DELETE", "second")
    call(f, "FUNCTION", "LOAD", lib("thief", fn("two")))
    with raises_reply("ERR Function two already exists"):
        fb.execute_command("FUNCTION", "RESTORE", payload, "REPLACE")
    assert sorted(listing(f)) == ["mylib", "thief"]
    call(f, "FUNCTION", "FLUSH")
    empty = fb.execute_command("FUNCTION", "DUMP")
    assert len(empty) == 10  # just the footer
    assert fb.execute_command("FUNCTION", "RESTORE", empty) == b"OK"


def test_restore_errors(f):
    with raises_reply("ERR DUMP payload version or checksum are wrong"):
        f.execute_command("FUNCTION", "RESTORE", "abc")
    with raises_reply("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."):
        f.execute_command("FUNCTION", "RESTORE", "abc", "bogus")
    with raises_reply("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."):
        f.execute_command("FUNCTION", "RESTORE", "abc", "FLUSH", "x")
    # A key's DUMP payload is no function payload.
    f.set("k", "v")
    with raises_reply("ERR given type is not a function"):
        f.execute_command("FUNCTION", "RESTORE", f.dump("k"))


def test_payloads_travel_between_redis_and_tierkv(f, peer):
    other = peer.client()
    other.execute_command("FUNCTION", "FLUSH")
    try:
        fb = redis.Redis(host="127.0.0.1", port=f.connection_pool.connection_kwargs["port"])
        ob = peer.client(decode_responses=False)
        call(f, "FUNCTION", "LOAD", LIB)
        call(f, "FUNCTION", "LOAD", lib("second", fn("two", "return 2"), "-- " + "padding " * 40))
        ours = fb.execute_command("FUNCTION", "DUMP")
        assert ob.execute_command("FUNCTION", "RESTORE", ours) == b"OK"
        assert other.fcall("two", 0) == 2
        assert listing(other, "WITHCODE") == listing(f, "WITHCODE")
        theirs = ob.execute_command("FUNCTION", "DUMP")
        assert ours[:-10] == theirs[:-10] or sorted(listing(other)) == sorted(listing(f))
        call(f, "FUNCTION", "FLUSH")
        assert fb.execute_command("FUNCTION", "RESTORE", theirs) == b"OK"
        assert listing(f, "WITHCODE") == listing(other, "WITHCODE")
        assert f.fcall("setit", 1, "k", "v") == "OK" and f.fcall("getit", 1, "k") == "v"
    finally:
        other.execute_command("FUNCTION", "FLUSH")
        other.close()


# ----------------------------------------------------------------------------
# KILL and BUSY
# ----------------------------------------------------------------------------

def test_function_kill(f, server, config_restore):
    config_restore("busy-reply-threshold")
    f.config_set("busy-reply-threshold", 50)
    call(f, "FUNCTION", "LOAD", lib("slow", fn("spin", "while true do end", ["no-writes"]),
                                    fn("spinw", "redis.call('SET', 'w', 1) local i = 0 while i < 3e7 do i = i + 1 end")))
    with raises_reply("NOTBUSY No scripts in execution right now."):
        f.execute_command("FUNCTION", "KILL")
    errors = []

    def run():
        c = server.client()
        try:
            c.fcall("spin", 0)
        except redis.ResponseError as error:
            errors.append(str(error))
        finally:
            c.close()

    runner = threading.Thread(target=run)
    runner.start()
    other = server.client()
    try:
        def busy():
            try:
                other.ping()
                return False
            except redis.ResponseError as error:
                assert str(error) == "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
                return True
        wait_until(busy, timeout=10)
        stats = call(other, "FUNCTION", "STATS")
        running = dict(zip(stats[1][::2], stats[1][1::2]))
        assert running["name"] == "spin" and running["command"] == ["FCALL", "spin", "0"]
        with raises_reply("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."):
            other.script_kill()
        assert call(other, "FUNCTION", "KILL") == "OK"
        runner.join(timeout=10)
        assert not runner.is_alive()
        # (redis-py drops the ERR code)
        assert errors == ["Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."]
        assert other.ping() is True
    finally:
        other.close()
        runner.join(timeout=10)


# ----------------------------------------------------------------------------
# Restarts
# ----------------------------------------------------------------------------

@pytest.mark.tierkv_only
@pytest.mark.parametrize("stop", ["sigkill", "shutdown"])
@pytest.mark.needs_dram_budget("BGSAVE answers 'already in progress' while a round that demotion started runs")
def test_libraries_survive_restart(tmp_path, stop):
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        call(c, "FUNCTION", "LOAD", LIB)
        call(c, "FUNCTION", "LOAD", lib("gone", fn("g")))
        call(c, "FUNCTION", "LOAD", lib("replaced", fn("old")))
        call(c, "FUNCTION", "LOAD", "REPLACE", lib("replaced", fn("new", "return 'new'")))
        call(c, "FUNCTION", "DELETE", "gone")
        c.fcall("setit", 1, "k", "before")
        before = listing(c, "WITHCODE")
        if stop == "sigkill":
            sigkill(srv)
        else:
            c.shutdown()
            srv.proc.wait(timeout=10)
            srv.proc = None
        srv = start_server(tmp_path, *ALWAYS)
        c = srv.client()
        assert listing(c, "WITHCODE") == before
        assert c.fcall("getit", 1, "k") == "before"
        assert c.fcall("new", 0) == "new"
        # A checkpoint round records them; what changes after it is journaled again.
        c.save()
        call(c, "FUNCTION", "FLUSH")
        call(c, "FUNCTION", "LOAD", lib("after", fn("a", "return 'a'")))
        sigkill(srv)
        srv = start_server(tmp_path, *ALWAYS)
        c = srv.client()
        assert list(listing(c)) == ["after"]
        assert c.fcall("a", 0) == "a"
        c.save()
        sigkill(srv)
        srv = start_server(tmp_path, *ALWAYS)
        assert srv.client().fcall("a", 0) == "a"
    finally:
        srv.stop()


@pytest.mark.tierkv_only
def test_libraries_checkpointed_without_journal(tmp_path):
    srv = start_server(tmp_path)
    try:
        c = srv.client()
        call(c, "FUNCTION", "LOAD", LIB)
        c.save()
        sigkill(srv)
        srv = start_server(tmp_path)
        c = srv.client()
        assert sorted(listing(c)["mylib"][1]) == ["getit", "setit"]
        call(c, "FUNCTION", "FLUSH")
        c.save()
        sigkill(srv)
        srv = start_server(tmp_path)
        assert call(srv.client(), "FUNCTION", "LIST") == []
    finally:
        srv.stop()
