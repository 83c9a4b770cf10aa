"""COMMAND DOCS answers as a real redis-server does: the same fields, values
and nesting for every command both servers implement, in RESP2 and RESP3
(the `peer` is always /usr/bin/redis-server 7.0; in reference mode the suite
compares redis-server with itself). tierkv follows Redis 7.2, whose docs
differ from 7.0's where listed below."""
import pytest

from conftest import RespConn, RespMap, RespSet, SimpleString, call, is_reference

# Redis 7.2 reworded every command's summary; tierkv answers 7.2's text.
SUMMARY_REWORDED_IN_72 = "summary"

# The docs Redis 7.2 changed for commands tierkv implements with 7.2's
# behaviour: {full name: (the fields that differ from 7.0, why)}.
CHANGED_IN_72 = {
    "zrank": ({"history", "arguments"}, "7.2 added WITHSCORE"),
    "zrevrank": ({"history", "arguments"}, "7.2 added WITHSCORE"),
    "xinfo|consumers": ({"history"}, "7.2 added the consumer's inactive field"),
    "xinfo|stream": ({"history"}, "7.2 added the consumers' active-time field"),
    "client|list": ({"history"}, "7.2 added the lib-name and lib-ver fields"),
    "quit": ({"doc_flags", "deprecated_since", "replaced_by"}, "7.2 deprecated QUIT"),
    "geodist": ({"complexity"}, "7.2 corrected it to O(1)"),
    "geohash": ({"complexity"}, "7.2 corrected it to O(1) per member"),
    "geopos": ({"complexity"}, "7.2 corrected it to O(1) per member"),
    "hscan": ({"complexity"}, "7.2 dropped a doubled full stop"),
    "sscan": ({"complexity"}, "7.2 dropped a doubled full stop"),
    "zscan": ({"complexity"}, "7.2 dropped a doubled full stop"),
}


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


def all_docs(client):
    """{full name: docs} of every command and subcommand, from one COMMAND DOCS."""
    docs = {}
    for name, flat in pairs(call(client, "COMMAND", "DOCS")).items():
        doc = pairs(flat)
        docs[name] = doc
        for sub_name, sub_flat in pairs(doc.pop("subcommands", [])).items():
            docs[sub_name] = pairs(sub_flat)
    return docs


def comparable(name, doc, *, keep_summary=False):
    """The fields of `doc` that Redis 7.0 and 7.2 agree on for `name`."""
    left_out = set(CHANGED_IN_72.get(name, ((), ""))[0])
    if not keep_summary:
        left_out.add(SUMMARY_REWORDED_IN_72)
    return {field: value for field, value in doc.items() if field not in left_out}


def test_command_docs_match_redis_for_every_command(r, peer):
    reference = peer.client()
    ours, theirs = all_docs(r), all_docs(reference)
    common = sorted(set(ours) & set(theirs))
    assert len(common) > 230
    mismatched = {name: (comparable(name, ours[name]), comparable(name, theirs[name]))
                  for name in common
                  if comparable(name, ours[name]) != comparable(name, theirs[name])}
    assert mismatched == {}
    reference.close()


def test_command_docs_with_no_names_document_every_command(r):
    docs = pairs(call(r, "COMMAND", "DOCS"))
    assert len(docs) == call(r, "COMMAND", "COUNT")
    assert all(pairs(doc)["summary"] for doc in docs.values())


@pytest.mark.parametrize("name", ["CONFIG|SET", "xinfo|stream", "Client|List", "zadd", "getset", "sort"])
def test_named_command_docs_match_redis(r, peer, name):
    reference = peer.client()
    (ours_name, ours), = pairs(call(r, "COMMAND", "DOCS", name)).items()
    (their_name, theirs), = pairs(call(reference, "COMMAND", "DOCS", name)).items()
    assert ours_name == their_name == name.lower()
    key = name.lower()
    assert comparable(key, pairs(ours)) == comparable(key, pairs(theirs))
    reference.close()


def test_command_docs_leave_out_unknown_names(r, peer):
    reference = peer.client()
    for client in (r, reference):
        assert pairs(call(client, "COMMAND", "DOCS", "get", "nosuch", "config|nosuch")).keys() == {"get"}
    reference.close()


def typed(value):
    """A RESP3 reply with every aggregate's and string's type kept, since
    list == RespSet and str == SimpleString in Python."""
    if isinstance(value, RespMap):
        return ("map", {typed(k): typed(v) for k, v in value.items()})
    if isinstance(value, RespSet):
        return ("set", [typed(item) for item in value])
    if isinstance(value, list):
        return ("array", [typed(item) for item in value])
    if isinstance(value, SimpleString):
        return ("simple", str(value))
    return (type(value).__name__, value)


def resp3(port):
    conn = RespConn(port)
    assert isinstance(conn.call("HELLO", "3"), RespMap)
    return conn


def test_command_docs_resp3_shapes_match_redis(server, peer):
    """Maps for docs and arguments, sets for doc_flags, history and flags."""
    ours, theirs = resp3(server.port), resp3(peer.port)
    names = ("zadd", "getset", "debug", "config|set", "xinfo|stream", "georadius", "sort")
    try:
        ours_docs = ours.call("COMMAND", "DOCS", *names)
        their_docs = theirs.call("COMMAND", "DOCS", *names)
        assert isinstance(ours_docs, RespMap)
        for name in names:
            ours_doc, their_doc = ours_docs[name.encode()], their_docs[name.encode()]
            assert isinstance(ours_doc, RespMap)
            del ours_doc[b"summary"], their_doc[b"summary"]
            if name == "xinfo|stream" and not is_reference():  # CHANGED_IN_72: one more history entry
                ours_doc[b"history"].pop()
            assert typed(ours_doc) == typed(their_doc), name
    finally:
        ours.close()
        theirs.close()


@pytest.mark.tierkv_only
def test_command_docs_show_what_redis_72_changed(r):
    zrank = pairs(pairs(call(r, "COMMAND", "DOCS", "zrank"))["zrank"])
    assert zrank["history"] == [["7.2.0", "Added the optional `WITHSCORE` argument."]]
    assert pairs(zrank["arguments"][-1]) == {"name": "withscore", "type": "pure-token", "token": "WITHSCORE",
                                             "flags": ["optional"]}
    quit_docs = pairs(pairs(call(r, "COMMAND", "DOCS", "quit"))["quit"])
    assert quit_docs["doc_flags"] == ["deprecated"]
    assert quit_docs["deprecated_since"] == "7.2.0"
    assert quit_docs["replaced_by"] == "just closing the connection"


@pytest.mark.tierkv_only
def test_command_docs_of_commands_redis_70_lacks(r):
    docs = all_docs(r)
    setinfo = docs["client|setinfo"]
    assert setinfo["since"] == "7.2.0"
    (attr,) = (pairs(arg) for arg in setinfo["arguments"])
    assert [pairs(arg)["token"] for arg in attr["arguments"]] == ["lib-name", "lib-ver"]
    assert [pairs(arg)["name"] for arg in docs["client|no-touch"]["arguments"]] == ["enabled"]
