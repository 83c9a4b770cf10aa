// Tests for tiering/journal_record: the journal's record encoding, and that damaged or
// cut-short bytes are reported as such and never decoded into a wrong record.
#include "tiering/journal_record.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tiering/crc32c.h"

namespace tierkv {
namespace {

JournalRecord SampleRecord() {
  JournalRecord record;
  record.lsn = 123456789012345ULL;
  record.db = 3;
  record.effects = {{"SET", "user:1", "alice", "PXAT", "1700000000000"},
                    {"DEL", "user:2"},
                    {"HSET", "h", std::string("\0\xff\r\n", 4), ""}};
  return record;
}

std::string Encode(const JournalRecord& record) {
  std::string bytes;
  AppendRecord(record, &bytes);
  return bytes;
}

void PutLittleEndian32(uint32_t value, std::string* bytes, size_t at) {
  for (int i = 0; i < 4; ++i) (*bytes)[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

// Builds a record from a hand-written payload with a correct header, so that the
// payload parser itself is what gets tested.
std::string WithHeader(std::string_view payload) {
  std::string bytes(kJournalRecordHeaderSize, '\0');
  PutLittleEndian32(static_cast<uint32_t>(payload.size()), &bytes, 0);
  PutLittleEndian32(Crc32c(0, payload.data(), payload.size()), &bytes, 4);
  bytes.append(payload);
  return bytes;
}

TEST(JournalRecordTest, RoundTrip) {
  const JournalRecord record = SampleRecord();
  const std::string bytes = Encode(record);
  JournalRecord decoded;
  size_t consumed = 0;
  ASSERT_EQ(DecodeRecord(bytes, &decoded, &consumed), DecodeResult::kOk);
  EXPECT_EQ(decoded, record);
  EXPECT_EQ(consumed, bytes.size());
}

TEST(JournalRecordTest, RoundTripEdgeValues) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  const JournalRecord cases[] = {
      {},                                                 // lsn 0, db 0, no effects
      {UINT64_MAX, UINT32_MAX, {JournalEffect{}}},        // one effect with no arguments
      {1, 0, {{""}, {"", ""}}},                           // empty arguments
      {127, 15, {{every_byte, std::string(300, 'x')}}},   // binary, multi-byte lengths
      {128, 16, {{std::string(70000, '\0')}}},            // three-byte length varint
  };
  for (const JournalRecord& record : cases) {
    const std::string bytes = Encode(record);
    JournalRecord decoded;
    size_t consumed = 0;
    ASSERT_EQ(DecodeRecord(bytes, &decoded, &consumed), DecodeResult::kOk) << record.lsn;
    EXPECT_EQ(decoded, record);
    EXPECT_EQ(consumed, bytes.size());
  }
}

TEST(JournalRecordTest, HeaderIsLengthThenCrcLittleEndian) {
  const std::string bytes = Encode({.lsn = 1, .db = 2, .effects = {{"DEL", "k"}}});
  // payload: lsn 01, db 02, count 01, argc 02, 03 "DEL", 01 "k"
  const std::string payload("\x01\x02\x01\x02\x03" "DEL" "\x01" "k", 10);
  EXPECT_EQ(bytes, WithHeader(payload));
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x0a\x00\x00\x00", 4));
}

TEST(JournalRecordTest, ConsecutiveRecordsDecodeOneAtATime) {
  std::string bytes;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) AppendRecord({lsn, 0, {{"INCR", "n"}}}, &bytes);
  std::string_view rest = bytes;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) {
    JournalRecord record;
    size_t consumed = 0;
    ASSERT_EQ(DecodeRecord(rest, &record, &consumed), DecodeResult::kOk);
    EXPECT_EQ(record.lsn, lsn);
    rest.remove_prefix(consumed);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(JournalRecordTest, EveryTruncationIsIncomplete) {
  const std::string bytes = Encode(SampleRecord());
  for (size_t len = 0; len < bytes.size(); ++len) {
    JournalRecord record;
    record.lsn = 42;
    size_t consumed = 7;
    std::string why;
    ASSERT_EQ(DecodeRecord(std::string_view(bytes.data(), len), &record, &consumed, &why),
              DecodeResult::kIncomplete)
        << "length " << len;
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(record.lsn, 42u);  // outputs untouched
    EXPECT_EQ(consumed, 7u);
  }
}

TEST(JournalRecordTest, EverySingleBitFlipIsDetected) {
  const std::string original = Encode(SampleRecord());
  for (size_t byte = 0; byte < original.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = original;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      JournalRecord record;
      size_t consumed = 0;
      const DecodeResult result = DecodeRecord(damaged, &record, &consumed);
      EXPECT_NE(result, DecodeResult::kOk) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(JournalRecordTest, LengthBeyondMaximumIsCorruptWithoutWaitingForBytes) {
  std::string bytes = Encode(SampleRecord());
  PutLittleEndian32(kMaxJournalPayloadSize + 1, &bytes, 0);
  JournalRecord record;
  size_t consumed = 0;
  EXPECT_EQ(DecodeRecord(bytes, &record, &consumed), DecodeResult::kCorrupt);
  PutLittleEndian32(UINT32_MAX, &bytes, 0);
  EXPECT_EQ(DecodeRecord(bytes, &record, &consumed), DecodeResult::kCorrupt);
}

TEST(JournalRecordTest, ZeroFilledHeaderIsCorrupt) {
  // A crash can leave a zero-filled tail; its "record" has length 0 and CRC 0, which is
  // also the CRC of an empty payload, so the minimum length is what rejects it.
  const std::string zeros(64, '\0');
  JournalRecord record;
  size_t consumed = 0;
  EXPECT_EQ(DecodeRecord(zeros, &record, &consumed), DecodeResult::kCorrupt);
}

// Each of these payloads has a valid CRC but claims more than it holds; a decoder that
// trusted the counts would reserve gigabytes or read past the end.
TEST(JournalRecordTest, AbsurdCountsInsideAValidChecksumAreCorrupt) {
  const std::string payloads[] = {
      std::string("\x01\x00\xff\xff\xff\xff\x0f", 7),              // 4G effects
      std::string("\x01\x00\x01\xff\xff\xff\xff\x0f", 8),          // 4G arguments
      std::string("\x01\x00\x01\x01\xff\xff\xff\xff\xff\x01", 10), // 2^36-byte argument
      std::string("\x01\x00\x01\x01\x05" "abc", 8),                // argument cut short
      std::string("\x01\x80\x80\x80\x80\x10\x00", 7),              // db above 2^32-1
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00\x00", 12),  // lsn > 2^64-1
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00", 13),  // 11-byte varint
      std::string("\x01\x00\x00\x00", 4),                          // trailing byte
      std::string("\x01\x00\x80", 3),                              // varint runs off the end
  };
  for (const std::string& payload : payloads) {
    JournalRecord record;
    size_t consumed = 0;
    std::string why;
    EXPECT_EQ(DecodeRecord(WithHeader(payload), &record, &consumed, &why), DecodeResult::kCorrupt)
        << testing::PrintToString(payload);
    EXPECT_FALSE(why.empty());
  }
}

TEST(JournalRecordTest, MaximumLsnInTenBytesIsAccepted) {
  const std::string payload("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00", 12);
  JournalRecord record;
  size_t consumed = 0;
  ASSERT_EQ(DecodeRecord(WithHeader(payload), &record, &consumed), DecodeResult::kOk);
  EXPECT_EQ(record.lsn, UINT64_MAX);
}

}  // namespace
}  // namespace tierkv
