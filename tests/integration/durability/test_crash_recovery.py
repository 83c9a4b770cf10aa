"""Crash recovery under load: SIGKILL the server at a random moment while writers are
busy, restart it on the same data directory, and check the recovered state against the
model of what was acknowledged (crash_model.py says what is checked and why).

Each fsync mode runs CYCLES kill cycles; the model carries over from one cycle to the
next, so later cycles recover journals and tiers that earlier crashes left. The cycles
rotate through three variants so that checkpoint rounds run while the load runs:
  plain              journal only (no rounds: --save "")
  checkpoint-client  a second client loops SAVE / BGSAVE / BGREWRITEAOF
  small-journal      --journal-max-size 64kb: rounds start by themselves

Reproduce a run with TIERKV_CRASH_SEED=<seed printed in the failure>; change the number
of cycles with TIERKV_CRASH_CYCLES.
"""
import collections
import os
import random
import threading
import time

import pytest
import redis

from crash_model import CONNECTION_ERRORS, EVERYSEC_WINDOW_S, Writer, cross_writer_holes, read_recovered, wall_ms
from crash_model_short_chains import SHORT_CHAIN_MAX_MS
from durability_harness import DurableServer, is_sanitized, server_bin_or_skip

WRITERS = 4
KILL_DELAY_S = (0.05, 0.4)  # the experiment: how long the load runs before SIGKILL
# With everysec only writes acknowledged more than EVERYSEC_WINDOW_S before the kill must
# survive; every LONG_CYCLE_EVERY-th cycle runs past the window so that the rule bites.
LONG_KILL_DELAY_S = (EVERYSEC_WINDOW_S + 0.2, EVERYSEC_WINDOW_S + 0.8)
LONG_CYCLE_EVERY = 8
VARIANTS = ("plain", "checkpoint-client", "small-journal")
LOAD_TIMEOUT_S = 60         # bound of every thread of one cycle


class Kill:
    def __init__(self, cycle, mono, wall):
        self.cycle = cycle
        self.mono = mono  # monotonic time just before SIGKILL
        self.wall = wall  # unix ms once the process is gone: every write ran before it


def variant_args(variant):
    return ["--journal-max-size", "64kb"] if variant == "small-journal" else []


def cycle_count(binary):
    default = 20 if is_sanitized(binary) else 24
    return int(os.environ.get("TIERKV_CRASH_CYCLES", default))


def run_writer(writer, *args):
    try:
        writer.run(*args)
    except Exception as error:  # a model bug must fail the test, not vanish with the thread
        writer.errors.append(f"writer {writer.tid} raised {error!r}")


def run_checkpoints(port, barrier, stop, deadline, result):
    """Rounds while the writers write: SAVE waits for one, BGSAVE and BGREWRITEAOF start
    one. "already in progress" answers are expected (a round is running)."""
    try:
        client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=30)
        client.ping()
    except CONNECTION_ERRORS as error:
        result["errors"].append(f"checkpoint client could not connect: {error!r}")
        client = None
    try:
        barrier.wait(timeout=60)
    except threading.BrokenBarrierError:
        return
    if client is None:
        return
    try:
        for i in range(2000):
            if stop.is_set() or time.monotonic() > deadline:
                return
            command = ("SAVE", "BGSAVE", "SAVE", "BGREWRITEAOF")[i % 4]
            try:
                client.execute_command(command)
                result["ok"] += 1
            except redis.ResponseError as error:
                if "in progress" not in str(error) and "is active" not in str(error):
                    result["errors"].append(f"{command} replied {error}")
                    return
    except CONNECTION_ERRORS:
        return
    except Exception as error:
        result["errors"].append(f"checkpoint client raised {error!r}")
    finally:
        client.close()


def wait_out_short_ttls(kill):
    """The experiment, not synchronisation: the restart comes after every short-TTL chain
    written before the kill has expired, so their keys expire while the server is down
    and replay meets expiries already past."""
    remaining_s = (kill.wall + SHORT_CHAIN_MAX_MS - wall_ms()) / 1000
    if remaining_s > 0:
        time.sleep(remaining_s)


