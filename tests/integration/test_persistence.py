"""Persistence: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, DEBUG RELOAD, SHUTDOWN, restarts
on the same data directory, and the journal's handling of damaged files.

Restart tests stop a server and start another on the same directory, so each
builds its own ServerProcess instead of using the module server.
"""
import glob
import os
import time

import pytest

from conftest import (ALWAYS, sigkill, start_server, ServerProcess, call, is_reference, raises_reply,
                      server_bin, wait_until)







def info(client, field):
    return client.info("persistence")[field]


def wait_round_finished(client):
    wait_until(lambda: info(client, "rdb_bgsave_in_progress") == 0
               and info(client, "aof_rewrite_in_progress") == 0
               and info(client, "aof_rewrite_scheduled") == 0,
               timeout=20, message="background save to finish")


def build_state(c):
    """Writes touching every kind of effect: TTLs, counters, renames, moves, dbs."""
    c.set("plain", "value")
    c.set("ttl", "expiring", ex=1000)
    c.incr("counter")
    c.incrbyfloat("float", "1.5")
    c.mset({"m1": "a", "m2": "b"})
    c.rename("m2", "renamed")
    c.append("plain", "-more")
    c.setrange("plain", 0, "V")
    c.move("m1", 3)
    c.set("gone", "x")
    c.delete("gone")
    c.execute_command("SELECT", "0")
    pipe = c.pipeline(transaction=True)
    pipe.set("tx1", "1")
    pipe.set("tx2", "2")
    pipe.execute()
    c.execute_command("SWAPDB", "3", "4")


def snapshot(c):
    return call(c, "DEBUG", "DIGEST"), sorted(c.keys("*")), c.ttl("ttl")


@pytest.mark.needs_dram_budget("SAVE answers 'already in progress' while a round that demotion started runs")
def test_save_then_restart_keeps_data(tmp_path):
    srv = start_server(tmp_path)
    c = srv.client()
    build_state(c)
    assert c.save() is True
    before = snapshot(c)
    sigkill(srv)
    srv = start_server(tmp_path)
    try:
        after = snapshot(srv.client())
        assert after[:2] == before[:2]
        assert 990 < after[2] <= 1000
        assert srv.client(db=4).get("m1") == "a"  # moved to db 3, then swapped into 4
    finally:
        srv.stop()


def test_write_after_save_is_lost_without_journal(tmp_path):
    srv = start_server(tmp_path)
    c = srv.client()
    c.set("saved", "1")
    c.save()
    c.set("unsaved", "1")
    sigkill(srv)
    srv = start_server(tmp_path)
    try:
        c = srv.client()
        assert c.get("saved") == "1"
        assert c.get("unsaved") is None
    finally:
        srv.stop()


