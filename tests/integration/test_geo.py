"""Geo commands: GEOADD GEODIST GEOHASH GEOPOS GEOSEARCH GEOSEARCHSTORE GEORADIUS
GEORADIUSBYMEMBER and the _RO forms, with every error Redis gives for bad arguments and
combinations, RESP2 and RESP3 reply bytes, members added by ZADD with arbitrary scores,
key positions, DUMP/RESTORE with a redis-server peer, and survival of SIGKILL under the
journal, before and after a SAVE.

Besides the literal expectations (recorded against redis-server 7.0.15), the randomized
tests send the same commands to the server under test and to a redis-server peer and
compare the reply bytes: positions near the poles and the antimeridian, every radius from
0 to the whole Earth, boxes, COUNT with and without ANY over many points at the same
position (Redis orders those ties with its own partial quicksort).

Stored distances (STOREDIST) are compared as numbers: tierkv prints sorted-set scores in
Redis 7.2's shortest form (see test_sorted_sets.py).
"""
import random

import pytest

from conftest import ALWAYS, sigkill, start_server, NOT_INT, SYNTAX, WRONGTYPE, call, raises_reply

NOT_FLOAT = "ERR value is not a valid float"
BAD_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
UNKNOWN_MEMBER = "ERR could not decode requested zset member"
LAT_MAX = 85.05112878

SICILY = ["13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
          "13.583333", "37.316667", "Agrigento"]


def sicily(client, key="Sicily"):
    return call(client, "GEOADD", key, *SICILY)


# --------------------------------------------------------------------------- GEOADD

def test_geoadd_stores_geohash_scores(r):
    assert sicily(r) == 3
    assert r.zrange("Sicily", 0, -1, withscores=True) == [
        ("Agrigento", 3479030013248308.0), ("Palermo", 3479099956230698.0),
        ("Catania", 3479447370796909.0)]
    assert call(r, "OBJECT", "ENCODING", "Sicily") == "listpack"
    assert call(r, "TYPE", "Sicily") == "zset"
    # Extreme corners: the minimum is score 0, the maximum quantises past the grid.
    assert call(r, "GEOADD", "corners", 180, LAT_MAX, "max", -180, -LAT_MAX, "min") == 2
    assert r.zscore("corners", "min") == 0
    assert r.zscore("corners", "max") == 3 << 52


def test_geoadd_nx_xx_ch(r):
    assert call(r, "GEOADD", "g", "CH", 1, 2, "a", 3, 4, "b") == 2
    assert call(r, "GEOADD", "g", "CH", 1, 2, "a", 3, 5, "b") == 1     # b moved
    assert call(r, "GEOADD", "g", 1, 3, "a", 3, 6, "c") == 1           # a moved, c added
    assert call(r, "GEOADD", "g", "XX", "CH", 1, 4, "a", 3, 5, "d") == 1  # d not added
    assert call(r, "GEOADD", "g", "NX", "CH", 1, 9, "a", 3, 5, "d") == 1  # a kept
    assert call(r, "GEOADD", "g", "XX", 1, 2, "a") == 0
    assert sorted(r.zrange("g", 0, -1)) == ["a", "b", "c", "d"]
    assert call(r, "GEOADD", "fresh", "XX", 1, 2, "a") == 0
    assert r.exists("fresh") == 0
    assert [round(v, 4) for v in r.geopos("g", "a")[0]] == [1.0, 2.0]


def test_geoadd_errors(r):
    with raises_reply("ERR invalid longitude,latitude pair 200.000000,100.000000"):
        call(r, "GEOADD", "g", 200, 100, "a")
    with raises_reply("ERR invalid longitude,latitude pair 1.000000,85.051129"):
        call(r, "GEOADD", "g", 1, 85.0511288, "a")
    with raises_reply("ERR invalid longitude,latitude pair -180.500000,0.000000"):
        call(r, "GEOADD", "g", 1, 2, "ok", -180.5, 0, "a")  # nothing added when one is bad
    assert r.exists("g") == 0
    with raises_reply("ERR invalid longitude,latitude pair inf,0.000000"):
        call(r, "GEOADD", "g", "inf", 0, "a")
    with raises_reply(NOT_FLOAT):
        call(r, "GEOADD", "g", "x", 2, "a")
    with raises_reply(NOT_FLOAT):
        call(r, "GEOADD", "g", 1, "nan", "a")
    # Redis's GEOADD answers a syntax error for NX with XX (ZADD would name the conflict).
    with raises_reply(SYNTAX):
        call(r, "GEOADD", "g", "NX", "XX", 1, 2, "a")
    with raises_reply(SYNTAX):
        call(r, "GEOADD", "g", 1, 2, "a", 3)
    with raises_reply(SYNTAX):
        call(r, "GEOADD", "g", "GT", 1, 2, "a")
    with raises_reply(SYNTAX):
        call(r, "GEOADD", "g", "CH", "CH", "CH")  # options only
    with raises_reply("ERR wrong number of arguments for 'geoadd' command"):
        call(r, "GEOADD", "g", 1, 2)
    # Coordinates are checked before the key's type.
    r.set("str", "x")
    with raises_reply("ERR invalid longitude,latitude pair 200.000000,0.000000"):
        call(r, "GEOADD", "str", 200, 0, "a")
    with raises_reply(WRONGTYPE):
        call(r, "GEOADD", "str", 1, 2, "a")


