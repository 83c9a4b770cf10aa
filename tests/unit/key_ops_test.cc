// Generic key commands through the real dispatcher: exact replies and errors
// as Redis 7.0 gives them, and the effects on the keyspace (TTLs carried,
// WATCH told about every key written).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/key_ops.h"
#include "engine/rdb/dump_payload.h"
#include "harness/command_harness.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {


constexpr std::string_view kSyntax = "ERR syntax error";
constexpr std::string_view kNotInt = "ERR value is not an integer or out of range";
constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
constexpr std::string_view kDbRange = "ERR DB index is out of range";

// Makes `key` (which must exist in db 0) expired, without waiting.
void ExpireInThePast(CommandHarness& h, std::string_view key, int db = 0) {
  Db& d = h.shard().db(db);
  Entry* entry = d.Peek(key);
  ASSERT_NE(entry, nullptr);
  (void)d.SetExpire(entry, 1);
}

// Parses a SCAN reply: {cursor, keys}.
std::pair<std::string, std::vector<std::string>> ParseScan(const std::string& reply) {
  size_t pos = 0;
  auto line = [&] {
    const size_t end = reply.find("\r\n", pos);
    std::string text = reply.substr(pos, end - pos);
    pos = end + 2;
    return text;
  };
  auto bulk = [&] {
    const size_t len = std::stoul(line().substr(1));
    std::string data = reply.substr(pos, len);
    pos += len + 2;
    return data;
  };
  EXPECT_EQ(line(), "*2");
  std::string cursor = bulk();
  const size_t count = std::stoul(line().substr(1));
  std::vector<std::string> keys;
  for (size_t i = 0; i < count; ++i) keys.push_back(bulk());
  EXPECT_EQ(pos, reply.size());
  return {cursor, keys};
}

std::vector<std::string> FullScan(CommandHarness& h, std::vector<std::string> options = {}) {
  std::vector<std::string> all;
  std::string cursor = "0";
  for (int calls = 0; calls < 100000; ++calls) {
    std::vector<std::string> args = {"SCAN", cursor};
    args.insert(args.end(), options.begin(), options.end());
    auto [next, keys] = ParseScan(h.Run(args));
    all.insert(all.end(), keys.begin(), keys.end());
    if (next == "0") return all;
    cursor = next;
  }
  ADD_FAILURE() << "SCAN did not terminate";
  return all;
}

// True if running `command` from another client makes a transaction that
// WATCHes `key` (db 0) fail: the command reported `key` as modified.
// `other_db` is the db the other client runs the command in.
bool InvalidatesWatch(CommandHarness& h, const std::string& key, const std::vector<std::string>& command,
                      int other_db = 0) {
  EXPECT_EQ(h.Run({"WATCH", key}), kOk);
  Client other(h.server().NextClientId());
  other.db = other_db;
  std::vector<std::string_view> args(command.begin(), command.end());
  h.server().Execute(other, args);
  h.Run({"MULTI"});
  h.Run({"PING"});
  return h.Run({"EXEC"}) == "*-1\r\n";
}

// OBJECT IDLETIME of `key`. The LRU clock ticks in whole seconds, so a tick
// between two commands can add one: callers allow for it.
int64_t IdleTime(CommandHarness& h, const std::string& key) {
  const std::string reply = h.Run({"OBJECT", "IDLETIME", key});
  EXPECT_EQ(reply[0], ':') << reply;
  return reply[0] == ':' ? std::stoll(reply.substr(1)) : -1;
}

// ---------------------------------------------------------------- DEL EXISTS TYPE TOUCH

TEST(KeyCommands, DelCountsDeletedKeysOnce) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2"});
  EXPECT_EQ(h.Run({"DEL", "a", "a", "b", "nokey"}), Int(2));
  EXPECT_EQ(h.Run({"EXISTS", "a", "b"}), Int(0));
  h.Run({"SET", "c", "3"});
  EXPECT_EQ(h.Run({"UNLINK", "c", "nokey"}), Int(1));
  EXPECT_EQ(h.Run({"DEL"}), Err("ERR wrong number of arguments for 'del' command"));
}

TEST(KeyCommands, DelOfExpiredKeyCountsAsExpiryNotDeletion) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  ExpireInThePast(h, "k");
  const uint64_t expired = h.shard().stats().expired_keys;
  EXPECT_EQ(h.Run({"DEL", "k"}), Int(0));
  EXPECT_EQ(h.shard().stats().expired_keys, expired + 1);
  EXPECT_EQ(h.shard().db(0).size(), 0u);
}

