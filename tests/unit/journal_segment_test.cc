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
#include <iterator>
#include <optional>
#include <random>
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

// Writes `records`, one Append each, and returns where each one went.
std::vector<WrittenRecord> WriteRecords(const std::string& dir, const std::vector<JournalRecord>& records,
                                        uint64_t rotate_size = 300, uint32_t block_size = kDefaultJournalBlockSize) {
  Result<std::unique_ptr<SegmentWriter>> writer = SegmentWriter::Open({dir, rotate_size, block_size});
  EXPECT_TRUE(writer.ok()) << writer.status().message();
  std::vector<WrittenRecord> written;
  for (const JournalRecord& record : records) {
    std::string bytes;
    EncodeRecord(record, &bytes);
    const std::string path_before = (*writer)->current_path();
    const uint64_t size_before = (*writer)->size();
    EXPECT_TRUE((*writer)->Append(record.lsn, bytes).ok());
    const bool rotated = (*writer)->current_path() != path_before;
    const uint64_t offset = NextFrameStart(rotated ? kSegmentHeaderSize : size_before, block_size);
    written.push_back({(*writer)->current_path(), offset, (*writer)->size() - offset});
  }
  EXPECT_TRUE((*writer)->Sync().ok());
  return written;
}

// Writes MakeRecord(lsn) for each of `lsns`.
std::vector<WrittenRecord> WriteJournal(const std::string& dir, const std::vector<uint64_t>& lsns,
                                        uint64_t rotate_size = 300) {
  std::vector<JournalRecord> records;
  for (uint64_t lsn : lsns) records.push_back(MakeRecord(lsn));
  return WriteRecords(dir, records, rotate_size);
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
  uint64_t bytes_checksummed = 0;
};

ScanOutcome ScanAll(const std::string& dir, std::optional<uint64_t> checkpoint_lsn = std::nullopt) {
  ScanOutcome outcome;
  Result<JournalScanner> scanner = JournalScanner::Open(dir, checkpoint_lsn);
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
  outcome.bytes_checksummed = scanner->bytes_checksummed();
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
    EXPECT_EQ(first->offset, kSegmentHeaderSize);
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
    for (uint64_t lsn = first; lsn < first + 10; ++lsn) EncodeRecord(MakeRecord(lsn), &batch);
    ASSERT_TRUE((*writer)->Append(first, batch).ok());
    // Each batch exceeds 100 bytes: one per segment, after its header.
    EXPECT_GT((*writer)->size(), kSegmentHeaderSize + batch.size());
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
  EncodeRecord(MakeRecord(5), &bytes);
  ASSERT_TRUE((*writer)->Append(5, bytes).ok());
  EXPECT_EQ((*writer)->Append(5, bytes).code(), Code::kError);
  EXPECT_TRUE((*writer)->Append(6, bytes).ok());  // not sticky: nothing was written
}

// Parametrised over the rotation size: with 300 the last segment holds earlier records
// before the torn one; with 1 every record has its own segment, so the torn record is
// all the last segment holds after its header, and the repair leaves the header alone.
class TornTailTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(TornTailTest, TornAtEveryByteIsTruncatable) {
  const uint64_t rotate_size = GetParam();
  const std::vector<uint64_t> lsns = Range(1, 12);
  TempDir probe;
  const WrittenRecord last = WriteJournal(probe.path(), lsns, rotate_size).back();
  ASSERT_EQ(last.offset == kSegmentHeaderSize, rotate_size == 1);
  ASSERT_GT(last.size, kFrameHeaderSize);

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

TEST(JournalSegmentTest, DamagedFrameLengthBeforeValidRecordsIsFatal) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 12));
  const WrittenRecord& victim = written[written.size() - 3];
  FlipByte(victim.file, victim.offset + 10);  // length grows by 1 MiB: would look torn
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kCorrupt);
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
    EncodeRecord(MakeRecord(7), &bytes);
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

// ---------------------------------------------------------------------------------------
// Format version 2: headers, large records in frames, torn tails in linear time.

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

JournalRecord LargeRecord(uint64_t lsn, size_t value_size, char fill = 'v') {
  std::string value(value_size, fill);
  for (size_t i = 0; i < value_size; i += 4093) value[i] = static_cast<char>(lsn + i);  // not one repeated byte
  return {lsn, 0, {{"SET", "big:" + std::to_string(lsn), std::move(value)}}};
}

