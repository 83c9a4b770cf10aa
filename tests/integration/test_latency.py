"""LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR/HISTOGRAM/HELP with
latency-monitor-threshold, and the latency-tracking histograms behind
LATENCY HISTOGRAM and INFO latencystats, as Redis answers them."""
import re

import pytest

from conftest import RespMap, call, raises_reply

PERCENTILES = "latency-tracking-info-percentiles"


@pytest.fixture
def monitored(r, config_restore):
    """Latency monitoring from 10 ms on (high enough that a fast command descheduled
    on a busy machine does not cross it), with no event recorded yet."""
    config_restore("latency-monitor-threshold", "latency-tracking", PERCENTILES)
    r.config_set("latency-monitor-threshold", 10)
    call(r, "LATENCY", "RESET")
    return r


def slow_command(r, seconds=0.05):
    """A command that takes `seconds`: DEBUG SLEEP, as Redis's own tests do."""
    call(r, "DEBUG", "SLEEP", str(seconds))


def test_defaults_and_config_errors(r, config_restore):
    config_restore(PERCENTILES)
    assert r.config_get("latency-monitor-threshold") == {"latency-monitor-threshold": "0"}
    assert r.config_get("latency-tracking") == {"latency-tracking": "yes"}
    assert r.config_get(PERCENTILES) == {PERCENTILES: "50 99 99.9"}
    prefix = f"ERR CONFIG SET failed (possibly related to argument '{PERCENTILES}') - "
    with raises_reply(prefix + "Invalid latency-tracking-info-percentiles parameters"):
        r.config_set(PERCENTILES, "abc")
    with raises_reply(prefix + "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"):
        r.config_set(PERCENTILES, "101")
    r.config_set(PERCENTILES, "50 99.99 0.5")
    assert r.config_get(PERCENTILES) == {PERCENTILES: "50 99.99 0.5"}
    r.config_set(PERCENTILES, "")
    assert r.config_get(PERCENTILES) == {PERCENTILES: ""}


def test_nothing_recorded(monitored):
    r = monitored
    r.config_set("latency-monitor-threshold", 1000)
    assert call(r, "LATENCY", "LATEST") == []
    assert call(r, "LATENCY", "HISTORY", "command") == []
    assert call(r, "LATENCY", "RESET") == 0
    with raises_reply("ERR No samples available for event 'command'"):
        call(r, "LATENCY", "GRAPH", "command")
    assert isinstance(call(r, "LATENCY", "DOCTOR"), str)


def test_errors_and_help(r):
    with raises_reply("ERR unknown subcommand 'NOPE'. Try LATENCY HELP."):
        call(r, "LATENCY", "NOPE")
    with raises_reply("ERR wrong number of arguments for 'latency|history' command"):
        call(r, "LATENCY", "HISTORY")
    with raises_reply("ERR wrong number of arguments for 'latency|graph' command"):
        call(r, "LATENCY", "GRAPH", "a", "b")
    assert call(r, "LATENCY", "HELP") == [
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the "
        "specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ]


def test_a_slow_command_is_an_event(monitored):
    r = monitored
    now = r.time()[0]
    slow_command(r, 0.05)
    latest = {entry[0]: entry[1:] for entry in call(r, "LATENCY", "LATEST")}
    assert "command" in latest
    when, last_ms, max_ms = latest["command"]
    assert abs(when - now) <= 2
    assert 50 <= last_ms < 5000 and max_ms == last_ms
    history = call(r, "LATENCY", "HISTORY", "command")
    assert history == [[when, last_ms]]
    graph = call(r, "LATENCY", "GRAPH", "command")
    assert graph.startswith(f"command - high {last_ms} ms, low {last_ms} ms (all time high {max_ms} ms)\n")
    assert "command" in call(r, "LATENCY", "DOCTOR")
    # the worst of each second is kept, once per second
    slow_command(r, 0.07)
    history = call(r, "LATENCY", "HISTORY", "command")
    assert 1 <= len(history) <= 2
    latest = {entry[0]: entry[1:] for entry in call(r, "LATENCY", "LATEST")}
    assert max(ms for _, ms in history) == latest["command"][2] >= 70
    assert call(r, "LATENCY", "RESET", "nope", "command") == 1
    assert "command" not in [entry[0] for entry in call(r, "LATENCY", "LATEST")]


def test_below_the_threshold_or_switched_off_nothing_is_recorded(monitored):
    r = monitored
    r.config_set("latency-monitor-threshold", 1000)
    slow_command(r, 0.05)
    r.config_set("latency-monitor-threshold", 0)
    slow_command(r, 0.05)
    assert call(r, "LATENCY", "LATEST") == []


def histogram(r, *commands):
    """LATENCY HISTOGRAM as {command: (calls, [(usec, cumulative calls), ...])}."""
    reply = call(r, "LATENCY", "HISTOGRAM", *commands)
    out = {}
    for name, body in zip(reply[0::2], reply[1::2]):
        fields = dict(zip(body[0::2], body[1::2]))
        buckets = fields["histogram_usec"]
        out[name] = (fields["calls"], list(zip(buckets[0::2], buckets[1::2])))
    return out


def test_histogram_shape(r, config_restore):
    config_restore("latency-tracking")
    r.config_set("latency-tracking", "yes")
    r.config_resetstat()
    for i in range(20):
        r.set(f"k{i}", i)
    r.get("k1")
    shown = histogram(r, "set", "get", "nosuchcommand")
    assert set(shown) == {"set", "get"}
    calls, buckets = shown["set"]
    assert calls == 20
    assert buckets[-1][1] == 20
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(buckets, buckets[1:]))
    assert all(usec in (1, 2, 4, 8, 16, 33, 66, 132, 264, 528) or usec > 528 for usec, _ in buckets)
    # a container names its subcommands
    r.config_get("maxmemory")
    assert "config|get" in histogram(r, "config")
    assert set(histogram(r, "config|get")) == {"config|get"}
    everything = histogram(r)
    assert {"set", "get", "config|get", "config|resetstat"} <= set(everything)
    r.config_resetstat()
    assert "set" not in histogram(r)


def test_histogram_in_resp3_is_a_map(r3):
    r3.call("SET", "a", "1")
    reply = r3.call("LATENCY", "HISTOGRAM", "set")
    assert isinstance(reply, RespMap)
    body = reply[b"set"]
    assert isinstance(body, RespMap) and body[b"calls"] >= 1
    assert isinstance(body[b"histogram_usec"], RespMap)


def latencystats(r):
    text = call(r, "INFO", "latencystats")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split(":", 1) for line in lines)


def test_info_latencystats(r, config_restore):
    config_restore("latency-tracking", PERCENTILES)
    r.config_set("latency-tracking", "yes")
    r.config_resetstat()
    r.set("a", 1)
    r.get("a")
    stats = latencystats(r)
    number = r"\d+\.\d{3}"
    assert re.fullmatch(rf"p50={number},p99={number},p99\.9={number}", stats["latency_percentiles_usec_set"])
    assert "latency_percentiles_usec_get" in stats
    assert "latency_percentiles_usec_hset" not in stats
    r.config_set(PERCENTILES, "50 99.99")
    assert re.fullmatch(rf"p50={number},p99\.99={number}", latencystats(r)["latency_percentiles_usec_set"])
    r.config_set(PERCENTILES, "")
    assert latencystats(r)["latency_percentiles_usec_set"] == ""
    r.config_set("latency-tracking", "no")
    assert latencystats(r) == {}
    assert "# Latencystats" in call(r, "INFO", "latencystats")