TEST(KeyCommands, ExistsCountsRepeatsAndDoesNotTouch) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  h.Run({"RESTORE", "old", "0", DumpString("v"), "IDLETIME", "500"});
  EXPECT_EQ(h.Run({"EXISTS", "k", "k", "nokey", "old"}), Int(3));
  EXPECT_EQ(h.Run({"TYPE", "old"}), "+string\r\n");
  EXPECT_NEAR(IdleTime(h, "old"), 500, 1);
}

TEST(KeyCommands, TouchCountsExistingAndResetsIdleTime) {
  CommandHarness h;
  h.Run({"RESTORE", "old", "0", DumpString("v"), "IDLETIME", "500"});
  EXPECT_EQ(h.Run({"TOUCH", "old", "nokey", "old"}), Int(2));
  EXPECT_NEAR(IdleTime(h, "old"), 0, 1);
}

TEST(KeyCommands, TouchTouchesEvenForNoTouchClients) {
  CommandHarness h;
  h.Run({"RESTORE", "old", "0", DumpString("v"), "IDLETIME", "500"});
  h.client().no_touch = true;
  h.Run({"GET", "old"});
  EXPECT_NEAR(IdleTime(h, "old"), 500, 1);
  h.Run({"TOUCH", "old"});
  EXPECT_NEAR(IdleTime(h, "old"), 0, 1);
}

TEST(KeyCommands, TypeIsAStatusReply) {
  CommandHarness h;
  h.Run({"SET", "s", "v"});
  h.Run({"SET", "", "empty key"});
  EXPECT_EQ(h.Run({"TYPE", "s"}), "+string\r\n");
  EXPECT_EQ(h.Run({"TYPE", ""}), "+string\r\n");
  EXPECT_EQ(h.Run({"TYPE", "nokey"}), "+none\r\n");
}

TEST(KeyCommands, ReadLookupsCountKeyspaceHitsAndMisses) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const KeyspaceStats before = h.shard().stats();
  h.Run({"EXISTS", "k", "nokey"});
  h.Run({"TYPE", "k"});
  h.Run({"TTL", "nokey"});
  EXPECT_EQ(h.shard().stats().keyspace_hits, before.keyspace_hits + 2);
  EXPECT_EQ(h.shard().stats().keyspace_misses, before.keyspace_misses + 2);
}

// ---------------------------------------------------------------- RENAME

TEST(KeyCommands, RenameMovesValueAndTtlAndDropsDestinationTtl) {
  CommandHarness h;
  h.Run({"SET", "a", "v", "EX", "100"});
  h.Run({"SET", "b", "old", "EX", "5000"});
  EXPECT_EQ(h.Run({"RENAME", "a", "b"}), kOk);
  EXPECT_EQ(h.Run({"EXISTS", "a"}), Int(0));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("v"));
  EXPECT_EQ(h.Run({"TTL", "b"}), Int(100));
  h.Run({"SET", "c", "w"});
  EXPECT_EQ(h.Run({"RENAME", "c", "b"}), kOk);
  EXPECT_EQ(h.Run({"TTL", "b"}), Int(-1));
  EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
}

TEST(KeyCommands, RenameErrorsAndSameKey) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RENAME", "nokey", "b"}), Err("ERR no such key"));
  EXPECT_EQ(h.Run({"RENAMENX", "nokey", "b"}), Err("ERR no such key"));
  EXPECT_EQ(h.Run({"RENAME", "nokey", "nokey"}), Err("ERR no such key"));
  h.Run({"SET", "a", "v", "EX", "100"});
  EXPECT_EQ(h.Run({"RENAME", "a", "a"}), kOk);
  EXPECT_EQ(h.Run({"RENAMENX", "a", "a"}), Int(0));
  EXPECT_EQ(h.Run({"TTL", "a"}), Int(100));
  EXPECT_EQ(h.Run({"RENAME", "a"}), Err("ERR wrong number of arguments for 'rename' command"));
}

TEST(KeyCommands, RenameNx) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2"});
  EXPECT_EQ(h.Run({"RENAMENX", "a", "b"}), Int(0));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("2"));
  EXPECT_EQ(h.Run({"RENAMENX", "a", "c"}), Int(1));
  EXPECT_EQ(h.Run({"GET", "c"}), Bulk("1"));
  EXPECT_EQ(h.Run({"GET", "a"}), kNil);
}