# --------------------------------------------------------------------------- GEODIST / GEOHASH / GEOPOS

def test_geodist_units(r):
    sicily(r)
    assert call(r, "GEODIST", "Sicily", "Palermo", "Catania") == "166274.1516"
    assert call(r, "GEODIST", "Sicily", "Palermo", "Catania", "m") == "166274.1516"
    assert call(r, "GEODIST", "Sicily", "Palermo", "Catania", "KM") == "166.2742"
    assert call(r, "GEODIST", "Sicily", "Palermo", "Catania", "mi") == "103.3182"
    assert call(r, "GEODIST", "Sicily", "Palermo", "Catania", "Ft") == "545518.8700"
    assert call(r, "GEODIST", "Sicily", "Palermo", "Palermo") == "0.0000"
    assert call(r, "GEODIST", "Sicily", "Palermo", "nobody") is None
    assert call(r, "GEODIST", "nokey", "Palermo", "Catania") is None
    with raises_reply(BAD_UNIT):
        call(r, "GEODIST", "Sicily", "Palermo", "Catania", "yd")
    with raises_reply(BAD_UNIT):
        call(r, "GEODIST", "nokey", "a", "b", "yd")  # the unit is checked before the key
    with raises_reply(SYNTAX):
        call(r, "GEODIST", "Sicily", "Palermo", "Catania", "km", "x")
    r.set("str", "x")
    with raises_reply(WRONGTYPE):
        call(r, "GEODIST", "str", "a", "b")


def test_geohash_and_geopos(r):
    sicily(r)
    assert call(r, "GEOHASH", "Sicily", "Palermo", "Catania", "nobody") == [
        "sqc8b49rny0", "sqdtr74hyu0", None]
    assert call(r, "GEOHASH", "nokey", "a", "b") == [None, None]
    assert call(r, "GEOHASH", "Sicily") == []
    assert call(r, "GEOPOS", "Sicily", "Palermo", "nobody", "Agrigento") == [
        ["13.36138933897018433", "38.11555639549629859"], None,
        ["13.5833314061164856", "37.31666804993816555"]]
    assert call(r, "GEOPOS", "nokey", "a") == [None]
    assert call(r, "GEOPOS", "Sicily") == []
    r.set("str", "x")
    for command in ("GEOHASH", "GEOPOS"):
        with raises_reply(WRONGTYPE):
            call(r, command, "str", "a")


