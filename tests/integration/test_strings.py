"""String and bit commands: replies, reply types and exact error texts."""
import time

import pytest

from conftest import (NOT_INT, SYNTAX, WRONGTYPE, call, make_wrongtype_key,
                      raises_reply, wait_until)

ARITY_GET = "ERR wrong number of arguments for 'get' command"


def invalid_expire(cmd):
    return f"ERR invalid expire time in '{cmd}' command"


# --------------------------------------------------------------------------
# GET / SET
# --------------------------------------------------------------------------

def test_get_missing_key_is_nil(r):
    assert r.get("nokey") is None


def test_set_then_get_roundtrips_value(r):
    assert call(r, "SET", "k", "v") == "OK"
    assert r.get("k") == "v"


def test_set_overwrites_and_clears_ttl(r):
    r.set("k", "v1", ex=100)
    r.set("k", "v2")
    assert r.get("k") == "v2"
    assert r.ttl("k") == -1


def test_set_binary_safe_value(rb):
    value = bytes(range(256)) * 4
    rb.set(b"bin\x00key", value)
    assert rb.get(b"bin\x00key") == value


def test_set_empty_value(r):
    r.set("k", "")
    assert r.get("k") == ""
    assert r.exists("k") == 1
    assert r.strlen("k") == 0


def test_get_wrong_arity(r):
    with raises_reply(ARITY_GET):
        call(r, "GET")
    with raises_reply(ARITY_GET):
        call(r, "GET", "a", "b")


def test_set_wrong_arity(r):
    with raises_reply("ERR wrong number of arguments for 'set' command"):
        call(r, "SET", "a")


def test_set_ex_sets_seconds_ttl(r):
    assert call(r, "SET", "k", "v", "EX", "100") == "OK"
    assert 99 <= r.ttl("k") <= 100


def test_set_px_sets_ms_ttl(r):
    call(r, "SET", "k", "v", "PX", "100000")
    assert 99000 <= r.pttl("k") <= 100000


def test_set_exat_and_pxat_set_absolute_expiry(r):
    at = int(time.time()) + 1000
    call(r, "SET", "k", "v", "EXAT", at)
    assert call(r, "EXPIRETIME", "k") == at
    call(r, "SET", "k2", "v", "PXAT", at * 1000 + 123)
    assert call(r, "PEXPIRETIME", "k2") == at * 1000 + 123


def test_set_exat_in_past_deletes_key(r):
    r.set("k", "old")
    assert call(r, "SET", "k", "v", "EXAT", "1") == "OK"
    assert r.exists("k") == 0
    assert r.get("k") is None


def test_set_nx_only_sets_missing_key(r):
    assert call(r, "SET", "k", "1", "NX") == "OK"
    assert call(r, "SET", "k", "2", "NX") is None
    assert r.get("k") == "1"


def test_set_xx_only_sets_existing_key(r):
    assert call(r, "SET", "k", "1", "XX") is None
    assert r.exists("k") == 0
    r.set("k", "1")
    assert call(r, "SET", "k", "2", "XX") == "OK"
    assert r.get("k") == "2"


def test_set_keepttl_retains_ttl(r):
    r.set("k", "v", ex=100)
    call(r, "SET", "k", "v2", "KEEPTTL")
    assert r.get("k") == "v2"
    assert 99 <= r.ttl("k") <= 100


def test_set_get_returns_old_value(r):
    assert call(r, "SET", "k", "a", "GET") is None
    assert call(r, "SET", "k", "b", "GET") == "a"
    assert r.get("k") == "b"


def test_set_nx_get_returns_old_value_and_does_not_set(r):
    r.set("k", "old")
    assert call(r, "SET", "k", "new", "NX", "GET") == "old"
    assert r.get("k") == "old"
    assert call(r, "SET", "k2", "v", "NX", "GET") is None
    assert r.get("k2") == "v"


def test_set_options_are_case_insensitive(r):
    call(r, "set", "k", "v", "ex", "100", "nx")
    assert 99 <= r.ttl("k") <= 100


