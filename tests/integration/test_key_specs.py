"""COMMAND key specifications: COMMAND INFO's key-spec section and COMMAND
GETKEYS / GETKEYSANDFLAGS answer as a real redis-server does, for every
command both servers implement (the `peer` is always /usr/bin/redis-server;
in reference mode the suite compares redis-server with itself)."""
import pytest
import redis

from conftest import call

# Commands whose key specs Redis 7.2 changed since 7.0: none of the ones
# tierkv implements (tierkv follows 7.2). Listed here if one ever does.
KEY_SPECS_CHANGED_IN_72 = set()


def command_names(client):
    """Every command and subcommand name ("object|encoding") a server lists."""
    names = []
    for info in call(client, "COMMAND"):
        names.append(info[0])
        names.extend(sub[0] for sub in info[9] or [])
    return names


def key_specs(client, name):
    return call(client, "COMMAND", "INFO", name)[0][8]


def answer(client, *args):
    """The reply, or the error text, so both kinds compare alike."""
    try:
        return call(client, *args)
    except redis.ResponseError as error:
        return f"error: {error}"


def test_command_info_key_specs_match_redis_for_every_command(r, peer):
    reference = peer.client()
    common = sorted(set(command_names(r)) & set(command_names(reference)))
    assert len(common) > 200
    mismatched = {name: (key_specs(r, name), key_specs(reference, name))
                  for name in common if name not in KEY_SPECS_CHANGED_IN_72
                  and key_specs(r, name) != key_specs(reference, name)}
    assert mismatched == {}
    reference.close()


COMMAND_LINES = [
    ("GET", "k"),
    ("SET", "k", "v"),
    ("SET", "k", "v", "EX", "10", "GET"),
    ("SET", "k", "v", "get"),
    ("MSET", "a", "1", "b", "2"),
    ("DEL", "a", "b", "c"),
    ("EXISTS", "a", "b"),
    ("RENAME", "a", "b"),
    ("RENAMENX", "a", "b"),
    ("COPY", "a", "b", "REPLACE"),
    ("LMOVE", "a", "b", "LEFT", "RIGHT"),
    ("BITFIELD", "k", "GET", "u8", "0"),
    ("BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0", "1"),
    ("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1"),
    ("BITFIELD", "k", "bogus"),
    ("BITFIELD_RO", "k", "GET", "u8", "0"),
    ("BITOP", "AND", "d", "a", "b"),
    ("SORT", "k"),
    ("SORT", "k", "STORE", "d"),
    ("SORT", "k", "BY", "w_*", "LIMIT", "0", "1", "GET", "store", "STORE", "d", "STORE", "e"),
    ("SORT_RO", "k", "BY", "w_*"),
    ("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"),
    ("ZUNION", "2", "a", "b"),
    ("ZUNION", "0", "a"),
    ("ZUNION", "x", "a"),
    ("ZUNION", "5", "a"),
    ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("SINTERCARD", "2", "a", "b"),
    ("LMPOP", "2", "a", "b", "LEFT"),
    ("BLMPOP", "0", "2", "a", "b", "LEFT"),
    ("BZMPOP", "0", "1", "a", "MIN"),
    ("BLPOP", "a", "b", "0"),
    ("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"),
    ("XREAD", "STREAMS", "a", "b", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"),
    ("XGROUP", "CREATE", "s", "g", "$"),
    ("XINFO", "STREAM", "s"),
    ("OBJECT", "ENCODING", "k"),
    ("GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d"),
    ("GEORADIUS", "k", "0", "0", "1", "km", "STOREDIST", "d"),
    ("GEORADIUSBYMEMBER", "k", "m", "1", "km", "STORE", "d"),
    ("GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
    ("PFCOUNT", "a", "b"),
    ("PFMERGE", "d", "a", "b"),
    ("LCS", "a", "b"),
    ("WATCH", "a", "b"),
    ("PING",),
    ("NOSUCHCOMMAND", "a"),
    ("GET", "a", "b"),
]


@pytest.mark.parametrize("subcommand", ["GETKEYS", "GETKEYSANDFLAGS"])
def test_command_getkeys_and_flags_match_redis(r, peer, subcommand):
    reference = peer.client()
    for line in COMMAND_LINES:
        assert answer(r, "COMMAND", subcommand, *line) == \
            answer(reference, "COMMAND", subcommand, *line), line
    reference.close()


def test_command_getkeysandflags_of_set_depends_on_get(r):
    assert call(r, "COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v") == [["k", ["OW", "update"]]]
    assert call(r, "COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v", "GET") == \
        [["k", ["RW", "access", "update"]]]


def test_command_info_shows_key_spec_notes(r):
    spec = key_specs(r, "getex")[0]
    assert spec[:2] == ["notes", "RW and UPDATE because it changes the TTL"]
    assert spec[2:4] == ["flags", ["RW", "access", "update"]]