TEST(KeyCommands, RenameOntoExpiredDestinationWorksForRenameNx) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2"});
  ExpireInThePast(h, "b");
  EXPECT_EQ(h.Run({"RENAMENX", "a", "b"}), Int(1));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("1"));
}

TEST(KeyCommands, RenameKeepsEncodingAndLongValues) {
  CommandHarness h;
  const std::string big(5000, 'x');
  h.Run({"SET", "a", big});
  h.Run({"RENAME", "a", "a-much-longer-key-name-than-before"});
  EXPECT_EQ(h.Run({"GET", "a-much-longer-key-name-than-before"}), Bulk(big));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "a-much-longer-key-name-than-before"}), Bulk("raw"));
}

TEST(KeyCommands, RenameReportsBothKeysModified) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  EXPECT_TRUE(InvalidatesWatch(h, "a", {"RENAME", "a", "b"}));
  EXPECT_TRUE(InvalidatesWatch(h, "a", {"RENAME", "b", "a"}));
  EXPECT_FALSE(InvalidatesWatch(h, "a", {"RENAMENX", "a", "a"}));
}

// ---------------------------------------------------------------- COPY

TEST(KeyCommands, CopyKeepsSourceAndTtl) {
  CommandHarness h;
  h.Run({"SET", "a", "v", "EX", "100"});
  EXPECT_EQ(h.Run({"COPY", "a", "b"}), Int(1));
  EXPECT_EQ(h.Run({"GET", "a"}), Bulk("v"));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("v"));
  EXPECT_EQ(h.Run({"TTL", "b"}), Int(100));
  EXPECT_EQ(h.shard().db(0).expires_count(), 2u);
  // A deep copy: distinct entries.
  EXPECT_NE(h.shard().db(0).Peek("a"), h.shard().db(0).Peek("b"));
}

TEST(KeyCommands, CopyReplaceAndMissingSource) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2", "EX", "100"});
  EXPECT_EQ(h.Run({"COPY", "a", "b"}), Int(0));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("2"));
  EXPECT_EQ(h.Run({"COPY", "a", "b", "replace"}), Int(1));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("1"));
  EXPECT_EQ(h.Run({"TTL", "b"}), Int(-1));
  EXPECT_EQ(h.Run({"COPY", "nokey", "c"}), Int(0));
  EXPECT_EQ(h.Run({"EXISTS", "c"}), Int(0));
}

TEST(KeyCommands, CopyToOtherDb) {
  CommandHarness h;
  h.Run({"SET", "a", "v"});
  EXPECT_EQ(h.Run({"COPY", "a", "a", "DB", "1"}), Int(1));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "DB", "2", "DB", "1"}), Int(1));
  EXPECT_EQ(h.Run({"SELECT", "1"}), kOk);
  EXPECT_EQ(h.Run({"GET", "a"}), Bulk("v"));
  EXPECT_EQ(h.Run({"GET", "c"}), Bulk("v"));
  // From db 1, DB 1 names the current db again.
  EXPECT_EQ(h.Run({"COPY", "a", "a", "DB", "1"}), Err(kSameObject));
}

TEST(KeyCommands, CopyErrors) {
  CommandHarness h;
  h.Run({"SET", "a", "v"});
  EXPECT_EQ(h.Run({"COPY", "a", "a"}), Err(kSameObject));
  EXPECT_EQ(h.Run({"COPY", "a", "a", "DB", "0"}), Err(kSameObject));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "DB", "16"}), Err(kDbRange));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "DB", "-1"}), Err(kDbRange));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "DB", "x"}), Err(kNotInt));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "DB", "99999999999"}),
            Err("ERR value is out of range, value must between -2147483648 and 2147483647"));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "DB"}), Err(kSyntax));
  EXPECT_EQ(h.Run({"COPY", "a", "c", "FOO"}), Err(kSyntax));
  // Options are checked before the keys.
  EXPECT_EQ(h.Run({"COPY", "nokey", "nokey", "FOO"}), Err(kSyntax));
  EXPECT_EQ(h.Run({"EXISTS", "c"}), Int(0));
}

