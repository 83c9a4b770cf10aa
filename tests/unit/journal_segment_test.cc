// Tests for tiering/journal_segment: writing segments with rotation, scanning them back,
// and telling a torn tail (truncatable) from damage to acknowledged records (fatal).
#include "harness/temp_dir.h"
#include "tiering/journal_segment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace tierkv {
namespace {

using testing::TempDir;

namespace fs = std::filesystem;

JournalRecord MakeRecord(uint64_t lsn) {
  return {lsn, static_cast<uint32_t>(lsn % 16),
          {{"SET", "key:" + std::to_string(lsn), std::string(lsn % 7, '\0') + "v"},
           {"DEL", "other:" + std::to_string(lsn)}}};
}

// Where one record was written.
struct WrittenRecord {
  std::string file;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Writes records with LSNs `lsns`, one Append each, and returns where each one went.
std::vector<WrittenRecord> WriteJournal(const std::string& dir, const std::vector<uint64_t>& lsns,
                                        uint64_t rotate_size = 300) {
  Result<std::unique_ptr<SegmentWriter>> writer = SegmentWriter::Open({dir, rotate_size});
  EXPECT_TRUE(writer.ok()) << writer.status().message();
  std::vector<WrittenRecord> written;
  for (uint64_t lsn : lsns) {
    std::string bytes;
    AppendRecord(MakeRecord(lsn), &bytes);
    EXPECT_TRUE((*writer)->Append(lsn, bytes).ok());
    written.push_back({(*writer)->current_path(), (*writer)->size() - bytes.size(), bytes.size()});
  }
  EXPECT_TRUE((*writer)->Sync().ok());
  return written;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> lsns;
  for (uint64_t lsn = first; lsn <= last; ++lsn) lsns.push_back(lsn);
  return lsns;
}

struct ScanOutcome {
  std::vector<JournalRecord> records;
  Status status;  // the error that ended the scan, or OK
  std::optional<JournalDamage> damage;
};

ScanOutcome ScanAll(const std::string& dir) {
  ScanOutcome outcome;
  Result<JournalScanner> scanner = JournalScanner::Open(dir);
  if (!scanner.ok()) {
    outcome.status = scanner.status();
    return outcome;
  }
  for (;;) {
    JournalRecord record;
    Result<bool> more = scanner->Next(&record);
    if (!more.ok()) {
      outcome.status = more.status();
      break;
    }
    if (!*more) break;
    outcome.records.push_back(std::move(record));
  }
  outcome.damage = scanner->damage();
  return outcome;
}

void FlipByte(const std::string& file, uint64_t offset) {
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  stream.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x10);
  stream.seekp(static_cast<std::streamoff>(offset));
  stream.write(&byte, 1);
}

void ExpectRecords(const std::vector<JournalRecord>& records, uint64_t first, uint64_t last) {
  ASSERT_EQ(records.size(), last - first + 1);
  for (uint64_t lsn = first; lsn <= last; ++lsn) EXPECT_EQ(records[lsn - first], MakeRecord(lsn));
}

TEST(JournalSegmentTest, FileNamesSortByLsnAndParseBack) {
  EXPECT_EQ(JournalSegmentFileName(1), "journal-00000000000000000001.log");
  EXPECT_EQ(JournalSegmentFileName(UINT64_MAX), "journal-18446744073709551615.log");
  EXPECT_LT(JournalSegmentFileName(9), JournalSegmentFileName(10));
  uint64_t lsn = 0;
  ASSERT_TRUE(ParseJournalSegmentFileName("journal-00000000000000012345.log", &lsn));
  EXPECT_EQ(lsn, 12345u);
  ASSERT_TRUE(ParseJournalSegmentFileName(JournalSegmentFileName(UINT64_MAX), &lsn));
  EXPECT_EQ(lsn, UINT64_MAX);
  EXPECT_FALSE(ParseJournalSegmentFileName("journal-99999999999999999999.log", &lsn));  // > 2^64
  EXPECT_FALSE(ParseJournalSegmentFileName("journal-0000000000000001234x.log", &lsn));
  EXPECT_FALSE(ParseJournalSegmentFileName("journal-1.log", &lsn));
  EXPECT_FALSE(ParseJournalSegmentFileName("journal-00000000000000000001.log.tmp", &lsn));
}

TEST(JournalSegmentTest, RotatesAndScansAllSegmentsInOrder) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 60));
  std::ofstream(dir.path() + "/unrelated.txt") << "ignored";

  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(dir.path());
  ASSERT_TRUE(segments.ok());
  ASSERT_GT(segments->size(), 3u);
  // Each segment is named after its first record, and holds at most one record past
  // the rotation size.
  for (const JournalSegmentFile& segment : *segments) {
    const auto first = std::find_if(written.begin(), written.end(),
                                    [&](const WrittenRecord& w) { return w.file == segment.path; });
    ASSERT_NE(first, written.end());
    EXPECT_EQ(first->offset, 0u);
    EXPECT_EQ(segment.first_lsn, static_cast<uint64_t>(first - written.begin()) + 1);
    EXPECT_LT(fs::file_size(segment.path), 300u + first->size);
  }

  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_FALSE(outcome.damage.has_value());
  ExpectRecords(outcome.records, 1, 60);
}