// Cuts the journal's last record at `cut` bytes into it and expects a torn tail there.
void ExpectTornAt(const std::string& dir, const std::vector<JournalRecord>& records, const WrittenRecord& tail,
                  uint64_t cut) {
  fs::resize_file(tail.file, tail.offset + cut);
  const ScanOutcome torn = ScanAll(dir);
  ASSERT_TRUE(torn.status.ok()) << torn.status.message();
  ASSERT_EQ(torn.records.size(), records.size() - 1);
  for (size_t i = 0; i + 1 < records.size(); ++i) EXPECT_EQ(torn.records[i], records[i]);
  ASSERT_TRUE(torn.damage.has_value());
  EXPECT_TRUE(torn.damage->truncatable) << torn.damage->detail;
  EXPECT_EQ(torn.damage->kind, JournalDamageKind::kTorn);
  EXPECT_EQ(torn.damage->offset, tail.offset);
}

// Cuts the last record at `rounds` random points (restoring the file each time) and
// expects a torn tail each time. Returns the most bytes a scan checksummed.
uint64_t ExpectTornAtRandomCuts(const std::string& dir, const std::vector<JournalRecord>& records,
                                const WrittenRecord& tail, int rounds, uint64_t seed) {
  const std::string whole = ReadBytes(tail.file);
  std::mt19937_64 random(seed);
  uint64_t most_checksummed = 0;
  for (int round = 0; round < rounds; ++round) {
    const uint64_t cut = 1 + random() % (tail.size - 1);
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    WriteBytes(tail.file, whole);
    ExpectTornAt(dir, records, tail, cut);
    most_checksummed = std::max(most_checksummed, ScanAll(dir).bytes_checksummed);
  }
  WriteBytes(tail.file, whole);
  return most_checksummed;
}

// Writes `whole` with `length` zero bytes at `from` into the tail's file and expects a torn
// tail at the last record, `records_before` records read before it.
ScanOutcome ExpectZerosMakeATornTail(const std::string& dir, const WrittenRecord& tail, std::string whole, size_t from,
                                     size_t length, size_t records_before) {
  std::fill_n(whole.begin() + static_cast<std::ptrdiff_t>(from), length, '\0');
  WriteBytes(tail.file, whole);
  const ScanOutcome outcome = ScanAll(dir);
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_EQ(outcome.records.size(), records_before);
  EXPECT_TRUE(outcome.damage.has_value());
  if (outcome.damage.has_value()) {
    EXPECT_TRUE(outcome.damage->truncatable) << outcome.damage->detail;
    EXPECT_EQ(outcome.damage->offset, tail.offset);
  }
  return outcome;
}

TEST(JournalSegmentTest, NewSegmentsStartWithAVersion2HeaderNamingTheirFirstLsn) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), {5, 6});
  const std::string bytes = ReadBytes(written[0].file);
  SegmentHeader header;
  std::string why;
  ASSERT_EQ(DetectSegmentFormat(bytes, &header, &why), SegmentFormat::kVersion2);
  EXPECT_EQ(header.first_lsn, 5u);
  EXPECT_EQ(header.block_size, kDefaultJournalBlockSize);
  EXPECT_EQ(written[0].offset, kSegmentHeaderSize);

  // Two segments never share a nonce: a frame of one is not believed in the other.
  WriteJournal(dir.path(), {7}, 1);
  SegmentHeader second;
  ASSERT_EQ(DetectSegmentFormat(ReadBytes(ListJournalSegments(dir.path())->back().path), &second, &why),
            SegmentFormat::kVersion2);
  EXPECT_NE(second.nonce, header.nonce);
}

TEST(JournalSegmentTest, SegmentHeaderNotMatchingItsNameIsFatal) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), {5, 6});
  fs::rename(written[0].file, dir.path() + "/" + JournalSegmentFileName(4));
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  EXPECT_NE(outcome.status.message().find("segment header says first LSN 5 but the file name says 4"),
            std::string::npos)
      << outcome.status.message();
}

TEST(JournalSegmentTest, RecordsOfAnySizeAreFramedAndReadBack) {
  TempDir dir;
  const std::vector<JournalRecord> records = {MakeRecord(1), LargeRecord(2, 5000), MakeRecord(3),
                                              LargeRecord(4, 70000)};
  WriteRecords(dir.path(), records, 1 << 20, kMinJournalBlockSize);
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_EQ(outcome.records, records);
}

