// Expiry: the EXPIRE family's replies and errors (Redis 7.0 texts), and the
// two ways a key disappears: lazily, the moment any command looks at it after
// its time, and actively, from the cron's sampling cycle without any access.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/expire_ops.h"
#include "harness/command_harness.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {


constexpr int64_t kYear2100Ms = 4102444800000;

// Moves `key`'s expire time into the past without waiting.
void ExpireInThePast(CommandHarness& h, std::string_view key, int db = 0) {
  Db& d = h.shard().db(db);
  Entry* entry = d.Peek(key);
  ASSERT_NE(entry, nullptr);
  (void)d.SetExpire(entry, Shard::WallClockMs() - 1);
}

bool InvalidatesWatch(CommandHarness& h, const std::string& key, const std::vector<std::string>& command) {
  EXPECT_EQ(h.Run({"WATCH", key}), kOk);
  Client other(h.server().NextClientId());
  std::vector<std::string_view> args(command.begin(), command.end());
  h.server().Execute(other, args);
  h.Run({"MULTI"});
  h.Run({"PING"});
  return h.Run({"EXEC"}) == "*-1\r\n";
}

// ---------------------------------------------------------------- EXPIRE family

TEST(ExpireCommands, ExpireAndTtl) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(100));
  const std::string pttl = h.Run({"PTTL", "k"});
  EXPECT_GE(std::stoll(pttl.substr(1)), 99000);
  EXPECT_LE(std::stoll(pttl.substr(1)), 100000);
  EXPECT_EQ(h.shard().db(0).expires_count(), 1u);
}

TEST(ExpireCommands, TtlRoundsToTheNearestSecond) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  h.Run({"PEXPIRE", "k", "1800"});
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(2));
  h.Run({"PEXPIRE", "k", "1400"});
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(1));
}

TEST(ExpireCommands, MissingAndPersistentKeys) {
  CommandHarness h;
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) EXPECT_EQ(h.Run({cmd, "nokey"}), Int(-2));
  h.Run({"SET", "k", "v"});
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) EXPECT_EQ(h.Run({cmd, "k"}), Int(-1));
  EXPECT_EQ(h.Run({"EXPIRE", "nokey", "10"}), Int(0));
  EXPECT_EQ(h.Run({"PEXPIRE", "nokey", "10"}), Int(0));
  EXPECT_EQ(h.Run({"EXPIREAT", "nokey", "4102444800"}), Int(0));
  EXPECT_EQ(h.Run({"PEXPIREAT", "nokey", "4102444800000"}), Int(0));
  EXPECT_EQ(h.Run({"EXISTS", "nokey"}), Int(0));
}

TEST(ExpireCommands, AbsoluteTimes) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXPIREAT", "k", "4102444800"}), Int(1));
  EXPECT_EQ(h.Run({"EXPIRETIME", "k"}), Int(4102444800));
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), Int(kYear2100Ms));
  EXPECT_EQ(h.Run({"PEXPIREAT", "k", "4102444800499"}), Int(1));
  EXPECT_EQ(h.Run({"EXPIRETIME", "k"}), Int(4102444800));  // rounded to nearest
  EXPECT_EQ(h.Run({"PEXPIREAT", "k", "4102444800500"}), Int(1));
  EXPECT_EQ(h.Run({"EXPIRETIME", "k"}), Int(4102444801));
}

TEST(ExpireCommands, Persist) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  EXPECT_EQ(h.Run({"PERSIST", "k"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
  EXPECT_EQ(h.Run({"PERSIST", "k"}), Int(0));
  EXPECT_EQ(h.Run({"PERSIST", "nokey"}), Int(0));
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("v"));
}

TEST(ExpireCommands, NxXx) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "XX"}), Int(0));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "nx"}), Int(1));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "20", "NX"}), Int(0));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(10));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "20", "xx"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(20));
}

TEST(ExpireCommands, GtLt) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "10"});
  EXPECT_EQ(h.Run({"EXPIRE", "k", "5", "GT"}), Int(0));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "20", "GT"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(20));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "30", "LT"}), Int(0));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "5", "LT"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(5));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "XX", "GT"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(10));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "5", "LT", "XX", "LT"}), Int(1));  // repeats are fine
}

TEST(ExpireCommands, GtLtTreatNoTtlAsInfinite) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "GT"}), Int(0));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "10000", "LT"}), Int(1));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(10));
}

TEST(ExpireCommands, OptionErrors) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const std::string nx = "ERR NX and XX, GT or LT options at the same time are not compatible";
  for (const auto& options : std::vector<std::vector<std::string>>{{"NX", "XX"}, {"NX", "GT"}, {"LT", "NX"}}) {
    std::vector<std::string> command = {"EXPIRE", "k", "10"};
    command.insert(command.end(), options.begin(), options.end());
    EXPECT_EQ(h.Run(command), Err(nx));
  }
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "10", "GT", "LT"}),
            Err("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "Foo"}), Err("ERR Unsupported option Foo"));
  // Options are checked before the number.
  EXPECT_EQ(h.Run({"EXPIRE", "k", "x", "FOO"}), Err("ERR Unsupported option FOO"));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "1.5"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.Run({"EXPIRE", "k"}), Err("ERR wrong number of arguments for 'expire' command"));
  EXPECT_EQ(h.Run({"TTL", "k", "x"}), Err("ERR wrong number of arguments for 'ttl' command"));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
}

