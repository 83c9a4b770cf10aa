"""MULTI / EXEC / DISCARD / WATCH / UNWATCH, checked byte-exactly on raw
connections, plus redis-py's transactional pipeline."""
import pytest
import redis

from conftest import call, server_ms, wait_past, wait_until

EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
NIL_ARRAY = b"*-1\r\n"


@pytest.fixture
def conn(raw, r):  # r: flushes the server first
    return raw()


@pytest.fixture
def other(raw):
    return raw()


def send(c, *args):
    """Send a command on a raw connection and return the exact reply bytes."""
    c.send_command(*args)
    return c.read_raw()


def run_watched_transaction(c):
    assert send(c, "MULTI") == b"+OK\r\n"
    assert send(c, "PING") == b"+QUEUED\r\n"
    return send(c, "EXEC")


def test_exec_returns_replies_in_order(conn):
    assert send(conn, "MULTI") == b"+OK\r\n"
    assert send(conn, "SET", "a", "1") == b"+QUEUED\r\n"
    assert send(conn, "INCR", "a") == b"+QUEUED\r\n"
    assert send(conn, "GET", "a") == b"+QUEUED\r\n"
    assert send(conn, "GET", "nokey") == b"+QUEUED\r\n"
    assert send(conn, "EXEC") == b"*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n"


def test_commands_are_not_run_before_exec(conn, other):
    send(conn, "MULTI")
    send(conn, "SET", "a", "1")
    assert send(other, "EXISTS", "a") == b":0\r\n"
    send(conn, "EXEC")
    assert send(other, "GET", "a") == b"$1\r\n1\r\n"


def test_empty_transaction(conn):
    send(conn, "MULTI")
    assert send(conn, "EXEC") == b"*0\r\n"


def test_runtime_error_does_not_abort_transaction(conn):
    send(conn, "MULTI")
    send(conn, "SET", "a", "x")
    send(conn, "INCR", "a")
    send(conn, "SELECT", "99")
    send(conn, "GET", "a")
    assert send(conn, "EXEC") == (
        b"*4\r\n+OK\r\n-ERR value is not an integer or out of range\r\n"
        b"-ERR DB index is out of range\r\n$1\r\nx\r\n")


