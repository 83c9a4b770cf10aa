"""SORT and SORT_RO over lists, sets and sorted sets: numeric and ALPHA order, BY with
string keys and hash fields (missing and wrong-type keys), BY without '*' (no sorting),
GET patterns, LIMIT clamping, STORE (and an empty result deleting the destination),
SORT_RO refusing STORE, errors and their precedence, key positions, RESP3 nils, and a
stored result surviving SIGKILL under the journal.

Every expectation was checked against redis-server 7.0.15 (reference mode). ALPHA tests
use values whose order is the same under strcoll in any locale and under byte compare.
"""

import pytest

from conftest import ALWAYS, NOT_INT, SYNTAX, WRONGTYPE, call, is_reference, raises_reply, sigkill, start_server

NOT_DOUBLE = "ERR One or more scores can't be converted into double"


def sort(c, *args):
    return call(c, "SORT", *args)


# ---- numeric and ALPHA order, each source type ----

def test_list_sorts_numerically_by_default(r):
    r.rpush("l", "3", "-1.5", "10", "2", "1e1", "0x10", " 7", "")
    # strtod rules: hex and leading blanks read, "" is 0; equal scores (10, 1e1) by bytes
    assert sort(r, "l") == ["-1.5", "", "2", "3", " 7", "10", "1e1", "0x10"]
    assert sort(r, "l", "DESC") == ["0x10", "1e1", "10", " 7", "3", "2", "", "-1.5"]
    assert sort(r, "l", "desc", "asc") == sort(r, "l")
    assert r.lrange("l", 0, -1)[0] == "3"  # the source is untouched


def test_values_that_are_not_numbers_are_an_error(r):
    for bad in ("abc", "5 ", "nan", "1x"):
        r.delete("l")
        r.rpush("l", "1", bad)
        with raises_reply(NOT_DOUBLE):
            sort(r, "l")
    r.rpush("ok", "inf", "-inf", "0")
    assert sort(r, "ok") == ["-inf", "0", "inf"]


@pytest.mark.tierkv_only
def test_out_of_range_values_are_an_error(r):
    # Redis refuses these too, but leaves errno at ERANGE afterwards (sort.c does not
    # clear it before strtod), failing later sorts of valid numbers: tierkv only.
    for bad in ("1e400", "-1e400", "1e-400"):
        r.delete("l")
        r.rpush("l", "1", bad)
        with raises_reply(NOT_DOUBLE):
            sort(r, "l")
    r.rpush("ok", "2", "1")
    assert sort(r, "ok") == ["1", "2"]


def test_alpha_sorts_bytes(r):
    r.rpush("l", "banana", "apple", "cherry", "10", "9", "apple")
    assert sort(r, "l", "ALPHA") == ["10", "9", "apple", "apple", "banana", "cherry"]
    assert sort(r, "l", "ALPHA", "DESC") == ["cherry", "banana", "apple", "apple", "9", "10"]


def test_sets_sort_by_member(r):
    r.sadd("ints", *[str(n) for n in (5, -3, 100, 42, 0)])
    assert sort(r, "ints") == ["-3", "0", "5", "42", "100"]
    assert sort(r, "ints", "DESC", "LIMIT", "1", "2") == ["42", "5"]
    r.sadd("words", "pear", "fig", "kiwi")
    assert sort(r, "words", "ALPHA") == ["fig", "kiwi", "pear"]
    r.sadd("big", *[str(n) for n in range(1000)])
    assert sort(r, "big", "LIMIT", "995", "10") == ["995", "996", "997", "998", "999"]


def test_sorted_sets_sort_by_member_not_score(r):
    r.zadd("z", {"3": 1, "1": 2, "2": 3})
    assert sort(r, "z") == ["1", "2", "3"]
    assert sort(r, "z", "DESC") == ["3", "2", "1"]
    r.zadd("zw", {"b": 1, "a": 2, "c": 3})
    assert sort(r, "zw", "ALPHA") == ["a", "b", "c"]
    with raises_reply(NOT_DOUBLE):
        sort(r, "zw")