TEST(KeyCommands, CopyReportsOnlyTheDestinationModified) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  EXPECT_TRUE(InvalidatesWatch(h, "b", {"COPY", "a", "b"}));
  EXPECT_FALSE(InvalidatesWatch(h, "a", {"COPY", "a", "c"}));
}

// ---------------------------------------------------------------- MOVE

TEST(KeyCommands, MoveKeepsTtlAndValue) {
  CommandHarness h;
  h.Run({"SET", "a", "v", "EX", "100"});
  EXPECT_EQ(h.Run({"MOVE", "a", "1"}), Int(1));
  EXPECT_EQ(h.Run({"EXISTS", "a"}), Int(0));
  EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
  EXPECT_EQ(h.shard().db(1).expires_count(), 1u);
  h.Run({"SELECT", "1"});
  EXPECT_EQ(h.Run({"GET", "a"}), Bulk("v"));
  EXPECT_EQ(h.Run({"TTL", "a"}), Int(100));
}

TEST(KeyCommands, MoveRefusesExistingTargetAndMissingKey) {
  CommandHarness h;
  h.Run({"SET", "b", "x"});
  h.Run({"SELECT", "1"});
  h.Run({"SET", "b", "y"});
  h.Run({"SELECT", "0"});
  EXPECT_EQ(h.Run({"MOVE", "b", "1"}), Int(0));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("x"));
  EXPECT_EQ(h.Run({"MOVE", "nokey", "1"}), Int(0));
}

TEST(KeyCommands, MoveOntoExpiredTargetSucceeds) {
  CommandHarness h;
  h.Run({"SET", "b", "x"});
  h.Run({"SELECT", "1"});
  h.Run({"SET", "b", "y"});
  ExpireInThePast(h, "b", 1);
  h.Run({"SELECT", "0"});
  EXPECT_EQ(h.Run({"MOVE", "b", "1"}), Int(1));
  h.Run({"SELECT", "1"});
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk("x"));
  EXPECT_EQ(h.Run({"TTL", "b"}), Int(-1));
}

TEST(KeyCommands, MoveErrors) {
  CommandHarness h;
  h.Run({"SET", "a", "v"});
  EXPECT_EQ(h.Run({"MOVE", "a", "0"}), Err(kSameObject));
  EXPECT_EQ(h.Run({"MOVE", "nokey", "0"}), Err(kSameObject));
  EXPECT_EQ(h.Run({"MOVE", "a", "16"}), Err(kDbRange));
  EXPECT_EQ(h.Run({"MOVE", "a", "-1"}), Err(kDbRange));
  EXPECT_EQ(h.Run({"MOVE", "a", "x"}), Err(kNotInt));
  EXPECT_EQ(h.Run({"GET", "a"}), Bulk("v"));
}

TEST(KeyCommands, MoveReportsBothKeysModified) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  EXPECT_TRUE(InvalidatesWatch(h, "a", {"MOVE", "a", "1"}));  // the source
  EXPECT_TRUE(InvalidatesWatch(h, "a", {"MOVE", "a", "0"}, /*other_db=*/1));  // the destination
}

// ---------------------------------------------------------------- KEYS

TEST(KeyCommands, KeysMatchesGlobPatterns) {
  CommandHarness h;
  for (const char* key : {"hello", "hallo", "hxllo", "hllo", "h*llo"}) h.Run({"SET", key, "1"});
  auto sorted_keys = [&](const std::string& pattern) {
    std::string reply = h.Run({"KEYS", pattern});
    std::set<std::string> keys;
    for (size_t pos = reply.find("\r\n$"); pos != std::string::npos; pos = reply.find("\r\n$", pos + 1)) {
      const size_t start = reply.find("\r\n", pos + 2) + 2;
      keys.insert(reply.substr(start, reply.find("\r\n", start) - start));
    }
    return keys;
  };
  EXPECT_EQ(sorted_keys("h?llo"), (std::set<std::string>{"hello", "hallo", "hxllo", "h*llo"}));
  EXPECT_EQ(sorted_keys("h[ae]llo"), (std::set<std::string>{"hello", "hallo"}));
  EXPECT_EQ(sorted_keys("h\\*llo"), (std::set<std::string>{"h*llo"}));
  EXPECT_EQ(h.Run({"KEYS", "nomatch*"}), "*0\r\n");
}

