// Tests for tiering/tier.h: one conformance suite run against RocksTier and FakeTier
// alike, then what only RocksTier has (format version check, conversion of a version-1
// tier, a metadata pass that reads no value from disk, defensive decoding, durability
// across a SIGKILL) and the FakeTier controls other tests rely on (crash, failures,
// stalls, counters).
#include "harness/fake_tier.h"
#include "harness/temp_dir.h"
#include "harness/tier_entries.h"
#include "tiering/rocks_tier.h"
#include "tiering/rocks_tier_format.h"
#if TIERKV_PMEM
#include "tiering/pmem/pmem_tier.h"
#endif

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

extern char** environ;

namespace tierkv {

// Readable test failures (found by gtest through ADL, so outside the unnamed namespace).
void PrintTo(const TierKeyMetadata& metadata, std::ostream* out) {
  *out << "{db " << metadata.db << " key '" << PrintableKey(metadata.key) << "' lsn " << metadata.lsn;
  if (metadata.tombstone) {
    *out << " tombstone}";
  } else {
    *out << " expire " << metadata.expire_at_ms << " size " << metadata.value_size << " type "
         << int{metadata.value_type} << "}";
  }
}

void PrintTo(const TierEntry& entry, std::ostream* out) {
  *out << "{db " << entry.db << " key '" << PrintableKey(entry.key) << "' lsn " << entry.lsn;
  if (entry.tombstone) {
    *out << " tombstone}";
  } else {
    *out << " expire " << entry.expire_at_ms << " value '" << PrintableKey(entry.value) << "' ("
         << entry.value.size() << " bytes)}";
  }
}

namespace {

using testing::FakeTier;
using testing::TempDir;
using testing::Value;

using namespace std::string_literals;

TierKeyMetadata KeyOf(const TierEntry& entry) { return KeyMetadataOf(entry); }

// Visits come in no promised order: tests compare them in (db, key) order.
template <typename T>
std::vector<T> SortedByDbAndKey(std::vector<T> items) {
  std::sort(items.begin(), items.end(),
            [](const T& a, const T& b) { return std::tie(a.db, a.key) < std::tie(b.db, b.key); });
  return items;
}

TierEntry Tombstone(uint32_t db, std::string key, uint64_t lsn) {
  TierEntry entry;
  entry.db = db;
  entry.key = std::move(key);
  entry.lsn = lsn;
  entry.tombstone = true;
  return entry;
}

Result<std::unique_ptr<RocksTier>> OpenRocks(const std::string& path, size_t one_batch_stage_bytes = 4 << 20) {
  RocksTierOptions options;
  options.path = path;
  options.block_cache_bytes = 1 << 20;
  options.one_batch_stage_bytes = one_batch_stage_bytes;
  return RocksTier::Open(options);
}

// ---------------------------------------------------------------------------------------
// Conformance: the Tier contract, for every backend.

// A tier under test, and a way to reopen it on the same storage.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Tier& tier() = 0;
  // Everything committed must be there afterwards. RocksTier closes and opens the
  // directory again; FakeTier crashes, the stronger test.
  virtual void Reopen() = 0;
  // A crash that kept every key written since the last commit (RocksTier: closed with
  // its memtables flushed, never committed; FakeTier: the same by hand).
  virtual void CrashKeepingUncommittedWrites() = 0;
};

// `one_batch_stage_bytes` 0: every stage takes the path of the large ones (recorded, then
// moved).
class RocksBackend final : public Backend {
 public:
  explicit RocksBackend(size_t one_batch_stage_bytes = 4 << 20) : one_batch_stage_bytes_(one_batch_stage_bytes) {
    Open();
  }
  Tier& tier() override { return *tier_; }
  void Reopen() override {
    tier_.reset();
    Open();
  }
  void CrashKeepingUncommittedWrites() override { Reopen(); }

 private:
  void Open() {
    auto opened = OpenRocks(dir_.path() + "/tier", one_batch_stage_bytes_);
    if (!opened.ok()) throw std::runtime_error(opened.status().message());
    tier_ = std::move(opened).value();
  }
  const size_t one_batch_stage_bytes_;
  TempDir dir_{"tierkv-tier"};
  std::unique_ptr<RocksTier> tier_;
};

class FakeBackend final : public Backend {
 public:
  Tier& tier() override { return tier_; }
  void Reopen() override { tier_.CrashAndLoseUncommitted(); }
  void CrashKeepingUncommittedWrites() override { tier_.ForgetDbChangesSinceCommit(); }

 private:
  FakeTier tier_;
};

#if TIERKV_PMEM
// A pool in /dev/shm (ctest sets PMEM_IS_PMEM_FORCE=1 for this binary: no msync). Reopen
// closes and opens the pool; a crash that kept the uncommitted writes is the same (a
// Write is durable when it returns, a stage is dropped at open).
class PmemBackend final : public Backend {
 public:
  PmemBackend() { Open(); }
  Tier& tier() override { return *tier_; }
  void Reopen() override {
    tier_.reset();
    Open();
  }
  void CrashKeepingUncommittedWrites() override { Reopen(); }

 private:
  void Open() {
    PmemTierOptions options;
    options.path = dir_.path() + "/pool";
    options.pool_size = 64 << 20;
    auto opened = PmemTier::Open(options);
    if (!opened.ok()) throw std::runtime_error(opened.status().message());
    tier_ = std::move(opened).value();
  }
  TempDir dir_{"tierkv-pmem", "/dev/shm"};
  std::unique_ptr<PmemTier> tier_;
};
#endif

struct BackendParam {
  std::string name;
  std::function<std::unique_ptr<Backend>()> make;
};

void PrintTo(const BackendParam& param, std::ostream* out) { *out << param.name; }

class TierConformanceTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override { backend_ = GetParam().make(); }

  Tier& tier() { return backend_->tier(); }