def test_members_added_by_zadd_with_any_score(r):
    """Any double decodes as Redis's C cast makes of it (x86-64)."""
    call(r, "ZADD", "mixed", -1, "a", "1e300", "b", "-1e300", "c", "inf", "d", "-inf", "e",
         "9.3e18", "f", "1.9e19", "h", "3.5", "i", 0, "j", 4503599627370495, "k",
         4503599627370496, "l")
    assert call(r, "GEOPOS", "mixed", "a", "b", "c", "d", "e", "f", "h", "i", "j", "k", "l") == [
        ["180", "85.0511287799999991"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["180", "-85.05112751263942528"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["180", "-85.05112751263942528"],
        ["180", "85.0511287799999991"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["-179.99999195337295532", "-85.05112497791824921"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["179.99999731779098511", "85.05112751263942528"],
        ["-179.99999731779098511", "85.0511287799999991"]]
    assert call(r, "GEOHASH", "mixed", "a", "b", "c", "i", "k") == [
        "bp05b5048p0", "00bh0hbj200", "00bh0hbj200", "00bh0hbj210", "zzpgzgpfxz0"]
    assert call(r, "GEODIST", "mixed", "a", "c") == "18919844.5891"
    # Searches read score ranges: members whose real scores lie outside every 52-bit cell
    # (b, d, h) are not found even though they decode to the corner.
    assert call(r, "GEOSEARCH", "mixed", "FROMLONLAT", -179.9, -85, "BYRADIUS", 100, "km",
                "ASC", "WITHHASH") == [["i", 3], ["j", 0]]


# --------------------------------------------------------------------------- searches

def test_georadius_options(r):
    sicily(r)
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "WITHDIST", "WITHCOORD", "ASC") == [
        ["Catania", "56.4413", ["15.08726745843887329", "37.50266842333162032"]],
        ["Agrigento", "130.4235", ["13.5833314061164856", "37.31666804993816555"]],
        ["Palermo", "190.4424", ["13.36138933897018433", "38.11555639549629859"]]]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km") == ["Agrigento", "Palermo", "Catania"]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "DESC") == ["Palermo", "Agrigento", "Catania"]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "mi", "WITHDIST", "ASC") == [
        ["Catania", "35.0711"], ["Agrigento", "81.0416"], ["Palermo", "118.3357"]]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200000, "ft", "WITHDIST", "COUNT", 2) == [
        ["Catania", "185174.7305"]]
    # COUNT sorts ascending unless told; with ANY it takes the first found.
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 2) == ["Catania", "Agrigento"]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 2, "DESC") == ["Palermo", "Agrigento"]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 1, "ANY") == ["Agrigento"]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "WITHHASH", "COUNT", 1) == [
        ["Catania", 3479447370796909]]
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 1, "km") == []
    assert call(r, "GEORADIUS", "nokey", 15, 37, 1, "km") == []
    assert call(r, "GEORADIUS_RO", "Sicily", 15, 37, 100, "km", "WITHDIST") == [["Catania", "56.4413"]]
    assert call(r, "GEORADIUSBYMEMBER", "Sicily", "Palermo", 100, "km", "WITHDIST") == [
        ["Agrigento", "90.9778"], ["Palermo", "0.0000"]]
    assert call(r, "GEORADIUSBYMEMBER_RO", "Sicily", "Agrigento", 100, "km", "ASC") == [
        "Agrigento", "Palermo"]


def test_geosearch_by_radius_and_box(r):
    sicily(r)
    assert call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "ASC",
                "WITHDIST") == [["Catania", "56.4413"], ["Agrigento", "130.4235"], ["Palermo", "190.4424"]]
    # A box reaches corners a circle of half its width does not (Palermo, 190 km away).
    assert call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 150, "km", "ASC") == [
        "Catania", "Agrigento"]
    assert call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 300, 300, "km", "ASC") == [
        "Catania", "Agrigento", "Palermo"]
    assert call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 260, 260, "km", "ASC") == [
        "Catania", "Agrigento"]
    assert call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 100, "km") == ["Agrigento"]
    assert call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 100, 400, "km") == ["Catania"]
    assert call(r, "GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 100, "km",
                "WITHDIST") == [["Agrigento", "90.9778"], ["Palermo", "0.0000"]]
    assert call(r, "GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 1, 1, "m",
                "WITHCOORD", "WITHHASH") == [
        ["Palermo", 3479099956230698, ["13.36138933897018433", "38.11555639549629859"]]]
    assert call(r, "GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", 1, "km") == []
    assert call(r, "geosearch", "Sicily", "fromlonlat", 15, 37, "byradius", 60, "KM") == ["Catania"]