TEST(JournalSegmentTest, BatchesAreNeverSplitAcrossSegments) {
  TempDir dir;
  Result<std::unique_ptr<SegmentWriter>> writer = SegmentWriter::Open({dir.path(), 100});
  ASSERT_TRUE(writer.ok());
  for (uint64_t first = 1; first <= 40; first += 10) {
    std::string batch;
    for (uint64_t lsn = first; lsn < first + 10; ++lsn) AppendRecord(MakeRecord(lsn), &batch);
    ASSERT_TRUE((*writer)->Append(first, batch).ok());
    EXPECT_EQ((*writer)->size(), batch.size());  // each batch exceeds 100 bytes: one per segment
  }
  ASSERT_TRUE((*writer)->Sync().ok());
  ASSERT_EQ(ListJournalSegments(dir.path())->size(), 4u);
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok());
  ExpectRecords(outcome.records, 1, 40);
}

TEST(JournalSegmentTest, ReopenedWriterAppendsToTheNewestSegment) {
  TempDir dir;
  WriteJournal(dir.path(), Range(1, 3), 1 << 20);
  WriteJournal(dir.path(), Range(4, 6), 1 << 20);
  EXPECT_EQ(ListJournalSegments(dir.path())->size(), 1u);
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok());
  ExpectRecords(outcome.records, 1, 6);
}

TEST(JournalSegmentTest, EmptyOrMissingJournal) {
  TempDir dir;
  const ScanOutcome empty = ScanAll(dir.path());
  EXPECT_TRUE(empty.status.ok());
  EXPECT_TRUE(empty.records.empty());

  const ScanOutcome missing = ScanAll(dir.path() + "/nope");
  EXPECT_EQ(missing.status.code(), Code::kIoError);
  EXPECT_NE(missing.status.message().find(dir.path() + "/nope: opendir: "), std::string::npos)
      << missing.status.message();
}

TEST(JournalSegmentTest, RotationRefusesAnLsnThatWouldNotSortAfter) {
  TempDir dir;
  Result<std::unique_ptr<SegmentWriter>> writer = SegmentWriter::Open({dir.path(), 1});
  ASSERT_TRUE(writer.ok());
  std::string bytes;
  AppendRecord(MakeRecord(5), &bytes);
  ASSERT_TRUE((*writer)->Append(5, bytes).ok());
  EXPECT_EQ((*writer)->Append(5, bytes).code(), Code::kError);
  EXPECT_TRUE((*writer)->Append(6, bytes).ok());  // not sticky: nothing was written
}

// Parametrised over the rotation size: with 300 the last segment holds earlier records
// before the torn one; with 1 every record has its own segment, so the torn record is
// the whole last segment and the repair leaves it empty.
class TornTailTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(TornTailTest, TornAtEveryByteIsTruncatable) {
  const uint64_t rotate_size = GetParam();
  const std::vector<uint64_t> lsns = Range(1, 12);
  TempDir probe;
  const WrittenRecord last = WriteJournal(probe.path(), lsns, rotate_size).back();
  ASSERT_EQ(last.offset == 0, rotate_size == 1);
  ASSERT_GT(last.size, kJournalRecordHeaderSize);

  for (uint64_t cut = 1; cut < last.size; ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    TempDir dir;
    const WrittenRecord tail = WriteJournal(dir.path(), lsns, rotate_size).back();
    fs::resize_file(tail.file, tail.offset + cut);

    const ScanOutcome torn = ScanAll(dir.path());
    ASSERT_TRUE(torn.status.ok()) << torn.status.message();
    ExpectRecords(torn.records, 1, 11);
    ASSERT_TRUE(torn.damage.has_value());
    EXPECT_TRUE(torn.damage->truncatable);
    EXPECT_EQ(torn.damage->kind, JournalDamageKind::kTorn);
    EXPECT_EQ(torn.damage->file, tail.file);
    EXPECT_EQ(torn.damage->offset, tail.offset);

    ASSERT_TRUE(JournalScanner::TruncateAt(torn.damage->file, torn.damage->offset).ok());
    const ScanOutcome repaired = ScanAll(dir.path());
    ASSERT_TRUE(repaired.status.ok());
    EXPECT_FALSE(repaired.damage.has_value());
    ExpectRecords(repaired.records, 1, 11);

    // The writer continues where the repaired journal ends.
    WriteJournal(dir.path(), {12, 13}, rotate_size);
    const ScanOutcome resumed = ScanAll(dir.path());
    ASSERT_TRUE(resumed.status.ok());
    ExpectRecords(resumed.records, 1, 13);
  }
}

INSTANTIATE_TEST_SUITE_P(RotationSizes, TornTailTest, ::testing::Values(300, 1));