  void Write(const TierBatch& batch) {
    Status status = tier().Write(batch);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  void Put(TierEntry entry) {
    TierBatch batch;
    batch.Put(std::move(entry));
    Write(batch);
  }
  void Commit(uint64_t lsn) {
    Status status = tier().Commit(lsn);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  std::optional<TierEntry> Get(uint32_t db, std::string_view key) {
    auto got = tier().Get(db, key);
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? *got : std::nullopt;
  }
  std::vector<TierEntry> All() {
    std::vector<TierEntry> all;
    Status status = tier().ForEach([&](TierEntry&& entry) {
      all.push_back(std::move(entry));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.message();
    return SortedByDbAndKey(std::move(all));
  }
  std::vector<TierKeyMetadata> AllKeys() {
    std::vector<TierKeyMetadata> all;
    Status status = tier().ForEachKey([&](TierKeyMetadata&& metadata) {
      all.push_back(std::move(metadata));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.message();
    return SortedByDbAndKey(std::move(all));
  }
  TierMetadata Metadata() {
    auto metadata = tier().ReadMetadata();
    EXPECT_TRUE(metadata.ok()) << metadata.status().message();
    return metadata.ok() ? *metadata : TierMetadata{};
  }

  std::unique_ptr<Backend> backend_;
};

TEST_P(TierConformanceTest, PutGetOverwrite) {
  Put(Value(0, "k", 1, "\x00v1"s, 1'700'000'000'000));
  EXPECT_EQ(Get(0, "k"), Value(0, "k", 1, "\x00v1"s, 1'700'000'000'000));
  Put(Value(0, "k", 2, "v2"));
  EXPECT_EQ(Get(0, "k"), Value(0, "k", 2, "v2"));
  EXPECT_EQ(Get(0, "missing"), std::nullopt);
  EXPECT_EQ(Get(1, "k"), std::nullopt);
}

TEST_P(TierConformanceTest, MultiGetAnswersEachKeyAsGetDoes) {
  const std::string binary = "\x00\x00k"s;
  Put(Value(0, "a", 1, "va"));
  Put(Tombstone(0, "b", 2));
  Put(Value(1, "a", 3, "one"));
  Put(Value(0, binary, 4, "bin", 1'700'000'000'000));
  // Present, a tombstone, missing, another db, a db the tier never held, a binary key,
  // and a key asked twice.
  const std::vector<TierKeyName> keys = {{0, "a"}, {0, "b"}, {0, "missing"}, {1, "a"}, {7, "a"}, {0, binary}, {0, "a"}};
  std::vector<Tier::GetResult> results = tier().MultiGet(keys);
  ASSERT_EQ(results.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().message();
    EXPECT_EQ(*results[i], Get(keys[i].db, keys[i].key)) << "key " << i;
  }
  EXPECT_EQ(*results[0], Value(0, "a", 1, "va"));
  EXPECT_EQ(*results[2], std::nullopt);
  EXPECT_TRUE(tier().MultiGet({}).empty());
}

TEST_P(TierConformanceTest, TombstonesAreVisibleToGetAndForEach) {
  Put(Value(0, "a", 1, "va"));
  Put(Tombstone(0, "b", 2));
  Put(Tombstone(0, "a", 3));  // a deleted key keeps its LSN, not its value
  EXPECT_EQ(Get(0, "a"), Tombstone(0, "a", 3));
  EXPECT_EQ(Get(0, "b"), Tombstone(0, "b", 2));
  EXPECT_EQ(All(), (std::vector{Tombstone(0, "a", 3), Tombstone(0, "b", 2)}));
}

TEST_P(TierConformanceTest, EraseLeavesNothingBehind) {
  Put(Value(0, "a", 1, "va"));
  Put(Tombstone(0, "b", 2));
  TierBatch erase;
  erase.Erase(0, "a");
  erase.Erase(0, "b");
  erase.Erase(0, "never-stored");
  Write(erase);
  EXPECT_EQ(Get(0, "a"), std::nullopt);
  EXPECT_EQ(Get(0, "b"), std::nullopt);
  EXPECT_TRUE(All().empty());
}

TEST_P(TierConformanceTest, EraseDbRemovesExactlyOneDb) {
  // Keys that look like other dbs' prefixes, the empty key, and dbs that differ from
  // db 1 only in a higher byte.
  const std::vector<TierEntry> kept = {
      Value(0, "k", 1, "a"),                Value(0, "\xff\xff\xff\xff", 2, "b"),
      Value(2, "", 3, "c"),                 Value(2, "k", 4, "d"),
      Value(256, "k", 5, "e"),              Value((1u << 24) | 1, "k", 6, "f")};
  TierBatch batch;
  for (const TierEntry& entry : kept) batch.Put(entry);
  batch.Put(Value(1, "", 7, "x"));
  batch.Put(Value(1, "k", 8, "x"));
  batch.Put(Value(1, "\x00\x00\x00\x02k"s, 9, "x"));
  batch.Put(Tombstone(1, "\xff", 10));
  Write(batch);

  TierBatch erase;
  erase.EraseDb(1);
  Write(erase);
  EXPECT_EQ(All(), kept);
  EXPECT_EQ(Get(1, "k"), std::nullopt);
  EXPECT_EQ(Get(2, "k"), Value(2, "k", 4, "d"));
}

TEST_P(TierConformanceTest, SwapDbExchangesTwoDbsForWhatFollows) {
  Put(Value(0, "a", 1, "zero"));
  Put(Value(1, "a", 2, "one"));
  Put(Tombstone(1, "t", 3));
  Put(Value(5, "e", 4, "five"));
  TierBatch batch;
  batch.SwapDb(0, 1);
  batch.Put(Value(0, "after", 5, "x"));  // lands in what was db 1
  batch.SwapDb(5, 7);                    // db 7 is empty: db 5 becomes empty
  batch.SwapDb(2, 2);                    // a db with itself: nothing
  Write(batch);
  EXPECT_EQ(All(), (std::vector{Value(0, "a", 2, "one"), Value(0, "after", 5, "x"), Tombstone(0, "t", 3),
                                Value(1, "a", 1, "zero"), Value(7, "e", 4, "five")}));
  EXPECT_EQ(Get(1, "a"), Value(1, "a", 1, "zero"));
  EXPECT_EQ(Get(5, "e"), std::nullopt);
  EXPECT_EQ(AllKeys().size(), 5u);
}

TEST_P(TierConformanceTest, CommittedSwapsAndErasesSurviveReopen) {
  Put(Value(0, "a", 1, "zero"));
  Put(Value(1, "b", 2, "one"));
  Put(Value(2, "c", 3, "two"));
  TierBatch batch;
  batch.SwapDb(0, 1);
  batch.EraseDb(2);
  batch.Put(Value(2, "d", 4, "new"));
  Write(batch);
  Commit(4);
  backend_->Reopen();
  const std::vector<TierEntry> expected = {Value(0, "b", 2, "one"), Value(1, "a", 1, "zero"),
                                           Value(2, "d", 4, "new")};
  EXPECT_EQ(All(), expected);
  Commit(5);  // a second commit cleans the dead generation up; nothing visible changes
  backend_->Reopen();
  EXPECT_EQ(All(), expected);
}

// The server state (the function libraries) is recorded by the commit after it is set,
// survives a reopen, and stays until a commit records another.
TEST_P(TierConformanceTest, TheServerStateTravelsWithTheNextCommit) {
  auto state = [&] { return tier().ReadMetadata().value().server_state; };
  EXPECT_EQ(state(), "");
  tier().SetServerState("libraries v1");
  EXPECT_EQ(state(), "");  // not before the commit
  Commit(1);
  EXPECT_EQ(state(), "libraries v1");
  backend_->Reopen();
  EXPECT_EQ(state(), "libraries v1");
  Commit(2);  // a commit without a new state keeps the recorded one
  backend_->Reopen();
  EXPECT_EQ(state(), "libraries v1");
  tier().SetServerState("");
  Commit(3);
  backend_->Reopen();
  EXPECT_EQ(state(), "");
}

// A crash keeps, at most, key writes made since the last commit; the erases and swaps of
// that time are forgotten, and those keys follow their db's contents: the map of the
// last checkpoint, so that replaying the journal from it applies each erase and swap
// exactly once. Keys written into a db after its erase vanish with it (the journal
// holds them).
TEST_P(TierConformanceTest, ACrashForgetsUncommittedSwapsAndErasesButKeysFollowTheirDb) {
  Put(Value(0, "a", 1, "zero"));
  Put(Value(1, "b", 2, "one"));
  Put(Value(2, "c", 3, "two"));
  Commit(3);
  TierBatch batch;
  batch.SwapDb(0, 1);
  batch.Put(Value(0, "x", 4, "into-old-db1"));
  batch.EraseDb(2);
  batch.Put(Value(2, "y", 5, "after-erase"));
  batch.Put(Value(3, "z", 6, "new-db"));
  Write(batch);
  backend_->CrashKeepingUncommittedWrites();
  EXPECT_EQ(Metadata().checkpoint_lsn, 3u);
  EXPECT_EQ(All(), (std::vector{Value(0, "a", 1, "zero"), Value(1, "b", 2, "one"), Value(1, "x", 4, "into-old-db1"),
                                Value(2, "c", 3, "two")}));
  // The tier works on: the next writes and commit are whole.
  TierBatch again;
  again.Put(Value(3, "w", 7, "v"));
  Write(again);
  Commit(7);
  backend_->Reopen();
  EXPECT_EQ(Get(3, "w"), Value(3, "w", 7, "v"));
  EXPECT_EQ(Get(3, "z"), std::nullopt);
}

// A stage (WriteStaged, and every Write after it) is invisible until its commit, which
// shows all of it: keys, metadata-only writes, erases and swaps of dbs.
TEST_P(TierConformanceTest, StagedWritesStayInvisibleUntilTheirCommit) {
  Put(Value(0, "a", 1, "zero"));
  Put(Value(1, "b", 2, "one"));
  Put(Value(2, "c", 3, "two"));
  Commit(3);
  const std::vector<TierEntry> before = All();
  TierBatch staged;
  staged.Put(Value(0, "a", 4, "zero-again"));
  staged.SetMetadata(1, "b", 5, 1'700'000'000'000);
  staged.EraseDb(2);
  staged.Put(Value(2, "d", 6, "after-erase"));
  staged.Put(Value(0, "e", 7, "e"));
  staged.SwapDb(0, 3);
  ASSERT_TRUE(tier().WriteStaged(staged).ok());
  TierBatch joins;  // a plain Write joins the stage
  joins.Put(Tombstone(3, "a", 8));
  joins.SetMetadata(3, "e", 9, kNoExpire);
  joins.Erase(1, "nothing-there");
  Write(joins);
  EXPECT_EQ(All(), before);
  EXPECT_EQ(Get(0, "a"), Value(0, "a", 1, "zero"));
  EXPECT_EQ(Get(3, "e"), std::nullopt);
  Commit(9);
  const std::vector<TierEntry> after = {Value(1, "b", 5, "one", 1'700'000'000'000), Value(2, "d", 6, "after-erase"),
                                        Tombstone(3, "a", 8), Value(3, "e", 9, "e")};
  EXPECT_EQ(All(), after);
  EXPECT_EQ(Metadata().checkpoint_lsn, 9u);
  backend_->Reopen();
  EXPECT_EQ(All(), after);
  // The stage is gone: what follows is written as usual.
  Put(Value(3, "f", 10, "f"));
  EXPECT_EQ(Get(3, "f"), Value(3, "f", 10, "f"));
}

TEST_P(TierConformanceTest, ACrashBeforeItsCommitForgetsTheWholeStage) {
  Put(Value(0, "a", 1, "zero"));
  Put(Value(1, "b", 2, "one"));
  Commit(2);
  const std::vector<TierEntry> before = All();
  for (int i = 0; i < 3; ++i) {
    TierBatch staged;
    staged.Put(Value(0, "a", 3 + i, "changed" + std::to_string(i)));
    staged.Put(Value(0, "new" + std::to_string(i), 3 + i, "new"));
    if (i == 1) staged.EraseDb(1);
    ASSERT_TRUE(tier().WriteStaged(staged).ok());
  }
  backend_->CrashKeepingUncommittedWrites();
  EXPECT_EQ(Metadata().checkpoint_lsn, 2u);
  EXPECT_EQ(All(), before);
  // Nothing of the dropped stage comes back with the next commit.
  Put(Value(2, "c", 6, "two"));
  Commit(6);
  backend_->Reopen();
  EXPECT_EQ(All(), (std::vector{Value(0, "a", 1, "zero"), Value(1, "b", 2, "one"), Value(2, "c", 6, "two")}));
}

TEST_P(TierConformanceTest, AStagedSetMetadataOfAKeyWithoutValueFailsItsBatch) {
  Put(Value(0, "a", 1, "zero"));
  Commit(1);
  TierBatch staged;
  staged.Put(Tombstone(0, "a", 2));
  ASSERT_TRUE(tier().WriteStaged(staged).ok());
  TierBatch refused;
  refused.Put(Value(0, "b", 3, "b"));
  refused.SetMetadata(0, "a", 3, kNoExpire);  // the stage deleted its value
  EXPECT_FALSE(tier().WriteStaged(refused).ok());
  Commit(3);
  EXPECT_EQ(All(), std::vector{Tombstone(0, "a", 2)});
}

TEST_P(TierConformanceTest, SetMetadataFollowsASwapInItsBatch) {
  Put(Value(1, "k", 1, "v"));
  TierBatch batch;
  batch.SwapDb(0, 1);
  batch.SetMetadata(0, "k", 2, 1'700'000'000'000);
  Write(batch);
  EXPECT_EQ(Get(0, "k"), Value(0, "k", 2, "v", 1'700'000'000'000));
  TierBatch refused;
  refused.SetMetadata(1, "k", 3, kNoExpire);
  EXPECT_FALSE(tier().Write(refused).ok());
}

TEST_P(TierConformanceTest, ForEachVisitsEveryEntryOnce) {
  std::vector<TierEntry> entries = {
      Value(0, "a", 1, "v"),     Value(0, "a\x00"s, 2, "v"), Value(0, "b", 3, "v"),
      Value(0, "\x80", 4, "v"),  Value(0, "\xff", 5, "v"),   Value(1, "", 6, "v"),
      Value(1, "a", 7, "v"),     Value(3, "0", 8, "v"),      Value(300, "z", 9, "v")};
  std::vector<TierEntry> shuffled = entries;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  for (const TierEntry& entry : shuffled) Put(entry);
  EXPECT_EQ(All(), entries);
}

TEST_P(TierConformanceTest, ForEachStopsAtTheFirstError) {
  for (uint64_t i = 0; i < 5; ++i) Put(Value(0, "k" + std::to_string(i), i + 1, "v"));
  int visited = 0;
  Status status = tier().ForEach([&](TierEntry&&) {
    return ++visited == 2 ? Status::IoError("stop here") : Status::Ok();
  });
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_EQ(status.message(), "stop here");
  EXPECT_EQ(visited, 2);
}

TEST_P(TierConformanceTest, CommittedDataAndMetadataSurviveReopen) {
  EXPECT_EQ(Metadata().checkpoint_lsn, 0u);
  EXPECT_EQ(Metadata().format_version, kTierFormatVersion);
  Put(Value(0, "a", 1, "va", 123));
  Put(Tombstone(2, "b", 2));
  Commit(42);
  EXPECT_EQ(Metadata().checkpoint_lsn, 42u);

  backend_->Reopen();
  EXPECT_EQ(Metadata().checkpoint_lsn, 42u);
  EXPECT_EQ(Metadata().format_version, kTierFormatVersion);
  EXPECT_EQ(All(), (std::vector{Value(0, "a", 1, "va", 123), Tombstone(2, "b", 2)}));

  TierBatch erase;
  erase.Erase(0, "a");
  Write(erase);
  Commit(43);
  backend_->Reopen();
  EXPECT_EQ(Metadata().checkpoint_lsn, 43u);
  EXPECT_EQ(All(), (std::vector{Tombstone(2, "b", 2)}));
}

TEST_P(TierConformanceTest, BatchOpsApplyInOrder) {
  Put(Value(0, "b", 1, "old"));
  Put(Value(3, "gone", 2, "x"));
  TierBatch batch;
  batch.Put(Value(0, "a", 3, "first"));
  batch.Put(Value(0, "a", 4, "second"));
  batch.Erase(0, "b");
  batch.Put(Value(0, "b", 5, "new"));
  batch.Put(Value(3, "also-gone", 6, "x"));
  batch.EraseDb(3);
  batch.Put(Value(3, "after", 7, "x"));
  Write(batch);
  EXPECT_EQ(All(), (std::vector{Value(0, "a", 4, "second"), Value(0, "b", 5, "new"),
                                Value(3, "after", 7, "x")}));
}

TEST_P(TierConformanceTest, ReadersSeeABatchWholeOrNotAtAll) {
  // Every batch stamps three keys (in two dbs) with the same LSN; a concurrent ForEach
  // must never see them disagree.
  constexpr uint64_t kBatches = 300;
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (uint64_t lsn = 1; lsn <= kBatches; ++lsn) {
      TierBatch batch;
      batch.Put(Value(0, "a", lsn, "v"));
      batch.Put(Value(0, "b", lsn, "v"));
      batch.Put(Value(1, "c", lsn, "v"));
      EXPECT_TRUE(tier().Write(batch).ok());
    }
    done = true;
  });
  int scans = 0;
  bool finished = false;
  while (!finished) {
    finished = done;  // read before the scan, so the last scan sees the last batch
    std::vector<TierEntry> all = All();
    ++scans;
    if (all.empty()) continue;
    if (all.size() != 3) {
      ADD_FAILURE() << "saw " << all.size() << " keys";
      continue;
    }
    EXPECT_EQ(all[0].lsn, all[1].lsn);
    EXPECT_EQ(all[0].lsn, all[2].lsn);
    if (finished) {
      EXPECT_EQ(all[0].lsn, kBatches);
    }
  }
  writer.join();
  EXPECT_GE(scans, 1);
}

TEST_P(TierConformanceTest, BinaryKeysAndValues) {
  const std::string key = "\x00k\x00\xff\r\n"s;
  const std::string value = "\x00\x01\x00\xfe\xff"s;
  Put(Value(5, key, 1, value));
  Put(Value(5, "", 2, ""));
  Put(Value(5, "\x00"s, 3, "\x00"s));
  EXPECT_EQ(Get(5, key), Value(5, key, 1, value));
  EXPECT_EQ(Get(5, ""), Value(5, "", 2, ""));
  EXPECT_EQ(Get(5, "\x00"s), Value(5, "\x00"s, 3, "\x00"s));
  EXPECT_EQ(Get(5, "\x00k"s), std::nullopt);
  EXPECT_EQ(All().size(), 3u);
}

TEST_P(TierConformanceTest, LargeValueRoundTrips) {
  std::string big(6 << 20, '\0');
  std::mt19937 random(11);
  for (char& c : big) c = static_cast<char>(random());
  Put(Value(0, "big", 1, big));
  EXPECT_EQ(Get(0, "big"), Value(0, "big", 1, big));
  Commit(1);
  backend_->Reopen();
  EXPECT_EQ(Get(0, "big"), Value(0, "big", 1, big));
}

TEST_P(TierConformanceTest, ForEachKeyVisitsEveryKeyWithItsMetadataAndNoValue) {
  const std::vector<TierEntry> entries = {
      Value(0, "plain", 1, "\x00\x05hello"s), Value(0, "ttl", 2, "\x0e\x01\x02"s, 1'700'000'000'000),
      Value(0, "empty", 3, ""),                Tombstone(1, "gone", 4),
      Value(7, "\xff\x00"s, 5, std::string(5000, 'z'))};
  TierBatch batch;
  for (const TierEntry& entry : entries) batch.Put(entry);
  Write(batch);
  std::vector<TierKeyMetadata> expected;
  for (const TierEntry& entry : entries) expected.push_back(KeyOf(entry));
  expected = SortedByDbAndKey(std::move(expected));
  EXPECT_EQ(AllKeys(), expected);
  EXPECT_EQ(expected[0].value_size, 0u);  // "empty" in db 0
  EXPECT_EQ(expected[1].value_size, 7u);  // "plain"
  EXPECT_EQ(expected[1].value_type, 0u);
  EXPECT_EQ(expected[2].value_type, 0x0eu);  // "ttl"
  EXPECT_EQ(expected[2].expire_at_ms, 1'700'000'000'000);

  Commit(5);
  backend_->Reopen();
  EXPECT_EQ(AllKeys(), expected);
}

TEST_P(TierConformanceTest, ForEachKeyWithSmallValuesReadsOnlyTheSmallOnes) {
  // Small and large values interleaved in key order, over two dbs, with a tombstone: the
  // value reader must skip the large ones and still pair every small value with its key.
  std::vector<TierEntry> entries;
  for (int i = 0; i < 12; ++i) {
    const std::string value = i % 3 == 0 ? "\x00" + std::string(3000, static_cast<char>('a' + i))
                                         : "\x00\x03v" + std::to_string(i);
    entries.push_back(Value(i % 2, "k" + std::to_string(10 + i), i + 1, value));
  }
  entries.push_back(Tombstone(1, "k15b", 20));
  TierBatch batch;
  for (const TierEntry& entry : entries) batch.Put(entry);
  Write(batch);
  Commit(20);

  std::map<std::pair<uint32_t, std::string>, std::pair<TierKeyMetadata, std::string>> seen;
  Status status = tier().ForEachKeyWithSmallValues(100, [&](TierKeyMetadata&& metadata, std::string_view value) {
    std::pair<uint32_t, std::string> where{metadata.db, metadata.key};
    seen[where] = {std::move(metadata), std::string(value)};
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(seen.size(), entries.size());
  for (const TierEntry& entry : entries) {
    const auto& [metadata, value] = seen.at({entry.db, entry.key});
    EXPECT_EQ(metadata, KeyOf(entry)) << entry.key;
    const bool small = !entry.tombstone && entry.value.size() < 100;
    EXPECT_EQ(value, small ? entry.value : "") << entry.key;
  }
}

TEST_P(TierConformanceTest, ForEachKeyStopsAtTheFirstError) {
  for (uint64_t i = 0; i < 5; ++i) Put(Value(0, "k" + std::to_string(i), i + 1, "v"));
  int visited = 0;
  Status status = tier().ForEachKey([&](TierKeyMetadata&&) {
    return ++visited == 2 ? Status::IoError("stop here") : Status::Ok();
  });
  EXPECT_EQ(status.message(), "stop here");
  EXPECT_EQ(visited, 2);
}

TEST_P(TierConformanceTest, SetMetadataChangesLsnAndExpireAndLeavesTheValue) {
  const std::string value = "\x00\x0bsome value"s;
  Put(Value(0, "k", 1, value));
  TierBatch expire;
  expire.SetMetadata(0, "k", 2, 1'800'000'000'000);
  Write(expire);
  EXPECT_EQ(Get(0, "k"), Value(0, "k", 2, value, 1'800'000'000'000));
  TierBatch persist;
  persist.SetMetadata(0, "k", 3, kNoExpire);
  Write(persist);
  EXPECT_EQ(Get(0, "k"), Value(0, "k", 3, value));
  Commit(3);
  backend_->Reopen();
  EXPECT_EQ(Get(0, "k"), Value(0, "k", 3, value));
  EXPECT_EQ(AllKeys(), (std::vector{KeyOf(Value(0, "k", 3, value))}));
}

TEST_P(TierConformanceTest, SetMetadataSeesEarlierOpsOfItsBatch) {
  Put(Value(0, "stored", 1, "old"));
  TierBatch batch;
  batch.Put(Value(0, "new", 2, "fresh"));
  batch.SetMetadata(0, "new", 3, 99);
  batch.Put(Value(0, "stored", 4, "replaced"));
  batch.SetMetadata(0, "stored", 5, 77);
  Write(batch);
  EXPECT_EQ(Get(0, "new"), Value(0, "new", 3, "fresh", 99));
  EXPECT_EQ(Get(0, "stored"), Value(0, "stored", 5, "replaced", 77));
}

TEST_P(TierConformanceTest, SetMetadataOfAKeyWithoutValueFailsTheWholeBatch) {
  Put(Value(0, "a", 1, "va"));
  Put(Tombstone(0, "dead", 2));
  Put(Value(4, "wiped", 3, "vw"));
  const auto refused = [&](const std::function<void(TierBatch&)>& fill, const char* what) {
    TierBatch batch;
    batch.Put(Value(0, "a", 10, "changed"));
    fill(batch);
    Status status = tier().Write(batch);
    EXPECT_EQ(status.code(), Code::kError) << what;
    EXPECT_EQ(Get(0, "a"), Value(0, "a", 1, "va")) << what << ": applied part of a refused batch";
  };
  refused([](TierBatch& b) { b.SetMetadata(0, "absent", 11, kNoExpire); }, "absent key");
  refused([](TierBatch& b) { b.SetMetadata(0, "dead", 11, kNoExpire); }, "tombstone");
  refused([](TierBatch& b) {
    b.Erase(0, "a");
    b.SetMetadata(0, "a", 11, kNoExpire);
  }, "erased earlier in the batch");
  refused([](TierBatch& b) {
    b.EraseDb(4);
    b.SetMetadata(4, "wiped", 11, kNoExpire);
  }, "db erased earlier in the batch");
  EXPECT_EQ(Get(4, "wiped"), Value(4, "wiped", 3, "vw"));
}

TEST_P(TierConformanceTest, StatsFollowTheContents) {
  TierBatch batch;
  for (uint64_t i = 0; i < 10; ++i) batch.Put(Value(0, "key" + std::to_string(i), i + 1, "value"));
  Write(batch);
  Commit(10);
  const TierStats stats = tier().stats();
  EXPECT_EQ(stats.keys, 10u);
  EXPECT_GT(stats.disk_bytes, 0u);
  EXPECT_GT(stats.memory_bytes, 0u);
}

std::vector<BackendParam> Backends() {
  std::vector<BackendParam> backends = {
      BackendParam{"Rocks", [] { return std::unique_ptr<Backend>(new RocksBackend()); }},
      BackendParam{"RocksMovingEveryStage", [] { return std::unique_ptr<Backend>(new RocksBackend(0)); }},
      BackendParam{"Fake", [] { return std::unique_ptr<Backend>(new FakeBackend()); }}};
#if TIERKV_PMEM
  backends.push_back(BackendParam{"Pmem", [] { return std::unique_ptr<Backend>(new PmemBackend()); }});
#endif
  return backends;
}

INSTANTIATE_TEST_SUITE_P(
    Backends, TierConformanceTest, ::testing::ValuesIn(Backends()),
    [](const ::testing::TestParamInfo<BackendParam>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------
// RocksTier only.

TEST(RocksTierTest, RefusesATierOfAnotherFormatVersion) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  {
    RocksTierOptions newer;
    newer.path = path;
    newer.format_version = kTierFormatVersion + 1;
    auto tier = RocksTier::Open(newer);
    ASSERT_TRUE(tier.ok()) << tier.status().message();
    ASSERT_EQ((*tier)->ReadMetadata()->format_version, kTierFormatVersion + 1);
  }
  auto refused = OpenRocks(path);
  ASSERT_FALSE(refused.ok());
  const std::string& message = refused.status().message();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("format version " + std::to_string(kTierFormatVersion + 1)),
            std::string::npos) << message;
  EXPECT_NE(message.find("reads version " + std::to_string(kTierFormatVersion)),
            std::string::npos) << message;
}

TEST(RocksTierTest, OpenWithoutCreateIfMissingNamesThePath) {
  TempDir dir;
  RocksTierOptions options;
  options.path = dir.path() + "/absent";
  options.create_if_missing = false;
  auto refused = RocksTier::Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kIoError);
  EXPECT_NE(refused.status().message().find(options.path), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(options.path));
}

// Every key under a generation prefix in `family` of the tier at `path` (opened with
// RocksDB directly, once the tier is closed).
std::vector<uint32_t> PrefixesOnDisk(const std::string& path, const std::string& family) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families, &handles, &db).ok());
  std::vector<uint32_t> prefixes;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != family) continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) prefixes.push_back(DecodeTierKey(it->key().ToStringView())->prefix);
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) (void)db->DestroyColumnFamilyHandle(handle);
  delete db;
  return prefixes;
}