TEST(KeyCommands, KeysStarIncludesTheEmptyKey) {
  CommandHarness h;
  h.Run({"SET", "", "v"});
  EXPECT_EQ(h.Run({"KEYS", "*"}), "*1\r\n$0\r\n\r\n");
  EXPECT_EQ(h.Run({"KEYS", "**"}), "*0\r\n");  // as Redis: only a lone "*" is special
}

TEST(KeyCommands, KeysSkipsExpiredKeysWithoutDeletingThem) {
  CommandHarness h;
  h.Run({"SET", "live", "1"});
  h.Run({"SET", "dead", "1"});
  ExpireInThePast(h, "dead");
  EXPECT_EQ(h.Run({"KEYS", "*"}), "*1\r\n" + Bulk("live"));
  EXPECT_EQ(h.Run({"DBSIZE"}), Int(2));
}

// ---------------------------------------------------------------- SCAN

TEST(KeyCommands, ScanReplyShape) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SCAN", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  h.Run({"SET", "a", "1"});
  EXPECT_EQ(h.Run({"SCAN", "0"}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
}

TEST(KeyCommands, ScanCursorParsesAsRedisStrtoul) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  const std::string whole = "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n";
  EXPECT_EQ(h.Run({"SCAN", ""}), whole);
  EXPECT_EQ(h.Run({"SCAN", "+0"}), whole);
  EXPECT_EQ(h.Run({"SCAN", "18446744073709551615"}).substr(0, 11), "*2\r\n$1\r\n0\r\n");
  EXPECT_EQ(h.Run({"SCAN", "-1"}).substr(0, 11), "*2\r\n$1\r\n0\r\n");
  for (const char* bad : {"x", " 0", "0x", "1.5", "18446744073709551616", "-"}) {
    EXPECT_EQ(h.Run({"SCAN", bad}), Err("ERR invalid cursor")) << bad;
  }
}

TEST(KeyCommands, ScanOptionErrors) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "0"}), Err(kSyntax));
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "-1"}), Err(kSyntax));
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "x"}), Err(kNotInt));
  EXPECT_EQ(h.Run({"SCAN", "0", "MATCH"}), Err(kSyntax));
  EXPECT_EQ(h.Run({"SCAN", "0", "FOO", "x"}), Err(kSyntax));
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "x", "FOO"}), Err(kNotInt));
  EXPECT_EQ(h.Run({"SCAN"}), Err("ERR wrong number of arguments for 'scan' command"));
}

TEST(KeyCommands, ScanReturnsEveryKeyWithMatchAndType) {
  CommandHarness h;
  for (int i = 0; i < 3000; ++i) h.Run({"SET", "key:" + std::to_string(i), "v"});
  std::vector<std::string> all = FullScan(h, {"COUNT", "37"});
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 3000u);
  std::vector<std::string> matched = FullScan(h, {"MATCH", "key:1?", "COUNT", "100"});
  EXPECT_EQ(std::set<std::string>(matched.begin(), matched.end()).size(), 10u);
  EXPECT_EQ(FullScan(h, {"TYPE", "STRING", "COUNT", "1000"}).size(), 3000u);
  EXPECT_TRUE(FullScan(h, {"TYPE", "hash"}).empty());
  EXPECT_TRUE(FullScan(h, {"TYPE", "foo"}).empty());
}

TEST(KeyCommands, ScanCountBoundsTheWorkPerCall) {
  CommandHarness h;
  for (int i = 0; i < 1000; ++i) h.Run({"SET", "key:" + std::to_string(i), "v"});
  auto [cursor, keys] = ParseScan(h.Run({"SCAN", "0", "COUNT", "5"}));
  EXPECT_NE(cursor, "0");
  EXPECT_GE(keys.size(), 5u);
  EXPECT_LT(keys.size(), 50u);
  // MATCH filters after counting, so a selective pattern can return nothing yet.
  auto [cursor2, none] = ParseScan(h.Run({"SCAN", "0", "MATCH", "nothing*", "COUNT", "5"}));
  EXPECT_NE(cursor2, "0");
  EXPECT_TRUE(none.empty());
}

TEST(KeyCommands, ScanSkipsAndDeletesExpiredKeys) {
  CommandHarness h;
  h.Run({"SET", "live", "1"});
  h.Run({"SET", "dead", "1"});
  ExpireInThePast(h, "dead");
  EXPECT_EQ(FullScan(h), std::vector<std::string>{"live"});
  EXPECT_EQ(h.Run({"DBSIZE"}), Int(1));
}

