// Tests for RocksTierOptions::read_only (tiering/rocks_tier.h), the mode tierkv-check
// inspects a data directory in: it reads what a read-write tier committed, refuses every
// write, checks the format version, and leaves every file on disk as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/temp_dir.h"
#include "harness/tier_entries.h"
#include "tiering/rocks_tier.h"

namespace tierkv {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::Value;

// Every file under `dir` with its contents.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& item : fs::recursive_directory_iterator(dir)) {
    if (!item.is_regular_file()) continue;
    std::ifstream in(item.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[item.path().string()] = bytes.str();
  }
  return files;
}

// A tier with two entries, committed at LSN 7, then closed.
void WriteTier(const std::string& path) {
  RocksTierOptions options;
  options.path = path;
  auto tier = RocksTier::Open(options);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  TierBatch batch;
  batch.Put(Value(0, "a", 3, std::string("\x00\x01x", 3)));
  batch.Put(Value(2, "b", 7, std::string("\x00\x01y", 3)));
  ASSERT_TRUE((*tier)->Write(batch).ok());
  ASSERT_TRUE((*tier)->Commit(7).ok());
}

Result<std::unique_ptr<RocksTier>> OpenReadOnly(const std::string& path) {
  RocksTierOptions options;
  options.path = path;
  options.read_only = true;
  return RocksTier::Open(options);
}

TEST(RocksTierReadOnly, SeesTheEntriesAndCheckpointACommitLeft) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteTier(path);
  auto tier = OpenReadOnly(path);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  auto metadata = (*tier)->ReadMetadata();
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->checkpoint_lsn, 7u);
  std::vector<TierEntry> seen;
  ASSERT_TRUE((*tier)->ForEach([&](TierEntry&& entry) {
    seen.push_back(std::move(entry));
    return Status::Ok();
  }).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], Value(0, "a", 3, std::string("\x00\x01x", 3)));
  EXPECT_EQ(seen[1], Value(2, "b", 7, std::string("\x00\x01y", 3)));
}

TEST(RocksTierReadOnly, VisitsEveryKeysMetadata) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteTier(path);
  auto tier = OpenReadOnly(path);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  std::vector<TierKeyMetadata> seen;
  ASSERT_TRUE((*tier)->ForEachKey([&](TierKeyMetadata&& metadata) {
    seen.push_back(std::move(metadata));
    return Status::Ok();
  }).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], KeyMetadataOf(Value(0, "a", 3, std::string("\x00\x01x", 3))));
  EXPECT_EQ(seen[1], KeyMetadataOf(Value(2, "b", 7, std::string("\x00\x01y", 3))));
}

TEST(RocksTierReadOnly, RefusesWritesAndCommits) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteTier(path);
  auto tier = OpenReadOnly(path);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  TierBatch batch;
  batch.Put(Value(0, "c", 9, std::string("\x00\x01z", 3)));
  EXPECT_FALSE((*tier)->Write(batch).ok());
  EXPECT_FALSE((*tier)->Commit(9).ok());
  auto entry = (*tier)->Get(0, "c");
  ASSERT_TRUE(entry.ok());
  EXPECT_FALSE(entry->has_value());
}

TEST(RocksTierReadOnly, LeavesEveryFileAsItWas) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteTier(path);
  const auto before = Contents(path);
  {
    auto tier = OpenReadOnly(path);
    ASSERT_TRUE(tier.ok()) << tier.status().message();
    ASSERT_TRUE((*tier)->ForEach([](TierEntry&&) { return Status::Ok(); }).ok());
  }
  EXPECT_TRUE(Contents(path) == before);
}

TEST(RocksTierReadOnly, OfAMissingTierFailsWithoutCreatingIt) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  auto tier = OpenReadOnly(path);
  EXPECT_FALSE(tier.ok());
  EXPECT_FALSE(fs::exists(path));
}

TEST(RocksTierReadOnly, RefusesAnotherFormatVersion) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteTier(path);
  RocksTierOptions options;
  options.path = path;
  options.read_only = true;
  options.format_version = kTierFormatVersion + 1;
  auto tier = RocksTier::Open(options);
  ASSERT_FALSE(tier.ok());
  EXPECT_NE(tier.status().message().find("format version " + std::to_string(kTierFormatVersion)),
            std::string::npos)
      << tier.status().message();
}

}  // namespace
}  // namespace tierkv