// An erased db's generation is dropped by the commit that records it dead, and a
// generation a crash left unrecorded by the next commit after the open.
TEST(RocksTierTest, DeadGenerationsAreDroppedAfterTheirCommit) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  {
    auto tier = OpenRocks(path);
    ASSERT_TRUE(tier.ok()) << tier.status().message();
    TierBatch batch;
    for (int i = 0; i < 100; ++i) batch.Put(Value(0, "k" + std::to_string(i), 1, "v"));
    batch.Put(Value(1, "kept", 1, "v"));
    ASSERT_TRUE((*tier)->Write(batch).ok());
    ASSERT_TRUE((*tier)->Commit(1).ok());
    TierBatch erase;
    erase.EraseDb(0);
    ASSERT_TRUE((*tier)->Write(erase).ok());
    ASSERT_TRUE((*tier)->Commit(2).ok());
    TierBatch orphan;  // db 2's first generation, never committed
    orphan.Put(Value(2, "lost", 3, "v"));
    ASSERT_TRUE((*tier)->Write(orphan).ok());
  }
  {
    auto tier = OpenRocks(path);
    ASSERT_TRUE(tier.ok()) << tier.status().message();
    EXPECT_EQ(*(*tier)->Get(2, "lost"), std::nullopt);
    ASSERT_TRUE((*tier)->Commit(3).ok());
  }
  // Generation 1 (db 1) is all that is left.
  EXPECT_EQ(PrefixesOnDisk(path, "keys"), std::vector<uint32_t>{1});
  EXPECT_EQ(PrefixesOnDisk(path, "objects"), std::vector<uint32_t>{1});
}