TEST(KeyCommands, ScanReturnsOriginalKeysWhileKeysAreAdded) {
  CommandHarness h;
  std::set<std::string> original;
  for (int i = 0; i < 2000; ++i) {
    original.insert("key:" + std::to_string(i));
    h.Run({"SET", "key:" + std::to_string(i), "v"});
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int added = 0;
  for (int calls = 0;; ++calls) {
    ASSERT_LT(calls, 100000);
    auto [next, keys] = ParseScan(h.Run({"SCAN", cursor, "COUNT", "20"}));
    seen.insert(keys.begin(), keys.end());
    for (int j = 0; j < 50; ++j) h.Run({"SET", "new:" + std::to_string(added++), "v"});
    if (next == "0") break;
    cursor = next;
  }
  for (const std::string& key : original) ASSERT_TRUE(seen.count(key)) << key;
}

TEST(KeyCommands, ScanReturnsSurvivorsWhileKeysAreDeleted) {
  CommandHarness h;
  for (int i = 0; i < 4000; ++i) h.Run({"SET", "key:" + std::to_string(i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int next_doomed = 1;
  for (int calls = 0;; ++calls) {
    ASSERT_LT(calls, 100000);
    auto [next, keys] = ParseScan(h.Run({"SCAN", cursor, "COUNT", "20"}));
    seen.insert(keys.begin(), keys.end());
    for (int j = 0; j < 200 && next_doomed < 4000; ++j, next_doomed += 2) {
      h.Run({"DEL", "key:" + std::to_string(next_doomed)});
    }
    h.shard().HousekeepingStep();  // the cron: shrinks the table, rehashes
    if (next == "0") break;
    cursor = next;
  }
  for (int i = 0; i < 4000; i += 2) ASSERT_TRUE(seen.count("key:" + std::to_string(i))) << i;
}

// ---------------------------------------------------------------- RANDOMKEY

TEST(KeyCommands, RandomKey) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RANDOMKEY"}), kNil);
  h.Run({"SET", "only", "1"});
  EXPECT_EQ(h.Run({"RANDOMKEY"}), Bulk("only"));
  h.client().reply.set_protocol(3);
  h.Run({"DEL", "only"});
  EXPECT_EQ(h.Run({"RANDOMKEY"}), "_\r\n");
}

TEST(KeyCommands, RandomKeyDeletesExpiredKeysItDraws) {
  CommandHarness h;
  for (int i = 0; i < 20; ++i) {
    h.Run({"SET", "k" + std::to_string(i), "v"});
    ExpireInThePast(h, "k" + std::to_string(i));
  }
  h.Run({"SET", "live", "v"});
  EXPECT_EQ(h.Run({"RANDOMKEY"}), Bulk("live"));
  for (int i = 0; i < 20; ++i) h.Run({"RANDOMKEY"});
  ExpireInThePast(h, "live");
  EXPECT_EQ(h.Run({"RANDOMKEY"}), kNil);
  EXPECT_EQ(h.Run({"DBSIZE"}), Int(0));
}

// ---------------------------------------------------------------- OBJECT

TEST(KeyCommands, ObjectEncoding) {
  CommandHarness h;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"12345", "int"},       {"-1", "int"},           {"9223372036854775807", "int"},
      {"01", "embstr"},       {"hello", "embstr"},     {std::string(44, 'x'), "embstr"},
      {std::string(45, 'x'), "raw"}, {"9223372036854775808", "embstr"}, {"", "embstr"}};
  for (const auto& [value, encoding] : cases) {
    h.Run({"SET", "k", value});
    EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "k"}), Bulk(encoding)) << value;
  }
}

TEST(KeyCommands, ObjectMissingKeyIsNull) {
  CommandHarness h;
  for (const char* sub : {"ENCODING", "REFCOUNT", "IDLETIME", "FREQ"}) {
    EXPECT_EQ(h.Run({"OBJECT", sub, "nokey"}), kNil) << sub;
  }
  h.client().reply.set_protocol(3);
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "nokey"}), "_\r\n");
}