def test_store_forms(r):
    sicily(r)
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "dst") == 3
    assert r.zrange("dst", 0, -1, withscores=True) == r.zrange("Sicily", 0, -1, withscores=True)
    assert call(r, "GEORADIUS", "Sicily", 15, 37, 200, "km", "STOREDIST", "dist", "COUNT", 2) == 2
    assert [(m, round(s, 6)) for m, s in r.zrange("dist", 0, -1, withscores=True)] == [
        ("Catania", 56.441258), ("Agrigento", 130.423487)]
    assert call(r, "GEORADIUSBYMEMBER", "Sicily", "Palermo", 100, "km", "STORE", "a", "STOREDIST", "b") == 2
    assert r.exists("a") == 0 and r.zcard("b") == 2  # the last of STORE / STOREDIST wins
    assert call(r, "GEOSEARCHSTORE", "out", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km",
                "DESC", "COUNT", 2) == 2
    assert r.zrange("out", 0, -1) == ["Agrigento", "Palermo"]
    assert call(r, "GEOSEARCHSTORE", "out", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km",
                "STOREDIST") == 3
    assert round(r.zscore("out", "Catania"), 4) == 56.4413
    assert call(r, "OBJECT", "ENCODING", "out") == "listpack"
    # The source itself as destination.
    assert call(r, "GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 100, "km") == 2
    assert sorted(r.zrange("Sicily", 0, -1)) == ["Agrigento", "Palermo"]
    # Nothing found, or no source: the destination is deleted.
    assert call(r, "GEOSEARCHSTORE", "out", "Sicily", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "m") == 0
    assert r.exists("out") == 0
    r.set("victim", "x")
    assert call(r, "GEORADIUS", "nokey", 0, 0, 1, "m", "STORE", "victim") == 0
    assert r.exists("victim") == 0
    r.set("victim", "x")
    assert call(r, "GEORADIUSBYMEMBER", "nokey", "nobody", "bad", "yd", "STORE", "victim") == 0
    assert r.exists("victim") == 0
    # A destination of another type is simply replaced.
    r.set("victim", "x")
    assert call(r, "GEOSEARCHSTORE", "victim", "Sicily", "FROMLONLAT", 13.5, 37.5, "BYRADIUS", 200, "km") == 2
    assert call(r, "TYPE", "victim") == "zset"


def test_store_results_take_the_encoding_of_their_size(r):
    args = []
    for i in range(200):
        args += [10 + i * 0.001, 20, f"m{i}"]
    call(r, "GEOADD", "many", *args)
    assert call(r, "OBJECT", "ENCODING", "many") == "skiplist"
    assert call(r, "GEOSEARCHSTORE", "few", "many", "FROMLONLAT", 10, 20, "BYRADIUS", 1, "km") == 10
    assert call(r, "OBJECT", "ENCODING", "few") == "listpack"
    assert call(r, "GEOSEARCHSTORE", "all", "many", "FROMLONLAT", 10, 20, "BYRADIUS", 100, "km") == 200
    assert call(r, "OBJECT", "ENCODING", "all") == "skiplist"


def test_search_argument_errors(r):
    sicily(r)
    cases = [
        (("GEORADIUS", "Sicily", 200, 37, 1, "km"), "ERR invalid longitude,latitude pair 200.000000,37.000000"),
        (("GEORADIUS", "Sicily", "x", 37, 1, "km"), NOT_FLOAT),
        (("GEORADIUS", "Sicily", 15, 37, "x", "km"), "ERR need numeric radius"),
        (("GEORADIUS", "Sicily", 15, 37, -1, "km"), "ERR radius cannot be negative"),
        (("GEORADIUS", "Sicily", 15, 37, 1, "yd"), BAD_UNIT),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "COUNT", 0), "ERR COUNT must be > 0"),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "COUNT", -3), "ERR COUNT must be > 0"),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "COUNT", "x"), NOT_INT),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "COUNT"), SYNTAX),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "ANY"), "ERR the ANY argument requires COUNT argument"),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "STORE"), SYNTAX),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "BYBOX", 1, 1, "km"), SYNTAX),
        (("GEORADIUS", "Sicily", 15, 37, 1, "km", "STORE", "d", "WITHDIST"),
         "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        (("GEORADIUSBYMEMBER", "Sicily", "Palermo", 1, "km", "WITHHASH", "STOREDIST", "d"),
         "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        (("GEORADIUS_RO", "Sicily", 15, 37, 1, "km", "STORE", "d"), SYNTAX),
        (("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", 1, "km", "STOREDIST", "d"), SYNTAX),
        (("GEORADIUSBYMEMBER", "Sicily", "nobody", 1, "km"), UNKNOWN_MEMBER),
        (("GEORADIUSBYMEMBER", "Sicily", "nobody", "x", "yd"), UNKNOWN_MEMBER),  # member first
        (("GEORADIUSBYMEMBER", "Sicily", "Palermo", "x", "km"), "ERR need numeric radius"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 200, 37, "BYRADIUS", 1, "km"),
         "ERR invalid longitude,latitude pair 200.000000,37.000000"),
        (("GEOSEARCH", "Sicily", "BYRADIUS", 1, "km", "ASC", "ASC"),
         "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
        (("geosearch", "Sicily", "BYRADIUS", 1, "km", "ASC", "ASC"),
         "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "ASC", "ASC"),
         "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km"), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km"), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "BYBOX", 1, 1, "km"), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, 1, "km", "BYRADIUS", 1, "km"), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, 1), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "ANY"),
         "ERR the ANY argument requires COUNT argument"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "STOREDIST"), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "STORE", "d"), SYNTAX),
        (("GEOSEARCH", "Sicily", "FROMMEMBER", "nobody", "BYRADIUS", 1, "km"), UNKNOWN_MEMBER),
        (("GEOSEARCH", "Sicily", "FROMMEMBER", "nobody", "BYRADIUS", "x", "km"), UNKNOWN_MEMBER),
        (("GEOSEARCH", "Sicily", "BYRADIUS", "x", "km", "FROMMEMBER", "nobody"), "ERR need numeric radius"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", "x", 1, "km"), "ERR need numeric width"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, "x", "km"), "ERR need numeric height"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", -1, 1, "km"),
         "ERR height or width cannot be negative"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, -1, "km"),
         "ERR height or width cannot be negative"),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, 1, "yd"), BAD_UNIT),
        (("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", -1, "km"), "ERR radius cannot be negative"),
        (("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "WITHCOORD"),
         "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        (("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "STORE", "x"), SYNTAX),
        (("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", 15, 37, "ASC", "ASC"),
         "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCHSTORE"),
        # Without a source key the member is not looked up, but the rest is still checked.
        (("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "x", "km"), "ERR need numeric radius"),
        (("GEOSEARCH", "nokey", "FROMMEMBER", "x", "ASC", "ASC", "ASC"),
         "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
        (("GEORADIUSBYMEMBER", "nokey", "x", 1, "km", "STORE", "d", "WITHDIST"),
         "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        (("GEORADIUSBYMEMBER", "nokey", "x", 1, "km", "BOGUS"), SYNTAX),
    ]
    for args, error in cases:
        with raises_reply(error):
            call(r, *args)
    # The first error found is the one reported: options left to right.
    with raises_reply("ERR COUNT must be > 0"):
        call(r, "GEOSEARCH", "Sicily", "COUNT", 0, "FROMLONLAT", 200, 37, "BYRADIUS", 1, "yd")
    with raises_reply(BAD_UNIT):
        call(r, "GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "yd", "COUNT", 0)


def test_search_commands_against_the_wrong_type(r):
    r.set("str", "x")
    for args in (("GEORADIUS", "str", 200, 37, "x", "yd"),
                 ("GEORADIUSBYMEMBER", "str", "m", "x", "yd"),
                 ("GEORADIUS_RO", "str", 15, 37, 1, "km"),
                 ("GEORADIUSBYMEMBER_RO", "str", "m", 1, "km"),
                 ("GEOSEARCH", "str", "FROMLONLAT", 200, 37, "BYRADIUS", 1, "km"),
                 ("GEOSEARCHSTORE", "d", "str", "BOGUS", 1, 2, 3, 4)):
        with raises_reply(WRONGTYPE):  # the type is checked before any argument
            call(r, *args)
    # The destination's type does not matter, and a missing source deletes it.
    assert call(r, "GEOSEARCHSTORE", "str", "nokey", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km") == 0
    assert r.exists("str") == 0


@pytest.mark.parametrize("command,arity", [
    ("GEOADD", -5), ("GEODIST", -4), ("GEOHASH", -2), ("GEOPOS", -2), ("GEORADIUS", -6),
    ("GEORADIUSBYMEMBER", -5), ("GEORADIUS_RO", -6), ("GEORADIUSBYMEMBER_RO", -5),
    ("GEOSEARCH", -7), ("GEOSEARCHSTORE", -8)])
def test_arity(r, command, arity):
    info = call(r, "COMMAND", "INFO", command)[0]
    assert info[1] == arity
    with raises_reply(f"ERR wrong number of arguments for '{command.lower()}' command"):
        call(r, command, *(["k"] * (-arity - 2)))


def test_command_info_flags_and_keys(r):
    def flags(name):
        return set(call(r, "COMMAND", "INFO", name)[0][2])
    assert flags("GEORADIUS") == {"write", "denyoom", "movablekeys"}
    assert flags("GEORADIUSBYMEMBER") == {"write", "denyoom", "movablekeys"}
    assert flags("GEOSEARCHSTORE") == {"write", "denyoom"}
    assert flags("GEOADD") == {"write", "denyoom"}
    for name in ("GEODIST", "GEOHASH", "GEOPOS", "GEOSEARCH", "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO"):
        assert flags(name) == {"readonly"}, name

    def keys(*args):
        return call(r, "COMMAND", "GETKEYS", *args)
    assert keys("GEORADIUS", "k", 1, 2, 3, "km") == ["k"]
    assert keys("GEORADIUS", "k", 1, 2, 3, "km", "STORE", "a", "STOREDIST", "b") == ["k", "a", "b"]
    assert keys("GEORADIUS", "k", 1, 2, 3, "km", "STORE", "a", "STORE", "b") == ["k", "a"]
    assert keys("GEORADIUSBYMEMBER", "k", "store", 3, "km", "STORE", "d") == ["k", "d"]
    assert keys("GEORADIUSBYMEMBER", "k", "m", 3, "km", "storedist", "d", "COUNT", 3) == ["k", "d"]
    assert keys("GEOSEARCHSTORE", "d", "s", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km") == ["d", "s"]
    assert keys("GEOADD", "k", 1, 2, "m") == ["k"]


# --------------------------------------------------------------------------- replies byte for byte

def test_resp3_reply_shapes(r3):
    assert r3.call("GEOADD", "Sicily", *SICILY) == 3
    r3.send_command("GEOPOS", "Sicily", "Palermo", "nobody")
    assert r3.read_raw() == (b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n")
    r3.send_command("GEORADIUS", "Sicily", 15, 37, 100, "km", "WITHDIST", "WITHHASH", "WITHCOORD")
    assert r3.read_raw() == (b"*1\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n"
                             b"*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n")
    r3.send_command("GEODIST", "Sicily", "Palermo", "Catania")
    assert r3.read_raw() == b"$11\r\n166274.1516\r\n"
    r3.send_command("GEODIST", "nokey", "Palermo", "Catania")
    assert r3.read_raw() == b"_\r\n"
    r3.send_command("GEOHASH", "Sicily", "nobody")
    assert r3.read_raw() == b"*1\r\n_\r\n"


def test_resp2_wire_bytes(raw):
    conn = raw()
    conn.call("FLUSHALL")
    conn.call("GEOADD", "Sicily", *SICILY)
    conn.send_command("GEOPOS", "Sicily", "Palermo", "nobody")
    assert conn.read_raw() == (b"*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"
                               b"*-1\r\n")
    conn.send_command("GEOHASH", "Sicily", "nobody")
    assert conn.read_raw() == b"*1\r\n$-1\r\n"
    conn.send_command("GEOSEARCH", "nokey", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km")
    assert conn.read_raw() == b"*0\r\n"


def random_commands(seed, points, queries):
    """GEOADDs of points clustered, duplicated, near the poles and the antimeridian, then
    searches of every kind and size over them."""
    rnd = random.Random(seed)
    scales = {"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}

    def lon():
        return rnd.choice([rnd.uniform(-180, 180), rnd.uniform(170, 180), rnd.uniform(-180, -170),
                           rnd.choice([-180, 180, 0])])

    def lat():
        return rnd.choice([rnd.uniform(-LAT_MAX, LAT_MAX), rnd.uniform(80, LAT_MAX),
                           rnd.uniform(-LAT_MAX, -80), rnd.choice([-LAT_MAX, LAT_MAX, 0])])

    placed = []
    commands = []
    for batch in range(points):
        args = []
        for i in range(rnd.randint(1, 30)):
            if placed and rnd.random() < 0.3:
                x, y = rnd.choice(placed)  # the same position again: equal distances
            elif placed and rnd.random() < 0.5:
                cx, cy = rnd.choice(placed)
                x = max(-180, min(180, cx + rnd.uniform(-2, 2)))
                y = max(-LAT_MAX, min(LAT_MAX, cy + rnd.uniform(-2, 2)))
            else:
                x, y = lon(), lat()
            placed.append((x, y))
            args += [repr(x), repr(y), f"m{batch}_{i}"]
        commands.append(("GEOADD", "g", *args))
    for _ in range(queries):
        unit = rnd.choice(list(scales))
        radius = rnd.choice([0, rnd.uniform(0, 1000), rnd.uniform(0, 2e5), rnd.uniform(0, 3e6),
                             rnd.uniform(0, 2.5e7)]) / scales[unit]
        options = []
        if rnd.random() < 0.5:
            options.append(rnd.choice(["ASC", "DESC"]))
        if rnd.random() < 0.5:
            options += ["COUNT", rnd.randint(1, 30)]
            if rnd.random() < 0.3:
                options.append("ANY")
        with_options = [o for o in ("WITHDIST", "WITHCOORD", "WITHHASH") if rnd.random() < 0.6]
        cx, cy = rnd.choice(placed) if rnd.random() < 0.5 else (lon(), lat())
        origin = (["FROMLONLAT", repr(cx), repr(cy)] if rnd.random() < 0.7
                  else ["FROMMEMBER", f"m{rnd.randrange(points)}_0"])
        if rnd.random() < 0.5:
            shape = ["BYRADIUS", repr(radius), unit]
        else:
            width = rnd.choice([radius, rnd.uniform(0, 4e7) / scales[unit]])
            height = rnd.choice([radius, rnd.uniform(0, 4e7) / scales[unit]])
            shape = ["BYBOX", repr(width), repr(height), unit]
        commands.append(("GEOSEARCH", "g", *origin, *shape, *options, *with_options))
        if rnd.random() < 0.3:
            commands.append(("GEORADIUS", "g", repr(cx), repr(cy), repr(radius), unit, *options, *with_options))
        if rnd.random() < 0.2:
            member = f"m{rnd.randrange(points)}_0"
            commands.append(("GEORADIUSBYMEMBER_RO", "g", member, repr(radius), unit, *options, *with_options))
        if rnd.random() < 0.1:
            a, b = rnd.randrange(points), rnd.randrange(points)
            commands.append(("GEODIST", "g", f"m{a}_0", f"m{b}_0", unit))
            commands.append(("GEOPOS", "g", f"m{a}_0", f"m{b}_0", "nobody"))
            commands.append(("GEOHASH", "g", f"m{a}_0", f"m{b}_0", "nobody"))
    return commands


def same_replies(server_conn, peer_conn, commands):
    for args in commands:
        server_conn.send_command(*args)
        peer_conn.send_command(*args)
        mine, theirs = server_conn.read_raw(), peer_conn.read_raw()
        assert mine == theirs, f"{args}:\n  server: {mine[:500]!r}\n  redis:  {theirs[:500]!r}"


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("seed,points", [(1, 30), (2, 4), (3, 12)])  # skiplist, listpack, both
def test_random_searches_reply_as_redis(server, peer, protocol, seed, points):
    mine, theirs = server.raw(timeout=20), peer.raw(timeout=20)
    try:
        for conn in (mine, theirs):
            if protocol == 3:
                conn.call("HELLO", "3")
            conn.call("FLUSHALL")
        same_replies(mine, theirs, random_commands(seed, points, 250))
    finally:
        mine.close()
        theirs.close()


def test_count_orders_ties_as_redis(server, peer):
    """Many members at a few positions: COUNT keeps the nearest in the order Redis's
    partial quicksort leaves equal distances (a stable sort would differ)."""
    rnd = random.Random(7)
    commands = []
    for n in (5, 12, 50, 100, 300):
        args = []
        for i in range(n):
            x, y = rnd.choice([(13.1, 38.1), (13.2, 38.2), (13.3, 38.0), (13.15, 38.15)])
            args += [x, y, f"p{n}_{i}"]
        commands.append(("GEOADD", f"t{n}", *args))
        for count in sorted({1, 2, 3, 6, 7, 8, 10, 20, 41, 60, n - 1, n, n + 1}):
            for order in ((), ("ASC",), ("DESC",)):
                base = ("GEOSEARCH", f"t{n}", "FROMLONLAT", 13.0, 38.0, "BYRADIUS", 100, "km")
                commands.append((*base, "COUNT", count, *order))
                commands.append((*base, "COUNT", count, "ANY", *order))
        commands.append(("GEORADIUS", f"t{n}", 13.0, 38.0, 100, "km", "ASC"))
        commands.append(("GEORADIUS", f"t{n}", 13.0, 38.0, 100, "km", "DESC", "COUNT", 7, "WITHDIST"))
    mine, theirs = server.raw(timeout=20), peer.raw(timeout=20)
    try:
        for conn in (mine, theirs):
            conn.call("FLUSHALL")
        same_replies(mine, theirs, commands)
    finally:
        mine.close()
        theirs.close()


def test_store_forms_store_what_redis_stores(r, peer):
    theirs = peer.client()
    try:
        theirs.flushall()
        commands = random_commands(5, 12, 0)
        stores = []
        rnd = random.Random(9)
        for i in range(40):
            cx, cy = rnd.uniform(-180, 180), rnd.uniform(-80, 80)
            radius = rnd.choice([100, 1000, 5000, 20000])
            extra = rnd.choice([(), ("COUNT", 5), ("COUNT", 3, "DESC"), ("COUNT", 2, "ANY")])
            stores.append(("GEOSEARCHSTORE", f"s{i}", "g", "FROMLONLAT", cx, cy, "BYRADIUS", radius, "km",
                           *extra, *(("STOREDIST",) if i % 2 else ())))
            stores.append(("GEORADIUS", "g", cx, cy, radius, "km", *extra, "STORE" if i % 3 else "STOREDIST",
                           f"r{i}"))
        for args in commands + stores:
            assert call(r, *args) == call(theirs, *args), args
        for key in sorted(theirs.keys("*")):
            assert r.zrange(key, 0, -1, withscores=True) == theirs.zrange(key, 0, -1, withscores=True), key
            assert call(r, "OBJECT", "ENCODING", key) == call(theirs, "OBJECT", "ENCODING", key)
        assert sorted(r.keys("*")) == sorted(theirs.keys("*"))
    finally:
        theirs.close()


def test_dump_restore_with_redis(rb, peer):
    theirs = peer.client(decode_responses=False)
    try:
        theirs.flushall()
        sicily(theirs)
        assert call(rb, "RESTORE", "Sicily", 0, theirs.dump("Sicily")) == b"OK"
        assert call(rb, "GEOPOS", "Sicily", "Palermo") == call(theirs, "GEOPOS", "Sicily", "Palermo")
        sicily(rb, "mine")
        assert call(theirs, "RESTORE", "mine", 0, rb.dump("mine")) == b"OK"
        assert (call(theirs, "GEORADIUS", "mine", 15, 37, 200, "km", "WITHDIST", "ASC")
                == call(rb, "GEORADIUS", "mine", 15, 37, 200, "km", "WITHDIST", "ASC"))
    finally:
        theirs.close()


def test_watch_sees_geoadd_and_store(server, r):
    sicily(r)
    for write in (("GEOADD", "Sicily", 1, 2, "new"),
                  ("GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km")):
        watcher = server.client()
        pipe = watcher.pipeline()
        pipe.watch("Sicily")
        call(r, *write)
        pipe.multi()
        pipe.zcard("Sicily")
        with pytest.raises(Exception):
            pipe.execute()
        watcher.close()


# --------------------------------------------------------------------------- durability



def start(workdir):
    return start_server(workdir, *ALWAYS)




def geo_writes(c, tag):
    sicily(c, "Sicily" + tag)
    call(c, "GEOADD", "Sicily" + tag, "XX", "CH", 13.5, 37.5, "Palermo", 1, 1, "Nowhere")
    call(c, "GEOADD", "Sicily" + tag, "NX", 14, 37, "Palermo", 14, 37, "Enna")
    args = []
    for i in range(150):  # a skiplist
        args += [10 + i * 0.01, 45, f"p{i}"]
    call(c, "GEOADD", "big" + tag, *args)
    call(c, "GEORADIUS", "big" + tag, 10.5, 45, 20, "km", "STORE", "near" + tag)
    call(c, "GEORADIUSBYMEMBER", "big" + tag, "p0", 5, "km", "STOREDIST", "dist" + tag)
    call(c, "GEOSEARCHSTORE", "box" + tag, "Sicily" + tag, "FROMLONLAT", 14, 37.5, "BYBOX", 300, 300, "km",
         "STOREDIST")
    c.set("gone" + tag, "x")
    call(c, "GEOSEARCHSTORE", "gone" + tag, "nokey", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km")


def geo_state(c):
    keys = sorted(c.keys("*"))
    return ({key: c.zrange(key, 0, -1, withscores=True) for key in keys},
            call(c, "GEOPOS", "Sicily1", "Palermo", "Enna"), call(c, "DEBUG", "DIGEST"))


def test_geo_survives_sigkill_under_fsync_always(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        geo_writes(c, "1")
        before = geo_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        assert geo_state(srv.client()) == before
    finally:
        srv.stop()


def test_geo_survives_save_then_more_writes_then_sigkill(tmp_path):
    srv = start(tmp_path)
    try:
        c = srv.client()
        geo_writes(c, "1")
        assert c.save() is True
        geo_writes(c, "2")
        call(c, "GEOADD", "Sicily1", 15, 38, "after-save")
        call(c, "GEOSEARCHSTORE", "near1", "big1", "FROMMEMBER", "p100", "BYRADIUS", 3, "km")
        before = geo_state(c)
        sigkill(srv)
        srv = start(tmp_path)
        assert geo_state(srv.client()) == before
    finally:
        srv.stop()
