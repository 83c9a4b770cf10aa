"""Crash recovery with tiering: the crash test's writers, kills and checks
(test_crash_recovery.py, crash_model.py) against a server whose DRAM budget is 768 KiB
above its own base memory (measured on a fresh server first), so that most values leave
DRAM once a round has written them (tier-min-value-size 0: the model's small values too). A budget
under the base memory (the redis-py cold mode's 3mb) would keep writers waiting for
rounds nearly all the time, and the load would be a few writes a cycle. The kills then land while
values are being demoted, while rounds write the values demotion waits for, and while
cold values are read back for the writers' commands; each restart leaves the values in
the tier (start-up reads keys only) and the checks read them back from it.

What the tiered variant adds to the checks: INFO tiering is sampled during each load
and read after each restart, and the run must show values demoted under load and, on
most restarts, cold values at start and cold reads serving the checks (else the test
would be the plain crash test again). No cold read may fail.

TIERKV_CRASH_SEED and TIERKV_CRASH_CYCLES work as in test_crash_recovery.py;
TIERKV_TIER_CRASH_BUDGET sets the budget instead.
"""
import os
import threading

import pytest
import redis

from durability_harness import base_memory, is_sanitized, server_bin_or_skip
from test_crash_recovery import Observer, run_crash_cycles

TIERED_ARGS = ("--tier", "rocksdb", "--tiering", "yes", "--tier-min-value-size", "0")
HEADROOM = 768 << 10  # the budget over the base memory: most of the writers' values are cold


def budget(binary, tmp_path):
    """TIERKV_TIER_CRASH_BUDGET, or a fresh server's base memory plus HEADROOM."""
    if os.environ.get("TIERKV_TIER_CRASH_BUDGET"):
        return os.environ["TIERKV_TIER_CRASH_BUDGET"]
    base = base_memory(binary, tmp_path / "probe", ["--appendonly", "yes", "--save", "", *TIERED_ARGS])
    return str(base + HEADROOM)


SAMPLE_INTERVAL_S = 0.01


def tiering_info(server):
    client = server.client(socket_timeout=10)
    try:
        return client.info("tiering")
    finally:
        client.close()


class TieringObserver(Observer):
    """Samples INFO tiering during each load (its own connection, until the kill breaks
    it) and reads it after each restart and each check."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = None
        self.last = {}
        self.errors = []

    def _sample(self, port):
        try:
            client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
            while not self.stop.is_set():
                self.last = client.info("tiering")
                self.stop.wait(SAMPLE_INTERVAL_S)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            return  # the kill
        except Exception as error:
            self.errors.append(f"INFO tiering sampler raised {error!r}")

    def load_started(self, server):
        self.stop.clear()
        self.last = {}
        self.thread = threading.Thread(target=self._sample, args=(server.port,), daemon=True)
        self.thread.start()

    def load_killed(self, server, summary):
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the INFO tiering sampler still runs after the kill"
        assert not self.errors, self.errors
        # Counters of the whole run (they start at zero with the process): the last
        # sample before the kill.
        summary["demotions"] += self.last.get("tier_demotions", 0)
        summary["runs_with_demotions"] += self.last.get("tier_demotions", 0) > 0
        summary["cold_reads_under_load"] += self.last.get("tier_cold_reads", 0)

    def restarted(self, server, summary, where):
        info = tiering_info(server)
        assert info["tiering_enabled"] == 1, f"{where}: {info}"
        summary["restarts"] += 1
        summary["cold_at_restart"] += info["tier_keys_cold"]
        summary["restarts_with_cold_keys"] += info["tier_keys_cold"] > 0

    def verified(self, server, summary, where):
        info = tiering_info(server)
        failures = {name: info[name] for name in ("tier_cold_read_failures", "tier_load_failures")
                    if info[name]}
        assert not failures, f"{where}: cold reads failed: {failures}\n{server.run_log()[-3000:]}"
        summary["cold_reads_in_checks"] += info["tier_cold_reads"] + info["tier_sync_loads"]
        summary["restarts_read_cold"] += info["tier_cold_reads"] + info["tier_sync_loads"] > 0


def tiered_cycle_count(binary):
    default = 12 if is_sanitized(binary) else 24
    return int(os.environ.get("TIERKV_CRASH_CYCLES", default))


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_tiered_crash_recovery(fsync, tmp_path):
    binary = server_bin_or_skip()
    cycles = tiered_cycle_count(binary)
    args = (*TIERED_ARGS, "--maxmemory", budget(binary, tmp_path))
    summary = run_crash_cycles(fsync, tmp_path, args, cycles, TieringObserver())
    # The run tested tiering only if values were cold: demoted under load, left in the
    # tier by start-up, and read back from it by the checks.
    assert summary["demotions"] > 0, f"no value was demoted under load: {dict(summary)}"
    assert summary["runs_with_demotions"] * 2 >= cycles, f"few loads demoted values: {dict(summary)}"
    assert summary["restarts_with_cold_keys"] * 2 >= summary["restarts"], (
        f"most restarts found no cold key: {dict(summary)}")
    assert summary["restarts_read_cold"] * 2 >= summary["restarts"], (
        f"most checks read no cold value: {dict(summary)}")