def test_missing_key_sorts_as_empty(r):
    assert sort(r, "nothing") == []
    assert sort(r, "nothing", "BY", "nosort", "LIMIT", "0", "5") == []
    assert call(r, "SORT_RO", "nothing", "ALPHA") == []


def test_other_types_are_wrongtype(r):
    r.set("s", "1")
    r.hset("h", "f", "1")
    r.xadd("x", {"f": "v"})
    for key in ("s", "h", "x"):
        with raises_reply(WRONGTYPE):
            sort(r, key)
        with raises_reply(WRONGTYPE):
            call(r, "SORT_RO", key)
        with raises_reply(WRONGTYPE):
            sort(r, key, "STORE", "dst")


# ---- BY ----

def test_by_string_keys(r):
    r.rpush("l", "a", "b", "c", "d")
    r.mset({"w_a": "30", "w_b": "10", "w_c": "20"})  # w_d missing: scores 0
    assert sort(r, "l", "BY", "w_*") == ["d", "b", "c", "a"]
    assert sort(r, "l", "BY", "w_*", "DESC") == ["a", "c", "b", "d"]
    # only the first '*' is replaced
    r.set("x_a_*", "5")
    r.set("x_b_*", "1")
    assert sort(r, "l", "BY", "x_*_*", "LIMIT", "2", "2") == ["b", "a"]


def test_by_ties_and_missing_keys_order_by_element(r):
    r.rpush("l", "c", "a", "b")
    assert sort(r, "l", "BY", "missing_*") == ["a", "b", "c"]
    assert sort(r, "l", "BY", "missing_*", "DESC") == ["c", "b", "a"]
    r.mset({"w_a": "1", "w_b": "1", "w_c": "0"})
    assert sort(r, "l", "BY", "w_*") == ["c", "a", "b"]


def test_by_hash_field(r):
    r.rpush("l", "1", "2", "3")
    r.hset("h_1", mapping={"age": "40", "name": "carol"})
    r.hset("h_2", mapping={"age": "20", "name": "alice"})
    r.hset("h_3", mapping={"age": "30", "name": "bob"})
    assert sort(r, "l", "BY", "h_*->age") == ["2", "3", "1"]
    assert sort(r, "l", "BY", "h_*->name", "ALPHA") == ["2", "3", "1"]
    assert sort(r, "l", "BY", "h_*->name", "ALPHA", "DESC") == ["1", "3", "2"]
    with raises_reply(NOT_DOUBLE):
        sort(r, "l", "BY", "h_*->name")
    # a missing field scores 0; "->" with nothing after it is part of the key name
    assert sort(r, "l", "BY", "h_*->nope", "DESC") == ["3", "2", "1"]
    r.set("h_2->", "-1")
    assert sort(r, "l", "BY", "h_*->") == ["2", "1", "3"]


def test_by_key_of_the_wrong_type_reads_as_missing(r):
    r.rpush("l", "a", "b", "c")
    r.set("w_a", "3")
    r.rpush("w_b", "1")          # a list: not a string, so missing
    r.hset("w_c", "f", "2")      # a hash without ->field: missing
    r.set("s_a", "plain")        # a string read with ->field: missing
    assert sort(r, "l", "BY", "w_*") == ["b", "c", "a"]
    assert sort(r, "l", "BY", "s_*->f") == ["a", "b", "c"]


def test_by_alpha_missing_values_sort_first(r):
    r.rpush("l", "1", "2", "3")
    r.mset({"n_1": "zed", "n_3": "amy"})
    assert sort(r, "l", "BY", "n_*", "ALPHA") == ["2", "3", "1"]
    assert sort(r, "l", "BY", "n_*", "ALPHA", "DESC") == ["1", "3", "2"]