TEST(KeyCommands, ObjectRefcountOfSharedIntegers) {
  CommandHarness h;
  h.Run({"SET", "k", "not shared"});
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "k"}), Int(1));
  h.Run({"SET", "k", "9999"});
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "k"}), Int(2147483647));
  h.Run({"SET", "k", "10000"});
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "k"}), Int(1));
  // An LRU/LFU policy with a maxmemory needs per-key access data: no sharing.
  h.shard().options().maxmemory = size_t{1} << 40;
  h.shard().options().policy = EvictionPolicy::kAllKeysLru;
  h.Run({"SET", "k", "1"});
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "k"}), Int(1));
}

TEST(KeyCommands, ObjectIdletimeAndFreqDependOnPolicy) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_NEAR(IdleTime(h, "k"), 0, 1);
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "k"}),
            Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
                "switching between policies at runtime LRU and LFU data will take some time to adjust."));
  h.shard().options().policy = EvictionPolicy::kVolatileLfu;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "k"}), Int(5));  // Redis's LFU_INIT_VAL
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "k"}),
            Err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
                "between policies at runtime LRU and LFU data will take some time to adjust."));
}

TEST(KeyCommands, ObjectErrorsAndHelp) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"OBJECT", "FOO"}), Err("ERR unknown subcommand 'FOO'. Try OBJECT HELP."));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING"}), Err("ERR wrong number of arguments for 'object|encoding' command"));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "a", "b"}),
            Err("ERR wrong number of arguments for 'object|encoding' command"));
  EXPECT_EQ(h.Run({"OBJECT"}), Err("ERR wrong number of arguments for 'object' command"));
  const std::string help = h.Run({"object", "help"});
  EXPECT_EQ(help.substr(0, help.find("\r\n", 5) + 2),
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n");
  EXPECT_NE(help.find("+REFCOUNT <key>\r\n"), std::string::npos);
  EXPECT_NE(help.find("+HELP\r\n"), std::string::npos);
}

// ---------------------------------------------------------------- DUMP / RESTORE

TEST(KeyCommands, DumpIsTheRedisPayload) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DUMP", "nokey"}), kNil);
  for (const std::string& value : std::vector<std::string>{"hello", "12345", "", std::string(100, 'x')}) {
    h.Run({"SET", "k", value});
    EXPECT_EQ(h.Run({"DUMP", "k"}), Bulk(DumpString(value)));
  }
}

TEST(KeyCommands, RestoreRoundTripKeepsEncoding) {
  CommandHarness h;
  const std::vector<std::string> values = {"hello", "12345", "", "-7", std::string(100, 'y'), std::string("\0\xff", 2)};
  for (const std::string& value : values) {
    EXPECT_EQ(h.Run({"RESTORE", "k", "0", DumpString(value), "REPLACE"}), kOk);
    EXPECT_EQ(h.Run({"GET", "k"}), Bulk(value));
    EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
    h.Run({"SET", "ref", value});
    EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "k"}), h.Run({"OBJECT", "ENCODING", "ref"}));
  }
}

TEST(KeyCommands, RestoreTtlAndAbsTtl) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RESTORE", "k", "100000", DumpString("v")}), kOk);
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(100));
  EXPECT_EQ(h.Run({"RESTORE", "a", "4102444800000", DumpString("v"), "ABSTTL"}), kOk);
  EXPECT_EQ(h.Run({"PEXPIRETIME", "a"}), Int(4102444800000));
  EXPECT_EQ(h.Run({"RESTORE", "past", "5000", DumpString("v"), "ABSTTL"}), kOk);
  EXPECT_EQ(h.Run({"EXISTS", "past"}), Int(0));
}

TEST(KeyCommands, RestoreBusyKeyAndReplace) {
  CommandHarness h;
  h.Run({"SET", "k", "v2", "EX", "100"});
  EXPECT_EQ(h.Run({"RESTORE", "k", "0", DumpString("v1")}), Err("BUSYKEY Target key name already exists."));
  // BUSYKEY comes before the TTL and payload checks.
  EXPECT_EQ(h.Run({"RESTORE", "k", "x", "garbage"}), Err("BUSYKEY Target key name already exists."));
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("v2"));
  EXPECT_EQ(h.Run({"RESTORE", "k", "0", DumpString("v1"), "REPLACE"}), kOk);
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("v1"));
  EXPECT_EQ(h.Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(h.shard().db(0).expires_count(), 0u);
}

TEST(KeyCommands, RestoreReplaceWithPastTtlDeletesTheOldKey) {
  CommandHarness h;
  h.Run({"SET", "k", "old"});
  EXPECT_TRUE(InvalidatesWatch(h, "k", {"RESTORE", "k", "1", DumpString("v"), "ABSTTL", "REPLACE"}));
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
}