def test_journal_keeps_every_acknowledged_write_across_kill(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    build_state(c)
    before = snapshot(c)
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        after = snapshot(srv.client())
        assert after[:2] == before[:2]
        assert after[2] > 990
    finally:
        srv.stop()


@pytest.mark.needs_dram_budget("the writes wait for a checkpoint round (writers over the budget), longer than the keys' 200 ms TTL")
def test_keys_that_expired_while_down_come_back_expired_not_partial_and_permanent(tmp_path):
    """HSET h a 1; EXPIRE h; HSET h b 2 and a restart after the TTL once gave back h = {b: 2}
    without a TTL: replay dropped the key at its past expiry and the next effect recreated
    it. The same held for strings edited after their TTL was set."""
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    c.hset("h", "a", "1")
    c.pexpire("h", 200)
    c.hset("h", "b", "2")
    c.set("s", "v", px=200)
    c.append("s", "+w")
    c.setrange("s", 0, "V")
    expiries = [c.execute_command("PEXPIRETIME", key) for key in ("h", "s")]
    assert all(expiry > 0 for expiry in expiries)
    sigkill(srv)
    # The experiment: the TTLs pass while the server is down.
    wait_until(lambda: time.time() * 1000 > max(expiries) + 50, timeout=10, message="the TTLs to pass")
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.hgetall("h") == {}
        assert c.get("s") is None
        assert [c.pttl(key) for key in ("h", "s")] == [-2, -2]
    finally:
        srv.stop()


def test_pipelined_writes_under_fsync_always_are_all_answered_and_kept(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(2000):
        pipe.set(f"k{i}", i)
    assert pipe.execute() == [True] * 2000
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.dbsize() == 2000
        assert c.get("k1999") == "1999"
    finally:
        srv.stop()


@pytest.mark.needs_dram_budget("BGSAVE answers 'already in progress' while a round that demotion started runs")
def test_checkpoint_during_writes_then_kill_keeps_everything(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    for i in range(500):
        c.set(f"a{i}", i)
    assert c.bgsave()
    for i in range(500):
        c.set(f"b{i}", i)
        if i % 50 == 0:
            c.delete(f"a{i}")
    wait_round_finished(c)
    before = snapshot(c)
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        assert snapshot(srv.client())[:2] == before[:2]
    finally:
        srv.stop()


def test_save_replies_and_counters(server, r):
    r.set("k", "v")
    assert info(r, "rdb_changes_since_last_save") >= 1
    saves = info(r, "rdb_saves")
    before = r.lastsave()
    assert call(r, "SAVE") == "OK"
    assert info(r, "rdb_changes_since_last_save") == 0
    assert info(r, "rdb_saves") == saves + 1
    assert info(r, "rdb_last_bgsave_status") == "ok"
    assert r.lastsave() >= before
    assert abs(r.lastsave().timestamp() - time.time()) < 5


@pytest.mark.needs_dram_budget("BGSAVE answers 'already in progress' while a round that demotion started runs")
def test_bgsave_starts_a_background_round(server, r):
    wait_round_finished(r)
    r.set("k", "v")
    assert call(r, "BGSAVE") == "Background saving started"
    wait_round_finished(r)
    assert info(r, "rdb_last_bgsave_status") == "ok"
    assert info(r, "rdb_changes_since_last_save") == 0


def test_bgsave_rejects_unknown_argument(server, r):
    with raises_reply("ERR syntax error"):
        call(r, "BGSAVE", "NOW")


def test_bgrewriteaof_starts_a_rewrite(server, r):
    wait_round_finished(r)
    rewrites = info(r, "aof_rewrites") if not is_reference() else None
    assert call(r, "BGREWRITEAOF") == "Background append only file rewriting started"
    wait_round_finished(r)
    assert info(r, "aof_last_bgrewrite_status") == "ok"
    if rewrites is not None:
        assert info(r, "aof_rewrites") == rewrites + 1


def test_save_inside_multi_is_refused_and_dooms_the_transaction(server, r):
    pipe = r.pipeline(transaction=True)
    pipe.set("k", "v")
    pipe.execute_command("SAVE")
    with pytest.raises(Exception) as refused:
        pipe.execute()
    assert "Command not allowed inside a transaction" in str(refused.value)
    assert r.get("k") is None  # EXECABORT: nothing ran


def test_lastsave_arity(server, r):
    with raises_reply("ERR wrong number of arguments for 'lastsave' command"):
        call(r, "LASTSAVE", "x")


def test_debug_reload_keeps_data_and_ttls(server, r):
    r.set("reload:k", "v")
    r.set("reload:t", "v", ex=500)
    digest = call(r, "DEBUG", "DIGEST")
    assert call(r, "DEBUG", "RELOAD") == "OK"
    assert call(r, "DEBUG", "DIGEST") == digest
    assert 490 < r.ttl("reload:t") <= 500


def test_config_set_save_rules_validated(server, r, config_restore):
    config_restore("save")
    r.config_set("save", "100 10 20 5")
    assert r.config_get("save")["save"] == "100 10 20 5"
    with pytest.raises(Exception, match="Invalid save parameters|save"):
        r.config_set("save", "100")


@pytest.mark.tierkv_only
def test_shutdown_runs_a_final_round_even_without_save_rules(tmp_path):
    """Redis saves at SHUTDOWN only when save points are configured; tierkv always
    runs a final checkpoint round unless NOSAVE (docs/COMPATIBILITY.md)."""
    srv = start_server(tmp_path)
    c = srv.client()
    c.set("k", "v")
    c.shutdown()  # redis-py treats the closed connection as success
    srv.proc.wait(timeout=20)
    assert srv.proc.returncode == 0
    srv.proc = None
    srv = start_server(tmp_path)
    try:
        assert srv.client().get("k") == "v"
    finally:
        srv.stop()


def test_shutdown_nosave_skips_the_final_round(tmp_path):
    srv = start_server(tmp_path)
    c = srv.client()
    c.set("k", "v")
    c.shutdown(nosave=True)
    srv.proc.wait(timeout=20)
    srv.proc = None
    srv = start_server(tmp_path)
    try:
        assert srv.client().get("k") is None
    finally:
        srv.stop()


@pytest.mark.tierkv_only
def test_lsns_handed_out_before_a_kill_are_not_handed_out_again(tmp_path):
    """Numbering used to resume right above the last record on disk, so LSNs of records lost
    with an unsynced tail were given to new records: it resumes above the LSN reservation,
    and the journal that results still opens (the skipped LSNs lie inside a segment)."""
    srv = start_server(tmp_path, *ALWAYS)
    srv.client().set("before", "1")
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.info("persistence")["journal_lsn"] > 1000
        c.set("after", "2")
        resumed_at = c.info("persistence")["journal_lsn"]
    finally:
        sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.get("before") == "1" and c.get("after") == "2"
        assert c.info("persistence")["journal_lsn"] > resumed_at
    finally:
        srv.stop()


@pytest.mark.tierkv_only
@pytest.mark.needs_dram_budget("rounds that demotion starts change the checkpoint figures the test counts")
def test_info_reports_checkpoint_and_journal_lsns(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        for i in range(10):
            c.set(f"k{i}", i)
        fields = c.info("persistence")
        assert fields["journal_lsn"] == 10
        assert fields["journal_durable_lsn"] == 10
        assert fields["aof_enabled"] == 1
        c.save()
        fields = c.info("persistence")
        assert fields["checkpoint_lsn"] == 10
        assert fields["last_checkpoint_keys"] == 10
        assert fields["tier_bytes"] > 0
    finally:
        srv.stop()


@pytest.mark.tierkv_only
def test_appendonly_can_be_turned_off_and_on_at_runtime(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    c.config_set("appendonly", "no")
    c.set("while-off", "1")
    c.config_set("appendonly", "yes")  # starts a round that covers what came before
    wait_round_finished(c)
    c.set("after", "1")
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.get("while-off") == "1"
        assert c.get("after") == "1"
    finally:
        srv.stop()


def journal_segments(workdir):
    return sorted(glob.glob(os.path.join(str(workdir), "journal", "journal-*.log")))


@pytest.mark.tierkv_only
def test_torn_journal_tail_is_cut_with_a_warning(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    c.set("a", "1")
    c.set("b", "2")
    sigkill(srv)
    with open(journal_segments(tmp_path)[-1], "ab") as segment:
        segment.write(b"\x40\x00\x00\x00\x01\x02")  # a frame header that never finishes
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.mget("a", "b") == ["1", "2"]
        assert "torn record" in srv.log_tail()
        c.set("c", "3")  # appends after the cut
    finally:
        srv.stop()


@pytest.mark.tierkv_only
def test_corruption_before_the_tail_stops_startup_naming_file_and_offset(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    for i in range(3):
        c.set(f"k{i}", "value")
    sigkill(srv)
    segment = journal_segments(tmp_path)[-1]
    first_record = 36  # after the segment header (docs/ARCHITECTURE.md, "Journal format")
    with open(segment, "r+b") as f:
        f.seek(first_record + 16 + 1)  # inside the first record's payload: its CRC no longer matches
        byte = f.read(1)
        f.seek(first_record + 16 + 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    broken = ServerProcess(server_bin(), tmp_path, ALWAYS)
    with pytest.raises(RuntimeError):
        broken.start(attempts=1)
    log = broken.log_tail()
    assert os.path.basename(segment) in log
    assert f"offset {first_record}" in log


@pytest.mark.tierkv_only
def test_config_set_appendonly_no_really_stops_journaling(tmp_path):
    srv = start_server(tmp_path, *ALWAYS)
    c = srv.client()
    c.set("journaled", "1")
    c.config_set("appendonly", "no")
    c.set("not-journaled", "1")
    sigkill(srv)
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.get("journaled") == "1"
        assert c.get("not-journaled") is None
    finally:
        srv.stop()


@pytest.mark.tierkv_only
@pytest.mark.needs_dram_budget("BGSAVE answers 'already in progress' while a round that demotion started runs")
def test_checkpoints_drop_the_journal_they_cover(tmp_path):
    """A round starts a new journal segment at its LSN; once the next round completes, the
    segments wholly below its checkpoint are deleted, so the journal stays short."""
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        for i in range(200):
            c.set(f"k{i}", "x" * 100)
        c.save()
        c.set("after-first-round", "1")  # lands in the segment the first round started
        before = info(c, "journal_bytes")
        c.save()
        segments = journal_segments(tmp_path)
        assert len(segments) == 1, segments
        assert os.path.basename(segments[0]) == "journal-%020d.log" % 201
        assert info(c, "journal_bytes") < before
    finally:
        srv.stop()
    srv = start_server(tmp_path, *ALWAYS)
    try:
        c = srv.client()
        assert c.dbsize() == 201
        assert c.get("after-first-round") == "1"
    finally:
        srv.stop()