TEST(RocksTierFormatTest, GenerationsRoundTripAndDamageIsCorruption) {
  TierGenerations generations;
  generations.of_db = {{0, 7}, {3, 2}, {15, 300}};
  generations.dead = {{0, 2}, {5, 6}};
  generations.next = 301;
  const std::string encoded = EncodeTierGenerations(generations);
  EXPECT_EQ(*DecodeTierGenerations(encoded), generations);
  EXPECT_EQ(*DecodeTierGenerations(EncodeTierGenerations({})), TierGenerations{});
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_EQ(DecodeTierGenerations(encoded.substr(0, length)).status().code(), Code::kCorruption) << length;
  }
  EXPECT_EQ(DecodeTierGenerations(encoded + "x").status().code(), Code::kCorruption);
  TierGenerations above_next = generations;
  above_next.next = 300;
  EXPECT_EQ(DecodeTierGenerations(EncodeTierGenerations(above_next)).status().code(), Code::kCorruption);
}

// ---------------------------------------------------------------------------------------
// Format version 1 -> 2 at Open.

std::string Fixed64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
  return out;
}

// Writes, with RocksDB directly, the families of `path` that the version-1 code wrote
// ("values" with version-1 records, "meta" with format_version 1), plus what a
// conversion cut short left behind: the first `converted` entries already in "keys" and
// "objects", and format_version already 2 with `stamped`.
struct V1Tier {
  std::vector<TierEntry> entries;
  uint64_t checkpoint_lsn = 0;
  size_t converted = 0;
  bool stamped = false;
};