@pytest.mark.parametrize("args", [
    ("EX", "1", "PX", "1"),
    ("EX", "1", "EXAT", "99999999999"),
    ("PX", "1", "PXAT", "99999999999"),
    ("NX", "XX"),
    ("KEEPTTL", "EX", "1"),
    ("PX", "1", "KEEPTTL"),
    ("EX",),
    ("FOO",),
    ("EX", "10", "GET", "BAR"),
])
def test_set_invalid_option_combinations_are_syntax_errors(r, args):
    with raises_reply(SYNTAX):
        call(r, "SET", "k", "v", *args)
    assert r.exists("k") == 0


@pytest.mark.parametrize("args", [
    ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PX", "-5"),
    ("EXAT", "0"), ("PXAT", "0"),
    ("EX", "9999999999999999"),
    ("EX", "9223372036854775807"),
    ("PX", "9223372036854775807"),
])
def test_set_invalid_expire_time(r, args):
    with raises_reply(invalid_expire("set")):
        call(r, "SET", "k", "v", *args)
    assert r.exists("k") == 0


def test_set_expire_not_integer(r):
    with raises_reply(NOT_INT):
        call(r, "SET", "k", "v", "EX", "1.5")
    with raises_reply(NOT_INT):
        call(r, "SET", "k", "v", "PX", "abc")


def test_set_get_on_wrong_type_errors_and_keeps_key(r):
    make_wrongtype_key(r, "l")
    with raises_reply(WRONGTYPE):
        call(r, "SET", "l", "v", "GET")
    assert r.type("l") == "list"


def test_plain_set_overwrites_wrong_type(r):
    make_wrongtype_key(r, "l")
    assert r.set("l", "v") is True
    assert r.type("l") == "string"


# --------------------------------------------------------------------------
# SETNX SETEX PSETEX GETSET GETDEL GETEX
# --------------------------------------------------------------------------

def test_setnx(r):
    assert call(r, "SETNX", "k", "1") == 1
    assert call(r, "SETNX", "k", "2") == 0
    assert r.get("k") == "1"


def test_setex_and_psetex(r):
    assert call(r, "SETEX", "k", "100", "v") == "OK"
    assert r.get("k") == "v"
    assert 99 <= r.ttl("k") <= 100
    assert call(r, "PSETEX", "p", "100000", "v") == "OK"
    assert 99000 <= r.pttl("p") <= 100000


@pytest.mark.parametrize("cmd,ttl", [
    ("SETEX", "0"), ("SETEX", "-1"), ("PSETEX", "0"), ("PSETEX", "-10")])
def test_setex_invalid_expire_time(r, cmd, ttl):
    with raises_reply(invalid_expire(cmd.lower())):
        call(r, cmd, "k", ttl, "v")


def test_setex_non_integer_ttl(r):
    with raises_reply(NOT_INT):
        call(r, "SETEX", "k", "x", "v")


def test_getset_returns_old_and_clears_ttl(r):
    assert call(r, "GETSET", "k", "a") is None
    r.expire("k", 100)
    assert call(r, "GETSET", "k", "b") == "a"
    assert r.get("k") == "b"
    assert r.ttl("k") == -1


def test_getdel(r):
    r.set("k", "v")
    assert call(r, "GETDEL", "k") == "v"
    assert r.exists("k") == 0
    assert call(r, "GETDEL", "k") is None


def test_getex_without_options_is_get(r):
    r.set("k", "v", ex=100)
    assert call(r, "GETEX", "k") == "v"
    assert 99 <= r.ttl("k") <= 100


def test_getex_sets_and_removes_ttl(r):
    r.set("k", "v")
    assert call(r, "GETEX", "k", "EX", "100") == "v"
    assert 99 <= r.ttl("k") <= 100
    assert call(r, "GETEX", "k", "PX", "50000") == "v"
    assert 49000 <= r.pttl("k") <= 50000
    at = int(time.time()) + 500
    assert call(r, "GETEX", "k", "EXAT", at) == "v"
    assert call(r, "EXPIRETIME", "k") == at
    assert call(r, "GETEX", "k", "PXAT", at * 1000 + 7) == "v"
    assert call(r, "PEXPIRETIME", "k") == at * 1000 + 7
    assert call(r, "GETEX", "k", "PERSIST") == "v"
    assert r.ttl("k") == -1


