// Tier::last_memory_bytes (tiering/tier.h) as RocksTier keeps it: eviction sets the tier's
// DRAM apart from maxmemory on every command, so the figure must follow the memtables as
// checkpoint writes fill them and a commit's flush empties them, without asking RocksDB.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "harness/temp_dir.h"
#include "tiering/rocks_tier.h"

namespace tierkv {
namespace {

using testing::TempDir;

constexpr size_t kValueBytes = 64u << 10;
constexpr int kValues = 64;  // 4 MiB in all: within the write buffers, so nothing flushes early

std::unique_ptr<RocksTier> OpenTier(const std::string& path, std::function<void()> during_write = nullptr) {
  RocksTierOptions options;
  options.during_write = std::move(during_write);
  options.path = path;
  options.block_cache_bytes = 8u << 20;
  options.write_buffer_bytes = 32u << 20;
  auto tier = RocksTier::Open(options);
  EXPECT_TRUE(tier.ok()) << tier.status().message();
  return tier.ok() ? std::move(*tier) : nullptr;
}

TierBatch ValuesBatch() {
  TierBatch batch;
  for (int i = 0; i < kValues; ++i) {
    TierEntry entry;
    entry.key = "key:" + std::to_string(i);
    entry.lsn = 1;
    entry.value = std::string(1, '\0') + std::string(kValueBytes, static_cast<char>('a' + i % 26));
    batch.Put(std::move(entry));
  }
  return batch;
}

TEST(RocksTierMemory, WritesRaiseTheFigureAndACommitLowersIt) {
  TempDir dir;
  std::unique_ptr<RocksTier> tier = OpenTier(dir.path() + "/tier");
  ASSERT_NE(tier, nullptr);
  const uint64_t opened = tier->last_memory_bytes();

  ASSERT_TRUE(tier->Write(ValuesBatch()).ok());
  const uint64_t written = tier->last_memory_bytes();
  EXPECT_GE(written, opened + kValues * kValueBytes) << "the memtables hold the batch";
  EXPECT_EQ(written, tier->stats().memory_bytes) << "the figure of the last write, not a guess";

  ASSERT_TRUE(tier->Commit(1).ok());
  EXPECT_LE(tier->last_memory_bytes(), written - kValues * kValueBytes / 2) << "the flush emptied them";
}

// The figure used to move only after a write: while RocksDB copied the batch and filled its
// memtables, that memory (allocated on the registered I/O thread, so in used_memory at once)
// counted against the keys, and a cache evicted keys during every checkpoint round. The
// write under way counts from its start: twice its keys and values.
TEST(RocksTierMemory, AWriteUnderWayCountsFromItsStart) {
  TempDir dir;
  uint64_t during = 0;
  RocksTier* raw = nullptr;
  std::unique_ptr<RocksTier> tier = OpenTier(dir.path() + "/tier", [&] { during = raw->last_memory_bytes(); });
  ASSERT_NE(tier, nullptr);
  raw = tier.get();
  const uint64_t opened = tier->last_memory_bytes();
  ASSERT_TRUE(tier->Write(ValuesBatch()).ok());
  EXPECT_GE(during, opened + 2 * kValues * kValueBytes) << "the write under way was not counted";
  EXPECT_EQ(tier->last_memory_bytes(), tier->stats().memory_bytes) << "after it, what RocksDB reports";
}

}  // namespace
}  // namespace tierkv