void WriteV1Tier(const std::string& path, const V1Tier& v1) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"values", {}}, {"meta", {}}};
  if (v1.converted > 0 || v1.stamped) {
    families.emplace_back("keys", rocksdb::ColumnFamilyOptions());
    families.emplace_back("objects", rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(options, path, families, &handles, &db);
  if (!opened.ok()) throw std::runtime_error("open v1 tier: " + opened.ToString());
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < v1.entries.size(); ++i) {
    const TierEntry& entry = v1.entries[i];
    const std::string key = EncodeTierKey(entry.db, entry.key);
    (void)batch.Put(handles[1], key, EncodeV1TierValueForTests(entry));
    if (i < v1.converted) {
      (void)batch.Put(handles[3], key, EncodeTierKeyMetadata(KeyOf(entry)));
      if (!entry.tombstone) (void)batch.Put(handles[4], key, entry.value);
    }
  }
  (void)batch.Put(handles[2], "format_version", Fixed64(v1.stamped ? 2 : 1));
  if (v1.checkpoint_lsn != 0) (void)batch.Put(handles[2], "checkpoint_lsn", Fixed64(v1.checkpoint_lsn));
  rocksdb::Status written = db->Write(rocksdb::WriteOptions(), &batch);
  for (rocksdb::ColumnFamilyHandle* handle : handles) (void)db->DestroyColumnFamilyHandle(handle);
  (void)db->Close();
  delete db;
  if (!written.ok()) throw std::runtime_error("write v1 tier: " + written.ToString());
}

std::vector<std::string> FamiliesOf(const std::string& path) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::sort(names.begin(), names.end());
  return names;
}

// More entries than one conversion batch (1024), in three dbs, with tombstones, expires,
// an empty value and one large enough to end a batch by bytes.
std::vector<TierEntry> Version1Entries() {
  std::vector<TierEntry> entries;
  for (uint32_t i = 0; i < 2500; ++i) {
    const uint32_t db = i % 3;
    std::string key = "key:" + std::to_string(i);
    if (i % 10 == 0) {
      entries.push_back(Tombstone(db, std::move(key), i + 1));
    } else if (i % 7 == 0) {
      entries.push_back(Value(db, std::move(key), i + 1, "\x00\x03" "abc"s, 1'700'000'000'000 + i));
    } else {
      entries.push_back(Value(db, std::move(key), i + 1, "\x00\x01" + std::to_string(i)));
    }
  }
  entries.push_back(Value(0, "", 9000, ""));
  entries.push_back(Value(1, "big", 9001, std::string(5 << 20, 'b')));
  return SortedByDbAndKey(std::move(entries));
}

std::vector<TierEntry> AllOf(Tier& tier) {
  std::vector<TierEntry> all;
  Status status = tier.ForEach([&](TierEntry&& entry) {
    all.push_back(std::move(entry));
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.message();
  return SortedByDbAndKey(std::move(all));
}

// Opens `path` as the server does and checks it holds `expected` in format version 2.
void ExpectConvertedTier(const std::string& path, const std::vector<TierEntry>& expected, uint64_t checkpoint_lsn,
                         std::vector<std::string>* log = nullptr) {
  RocksTierOptions options;
  options.path = path;
  options.block_cache_bytes = 1 << 20;
  if (log != nullptr) options.log = [log](const std::string& line) { log->push_back(line); };
  {
    auto tier = RocksTier::Open(options);
    ASSERT_TRUE(tier.ok()) << tier.status().message();
    auto metadata = (*tier)->ReadMetadata();
    ASSERT_TRUE(metadata.ok()) << metadata.status().message();
    EXPECT_EQ(metadata->format_version, kTierFormatVersion);
    EXPECT_EQ(metadata->checkpoint_lsn, checkpoint_lsn);
    EXPECT_TRUE(AllOf(**tier) == expected) << "entries differ after the conversion";
    for (const TierEntry& entry : expected) {
      if (entry.key != "big") continue;
      EXPECT_TRUE(*(*tier)->Get(entry.db, entry.key) == entry) << "Get of the large value";
    }
  }
  EXPECT_EQ(FamiliesOf(path),
            (std::vector<std::string>{"default", "keys", "meta", "objects", "staged_keys", "staged_objects"}));
}

TEST(RocksTierConversionTest, AVersion1TierIsConvertedInPlaceAtOpen) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  const std::vector<TierEntry> entries = Version1Entries();
  WriteV1Tier(path, {.entries = entries, .checkpoint_lsn = 4242});
  std::vector<std::string> log;
  ExpectConvertedTier(path, entries, 4242, &log);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_NE(log[0].find("converting format version 1 to 2"), std::string::npos) << log[0];
  EXPECT_NE(log[1].find("converted " + std::to_string(entries.size()) + " entries"), std::string::npos) << log[1];
  EXPECT_NE(log[2].find("converting format version 2 to 3"), std::string::npos) << log[2];
  // Opened again: nothing left to convert.
  log.clear();
  ExpectConvertedTier(path, entries, 4242, &log);
  EXPECT_TRUE(log.empty());
}

TEST(RocksTierConversionTest, AConversionCutShortBeforeItsStampStartsOver) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  const std::vector<TierEntry> entries = Version1Entries();
  WriteV1Tier(path, {.entries = entries, .checkpoint_lsn = 7, .converted = entries.size() / 2});
  ExpectConvertedTier(path, entries, 7);
}

TEST(RocksTierConversionTest, AConversionCutShortAfterItsStampDropsTheOldFamily) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  const std::vector<TierEntry> entries = Version1Entries();
  WriteV1Tier(path, {.entries = entries, .checkpoint_lsn = 7, .converted = entries.size(), .stamped = true});
  ExpectConvertedTier(path, entries, 7);
}

TEST(RocksTierConversionTest, AnEmptyVersion1TierConverts) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteV1Tier(path, {});
  ExpectConvertedTier(path, {}, 0);
}

TEST(RocksTierConversionTest, ReadOnlyOpenOfAVersion1TierIsRefusedAndChangesNothing) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  WriteV1Tier(path, {.entries = {Value(0, "k", 1, "\x00\x01v"s)}, .checkpoint_lsn = 1});
  RocksTierOptions options;
  options.path = path;
  options.read_only = true;
  auto refused = RocksTier::Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("has format version 1, but this build reads version 3"),
            std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("a server opening it converts it"), std::string::npos);
  EXPECT_EQ(FamiliesOf(path), (std::vector<std::string>{"default", "meta", "values"}));
}

// tests/data/tier_v2 was written by the version-2 server (before generations): db 0 holds
// s0, e0 (with an expire) and h0 (a hash), db 1 s1 and l1 (a list), db 3 s3 and set3,
// checkpoint LSN 9.
TEST(RocksTierConversionTest, AVersion2TierFromTheVersion2ServerIsConvertedAtOpen) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  std::filesystem::copy(TIERKV_TEST_DATA "/tier_v2", path);
  std::vector<std::string> log;
  RocksTierOptions options;
  options.path = path;
  options.block_cache_bytes = 1 << 20;
  options.log = [&log](const std::string& line) { log.push_back(line); };
  std::vector<std::pair<uint32_t, std::string>> keys;
  {
    auto tier = RocksTier::Open(options);
    ASSERT_TRUE(tier.ok()) << tier.status().message();
    EXPECT_EQ((*tier)->ReadMetadata()->format_version, kTierFormatVersion);
    EXPECT_EQ((*tier)->ReadMetadata()->checkpoint_lsn, 9u);
    for (const TierEntry& entry : AllOf(**tier)) keys.emplace_back(entry.db, entry.key);
    EXPECT_EQ(keys, (std::vector<std::pair<uint32_t, std::string>>{
                        {0, "e0"}, {0, "h0"}, {0, "s0"}, {1, "l1"}, {1, "s1"}, {3, "s3"}, {3, "set3"}}));
    EXPECT_EQ((*(*tier)->Get(0, "e0"))->expire_at_ms, 4102444800000);
    EXPECT_EQ((*(*tier)->Get(0, "s0"))->value, "\x00\x04zero"s);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_NE(log[0].find("converting format version 2 to 3"), std::string::npos) << log[0];
    EXPECT_NE(log[1].find("converted 3 dbs"), std::string::npos) << log[1];
    // The converted tier swaps and erases as any other.
    TierBatch batch;
    batch.SwapDb(0, 3);
    batch.EraseDb(1);
    ASSERT_TRUE((*tier)->Write(batch).ok());
    ASSERT_TRUE((*tier)->Commit(10).ok());
  }
  log.clear();
  auto tier = RocksTier::Open(options);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  EXPECT_TRUE(log.empty());
  keys.clear();
  for (const TierEntry& entry : AllOf(**tier)) keys.emplace_back(entry.db, entry.key);
  EXPECT_EQ(keys, (std::vector<std::pair<uint32_t, std::string>>{
                      {0, "s3"}, {0, "set3"}, {3, "e0"}, {3, "h0"}, {3, "s0"}}));
}

TEST(RocksTierConversionTest, DamagedVersion1RecordFailsTheOpenAndKeepsTheTier) {
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  std::vector<TierEntry> entries = {Value(0, "a", 1, "\x00\x01a"s), Value(0, "b", 2, "\x00\x01b"s)};
  WriteV1Tier(path, {.entries = entries, .checkpoint_lsn = 2});
  {  // damage b's record: an unknown flag
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path,
                                  {{rocksdb::kDefaultColumnFamilyName, {}}, {"values", {}}, {"meta", {}}},
                                  &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[1], EncodeTierKey(0, "b"), "\x01\x80\x02"s).ok());
    for (rocksdb::ColumnFamilyHandle* handle : handles) (void)db->DestroyColumnFamilyHandle(handle);
    (void)db->Close();
    delete db;
  }
  auto refused = OpenRocks(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kCorruption);
  EXPECT_NE(refused.status().message().find("key 'b'"), std::string::npos) << refused.status().message();
  EXPECT_EQ(FamiliesOf(path), (std::vector<std::string>{"default", "keys", "meta", "objects", "staged_keys",
                                                         "staged_objects", "values"}));
}

