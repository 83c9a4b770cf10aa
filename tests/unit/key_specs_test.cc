#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/key_specs.h"

namespace tierkv {
namespace {

std::vector<int> Positions(const CommandSpec& spec, std::vector<std::string_view> args) {
  std::vector<int> out;
  for (const KeyReference& key : KeysWithFlags(spec, args)) out.push_back(key.position);
  return out;
}

TEST(KeySpecs, KeywordSearchFromTheEndFindsTheLastKeyword) {
  // MIGRATE's shape: KEYS searched backwards from two before the end.
  CommandSpec spec;
  spec.key_specs = {KeySpec{kKeyRW | kKeyAccess}.Keyword("KEYS", -2).Range(-1, 1, 0)};
  EXPECT_EQ(Positions(spec, {"migrate", "h", "p", "", "0", "5", "KEYS", "a", "b"}), (std::vector<int>{7, 8}));
  EXPECT_TRUE(Positions(spec, {"migrate", "h", "p", "k", "0", "5"}).empty());  // no keyword, no keys
}

TEST(KeySpecs, RangeWithLimitTakesItsShareOfTheRest) {
  // XREAD's shape: half of what follows STREAMS are keys.
  CommandSpec spec;
  spec.key_specs = {KeySpec{kKeyRO | kKeyAccess}.Keyword("STREAMS", 1).Range(-1, 1, 2)};
  EXPECT_EQ(Positions(spec, {"xread", "COUNT", "1", "STREAMS", "a", "b", "0", "0"}), (std::vector<int>{4, 5}));
}

TEST(KeySpecs, KeynumSpecsWithABadCountNameNoKeys) {
  CommandSpec spec;
  spec.key_specs = {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
                    KeySpec{kKeyRO | kKeyAccess}.Index(2).Keynum(0, 1, 1)};
  const auto keys = KeysWithFlags(spec, std::vector<std::string_view>{"zunionstore", "d", "2", "a", "b"});
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].flags, kKeyOW | kKeyUpdate);
  EXPECT_EQ(keys[2].position, 4);
  EXPECT_TRUE(Positions(spec, {"zunionstore", "d", "9", "a"}).empty());
  EXPECT_TRUE(Positions(spec, {"zunionstore", "d", "x", "a"}).empty());
  EXPECT_TRUE(Positions(spec, {"zunionstore", "d", "0", "a"}).empty());
}

TEST(KeySpecs, LegacyRangeMergesConsecutiveIndexRanges) {
  // BITOP: the destination then every source: 2..-1.
  EXPECT_EQ(LegacyRangeOf({KeySpec{kKeyOW | kKeyUpdate}.Index(2).Range(0, 1, 0),
                           KeySpec{kKeyRO | kKeyAccess}.Index(3).Range(-1, 1, 0)}),
            (LegacyKeyRange{2, -1, 1}));
  // MSET: one range of step 2.
  EXPECT_EQ(LegacyRangeOf({KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(-1, 2, 0)}), (LegacyKeyRange{1, -1, 2}));
  // ZUNION: keys behind a count only: none in the legacy range.
  EXPECT_EQ(LegacyRangeOf({KeySpec{kKeyRO | kKeyAccess}.Index(1).Keynum(0, 1, 1)}), (LegacyKeyRange{}));
}

TEST(KeySpecs, FlagNamesInRedisOrder) {
  EXPECT_EQ(KeySpecFlagNames(kKeyUpdate | kKeyRW | kKeyVariableFlags | kKeyAccess),
            (std::vector<std::string>{"RW", "access", "update", "variable_flags"}));
}

TEST(KeySpecs, EveryCommandWithKeyPositionsHasRedisKeySpecs) {
  auto table = CommandTable::Build();  // Validate fails on a command without its row
  ASSERT_TRUE(table.ok()) << table.status().message();
  const CommandSpec* set = (*table)->Find("set");
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->key_specs.size(), 1u);
  EXPECT_STREQ(set->key_specs[0].notes, "RW and ACCESS due to the optional `GET` argument");
}

}  // namespace
}  // namespace tierkv
