"""BITFIELD counts as a change only when it changes the string: a SET or INCRBY that
leaves every bit as it was neither breaks a WATCH nor adds to the dirty counter, as
SETBIT already does (Redis 7.2; 7.0 counts every SET/INCRBY)."""
import pytest

from conftest import call


def dirty(r):
    return r.info("persistence")["rdb_changes_since_last_save"]


def watch_then(raw, r, *command):
    """Runs `command` from another client between WATCH k and EXEC; True if EXEC ran."""
    conn = raw()
    assert conn.call("WATCH", "k") == "OK"
    call(r, *command)
    assert conn.call("MULTI") == "OK"
    assert conn.call("PING") == "QUEUED"
    return conn.call("EXEC") is not None


@pytest.mark.tierkv_only
@pytest.mark.parametrize("command, reply", [
    (("BITFIELD", "k", "SET", "u8", "0", "65"), [65]),
    (("BITFIELD", "k", "SET", "i4", "#1", "1"), [1]),
    (("BITFIELD", "k", "INCRBY", "u8", "8", "0"), [66]),
    (("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"), [None]),
    (("BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0", "65", "SET", "u8", "0", "65"), [65, 65, 65]),
], ids=["set", "set-signed", "incrby-0", "incrby-fail", "several"])
def test_bitfield_that_rewrites_the_same_bits_changes_nothing(r, raw, command, reply):
    r.set("k", "AB")
    before = dirty(r)
    assert call(r, *command) == reply
    assert dirty(r) == before
    assert watch_then(raw, r, *command)
    assert r.get("k") == "AB"


def test_bitfield_that_changes_bits_or_grows_the_string_is_a_change(r, raw):
    r.set("k", "AB")
    before = dirty(r)
    assert call(r, "BITFIELD", "k", "SET", "u8", "0", "66") == [65]
    assert dirty(r) == before + 1
    assert not watch_then(raw, r, "BITFIELD", "k", "SET", "u8", "0", "67")
    # Writing zeros past the end still grows the string.
    assert not watch_then(raw, r, "BITFIELD", "k", "SET", "u8", "24", "0")
    assert r.get("k") == "CB\x00\x00"