TEST(KeyCommands, RestoreOntoExpiredKeyIsNotBusy) {
  CommandHarness h;
  h.Run({"SET", "k", "old"});
  ExpireInThePast(h, "k");
  EXPECT_EQ(h.Run({"RESTORE", "k", "0", DumpString("new")}), kOk);
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("new"));
}

TEST(KeyCommands, RestoreIdletimeUnderLru) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RESTORE", "r", "0", DumpString("v"), "IDLETIME", "1000"}), kOk);
  EXPECT_NEAR(IdleTime(h, "r"), 1000, 1);
  // FREQ is accepted but ignored under an LRU policy.
  EXPECT_EQ(h.Run({"RESTORE", "f", "0", DumpString("v"), "FREQ", "100"}), kOk);
  EXPECT_NEAR(IdleTime(h, "f"), 0, 1);
  // Idle longer than the 24-bit clock can express: parked half a cycle back.
  EXPECT_EQ(h.Run({"RESTORE", "ancient", "0", DumpString("v"), "IDLETIME", "999999999999"}), kOk);
  EXPECT_GT(IdleTime(h, "ancient"), 1000);
}

TEST(KeyCommands, RestoreFreqUnderLfu) {
  EngineOptions options;
  options.policy = EvictionPolicy::kAllKeysLfu;
  CommandHarness h(options);
  EXPECT_EQ(h.Run({"RESTORE", "r", "0", DumpString("v"), "FREQ", "100"}), kOk);
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "r"}), Int(100));
  EXPECT_EQ(h.Run({"RESTORE", "z", "0", DumpString("v"), "FREQ", "0"}), kOk);
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "z"}), Int(0));
}

TEST(KeyCommands, RestoreBadPayloads) {
  CommandHarness h;
  const std::string bad_footer = "ERR DUMP payload version or checksum are wrong";
  std::string corrupt = DumpString("hello");
  corrupt[3] ^= 1;
  std::string future = DumpString("hello");
  future[future.size() - 10] = 99;  // RDB version byte
  for (const std::string& payload : {std::string("garbage"), std::string(), corrupt, future}) {
    EXPECT_EQ(h.Run({"RESTORE", "k", "0", payload}), Err(bad_footer));
  }
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
}

TEST(KeyCommands, RestoreArgumentErrors) {
  CommandHarness h;
  const std::string payload = DumpString("v");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"x", payload}, std::string(kNotInt)},
      {{"-1", payload}, "ERR Invalid TTL value, must be >= 0"},
      {{"0", payload, "FOO"}, std::string(kSyntax)},
      {{"0", payload, "IDLETIME"}, std::string(kSyntax)},
      {{"0", payload, "IDLETIME", "-1"}, "ERR Invalid IDLETIME value, must be >= 0"},
      {{"0", payload, "IDLETIME", "x"}, std::string(kNotInt)},
      {{"0", payload, "FREQ", "256"}, "ERR Invalid FREQ value, must be >= 0 and <= 255"},
      {{"0", payload, "FREQ", "-1"}, "ERR Invalid FREQ value, must be >= 0 and <= 255"},
      {{"0", payload, "FREQ", "x"}, std::string(kNotInt)},
      {{"0", payload, "IDLETIME", "1", "FREQ", "1"}, std::string(kSyntax)},
      {{"0", payload, "FREQ", "1", "IDLETIME", "1"}, std::string(kSyntax)},
  };
  for (const auto& [args, error] : cases) {
    std::vector<std::string> command = {"RESTORE", "new"};
    command.insert(command.end(), args.begin(), args.end());
    EXPECT_EQ(h.Run(command), Err(error)) << args[0] << " " << (args.size() > 2 ? args[2] : "");
  }
  EXPECT_EQ(h.Run({"RESTORE", "new", "0"}), Err("ERR wrong number of arguments for 'restore' command"));
  EXPECT_EQ(h.Run({"EXISTS", "new"}), Int(0));
}

TEST(KeyCommands, RestoreReportsTheKeyModified) {
  CommandHarness h;
  EXPECT_TRUE(InvalidatesWatch(h, "k", {"RESTORE", "k", "0", DumpString("v")}));
}

}  // namespace
}  // namespace tierkv::testing
