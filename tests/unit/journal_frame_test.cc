// Tests for tiering/journal_frame: the version 2 segment header and frames, byte by byte;
// that a frame is believed only under its own segment's nonce; that every cut or bit flip
// is caught; and how payloads are cut into frames that never cross a block boundary.
#include "tiering/journal_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tiering/crc32c.h"
#include "tiering/journal_record.h"

namespace tierkv {
namespace {

constexpr uint64_t kNonce = 0x0123456789abcdefULL;

SegmentHeader Header(uint32_t block_size = kMinJournalBlockSize, uint64_t nonce = kNonce) {
  return {.version = kJournalFormatVersion, .block_size = block_size, .nonce = nonce, .first_lsn = 7};
}

// A segment: its header, then the frames of `payloads`.
std::string Segment(const std::vector<std::string>& payloads, const SegmentHeader& header) {
  std::string bytes;
  EncodeSegmentHeader(header, &bytes);
  for (const std::string& payload : payloads) AppendFrames(payload, header, bytes.size(), &bytes);
  return bytes;
}

struct ReadBack {
  std::vector<Frame> frames;
  FrameRead last = FrameRead::kOk;  // what stopped the walk (kOk: the end)
  uint64_t stopped_at = 0;
};

ReadBack Walk(std::string_view bytes, const SegmentHeader& header) {
  ReadBack result;
  uint64_t checksummed = 0;
  uint64_t at = kSegmentHeaderSize;
  for (;;) {
    at = NextFrameStart(at, header.block_size);
    if (at >= bytes.size()) return result;
    Frame frame;
    result.last = ReadFrame(bytes, at, header, &frame, nullptr, &checksummed);
    result.stopped_at = at;
    if (result.last != FrameRead::kOk) return result;
    result.frames.push_back(frame);
    at = frame.end;
  }
}

TEST(JournalFrameTest, SegmentHeaderLayout) {
  std::string bytes;
  EncodeSegmentHeader({.version = 2, .block_size = 0x8000, .nonce = kNonce, .first_lsn = 0x1122}, &bytes);
  ASSERT_EQ(bytes.size(), kSegmentHeaderSize);
  EXPECT_EQ(bytes.substr(0, 8), "TIERKVJL");
  EXPECT_EQ(bytes.substr(8, 4), std::string("\x02\x00\x00\x00", 4));
  EXPECT_EQ(bytes.substr(12, 4), std::string("\x00\x80\x00\x00", 4));
  EXPECT_EQ(bytes.substr(16, 8), std::string("\xef\xcd\xab\x89\x67\x45\x23\x01", 8));
  EXPECT_EQ(bytes.substr(24, 8), std::string("\x22\x11\x00\x00\x00\x00\x00\x00", 8));
  const uint32_t crc = Crc32c(0, bytes.data(), 32);
  EXPECT_EQ(bytes.substr(32, 4), std::string({static_cast<char>(crc), static_cast<char>(crc >> 8),
                                               static_cast<char>(crc >> 16), static_cast<char>(crc >> 24)}));
  SegmentHeader read;
  std::string why;
  ASSERT_EQ(DetectSegmentFormat(bytes, &read, &why), SegmentFormat::kVersion2);
  EXPECT_EQ(read.block_size, 0x8000u);
  EXPECT_EQ(read.nonce, kNonce);
  EXPECT_EQ(read.first_lsn, 0x1122u);
}

TEST(JournalFrameTest, FormatDetection) {
  std::string header;
  EncodeSegmentHeader(Header(), &header);
  SegmentHeader read;
  std::string why;
  EXPECT_EQ(DetectSegmentFormat("", &read, &why), SegmentFormat::kEmpty);
  for (size_t len = 1; len < kSegmentHeaderSize; ++len) {
    EXPECT_EQ(DetectSegmentFormat(header.substr(0, len), &read, &why), SegmentFormat::kTornHeader) << len;
  }
  EXPECT_EQ(DetectSegmentFormat(std::string(100, '\0'), &read, &why), SegmentFormat::kTornHeader);
  std::string v1;
  EncodeV1RecordForTesting({1, 0, {{"DEL", "k"}}}, &v1);
  EXPECT_EQ(DetectSegmentFormat(v1, &read, &why), SegmentFormat::kVersion1);
  // Every bit flip in a header is caught; none makes it a version 1 segment.
  for (size_t byte = 0; byte < kSegmentHeaderSize; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = header;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      EXPECT_EQ(DetectSegmentFormat(damaged, &read, &why), SegmentFormat::kBadHeader) << byte << " " << bit;
    }
  }
  SegmentHeader future = Header();
  future.version = 3;
  std::string newer;
  EncodeSegmentHeader(future, &newer);
  EXPECT_EQ(DetectSegmentFormat(newer, &read, &why), SegmentFormat::kBadHeader);
  EXPECT_NE(why.find("unsupported journal format version 3"), std::string::npos) << why;
}

TEST(JournalFrameTest, SmallPayloadIsOneFullFrame) {
  const SegmentHeader header = Header(kDefaultJournalBlockSize);
  const std::string bytes = Segment({"abc"}, header);
  ASSERT_EQ(bytes.size(), kSegmentHeaderSize + kFrameHeaderSize + 3);
  const std::string frame = bytes.substr(kSegmentHeaderSize);
  EXPECT_EQ(frame.substr(8, 8), std::string("\x03\x00\x00\x00\x01\x00\x00\x00", 8));  // length 3, FULL
  const uint32_t payload_crc = Crc32c(0, "abc", 3);
  EXPECT_EQ(static_cast<uint8_t>(frame[4]), payload_crc & 0xff);
  // The header CRC covers the nonce, then bytes 4..15.
  char nonce[8];
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<char>(kNonce >> (8 * i));
  const uint32_t header_crc = Crc32c(Crc32c(0, nonce, 8), frame.data() + 4, 12);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), header_crc & 0xff);
  EXPECT_EQ(static_cast<uint8_t>(frame[3]), header_crc >> 24);
  const ReadBack read = Walk(bytes, header);
  ASSERT_EQ(read.frames.size(), 1u);
  EXPECT_EQ(read.frames[0].type, FrameType::kFull);
  EXPECT_EQ(read.frames[0].payload, "abc");
}

