// Geo commands through the real dispatcher: exact RESP2 and RESP3 bytes for the reply
// shapes, and what a client cannot see: one keyspace hit or miss per read (Redis's single
// lookupKeyRead), the journal effects of GEOADD (ZADD with the geohash scores) and of the
// STORE forms (the destination's resulting state), and that replaying them on another
// server rebuilds the same sorted sets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/command_harness.h"
#include "harness/journal_replay.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {

const std::vector<std::string> kSicily = {"GEOADD",    "Sicily",    "13.361389", "38.115556", "Palermo",
                                          "15.087269", "37.502669", "Catania"};

TEST(GeoCommands, Resp2Replies) {
  CommandHarness h;
  EXPECT_EQ(h.Run(kSicily), Int(2));
  EXPECT_EQ(h.Run({"ZSCORE", "Sicily", "Palermo"}), Bulk("3479099956230698"));
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "Catania"}), Bulk("166274.1516"));
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "Catania", "KM"}), Bulk("166.2742"));
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "nobody"}), std::string(kNil));
  EXPECT_EQ(h.Run({"GEOHASH", "Sicily", "Palermo", "nobody"}), "*2\r\n" + Bulk("sqc8b49rny0") + "$-1\r\n");
  EXPECT_EQ(h.Run({"GEOPOS", "Sicily", "Palermo", "nobody"}),
            "*2\r\n*2\r\n" + Bulk("13.36138933897018433") + Bulk("38.11555639549629859") + "*-1\r\n");
  EXPECT_EQ(h.Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST",
                   "WITHHASH", "WITHCOORD"}),
            "*2\r\n"
            "*4\r\n" + Bulk("Catania") + Bulk("56.4413") + ":3479447370796909\r\n*2\r\n" +
                Bulk("15.08726745843887329") + Bulk("37.50266842333162032") +
                "*4\r\n" + Bulk("Palermo") + Bulk("190.4424") + ":3479099956230698\r\n*2\r\n" +
                Bulk("13.36138933897018433") + Bulk("38.11555639549629859"));
  EXPECT_EQ(h.Run({"GEOSEARCH", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"}), "*0\r\n");
  EXPECT_EQ(h.Run({"GEORADIUS", "Sicily", "15", "37", "1", "m"}), "*0\r\n");
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "200", "100", "x"}),
            Err("ERR invalid longitude,latitude pair 200.000000,100.000000"));
  EXPECT_EQ(h.Run({"GEOADD", "Sicily", "NX", "XX", "1", "2", "x"}), Err("ERR syntax error"));
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "a", "b", "yd"}),
            Err("ERR unsupported unit provided. please use M, KM, FT, MI"));
}

TEST(GeoCommands, Resp3SendsCoordinatesAsDoublesAndDistancesAsStrings) {
  CommandHarness h;
  h.Run({"HELLO", "3"});
  h.Run(kSicily);
  EXPECT_EQ(h.Run({"GEOPOS", "Sicily", "Palermo", "nobody"}),
            "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n");
  EXPECT_EQ(h.Run({"GEODIST", "Sicily", "Palermo", "Catania"}), Bulk("166274.1516"));
  EXPECT_EQ(h.Run({"GEODIST", "nokey", "Palermo", "Catania"}), "_\r\n");
  EXPECT_EQ(h.Run({"GEOHASH", "Sicily", "nobody"}), "*1\r\n_\r\n");
  EXPECT_EQ(h.Run({"GEORADIUSBYMEMBER", "Sicily", "Palermo", "1", "km", "WITHCOORD", "WITHDIST"}),
            "*1\r\n*3\r\n" + Bulk("Palermo") + Bulk("0.0000") +
                "*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n");
}

TEST(GeoCommands, ReadsCountOneHitOrMissAndWritesNone) {
  CommandHarness h;
  KeyspaceStats& stats = h.shard().stats();
  h.Run(kSicily);
  h.Run({"GEOADD", "Sicily", "XX", "1", "2", "Palermo"});
  EXPECT_EQ(stats.keyspace_hits + stats.keyspace_misses, 0u);
  h.Run({"GEOPOS", "Sicily", "Palermo", "Catania", "nobody"});
  EXPECT_EQ(stats.keyspace_hits, 1u);
  h.Run({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1000", "km"});
  EXPECT_EQ(stats.keyspace_hits, 2u);
  h.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"});
  EXPECT_EQ(stats.keyspace_hits, 3u);
  h.Run({"GEODIST", "nokey", "a", "b"});
  h.Run({"GEOHASH", "nokey", "a", "b"});
  EXPECT_EQ(stats.keyspace_misses, 2u);
}

// --- journaling -----------------------------------------------------------------------

class GeoJournal : public JournalReplayTest {
 protected:
  void ExpectSameOnReplica(const std::string& key) {
    EXPECT_EQ(replica_.Run({"ZRANGE", key, "0", "-1", "WITHSCORES"}),
              primary_.Run({"ZRANGE", key, "0", "-1", "WITHSCORES"}))
        << key;
  }
};

TEST_F(GeoJournal, GeoaddJournalsZaddWithTheGeohashScores) {
  Run(kSicily);
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"ZADD", "Sicily", "3479099956230698", "Palermo",
                                                 "3479447370796909", "Catania"}}));
  records_.clear();
  Run({"GEOADD", "Sicily", "NX", "1", "2", "Palermo"});  // nothing changes: nothing journaled
  Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"});
  Run({"GEORADIUS", "Sicily", "15", "37", "200", "km"});  // a read, though flagged write
  EXPECT_TRUE(records_.empty());
  Run({"GEOADD", "Sicily", "XX", "CH", "1", "2", "Palermo", "3", "4", "Nowhere"});
  ASSERT_EQ(LastEffects().size(), 1u);
  EXPECT_EQ(LastEffects()[0][0], "ZADD");
  EXPECT_EQ(LastEffects()[0][3], "Palermo");
  EXPECT_EQ(LastEffects()[0].size(), 4u);  // XX skipped the new member
}

TEST_F(GeoJournal, StoreFormsJournalTheDestinationsState) {
  Run(kSicily);
  Run({"GEOSEARCHSTORE", "near", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"});
  ASSERT_EQ(LastEffects().size(), 1u);
  EXPECT_EQ(LastEffects()[0][0], "RESTORE");
  EXPECT_EQ(LastEffects()[0][1], "near");
  Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "STORE", "nearest"});
  EXPECT_EQ(LastEffects()[0][1], "nearest");
  Run({"GEORADIUSBYMEMBER", "Sicily", "Palermo", "10", "km", "STOREDIST", "self"});
  Replay();
  for (const char* key : {"Sicily", "near", "nearest", "self"}) ExpectSameOnReplica(key);
  EXPECT_EQ(primary_.Run({"ZCARD", "near"}), Int(2));

  // An empty result, or a missing source, deletes the destination.
  Run({"GEOSEARCHSTORE", "near", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"DEL", "near"}}));
  Run({"GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "nearest"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"DEL", "nearest"}}));
  records_.clear();
  Run({"GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "nearest"});  // already gone
  EXPECT_TRUE(records_.empty());
  EXPECT_EQ(primary_.Run({"EXISTS", "near", "nearest"}), Int(0));
}

}  // namespace
}  // namespace tierkv::testing