// ---------------------------------------------------------------------------------------
// What a metadata pass reads from disk.

// Bytes this process has read through read(2)/pread(2) so far (/proc/self/io rchar):
// RocksDB reads SST files with pread, so this counts what a scan asked of the files,
// whether or not the page cache served it.
uint64_t BytesReadByProcess() {
  std::ifstream io("/proc/self/io");
  std::string field;
  uint64_t value = 0;
  while (io >> field >> value) {
    if (field == "rchar:") return value;
  }
  throw std::runtime_error("no rchar in /proc/self/io");
}

struct PassBytes {
  uint64_t value_bytes = 0;     // what was stored
  uint64_t metadata_pass = 0;   // read by ForEachKey after a reopen
  uint64_t full_pass = 0;       // read by ForEach after a reopen
  double metadata_pass_ms = 0;
  double full_pass_ms = 0;
};

PassBytes MeasurePasses(const std::string& path, uint32_t keys, size_t value_size) {
  PassBytes bytes;
  {
    auto tier = OpenRocks(path);
    if (!tier.ok()) throw std::runtime_error(tier.status().message());
    std::mt19937_64 random(5);
    TierBatch batch;
    for (uint32_t i = 0; i < keys; ++i) {
      std::string value(value_size, '\0');
      for (char& c : value) c = static_cast<char>(random());  // incompressible
      value[0] = 0;
      bytes.value_bytes += value.size();
      batch.Put(Value(0, "key:" + std::to_string(i), i + 1, std::move(value)));
      if (batch.size() == 1024 || i + 1 == keys) {
        if (!(*tier)->Write(batch).ok()) throw std::runtime_error("write");
        batch.clear();
      }
    }
    if (!(*tier)->Commit(keys).ok()) throw std::runtime_error("commit");
  }
  const auto measure = [&](const std::function<Status(Tier&)>& pass, double* elapsed_ms) {
    auto tier = OpenRocks(path);  // fresh: nothing cached
    if (!tier.ok()) throw std::runtime_error(tier.status().message());
    const uint64_t before = BytesReadByProcess();
    const auto started = std::chrono::steady_clock::now();
    Status status = pass(**tier);
    if (!status.ok()) throw std::runtime_error(status.message());
    *elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return BytesReadByProcess() - before;
  };
  uint64_t visited = 0;
  bytes.metadata_pass = measure([&](Tier& tier) {
    return tier.ForEachKey([&](TierKeyMetadata&&) {
      ++visited;
      return Status::Ok();
    });
  }, &bytes.metadata_pass_ms);
  if (visited != keys) throw std::runtime_error("metadata pass missed keys");
  bytes.full_pass = measure([](Tier& tier) { return tier.ForEach([](TierEntry&&) { return Status::Ok(); }); },
                           &bytes.full_pass_ms);
  return bytes;
}

TEST(RocksTierTest, MetadataPassReadsNoValueBytesFromDisk) {
  TempDir dir;
  const PassBytes bytes = MeasurePasses(dir.path() + "/tier", 2000, 4096);
  EXPECT_LT(bytes.metadata_pass, bytes.value_bytes / 20)
      << "metadata pass read " << bytes.metadata_pass << " bytes of " << bytes.value_bytes;
  EXPECT_GT(bytes.full_pass, bytes.value_bytes / 2) << "the full pass cannot have read the values";
}

// The measurement in docs/BENCHMARKS.md 4.7 ("Restart reads: metadata pass vs full pass"); run by
// hand: tier_test --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Restart*'
TEST(RocksTierMeasurement, DISABLED_RestartMetadataPassVsFullPass) {
  TempDir dir;
  const PassBytes bytes = MeasurePasses(dir.path() + "/tier", 200'000, 1024);
  std::printf("200000 keys x 1 KiB (%llu value bytes): metadata pass read %llu bytes in %.0f ms, "
              "full pass %llu bytes in %.0f ms\n",
              static_cast<unsigned long long>(bytes.value_bytes),
              static_cast<unsigned long long>(bytes.metadata_pass), bytes.metadata_pass_ms,
              static_cast<unsigned long long>(bytes.full_pass), bytes.full_pass_ms);
}

TEST(RocksTierTest, DiskBytesCountTheValuesInBlobFiles) {
  TempDir dir;
  auto tier = OpenRocks(dir.path() + "/tier");
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  std::mt19937_64 random(3);
  TierBatch batch;
  uint64_t value_bytes = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    std::string value(4096, '\0');
    for (char& c : value) c = static_cast<char>(random());  // incompressible
    value_bytes += value.size();
    batch.Put(Value(0, "k" + std::to_string(i), i + 1, std::move(value)));
  }
  ASSERT_TRUE((*tier)->Write(batch).ok());
  ASSERT_TRUE((*tier)->Commit(200).ok());
  EXPECT_GE((*tier)->stats().disk_bytes, value_bytes);
}

// The child half of the test below: runs in a fresh process (spawned, so RocksDB's
// background threads exist), commits, writes more, then dies by SIGKILL without closing
// anything. Any failure before the kill exits with status 2 instead.
[[noreturn]] void RunCrashChild(const std::string& path) {
  const auto check = [](bool ok, const char* step) {
    if (ok) return;
    std::fprintf(stderr, "crash child: %s failed\n", step);
    std::_Exit(2);
  };
  auto opened = OpenRocks(path);
  check(opened.ok(), "open");
  RocksTier& tier = **opened;
  TierBatch committed;
  committed.Put(Value(0, "committed", 1, "c"));
  committed.Put(Tombstone(1, "deleted", 2));
  committed.Put(Value(5, "five", 2, "f"));
  committed.SwapDb(5, 6);
  check(tier.Write(committed).ok(), "first write");
  check(tier.Commit(2).ok(), "commit");
  TierBatch uncommitted;
  uncommitted.Put(Value(0, "uncommitted", 3, "u"));
  uncommitted.Put(Value(0, "committed", 4, "overwritten"));
  uncommitted.SwapDb(0, 7);
  uncommitted.EraseDb(6);
  check(tier.Write(uncommitted).ok(), "second write");
  auto seen = tier.Get(7, "uncommitted");
  check(seen.ok() && seen->has_value(), "read back");
  ::kill(::getpid(), SIGKILL);
  std::_Exit(3);
}

constexpr char kCrashChildEnv[] = "TIERKV_TIER_CRASH_CHILD_PATH";

// Runs the current test again in a child process with `env_name=env_value` added to its
// environment (the test's child branch), and expects the child to die by SIGKILL.
void RunThisTestAsChildUntilSigkill(const char* env_name, const std::string& env_value) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe");
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string filter = "--gtest_filter="s + test->test_suite_name() + "." + test->name();
  std::vector<std::string> env_strings;
  for (char** variable = environ; *variable != nullptr; ++variable) env_strings.push_back(*variable);
  env_strings.push_back(env_name + "="s + env_value);
  std::vector<char*> envp;
  for (std::string& variable : env_strings) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string arg0 = self;
  char* argv[] = {arg0.data(), filter.data(), nullptr};
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, self.c_str(), nullptr, nullptr, argv, envp.data()), 0);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
      << "the child failed before its kill; wait status " << wait_status;
}

TEST(RocksTierCrashTest, SigkillAfterCommitKeepsEverythingCommitted) {
  if (const char* child_path = std::getenv(kCrashChildEnv)) RunCrashChild(child_path);

  TempDir dir;
  const std::string path = dir.path() + "/tier";
  RunThisTestAsChildUntilSigkill(kCrashChildEnv, path);
  if (::testing::Test::HasFatalFailure()) return;

  auto tier = OpenRocks(path);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  auto metadata = (*tier)->ReadMetadata();
  ASSERT_TRUE(metadata.ok()) << metadata.status().message();
  EXPECT_EQ(metadata->checkpoint_lsn, 2u);
  EXPECT_EQ(*(*tier)->Get(0, "committed"), Value(0, "committed", 1, "c"));
  EXPECT_EQ(*(*tier)->Get(1, "deleted"), Tombstone(1, "deleted", 2));
  // The committed swap stays; the uncommitted swap and erase are forgotten.
  EXPECT_EQ(*(*tier)->Get(6, "five"), Value(6, "five", 2, "f"));
  EXPECT_EQ(*(*tier)->Get(7, "committed"), std::nullopt);
  // Proof that the kill was a real crash: without a WAL, the memtable holding the
  // uncommitted write died with the process.
  EXPECT_EQ(*(*tier)->Get(0, "uncommitted"), std::nullopt);
}

// A round larger than the write buffers: RocksDB flushes parts of it before the commit.
// The child commits image A (`keys` keys), then writes round B over every key in
// batches, staged or not, and is killed at `point`: after the last batch ("written"),
// or inside the commit of the staged round ("stage committed", "stage moving", or for a
// stage small enough to commit in one batch, "one batch written").
constexpr char kStageCrashChildEnv[] = "TIERKV_TIER_STAGE_CRASH_CHILD";  // "<point>|<keys>|<path>"
constexpr uint32_t kStageKeys = 3000;       // 6 MiB: more than the buffers and than one batch
constexpr uint32_t kSmallStageKeys = 500;   // 1 MiB: committed in one batch
constexpr size_t kStageBatchKeys = 100;