def test_by_without_star_keeps_list_order(r):
    r.rpush("l", "c", "a", "d", "b", "e")
    assert sort(r, "l", "BY", "nosort") == ["c", "a", "d", "b", "e"]
    assert sort(r, "l", "BY", "nosort", "DESC") == ["e", "b", "d", "a", "c"]
    assert sort(r, "l", "BY", "nosort", "LIMIT", "1", "2") == ["a", "d"]
    assert sort(r, "l", "BY", "nosort", "LIMIT", "1", "2", "DESC") == ["b", "d"]
    assert sort(r, "l", "BY", "nosort", "LIMIT", "3", "100", "DESC") == ["a", "c"]
    # no scores are read: non-numbers are fine
    assert sort(r, "l", "BY", "nosort", "ALPHA", "LIMIT", "4", "1") == ["e"]
    # a BY without '*' stays in force even if a later BY has one
    assert sort(r, "l", "BY", "nosort", "BY", "w_*") == ["c", "a", "d", "b", "e"]


def test_by_without_star_keeps_sorted_set_order(r):
    r.zadd("z", {"c": 1, "a": 2, "d": 3, "b": 4})
    assert sort(r, "z", "BY", "nosort") == ["c", "a", "d", "b"]
    assert sort(r, "z", "BY", "nosort", "DESC") == ["b", "d", "a", "c"]
    assert sort(r, "z", "BY", "nosort", "LIMIT", "1", "2") == ["a", "d"]
    assert sort(r, "z", "BY", "nosort", "LIMIT", "1", "2", "DESC") == ["d", "a"]
    assert sort(r, "z", "BY", "nosort", "LIMIT", "3", "5", "DESC") == ["c"]
    assert sort(r, "z", "BY", "nosort", "LIMIT", "4", "1") == []


def test_by_without_star_on_a_set_returns_its_members(r):
    r.sadd("s", "x", "y", "z", "w")
    assert sorted(sort(r, "s", "BY", "nosort")) == ["w", "x", "y", "z"]
    assert len(sort(r, "s", "BY", "nosort", "LIMIT", "1", "2")) == 2
    # with STORE a set is sorted ALPHA (DESC still applies) so the stored list is
    # deterministic
    assert sort(r, "s", "BY", "nosort", "STORE", "dst") == 4
    assert r.lrange("dst", 0, -1) == ["w", "x", "y", "z"]
    assert sort(r, "s", "BY", "nosort", "DESC", "LIMIT", "1", "2", "STORE", "dst") == 2
    assert r.lrange("dst", 0, -1) == ["y", "x"]


# ---- GET ----

def test_get_patterns(r):
    r.rpush("l", "2", "1", "3")
    r.mset({"name_1": "one", "name_2": "two"})  # name_3 missing
    r.hset("obj_1", "color", "red")
    r.hset("obj_3", "color", "blue")
    assert sort(r, "l", "GET", "name_*") == ["one", "two", None]
    assert sort(r, "l", "GET", "#", "GET", "name_*", "GET", "obj_*->color") == [
        "1", "one", "red", "2", "two", None, "3", None, "blue"]
    assert sort(r, "l", "GET", "fixed") == [None, None, None]  # no '*': nil
    assert sort(r, "l", "DESC", "LIMIT", "0", "1", "GET", "#", "GET", "#") == ["3", "3"]


def test_get_with_by_and_hash_fields(r):
    r.sadd("ids", "1", "2", "3")
    for i, (name, age) in {1: ("carol", 41), 2: ("alice", 23), 3: ("bob", 37)}.items():
        r.hset(f"user:{i}", mapping={"name": name, "age": age})
    assert sort(r, "ids", "BY", "user:*->age", "GET", "user:*->name") == ["alice", "bob", "carol"]
    assert sort(r, "ids", "BY", "user:*->name", "ALPHA", "DESC", "GET", "#", "GET", "user:*->age") == [
        "1", "41", "3", "37", "2", "23"]
    assert sort(r, "ids", "BY", "nosort", "GET", "user:*->missing") == [None, None, None]


def test_get_reads_wrong_types_as_nil(r):
    r.rpush("l", "a")
    r.rpush("v_a", "list")
    assert sort(r, "l", "ALPHA", "GET", "v_*", "GET", "v_*->f") == [None, None]


# ---- LIMIT ----

