"""ACL: users, passwords, command categories, key and channel patterns, selectors,
NOPERM errors, ACL LOG, AUTH/HELLO AUTH, the ACL subcommands, users in the config
file and the ACL file. Categories and the allow/deny matrix are compared with a
redis-server peer; everything else is Redis 7.0's exact text."""
import contextlib
import hashlib
import os

import pytest
import redis

from conftest import call, is_reference, raises_reply

CMD_DENIED = "NOPERM this user has no permissions to run the '{}' command"
KEY_DENIED = "NOPERM this user has no permissions to access one of the keys used as arguments"
CHANNEL_DENIED = "NOPERM this user has no permissions to access one of the channels used as arguments"
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


@contextlib.contextmanager
def denied(full_message):
    """A NOPERM error with exactly this text (redis-py drops the code from the message)."""
    with pytest.raises(redis.exceptions.NoPermissionError) as info:
        yield info
    assert "NOPERM " + str(info.value) == full_message


def same_permissions(ours, theirs, user):
    """The user may run the same commands (a dry run of each, keys and channels
    allowed) on both servers: Redis 7.0 words ACL LIST's command rules differently
    (7.2 keeps the rules as given, as tierkv does)."""
    for name, args in dryrun_commands(commands_of(ours), commands_of(theirs)):
        assert call(ours, "ACL", "DRYRUN", user, *args) == call(theirs, "ACL", "DRYRUN", user, *args), args


@pytest.fixture
def acl(r):
    """A clean slate: only the default user, an empty ACL LOG."""
    for name in call(r, "ACL", "USERS"):
        if name != "default":
            call(r, "ACL", "DELUSER", name)
    call(r, "ACL", "SETUSER", "default", "on", "nopass", "clearselectors", "~*", "&*", "+@all")
    call(r, "ACL", "LOG", "RESET")
    yield r
    for name in call(r, "ACL", "USERS"):
        if name != "default":
            call(r, "ACL", "DELUSER", name)


def login(server, user, password="pw", **kwargs):
    return server.client(username=user, password=password, **kwargs)


def commands_of(client):
    """Every command and subcommand the server has, with its arity."""
    out = {}
    for info in call(client, "COMMAND"):
        out[info[0]] = info[1]
        for sub in info[9] or []:
            out[sub[0]] = sub[1]
    return out


# ---------------------------------------------------------------- categories


def test_category_names_are_redis_s(acl, peer):
    assert call(acl, "ACL", "CAT") == call(peer.client(), "ACL", "CAT")


def test_category_members_match_redis(acl, peer):
    ours = commands_of(acl)
    theirs_client = peer.client()
    theirs = commands_of(theirs_client)
    common = set(ours) & set(theirs)
    for category in call(acl, "ACL", "CAT"):
        got = set(call(acl, "ACL", "CAT", category)) & common
        want = set(call(theirs_client, "ACL", "CAT", category)) & common
        assert got == want, category


def test_every_command_has_categories(acl):
    """The table walk: a command without categories could never be granted by a rule."""
    for info in call(acl, "COMMAND"):
        for entry in [info] + list(info[9] or []):
            categories = entry[6]
            assert categories, entry[0]
            assert ("@fast" in categories) != ("@slow" in categories), entry[0]
            for category in categories:
                assert entry[0] in call(acl, "ACL", "CAT", category[1:])


def test_unknown_category(acl):
    with raises_reply("ERR Unknown category 'nosuch'"):
        call(acl, "ACL", "CAT", "nosuch")


def dryrun_commands(ours, theirs):
    """(name, dry-run arguments) of every command both servers have with one arity,
    containers left out (a dry run names one of their subcommands)."""
    for name in sorted(set(ours) & set(theirs)):
        if ours[name] != theirs[name]:
            continue
        if "|" not in name and any(n.startswith(name + "|") for n in ours):
            continue
        yield name, dryrun_args(name, ours[name])


def dryrun_args(name, arity):
    words = name.split("|")
    need = arity if arity > 0 else -arity
    return words + ["x"] * max(0, need - len(words))