RocksTierOptions TinyBufferOptions(const std::string& path) {
  RocksTierOptions options;
  options.path = path;
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 1 << 20;  // memtables of 1 MiB in all: a round of 6 MiB flushes often
  return options;
}

// Image `round` of key i: incompressible, so that the bytes reach the memtables.
std::string StageValue(uint32_t round, uint32_t i) {
  std::mt19937 random(round * 100'000 + i);
  std::string value(2048, '\0');
  for (char& c : value) c = static_cast<char>(random());
  return value;
}

[[noreturn]] void RunStageCrashChild(const std::string& spec) {
  const auto check = [](bool ok, const char* step) {
    if (ok) return;
    std::fprintf(stderr, "stage crash child: %s failed\n", step);
    std::_Exit(2);
  };
  const size_t first_bar = spec.find('|');
  const size_t second_bar = spec.find('|', first_bar + 1);
  const std::string point = spec.substr(0, first_bar);
  const auto keys = static_cast<uint32_t>(std::stoul(spec.substr(first_bar + 1, second_bar - first_bar - 1)));
  const std::string path = spec.substr(second_bar + 1);
  RocksTierOptions options = TinyBufferOptions(path);
  options.at_stage_point = [point](std::string_view reached) {
    if (reached == point) ::kill(::getpid(), SIGKILL);
  };
  auto opened = RocksTier::Open(options);
  check(opened.ok(), "open");
  RocksTier& tier = **opened;
  for (uint32_t round = 1; round <= 2; ++round) {
    const bool staged = round == 2 && point != "unstaged";
    TierBatch batch;
    for (uint32_t i = 0; i < keys; ++i) {
      batch.Put(Value(0, "k" + std::to_string(i), round, StageValue(round, i)));
      if (batch.size() == kStageBatchKeys) {
        check((staged ? tier.WriteStaged(batch) : tier.Write(batch)).ok(), "write");
        batch.clear();
      }
    }
    if (round == 1) check(tier.Commit(1).ok(), "commit of image A");
  }
  if (point == "written" || point == "unstaged") ::kill(::getpid(), SIGKILL);
  check(tier.Commit(2).ok(), "commit of round B");
  if (point == "committed") ::kill(::getpid(), SIGKILL);
  std::fprintf(stderr, "stage crash child: never reached %s\n", point.c_str());
  std::_Exit(3);
}

// Which round each key of the reopened tier shows (0: absent), and the checkpoint LSN.
std::pair<std::vector<uint32_t>, uint64_t> RoundsSeen(const std::string& path, std::vector<std::string>* log,
                                                       uint32_t keys = kStageKeys) {
  RocksTierOptions options = TinyBufferOptions(path);
  options.log = [log](const std::string& line) { log->push_back(line); };
  auto tier = RocksTier::Open(options);
  EXPECT_TRUE(tier.ok()) << tier.status().message();
  if (!tier.ok()) return {};
  std::vector<uint32_t> rounds;
  for (uint32_t i = 0; i < keys; ++i) {
    auto entry = (*tier)->Get(0, "k" + std::to_string(i));
    EXPECT_TRUE(entry.ok()) << entry.status().message();
    uint32_t round = 0;
    if (entry.ok() && entry->has_value()) {
      round = static_cast<uint32_t>((*entry)->lsn);
      EXPECT_EQ((*entry)->value, StageValue(round, i)) << "key " << i;
    }
    rounds.push_back(round);
  }
  auto metadata = (*tier)->ReadMetadata();
  EXPECT_TRUE(metadata.ok());
  return {rounds, metadata.ok() ? metadata->checkpoint_lsn : 0};
}

std::pair<std::vector<uint32_t>, uint64_t> KillAt(const std::string& point, const std::string& path,
                                                   std::vector<std::string>* log, uint32_t keys = kStageKeys) {
  RunThisTestAsChildUntilSigkill(kStageCrashChildEnv, point + "|" + std::to_string(keys) + "|" + path);
  if (::testing::Test::HasFatalFailure()) return {};
  return RoundsSeen(path, log, keys);
}

// The hazard the stage removes: unstaged, a kill before the commit leaves part of round B
// (flushed on its own) beside image A. Proves that these rounds outgrow the buffers.
TEST(RocksTierStageTest, UnstagedARoundLargerThanTheBuffersIsTornByAKill) {
  if (const char* spec = std::getenv(kStageCrashChildEnv)) RunStageCrashChild(spec);
  TempDir dir;
  std::vector<std::string> log;
  const auto [rounds, lsn] = KillAt("unstaged", dir.path() + "/tier", &log);
  EXPECT_EQ(lsn, 1u);
  const auto of_b = std::count(rounds.begin(), rounds.end(), 2u);
  EXPECT_GT(of_b, 0) << "no part of round B was flushed before the kill";
  EXPECT_LT(of_b, static_cast<long>(kStageKeys)) << "all of round B was flushed";
}

TEST(RocksTierStageTest, AKillBeforeTheCommitLeavesThePreviousImageExactly) {
  if (const char* spec = std::getenv(kStageCrashChildEnv)) RunStageCrashChild(spec);
  TempDir dir;
  std::vector<std::string> log;
  const auto [rounds, lsn] = KillAt("written", dir.path() + "/tier", &log);
  EXPECT_EQ(lsn, 1u);
  EXPECT_EQ(rounds, std::vector<uint32_t>(kStageKeys, 1u));
  EXPECT_EQ(log, std::vector<std::string>{"tier " + dir.path() + "/tier: dropping the stage of a round that did not commit"});
}

TEST(RocksTierStageTest, AKillAfterTheCommitRecordShowsTheNewImageExactly) {
  if (const char* spec = std::getenv(kStageCrashChildEnv)) RunStageCrashChild(spec);
  for (const char* point : {"stage committed", "stage moving"}) {
    SCOPED_TRACE(point);
    TempDir dir;
    std::vector<std::string> log;
    const auto [rounds, lsn] = KillAt(point, dir.path() + "/tier", &log);
    EXPECT_EQ(lsn, 2u);
    EXPECT_EQ(rounds, std::vector<uint32_t>(kStageKeys, 2u));
    EXPECT_EQ(log, std::vector<std::string>{"tier " + dir.path() + "/tier: completing the checkpoint at LSN 2 from its stage"});
    // Completed once: the next open has nothing left to do.
    log.clear();
    EXPECT_EQ(RoundsSeen(dir.path() + "/tier", &log).first, std::vector<uint32_t>(kStageKeys, 2u));
    EXPECT_TRUE(log.empty());
  }
}

// A kill after the commit returned, whichever way the stage went, shows round B whole, and
// the next open has nothing to complete.
TEST(RocksTierStageTest, AKillAfterTheCommitReturnedShowsTheNewImage) {
  if (const char* spec = std::getenv(kStageCrashChildEnv)) RunStageCrashChild(spec);
  for (uint32_t keys : {kSmallStageKeys, kStageKeys}) {
    SCOPED_TRACE(keys);
    TempDir dir;
    std::vector<std::string> log;
    const auto [rounds, lsn] = KillAt("committed", dir.path() + "/tier", &log, keys);
    EXPECT_EQ(lsn, 2u);
    EXPECT_EQ(rounds, std::vector<uint32_t>(keys, 2u));
    EXPECT_TRUE(log.empty()) << log.front();
  }
}

// A small stage commits in one batch with its record: killed after that batch is written
// and before its flush, the tier shows the previous image; the stage left behind (none,
// or what RocksDB flushed of it) is dropped.
TEST(RocksTierStageTest, AKillBeforeTheFlushOfASmallStageLeavesThePreviousImageExactly) {
  if (const char* spec = std::getenv(kStageCrashChildEnv)) RunStageCrashChild(spec);
  TempDir dir;
  std::vector<std::string> log;
  const auto [rounds, lsn] = KillAt("one batch written", dir.path() + "/tier", &log, kSmallStageKeys);
  EXPECT_EQ(lsn, 1u);
  EXPECT_EQ(rounds, std::vector<uint32_t>(kSmallStageKeys, 1u));
}

TEST(RocksTierStageTest, ReadOnlyOpenRefusesACommittedStageStillToMove) {
  if (const char* spec = std::getenv(kStageCrashChildEnv)) RunStageCrashChild(spec);
  TempDir dir;
  const std::string path = dir.path() + "/tier";
  RunThisTestAsChildUntilSigkill(kStageCrashChildEnv, "stage committed|" + std::to_string(kStageKeys) + "|" + path);
  if (::testing::Test::HasFatalFailure()) return;
  RocksTierOptions options = TinyBufferOptions(path);
  options.read_only = true;
  auto refused = RocksTier::Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("a server opening it completes it"), std::string::npos)
      << refused.status().message();
}

// ---------------------------------------------------------------------------------------
// RocksTier's key and value encoding (tiering/rocks_tier_format.h).

TEST(RocksTierFormatTest, KeysSortByDbThenKey) {
  EXPECT_EQ(EncodeTierKey(0x01020304, "k"), "\x01\x02\x03\x04k");
  EXPECT_EQ(TierDbPrefix(1), "\x00\x00\x00\x01"s);
  EXPECT_LT(EncodeTierKey(1, "\xff\xff"), EncodeTierKey(2, ""));
  EXPECT_LT(EncodeTierKey(255, "z"), EncodeTierKey(256, ""));
  const std::string encoded = EncodeTierKey(258, "a\x00"s);
  auto decoded = DecodeTierKey(encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->prefix, 258u);
  EXPECT_EQ(decoded->key, "a\x00"s);
  EXPECT_FALSE(DecodeTierKey("\x00\x00\x01"s).has_value());
}