TEST(JournalFrameTest, LargePayloadIsCutIntoFramesThatNeverCrossABlock) {
  const SegmentHeader header = Header(64);
  std::string payload;
  for (int i = 0; i < 1000; ++i) payload.push_back(static_cast<char>(i * 7));
  const std::string bytes = Segment({"first", payload, "last"}, header);
  const ReadBack read = Walk(bytes, header);
  ASSERT_EQ(read.last, FrameRead::kOk);
  std::string joined;
  std::vector<FrameType> types;
  for (const Frame& frame : read.frames) {
    const uint64_t start = frame.end - frame.payload.size() - kFrameHeaderSize;
    EXPECT_EQ(start / 64, (frame.end - 1) / 64) << "frame at " << start << " crosses a block";
    types.push_back(frame.type);
  }
  ASSERT_GE(types.size(), 4u);
  EXPECT_EQ(types.front(), FrameType::kFull);
  EXPECT_EQ(types[1], FrameType::kFirst);
  EXPECT_EQ(types.back(), FrameType::kFull);
  EXPECT_EQ(types[types.size() - 2], FrameType::kLast);
  for (size_t i = 2; i + 2 < types.size(); ++i) EXPECT_EQ(types[i], FrameType::kMiddle);
  for (size_t i = 1; i + 1 < read.frames.size(); ++i) joined.append(read.frames[i].payload);
  EXPECT_EQ(joined, payload);
}

TEST(JournalFrameTest, BlockTailsTooShortForAFrameArePadded) {
  const SegmentHeader header = Header(64);
  // After the 36-byte header, 28 bytes remain in block 0: a 12-byte payload fills it
  // exactly, so the next frame starts at 64. Then a payload leaving 10 bytes: padding.
  const std::string bytes = Segment({std::string(12, 'a'), std::string(38, 'b'), "c"}, header);
  const ReadBack read = Walk(bytes, header);
  ASSERT_EQ(read.frames.size(), 3u);
  EXPECT_EQ(read.frames[0].end, 64u);
  EXPECT_EQ(read.frames[1].end, 64u + kFrameHeaderSize + 38);
  EXPECT_EQ(read.frames[2].end, 128u + kFrameHeaderSize + 1);
  EXPECT_EQ(bytes.substr(read.frames[1].end, 128 - read.frames[1].end), std::string(10, '\0'));
}

TEST(JournalFrameTest, AFrameIsBelievedOnlyUnderItsSegmentsNonce) {
  const std::string bytes = Segment({"payload"}, Header(kDefaultJournalBlockSize, kNonce));
  Frame frame;
  uint64_t checksummed = 0;
  std::string why;
  EXPECT_EQ(ReadFrame(bytes, kSegmentHeaderSize, Header(kDefaultJournalBlockSize, kNonce + 1), &frame, &why,
                      &checksummed),
            FrameRead::kBad);
  EXPECT_EQ(why, "frame header checksum mismatch");
}

TEST(JournalFrameTest, EveryCutIsIncompleteAndEveryBitFlipIsBad) {
  const SegmentHeader header = Header(kDefaultJournalBlockSize);
  const std::string bytes = Segment({"some payload bytes"}, header);
  Frame frame;
  uint64_t checksummed = 0;
  for (size_t len = kSegmentHeaderSize; len < bytes.size(); ++len) {
    EXPECT_EQ(ReadFrame(std::string_view(bytes).substr(0, len), kSegmentHeaderSize, header, &frame, nullptr,
                        &checksummed),
              FrameRead::kIncomplete)
        << len;
  }
  for (size_t byte = kSegmentHeaderSize; byte < bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      EXPECT_EQ(ReadFrame(damaged, kSegmentHeaderSize, header, &frame, nullptr, &checksummed), FrameRead::kBad)
          << byte << " " << bit;
    }
  }
  std::string zeros(kSegmentHeaderSize + 64, '\0');
  std::string why;
  EXPECT_EQ(ReadFrame(zeros, kSegmentHeaderSize, header, &frame, &why, &checksummed), FrameRead::kBad);
  EXPECT_EQ(why, "zero-filled frame header");
}

}  // namespace
}  // namespace tierkv