def test_getex_missing_key_is_nil(r):
    assert call(r, "GETEX", "nokey", "EX", "10") is None
    assert r.exists("nokey") == 0


def test_getex_past_absolute_time_deletes(r):
    r.set("k", "v")
    assert call(r, "GETEX", "k", "PXAT", "1") == "v"
    assert r.exists("k") == 0


@pytest.mark.parametrize("args,err", [
    (("EX", "1", "PX", "1"), SYNTAX),
    (("PERSIST", "EX", "1"), SYNTAX),
    (("EX", "1", "PERSIST"), SYNTAX),
    (("FOO",), SYNTAX),
    (("EX",), SYNTAX),
    (("EX", "0"), invalid_expire("getex")),
    (("PXAT", "0"), invalid_expire("getex")),
    (("EX", "-3"), invalid_expire("getex")),
    (("EX", "x"), NOT_INT),
])
def test_getex_errors(r, args, err):
    r.set("k", "v")
    with raises_reply(err):
        call(r, "GETEX", "k", *args)
    assert r.ttl("k") == -1


@pytest.mark.parametrize("cmd", [
    ("GET", "l"), ("GETEX", "l"), ("GETDEL", "l"), ("GETSET", "l", "x"),
    ("APPEND", "l", "x"), ("STRLEN", "l"), ("INCR", "l"), ("DECR", "l"),
    ("INCRBY", "l", "2"), ("DECRBY", "l", "2"), ("INCRBYFLOAT", "l", "1.5"),
    ("GETRANGE", "l", "0", "1"), ("SUBSTR", "l", "0", "1"),
    ("SETRANGE", "l", "0", "x"), ("SETBIT", "l", "0", "1"),
    ("GETBIT", "l", "0"), ("BITCOUNT", "l"), ("BITPOS", "l", "1"),
    ("BITFIELD", "l", "GET", "u8", "0"), ("BITFIELD_RO", "l", "GET", "u8", "0"),
    ("BITOP", "AND", "dest", "l"),
])
def test_string_commands_on_list_are_wrongtype(r, cmd):
    make_wrongtype_key(r, "l")
    with raises_reply(WRONGTYPE):
        call(r, *cmd)
    assert r.type("l") == "list"


def test_mget_returns_nil_for_wrong_type(r):
    make_wrongtype_key(r, "l")
    r.set("a", "1")
    assert r.mget("a", "l", "missing") == ["1", None, None]


# --------------------------------------------------------------------------
# MGET MSET MSETNX APPEND STRLEN
# --------------------------------------------------------------------------

def test_mset_and_mget(r):
    assert call(r, "MSET", "a", "1", "b", "2", "a", "3") == "OK"
    assert r.mget("a", "b", "c") == ["3", "2", None]


def test_mset_odd_args_is_arity_error(r):
    with raises_reply("ERR wrong number of arguments for 'mset' command"):
        call(r, "MSET", "a", "1", "b")
    with raises_reply("ERR wrong number of arguments for 'msetnx' command"):
        call(r, "MSETNX", "a", "1", "b")
    assert r.exists("a") == 0


def test_mset_clears_ttl(r):
    r.set("a", "1", ex=100)
    r.mset({"a": "2"})
    assert r.ttl("a") == -1


def test_msetnx_is_all_or_nothing(r):
    assert call(r, "MSETNX", "a", "1", "b", "2") == 1
    assert call(r, "MSETNX", "b", "x", "c", "3") == 0
    assert r.mget("a", "b", "c") == ["1", "2", None]


def test_append_creates_and_extends(r):
    assert r.append("k", "hello") == 5
    assert r.append("k", " world") == 11
    assert r.get("k") == "hello world"


def test_append_to_integer_value(r):
    r.set("k", "12")
    assert r.append("k", "3") == 3
    assert r.incr("k") == 124


def test_strlen(r):
    assert r.strlen("nokey") == 0
    r.set("k", "hello")
    assert r.strlen("k") == 5
    r.set("n", "12345")
    assert r.strlen("n") == 5


