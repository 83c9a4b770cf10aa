// String commands through the real dispatcher (exact RESP bytes), plus the
// engine details a client cannot see: in-place updates, encodings, which
// writes count as modifications, and the LCS algorithm.
#include <gtest/gtest.h>

#include <string>

#include "engine/types/string/lcs.h"
#include "engine/types/string/string_ops.h"
#include "harness/command_harness.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {

const std::string kNil = "$-1\r\n";
const std::string kOk = "+OK\r\n";

const Entry* Peek(CommandHarness& h, std::string_view key) { return h.shard().db(0).Peek(key); }

ServerSettings WithMaxBulkLen(uint64_t bytes) {
  ServerSettings settings;
  settings.proto_max_bulk_len = bytes;
  return settings;
}

// --- SET family ---------------------------------------------------------------

TEST(StringOps, SetRepeatedExpireOptionLastOneWins) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "5", "EX", "300"}), kOk);
  const int64_t ttl = Peek(h, "k")->expire_at() - h.shard().now_ms();
  EXPECT_GT(ttl, 299000);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "5", "PX", "300"}), Err("ERR syntax error"));
}

TEST(StringOps, SetNxSetExPSetExGetSet) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SETNX", "k", "1"}), Int(1));
  EXPECT_EQ(h.Run({"SETNX", "k", "2"}), Int(0));
  EXPECT_EQ(h.Run({"SETEX", "k", "0", "v"}), Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(h.Run({"PSETEX", "k", "-1", "v"}), Err("ERR invalid expire time in 'psetex' command"));
  EXPECT_EQ(h.Run({"SETEX", "k", "9223372036854775807", "v"}), Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(h.Run({"SETEX", "k", "100", "v"}), kOk);
  EXPECT_TRUE(Peek(h, "k")->has_expire());
  EXPECT_EQ(h.Run({"GETSET", "k", "w"}), Bulk("v"));
  EXPECT_FALSE(Peek(h, "k")->has_expire());
  EXPECT_EQ(h.Run({"GETSET", "new", "w"}), kNil);
}

TEST(StringOps, GetDelDeletesAndRecordsModification) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const uint64_t dirty = h.shard().stats().dirty;
  EXPECT_EQ(h.Run({"GETDEL", "k"}), Bulk("v"));
  EXPECT_EQ(h.shard().stats().dirty, dirty + 1);
  EXPECT_EQ(Peek(h, "k"), nullptr);
  EXPECT_EQ(h.Run({"GETDEL", "k"}), kNil);
}

TEST(StringOps, GetExChangesTtl) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"GETEX", "k", "PX", "100000"}), Bulk("v"));
  EXPECT_TRUE(Peek(h, "k")->has_expire());
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST"}), Bulk("v"));
  EXPECT_FALSE(Peek(h, "k")->has_expire());
  // A PERSIST that finds no TTL changes nothing.
  const uint64_t dirty = h.shard().stats().dirty;
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST"}), Bulk("v"));
  EXPECT_EQ(h.shard().stats().dirty, dirty);
  // An absolute time in the past deletes the key after returning it.
  EXPECT_EQ(h.Run({"GETEX", "k", "EXAT", "1"}), Bulk("v"));
  EXPECT_EQ(Peek(h, "k"), nullptr);
}

TEST(StringOps, GetExValidatesTimeOnlyForExistingKeys) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"GETEX", "nokey", "EX", "0"}), kNil);
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "0"}), Err("ERR invalid expire time in 'getex' command"));
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST", "EX", "1"}), Err("ERR syntax error"));
  EXPECT_EQ(h.Run({"GETEX", "k", "KEEPTTL"}), Err("ERR syntax error"));
  EXPECT_FALSE(Peek(h, "k")->has_expire());
}

TEST(StringOps, MSetNxIsAllOrNothing) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"MSETNX", "a", "1", "b", "2"}), Int(1));
  EXPECT_EQ(h.Run({"MSETNX", "b", "x", "c", "3"}), Int(0));
  EXPECT_EQ(h.Run({"MGET", "a", "b", "c"}), "*3\r\n" + Bulk("1") + Bulk("2") + kNil);
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b"}), Err("ERR wrong number of arguments for 'mset' command"));
}

// --- INCR family -------------------------------------------------------------

TEST(StringOps, IncrRewritesDigitsInPlace) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INCR", "n"}), Int(1));
  EXPECT_EQ(Peek(h, "n")->encoding, Encoding::kInt);
  const Entry* before = Peek(h, "n");
  for (int i = 0; i < 8; ++i) h.Run({"INCR", "n"});  // "1" -> "9": no new allocation
  EXPECT_EQ(Peek(h, "n"), before);
  EXPECT_EQ(h.Run({"GET", "n"}), Bulk("9"));
  EXPECT_EQ(h.Run({"INCRBY", "n", "999999991"}), Int(1000000000));
  EXPECT_EQ(h.Run({"GET", "n"}), Bulk("1000000000"));
  EXPECT_EQ(Peek(h, "n")->encoding, Encoding::kInt);
}

