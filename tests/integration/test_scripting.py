"""Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, the redis.* API, the
sandbox, RESP2/RESP3 conversions both ways, shebang flags, BUSY and SCRIPT KILL, and
scripts' writes seen by WATCH and blocked clients. Every reply and error text here is
what redis-server 7.0 answers (errors name the script's SHA1 and line)."""
import hashlib
import threading

import pytest
import redis

from conftest import (RespError, RespMap, RespSet, call, is_reference, raises_reply,
                      wait_until, WRONGTYPE)


def sha(script):
    return hashlib.sha1(script.encode()).hexdigest()


def script_error(script, message, line=1):
    """The error Redis answers for an error raised while `script` runs."""
    return f"{message} script: {sha(script)}, on @user_script:{line}."


def expect_script_error(r, script, message, line=1, *args):
    with raises_reply(script_error(script, message, line)):
        r.eval(script, 0, *args)


# ----------------------------------------------------------------------------
# Conversions
# ----------------------------------------------------------------------------

def test_lua_values_become_resp2_replies(r):
    assert call(r, "EVAL", "return 'hello'", 0) == "hello"
    assert call(r, "EVAL", "return 42", 0) == 42
    assert call(r, "EVAL", "return 3.99", 0) == 3          # numbers are truncated
    assert call(r, "EVAL", "return -3.99", 0) == -3
    for huge in ("1/0", "-1/0", "0/0", "1e300"):
        assert call(r, "EVAL", f"return {huge}", 0) == -9223372036854775808
    assert call(r, "EVAL", "return true", 0) == 1
    assert call(r, "EVAL", "return false", 0) is None
    assert call(r, "EVAL", "return nil", 0) is None
    assert call(r, "EVAL", "return", 0) is None
    assert call(r, "EVAL", "return {1, 2, 3, 'ciao', {1, 2}}", 0) == [1, 2, 3, "ciao", [1, 2]]
    assert call(r, "EVAL", "return {1, 2, nil, 4}", 0) == [1, 2]   # cut at the first nil
    assert call(r, "EVAL", "return {}", 0) == []
    assert call(r, "EVAL", "return {ok='FINE'}", 0) == "FINE"
    assert call(r, "EVAL", "return {ok='a\\r\\nb'}", 0) == "a  b"
    assert call(r, "EVAL", "return redis.status_reply('FINE')", 0) == "FINE"
    assert call(r, "EVAL", "return {double=3.5}", 0) == "3.5"
    assert call(r, "EVAL", "return {map={a=1}}", 0) == ["a", 1]
    assert call(r, "EVAL", "return {set={a=true}}", 0) == ["a"]
    assert call(r, "EVAL", "return {big_number='123'}", 0) == "123"
    reply = call(r, "EVAL", "return {1, {err='inner'}}", 0)
    assert reply[0] == 1 and isinstance(reply[1], redis.ResponseError) and str(reply[1]) == "inner"
    with raises_reply("My Error"):
        r.eval("return {err='My Error'}", 0)
    with raises_reply("My Error"):
        r.eval("return redis.error_reply('My Error')", 0)
    with raises_reply("ERR x"):
        r.eval("return redis.error_reply('x')", 0)
    with raises_reply("ERR wrong number or type of arguments"):
        r.eval("return redis.status_reply()", 0)


def test_command_replies_become_lua_values_resp2(r):
    r.rpush("list", "a", "b")
    script = """
      local out = {}
      out[1] = type(redis.call('get', 'missing'))
      out[2] = redis.call('set', 's', '1').ok
      out[3] = redis.call('incr', 'n')
      out[4] = type(redis.call('incr', 'n'))
      out[5] = redis.call('lrange', 'list', 0, -1)
      out[6] = redis.pcall('lpush', 's', 'x').err
      out[7] = type(redis.call('hgetall', 'missing'))
      out[8] = type(redis.call('exists', 'list'))
      return out"""
    assert call(r, "EVAL", script, 0) == ["boolean", "OK", 1, "number", ["a", "b"], WRONGTYPE, "table", "number"]