def check_started(server, where):
    log = server.run_log()
    fatal = server.fatal_lines()
    if fatal or "DB loaded from disk" not in log:
        pytest.fail(f"{where}: the restart did not recover cleanly; log:\n{log[-4000:]}",
                    pytrace=False)


def verify_recovered(server, writers, fsync, kill, summary, where):
    client = server.client()
    try:
        values, expiries, present, check_wall = read_recovered(client, writers)
    finally:
        client.close()
    failures = []
    universe = {key for writer in writers for key in writer.tracked_keys() + writer.short_keys()}
    unknown = sorted(present - universe)
    if unknown:
        failures.append(f"keys nobody wrote: {unknown[:10]}")
    tracked = [key for writer in writers for key in writer.tracked_keys()]
    listed_wrong = [key for key in tracked if (values[key] is not None) != (key in present)]
    if listed_wrong:
        failures.append(f"GET and KEYS disagree about {listed_wrong[:10]}")
    cuts = {}
    for writer in writers:
        found, cut, stats = writer.verify(fsync, kill, values, expiries, check_wall)
        failures += found
        cuts[writer.tid] = cut
        age = stats.pop("acked_lost_max_age_ms")
        summary["acked_lost_max_age_ms"] = max(summary["acked_lost_max_age_ms"], age)
        summary.update(stats)
    if all(cut is not None for cut in cuts.values()):
        failures += cross_writer_holes(writers, cuts, kill.mono)
    if failures:
        pytest.fail(f"{where}: the recovered state is wrong ({len(failures)} problems):\n" +
                    "\n".join(failures[:20]) + f"\nrestart log:\n{server.run_log()[-3000:]}",
                    pytrace=False)
    for writer in writers:
        writer.adopt(values, expiries)
    return values, expiries


def load_and_kill(server, writers, cycle, variant, seed, delay, summary, where, observer):
    for writer in writers:
        writer.begin_cycle(cycle)
    stop = threading.Event()
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    with_checkpoints = variant == "checkpoint-client"
    barrier = threading.Barrier(len(writers) + 1 + with_checkpoints)
    threads = [threading.Thread(target=run_writer,
                                args=(writer, server.port, f"{seed}-{cycle}-{writer.tid}",
                                      barrier, stop, deadline))
               for writer in writers]
    rounds = {"ok": 0, "errors": []}
    if with_checkpoints:
        threads.append(threading.Thread(target=run_checkpoints,
                                        args=(server.port, barrier, stop, deadline, rounds)))
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=60)  # every client connected: the load starts now
    except threading.BrokenBarrierError:
        pass
    observer.load_started(server)
    time.sleep(delay)  # the experiment, not synchronisation
    kill_mono = time.monotonic()
    server.kill()
    kill = Kill(cycle, kill_mono, wall_ms())
    stop.set()
    for thread in threads:
        thread.join(timeout=LOAD_TIMEOUT_S)
    observer.load_killed(server, summary)
    if any(thread.is_alive() for thread in threads):
        pytest.fail(f"{where}: a client thread still runs {LOAD_TIMEOUT_S}s after the kill")
    errors = [error for writer in writers for error in writer.errors] + rounds["errors"]
    if errors:
        pytest.fail(f"{where}: wrong replies during the load:\n" + "\n".join(errors[:10]) +
                    f"\nserver log:\n{server.run_log()[-3000:]}", pytrace=False)
    fatal = server.fatal_lines()
    if fatal:
        pytest.fail(f"{where}: the server logged fatal errors before the kill:\n" + "\n".join(fatal),
                    pytrace=False)
    summary["checkpoints_under_load"] += server.run_log().count("Checkpoint at LSN")
    summary["client_rounds"] += rounds["ok"]
    return kill


class Observer:
    """What a variant of the test adds to each cycle (the tiered test: INFO tiering); this
    one adds nothing. Called from the main thread only."""

    def load_started(self, server):
        """The load runs from now until the kill."""

    def load_killed(self, server, summary):
        """The server was killed; the load threads are joined."""

    def restarted(self, server, summary, where):
        """The server recovered and answers; nothing has read it yet."""

    def verified(self, server, summary, where):
        """The recovered state was read and checked."""