# --------------------------------------------------------------------------
# INCR family
# --------------------------------------------------------------------------

def test_incr_decr_create_key(r):
    assert r.incr("n") == 1
    assert r.incr("n") == 2
    assert r.decr("m") == -1
    assert call(r, "INCRBY", "n", "10") == 12
    assert call(r, "DECRBY", "n", "20") == -8
    assert call(r, "INCRBY", "n", "-2") == -10
    assert r.get("n") == "-10"


def test_incr_keeps_ttl(r):
    r.set("n", "1", ex=100)
    r.incr("n")
    assert 99 <= r.ttl("n") <= 100


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "1.5", "", "0x10",
                                   "9223372036854775808", "+-1"])
def test_incr_on_non_integer_value(r, value):
    r.set("k", value)
    with raises_reply(NOT_INT):
        r.incr("k")
    assert r.get("k") == value


def test_incr_overflow(r):
    r.set("k", "9223372036854775807")
    with raises_reply("ERR increment or decrement would overflow"):
        r.incr("k")
    r.set("k", "-9223372036854775808")
    with raises_reply("ERR increment or decrement would overflow"):
        r.decr("k")
    r.set("k", "9223372036854775800")
    with raises_reply("ERR increment or decrement would overflow"):
        call(r, "INCRBY", "k", "8")
    assert r.get("k") == "9223372036854775800"


def test_incrby_argument_not_integer(r):
    with raises_reply(NOT_INT):
        call(r, "INCRBY", "k", "x")
    with raises_reply(NOT_INT):
        call(r, "INCRBY", "k", "9223372036854775808")
    with raises_reply(NOT_INT):
        call(r, "DECRBY", "k", "1.0")


def test_decrby_min_int64_is_decrement_overflow(r):
    with raises_reply("ERR decrement would overflow"):
        call(r, "DECRBY", "k", "-9223372036854775808")
    assert call(r, "DECRBY", "k", "9223372036854775807") == -9223372036854775807


def test_incrbyfloat_formats_result(r):
    assert call(r, "INCRBYFLOAT", "f", "1.5") == "1.5"
    assert call(r, "INCRBYFLOAT", "f", "0.0000001") == "1.5000001"
    assert call(r, "INCRBYFLOAT", "g", "3.0e3") == "3000"
    assert call(r, "INCRBYFLOAT", "h", "5.0e-1") == "0.5"
    assert call(r, "INCRBYFLOAT", "z", "-0") == "0"
    r.set("i", "10")
    assert call(r, "INCRBYFLOAT", "i", "-0.5") == "9.5"
    assert r.get("i") == "9.5"


def test_incrbyfloat_uses_long_double_precision(r):
    r.set("f", "1e308")
    out = call(r, "INCRBYFLOAT", "f", "1e308")
    assert len(out) == 309 and out.startswith("19999999999999999999")


@pytest.mark.parametrize("incr", ["abc", "nan", "1e5000", "", "1.0.0"])
def test_incrbyfloat_invalid_increment(r, incr):
    with raises_reply("ERR value is not a valid float"):
        call(r, "INCRBYFLOAT", "f", incr)


@pytest.mark.parametrize("value", ["abc", "10.5 ", " 1"])
def test_incrbyfloat_on_non_float_value(r, value):
    r.set("f", value)
    with raises_reply("ERR value is not a valid float"):
        call(r, "INCRBYFLOAT", "f", "1")


@pytest.mark.parametrize("incr", ["inf", "-inf", "+inf"])
def test_incrbyfloat_infinity_increment(r, incr):
    with raises_reply("ERR increment would produce NaN or Infinity"):
        call(r, "INCRBYFLOAT", "f", incr)
    assert r.exists("f") == 0


def test_incrbyfloat_overflow_to_infinity(r):
    r.set("f", "1.1e4932")
    with raises_reply("ERR increment would produce NaN or Infinity"):
        call(r, "INCRBYFLOAT", "f", "1.1e4932")
    assert r.get("f") == "1.1e4932"


# --------------------------------------------------------------------------
# GETRANGE SETRANGE SUBSTR
# --------------------------------------------------------------------------