// A record in many frames (64-byte blocks: 48 payload bytes per frame at most), torn at
// every byte: at each frame boundary and inside each frame, the whole record goes.
TEST(JournalSegmentTest, MultiFrameRecordTornAnywhereIsATornTail) {
  const std::vector<JournalRecord> records = {MakeRecord(1), MakeRecord(2), LargeRecord(3, 600)};
  TempDir dir;
  const WrittenRecord tail = WriteRecords(dir.path(), records, 1 << 20, kMinJournalBlockSize).back();
  ASSERT_GT(tail.size, 10 * kMinJournalBlockSize);
  const std::string whole = ReadBytes(tail.file);
  for (uint64_t cut = 1; cut < tail.size; ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    WriteBytes(tail.file, whole);
    ExpectTornAt(dir.path(), records, tail, cut);
    if (HasFatalFailure()) return;
  }
}

TEST(JournalSegmentTest, LargeValueTornAtRandomPointsIsATornTailReadInLinearTime) {
  const std::vector<JournalRecord> records = {MakeRecord(1), MakeRecord(2), LargeRecord(3, 32u << 20)};
  TempDir dir;
  const WrittenRecord tail = WriteRecords(dir.path(), records, 1 << 30).back();
  const uint64_t checksummed = ExpectTornAtRandomCuts(dir.path(), records, tail, 4, 20261207);
  // Linear: CRC-32C ran over each byte about once (twice at most), however the tail looks.
  EXPECT_LE(checksummed, 2 * (tail.offset + tail.size) + 64 * kDefaultJournalBlockSize);
}

TEST(JournalSegmentTest, ZeroFilledPagesAtTheEndAreATornTail) {
  // A file extended before its data reached the disk: the last record's pages read as zeros.
  const std::vector<JournalRecord> records = {MakeRecord(1), MakeRecord(2), LargeRecord(3, 200000)};
  TempDir dir;
  const WrittenRecord tail = WriteRecords(dir.path(), records, 1 << 30).back();
  const size_t from = (tail.offset + 4096) / 4096 * 4096;
  const ScanOutcome outcome =
      ExpectZerosMakeATornTail(dir.path(), tail, ReadBytes(tail.file), from, tail.offset + tail.size - from, 2);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kTorn);
}

TEST(JournalSegmentTest, AHoleInsideTheLastRecordIsATornTailButNotBeforeAnotherRecord) {
  // Pages of one unsynced write may reach the disk out of order: a hole in the last record
  // with its later pieces intact is still a torn tail; a hole followed by a whole record
  // is damage to what the journal may have acknowledged.
  const std::vector<JournalRecord> records = {MakeRecord(1), LargeRecord(2, 200000)};
  TempDir dir;
  const WrittenRecord tail = WriteRecords(dir.path(), records, 1 << 30).back();
  const size_t hole = (tail.offset + 50000) / 4096 * 4096;
  ExpectZerosMakeATornTail(dir.path(), tail, ReadBytes(tail.file), hole, 4096, 1);

  WriteRecords(dir.path(), {MakeRecord(3)}, 1 << 30);
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_FALSE(outcome.damage->truncatable);
  EXPECT_EQ(outcome.damage->offset, tail.offset);
}

// A value may hold bytes that are a valid journal: of another segment (another nonce) or of
// version 1. Torn inside such a value, the tail is still torn, never "corruption".
TEST(JournalSegmentTest, RecordBytesInsideAValueAreNeverTakenForARecord) {
  TempDir donor;
  WriteRecords(donor.path(), {MakeRecord(1), MakeRecord(2), LargeRecord(3, 100000)}, 1 << 30);
  std::string value = ReadBytes(ListJournalSegments(donor.path())->front().path);
  for (uint64_t lsn = 10; lsn < 400; ++lsn) EncodeV1RecordForTesting(MakeRecord(lsn), &value);
  value = value + value + value;
  const std::vector<JournalRecord> records = {MakeRecord(1), MakeRecord(2),
                                              {3, 0, {{"SET", "journal-in-a-value", value}}}};
  TempDir dir;
  const WrittenRecord tail = WriteRecords(dir.path(), records, 1 << 30).back();
  const std::string whole = ReadBytes(tail.file);
  ExpectTornAtRandomCuts(dir.path(), records, tail, 30, 7);
  std::mt19937_64 random(11);
  // A hole in the value makes the reader search what follows for a record: the bytes of
  // the value are searched, and must not pass for one.
  for (int round = 0; round < 30; ++round) {
    const uint64_t hole = tail.offset + random() % (tail.size - 512);
    SCOPED_TRACE("hole at " + std::to_string(hole));
    ExpectZerosMakeATornTail(dir.path(), tail, whole, hole, 512, 2);
    if (HasFatalFailure()) return;
  }
}