def run_crash_cycles(fsync, tmp_path, base_args=(), cycles=None, observer=None):
    """The kill cycles of one fsync mode, then a clean stop and start; returns the
    summary (a Counter) after checking that the load and rounds ran."""
    binary = server_bin_or_skip()
    cycles = cycles if cycles is not None else cycle_count(binary)
    observer = observer or Observer()
    seed = int(os.environ.get("TIERKV_CRASH_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    server = DurableServer(binary, tmp_path / "data", tmp_path / "logs",
                           ["--appendonly", "yes", "--appendfsync", fsync, "--save", "", *base_args])
    writers = [Writer(tid) for tid in range(WRITERS)]
    summary = collections.Counter()
    kill = None
    started = time.monotonic()
    try:
        for cycle in range(cycles):
            variant = VARIANTS[cycle % len(VARIANTS)]
            where = f"appendfsync {fsync}, seed {seed}, cycle {cycle} ({variant})"
            if kill is not None:
                wait_out_short_ttls(kill)
            server.start(variant_args(variant))
            if kill is not None:
                recovering = (f"appendfsync {fsync}, seed {seed}, restart after the kill in cycle "
                              f"{kill.cycle} ({VARIANTS[kill.cycle % len(VARIANTS)]})")
                summary["torn_tails"] += "torn record" in server.run_log()
                check_started(server, recovering)
                observer.restarted(server, summary, recovering)
                verify_recovered(server, writers, fsync, kill, summary, recovering)
                observer.verified(server, summary, recovering)
            long_cycle = fsync == "everysec" and cycle % LONG_CYCLE_EVERY == LONG_CYCLE_EVERY - 1
            delay = rng.uniform(*(LONG_KILL_DELAY_S if long_cycle else KILL_DELAY_S))
            kill = load_and_kill(server, writers, cycle, variant, seed, delay, summary, where, observer)

        # The last crash, then a clean SIGTERM (the shutdown round) and one more start,
        # which must give back exactly the same keys and expiries.
        where = f"appendfsync {fsync}, seed {seed}, restart after the kill in the last cycle"
        wait_out_short_ttls(kill)
        server.start()
        summary["torn_tails"] += "torn record" in server.run_log()
        check_started(server, where)
        observer.restarted(server, summary, where)
        values, expiries = verify_recovered(server, writers, fsync, kill, summary, where)
        observer.verified(server, summary, where)
        assert server.terminate() == 0, f"SIGTERM exit status; log:\n{server.run_log()[-3000:]}"
        assert not server.fatal_lines(), server.run_log()[-3000:]
        server.start()
        check_started(server, where + " (clean restart)")
        client = server.client()
        try:
            again, expiries_again, _, _ = read_recovered(client, writers)
        finally:
            client.close()
        tracked = [key for writer in writers for key in writer.tracked_keys()]
        changed = [key for key in tracked
                   if (again[key], expiries_again[key]) != (values[key], expiries[key])]
        assert not changed, (f"{where}: a clean shutdown and start changed "
                             f"{[(k, values[k], again[k]) for k in changed[:5]]}")
        assert server.terminate() == 0, server.run_log()[-3000:]
    finally:
        server.kill()

    print(f"\nappendfsync {fsync}: {cycles} kill cycles in {time.monotonic() - started:.1f}s, "
          f"seed {seed}, {dict(summary)}")
    # The test proves something only if the load ran and rounds ran under it.
    assert summary["acked"] >= cycles * 10, f"too few writes acknowledged: {dict(summary)}"
    assert summary["checkpoints_under_load"] > 0, f"no checkpoint ran during the load: {dict(summary)}"
    assert summary["must_survive"] > 0, f"no write of a cycle was old enough to be checked: {dict(summary)}"
    return summary


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_crash_recovery(fsync, tmp_path):
    run_crash_cycles(fsync, tmp_path)