TEST(RocksTierFormatTest, KeyMetadataRoundTrips) {
  for (const TierEntry& entry :
       {Value(3, "k", 0, ""), Value(3, "k", UINT64_MAX, "\x00obj"s, 0),
        Value(3, "k", 300, "\x10obj"s, INT64_MAX), Value(3, "k", 1, std::string(300, '\x05'), -5),
        Tombstone(3, "k", 77)}) {
    const TierKeyMetadata metadata = KeyOf(entry);
    auto decoded = DecodeTierKeyMetadata(3, "k", EncodeTierKeyMetadata(metadata));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(*decoded, metadata);
    auto joined = JoinTierEntry(std::move(*decoded), entry.value);
    ASSERT_TRUE(joined.ok()) << joined.status().message();
    EXPECT_EQ(*joined, entry);
  }
  // A tombstone drops what the contract leaves unused.
  TierEntry tombstone = Tombstone(3, "k", 5);
  tombstone.value = "ignored";
  tombstone.expire_at_ms = 99;
  auto decoded = DecodeTierKeyMetadata(3, "k", EncodeTierKeyMetadata(KeyOf(tombstone)));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*JoinTierEntry(std::move(*decoded), ""), Tombstone(3, "k", 5));
}

TEST(RocksTierFormatTest, Version1RecordsRoundTrip) {
  for (const TierEntry& entry : {Value(3, "k", 0, ""), Value(3, "k", UINT64_MAX, "\x00obj"s, 0),
                                 Value(3, "k", 1, "obj", -5), Tombstone(3, "k", 77)}) {
    auto decoded = DecodeV1TierValue(3, "k", EncodeV1TierValueForTests(entry));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(*decoded, entry);
  }
}

// A decoding of kDamagedKey in db 7 (metadata, a version-1 record, or a joined entry).
template <typename Decoded>
void ExpectCorruption(const Result<Decoded>& decoded, const std::string& what) {
  ASSERT_FALSE(decoded.ok()) << what;
  EXPECT_EQ(decoded.status().code(), Code::kCorruption) << what;
  EXPECT_NE(decoded.status().message().find("db 7 key 'k\\x00\\xff'"), std::string::npos)
      << decoded.status().message();
}

const std::string kDamagedKey = "k\x00\xff"s;

void ExpectDamagedMetadata(std::string_view encoded, const std::string& what) {
  ExpectCorruption(DecodeTierKeyMetadata(7, kDamagedKey, encoded), what);
}

TEST(RocksTierFormatTest, DamagedMetadataIsCorruptionNamingDbAndKey) {
  const std::string full = EncodeTierKeyMetadata(KeyOf(Value(7, "k", 300, "\x02obj"s, 1'700'000'000'000)));
  for (size_t length = 0; length < full.size(); ++length) {
    ExpectDamagedMetadata(std::string_view(full).substr(0, length), "cut at " + std::to_string(length));
  }
  ExpectDamagedMetadata(full + "x", "bytes after the metadata");
  std::string bad_format = full;
  bad_format[0] = kRocksV1ValueFormat;
  ExpectDamagedMetadata(bad_format, "a version-1 record");
  std::string bad_flags = full;
  bad_flags[1] = static_cast<char>(bad_flags[1] | 0x80);
  ExpectDamagedMetadata(bad_flags, "flags");
  ExpectDamagedMetadata("\x02\x00"s + std::string(10, '\x80') + "\x01", "varint longer than 10 bytes");
  ExpectDamagedMetadata("\x02\x00"s + std::string(9, '\xff') + "\x02", "varint above 64 bits");
  ExpectDamagedMetadata("\x02\x01\x05\x00"s, "tombstone with a size");
  ExpectDamagedMetadata("\x02\x03\x05"s + std::string(8, '\x01'), "tombstone with an expire");
  ExpectDamagedMetadata("\x02\x02\x05"s + std::string(8, '\xff') + "\x00"s, "expire flag with kNoExpire");
}

TEST(RocksTierFormatTest, ValueDisagreeingWithItsMetadataIsCorruption) {
  const TierKeyMetadata metadata = KeyOf(Value(7, kDamagedKey, 3, "\x02" "abc"s));
  ExpectCorruption(JoinTierEntry(TierKeyMetadata(metadata), "\x02" "ab"s), "shorter value");
  ExpectCorruption(JoinTierEntry(TierKeyMetadata(metadata), "\x02" "abcd"s), "longer value");
  ExpectCorruption(JoinTierEntry(TierKeyMetadata(metadata), "\x03" "abc"s), "other type");
}

TEST(RocksTierFormatTest, DamagedVersion1RecordsAreCorruptionNamingDbAndKey) {
  // Every cut inside the header, LSN or expire (the object's own bytes are checked by
  // the RDB decoder).
  const std::string full = EncodeV1TierValueForTests(Value(7, "k", 300, "obj", 1'700'000'000'000));
  const size_t object_start = full.size() - 3;
  for (size_t length = 0; length < object_start; ++length) {
    ExpectCorruption(DecodeV1TierValue(7, kDamagedKey, std::string_view(full).substr(0, length)),
                     "cut at " + std::to_string(length));
  }
  std::string bad_format = full;
  bad_format[0] = 9;
  ExpectCorruption(DecodeV1TierValue(7, kDamagedKey, bad_format), "format");
  ExpectCorruption(DecodeV1TierValue(7, kDamagedKey, "\x01\x01\x05obj"s), "tombstone with a value");
}

// ---------------------------------------------------------------------------------------
// FakeTier's controls.

TEST(FakeTierTest, CrashLosesExactlyWhatWasNotCommitted) {
  FakeTier tier;
  TierBatch first;
  first.Put(Value(0, "a", 1, "va"));
  ASSERT_TRUE(tier.Write(first).ok());
  ASSERT_TRUE(tier.Commit(1).ok());
  TierBatch second;
  second.Erase(0, "a");
  second.Put(Value(0, "b", 2, "vb"));
  ASSERT_TRUE(tier.Write(second).ok());
  tier.CrashAndLoseUncommitted();
  EXPECT_EQ(*tier.Get(0, "a"), Value(0, "a", 1, "va"));
  EXPECT_EQ(*tier.Get(0, "b"), std::nullopt);
  EXPECT_EQ(tier.ReadMetadata()->checkpoint_lsn, 1u);
}

TEST(FakeTierTest, FailuresApplyNothingAndRunOut) {
  FakeTier tier;
  TierBatch batch;
  batch.Put(Value(0, "a", 1, "va"));
  batch.Put(Value(0, "b", 2, "vb"));
  tier.FailNextWrites(1, Status::IoError("disk full"));
  Status failed = tier.Write(batch);
  EXPECT_EQ(failed.code(), Code::kIoError);
  EXPECT_EQ(failed.message(), "disk full");
  EXPECT_EQ(*tier.Get(0, "a"), std::nullopt);
  ASSERT_TRUE(tier.Write(batch).ok());

  tier.FailNextCommits(1, Status::IoError("fsync failed"));
  EXPECT_FALSE(tier.Commit(2).ok());
  EXPECT_EQ(tier.ReadMetadata()->checkpoint_lsn, 0u);
  tier.CrashAndLoseUncommitted();  // the failed commit made nothing durable
  EXPECT_EQ(*tier.Get(0, "a"), std::nullopt);

  tier.FailNextReads(2, Status::Corruption("bad block"));
  EXPECT_EQ(tier.Get(0, "a").status().code(), Code::kCorruption);
  EXPECT_EQ(tier.ForEach([](TierEntry&&) { return Status::Ok(); }).code(), Code::kCorruption);
  EXPECT_TRUE(tier.Get(0, "a").ok());

  const testing::FakeTierCounters counters = tier.counters();
  EXPECT_EQ(counters.writes, 1u);
  EXPECT_EQ(counters.ops, 2u);
  EXPECT_EQ(counters.bytes_written, 6u);  // "a" + "va" + "b" + "vb"
  EXPECT_EQ(counters.commits, 0u);
}

TEST(FakeTierTest, StalledWriteHoldsUntilReleasedWhileReadsGoOn) {
  FakeTier tier;
  tier.StallWrites();
  std::thread writer([&] {
    TierBatch batch;
    batch.Put(Value(0, "a", 1, "va"));
    EXPECT_TRUE(tier.Write(batch).ok());
  });
  ASSERT_TRUE(tier.WaitUntilWritesStalled(1));
  EXPECT_EQ(*tier.Get(0, "a"), std::nullopt);  // reads are served meanwhile
  EXPECT_EQ(tier.counters().writes, 0u);
  tier.ReleaseWrites();
  writer.join();
  EXPECT_EQ(*tier.Get(0, "a"), Value(0, "a", 1, "va"));

  tier.StallCommits();
  std::thread committer([&] { EXPECT_TRUE(tier.Commit(1).ok()); });
  ASSERT_TRUE(tier.WaitUntilCommitsStalled(1));
  EXPECT_EQ(tier.ReadMetadata()->checkpoint_lsn, 0u);
  tier.ReleaseCommits();
  committer.join();
  EXPECT_EQ(tier.ReadMetadata()->checkpoint_lsn, 1u);
}

}  // namespace
}  // namespace tierkv
