"""Disk full: the journal cannot be written (ENOSPC), writes are refused with MISCONF,
reads go on, and once space is freed writes resume by themselves (the server retries
once a second) without losing any acknowledged write, across a SIGKILL too.

The data directory lives on a small tmpfs mounted for the test (root only; skipped
otherwise). A filler file on the same tmpfs leaves FREE_BYTES free, so the fill ends
after a predictable amount of writing; deleting it is how space comes back.
--save "" keeps checkpoint rounds (RocksDB writes) out of it: only the journal fills.

With tiering (the last test) rounds run as demotion needs them, the tier fills the disk
with the journal, and readers read cold keys throughout.

Then the server restarts, recovering from the journal alone (no round ran), and every
acknowledged write must be there: after a SIGKILL with always; with everysec after
SHUTDOWN NOSAVE, because a SIGKILL may lose what is still queued in memory.

With appendfsync always the write whose journal record hit ENOSPC is not answered: its
reply is held until the journal holds it durably (after the retry succeeds), and every
later write, on any connection, gets MISCONF. With everysec the writer itself gets
MISCONF once the server has seen the error; the writes acknowledged before that are
still queued in memory and must reach the journal after the retry.
"""
import collections
import errno
import os
import subprocess
import threading

import pytest
import redis

from durability_harness import DurableServer, base_memory, poll_until, server_bin_or_skip

TMPFS_SIZE = "16m"
FREE_BYTES = 2 << 20
VALUE_BYTES = 4096
MAX_FILL_WRITES = 3 * FREE_BYTES // VALUE_BYTES  # the fill ends long before this
ENOSPC_TEXT = "No space left on device"


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the disk-full test mounts a tmpfs: it needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tierkv-disk-full",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode})")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def free_bytes(path):
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def make_filler(path, leave_free):
    """A file taking all but `leave_free` bytes of the file system holding `path`."""
    size = free_bytes(path.parent) - leave_free
    assert size > 0, f"the tmpfs has only {free_bytes(path.parent)} bytes free"
    chunk = b"\0" * (1 << 20)
    with open(path, "wb") as filler:
        while size > 0:
            size -= filler.write(chunk[:min(size, len(chunk))])
        filler.flush()
        os.fsync(filler.fileno())