@pytest.mark.parametrize("category", [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting"])
def test_matrix_each_category_allowed_and_denied(acl, peer, category):
    """A user granted only the category may run each of its commands; a user granted
    everything but the category may run none; the same on the peer."""
    ours = commands_of(acl)
    them = peer.client()
    theirs = commands_of(them)
    for client in (acl, them):
        call(client, "ACL", "SETUSER", "allowed", "reset", "on", "nopass", "~*", "&*", "+@" + category)
        call(client, "ACL", "SETUSER", "denied", "reset", "on", "nopass", "~*", "&*", "+@all", "-@" + category)
    members = set(call(acl, "ACL", "CAT", category))
    assert members
    no_auth = {info[0] for info in call(acl, "COMMAND") if "no_auth" in info[2]}
    for name, args in dryrun_commands(ours, theirs):
        for user in ("allowed", "denied"):
            got = call(acl, "ACL", "DRYRUN", user, *args)
            want = call(them, "ACL", "DRYRUN", user, *args)
            assert got == want, (user, args)
        if name in members:
            assert call(acl, "ACL", "DRYRUN", "allowed", *args) == "OK", name
            if name not in no_auth:  # AUTH, HELLO...: allowed to everyone, as in Redis
                assert call(acl, "ACL", "DRYRUN", "denied", *args) != "OK", name
    call(them, "ACL", "DELUSER", "allowed", "denied")


# ---------------------------------------------------------------- rules


def test_new_user_is_off_with_no_permissions(acl):
    call(acl, "ACL", "SETUSER", "alice")
    assert call(acl, "ACL", "LIST") == ["user alice off resetchannels -@all",
                                         "user default on nopass ~* &* +@all"]
    user = call(acl, "ACL", "GETUSER", "alice")
    assert user == ["flags", ["off"], "passwords", [], "commands", "-@all", "keys", "",
                    "channels", "", "selectors", []]
    assert call(acl, "ACL", "GETUSER", "nosuch") is None


def test_rules_are_described_as_redis_does(acl, peer):
    rules = ["on", ">pw", "#" + "a" * 64, "~k*", "%R~r*", "%W~w*", "%RW~both*", "&news.*",
             "+@read", "-get", "+config|get", "+select|0", "+@write", "-@write", "+get",
             "(+set ~x* &y)", "(-@all +ping)"]
    them = peer.client()
    for client in (acl, them):
        call(client, "ACL", "SETUSER", "bob", *rules)
    ours, theirs = call(acl, "ACL", "GETUSER", "bob"), call(them, "ACL", "GETUSER", "bob")
    del ours[5], theirs[5]  # the command rules' wording: see same_permissions
    for selector in ours[-1] + theirs[-1]:
        del selector[1]
    assert ours == theirs
    same_permissions(acl, them, "bob")
    call(them, "ACL", "DELUSER", "bob")
    if not is_reference():  # Redis 7.2 keeps the command rules as given
        assert call(acl, "ACL", "LIST")[0] == (
            "user bob on #{} #{} ~k* %R~r* %W~w* ~both* resetchannels &news.* -@all +@read +config|get +select|0 "
            "-@write +get (~x* resetchannels &y -@all +set) (resetchannels -@all +ping)".format(
                hashlib.sha256(b"pw").hexdigest(), "a" * 64))


@pytest.mark.parametrize("rules", [
    ["allkeys", "allchannels", "allcommands", "on", "nopass"],
    ["~*", "&*", "+@all", "-@dangerous", "+info"],
    ["+@all", "-@all", "+get", "+set", "-get"],
    ["nocommands", "+client", "-client|kill", "+client|kill"],
    ["resetkeys", "~a", "~b", "~a", "%R~a"],
    ["&a", "&b", "resetchannels", "&c"],
    ["on", ">one", ">two", "<one"],
    ["on", ">one", "nopass"],
    ["on", ">one", "resetpass"],
    ["(~x +get)", "clearselectors", "(+set)"],
    ["reset"],
    ["skip-sanitize-payload"],
])
def test_rule_sequences_match_redis(acl, peer, rules):
    them = peer.client()
    for client in (acl, them):
        call(client, "ACL", "SETUSER", "carol", "reset")
        call(client, "ACL", "SETUSER", "carol", *rules)
    ours, theirs = call(acl, "ACL", "GETUSER", "carol"), call(them, "ACL", "GETUSER", "carol")
    del ours[5], theirs[5]  # the command rules' wording: see same_permissions
    for selector in ours[-1] + theirs[-1]:
        del selector[1]
    assert ours == theirs
    same_permissions(acl, them, "carol")
    call(them, "ACL", "DELUSER", "carol")


@pytest.mark.parametrize("default", ["allchannels", "resetchannels"])
@pytest.mark.parametrize("rules", [[], ["reset"], ["(+get ~x)"], ["resetchannels", "(+set)"],
                                   ["resetchannels", "&a", "reset"]])
def test_acl_pubsub_default_gives_new_users_reset_and_selectors_their_channels(acl, peer, default, rules):
    them = peer.client()
    try:
        for client in (acl, them):
            assert call(client, "CONFIG", "SET", "acl-pubsub-default", default) == "OK"
            call(client, "ACL", "SETUSER", "erin", *rules)
        ours, theirs = call(acl, "ACL", "GETUSER", "erin"), call(them, "ACL", "GETUSER", "erin")
        del ours[5], theirs[5]  # the command rules' wording: see same_permissions
        for selector in ours[-1] + theirs[-1]:
            del selector[1]
        assert ours == theirs
        assert call(acl, "ACL", "LIST")[-1] == call(them, "ACL", "LIST")[-1]
        # A user that exists keeps its channels when the default changes.
        other = "resetchannels" if default == "allchannels" else "allchannels"
        for client in (acl, them):
            call(client, "CONFIG", "SET", "acl-pubsub-default", other)
        assert call(acl, "ACL", "GETUSER", "erin")[9] == call(them, "ACL", "GETUSER", "erin")[9]
    finally:
        for client in (acl, them):
            call(client, "CONFIG", "SET", "acl-pubsub-default", "resetchannels")
        call(them, "ACL", "DELUSER", "erin")


@pytest.mark.parametrize("rule", [
    "+nosuchcommand", "+@nosuchcategory", "-nosuch", "bogus", "~a b", "%X~k", "%~k", "%", "%RRW~k", "+config|nosuch",
    "+get|", "#abc", "!" + "g" * 64, "<notthere", "(+get ~x", "(bogus)",
])
def test_bad_rules_fail_as_in_redis_and_change_nothing(acl, peer, rule):
    them = peer.client()
    errors = []
    for client in (acl, them):
        call(client, "ACL", "SETUSER", "dave", "on", "+get")
        with pytest.raises(redis.ResponseError) as info:
            call(client, "ACL", "SETUSER", "dave", "+set", rule)
        errors.append(str(info.value))
        assert call(client, "ACL", "GETUSER", "dave")[5] == "-@all +get"
    assert errors[0] == errors[1]
    call(them, "ACL", "DELUSER", "dave")


def test_key_pattern_after_allkeys_is_refused(acl):
    with raises_reply("ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the "
                      "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an "
                      "empty list of patterns"):
        call(acl, "ACL", "SETUSER", "erin", "allkeys", "~foo")
    with raises_reply("ERR Error in ACL SETUSER modifier '&foo': Adding a pattern after the * pattern (or the "
                      "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start "
                      "with an empty list of channels"):
        call(acl, "ACL", "SETUSER", "erin", "allchannels", "&foo")


def test_passwords_are_stored_as_sha256(acl):
    call(acl, "ACL", "SETUSER", "frank", ">secret")
    digest = hashlib.sha256(b"secret").hexdigest()
    assert call(acl, "ACL", "GETUSER", "frank")[3] == [digest]
    call(acl, "ACL", "SETUSER", "frank", "!" + digest, "#" + hashlib.sha256(b"other").hexdigest())
    assert call(acl, "ACL", "GETUSER", "frank")[3] == [hashlib.sha256(b"other").hexdigest()]


# ---------------------------------------------------------------- enforcement


def test_commands_and_categories_are_enforced(acl, server):
    call(acl, "ACL", "SETUSER", "gina", "on", ">pw", "~*", "+@read", "-hgetall", "+set")
    gina = login(server, "gina")
    gina.set("k", "v")
    assert gina.get("k") == "v"
    with denied(CMD_DENIED.format("hgetall")):
        gina.hgetall("h")
    with denied(CMD_DENIED.format("del")):
        gina.delete("k")
    with denied(CMD_DENIED.format("config|set")):
        call(gina, "CONFIG", "SET", "maxmemory", "0")


def test_subcommands_and_first_arguments(acl, server):
    call(acl, "ACL", "SETUSER", "hank", "on", ">pw", "~*", "+config|get", "+select|0", "+client")
    hank = login(server, "hank")
    assert call(hank, "CONFIG", "GET", "maxmemory")
    with denied(CMD_DENIED.format("config|set")):
        call(hank, "CONFIG", "SET", "maxmemory", "0")
    assert call(hank, "SELECT", "0") == "OK"
    with denied(CMD_DENIED.format("select")):
        call(hank, "SELECT", "1")
    assert call(hank, "CLIENT", "ID")
    call(acl, "ACL", "SETUSER", "hank", "-client|id")
    with denied(CMD_DENIED.format("client|id")):
        call(hank, "CLIENT", "ID")


def test_key_patterns_with_read_and_write_rights(acl, server):
    call(acl, "ACL", "SETUSER", "ivy", "on", ">pw", "+@all", "~own:*", "%R~ro:*", "%W~wo:*")
    acl.set("ro:1", "a")
    ivy = login(server, "ivy")
    ivy.set("own:1", "x")
    assert ivy.get("own:1") == "x"
    assert ivy.get("ro:1") == "a"
    with denied(KEY_DENIED):
        ivy.set("ro:1", "b")
    ivy.set("wo:1", "c")  # SET without GET only writes
    with denied(KEY_DENIED):
        ivy.get("wo:1")
    with denied(KEY_DENIED):
        ivy.get("other")
    # COPY reads its source and writes its destination.
    assert ivy.copy("ro:1", "wo:2")
    with denied(KEY_DENIED):
        ivy.copy("wo:1", "ro:2")
    # Every key of a multi-key command is checked.
    with denied(KEY_DENIED):
        ivy.mget("own:1", "secret")
    # EXISTS touches no value: any pattern, read or write, allows it.
    assert ivy.exists("wo:1") == 1


def test_channel_patterns(acl, server):
    call(acl, "ACL", "SETUSER", "jack", "on", ">pw", "+@all", "~*", "resetchannels", "&news.*", "&exact")
    jack = login(server, "jack")
    assert jack.publish("news.sport", "goal") == 0
    with denied(CHANNEL_DENIED):
        jack.publish("weather", "rain")
    conn = server.raw()
    conn.call("AUTH", "jack", "pw")
    assert conn.call("SUBSCRIBE", "news.tech") == [b"subscribe", b"news.tech", 1]
    conn.close()
    conn = server.raw()
    conn.call("AUTH", "jack", "pw")
    assert conn.call("SUBSCRIBE", "other") == CHANNEL_DENIED
    # A pattern subscription needs that very pattern granted.
    assert conn.call("PSUBSCRIBE", "news.*") == [b"psubscribe", b"news.*", 1]
    assert conn.call("PSUBSCRIBE", "news.s*") == CHANNEL_DENIED
    conn.close()


def test_selectors_grant_alternatives(acl, server):
    call(acl, "ACL", "SETUSER", "kate", "on", ">pw", "+get", "~read:*", "(+set ~write:*)")
    kate = login(server, "kate")
    assert kate.get("read:1") is None
    kate.set("write:1", "v")
    with denied(KEY_DENIED):
        kate.get("write:1")
    with denied(KEY_DENIED):
        kate.set("read:1", "v")  # the selector allowing SET denies the key: the key error wins
    with denied(CMD_DENIED.format("del")):
        kate.delete("read:1")


def test_dryrun(acl, peer):
    them = peer.client()
    for client in (acl, them):
        call(client, "ACL", "SETUSER", "lou", "on", "+get", "~k*", "&c*", "+publish")
    for args in (["get", "k1"], ["get", "x"], ["set", "k", "v"], ["publish", "c1", "m"],
                 ["publish", "d", "m"], ["config", "get", "x"]):
        assert call(acl, "ACL", "DRYRUN", "lou", *args) == call(them, "ACL", "DRYRUN", "lou", *args), args
    for args in (["nosuch", "get", "k"], ["lou", "nosuchcmd"], ["lou", "get"]):
        errors = []
        for client in (acl, them):
            with pytest.raises(redis.ResponseError) as info:
                call(client, "ACL", "DRYRUN", *args)
            errors.append(str(info.value))
        assert errors[0] == errors[1], args
    call(them, "ACL", "DELUSER", "lou")


def test_multi_refuses_a_denied_command_when_queued(acl, server):
    call(acl, "ACL", "SETUSER", "mia", "on", ">pw", "~*", "+multi", "+exec", "+get")
    conn = server.raw()
    conn.call("AUTH", "mia", "pw")
    assert conn.call("MULTI") == "OK"
    assert conn.call("SET", "k", "v") == CMD_DENIED.format("set")
    assert conn.call("EXEC") == ("EXECABORT Transaction discarded because of previous errors.")
    conn.close()
    entry = dict(zip(*[iter(call(acl, "ACL", "LOG", "1")[0])] * 2))
    assert entry["context"] == "multi"


def test_scripts_run_with_the_caller_s_permissions(acl, server):
    call(acl, "ACL", "SETUSER", "ned", "on", ">pw", "~*", "+eval", "+get")
    ned = login(server, "ned")
    assert ned.eval("return redis.call('get', KEYS[1])", 1, "k") is None
    with pytest.raises(redis.ResponseError) as info:
        ned.eval("return redis.call('set', KEYS[1], 'v')", 1, "k")
    # Redis 7.2's text; 7.0 said "The user executing the script can't run this command or subcommand".
    reason = ("The user executing the script can't run this command or subcommand" if is_reference()
              else "ACL failure in script: this user has no permissions to run the 'set' command")
    assert str(info.value).startswith(reason + " script: ")
    entry = dict(zip(*[iter(call(acl, "ACL", "LOG", "1")[0])] * 2))
    assert entry["context"] == "lua" and entry["object"] == "set"


# ---------------------------------------------------------------- AUTH and users


def test_auth_with_username(acl, server):
    call(acl, "ACL", "SETUSER", "olga", "on", ">pw", "+@all", "~*")
    conn = server.raw()
    assert conn.call("AUTH", "olga", "wrong") == WRONGPASS
    assert conn.call("AUTH", "nobody", "pw") == WRONGPASS
    assert conn.call("AUTH", "olga", "pw") == "OK"
    assert conn.call("ACL", "WHOAMI") == b"olga"
    assert b"user=olga" in conn.call("CLIENT", "INFO")
    assert conn.call("RESET") == "RESET"
    assert conn.call("ACL", "WHOAMI") == b"default"
    conn.close()


def test_hello_auth(acl, server):
    call(acl, "ACL", "SETUSER", "pam", "on", ">pw", "+@all", "~*")
    conn = server.raw()
    assert conn.call("HELLO", "2", "AUTH", "pam", "bad") == WRONGPASS
    reply = conn.call("HELLO", "2", "AUTH", "pam", "pw")
    assert reply[reply.index(b"proto") + 1] == 2
    assert conn.call("ACL", "WHOAMI") == b"pam"
    conn.close()


def test_disabled_user_cannot_authenticate_but_its_clients_go_on(acl, server):
    call(acl, "ACL", "SETUSER", "quinn", "on", ">pw", "+@all", "~*")
    quinn = login(server, "quinn")
    assert quinn.ping()
    call(acl, "ACL", "SETUSER", "quinn", "off")
    assert quinn.ping()
    with pytest.raises((redis.ResponseError, redis.AuthenticationError)):
        login(server, "quinn").ping()


def test_deleting_a_user_disconnects_its_clients(acl, server):
    call(acl, "ACL", "SETUSER", "ray", "on", ">pw", "+@all", "~*")
    conn = server.raw()
    assert conn.call("AUTH", "ray", "pw") == "OK"
    assert call(acl, "ACL", "DELUSER", "ray", "nosuch") == 1
    with pytest.raises(Exception):
        conn.call("PING")
    conn.close()
    with raises_reply("ERR The 'default' user cannot be removed"):
        call(acl, "ACL", "DELUSER", "default")


def test_permission_changes_apply_to_authenticated_clients(acl, server):
    call(acl, "ACL", "SETUSER", "sam", "on", ">pw", "+@all", "~*")
    sam = login(server, "sam")
    assert sam.get("k") is None
    call(acl, "ACL", "SETUSER", "sam", "-get")
    with denied(CMD_DENIED.format("get")):
        sam.get("k")


def test_requirepass_is_the_default_user_s_password(acl, server, config_restore):
    config_restore("requirepass")
    acl.config_set("requirepass", "topsecret")
    assert "nopass" not in call(acl, "ACL", "GETUSER", "default")[1]
    conn = server.raw()
    assert conn.call("GET", "k") == "NOAUTH Authentication required."
    assert conn.call("AUTH", "default", "topsecret") == "OK"
    conn.close()
    acl.config_set("requirepass", "")
    assert "nopass" in call(acl, "ACL", "GETUSER", "default")[1]


def test_users_and_whoami(acl):
    call(acl, "ACL", "SETUSER", "zed")
    call(acl, "ACL", "SETUSER", "amy")
    assert call(acl, "ACL", "USERS") == ["amy", "default", "zed"]
    assert call(acl, "ACL", "WHOAMI") == "default"


def test_genpass(acl):
    assert len(call(acl, "ACL", "GENPASS")) == 64
    assert len(call(acl, "ACL", "GENPASS", "5")) == 2
    assert call(acl, "ACL", "GENPASS") != call(acl, "ACL", "GENPASS")
    with raises_reply("ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
                      "number up to 4096"):
        call(acl, "ACL", "GENPASS", "0")


def test_setuser_is_redacted_in_the_slowlog(acl, config_restore):
    config_restore("slowlog-log-slower-than")
    acl.config_set("slowlog-log-slower-than", 0)
    call(acl, "ACL", "SETUSER", "yves", ">secret", "+get")
    entry = [e for e in call(acl, "SLOWLOG", "GET", "10") if e[3][:2] == ["ACL", "SETUSER"]][0]
    assert entry[3] == ["ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"]


def test_help_matches_redis(acl, peer):
    assert call(acl, "ACL", "HELP") == call(peer.client(), "ACL", "HELP")


# ---------------------------------------------------------------- ACL LOG


def log_entries(client, count=None):
    args = ["ACL", "LOG"] + ([str(count)] if count is not None else [])
    return [dict(zip(*[iter(e)] * 2)) for e in call(client, *args)]


def test_log_records_denials(acl, server):
    call(acl, "ACL", "SETUSER", "tom", "on", ">pw", "+get", "+client|setname", "~allowed*", "&ch")
    tom = login(server, "tom")
    tom.client_setname("tomconn")
    for _ in range(3):
        with pytest.raises(redis.ResponseError):
            tom.set("allowed", "v")
    with pytest.raises(redis.ResponseError):
        tom.get("secret")
    with pytest.raises(redis.ResponseError):
        login(server, "tom", "bad").ping()
    entries = log_entries(acl)
    assert [(e["reason"], e["object"], e["count"]) for e in entries] == [
        ("auth", "AUTH", 1), ("key", "secret", 1), ("command", "set", 3)]
    command = entries[2]
    assert command["context"] == "toplevel" and command["username"] == "tom"
    assert "name=tomconn" in command["client-info"]
    assert float(command["age-seconds"]) >= 0
    expected = {"count", "reason", "context", "object", "username", "age-seconds", "client-info"}
    if not is_reference():  # Redis 7.2's fields
        expected |= {"entry-id", "timestamp-created", "timestamp-last-updated"}
        assert command["timestamp-last-updated"] >= command["timestamp-created"]
    assert set(command) == expected
    assert len(log_entries(acl, 1)) == 1
    assert call(acl, "ACL", "LOG", "RESET") == "OK"
    assert log_entries(acl) == []


@pytest.mark.tierkv_only  # Redis 7.2's INFO fields
def test_info_counts_denials(acl, server):
    before = acl.info("stats")
    call(acl, "ACL", "SETUSER", "uma", "on", ">pw", "+ping")
    uma = login(server, "uma")
    with pytest.raises(redis.ResponseError):
        uma.get("k")
    after = acl.info("stats")
    assert after["acl_access_denied_cmd"] == before["acl_access_denied_cmd"] + 1


# ---------------------------------------------------------------- files


def test_users_in_the_config_and_acl_file_together_are_refused(new_server, tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user a on nopass +@all\n")
    with pytest.raises(RuntimeError):
        new_server("--aclfile", str(path), "--user", "b", "on", "nopass")


def test_users_from_the_config(new_server):
    srv = new_server("--user", "vic", "on", ">pw", "~v*", "+get")
    client = srv.client()
    assert "user vic on #{} ~v* resetchannels -@all +get".format(
        hashlib.sha256(b"pw").hexdigest()) in call(client, "ACL", "LIST")
    with raises_reply("ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
                      "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
                      "configuration file set) in order to store users in the Redis configuration."):
        call(client, "ACL", "SAVE")
    vic = login(srv, "vic")
    assert vic.get("v1") is None


def test_acl_file_load_and_save(new_server, tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\nuser walt on >pw ~w* resetchannels -@all +get\n")
    srv = new_server("--aclfile", str(path))
    client = srv.client()
    assert call(client, "ACL", "USERS") == ["default", "walt"]
    call(client, "ACL", "SETUSER", "xena", "on", ">pw", "+@all", "~*")
    assert call(client, "ACL", "SAVE") == "OK"
    saved = path.read_text().splitlines()
    assert any(line.startswith("user xena on #") for line in saved)
    # Loading again replaces the users and disconnects the clients of replaced ones.
    walt = srv.raw()
    assert walt.call("AUTH", "walt", "pw") == "OK"
    path.write_text("user default on nopass ~* &* +@all\nuser yan on nopass +@all\n")
    assert call(client, "ACL", "LOAD") == "OK"
    assert call(client, "ACL", "USERS") == ["default", "yan"]
    with pytest.raises(Exception):
        walt.call("PING")
    walt.close()
    # A bad file changes nothing.
    path.write_text("user default on nopass ~* &* +@all\nuser zoe on +nosuchcommand\n")
    with pytest.raises(redis.ResponseError):
        call(client, "ACL", "LOAD")
    assert call(client, "ACL", "USERS") == ["default", "yan"]


def test_acl_load_errors_are_redis_s(new_server, tmp_path):
    good = "user default on nopass ~* &* +@all\nuser a on nopass +@all\n"
    bad = "user default on nopass ~* &* +@all\nuser b on +nosuch\nbogus line\nuser b on\nuser c (+get\n"
    errors = []
    for name, binary in (("ours", None), ("redis", "/usr/bin/redis-server")):
        path = tmp_path / (name + ".acl")
        path.write_text(good)
        client = new_server("--aclfile", str(path), binary=binary).client()
        path.write_text(bad)
        with pytest.raises(redis.ResponseError) as info:
            call(client, "ACL", "LOAD")
        errors.append(str(info.value).replace(str(path), "FILE"))
        assert call(client, "ACL", "USERS") == ["a", "default"]
    assert errors[0] == errors[1]


def test_client_kill_and_list_by_user(acl, server):
    call(acl, "ACL", "SETUSER", "abe", "on", ">pw", "+@all", "~*")
    conn = server.raw()
    assert conn.call("AUTH", "abe", "pw") == "OK"
    assert [line for line in call(acl, "CLIENT", "LIST").splitlines() if " user=abe " in line]
    assert call(acl, "CLIENT", "KILL", "USER", "abe") == 1
    with pytest.raises(Exception):
        conn.call("PING")
    conn.close()
    with raises_reply("ERR No such user 'nobody'"):
        call(acl, "CLIENT", "KILL", "USER", "nobody")


def test_subscribers_losing_their_channels_are_disconnected(acl, server):
    call(acl, "ACL", "SETUSER", "bea", "on", ">pw", "+@all", "~*", "resetchannels", "&a", "&b")
    keeps, loses = server.raw(), server.raw()
    for conn, channel in ((keeps, "a"), (loses, "b")):
        assert conn.call("AUTH", "bea", "pw") == "OK"
        assert conn.call("SUBSCRIBE", channel) == [b"subscribe", channel.encode(), 1]
    call(acl, "ACL", "SETUSER", "bea", "resetchannels", "&a", "&c")
    with pytest.raises(Exception):
        loses.call("PING")
    assert keeps.call("PING") == [b"pong", b""]
    keeps.close()
    loses.close()