TEST(StringOps, IncrKeepsTtlAndTurnsRawValueIntoInt) {
  CommandHarness h;
  h.Run({"SET", "n", "12", "EX", "100"});
  h.Run({"APPEND", "n", "3"});
  EXPECT_EQ(Peek(h, "n")->encoding, Encoding::kRaw);
  EXPECT_EQ(h.Run({"INCR", "n"}), Int(124));
  EXPECT_EQ(Peek(h, "n")->encoding, Encoding::kInt);
  EXPECT_TRUE(Peek(h, "n")->has_expire());
}

TEST(StringOps, IncrOverflowAndBadValues) {
  CommandHarness h;
  h.Run({"SET", "n", "9223372036854775807"});
  EXPECT_EQ(h.Run({"INCR", "n"}), Err("ERR increment or decrement would overflow"));
  h.Run({"SET", "n", "-9223372036854775808"});
  EXPECT_EQ(h.Run({"DECR", "n"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(h.Run({"INCRBY", "n", "9223372036854775807"}), Int(-1));
  EXPECT_EQ(h.Run({"DECRBY", "m", "-9223372036854775808"}), Err("ERR decrement would overflow"));
  EXPECT_EQ(h.Run({"INCRBY", "m", "1.0"}), Err("ERR value is not an integer or out of range"));
  for (const char* bad : {"", " 1", "1 ", "01", "-0", "+1", "1e3", "abc"}) {
    h.Run({"SET", "s", bad});
    EXPECT_EQ(h.Run({"INCR", "s"}), Err("ERR value is not an integer or out of range")) << bad;
    EXPECT_EQ(h.Run({"GET", "s"}), Bulk(bad));
  }
}

TEST(StringOps, IncrByFloatFormatsAndIsNeverIntEncoded) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "3.0e3"}), Bulk("3000"));
  EXPECT_EQ(Peek(h, "f")->encoding, Encoding::kEmbStr);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-0.5"}), Bulk("2999.5"));
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "z", "-0"}), Bulk("0"));
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "inf"}), Err("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "abc"}), Err("ERR value is not a valid float"));
  EXPECT_EQ(h.Run({"GET", "f"}), Bulk("2999.5"));
  h.Run({"SET", "big", "1e308"});
  h.Run({"INCRBYFLOAT", "big", "1e308"});
  EXPECT_EQ(Peek(h, "big")->value_len, 309u);
  EXPECT_EQ(Peek(h, "big")->encoding, Encoding::kRaw);
}

// --- APPEND SETRANGE GETRANGE STRLEN -------------------------------------------

TEST(StringOps, AppendGrowsGeometricallyAndIsRaw) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"APPEND", "k", "12"}), Int(2));
  EXPECT_EQ(Peek(h, "k")->encoding, Encoding::kInt);  // a new key is encoded as SET would
  int moves = 0;
  const Entry* last = Peek(h, "k");
  for (int i = 0; i < 1000; ++i) {
    h.Run({"APPEND", "k", "0123456789"});
    if (Peek(h, "k") != last) ++moves;
    last = Peek(h, "k");
  }
  EXPECT_LT(moves, 15);  // doubling: a handful of reallocations for 10 KB
  EXPECT_EQ(h.Run({"STRLEN", "k"}), Int(10002));
  EXPECT_EQ(Peek(h, "k")->encoding, Encoding::kRaw);
}

TEST(StringOps, AppendAndSetRangeRespectProtoMaxBulkLen) {
  CommandHarness h({}, WithMaxBulkLen(1024 * 1024));
  const std::string too_long = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  EXPECT_EQ(h.Run({"SETRANGE", "s", std::to_string(1024 * 1024), "x"}), Err(too_long));
  EXPECT_EQ(Peek(h, "s"), nullptr);
  EXPECT_EQ(h.Run({"SETRANGE", "s", std::to_string(1024 * 1024 - 1), "x"}), Int(1024 * 1024));
  EXPECT_EQ(h.Run({"APPEND", "s", "y"}), Err(too_long));
  EXPECT_EQ(h.Run({"STRLEN", "s"}), Int(1024 * 1024));
  EXPECT_EQ(h.Run({"SETRANGE", "s", "0", "ab"}), Int(1024 * 1024));
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "3"}), Bulk(std::string("ab\0\0", 4)));
}

