// Records of any size through the journal writer: a record many blocks long is journaled
// in frames, and the records submitted with it in the same batch are journaled too (the
// writer once refused records above a size limit and dropped the rest of their batch).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "harness/temp_dir.h"
#include "tiering/journal_segment.h"
#include "tiering/journal_writer.h"

namespace tierkv {
namespace {

using testing::TempDir;

TEST(JournalLargeRecordTest, ARecordOfManyBlocksAndTheRestOfItsBatchAreJournaled) {
  TempDir dir;
  std::vector<JournalRecord> batch;
  batch.push_back({1, 0, {{"SET", "small", "1"}}});
  std::string large(5u << 20, 'x');
  for (size_t i = 0; i < large.size(); i += 1000) large[i] = static_cast<char>(i);
  batch.push_back({2, 0, {{"SET", "large", large}}});
  batch.push_back({3, 0, {{"SET", "after", "3"}}});
  const std::vector<JournalRecord> expected = batch;
  {
    auto writer = JournalWriter::Open({.dir = dir.path(), .fsync = FsyncPolicy::kAlways});
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    ASSERT_TRUE((*writer)->SubmitBatch(std::move(batch)).ok());
    ASSERT_TRUE((*writer)->Flush().ok());
    EXPECT_EQ((*writer)->stats().synced_lsn, 3u);
  }
  auto scanner = JournalScanner::Open(dir.path());
  ASSERT_TRUE(scanner.ok());
  std::vector<JournalRecord> read;
  JournalRecord record;
  for (;;) {
    Result<bool> more = scanner->Next(&record);
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
    read.push_back(record);
  }
  EXPECT_EQ(read, expected);
}

}  // namespace
}  // namespace tierkv
