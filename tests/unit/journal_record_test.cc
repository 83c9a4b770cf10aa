// Tests for tiering/journal_record: record payloads, batches (what the journal writer hands
// the segment writer), and the version 1 record layout still read from old segments; that
// damaged or cut-short bytes are reported as such and never decoded into a wrong record.
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

std::string Payload(const JournalRecord& record) {
  std::string payload;
  EncodeRecordPayload(record, &payload);
  return payload;
}

std::string EncodeV1(const JournalRecord& record) {
  std::string bytes;
  EncodeV1RecordForTesting(record, &bytes);
  return bytes;
}

void PutLittleEndian32(uint32_t value, std::string* bytes, size_t at) {
  for (int i = 0; i < 4; ++i) (*bytes)[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

// A version 1 record from a hand-written payload with a correct header, so that the
// payload parser itself is what gets tested.
std::string V1WithHeader(std::string_view payload) {
  std::string bytes(kV1RecordHeaderSize, '\0');
  PutLittleEndian32(static_cast<uint32_t>(payload.size()), &bytes, 0);
  PutLittleEndian32(Crc32c(0, payload.data(), payload.size()), &bytes, 4);
  bytes.append(payload);
  return bytes;
}

TEST(JournalRecordTest, PayloadRoundTrip) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  const JournalRecord cases[] = {
      SampleRecord(),
      {},                                                 // lsn 0, db 0, no effects
      {UINT64_MAX, UINT32_MAX, {JournalEffect{}}},        // one effect with no arguments
      {1, 0, {{""}, {"", ""}}},                           // empty arguments
      {127, 15, {{every_byte, std::string(300, 'x')}}},   // binary, multi-byte lengths
      {128, 16, {{std::string(70000, '\0')}}},            // three-byte length varint
  };
  for (const JournalRecord& record : cases) {
    JournalRecord decoded;
    ASSERT_EQ(DecodeRecordPayload(Payload(record), &decoded), DecodeResult::kOk) << record.lsn;
    EXPECT_EQ(decoded, record);
    uint64_t lsn = 0;
    ASSERT_TRUE(PeekPayloadLsn(Payload(record), &lsn));
    EXPECT_EQ(lsn, record.lsn);
  }
}

TEST(JournalRecordTest, PayloadIsVarintFields) {
  // lsn 01, db 02, count 01, argc 02, 03 "DEL", 01 "k"
  EXPECT_EQ(Payload({.lsn = 1, .db = 2, .effects = {{"DEL", "k"}}}),
            std::string("\x01\x02\x01\x02\x03" "DEL" "\x01" "k", 10));
}

TEST(JournalRecordTest, BatchHoldsLengthPrefixedPayloadsBackToBack) {
  std::string batch;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) EncodeRecord({lsn, 0, {{"INCR", std::string(lsn * 100, 'n')}}}, &batch);
  std::string_view rest = batch;
  std::string_view payload;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) {
    ASSERT_TRUE(NextBatchPayload(&rest, &payload));
    JournalRecord record;
    ASSERT_EQ(DecodeRecordPayload(payload, &record), DecodeResult::kOk);
    EXPECT_EQ(record.lsn, lsn);
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_FALSE(NextBatchPayload(&rest, &payload));

  std::string_view cut = std::string_view(batch).substr(0, batch.size() - 1);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(NextBatchPayload(&cut, &payload));
  EXPECT_FALSE(NextBatchPayload(&cut, &payload)) << "an entry cut short must not be taken";
}

// Each of these payloads would pass a CRC but claims more than it holds; a decoder that
// trusted the counts would reserve gigabytes or read past the end.
TEST(JournalRecordTest, AbsurdCountsInsideAPayloadAreCorrupt) {
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
    std::string why;
    EXPECT_EQ(DecodeRecordPayload(payload, &record, &why), DecodeResult::kCorrupt)
        << testing::PrintToString(payload);
    EXPECT_FALSE(why.empty());
    size_t consumed = 0;
    EXPECT_EQ(DecodeV1Record(V1WithHeader(payload), &record, &consumed), DecodeResult::kCorrupt);
  }
}

TEST(JournalRecordTest, MaximumLsnInTenBytesIsAccepted) {
  const std::string payload("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00", 12);
  JournalRecord record;
  ASSERT_EQ(DecodeRecordPayload(payload, &record), DecodeResult::kOk);
  EXPECT_EQ(record.lsn, UINT64_MAX);
}

// ---------------------------------------------------------------------------------------
// Version 1 records (segments written by earlier releases).

TEST(JournalRecordTest, V1RoundTripAndLayout) {
  const std::string bytes = EncodeV1(SampleRecord());
  JournalRecord decoded;
  size_t consumed = 0;
  ASSERT_EQ(DecodeV1Record(bytes, &decoded, &consumed), DecodeResult::kOk);
  EXPECT_EQ(decoded, SampleRecord());
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(EncodeV1({.lsn = 1, .db = 2, .effects = {{"DEL", "k"}}}),
            V1WithHeader(std::string("\x01\x02\x01\x02\x03" "DEL" "\x01" "k", 10)));
}

TEST(JournalRecordTest, V1EveryTruncationIsIncomplete) {
  const std::string bytes = EncodeV1(SampleRecord());
  for (size_t len = 0; len < bytes.size(); ++len) {
    JournalRecord record;
    record.lsn = 42;
    size_t consumed = 7;
    std::string why;
    ASSERT_EQ(DecodeV1Record(std::string_view(bytes.data(), len), &record, &consumed, &why),
              DecodeResult::kIncomplete)
        << "length " << len;
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(record.lsn, 42u);  // outputs untouched
    EXPECT_EQ(consumed, 7u);
  }
}

TEST(JournalRecordTest, V1EverySingleBitFlipIsDetected) {
  const std::string original = EncodeV1(SampleRecord());
  for (size_t byte = 0; byte < original.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = original;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      JournalRecord record;
      size_t consumed = 0;
      EXPECT_NE(DecodeV1Record(damaged, &record, &consumed), DecodeResult::kOk) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(JournalRecordTest, V1LengthBeyondMaximumOrZeroFilledIsCorrupt) {
  std::string bytes = EncodeV1(SampleRecord());
  PutLittleEndian32(kV1MaxPayloadSize + 1, &bytes, 0);
  JournalRecord record;
  size_t consumed = 0;
  EXPECT_EQ(DecodeV1Record(bytes, &record, &consumed), DecodeResult::kCorrupt);
  // Zero-filled: length 0 and CRC 0 (also the CRC of nothing); the minimum rejects it.
  EXPECT_EQ(DecodeV1Record(std::string(64, '\0'), &record, &consumed), DecodeResult::kCorrupt);
}

}  // namespace
}  // namespace tierkv