def test_limit_clamping(r):
    r.rpush("l", *[str(n) for n in range(10)])
    assert sort(r, "l", "LIMIT", "0", "3") == ["0", "1", "2"]
    assert sort(r, "l", "LIMIT", "8", "5") == ["8", "9"]
    assert sort(r, "l", "LIMIT", "-5", "2") == ["0", "1"]          # negative offset: 0
    assert sort(r, "l", "LIMIT", "7", "-1") == ["7", "8", "9"]     # negative count: all
    assert sort(r, "l", "LIMIT", "3", "0") == []
    assert sort(r, "l", "LIMIT", "10", "1") == []
    assert sort(r, "l", "LIMIT", "1", "9223372036854775807") == [str(n) for n in range(1, 10)]
    assert sort(r, "l", "LIMIT", "9223372036854775807", "9223372036854775807") == []
    assert sort(r, "l", "LIMIT", "0", "2", "LIMIT", "5", "1") == ["5"]  # the last wins
    assert sort(r, "l", "DESC", "LIMIT", "0", "2") == ["9", "8"]
    assert sort(r, "l", "LIMIT", "2", "2", "BY", "w_*") == ["2", "3"]  # partial sort with BY


def test_limit_arguments(r):
    r.rpush("l", "1")
    with raises_reply(NOT_INT):
        sort(r, "l", "LIMIT", "a", "1")
    with raises_reply(NOT_INT):
        sort(r, "l", "LIMIT", "0", "1.5")
    with raises_reply(SYNTAX):
        sort(r, "l", "LIMIT", "0")


# ---- STORE ----

def test_store_writes_a_list(r):
    r.rpush("l", "3", "1", "2")
    assert sort(r, "l", "STORE", "dst") == 3
    assert r.type("dst") == "list"
    assert r.lrange("dst", 0, -1) == ["1", "2", "3"]
    # replaces any type and drops the TTL
    r.set("str", "x", ex=1000)
    assert sort(r, "l", "DESC", "STORE", "str") == 3
    assert r.lrange("str", 0, -1) == ["3", "2", "1"]
    assert r.ttl("str") == -1
    # the source itself can be the destination; the last STORE wins
    assert sort(r, "l", "STORE", "other", "LIMIT", "0", "2", "STORE", "l") == 2
    assert r.lrange("l", 0, -1) == ["1", "2"]
    assert not r.exists("other")


def test_store_with_get_stores_empty_strings_for_missing(r):
    r.rpush("l", "1", "2")
    r.set("v_1", "one")
    assert sort(r, "l", "GET", "#", "GET", "v_*", "STORE", "dst") == 4
    assert r.lrange("dst", 0, -1) == ["1", "one", "2", ""]


def test_store_of_an_empty_result_deletes_the_destination(r):
    r.rpush("dst", "old")
    assert sort(r, "nothing", "STORE", "dst") == 0
    assert not r.exists("dst")
    r.rpush("l", "1", "2")
    r.set("dst", "old")
    assert sort(r, "l", "LIMIT", "5", "1", "STORE", "dst") == 0
    assert not r.exists("dst")
    assert sort(r, "l", "LIMIT", "0", "0", "STORE", "never") == 0
    assert not r.exists("never")


def test_store_error_leaves_the_destination(r):
    r.rpush("l", "x", "y")
    r.set("dst", "keep")
    with raises_reply(NOT_DOUBLE):
        sort(r, "l", "STORE", "dst")
    assert r.get("dst") == "keep"


def test_store_large_result_is_a_quicklist(r):
    r.rpush("l", *[f"{n:030d}" for n in range(1000)])  # ~32 KB: past one 8 KB node
    assert sort(r, "l", "DESC", "STORE", "dst") == 1000
    assert r.lrange("dst", 0, 1) == [f"{999:030d}", f"{998:030d}"]
    assert call(r, "OBJECT", "ENCODING", "dst") == "quicklist"
    sort(r, "l", "LIMIT", "0", "3", "STORE", "small")
    # Redis 7.2 stores a small result as a listpack; 7.0 lists are always quicklists
    assert call(r, "OBJECT", "ENCODING", "small") == ("quicklist" if is_reference() else "listpack")


