// JournalReplayTest: a gtest fixture for the journal effects of a command family. Run()
// executes commands on a primary with journaling on and keeps each command's record;
// Replay() applies the kept records' effects to a replica through the engine's effect
// applier, as recovery does, so a test can check that the replica ends up equal to the
// primary.
//
// Thread-safety: test thread only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/command_harness.h"
#include "harness/keyspace_image.h"

namespace tierkv::testing {

class JournalReplayTest : public ::testing::Test {
 protected:
  JournalReplayTest() : primary_({}, WithDebug()), replica_({}, WithDebug()) {
    primary_.shard().changes().set_enabled(true);
  }

  std::string Run(const std::vector<std::string>& args) {
    std::string reply = primary_.Run(args);
    if (auto record = primary_.shard().CommitChanges()) records_.push_back(std::move(*record));
    return reply;
  }

  // The effects of the last command that changed something.
  std::vector<Effect> LastEffects() { return records_.empty() ? std::vector<Effect>{} : records_.back().effects; }

  void Replay() {
    for (const EffectRecord& record : records_) {
      const Status applied = ApplyRecord(replica_.shard(), record);
      ASSERT_TRUE(applied.ok()) << applied.message() << " replaying " << ::testing::PrintToString(record);
    }
    records_.clear();
  }

  CommandHarness primary_;
  CommandHarness replica_;
  std::vector<EffectRecord> records_;

 private:
  // DEBUG DIGEST / DIGEST-VALUE compare the two keyspaces.
  static ServerSettings WithDebug() {
    ServerSettings settings;
    settings.enable_debug_command = "yes";
    return settings;
  }
};

}  // namespace tierkv::testing