TEST(StringOps, SetRangePadsWithZerosAndKeepsTtl) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SETRANGE", "n", "3", "ab"}), Int(5));
  EXPECT_EQ(h.Run({"GET", "n"}), Bulk(std::string("\0\0\0ab", 5)));
  EXPECT_EQ(Peek(h, "n")->encoding, Encoding::kRaw);
  h.Run({"SET", "s", "Hello World", "EX", "100"});
  EXPECT_EQ(h.Run({"SETRANGE", "s", "6", "Redis"}), Int(11));
  EXPECT_EQ(h.Run({"GET", "s"}), Bulk("Hello Redis"));
  EXPECT_TRUE(Peek(h, "s")->has_expire());
  EXPECT_EQ(h.Run({"SETRANGE", "s", "-1", "x"}), Err("ERR offset is out of range"));
}

TEST(StringOps, SetRangeWithEmptyValueChangesNothing) {
  CommandHarness h;
  const uint64_t dirty = h.shard().stats().dirty;
  EXPECT_EQ(h.Run({"SETRANGE", "missing", "5", ""}), Int(0));
  EXPECT_EQ(Peek(h, "missing"), nullptr);
  EXPECT_EQ(h.shard().stats().dirty, dirty);
  h.Run({"SET", "k", "abc"});
  EXPECT_EQ(h.Run({"SETRANGE", "k", "100", ""}), Int(3));
  EXPECT_EQ(Peek(h, "k")->encoding, Encoding::kEmbStr);
}

TEST(StringOps, GetRangeIndexRules) {
  CommandHarness h;
  h.Run({"SET", "s", "Hello World"});
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "4"}), Bulk("Hello"));
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-5", "-1"}), Bulk("World"));
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-1", "-5"}), Bulk(""));
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-100", "-50"}), Bulk("H"));  // both clamp to 0
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}), Bulk("Hello World"));
  EXPECT_EQ(h.Run({"SUBSTR", "s", "20", "30"}), Bulk(""));
  EXPECT_EQ(h.Run({"GETRANGE", "nokey", "0", "-1"}), Bulk(""));
}

// --- LCS ---------------------------------------------------------------------

TEST(StringOps, LcsCommandReplies) {
  CommandHarness h;
  h.Run({"MSET", "k1", "ohmytext", "k2", "mynewtext"});
  EXPECT_EQ(h.Run({"LCS", "k1", "k2"}), Bulk("mytext"));
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "LEN"}), Int(6));
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "*4\r\n" + Bulk("matches") + "*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n" + Bulk("len") +
                Int(6));
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "LEN", "IDX"}),
            Err("ERR If you want both the length and indexes, please just use IDX."));
  EXPECT_EQ(h.Run({"LCS", "k1", "nokey"}), Bulk(""));
}

TEST(Lcs, MatchesAreReportedFromTheEnd) {
  LcsOptions options;
  options.want_matches = true;
  auto result = ComputeLcs("ohmytext", "mynewtext", options, 1 << 20);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->length, 6u);
  EXPECT_EQ(result->sequence, "mytext");
  ASSERT_EQ(result->matches.size(), 2u);
  EXPECT_EQ(result->matches[0].a_start, 4u);
  EXPECT_EQ(result->matches[0].a_end, 7u);
  EXPECT_EQ(result->matches[0].b_start, 5u);
  EXPECT_EQ(result->matches[0].b_end, 8u);
  EXPECT_EQ(result->matches[1].length(), 2u);
}

TEST(Lcs, MinMatchLenFiltersShortRuns) {
  LcsOptions options;
  options.want_matches = true;
  options.min_match_len = 3;
  auto result = ComputeLcs("abcXdeYfghi", "abcdefghi", options, 1 << 20);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->length, 9u);
  ASSERT_EQ(result->matches.size(), 2u);  // "fghi" and "abc"; "de" is too short
  EXPECT_EQ(result->matches[0].length(), 4u);
  EXPECT_EQ(result->matches[1].length(), 3u);
}

TEST(Lcs, EmptyAndIdenticalInputs) {
  LcsOptions options;
  options.want_matches = true;
  auto empty = ComputeLcs("", "abc", options, 1 << 20);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->length, 0u);
  EXPECT_TRUE(empty->matches.empty());
  auto same = ComputeLcs("abc", "abc", options, 1 << 20);
  ASSERT_TRUE(same.ok());
  ASSERT_EQ(same->matches.size(), 1u);
  EXPECT_EQ(same->matches[0].a_start, 0u);
  EXPECT_EQ(same->matches[0].a_end, 2u);
}

TEST(Lcs, TableLargerThanLimitIsRefused) {
  auto result = ComputeLcs(std::string(100, 'a'), std::string(100, 'b'), {}, 1000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
}

}  // namespace
}  // namespace tierkv::testing
