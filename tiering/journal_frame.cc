// Journal format version 2: segment header and frames. See journal_frame.h.
#include "tiering/journal_frame.h"

#include <algorithm>
#include <random>

#include "tiering/crc32c.h"
#include "tiering/little_endian.h"

namespace tierkv {
namespace {

constexpr size_t kHeaderCrcAt = 32;  // in the segment header

uint32_t FrameHeaderCrc(uint64_t nonce, const char* header) {
  char nonce_bytes[8];
  StoreLittleEndian<uint64_t>(nonce, nonce_bytes);
  return Crc32c(Crc32c(0, nonce_bytes, sizeof(nonce_bytes)), header + 4, kFrameHeaderSize - 4);
}

uint64_t RoomInBlock(uint64_t at, uint32_t block_size) { return block_size - at % block_size; }

bool IsZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

FrameRead Bad(std::string* why, const char* text) {
  if (why != nullptr) *why = text;
  return FrameRead::kBad;
}

}  // namespace

uint64_t NewSegmentNonce() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

void EncodeSegmentHeader(const SegmentHeader& header, std::string* out) {
  char bytes[kSegmentHeaderSize];
  std::copy(kJournalSegmentMagic.begin(), kJournalSegmentMagic.end(), bytes);
  StoreLittleEndian<uint32_t>(header.version, bytes + 8);
  StoreLittleEndian<uint32_t>(header.block_size, bytes + 12);
  StoreLittleEndian<uint64_t>(header.nonce, bytes + 16);
  StoreLittleEndian<uint64_t>(header.first_lsn, bytes + 24);
  StoreLittleEndian<uint32_t>(Crc32c(0, bytes, kHeaderCrcAt), bytes + kHeaderCrcAt);
  out->append(bytes, sizeof(bytes));
}

SegmentFormat DetectSegmentFormat(std::string_view bytes, SegmentHeader* header, std::string* why) {
  if (bytes.empty()) return SegmentFormat::kEmpty;
  const std::string_view start = bytes.substr(0, kSegmentHeaderSize);
  if (IsZero(start)) {
    *why = "zero-filled segment header";
    return SegmentFormat::kTornHeader;
  }
  const std::string_view magic_part = start.substr(0, kJournalSegmentMagic.size());
  if (magic_part != kJournalSegmentMagic.substr(0, magic_part.size())) {
    // A v1 record's length and CRC match the magic in 6 of 8 bytes only by a freak; a
    // damaged magic must not turn a v2 segment into a v1 one (read as one long torn tail).
    size_t matching = 0;
    for (size_t i = 0; i < magic_part.size(); ++i) matching += magic_part[i] == kJournalSegmentMagic[i];
    if (magic_part.size() == kJournalSegmentMagic.size() && matching >= kJournalSegmentMagic.size() - 2) {
      *why = "segment magic damaged";
      return SegmentFormat::kBadHeader;
    }
    return SegmentFormat::kVersion1;
  }
  if (start.size() < kSegmentHeaderSize) {
    *why = "segment header cut short";
    return SegmentFormat::kTornHeader;
  }
  if (Crc32c(0, start.data(), kHeaderCrcAt) != LoadLittleEndian<uint32_t>(start.data() + kHeaderCrcAt)) {
    *why = "segment header checksum mismatch";
    return SegmentFormat::kBadHeader;
  }
  header->version = LoadLittleEndian<uint32_t>(start.data() + 8);
  header->block_size = LoadLittleEndian<uint32_t>(start.data() + 12);
  header->nonce = LoadLittleEndian<uint64_t>(start.data() + 16);
  header->first_lsn = LoadLittleEndian<uint64_t>(start.data() + 24);
  if (header->version != kJournalFormatVersion) {
    *why = "unsupported journal format version " + std::to_string(header->version);
    return SegmentFormat::kBadHeader;
  }
  if (header->block_size < kMinJournalBlockSize || header->block_size > kMaxJournalBlockSize) {
    *why = "impossible block size " + std::to_string(header->block_size);
    return SegmentFormat::kBadHeader;
  }
  return SegmentFormat::kVersion2;
}

uint64_t NextFrameStart(uint64_t at, uint32_t block_size) {
  const uint64_t room = RoomInBlock(at, block_size);
  return room <= kFrameHeaderSize ? at + room : at;
}

void AppendFrames(std::string_view payload, const SegmentHeader& header, uint64_t file_offset,
                  std::string* out) {
  uint64_t at = file_offset;
  bool first = true;
  while (first || !payload.empty()) {
    const uint64_t start = NextFrameStart(at, header.block_size);
    out->append(static_cast<size_t>(start - at), '\0');
    const uint64_t room = RoomInBlock(start, header.block_size) - kFrameHeaderSize;
    const size_t length = static_cast<size_t>(std::min<uint64_t>(room, payload.size()));
    const bool last = length == payload.size();
    const FrameType type = first ? (last ? FrameType::kFull : FrameType::kFirst)
                                 : (last ? FrameType::kLast : FrameType::kMiddle);
    char frame[kFrameHeaderSize] = {};
    StoreLittleEndian<uint32_t>(Crc32c(0, payload.data(), length), frame + 4);
    StoreLittleEndian<uint32_t>(static_cast<uint32_t>(length), frame + 8);
    frame[12] = static_cast<char>(type);
    StoreLittleEndian<uint32_t>(FrameHeaderCrc(header.nonce, frame), frame);
    out->append(frame, sizeof(frame));
    out->append(payload.substr(0, length));
    payload.remove_prefix(length);
    at = start + kFrameHeaderSize + length;
    first = false;
  }
}

FrameRead ReadFrame(std::string_view segment, uint64_t at, const SegmentHeader& header, Frame* frame,
                    std::string* why, uint64_t* checksummed) {
  if (segment.size() - at < kFrameHeaderSize) {
    if (why != nullptr) *why = "frame header cut short";
    return FrameRead::kIncomplete;
  }
  const char* bytes = segment.data() + at;
  *checksummed += kFrameHeaderSize + 4;
  if (FrameHeaderCrc(header.nonce, bytes) != LoadLittleEndian<uint32_t>(bytes)) {
    return Bad(why, IsZero(std::string_view(bytes, kFrameHeaderSize)) ? "zero-filled frame header"
                                                                      : "frame header checksum mismatch");
  }
  const uint32_t length = LoadLittleEndian<uint32_t>(bytes + 8);
  const auto type = static_cast<uint8_t>(bytes[12]);
  if (type < static_cast<uint8_t>(FrameType::kFull) || type > static_cast<uint8_t>(FrameType::kLast) ||
      bytes[13] != 0 || bytes[14] != 0 || bytes[15] != 0) {
    return Bad(why, "unknown frame type");
  }
  if (length == 0 || length > RoomInBlock(at, header.block_size) - kFrameHeaderSize) {
    return Bad(why, "frame length does not fit its block");
  }
  if (segment.size() - at - kFrameHeaderSize < length) {
    if (why != nullptr) *why = "frame payload cut short";
    return FrameRead::kIncomplete;
  }
  const std::string_view payload = segment.substr(at + kFrameHeaderSize, length);
  *checksummed += length;
  if (Crc32c(0, payload.data(), payload.size()) != LoadLittleEndian<uint32_t>(bytes + 4)) {
    return Bad(why, "frame payload checksum mismatch");
  }
  frame->type = static_cast<FrameType>(type);
  frame->payload = payload;
  frame->end = at + kFrameHeaderSize + length;
  return FrameRead::kOk;
}

}  // namespace tierkv