class FillWriter(threading.Thread):
    """SETs 4 KiB values one at a time until MISCONF, `stop`, or MAX_FILL_WRITES.
    acked holds every write answered OK; pending the write sent and not yet answered."""

    def __init__(self, port, incompressible=False, prefix="fill"):
        super().__init__(daemon=True)
        self.port = port
        self.prefix = prefix
        # Values the tier cannot shrink (with tiering rounds move them there and free the
        # journal, and a compressible fill would never fill the disk).
        self.incompressible = incompressible
        self.acked = {}
        self.pending = None
        self.misconf = None
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=120)
        try:
            for i in range(MAX_FILL_WRITES):
                if self.stop.is_set():
                    return
                key = f"{self.prefix}:{i}"
                value = f"{i}:" + (os.urandom(VALUE_BYTES // 2).hex() if self.incompressible else "v" * VALUE_BYTES)
                self.pending = (key, value)
                try:
                    reply = client.set(key, value)
                except redis.ResponseError as error:
                    self.pending = None
                    if str(error).startswith("MISCONF"):
                        self.misconf = str(error)
                    else:
                        self.errors.append(f"SET {key}: {error}")
                    return
                if reply is not True:
                    self.errors.append(f"SET {key} replied {reply!r}")
                    return
                self.acked[key] = value
                self.pending = None
            self.errors.append(f"{MAX_FILL_WRITES} writes of {VALUE_BYTES} bytes did not fill the disk")
        except Exception as error:
            self.errors.append(f"writer raised {error!r}")
        finally:
            client.close()


def call(client, *args):
    """The reply as on the wire (no redis-py conversions: SET in MULTI gives 'QUEUED');
    `client` is a single-connection client, so MULTI state stays on its connection."""
    client.connection.send_command(*args)
    return client.connection.read_response()


def journal_failed(admin):
    return admin.info("persistence")["aof_last_write_status"] == "err"


def expect_misconf(admin, *command):
    with pytest.raises(redis.ResponseError) as refused:
        call(admin, *command)
    assert str(refused.value).startswith("MISCONF"), f"{command}: {refused.value}"
    assert ENOSPC_TEXT in str(refused.value), f"{command}: {refused.value}"


def assert_all_present(client, acked, where, server):
    keys = list(acked)  # in the order they were acknowledged
    missing = []
    for start in range(0, len(keys), 200):
        chunk = keys[start:start + 200]
        for key, value in zip(chunk, client.mget(chunk)):
            if value != acked[key]:
                missing.append(key)
    assert not missing, (f"{where}: {len(missing)} of {len(keys)} acknowledged writes are "
                         f"missing or wrong: {missing[:3]} ... {missing[-3:]}\n{server.all_logs()}")


def kill_restart_and_check(server, admin, acked):
    """SIGKILL, restart, and every write in `acked` must be there; then a clean stop."""
    admin.close()
    server.kill()
    server.start()
    assert not server.fatal_lines(), server.run_log()
    client = server.client()
    assert_all_present(client, acked, "after the restart", server)
    client.close()
    assert server.terminate() == 0, server.run_log()[-3000:]


def run_the_fill(writer, admin, fsync):
    """Starts `writer` and waits for the disk to be full: with everysec the writer sees
    MISCONF itself (and stops); with always its last write is held and the INFO field
    shows the failed journal."""
    writer.start()
    if fsync == "everysec":
        writer.join(timeout=60)
        assert not writer.is_alive(), "the writer neither filled the disk nor stopped in 60 s"
    else:
        poll_until(lambda: writer.errors or not writer.is_alive() or journal_failed(admin),
                   timeout=60, message="the journal to fail with ENOSPC")
    assert not writer.errors, writer.errors


def stop_keeping_every_acknowledged_write(server, admin, fsync):
    """Stops the server the hardest way that still keeps every acknowledged write."""
    if fsync == "always":
        # Every acknowledged write is durable: a SIGKILL loses none.
        admin.close()
        server.kill()
    else:
        # A SIGKILL may lose the acknowledged writes still queued in memory, which
        # after a disk error can be hundreds (the writer thread catches up after the
        # retry), so it proves nothing deterministic. SHUTDOWN NOSAVE closes the
        # journal (writes and syncs the queue) without a checkpoint round.
        admin.shutdown(nosave=True)
        assert server.wait_exit() == 0, server.run_log()[-3000:]


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_disk_full_refuses_writes_keeps_reads_and_resumes(fsync, small_disk, tmp_path):
    binary = server_bin_or_skip()
    server = DurableServer(binary, small_disk / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", fsync, "--save", ""])
    server.start()
    try:
        admin = server.client()
        acked = {f"before:{i}": f"value {i}" for i in range(50)}
        assert admin.mset(acked) is True
        assert admin.set("before:ttl", "t", ex=3600) is True
        acked["before:ttl"] = "t"

        # A transaction queued before the disk fills, executed after.
        early = server.client()
        assert call(early, "MULTI") == "OK"
        assert call(early, "SET", "tx:early", "x") == "QUEUED"

        make_filler(small_disk / "filler", FREE_BYTES)
        writer = FillWriter(server.port)
        run_the_fill(writer, admin, fsync)
        assert journal_failed(admin), admin.info("persistence")
        assert len(writer.acked) * VALUE_BYTES >= FREE_BYTES // 4, (
            f"only {len(writer.acked)} writes fitted in {FREE_BYTES} free bytes")
        if fsync == "everysec":
            assert writer.misconf and ENOSPC_TEXT in writer.misconf, writer.misconf
        else:
            # The write that hit ENOSPC is neither acknowledged nor refused: its reply
            # waits for the journal.
            assert writer.is_alive() and writer.pending is not None and writer.misconf is None
        writer.stop.set()

        # Writes refused, as Redis refuses them: plain, delete, queued in MULTI (which
        # dooms the EXEC), and an EXEC of writes queued before (which ends the MULTI).
        expect_misconf(admin, "SET", "probe", "x")
        expect_misconf(admin, "INCR", "before:counter")
        expect_misconf(admin, "DEL", "before:0")
        expect_misconf(admin, "PING")  # as Redis: a health check must see the disk error
        assert call(admin, "MULTI") == "OK"
        expect_misconf(admin, "SET", "probe", "x")
        assert call(admin, "GET", "before:0") == "QUEUED"
        with pytest.raises(redis.ResponseError) as aborted:
            call(admin, "EXEC")
        assert str(aborted.value) == "Transaction discarded because of previous errors."
        with pytest.raises(redis.ResponseError) as aborted:
            call(early, "EXEC")
        assert str(aborted.value).startswith("Transaction discarded because of: MISCONF "), aborted.value
        assert call(early, "GET", "before:1") == "value 1"  # out of MULTI
        assert call(early, "EXISTS", "tx:early") == 0  # and nothing of it ran
        early.close()
        # Reads and read-only transactions are served.
        assert call(admin, "MULTI") == "OK"
        assert call(admin, "GET", "before:2") == "QUEUED"
        assert call(admin, "EXEC") == ["value 2"]
        assert_all_present(admin, acked, "reads while the disk is full", server)
        assert_all_present(admin, writer.acked, "reads while the disk is full", server)
        assert 0 < admin.ttl("before:ttl") <= 3600
        if fsync == "always":
            assert writer.is_alive() and writer.pending is not None, "the held write was answered"

        # Space comes back: writes resume by themselves (the cron's retry).
        os.remove(small_disk / "filler")
        resumed = {}

        def try_write():
            key = f"after:{len(resumed)}"
            try:
                if admin.set(key, "resumed") is True:
                    resumed[key] = "resumed"
                    return True
            except redis.ResponseError as error:
                assert str(error).startswith("MISCONF"), error
            return False

        poll_until(try_write, timeout=30, message="writes to resume after space was freed", interval=0.05)
        writer.join(timeout=60)
        assert not writer.is_alive(), "the writer is still blocked after writes resumed"
        assert not writer.errors, writer.errors
        if fsync == "always":
            # The held write was answered OK once the retry made it durable.
            assert writer.pending is None and writer.misconf is None
        assert not journal_failed(admin)
        for i in range(20):
            assert admin.set(f"after:more:{i}", i) is True
            resumed[f"after:more:{i}"] = str(i)
        assert "Journal writes resumed" in server.run_log()

        stop_keeping_every_acknowledged_write(server, admin, fsync)
        server.start()
        assert not server.fatal_lines(), server.run_log()
        # No round ran (--save ""), so this is recovery from the journal alone: the retry
        # kept every acknowledged record, once and in order.
        assert "Loaded 0 keys from the tier" in server.run_log(), server.run_log()
        client = server.client()
        assert_all_present(client, {**acked, **writer.acked, **resumed}, "after the restart", server)
        assert 0 < client.ttl("before:ttl") <= 3600
        client.close()
        assert server.terminate() == 0, server.run_log()[-3000:]
    finally:
        server.kill()


def fill_until_the_journal_fails(server, admin, small_disk):
    """Fills the disk under appendfsync always; returns the FillWriter, whose last write
    is held (not answered) because its journal record hit ENOSPC."""
    make_filler(small_disk / "filler", FREE_BYTES)
    writer = FillWriter(server.port)
    writer.start()
    poll_until(lambda: writer.errors or not writer.is_alive() or journal_failed(admin),
               timeout=60, message="the journal to fail with ENOSPC")
    assert not writer.errors, writer.errors
    assert journal_failed(admin), admin.info("persistence")
    assert writer.is_alive() and writer.pending is not None and writer.misconf is None
    writer.stop.set()
    return writer


def write_until_accepted(admin, key):
    def accepted():
        try:
            return admin.set(key, "resumed") is True
        except redis.ResponseError as error:
            assert str(error).startswith("MISCONF"), error
            return False
    poll_until(accepted, timeout=30, message="writes to resume after space was freed", interval=0.05)


@pytest.mark.parametrize("change", ["appendfsync", "appendonly"])
def test_config_set_during_disk_full_drops_no_record_and_releases_no_held_reply(change, small_disk, tmp_path):
    """CONFIG SET appendfsync / appendonly while the journal is failed used to close the
    writer and open a new one: the queued records were dropped, the write held under
    always was answered OK although it was not durable, and the new writer appended
    after the failed partial record. Now the policy changes on the live writer, and a
    failed writer is turned off only once its retry has made its records durable."""
    binary = server_bin_or_skip()
    server = DurableServer(binary, small_disk / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", ""])
    server.start()
    try:
        admin = server.client()
        acked = {f"before:{i}": f"value {i}" for i in range(50)}
        assert admin.mset(acked) is True
        writer = fill_until_the_journal_fails(server, admin, small_disk)

        if change == "appendfsync":
            for policy in ("everysec", "no"):
                assert admin.config_set("appendfsync", policy) is True
        else:
            assert admin.config_set("appendonly", "no") is True
        # Nothing of the failed journal was dropped or declared durable: its write stays
        # held, and writes stay refused until the journal can be written.
        assert journal_failed(admin), admin.info("persistence")
        expect_misconf(admin, "SET", "probe", "x")
        assert writer.is_alive() and writer.pending is not None, "the held write was answered before it was durable"
        assert_all_present(admin, {**acked, **writer.acked}, "reads while the disk is full", server)

        os.remove(small_disk / "filler")
        writer.join(timeout=60)
        assert not writer.is_alive(), "the held write was never answered"
        assert not writer.errors and writer.misconf is None and writer.pending is None, writer.errors
        write_until_accepted(admin, "after:first")
        resumed = {"after:first": "resumed"}
        for i in range(20):
            assert admin.set(f"after:{i}", i) is True
            resumed[f"after:{i}"] = str(i)
        if change == "appendfsync":
            assert admin.config_set("appendfsync", "always") is True
        else:
            # Turned on again: a round puts what was written without a journal in the tier.
            rewrites = int(admin.info("persistence")["aof_rewrites"])
            assert admin.config_set("appendonly", "yes") is True
            poll_until(lambda: int(admin.info("persistence")["aof_rewrites"]) > rewrites,
                       timeout=60, message="the round started by appendonly yes to end")
            assert admin.info("persistence")["aof_last_bgrewrite_status"] == "ok", server.run_log()
        for i in range(20):
            assert admin.set(f"last:{i}", i) is True
            resumed[f"last:{i}"] = str(i)
        assert not journal_failed(admin)

        # Every acknowledged write is durable (always): a SIGKILL loses none, and the
        # journal the failed writer left is clean.
        kill_restart_and_check(server, admin, {**acked, **writer.acked, **resumed})
    finally:
        server.kill()


def run_round(admin):
    """BGSAVE, waited for; INFO's rdb_last_bgsave_status after it."""
    assert admin.bgsave()
    poll_until(lambda: admin.info("persistence")["rdb_bgsave_in_progress"] == 0,
               timeout=60, message="the round to end")
    return admin.info("persistence")["rdb_last_bgsave_status"]


BGSAVE_MISCONF = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk."


def test_rounds_work_again_once_tier_space_is_back(small_disk, tmp_path):
    """A round whose RocksDB flush hits ENOSPC leaves RocksDB with a background error. Its
    own recovery waits for about two memtables' worth of free space, which a small disk
    never has, so every later round failed too, for good. The tier resumes RocksDB itself
    at the next round, and what the failed round wrote is kept. Meanwhile, with save rules
    set, writes are refused as Redis refuses them after a failed BGSAVE
    (stop-writes-on-bgsave-error)."""
    binary = server_bin_or_skip()
    # A save rule that never fires here: it only makes the failed round refuse writes.
    server = DurableServer(binary, small_disk / "data", tmp_path / "logs",
                           ["--appendonly", "no", "--save", "3600 100000000"])
    server.start()
    try:
        admin = server.client()
        # Random hex: compressed, still larger than the space left below.
        values = {f"tier:{i}": os.urandom(VALUE_BYTES // 2).hex() for i in range(300)}
        assert admin.mset(values) is True
        make_filler(small_disk / "filler", 256 << 10)
        assert run_round(admin) == "err"
        assert "No space left on device" in server.run_log()
        assert "No space left on device" in admin.info("persistence")["last_checkpoint_error"]
        with pytest.raises(redis.ResponseError) as refused:
            admin.set("probe", "x")
        assert str(refused.value).startswith(BGSAVE_MISCONF), refused.value
        assert admin.get("tier:0") == values["tier:0"]  # reads go on
        assert admin.config_set("stop-writes-on-bgsave-error", "no") is True
        assert admin.set("while-failed", "x") is True
        values["while-failed"] = "x"
        assert admin.config_set("stop-writes-on-bgsave-error", "yes") is True
        os.remove(small_disk / "filler")
        assert run_round(admin) == "ok", server.run_log()[-3000:]
        assert admin.set("after", "x") is True  # the round's success lifts the refusal
        assert admin.info("persistence")["last_checkpoint_error"] == ""
        values["after"] = "x"
        assert run_round(admin) == "ok", server.run_log()[-3000:]
        # appendonly no: the restart has only the tier.
        kill_restart_and_check(server, admin, values)
    finally:
        server.kill()


def test_the_journal_stops_at_its_limit_while_a_full_tier_disk_fails_rounds(small_disk, tmp_path):
    """Only a committed round deletes journal segments. With the tier's disk full (here the
    tier alone lives on the small tmpfs, through a symlink, and the journal on a roomy disk)
    every round fails, and the journal grew until its own disk was full too. Past 4 x
    journal-max-size, once a round has failed, writes are refused with MISCONF naming the tier's error; reads go on;
    once the tier has room the cron's next round commits, trims the journal and writes are
    accepted again, and nothing acknowledged is lost across a SIGKILL."""
    binary = server_bin_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (small_disk / "tier").mkdir()
    os.symlink(small_disk / "tier", data_dir / "tier")
    server = DurableServer(binary, data_dir, tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", "always", "--save", "",
                            "--journal-max-size", "64kb"])
    limit = 4 * (64 << 10)
    server.start()
    try:
        admin = server.client()
        acked = {"before": "x"}
        assert admin.set("before", "x") is True
        assert run_round(admin) == "ok", server.run_log()[-3000:]
        make_filler(small_disk / "filler", 64 << 10)

        refusal = None
        for i in range(4 * limit // VALUE_BYTES):
            key, value = f"full:{i}", os.urandom(VALUE_BYTES // 2).hex()
            try:
                assert admin.set(key, value) is True
            except redis.ResponseError as error:
                refusal = str(error)
                break
            acked[key] = value
        assert refusal is not None, "writes were never refused"
        assert refusal.startswith("MISCONF"), refusal
        assert "the journal reached its limit" in refusal, refusal
        assert ENOSPC_TEXT in refusal, refusal
        persistence = admin.info("persistence")
        assert persistence["aof_last_write_status"] == "ok", "the journal's own disk has room"
        assert persistence["rdb_last_bgsave_status"] == "err"
        # The limit applies once a round has failed: the journal may pass it by what was
        # written while that round ran, and not grow further.
        assert persistence["journal_bytes"] >= limit, persistence
        for i in range(20):
            with pytest.raises(redis.ResponseError, match="the journal reached its limit"):
                admin.set(f"refused:{i}", "x")
        assert admin.info("persistence")["journal_bytes"] == persistence["journal_bytes"]
        assert admin.get("full:0") == acked["full:0"]  # reads go on

        os.remove(small_disk / "filler")
        write_until_accepted(admin, "resumed")  # the cron's round commits within seconds
        acked["resumed"] = "resumed"
        assert admin.info("persistence")["journal_bytes"] < limit
        kill_restart_and_check(server, admin, acked)
    finally:
        server.kill()


def test_kill_after_a_point_in_time_round_failed_on_a_full_disk_shows_one_whole_image(small_disk, tmp_path):
    """appendonly no, small write buffers (maxmemory 64mb: memtables of 2 MiB): a round of
    about 5 MiB flushes part of itself before its commit, and with 4 MiB free the first
    flush fits and a later one fails, so the round fails. Killed then, and restarted with
    the space back, the tier shows one whole image: every key as the last committed round
    left it (or, had the round passed its commit record, every key as it had them); never
    the flushed part of the failed round beside the rest of the previous one."""
    binary = server_bin_or_skip()
    server = DurableServer(binary, small_disk / "data", tmp_path / "logs",
                           ["--appendonly", "no", "--save", "", "--maxmemory", "64mb"])
    server.start()
    try:
        admin = server.client()
        keys = [f"image:{i}" for i in range(1200)]
        # Random hex: compressed, still about 5 MiB an image.
        image_a = {key: "a:" + os.urandom(VALUE_BYTES // 2).hex() for key in keys}
        assert admin.mset(image_a) is True
        assert run_round(admin) == "ok", server.run_log()[-3000:]
        make_filler(small_disk / "filler", 4 << 20)
        image_b = {key: "b:" + os.urandom(VALUE_BYTES // 2).hex() for key in keys}
        assert admin.mset(image_b) is True
        assert run_round(admin) == "err"
        assert "No space left on device" in admin.info("persistence")["last_checkpoint_error"]
        admin.close()
        server.kill()
        os.remove(small_disk / "filler")
        server.start()
        assert not server.fatal_lines(), server.run_log()
        client = server.client()
        seen = dict(zip(keys, client.mget(keys)))
        client.close()
        expected = image_b if seen[keys[0]] == image_b[keys[0]] else image_a
        wrong = [key for key in keys if seen[key] != expected[key]]
        assert not wrong, (f"{len(wrong)} of {len(keys)} keys are not from the image of "
                           f"{seen[keys[0]][:2]!r}: {[(key, (seen[key] or '')[:2]) for key in wrong[:5]]}\n"
                           f"{server.all_logs()}")
        assert server.terminate() == 0, server.run_log()[-3000:]
    finally:
        server.kill()


TIERED_HEADROOM = 768 << 10  # the budget over the server's base memory: most values cold
# The budget while the disk fills. Over the budget writers wait for rounds to make values
# clean, and with the tier's disk full every round fails: they would wait until space is
# back, unanswered (neither MISCONF nor OOM), a known problem left out of this test.
FILL_BUDGET = "16mb"
COLD_KEYS = 400


def tiering(admin):
    return admin.info("tiering")


class ColdReader(threading.Thread):
    """GETs the keys of `expected` round and round (bounded) until `stop`: each reply must
    be the key's value or an error reply; a missing key or another value is wrong."""

    def __init__(self, port, expected):
        super().__init__(daemon=True)
        self.port = port
        self.expected = expected
        self.stop = threading.Event()
        self.served = 0
        self.refusals = collections.Counter()  # error text -> count
        self.wrong = []

    def run(self):
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=120)
        keys = list(self.expected)
        try:
            for i in range(100_000):
                if self.stop.wait(0.0005):  # leaves the shared CPU to the server's threads
                    return
                key = keys[(i * 7) % len(keys)]
                try:
                    value = client.get(key)
                except redis.ResponseError as error:
                    self.refusals[str(error)[:80]] += 1
                    continue
                if value != self.expected[key]:
                    self.wrong.append(f"GET {key} gave {(value or '(nil)')[:20]!r}")
                    return
                self.served += 1
        except Exception as error:
            self.wrong.append(f"reader raised {error!r}")
        finally:
            client.close()


def take_all_space(path):
    """Appends to `path` until the file system holding it has no byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * size
            for _ in range((16 << 20) // size):
                try:
                    os.write(fd, block)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    finally:
        os.close(fd)


def expect_refused(admin, where, *command):
    """A write refused for the full disk: MISCONF, or OOM where Redis would answer it first
    (over maxmemory, and values cannot leave DRAM: tiering off, or the tier full)."""
    with pytest.raises(redis.ResponseError) as refused:
        call(admin, *command)
    text = str(refused.value)
    if text.startswith("OOM"):
        info = tiering(admin)
        assert info["tier_full"] == 1 or admin.config_get("tiering")["tiering"] == "no", f"{where}: {text} {info}"
    else:
        assert text.startswith("MISCONF") and ENOSPC_TEXT in text, f"{where}: {command}: {text}"


def make_most_cold(server, admin, values):
    """Writes `values` and waits until most of them have left DRAM (the rounds demotion
    starts write them to the tier)."""
    for start in range(0, len(values), 100):
        chunk = dict(list(values.items())[start:start + 100])
        assert admin.mset(chunk) is True
    def mostly_cold():
        if tiering(admin)["tier_keys_cold"] >= len(values) // 2:
            return True
        try:
            admin.bgsave()
        except redis.ResponseError as error:
            assert "in progress" in str(error), error
        return False
    poll_until(mostly_cold, timeout=60, message="most values to leave DRAM", interval=0.1)


def config_changes_during_the_episode(fsync, budget):
    """(parameter, value) pairs set while the disk is full, each set back after."""
    other_fsync = "everysec" if fsync == "always" else "always"
    return [("tier-max-size", "1mb"), ("tier-max-size", "0"),
            ("maxmemory", budget), ("maxmemory", FILL_BUDGET),
            ("tiering", "no"), ("tiering", "yes"),
            ("appendfsync", other_fsync), ("appendfsync", fsync)]


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_disk_full_with_tiering_keeps_cold_values_and_every_acknowledged_write(fsync, small_disk, tmp_path):
    """Tiering on, most values cold, then the disk (journal and tier on one tmpfs) fills
    while writers add values that would be demotion candidates and readers read cold
    keys. Writes get MISCONF as without tiering; a read of a cold key answers its value
    or an error, never a wrong value or a nil; CONFIG SET of tier-max-size, maxmemory,
    tiering and appendfsync during the episode changes none of that and releases no held
    reply; once space is back writes resume, and a restart has every acknowledged write."""
    binary = server_bin_or_skip()
    tiered = ["--tier", "rocksdb", "--tiering", "yes", "--tier-min-value-size", "0"]
    budget = str(base_memory(binary, tmp_path / "probe", ["--appendonly", "yes", "--save", "", *tiered]) +
                 TIERED_HEADROOM)
    server = DurableServer(binary, small_disk / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", fsync, "--save", "", *tiered,
                            "--maxmemory", budget])
    server.start()
    try:
        admin = server.client()
        cold = {f"cold:{i}": f"{i}:" + os.urandom(VALUE_BYTES // 4).hex() for i in range(COLD_KEYS)}
        make_most_cold(server, admin, cold)
        reads_before = tiering(admin)["tier_cold_reads"]
        assert admin.config_set("maxmemory", FILL_BUDGET) is True

        readers = [ColdReader(server.port, cold) for _ in range(2)]
        for reader in readers:
            reader.start()
        make_filler(small_disk / "filler", FREE_BYTES)
        acked = {}
        for attempt in range(5):
            writer = FillWriter(server.port, incompressible=True, prefix=f"fill{attempt}")
            run_the_fill(writer, admin, fsync)
            # RocksDB deletes the files of a failed flush, and the journal's retry (once a
            # second) may use the space they free: the test takes every free byte, and
            # under everysec fills again if the retry got there first.
            take_all_space(small_disk / "hog")
            if fsync == "always" or journal_failed(admin):
                break
            acked.update(writer.acked)
        assert journal_failed(admin), admin.info("persistence")
        if fsync == "always":
            assert writer.is_alive() and writer.pending is not None and writer.misconf is None
        else:
            assert writer.misconf and ENOSPC_TEXT in writer.misconf, writer.misconf
        writer.stop.set()

        def still_refusing_and_reading(where):
            take_all_space(small_disk / "hog")
            expect_refused(admin, where, "SET", "probe", "x")
            expect_misconf(admin, "DEL", "cold:0")  # not refused for memory
            for reader in readers:
                assert not reader.wrong, f"{where}: {reader.wrong[:5]}\n{server.all_logs()}"
                assert reader.is_alive(), f"{where}: a reader stopped"
            if fsync == "always":
                assert writer.is_alive() and writer.pending is not None, (
                    f"{where}: the held write was answered before it was durable")

        still_refusing_and_reading("disk full")
        for parameter, value in config_changes_during_the_episode(fsync, budget):
            assert admin.config_set(parameter, value) is True, (parameter, value)
            still_refusing_and_reading(f"after CONFIG SET {parameter} {value}")
        assert_all_present(admin, cold, "reads of cold keys while the disk is full", server)
        assert_all_present(admin, {**acked, **writer.acked}, "reads while the disk is full", server)
        assert tiering(admin)["tier_cold_reads"] > reads_before, "no cold read during the episode"

        os.remove(small_disk / "filler")
        os.remove(small_disk / "hog")
        resumed = {}
        write_until_accepted(admin, "after:first")
        resumed["after:first"] = "resumed"
        writer.join(timeout=60)
        assert not writer.is_alive(), "the writer is still blocked after writes resumed"
        assert not writer.errors, writer.errors
        if fsync == "always":
            assert writer.pending is None and writer.misconf is None
        for i in range(50):
            key = f"after:{i}"
            resumed[key] = f"{i}:" + "r" * VALUE_BYTES
            assert admin.set(key, resumed[key]) is True
        for reader in readers:
            reader.stop.set()
            reader.join(timeout=60)
            assert not reader.wrong, f"{reader.wrong[:5]}\n{server.all_logs()}"
        served = sum(reader.served for reader in readers)
        assert served > 0, "the readers were never served"
        print(f"\n{fsync}: cold reads served {served}, refused "
              f"{dict(sum((reader.refusals for reader in readers), collections.Counter()))}, "
              f"{tiering(admin)['tier_keys_cold']} cold keys")

        everything = {**cold, **acked, **writer.acked, **resumed}
        stop_keeping_every_acknowledged_write(server, admin, fsync)
        server.start()
        assert not server.fatal_lines(), server.run_log()
        client = server.client()
        assert tiering(client)["tier_keys_cold"] > 0, "the restart left no value in the tier"
        assert_all_present(client, everything, "after the restart", server)
        assert tiering(client)["tier_cold_reads"] > 0
        client.close()
        assert server.terminate() == 0, server.run_log()[-3000:]
    finally:
        server.kill()