TEST(ExpireCommands, OverflowIsAnInvalidExpireTime) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"EXPIRE", "9223372036854775807"}, {"EXPIRE", "9223372036854775"}, {"EXPIRE", "-9223372036854775808"},
      {"EXPIRE", "-9223372036854776"},   {"PEXPIRE", "9223372036854775807"}, {"EXPIREAT", "9223372036854775807"},
  };
  for (const auto& [cmd, value] : cases) {
    std::string lower = cmd;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(h.Run({cmd, "k", value}), Err("ERR invalid expire time in '" + lower + "' command")) << value;
  }
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
  // The largest absolute time is fine, and so is a very negative relative one.
  EXPECT_EQ(h.Run({"PEXPIREAT", "k", "9223372036854775807"}), Int(1));
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), Int(INT64_MAX));
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "-9223372036854775808"}), Int(1));
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
}

TEST(ExpireTimeMs, ConvertsAndChecksOverflow) {
  EXPECT_EQ(*ExpireTimeMs(5, true, 1000, "expire"), 6000);
  EXPECT_EQ(*ExpireTimeMs(-5, true, 1000, "expire"), -4000);
  EXPECT_EQ(*ExpireTimeMs(5, false, 0, "pexpireat"), 5);
  EXPECT_EQ(ExpireTimeMs(INT64_MAX - 10, false, 11, "pexpire").status().message(),
            "ERR invalid expire time in 'pexpire' command");
  EXPECT_TRUE(ExpireTimeMs(INT64_MAX - 10, false, 10, "pexpire").ok());
}

TEST(ExpireCommands, TimeInThePastDeletesAndIsNotAnExpiry) {
  CommandHarness h;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"EXPIRE", "-1"}, {"EXPIRE", "0"}, {"PEXPIRE", "0"}, {"PEXPIRE", "-100"},
      {"EXPIREAT", "1"}, {"PEXPIREAT", "1"}, {"EXPIREAT", "0"}, {"EXPIRE", "-100"}};
  for (const auto& [cmd, value] : cases) {
    h.Run({"SET", "k", "v", "EX", "100"});
    const uint64_t expired = h.shard().stats().expired_keys;
    EXPECT_EQ(h.Run({cmd, "k", value}), Int(1)) << cmd << " " << value;
    EXPECT_EQ(h.shard().db(0).size(), 0u);
    EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
    EXPECT_EQ(h.shard().stats().expired_keys, expired);
    EXPECT_EQ(h.Run({"TTL", "k"}), Int(-2));
  }
}

TEST(ExpireCommands, ConditionsApplyBeforeThePastDeletes) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-1", "XX"}), Int(0));
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(1));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-1", "GT"}), Int(0));
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(1));
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-1", "LT"}), Int(1));
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
}

TEST(ExpireCommands, WritesReportTheKeyModified) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_TRUE(InvalidatesWatch(h, "k", {"EXPIRE", "k", "100"}));
  EXPECT_TRUE(InvalidatesWatch(h, "k", {"PERSIST", "k"}));
  EXPECT_FALSE(InvalidatesWatch(h, "k", {"PERSIST", "k"}));
  EXPECT_FALSE(InvalidatesWatch(h, "k", {"EXPIRE", "k", "100", "XX"}));
  EXPECT_FALSE(InvalidatesWatch(h, "k", {"TTL", "k"}));
  EXPECT_TRUE(InvalidatesWatch(h, "k", {"PEXPIRE", "k", "-1"}));
}

TEST(ExpireCommands, SetResetsTtl) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  h.Run({"SET", "k", "w"});
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
}

TEST(ExpireCommands, ExpireMovesNoValueBytes) {
  CommandHarness h;
  const std::string big(10000, 'z');
  h.Run({"SET", "k", big});
  h.Run({"EXPIRE", "k", "100"});  // reallocates the entry to add the expire block
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk(big));
  h.Run({"PERSIST", "k"});  // and back
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk(big));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "k"}), Bulk("raw"));
}

// ---------------------------------------------------------------- lazy expiry

