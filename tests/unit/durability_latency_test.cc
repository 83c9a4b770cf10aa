// LATENCY events of the durability threads: a slow journal write or sync under
// appendfsync always, and a slow checkpoint slice write, reach the engine thread's
// on_latency (as the server's LATENCY LATEST shows them) once they reach the threshold,
// and not while monitoring is off.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "harness/command_harness.h"
#include "harness/engine_queue.h"
#include "harness/fake_tier.h"
#include "harness/temp_dir.h"
#include "tiering/durability.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::EngineQueue;
using testing::FakeTier;
using testing::TempDir;

constexpr auto kSlow = std::chrono::milliseconds(20);

class DurabilityLatencyTest : public ::testing::Test {
 protected:
  void Open(bool slow_journal) {
    DurabilityOptions options;
    options.dir = dir_.path();
    options.fsync = FsyncPolicy::kAlways;
    options.journal_max_size = 0;
    options.post_to_engine = engine_.Poster();
    options.on_latency = [this](std::string_view event, uint64_t ms) {
      auto& worst = worst_ms_[std::string(event)];
      worst = std::max(worst, ms);
    };
    if (slow_journal) {
      options.journal_hooks.before_write = [](uint64_t) {
        std::this_thread::sleep_for(kSlow);
        return Status::Ok();
      };
      options.journal_hooks.before_sync = [] {
        std::this_thread::sleep_for(kSlow);
        return Status::Ok();
      };
    }
    auto tier = std::make_unique<FakeTier>();
    tier_ = tier.get();
    auto opened = Durability::Open(harness_.shard(), std::move(tier), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    durability_ = std::move(*opened);
  }
  void TearDown() override {
    if (tier_ != nullptr) tier_->ReleaseWrites();
  }

  uint64_t Write(const std::string& key) {
    EXPECT_EQ(harness_.Run({"SET", key, "value"}), "+OK\r\n");
    const uint64_t lsn = durability_->CommitChanges();
    durability_->SubmitPending();
    return lsn;
  }

  TempDir dir_{"tierkv-durability-latency"};
  EngineQueue engine_;
  CommandHarness harness_;
  FakeTier* tier_ = nullptr;  // owned by durability_
  std::unique_ptr<Durability> durability_;
  std::map<std::string, uint64_t> worst_ms_;
};

TEST_F(DurabilityLatencyTest, ASlowJournalWriteAndSyncAreReportedAtTheThreshold) {
  ASSERT_NO_FATAL_FAILURE(Open(true));
  durability_->SetLatencyThreshold(5);
  const uint64_t lsn = Write("k");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= lsn && worst_ms_.size() >= 2; }));
  EXPECT_GE(worst_ms_["aof-write"], 20u);
  EXPECT_GE(worst_ms_["aof-fsync-always"], 20u);
}

TEST_F(DurabilityLatencyTest, NothingIsReportedWhileMonitoringIsOffOrBelowTheThreshold) {
  ASSERT_NO_FATAL_FAILURE(Open(true));
  durability_->SetLatencyThreshold(0);
  uint64_t lsn = Write("k");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= lsn; }));
  durability_->SetLatencyThreshold(10'000);
  lsn = Write("k2");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= lsn; }));
  engine_.RunPending();
  EXPECT_TRUE(worst_ms_.empty());
}

TEST_F(DurabilityLatencyTest, ASlowCheckpointWriteIsReported) {
  ASSERT_NO_FATAL_FAILURE(Open(false));
  durability_->SetLatencyThreshold(5);
  Write("k");
  tier_->StallWrites();
  bool done = false;
  ASSERT_TRUE(durability_->StartRound([&done](const Status& status) {
    EXPECT_TRUE(status.ok());
    done = true;
  }));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!tier_->WaitUntilWritesStalled(1, std::chrono::milliseconds(10))) {
    engine_.RunPending();
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }
  std::this_thread::sleep_for(kSlow);  // the tier's write takes this long
  tier_->ReleaseWrites();
  ASSERT_TRUE(engine_.RunUntil([&] { return done; }));
  EXPECT_GE(worst_ms_["checkpoint-write"], 20u);
}

}  // namespace
}  // namespace tierkv