def test_resp3_conversions_after_setresp(r3):
    r3.call("HSET", "h", "f", "v")
    assert r3.call("EVAL", "return redis.call('hgetall', 'h')", "0") == [b"f", b"v"]
    assert r3.call("EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", "0") == RespMap({b"f": b"v"})
    assert r3.call("EVAL", "redis.setresp(3) return redis.call('hgetall', 'h').map.f", "0") == b"v"
    assert r3.call("EVAL", "redis.setresp(3) return type(redis.call('get', 'missing'))", "0") == b"nil"
    assert r3.call("EVAL", "redis.setresp(3) return redis.call('smembers', 'missing')", "0") == RespSet([])
    assert r3.call("EVAL", "return true", "0") == 1
    assert r3.call("EVAL", "redis.setresp(3) return true", "0") is True
    assert r3.call("EVAL", "redis.setresp(3) return false", "0") is False
    assert r3.call("EVAL", "return {double=3.5}", "0") == 3.5
    assert r3.call("EVAL", "return {map={a=1}}", "0") == RespMap({b"a": 1})
    assert r3.call("EVAL", "return {set={a=true}}", "0") == RespSet([b"a"])
    assert r3.call("EVAL", "return {big_number='123'}", "0") == 123
    assert r3.call("EVAL", "return nil", "0") is None
    error = r3.call("EVAL", "redis.setresp(4)", "0")
    assert error == RespError(script_error("redis.setresp(4)", "ERR RESP version must be 2 or 3."))


def test_setresp_3_booleans_to_a_resp2_caller(r):
    assert call(r, "EVAL", "redis.setresp(3) return true", 0) == 1
    assert call(r, "EVAL", "redis.setresp(3) return false", 0) == 0


def test_number_arguments_to_commands(r):
    r.eval("redis.call('set', 'k', 3.5) redis.call('set', 'i', 42)", 0)
    assert r.get("k") == "3.5"
    assert r.get("i") == "42"


@pytest.mark.tierkv_only
def test_number_arguments_in_their_shortest_form(r):
    # Redis 7.2 prints a Lua number argument in its shortest form; 7.0 used %.17g.
    r.eval("redis.call('set', 'k', 0.1)", 0)
    assert r.get("k") == "0.1"


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------

def test_errors_name_the_script_and_line(r):
    r.set("s", "1")
    cases = [
        ("return redis.call('nosuch')", "ERR Unknown Redis command called from script"),
        ("return redis.call('get')", "ERR Wrong number of args calling Redis command from script"),
        ("return redis.call('set', 'a')", "ERR Wrong number of args calling Redis command from script"),
        ("error('boom')", "ERR user_script:1: boom"),
        ("return redis.call('lpush', 's', 'x')", WRONGTYPE),
        ("return redis.call('multi')", "ERR This Redis command is not allowed from script"),
        ("return redis.call('eval', 'return 1', '0')", "ERR This Redis command is not allowed from script"),
        ("return redis.call(1)", "ERR Unknown Redis command called from script"),
        ("return redis.call({})", "ERR Lua redis lib command arguments must be strings or integers"),
        ("return redis.call()", "ERR Please specify at least one argument for this redis lib call"),
        ("return 'a' .. nil", "ERR user_script:1: attempt to concatenate a nil value"),
        ("return redis.sha1hex()", "ERR wrong number of arguments"),
        ("return redis.log(redis.LOG_WARNING)", "ERR redis.log() requires two arguments or more."),
    ]
    for script, message in cases:
        expect_script_error(r, script, message)
    expect_script_error(r, "local a = 1\n\nerror('third')", "ERR user_script:3: third", line=3)


def test_pcall_returns_the_error_table(r):
    r.set("s", "1")
    with raises_reply(WRONGTYPE):
        r.eval("return redis.pcall('lpush', 's', 'x')", 0)
    # Lua's pcall catches redis.call's error table as its text.
    assert call(r, "EVAL", "local ok, e = pcall(function() redis.call('lpush', 's', 'x') end) return {tostring(ok), e}",
                0) == ["false", WRONGTYPE]
    assert call(r, "EVAL", "local ok, e = pcall(function() error('mine') end) return e", 0) == "user_script:1: mine"



def test_compile_errors(r):
    with raises_reply("ERR Error compiling script (new function): user_script:1: '=' expected near 'error'"):
        r.eval("syntax error here", 0)


