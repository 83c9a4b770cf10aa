"""DEBUG subcommands operators and tools use: POPULATE, SLEEP with fractions,
CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-LEN and the layout reports
(LISTPACK, QUICKLIST, HTSTATS, HTSTATS-KEY), whose text is tierkv's own: only their reply
types, outline and errors are Redis's."""
import time

import pytest

from conftest import ALWAYS, NOT_INT, call, raises_reply, sigkill, start_server

UNKNOWN = "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP."
NEGATIVE = "ERR value is out of range, must be positive"


# --- POPULATE -------------------------------------------------------------------------

def test_populate_creates_numbered_keys_with_numbered_values(r):
    assert call(r, "DEBUG", "POPULATE", "3") == "OK"
    assert sorted(r.keys()) == ["key:0", "key:1", "key:2"]
    assert r.mget("key:0", "key:2") == ["value:0", "value:2"]
    assert call(r, "DEBUG", "POPULATE", "0") == "OK"
    assert r.dbsize() == 3


def test_populate_pads_values_with_zero_bytes_or_cuts_them_to_size(rb):
    assert rb.execute_command("DEBUG", "POPULATE", "2", "pad", "10") == b"OK"
    assert rb.get("pad:1") == b"value:1\x00\x00\x00"
    assert rb.execute_command("DEBUG", "POPULATE", "12", "cut", "3") == b"OK"
    assert rb.get("cut:11") == b"val"
    assert rb.execute_command("DEBUG", "POPULATE", "1", "same", "0") == b"OK"
    assert rb.get("same:0") == b"value:0"


def test_populate_leaves_existing_keys_alone(r):
    r.set("key:1", "mine")
    r.rpush("key:2", "a list")
    assert call(r, "DEBUG", "POPULATE", "4") == "OK"
    assert r.get("key:1") == "mine"
    assert r.type("key:2") == "list"
    assert r.get("key:3") == "value:3"


def test_populate_cuts_key_names_to_127_bytes(r):
    prefix = "p" * 200
    assert call(r, "DEBUG", "POPULATE", "2", prefix) == "OK"
    assert r.keys() == ["p" * 127]  # both names cut to the same key


@pytest.mark.parametrize("args, error", [
    (("POPULATE", "-1"), NEGATIVE),
    (("POPULATE", "x"), NEGATIVE),  # Redis words a non-integer the same way
    (("POPULATE", "1", "p", "-5"), NEGATIVE),
    (("POPULATE", "1", "p", "1.5"), NEGATIVE),
    (("POPULATE",), UNKNOWN.format("POPULATE")),
    (("POPULATE", "1", "p", "1", "extra"), UNKNOWN.format("POPULATE")),
])
def test_populate_errors(r, args, error):
    with raises_reply(error):
        call(r, "DEBUG", *args)
    assert r.dbsize() == 0