@pytest.mark.parametrize("start,end,expected", [
    (0, 4, "Hello"), (-5, -1, "World"), (5, 2, ""), (-100, 100, "Hello World"),
    (-1, -5, ""), (20, 30, ""), (0, -1, "Hello World"), (6, 6, "W"),
])
def test_getrange(r, start, end, expected):
    r.set("s", "Hello World")
    assert r.getrange("s", start, end) == expected


def test_getrange_missing_key_is_empty_string(r):
    assert r.getrange("nokey", 0, 10) == ""


def test_getrange_on_integer_encoded_value(r):
    r.set("n", "123456")
    assert r.getrange("n", 1, 3) == "234"


def test_getrange_non_integer_index(r):
    r.set("s", "x")
    with raises_reply(NOT_INT):
        call(r, "GETRANGE", "s", "x", "1")


def test_substr_is_getrange(r):
    r.set("s", "Hello World")
    assert call(r, "SUBSTR", "s", "0", "2") == "Hel"
    assert call(r, "SUBSTR", "s", "-3", "-1") == "rld"


def test_setrange_overwrites_and_pads(r):
    r.set("s", "Hello World")
    assert r.setrange("s", 6, "Redis") == 11
    assert r.get("s") == "Hello Redis"
    assert r.setrange("n", 3, "ab") == 5
    assert r.get("n") == "\x00\x00\x00ab"


def test_setrange_empty_value_on_missing_key_creates_nothing(r):
    assert r.setrange("n", 0, "") == 0
    assert r.setrange("m", 5, "") == 0
    assert r.exists("n", "m") == 0


def test_setrange_negative_offset(r):
    with raises_reply("ERR offset is out of range"):
        call(r, "SETRANGE", "s", "-1", "x")


def test_setrange_beyond_max_size(r):
    with raises_reply("ERR string exceeds maximum allowed size (proto-max-bulk-len)"):
        call(r, "SETRANGE", "s", "536870912", "x")
    assert r.exists("s") == 0


def test_setrange_max_size_follows_proto_max_bulk_len(r, config_restore):
    config_restore("proto-max-bulk-len")
    r.config_set("proto-max-bulk-len", "1mb")
    with raises_reply("ERR string exceeds maximum allowed size (proto-max-bulk-len)"):
        call(r, "SETRANGE", "s", 1024 * 1024, "x")
    assert call(r, "SETRANGE", "s", 1024 * 1024 - 1, "x") == 1024 * 1024


def test_append_beyond_max_size(r, config_restore):
    config_restore("proto-max-bulk-len")
    r.config_set("proto-max-bulk-len", "1mb")
    r.setrange("s", 1024 * 1024 - 1, "x")
    with raises_reply("ERR string exceeds maximum allowed size (proto-max-bulk-len)"):
        r.append("s", "y")
    assert r.strlen("s") == 1024 * 1024


# --------------------------------------------------------------------------
# LCS
# --------------------------------------------------------------------------

@pytest.fixture
def lcs_keys(r):
    r.mset({"k1": "ohmytext", "k2": "mynewtext"})
    return r


def test_lcs_string(lcs_keys):
    assert call(lcs_keys, "LCS", "k1", "k2") == "mytext"


def test_lcs_len(lcs_keys):
    assert call(lcs_keys, "LCS", "k1", "k2", "LEN") == 6