def test_numkeys_validation(r):
    with raises_reply("ERR Number of keys can't be negative"):
        r.eval("return 1", -1)
    with raises_reply("ERR Number of keys can't be greater than number of args"):
        r.eval("return 1", 2, "a")
    with raises_reply("ERR value is not an integer or out of range"):
        call(r, "EVAL", "return 1", "x")
    with raises_reply("ERR wrong number of arguments for 'eval' command"):
        call(r, "EVAL", "return 1")


def test_keys_and_argv(r):
    assert call(r, "EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}", 2, "k1", "k2", "a1", "a2") == ["k1", "k2", "a1", 2]


# ----------------------------------------------------------------------------
# Sandbox
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["os", "io", "debug", "loadfile", "dofile", "print", "require", "module",
                                  "package", "setfenv", "getfenv", "newproxy", "undefined_thing"])
def test_missing_globals(r, name):
    expect_script_error(r, f"return {name}",
                        f"ERR user_script:1: Script attempted to access nonexistent global variable '{name}'")


@pytest.mark.parametrize("name", ["string", "table", "math", "cjson", "bit", "cmsgpack", "struct", "coroutine",
                                  "redis", "pcall", "loadstring", "rawset", "rawget", "unpack", "_G"])
def test_globals_that_remain(r, name):
    assert call(r, "EVAL", f"return type({name})", 0) in ("table", "function")


def test_globals_and_libraries_are_read_only(r):
    for script in ["x = 1", "string.x = 1", "redis.call = 1", "function f() end", "math.random = nil"]:
        expect_script_error(r, script, "ERR user_script:1: Attempt to modify a readonly table")
    for script in ["rawset(_G, 'x', 1)", "setmetatable(_G, nil)"]:
        expect_script_error(r, script, "ERR Attempt to modify a readonly table")
    assert call(r, "EVAL", "return getmetatable(_G)", 0) == []
    assert call(r, "EVAL", "return ('abc'):upper()", 0) == "ABC"
    assert call(r, "EVAL", "local t = {} t.x = 1 return t.x", 0) == 1


def test_math_random_follows_redis_sequence(r):
    assert call(r, "EVAL", "math.randomseed(0) return {math.random(1000000), math.random(1000000)}", 0) == \
        [170829, 749902]
    assert call(r, "EVAL", "math.randomseed(7) return math.random(10, 20)", 0) == \
        call(r, "EVAL", "math.randomseed(7) return math.random(10, 20)", 0)


def test_cjson_and_bit(r):
    assert call(r, "EVAL", "return cjson.encode({1, 2, 'x'})", 0) == '[1,2,"x"]'
    assert call(r, "EVAL", "return cjson.decode('{\"a\":[1,2]}').a[2]", 0) == 2
    assert call(r, "EVAL", "return {bit.band(7, 3), bit.bor(1, 2), bit.bxor(5, 1), bit.tohex(255)}", 0) == \
        [3, 3, 4, "000000ff"]