def test_arity_error_while_queueing_aborts_exec(conn):
    send(conn, "MULTI")
    assert send(conn, "SET", "a", "1") == b"+QUEUED\r\n"
    assert send(conn, "GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert send(conn, "SET", "b", "1") == b"+QUEUED\r\n"
    assert send(conn, "EXEC") == EXECABORT
    assert send(conn, "EXISTS", "a", "b") == b":0\r\n"
    assert send(conn, "PING") == b"+PONG\r\n"  # no longer in MULTI


def test_unknown_command_while_queueing_aborts_exec(conn):
    send(conn, "MULTI")
    assert send(conn, "FOO", "bar") == \
        b"-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n"
    send(conn, "SET", "a", "1")
    assert send(conn, "EXEC") == EXECABORT
    assert send(conn, "EXISTS", "a") == b":0\r\n"


def test_nested_multi_is_an_error_that_does_not_abort(conn):
    send(conn, "MULTI")
    assert send(conn, "MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    send(conn, "SET", "a", "1")
    assert send(conn, "EXEC") == b"*1\r\n+OK\r\n"


def test_watch_inside_multi_is_an_error_that_does_not_abort(conn):
    send(conn, "MULTI")
    assert send(conn, "WATCH", "x") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    send(conn, "SET", "a", "1")
    assert send(conn, "EXEC") == b"*1\r\n+OK\r\n"


def test_exec_and_discard_without_multi(conn):
    assert send(conn, "EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert send(conn, "DISCARD") == b"-ERR DISCARD without MULTI\r\n"


def test_discard_drops_queued_commands(conn):
    send(conn, "MULTI")
    send(conn, "SET", "a", "1")
    assert send(conn, "DISCARD") == b"+OK\r\n"
    assert send(conn, "EXISTS", "a") == b":0\r\n"
    assert send(conn, "EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_discard_clears_queued_error_state(conn):
    send(conn, "MULTI")
    send(conn, "GET")
    send(conn, "DISCARD")
    send(conn, "MULTI")
    send(conn, "SET", "a", "1")
    assert send(conn, "EXEC") == b"*1\r\n+OK\r\n"


def test_multi_and_unwatch_queue_inside_multi(conn):
    send(conn, "MULTI")
    assert send(conn, "UNWATCH") == b"+QUEUED\r\n"
    assert send(conn, "PING") == b"+QUEUED\r\n"
    assert send(conn, "EXEC") == b"*2\r\n+OK\r\n+PONG\r\n"


def test_watch_arity(conn):
    assert send(conn, "WATCH") == b"-ERR wrong number of arguments for 'watch' command\r\n"


# --------------------------------------------------------------------------
# WATCH
# --------------------------------------------------------------------------

def test_watch_unmodified_key_exec_succeeds(conn, other):
    send(conn, "SET", "w", "1")
    assert send(conn, "WATCH", "w") == b"+OK\r\n"
    send(other, "GET", "w")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_watch_fails_when_other_client_modifies(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "SET", "w", "2")
    send(conn, "MULTI")
    send(conn, "SET", "w", "3")
    assert send(conn, "EXEC") == NIL_ARRAY
    assert send(conn, "GET", "w") == b"$1\r\n2\r\n"


def test_watch_fails_even_when_value_rewritten_identically(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "SET", "w", "1")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_fails_on_own_modification(conn):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(conn, "INCR", "w")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_missing_key_fails_when_created(conn, other):
    send(conn, "WATCH", "w")
    send(other, "SET", "w", "1")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_fails_on_expire_change(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "EXPIRE", "w", "100")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_fails_on_delete(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "DEL", "w")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_not_touched_by_failed_write(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    assert send(other, "SETNX", "w", "2") == b":0\r\n"
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


@pytest.mark.needs_dram_budget("the SET reply waits for a checkpoint round (writers over the budget), longer than the key's TTL, so the key has expired before WATCH")
def test_watch_fails_when_key_expires(conn, r):
    send(conn, "SET", "w", "1", "PX", "30")
    send(conn, "WATCH", "w")
    wait_until(lambda: r.exists("w") == 0, timeout=3, message="watched key to expire")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_on_already_expired_key_is_not_aborted_by_its_deletion(conn, r):
    call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        at = server_ms(r) + 20
        send(conn, "SET", "w", "1", "PXAT", str(at))
        wait_past(r, at)  # expired but still stored: nothing has touched it
        send(conn, "WATCH", "w")
        send(conn, "MULTI")
        send(conn, "GET", "w")
        assert send(conn, "EXEC") == b"*1\r\n$-1\r\n"
    finally:
        call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.fixture
def no_active_expiry(r):
    """Expired keys stay stored until something touches them."""
    call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    yield
    call(r, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def store_expired(c, r, key):
    at = server_ms(r) + 20
    send(c, "SET", key, "1", "PXAT", str(at))
    wait_past(r, at)  # expired but still stored: nothing has touched it


@pytest.mark.parametrize("delete", [
    ("GET", "w"),  # lazy expiry by another client
    ("EXISTS", "w"),
    ("FLUSHDB",),
    ("FLUSHALL",),
    ("SWAPDB", "0", "9"),  # nothing comes in its place
], ids=["get", "exists", "flushdb", "flushall", "swapdb"])
def test_watch_of_an_already_expired_key_survives_its_deletion_by_another_client(
        conn, other, r, no_active_expiry, delete):
    store_expired(conn, r, "w")
    send(conn, "WATCH", "w")
    send(other, *delete)
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_watch_of_an_already_expired_key_survives_active_expiry(conn, r):
    store_expired(conn, r, "w")
    send(conn, "WATCH", "w")
    wait_until(lambda: r.info("stats")["expired_keys"] >= 1 and r.dbsize() == 0, timeout=3,
               message="active expiry to delete the key")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_watch_of_an_already_expired_key_fails_when_it_is_written(conn, other, r, no_active_expiry):
    store_expired(conn, r, "w")
    send(conn, "WATCH", "w")
    send(other, "GET", "w")  # deleted: from now on watched as a missing key
    send(other, "SET", "w", "new")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_of_an_already_expired_key_fails_when_swapdb_brings_a_live_one(conn, other, r, no_active_expiry):
    store_expired(conn, r, "w")
    send(conn, "WATCH", "w")
    send(other, "SELECT", "9")
    send(other, "SET", "w", "live")
    send(other, "SWAPDB", "0", "9")
    assert run_watched_transaction(conn) == NIL_ARRAY


@pytest.mark.needs_dram_budget("the SET reply waits for a checkpoint round (writers over the budget), longer than the key's TTL, so the key has expired before WATCH")
def test_watch_of_a_key_that_expires_after_watch_still_fails(conn, other, r, no_active_expiry):
    at = server_ms(r) + 50
    send(conn, "SET", "w", "1", "PXAT", str(at))
    send(conn, "WATCH", "w")
    wait_past(r, at)
    send(other, "GET", "w")  # the lazy deletion is a change this client did not see
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_fails_on_flushall(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "FLUSHALL")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_fails_on_flushdb(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "FLUSHDB")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_flushall_does_not_abort_watch_of_missing_key(conn, other):
    send(conn, "WATCH", "missing")
    send(other, "FLUSHALL")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_watch_fails_on_swapdb(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "SWAPDB", "0", "1")
    assert run_watched_transaction(conn) == NIL_ARRAY


def test_watch_is_per_database(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "SELECT", "1")
    send(other, "SET", "w", "2")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_unwatch_forgets_watched_keys(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    assert send(conn, "UNWATCH") == b"+OK\r\n"
    send(other, "SET", "w", "2")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_exec_unwatches_after_failure(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(other, "SET", "w", "2")
    assert run_watched_transaction(conn) == NIL_ARRAY
    send(other, "SET", "w", "3")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_discard_unwatches(conn, other):
    send(conn, "SET", "w", "1")
    send(conn, "WATCH", "w")
    send(conn, "MULTI")
    send(conn, "DISCARD")
    send(other, "SET", "w", "2")
    assert run_watched_transaction(conn) == b"*1\r\n+PONG\r\n"


def test_watch_multiple_keys(conn, other):
    send(conn, "MSET", "a", "1", "b", "1")
    assert send(conn, "WATCH", "a", "b", "c") == b"+OK\r\n"
    send(other, "SET", "c", "1")
    assert run_watched_transaction(conn) == NIL_ARRAY


# --------------------------------------------------------------------------
# redis-py transactional pipeline
# --------------------------------------------------------------------------

def test_pipeline_transaction_results(r):
    with r.pipeline(transaction=True) as p:
        p.set("a", "1").incr("a").get("a").mget("a", "nokey")
        assert p.execute() == [True, 2, "2", ["2", None]]


def test_pipeline_transaction_runtime_error_is_returned_in_place(r):
    r.set("s", "x")
    with r.pipeline(transaction=True) as p:
        p.set("a", "1").incr("s").get("a")
        results = p.execute(raise_on_error=False)
    assert results[0] is True
    assert isinstance(results[1], redis.ResponseError)
    assert str(results[1]) == "value is not an integer or out of range"
    assert results[2] == "1"


def test_pipeline_transaction_queue_error_aborts_everything(r):
    # redis-py reports the queued command's own error (after EXECABORT)
    with r.pipeline(transaction=True) as p:
        p.set("a", "1")
        p.execute_command("GET")
        with pytest.raises(redis.ResponseError) as info:
            p.execute()
    assert str(info.value) == ("Command # 2 (GET) of pipeline caused error: "
                               "wrong number of arguments for 'get' command")
    assert r.exists("a") == 0


def test_pipeline_watch_conflict_raises_watch_error(r, server):
    r.set("w", "1")
    other = server.client()
    with r.pipeline(transaction=True) as p:
        p.watch("w")
        assert p.get("w") == "1"
        other.set("w", "2")
        p.multi()
        p.set("w", "3")
        with pytest.raises(redis.WatchError):
            p.execute()
    other.close()
    assert r.get("w") == "2"


def test_pipeline_optimistic_increment_loop(r, server):
    r.set("counter", "0")
    other = server.client()

    def increment(pipe):
        value = int(pipe.get("counter"))
        other.incr("bumps")
        pipe.multi()
        pipe.set("counter", value + 1)

    for _ in range(20):
        r.transaction(increment, "counter")
    other.close()
    assert r.get("counter") == "20"