def test_lcs_idx(lcs_keys):
    assert call(lcs_keys, "LCS", "k1", "k2", "IDX") == [
        "matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]


def test_lcs_idx_minmatchlen(lcs_keys):
    assert call(lcs_keys, "LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4") == [
        "matches", [[[4, 7], [5, 8]]], "len", 6]


def test_lcs_idx_withmatchlen(lcs_keys):
    assert call(lcs_keys, 
        "LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == [
        "matches", [[[4, 7], [5, 8], 4]], "len", 6]
    assert call(lcs_keys, "LCS", "k1", "k2", "IDX", "WITHMATCHLEN") == [
        "matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], "len", 6]


def test_lcs_negative_minmatchlen_is_zero(lcs_keys):
    assert call(lcs_keys, "LCS", "k1", "k2", "IDX", "MINMATCHLEN", "-1") == \
        call(lcs_keys, "LCS", "k1", "k2", "IDX")


def test_lcs_missing_keys_are_empty(r):
    r.set("k1", "abc")
    assert call(r, "LCS", "k1", "nokey") == ""
    assert call(r, "LCS", "nokey", "nokey2", "LEN") == 0
    assert call(r, "LCS", "nokey", "nokey2", "IDX") == [
        "matches", [], "len", 0]


def test_lcs_errors(lcs_keys):
    with raises_reply("ERR If you want both the length and indexes, please just use IDX."):
        call(lcs_keys, "LCS", "k1", "k2", "LEN", "IDX")
    with raises_reply(SYNTAX):
        call(lcs_keys, "LCS", "k1", "k2", "FOO")
    with raises_reply(NOT_INT):
        call(lcs_keys, "LCS", "k1", "k2", "MINMATCHLEN", "x")
    with raises_reply("ERR wrong number of arguments for 'lcs' command"):
        call(lcs_keys, "LCS", "k1")


def test_lcs_wrong_type_error(r):
    r.set("k1", "abc")
    make_wrongtype_key(r, "l")
    with raises_reply("ERR The specified keys must contain string values"):
        call(r, "LCS", "k1", "l")


# --------------------------------------------------------------------------
# SETBIT GETBIT BITCOUNT BITPOS BITOP
# --------------------------------------------------------------------------

def test_setbit_returns_previous_bit_and_grows_string(rb):
    assert rb.setbit("b", 7, 1) == 0
    assert rb.get("b") == b"\x01"
    assert rb.setbit("b", 7, 0) == 1
    assert rb.setbit("b", 17, 1) == 0
    assert rb.get("b") == b"\x00\x00\x40"


def test_getbit(rb):
    rb.set("b", b"\x80")
    assert rb.getbit("b", 0) == 1
    assert rb.getbit("b", 1) == 0
    assert rb.getbit("b", 100) == 0
    assert rb.getbit("nokey", 0) == 0


@pytest.mark.parametrize("offset,bit,err", [
    ("0", "2", "ERR bit is not an integer or out of range"),
    ("0", "x", "ERR bit is not an integer or out of range"),
    ("-1", "1", "ERR bit offset is not an integer or out of range"),
    ("4294967296", "1", "ERR bit offset is not an integer or out of range"),
    ("x", "1", "ERR bit offset is not an integer or out of range"),
])
def test_setbit_errors(r, offset, bit, err):
    with raises_reply(err):
        call(r, "SETBIT", "b", offset, bit)
    assert r.exists("b") == 0


def test_getbit_negative_offset(r):
    with raises_reply("ERR bit offset is not an integer or out of range"):
        call(r, "GETBIT", "b", "-1")


@pytest.mark.parametrize("args,expected", [
    ((), 26), (("0", "0"), 4), (("1", "1"), 6), (("1", "1", "BYTE"), 6),
    (("5", "30", "BIT"), 17), (("-2", "-1"), 7), (("-1", "-2"), 0),
    (("0", "-1", "bit"), 26), (("100", "200"), 0),
])
def test_bitcount(r, args, expected):
    r.set("m", "foobar")
    assert call(r, "BITCOUNT", "m", *args) == expected


def test_bitcount_missing_key(r):
    assert call(r, "BITCOUNT", "nokey") == 0
    assert call(r, "BITCOUNT", "nokey", "0", "10", "BIT") == 0


@pytest.mark.parametrize("args,err", [
    (("0",), SYNTAX), (("0", "1", "FOO"), SYNTAX), (("0", "1", "BIT", "x"), SYNTAX),
    (("x", "1"), NOT_INT),
])
def test_bitcount_errors(r, args, err):
    r.set("m", "foobar")
    with raises_reply(err):
        call(r, "BITCOUNT", "m", *args)


@pytest.mark.parametrize("args,expected", [
    (("0",), 12), (("1",), 0), (("0", "1"), 12), (("1", "2"), -1),
    (("1", "2", "-1", "BYTE"), -1), (("1", "7", "15", "BIT"), 7),
    (("0", "0", "-1", "BIT"), 12), (("1", "1"), 8),
])
def test_bitpos(rb, args, expected):
    rb.set("p", b"\xff\xf0\x00")
    assert call(rb, "BITPOS", "p", *args) == expected


def test_bitpos_clear_bit_past_end_depends_on_explicit_end(rb):
    rb.set("ff", b"\xff\xff\xff")
    assert call(rb, "BITPOS", "ff", "0") == 24
    assert call(rb, "BITPOS", "ff", "0", "0") == 24
    assert call(rb, "BITPOS", "ff", "0", "0", "-1") == -1
    assert call(rb, "BITPOS", "ff", "0", "0", "-1", "BIT") == -1


def test_bitpos_missing_key(r):
    assert call(r, "BITPOS", "nokey", "0") == 0
    assert call(r, "BITPOS", "nokey", "1") == -1


def test_bitpos_errors(r):
    r.set("p", "a")
    with raises_reply("ERR The bit argument must be 1 or 0."):
        call(r, "BITPOS", "p", "2")
    with raises_reply(SYNTAX):
        call(r, "BITPOS", "p", "1", "0", "1", "FOO")
    with raises_reply(NOT_INT):
        call(r, "BITPOS", "p", "1", "x")


def test_bitop_and_or_xor_not(rb):
    rb.set("a", b"abc")
    rb.set("b", b"a")
    assert call(rb, "BITOP", "AND", "d", "a", "b") == 3
    assert rb.get("d") == b"a\x00\x00"
    assert call(rb, "BITOP", "OR", "d", "a", "b") == 3
    assert rb.get("d") == b"abc"
    assert call(rb, "BITOP", "XOR", "d", "a", "b") == 3
    assert rb.get("d") == b"\x00bc"
    assert call(rb, "BITOP", "NOT", "d", "b") == 1
    assert rb.get("d") == b"\x9e"
    assert call(rb, "bitop", "and", "d", "a") == 3
    assert rb.get("d") == b"abc"


def test_bitop_missing_sources(rb):
    rb.set("a", b"abc")
    assert call(rb, "BITOP", "AND", "d", "a", "nokey") == 3
    assert rb.get("d") == b"\x00\x00\x00"
    rb.set("d2", b"x")
    assert call(rb, "BITOP", "AND", "d2", "nokey1", "nokey2") == 0
    assert rb.exists("d2") == 0


def test_bitop_errors(r):
    r.set("a", "x")
    with raises_reply("ERR BITOP NOT must be called with a single source key."):
        call(r, "BITOP", "NOT", "d", "a", "a")
    with raises_reply(SYNTAX):
        call(r, "BITOP", "FOO", "d", "a")
    with raises_reply("ERR wrong number of arguments for 'bitop' command"):
        call(r, "BITOP", "AND", "d")


# --------------------------------------------------------------------------
# BITFIELD / BITFIELD_RO
# --------------------------------------------------------------------------

BAD_TYPE = ("ERR Invalid bitfield type. Use something like i16 u8. "
            "Note that u64 is not supported but i64 is.")
BAD_OFFSET = "ERR bit offset is not an integer or out of range"


def bitfield(r, *args):
    return call(r, "BITFIELD", *args)


def test_bitfield_set_get(r):
    assert bitfield(r, "bf", "SET", "i8", "0", "100", "GET", "i8", "0") == [0, 100]


def test_bitfield_incrby_wraps_by_default(r):
    bitfield(r, "bf", "SET", "i8", "0", "100")
    assert bitfield(r, "bf", "INCRBY", "i8", "0", "100") == [-56]


def test_bitfield_overflow_sat(r):
    bitfield(r, "bf", "SET", "i8", "0", "100")
    assert bitfield(r, "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100") == [127]
    assert bitfield(r, "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-300") == [-128]
    assert bitfield(r, "u", "OVERFLOW", "SAT", "INCRBY", "u4", "0", "100") == [15]


def test_bitfield_overflow_fail_returns_nil_and_keeps_value(r):
    bitfield(r, "bf", "SET", "i8", "0", "100")
    assert bitfield(r, "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "100") == [None]
    assert bitfield(r, "bf", "GET", "i8", "0") == [100]
    assert bitfield(r, "s", "OVERFLOW", "FAIL", "SET", "u2", "0", "7") == [None]


def test_bitfield_overflow_applies_to_following_ops(r):
    assert bitfield(r, "s", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-200",
                    "OVERFLOW", "WRAP", "INCRBY", "u4", "#2", "20") == [-128, 4]


def test_bitfield_hash_offsets_are_multiplied_by_width(r):
    assert bitfield(r, "bf", "OVERFLOW", "WRAP", "INCRBY", "u8", "#1", "300") == [44]
    assert bitfield(r, "bf", "GET", "u8", "#1") == [44]
    assert bitfield(r, "bf", "GET", "u8", "8") == [44]
    assert r.strlen("bf") == 2


def test_bitfield_set_wraps_value_to_width(r):
    assert bitfield(r, "bf", "SET", "u8", "0", "256") == [0]
    assert bitfield(r, "bf", "GET", "u8", "0") == [0]
    assert bitfield(r, "bf", "SET", "i8", "0", "-200") == [0]
    assert bitfield(r, "bf", "GET", "i8", "0") == [56]
    assert bitfield(r, "bf", "SET", "u2", "0", "5", "GET", "u2", "0") == [0, 1]


def test_bitfield_widest_types(rb):
    rb.set("bf", b"\xff" * 8)
    assert call(rb, "BITFIELD", "bf", "GET", "i64", "0", "GET", "u63", "0") == [
        -1, 2**63 - 1]


def test_bitfield_missing_key_reads_zero_without_creating(r):
    assert bitfield(r, "nokey", "GET", "u4", "0") == [0]
    assert r.exists("nokey") == 0


def test_bitfield_no_ops_is_empty_array(r):
    assert bitfield(r, "bf") == []


def test_bitfield_get_far_offset_reads_zero(r):
    assert bitfield(r, "bf", "GET", "i8", "4294967288") == [0]
    assert r.exists("bf") == 0


@pytest.mark.parametrize("args,err", [
    (("GET", "u64", "0"), BAD_TYPE),
    (("GET", "i65", "0"), BAD_TYPE),
    (("GET", "x8", "0"), BAD_TYPE),
    (("GET", "i0", "0"), BAD_TYPE),
    (("GET", "i8", "-1"), BAD_OFFSET),
    (("GET", "i8", "x"), BAD_OFFSET),
    (("GET", "i8", "4294967296"), BAD_OFFSET),
    (("OVERFLOW", "FOO"), "ERR Invalid OVERFLOW type specified"),
    (("FOO",), SYNTAX),
    (("SET", "i8", "0"), SYNTAX),
    (("SET", "i8", "0", "x"), NOT_INT),
    (("INCRBY", "i8", "0", "x"), NOT_INT),
])
def test_bitfield_errors(r, args, err):
    with raises_reply(err):
        bitfield(r, "bf", *args)
    assert r.exists("bf") == 0


def test_bitfield_ro_get(r):
    bitfield(r, "bf", "SET", "u8", "0", "120")
    assert call(r, "BITFIELD_RO", "bf", "GET", "u8", "0") == [120]
    assert call(r, "BITFIELD_RO", "nokey", "GET", "u8", "0") == [0]


@pytest.mark.parametrize("op", [("SET", "u8", "0", "1"), ("INCRBY", "u8", "0", "1")])
def test_bitfield_ro_rejects_writes(r, op):
    with raises_reply("ERR BITFIELD_RO only supports the GET subcommand"):
        call(r, "BITFIELD_RO", "bf", *op)
    assert r.exists("bf") == 0


# --------------------------------------------------------------------------
# Expiry through string commands
# --------------------------------------------------------------------------

def test_set_px_key_expires(r):
    call(r, "SET", "k", "v", "PX", "30")
    wait_until(lambda: r.get("k") is None, timeout=2, message="k to expire")


def test_string_value_with_large_size(rb):
    value = b"x" * (2 * 1024 * 1024)
    rb.set("big", value)
    assert rb.strlen("big") == len(value)
    assert rb.get("big") == value