def test_store_is_seen_by_watch(r, server):
    r.rpush("l", "2", "1")
    other = server.client()
    pipe = other.pipeline(transaction=True)
    pipe.watch("dst")
    sort(r, "l", "STORE", "dst")
    pipe.multi()
    pipe.set("dst", "x")
    with pytest.raises(Exception):
        pipe.execute()
    other.close()
    assert r.lrange("dst", 0, -1) == ["1", "2"]


# ---- SORT_RO, options, errors ----

def test_sort_ro(r):
    r.rpush("l", "b", "a")
    r.mset({"w_a": "2", "w_b": "1"})
    assert call(r, "SORT_RO", "l", "ALPHA") == ["a", "b"]
    assert call(r, "SORT_RO", "l", "BY", "w_*", "GET", "#", "LIMIT", "0", "1") == ["b"]
    with raises_reply(SYNTAX):
        call(r, "SORT_RO", "l", "ALPHA", "STORE", "dst")
    assert not r.exists("dst")


def test_options_are_case_insensitive_and_unknown_ones_are_syntax_errors(r):
    r.rpush("l", "b", "a")
    assert sort(r, "l", "alpha", "desc", "limit", "0", "1", "get", "#", "by", "nosort") == ["a"]
    for args in (["ALPHAX"], ["BY"], ["GET"], ["STORE"], ["LIMIT", "1"], ["ASC", "nope"]):
        with raises_reply(SYNTAX):
            sort(r, "l", *args)
    with raises_reply("ERR wrong number of arguments for 'sort' command"):
        sort(r)


def test_syntax_errors_come_before_wrongtype(r):
    r.set("s", "x")
    with raises_reply(SYNTAX):
        sort(r, "s", "BOGUS")
    with raises_reply(NOT_INT):
        sort(r, "s", "LIMIT", "x", "1")


def test_command_metadata(r):
    info = call(r, "COMMAND", "INFO", "sort", "sort_ro")
    sort_info, ro_info = info
    assert sort_info[0] == "sort" and sort_info[1] == -2
    assert set(sort_info[2]) == {"write", "denyoom", "movablekeys"}
    assert sort_info[3:6] == [1, 1, 1]
    assert ro_info[0] == "sort_ro" and ro_info[1] == -2
    assert set(ro_info[2]) == {"readonly", "movablekeys"}
    assert call(r, "COMMAND", "GETKEYS", "SORT", "l", "STORE", "d", "STORE", "e",
                "LIMIT", "0", "1", "GET", "store", "BY", "store") == ["l", "e"]
    assert call(r, "COMMAND", "GETKEYS", "SORT", "l", "ALPHA") == ["l"]
    assert call(r, "COMMAND", "GETKEYS", "SORT_RO", "l", "GET", "x_*") == ["l"]


def test_resp3_nil_items(r3):
    assert r3.call("RPUSH", "l", "1") == 1
    assert r3.call("SORT", "l", "GET", "#", "GET", "none_*") == [b"1", None]


def test_lookups_count_keyspace_hits(r):
    r.rpush("l", "1", "2")
    r.set("w_1", "5")
    r.config_resetstat()
    sort(r, "l", "BY", "w_*", "GET", "w_*")
    stats = r.info("stats")
    # the list, then BY and GET each find w_1 and miss w_2
    assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (3, 2)


# ---- durability ----

def test_stored_results_survive_sigkill(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    c.rpush("src", *[str(n) for n in range(300, 0, -1)])
    c.set("w_5", "-1")
    sort(c, "src", "STORE", "asc")
    sort(c, "src", "BY", "w_*", "DESC", "LIMIT", "0", "3", "STORE", "by")
    c.set("gone", "x")
    sort(c, "missing", "STORE", "gone")
    assert c.save() is True
    sort(c, "src", "DESC", "LIMIT", "0", "2", "STORE", "asc")  # after the checkpoint
    before = {k: c.lrange(k, 0, -1) for k in ("asc", "by")}
    assert before["asc"] == ["300", "299"]
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert {k: c.lrange(k, 0, -1) for k in ("asc", "by")} == before
        assert not c.exists("gone")
    finally:
        srv.stop()