@pytest.mark.tierkv_only  # Redis does not propagate DEBUG POPULATE to its AOF
def test_populated_keys_are_journaled_and_survive_a_kill(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    assert c.execute_command("DEBUG", "POPULATE", "50", "p", "12") in ("OK", b"OK")
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.dbsize() == 50
        assert c.get("p:49") in ("value:49\x00\x00\x00\x00", b"value:49\x00\x00\x00\x00")
    finally:
        srv.stop()


# --- SLEEP, CHANGE-REPL-ID --------------------------------------------------------------

def test_sleep_accepts_fractions_of_a_second(r):
    started = time.monotonic()
    assert call(r, "DEBUG", "SLEEP", "0.2") == "OK"
    assert 0.2 <= time.monotonic() - started < 5
    assert call(r, "DEBUG", "SLEEP", "junk") == "OK"  # strtod: junk is 0


def test_change_repl_id_gives_a_new_replication_id(r):
    before = r.info("replication")["master_replid"]
    assert call(r, "DEBUG", "CHANGE-REPL-ID") == "OK"
    after = r.info("replication")["master_replid"]
    assert after != before and len(after) == 40


# --- QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-LEN ----------------------------------------

def test_quicklist_packed_threshold_is_set_and_lists_keep_working(r):
    try:
        assert call(r, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100") == "OK"
        values = [("x" * 150) if i % 3 == 0 else str(i) for i in range(300)]
        r.rpush("l", *values)
        r.linsert("l", "BEFORE", "1", "y" * 120)
        values.insert(1, "y" * 120)
        assert r.lrange("l", 0, -1) == values
        assert call(r, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1kb") == "OK"
    finally:
        call(r, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")


@pytest.mark.parametrize("size", ["5gb", "4294967296", "abc"])
def test_quicklist_packed_threshold_errors(r, size):
    with raises_reply("ERR argument must be a memory value bigger than 1 and smaller than 4gb"):
        call(r, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", size)


@pytest.mark.tierkv_only  # STRINGMATCH-TEST in Redis 7.0
def test_stringmatch_len_fuzzes_the_pattern_matcher(r):
    assert call(r, "DEBUG", "STRINGMATCH-LEN") == "Apparently Redis did not crash: test passed"


# --- layout reports -----------------------------------------------------------------------

def big_list(r):
    r.rpush("l", *[f"element-{i:012d}" for i in range(2000)])


def test_listpack_and_quicklist_answer_a_status(r):
    r.hset("h", "f", "v")
    big_list(r)
    r.set("s", "string")
    assert call(r, "DEBUG", "LISTPACK", "h") == "Listpack structure printed on stdout"
    assert call(r, "DEBUG", "QUICKLIST", "l") == "Quicklist structure printed on stdout"
    assert call(r, "DEBUG", "QUICKLIST", "l", "1") == "Quicklist structure printed on stdout"
    with raises_reply("ERR Not a listpack encoded object."):
        call(r, "DEBUG", "LISTPACK", "s")
    with raises_reply("ERR Not a quicklist encoded object."):
        call(r, "DEBUG", "QUICKLIST", "h")
    for sub in ("LISTPACK", "QUICKLIST"):
        with raises_reply("ERR no such key"):
            call(r, "DEBUG", sub, "missing")


def test_htstats_reports_the_key_and_expire_tables_as_text(r):
    text = call(r, "DEBUG", "HTSTATS", "0")
    assert isinstance(text, str)
    assert text.startswith("[Dictionary HT]\n") and "[Expires HT]\n" in text
    r.set("a", "1")
    r.set("b", "2", ex=100)
    text = call(r, "DEBUG", "HTSTATS", "0")
    dictionary, expires = text.split("[Expires HT]\n")
    assert "Hash table 0 stats (main hash table):\n table size: " in dictionary
    assert " number of elements: 2\n" in dictionary
    assert " number of elements: 1\n" in expires


@pytest.mark.tierkv_only  # the FULL argument arrived in Redis 7.2
def test_htstats_full_is_accepted(r):
    r.hset("big", mapping={"f1": "v" * 100, "f2": "v"})
    assert call(r, "DEBUG", "HTSTATS", "0", "full").startswith("[Dictionary HT]\n")
    assert call(r, "DEBUG", "HTSTATS-KEY", "big", "full").startswith("Hash table 0 stats")


@pytest.mark.parametrize("db, error", [("99", "ERR Out of range database"), ("-1", "ERR Out of range database"),
                                       ("x", NOT_INT)])
def test_htstats_errors(r, db, error):
    with raises_reply(error):
        call(r, "DEBUG", "HTSTATS", db)


def test_htstats_key_reports_a_hashtable_value(r):
    r.hset("big", mapping={"f1": "v" * 100, "f2": "v"})  # a long value: hashtable
    r.hset("small", "f", "v")
    text = call(r, "DEBUG", "HTSTATS-KEY", "big")
    assert text.startswith("Hash table 0 stats (main hash table):\n table size: ")
    assert " number of elements: 2\n" in text
    with raises_reply("ERR The value stored at the specified key is not represented using an hash table"):
        call(r, "DEBUG", "HTSTATS-KEY", "small")
    with raises_reply("ERR no such key"):
        call(r, "DEBUG", "HTSTATS-KEY", "missing")