def test_redis_helpers(r):
    assert call(r, "EVAL", "return redis.sha1hex('')", 0) == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert call(r, "EVAL", "return redis.breakpoint()", 0) is None
    assert call(r, "EVAL", "redis.debug('x') return 1", 0) == 1
    assert call(r, "EVAL", "redis.set_repl(redis.REPL_ALL) return redis.replicate_commands()", 0) == 1
    assert call(r, "EVAL", "redis.log(redis.LOG_NOTICE, 'from a script') return 1", 0) == 1
    expect_script_error(r, "redis.set_repl(8)",
                        "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
    assert call(r, "EVAL", "return type(redis.REDIS_VERSION)", 0) == "string"


# ----------------------------------------------------------------------------
# Script cache
# ----------------------------------------------------------------------------

def test_script_load_exists_flush_and_evalsha(r):
    r.script_flush()
    body = "return 'cached'"
    assert r.script_load(body) == sha(body)
    assert r.script_exists(sha(body), "0" * 40) == [True, False]
    assert r.evalsha(sha(body), 0) == "cached"
    assert r.evalsha(sha(body).upper(), 0) == "cached"
    assert call(r, "EVALSHA_RO", sha(body), 0) == "cached"
    assert call(r, "SCRIPT", "FLUSH", "ASYNC") == "OK"
    assert r.script_exists(sha(body)) == [False]
    for digest in (sha(body), "fff"):
        with pytest.raises(redis.exceptions.NoScriptError, match="^No matching script. Please use EVAL.$"):
            r.evalsha(digest, 0)
    r.eval(body, 0)  # EVAL caches what it runs
    assert r.script_exists(sha(body)) == [True]
    assert call(r, "SCRIPT", "FLUSH", "SYNC") == "OK"
    with raises_reply("ERR SCRIPT FLUSH only support SYNC|ASYNC option"):
        call(r, "SCRIPT", "FLUSH", "LATER")
    with raises_reply("ERR Error compiling script (new function): user_script:1: unexpected symbol near '?'"):
        r.script_load("?")
    with raises_reply("NOTBUSY No scripts in execution right now."):
        r.script_kill()


# ----------------------------------------------------------------------------
# Read-only scripts and shebang flags
# ----------------------------------------------------------------------------

def test_eval_ro_refuses_writes(r):
    with raises_reply(script_error("return redis.call('set', 'a', 'b')",
                                   "ERR Write commands are not allowed from read-only scripts.")):
        call(r, "EVAL_RO", "return redis.call('set', 'a', 'b')", 0)
    r.set("a", "1")
    assert call(r, "EVAL_RO", "return redis.call('get', 'a')", 1, "a") == "1"


def test_shebang_flags(r):
    no_writes = "#!lua flags=no-writes\nreturn redis.call('set', 'a', '1')"
    with raises_reply(script_error(no_writes, "ERR Write commands are not allowed from read-only scripts.", 2)):
        r.eval(no_writes, 0)
    with raises_reply("ERR Can not execute a script with write flag using *_ro command."):
        call(r, "EVAL_RO", "#!lua\nreturn 1", 0)
    assert call(r, "EVAL_RO", "#!lua flags=no-writes\nreturn 2", 0) == 2
    assert call(r, "EVAL", "#!lua flags=\nreturn 3", 0) == 3
    assert call(r, "EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n"
                           "return 4", 0) == 4
    for body, message in [("#!foo\nreturn 1", "ERR Unexpected engine in script shebang: #!foo"),
                          ("#!lua flags=bad\nreturn 1", "ERR Unexpected flag in script shebang: bad"),
                          ("#!lua xyz\nreturn 1", "ERR Unknown lua shebang option: xyz"),
                          ("#!lua", "ERR Invalid script shebang")]:
        with raises_reply(message):
            r.eval(body, 0)


@pytest.mark.needs_dram_budget("with tiering, memory past maxmemory makes writers wait for a round instead of answering OOM")
def test_oom_rules(r, config_restore):
    config_restore("maxmemory")
    r.set("k", "v")
    r.config_set("maxmemory", "1")
    try:
        with raises_reply(script_error("return redis.call('set', 'x', '1')",
                                       "OOM command not allowed when used memory > 'maxmemory'.")):
            r.eval("return redis.call('set', 'x', '1')", 0)
        with raises_reply("OOM command not allowed when used memory > 'maxmemory'."):
            r.eval("#!lua\nreturn 1", 0)
        assert call(r, "EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", 0) == "v"
        assert call(r, "EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'x', '1')", 0) == "OK"
        assert call(r, "EVAL", "return redis.call('get', 'k')", 0) == "v"
    finally:
        r.config_set("maxmemory", "0")


def test_select_in_a_script_leaves_the_callers_db(r):
    assert call(r, "EVAL", "redis.call('select', '5') return redis.call('set', 'seldb', '1')", 0) == "OK"
    assert r.exists("seldb") == 0
    r.select(5)
    assert r.get("seldb") == "1"
    r.delete("seldb")
    r.select(0)


# ----------------------------------------------------------------------------
# A script's writes, seen by others
# ----------------------------------------------------------------------------

def test_watch_sees_a_script_write(r, server):
    other = server.client()
    r.set("w", "0")
    pipe = r.pipeline()
    pipe.watch("w")
    other.eval("redis.call('set', KEYS[1], 'changed')", 1, "w")
    pipe.multi()
    pipe.set("w", "mine")
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert r.get("w") == "changed"


def test_blocked_client_woken_by_a_script_push(r, server):
    blocked = server.client()
    result = {}

    def pop():
        result["value"] = blocked.blpop("queue", timeout=10)

    thread = threading.Thread(target=pop)
    thread.start()
    wait_until(lambda: any(c.get("cmd") == "blpop" for c in r.client_list()), message="BLPOP to block")
    r.eval("redis.call('rpush', KEYS[1], 'a', 'b')", 1, "queue")
    thread.join(timeout=10)
    assert result["value"] == ("queue", "a")
    assert r.lrange("queue", 0, -1) == ["b"]


# ----------------------------------------------------------------------------
# Slow scripts: BUSY, SCRIPT KILL, UNKILLABLE
# ----------------------------------------------------------------------------

def start_slow_script(server, script, outcome):
    runner = server.client(socket_timeout=20)

    def run():
        try:
            outcome["reply"] = runner.eval(script, 0)
        except redis.ResponseError as error:
            outcome["error"] = str(error)
        finally:
            runner.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_busy(client):
    def busy():
        try:
            client.ping()
            return False
        except redis.ResponseError as error:
            assert str(error) == "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
            return True
    wait_until(busy, timeout=10, message="the script to make other clients BUSY")


def test_script_kill_stops_a_slow_script(r, server, config_restore):
    config_restore("busy-reply-threshold")
    r.config_set("busy-reply-threshold", "100")
    script = "local i = 0 while true do i = i + 1 end"
    outcome = {}
    thread = start_slow_script(server, script, outcome)
    try:
        wait_busy(r)
        with pytest.raises(redis.ResponseError, match="^BUSY"):
            r.get("a")
        with raises_reply("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."):
            r.shutdown()
        assert r.script_kill() is True
    finally:
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert "ERR " + outcome["error"] == script_error(script, "ERR Script killed by user with SCRIPT KILL...")
    assert r.ping() is True


def test_a_script_that_wrote_is_unkillable(r, server, config_restore):
    config_restore("busy-reply-threshold")
    r.config_set("busy-reply-threshold", "100")
    script = "redis.call('set', 'slow', '1') local deadline = 0 for i = 1, 40000000 do deadline = deadline + 1 end " \
             "return deadline"
    outcome = {}
    thread = start_slow_script(server, script, outcome)
    try:
        wait_busy(r)
        with raises_reply("UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
                          "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
                          "NOSAVE command."):
            r.script_kill()
    finally:
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert outcome["reply"] == 40000000
    assert r.get("slow") == "1"


# ----------------------------------------------------------------------------
# cmsgpack
# ----------------------------------------------------------------------------

def test_cmsgpack_pack_matches_redis_bytes(rb):
    packed = call(rb, "EVAL", "return cmsgpack.pack({1,2,3}, {a=1}, 'x', -1, 200, 70000, 1.5, 0.1, true, nil, "
                              "-200, 2^40, {}, string.rep('a', 40))", 0)
    assert packed == (b"\x93\x01\x02\x03\x81\xa1a\x01\xa1x\xff\xcc\xc8\xce\x00\x01\x11p\xca?\xc0\x00\x00"
                      b"\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xc3\xc0\xd1\xff8\xcf\x00\x00\x01\x00\x00\x00\x00\x00"
                      b"\x90\xd9(" + b"a" * 40)
    nested = call(rb, "EVAL", "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end "
                              "return cmsgpack.pack(t)", 0)
    assert nested == b"\x91" * 16 + b"\xc0"


def test_cmsgpack_unpack(r):
    assert call(r, "EVAL", "return {cmsgpack.unpack(cmsgpack.pack({1, {2, 'x'}}, 'str', 3))}", 0) == \
        [[1, [2, "x"]], "str", 3]
    assert call(r, "EVAL", "return cmsgpack.unpack(cmsgpack.pack({a = 'b'})).a", 0) == "b"
    assert call(r, "EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", 0) == [1, 1]
    assert call(r, "EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}", 0) == [-1, 2, 3]
    assert call(r, "EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1), 1)}", 0) == [-1]
    assert call(r, "EVAL", "return cmsgpack.unpack('')", 0) is None
    for script, message in [("return cmsgpack.unpack('\\193')", "Bad data format in input."),
                            ("return cmsgpack.unpack('\\205\\1')", "Missing bytes in input."),
                            ("return cmsgpack.unpack_one(cmsgpack.pack(1), 5)",
                             "Start offset 5 greater than input length 1."),
                            ("return cmsgpack.unpack_limit(cmsgpack.pack(1), -1)",
                             "Invalid request to unpack with offset of 0 and limit of 1.")]:
        expect_script_error(r, script, f"ERR user_script:1: {message}")
    expect_script_error(r, "return cmsgpack.pack()",
                        "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)")


def test_time_stands_still_inside_a_script(r):
    # A key with a 1 ms TTL is there for the whole script or for none of it.
    script = """
      redis.call('set', KEYS[1], 'v', 'px', 1)
      local seen = 0
      for i = 1, 200000 do
        if redis.call('exists', KEYS[1]) == 1 then seen = seen + 1 end
        if i % 1000 == 0 and seen < i then break end
      end
      return seen"""
    assert call(r, "EVAL", script, 1, "short") == 200000


# ----------------------------------------------------------------------------
# struct
# ----------------------------------------------------------------------------

def test_struct_pack_unpack_size(r, rb):
    assert call(rb, "EVAL", "return struct.pack('>I2i4bBc3sxd', 513, -2, -1, 255, 'abc', 'zz', 1.5)", 0) == \
        b"\x02\x01\xff\xff\xff\xfe\xff\xffabczz\x00\x00?\xf8\x00\x00\x00\x00\x00\x00"
    assert call(r, "EVAL", "return {struct.unpack('>I2i4bBc3s', struct.pack('>I2i4bBc3s', 513, -2, -1, 255, "
                           "'abc', 'zz'))}", 0) == [513, -2, -1, 255, "abc", "zz", 15]
    assert call(r, "EVAL", "return struct.size('>!4bi4d')", 0) == 16
    assert call(r, "EVAL", "return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'xyz'))}", 0) == ["xyz", 5]
    assert call(r, "EVAL", "return {struct.unpack('<h', '\\255\\255', 1)}", 0) == [-1, 3]
    for script, message in [
            ("return struct.pack('i40', 1)", "integral size 40 is larger than limit of 32"),
            ("return struct.pack('q', 1)", "bad argument #1 to 'pack' (invalid format option 'q')"),
            ("return struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"),
            ("return struct.unpack('i4', 'ab')", "bad argument #2 to 'unpack' (data string too short)"),
            ("return struct.pack('!3i', 1)", "alignment 3 is not a power of 2")]:
        expect_script_error(r, script, f"ERR user_script:1: {message}")


def test_a_failing_script_keeps_what_it_wrote(r):
    # No rollback: the writes before the error stay, as in Redis.
    script = "redis.call('set', 'first', '1') redis.call('lpush', 'first', 'x') redis.call('set', 'second', '2')"
    with raises_reply(script_error(script, WRONGTYPE)):
        r.eval(script, 0)
    assert r.get("first") == "1"
    assert r.exists("second") == 0


def test_eval_inside_multi(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("m", "1")
    pipe.eval("return redis.call('incr', KEYS[1])", 1, "m")
    pipe.eval("return redis.call('get', KEYS[1])", 1, "m")
    assert pipe.execute() == [True, 2, "2"]


@pytest.mark.tierkv_only
def test_blocking_command_inside_a_script_does_not_block(r):
    # Redis 7.2 runs BLPOP in a script as its non-blocking form; 7.0 refused it (noscript).
    assert call(r, "EVAL", "return redis.call('blpop', 'nothing-here', 0)", 0) is None


def test_script_commands_are_counted_in_commandstats(r):
    r.config_resetstat()
    r.eval("redis.call('set', 'c', '1') redis.call('get', 'c') return 1", 0)
    stats = r.info("commandstats")
    assert stats["cmdstat_eval"]["calls"] == 1
    assert stats["cmdstat_set"]["calls"] == 1
    assert stats["cmdstat_get"]["calls"] == 1


def test_a_reply_nested_too_deeply_ends_in_an_error(raw):
    conn = raw()
    conn.send(conn.encode("EVAL", "local t = {} local c = t for i = 1, 10000 do c[1] = {} c = c[1] end return t", "0"))
    data = conn.read_available(timeout=1.0)
    assert b"-ERR reached lua stack limit\r\n" in data
    assert data.startswith(b"*1\r\n*1\r\n")
    assert conn.call("PING") == "PONG"