TEST(LazyExpiry, ExpiredKeyIsInvisibleToEveryCommand) {
  CommandHarness h;
  h.shard().set_active_expire_enabled(false);
  const std::vector<std::vector<std::string>> reads = {
      {"GET", "k"}, {"EXISTS", "k"}, {"TTL", "k"}, {"PTTL", "k"}, {"EXPIRETIME", "k"}, {"TYPE", "k"},
      {"OBJECT", "ENCODING", "k"}, {"DUMP", "k"}, {"KEYS", "*"}, {"SCAN", "0"}, {"RANDOMKEY"},
      {"RENAME", "k", "k2"}, {"COPY", "k", "k2"}, {"MOVE", "k", "1"}, {"EXPIRE", "k", "100"},
      {"PERSIST", "k"}, {"TOUCH", "k"}, {"DEL", "k"}};
  const std::vector<std::string> expected = {
      std::string(kNil), Int(0), Int(-2), Int(-2), Int(-2), "+none\r\n", std::string(kNil), std::string(kNil),
      "*0\r\n", "*2\r\n$1\r\n0\r\n*0\r\n", std::string(kNil), Err("ERR no such key"), Int(0), Int(0), Int(0),
      Int(0), Int(0), Int(0)};
  for (size_t i = 0; i < reads.size(); ++i) {
    h.Run({"SET", "k", "v", "EX", "100"});
    ExpireInThePast(h, "k");
    EXPECT_EQ(h.Run(reads[i]), expected[i]) << reads[i][0];
    EXPECT_EQ(h.Run({"EXISTS", "k2"}), Int(0));
  }
}

TEST(LazyExpiry, ExpiredKeyCountsInDbsizeUntilAccessed) {
  CommandHarness h;
  h.shard().set_active_expire_enabled(false);
  h.Run({"SET", "k", "v", "EX", "100"});
  ExpireInThePast(h, "k");
  EXPECT_EQ(h.Run({"DBSIZE"}), Int(1));
  const uint64_t expired = h.shard().stats().expired_keys;
  EXPECT_EQ(h.Run({"GET", "k"}), kNil);
  EXPECT_EQ(h.Run({"DBSIZE"}), Int(0));
  EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
  EXPECT_EQ(h.shard().stats().expired_keys, expired + 1);
}

TEST(LazyExpiry, ExpiryIsReportedToWatchers) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  h.Run({"WATCH", "k"});
  ExpireInThePast(h, "k");
  h.Run({"GET", "k"});  // deletes it
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
}

TEST(LazyExpiry, ExpireOnExpiredKeyIsZero) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  ExpireInThePast(h, "k");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100"}), Int(0));
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
}

TEST(LazyExpiry, KeyExpiresByTheClock) {
  CommandHarness h;
  h.shard().set_active_expire_enabled(false);
  h.Run({"SET", "k", "v", "PX", "30"});
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("v"));
  const int64_t deadline = Shard::WallClockMs() + 2000;
  while (h.Run({"GET", "k"}) != kNil) ASSERT_LT(Shard::WallClockMs(), deadline);
  EXPECT_EQ(h.shard().db(0).size(), 0u);
}

// ---------------------------------------------------------------- active expiry

TEST(ActiveExpiry, CycleRemovesExpiredKeysWithoutAccess) {
  CommandHarness h;
  for (int i = 0; i < 500; ++i) {
    h.Run({"SET", "k" + std::to_string(i), "v", "EX", "100"});
    ExpireInThePast(h, "k" + std::to_string(i));
  }
  h.Run({"SET", "persistent", "v"});
  h.Run({"SET", "later", "v", "EX", "100"});
  const uint64_t expired = h.shard().stats().expired_keys;
  h.shard().set_now_ms(Shard::WallClockMs());
  // The cron calls this ten times a second; a few calls clear a mostly-stale db.
  for (int i = 0; i < 100 && h.shard().db(0).size() > 2; ++i) h.shard().ActiveExpireCycle(1000000);
  EXPECT_EQ(h.shard().db(0).size(), 2u);
  EXPECT_EQ(h.shard().db(0).expires_count(), 1u);
  EXPECT_EQ(h.shard().stats().expired_keys, expired + 500);
  EXPECT_EQ(h.Run({"TTL", "later"}), Int(100));
}

TEST(ActiveExpiry, CycleCoversEveryDb) {
  CommandHarness h;
  for (int db = 0; db < h.shard().db_count(); ++db) {
    h.Run({"SELECT", std::to_string(db)});
    h.Run({"SET", "k", "v", "EX", "100"});
    ExpireInThePast(h, "k", db);
  }
  h.shard().set_now_ms(Shard::WallClockMs());
  h.shard().ActiveExpireCycle(1000000);
  EXPECT_EQ(h.shard().KeyCount(), 0u);
}

TEST(ActiveExpiry, DisabledCycleLeavesKeysForLazyExpiry) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  ExpireInThePast(h, "k");
  h.shard().set_active_expire_enabled(false);
  h.shard().set_now_ms(Shard::WallClockMs());
  h.shard().ActiveExpireCycle(1000000);
  EXPECT_EQ(h.shard().db(0).size(), 1u);
  h.shard().set_active_expire_enabled(true);
  h.shard().ActiveExpireCycle(1000000);
  EXPECT_EQ(h.shard().db(0).size(), 0u);
}

TEST(ActiveExpiry, ReportsExpiredKeysToWatchers) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  h.Run({"WATCH", "k"});
  ExpireInThePast(h, "k");
  h.shard().set_now_ms(Shard::WallClockMs());
  h.shard().ActiveExpireCycle(1000000);
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
}

}  // namespace
}  // namespace tierkv::testing