TEST(JournalSegmentTest, DamagedLastRecordIsTruncatable) {
  TempDir dir;
  const WrittenRecord last = WriteJournal(dir.path(), Range(1, 12)).back();
  FlipByte(last.file, last.offset + last.size - 1);
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok());
  ExpectRecords(outcome.records, 1, 11);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kCorrupt);
  EXPECT_TRUE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->offset, last.offset);
}

TEST(JournalSegmentTest, ZeroFilledTailIsTruncatable) {
  // What a crash can leave when the file size reached disk before the data did.
  TempDir dir;
  const WrittenRecord last = WriteJournal(dir.path(), Range(1, 5)).back();
  std::ofstream(last.file, std::ios::app | std::ios::binary) << std::string(100, '\0');
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok());
  ExpectRecords(outcome.records, 1, 5);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_TRUE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->offset, last.offset + last.size);
}

TEST(JournalSegmentTest, CorruptionFollowedByValidRecordsIsFatal) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 12));
  // A record in the middle of the last segment: records after it in the same file.
  const WrittenRecord& victim = written[written.size() - 3];
  ASSERT_EQ(victim.file, written.back().file);
  FlipByte(victim.file, victim.offset + 12);

  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  EXPECT_NE(outcome.status.message().find(victim.file), std::string::npos);
  EXPECT_NE(outcome.status.message().find("offset " + std::to_string(victim.offset)),
            std::string::npos)
      << outcome.status.message();
  ExpectRecords(outcome.records, 1, 9);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_FALSE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kCorrupt);
  EXPECT_EQ(outcome.damage->file, victim.file);
  EXPECT_EQ(outcome.damage->offset, victim.offset);
}

TEST(JournalSegmentTest, LengthClaimingPastTheEndBeforeValidRecordsIsFatal) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 12));
  const WrittenRecord& victim = written[written.size() - 3];
  FlipByte(victim.file, victim.offset + 2);  // length grows by 1 MiB: looks torn
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kTorn);
  EXPECT_FALSE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->offset, victim.offset);
}

TEST(JournalSegmentTest, TornTailOfAnEarlierSegmentIsFatal) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 30));
  const std::string first_file = written.front().file;
  const auto last_in_first =
      std::find_if(written.rbegin(), written.rend(),
                   [&](const WrittenRecord& w) { return w.file == first_file; });
  ASSERT_NE(first_file, written.back().file);
  fs::resize_file(first_file, last_in_first->offset + last_in_first->size - 1);

  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_FALSE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kTorn);
  EXPECT_EQ(outcome.damage->file, first_file);
  EXPECT_EQ(outcome.damage->offset, last_in_first->offset);
}

TEST(JournalSegmentTest, LsnGoingBackwardsIsFatal) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), {1, 2, 5, 3, 6}, 1 << 20);
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_EQ(outcome.records.size(), 3u);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kLsnOutOfOrder);
  EXPECT_FALSE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->file, written[3].file);
  EXPECT_EQ(outcome.damage->offset, written[3].offset);
  EXPECT_NE(outcome.status.message().find("LSN 3 after LSN 5"), std::string::npos)
      << outcome.status.message();
}

TEST(JournalSegmentTest, RepeatedLsnIsFatal) {
  TempDir dir;
  WriteJournal(dir.path(), {1, 2, 2}, 1 << 20);
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  EXPECT_EQ(outcome.records.size(), 2u);
}

TEST(JournalSegmentTest, RecordBelowItsSegmentNameIsFatal) {
  TempDir dir;
  {
    Result<std::unique_ptr<SegmentWriter>> writer = SegmentWriter::Open({dir.path(), 1 << 20});
    ASSERT_TRUE(writer.ok());
    std::string bytes;
    AppendRecord(MakeRecord(7), &bytes);
    ASSERT_TRUE((*writer)->Append(10, bytes).ok());  // segment says records start at 10
  }
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kLsnOutOfOrder);
  EXPECT_NE(outcome.status.message().find("LSN 7 below the segment's first LSN 10"),
            std::string::npos)
      << outcome.status.message();
}

TEST(JournalSegmentTest, ScannerReportsWhereEachRecordIs) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 20));
  Result<JournalScanner> scanner = JournalScanner::Open(dir.path());
  ASSERT_TRUE(scanner.ok());
  JournalRecord record;
  for (const WrittenRecord& w : written) {
    ASSERT_TRUE(*scanner->Next(&record));
    EXPECT_EQ(scanner->record_file(), w.file);
    EXPECT_EQ(scanner->record_offset(), w.offset);
    EXPECT_EQ(scanner->last_lsn(), record.lsn);
  }
  EXPECT_FALSE(*scanner->Next(&record));
  EXPECT_FALSE(*scanner->Next(&record));  // stays at the end
}

TEST(JournalSegmentTest, TruncateAtReportsMissingFile) {
  const Status status = JournalScanner::TruncateAt("/tmp/tierkv-no-such-dir/journal.log", 0);
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_NE(status.message().find("/tmp/tierkv-no-such-dir/journal.log: open: "),
            std::string::npos);
}

}  // namespace
}  // namespace tierkv