// ---------------------------------------------------------------------------------------
// Format version 1 segments (earlier releases) are read, and never appended to.

std::string WriteV1Segment(const std::string& dir, uint64_t first, uint64_t last) {
  std::string bytes;
  for (uint64_t lsn = first; lsn <= last; ++lsn) EncodeV1RecordForTesting(MakeRecord(lsn), &bytes);
  fs::create_directories(dir);
  const std::string path = dir + "/" + JournalSegmentFileName(first);
  WriteBytes(path, bytes);
  return path;
}

TEST(JournalSegmentTest, Version1SegmentsAreReadAndTheWriterContinuesInVersion2) {
  TempDir dir;
  const std::string v1 = WriteV1Segment(dir.path(), 1, 10);
  const uint64_t v1_size = fs::file_size(v1);
  ExpectRecords(ScanAll(dir.path()).records, 1, 10);

  WriteJournal(dir.path(), {11, 12}, 1 << 20);
  EXPECT_EQ(fs::file_size(v1), v1_size) << "a version 1 segment was appended to";
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(dir.path());
  ASSERT_EQ(segments->size(), 2u);
  EXPECT_EQ(segments->back().first_lsn, 11u);
  EXPECT_EQ(ReadBytes(segments->back().path).substr(0, 8), kJournalSegmentMagic);
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  ExpectRecords(outcome.records, 1, 12);
}

TEST(JournalSegmentTest, Version1TornTailIsTruncatableAndCorruptionBeforeRecordsIsFatal) {
  TempDir dir;
  const std::string v1 = WriteV1Segment(dir.path(), 1, 10);
  const uint64_t size = fs::file_size(v1);
  fs::resize_file(v1, size - 5);
  ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok());
  ExpectRecords(outcome.records, 1, 9);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_TRUE(outcome.damage->truncatable);

  WriteV1Segment(dir.path(), 1, 10);
  FlipByte(v1, 20);  // inside record 1, records 2..10 follow
  outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->offset, 0u);
}

// ---------------------------------------------------------------------------------------
// Continuity: a lost segment is found, whatever is in the others.

TEST(JournalSegmentTest, DeletedMiddleSegmentIsFatalNamingTheMissingLsns) {
  TempDir dir;
  const std::vector<WrittenRecord> written = WriteJournal(dir.path(), Range(1, 9), 1);
  ASSERT_EQ(ListJournalSegments(dir.path())->size(), 9u);
  fs::remove(written[4].file);  // LSN 5
  const ScanOutcome outcome = ScanAll(dir.path());
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  ExpectRecords(outcome.records, 1, 4);
  ASSERT_TRUE(outcome.damage.has_value());
  EXPECT_EQ(outcome.damage->kind, JournalDamageKind::kMissingLsns);
  EXPECT_EQ(outcome.damage->file, written[5].file);
  EXPECT_NE(outcome.status.message().find("LSNs 5..5 are missing between " + written[3].file), std::string::npos)
      << outcome.status.message();
}

TEST(JournalSegmentTest, TheJournalMustContinueTheCheckpoint) {
  TempDir dir;
  WriteJournal(dir.path(), Range(8, 12), 1);
  EXPECT_TRUE(ScanAll(dir.path(), 7).status.ok());
  EXPECT_TRUE(ScanAll(dir.path(), 10).status.ok());  // segments below it not dropped yet
  const ScanOutcome outcome = ScanAll(dir.path(), 5);
  EXPECT_EQ(outcome.status.code(), Code::kCorruption);
  EXPECT_NE(outcome.status.message().find("LSNs 6..7 are missing between the checkpoint (LSN 5)"), std::string::npos)
      << outcome.status.message();
}

TEST(JournalSegmentTest, AGapInsideASegmentIsNoMissingSegment) {
  // Numbering resumed above LSNs that never reached the journal (appendonly was off).
  TempDir dir;
  WriteJournal(dir.path(), {1, 2, 9, 10}, 1 << 20);
  WriteJournal(dir.path(), {11}, 1);
  const ScanOutcome outcome = ScanAll(dir.path());
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_EQ(outcome.records.size(), 5u);
}

}  // namespace
}  // namespace tierkv
