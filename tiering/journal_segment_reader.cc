// Reading one journal segment, either format. See journal_segment_reader.h.
#include "tiering/journal_segment_reader.h"

#include <algorithm>
#include <utility>

namespace tierkv {
namespace {

bool IsZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

}  // namespace

const char* JournalDamageKindName(JournalDamageKind kind) {
  switch (kind) {
    case JournalDamageKind::kTorn: return "torn";
    case JournalDamageKind::kCorrupt: return "corrupt";
    case JournalDamageKind::kLsnOutOfOrder: return "lsn-out-of-order";
    case JournalDamageKind::kMissingLsns: return "missing-lsns";
  }
  return "unknown";
}

std::string DescribeJournalDamage(const JournalDamage& damage) {
  const char* what = damage.kind == JournalDamageKind::kMissingLsns ? " segment (" : " record (";
  return damage.file + " at offset " + std::to_string(damage.offset) + ": " + JournalDamageKindName(damage.kind) +
         what + damage.detail + ")";
}

SegmentReader::SegmentReader(std::string_view bytes, std::string path, uint64_t name_lsn, bool last)
    : bytes_(bytes), path_(std::move(path)), name_lsn_(name_lsn), last_(last) {}

SegmentReader::Step SegmentReader::Damaged(uint64_t offset, JournalDamageKind kind, bool truncatable,
                                           std::string detail) {
  damage_ = JournalDamage{.file = path_,
                          .offset = offset,
                          .kind = kind,
                          .truncatable = truncatable,
                          .detail = std::move(detail)};
  return Step::kDamage;
}

SegmentReader::Step SegmentReader::Start() {
  started_ = true;
  std::string why;
  switch (DetectSegmentFormat(bytes_, &header_, &why)) {
    case SegmentFormat::kEmpty:
      ended_ = true;
      return Step::kEnd;
    case SegmentFormat::kTornHeader:
      // Nothing can be read without the header; only a file with nothing else in it (a
      // crash right after its creation) may be cut away.
      return Damaged(0, JournalDamageKind::kTorn, last_ && IsZero(bytes_.substr(std::min(bytes_.size(), kSegmentHeaderSize))),
                     why);
    case SegmentFormat::kBadHeader:
      return Damaged(0, JournalDamageKind::kCorrupt, false, why);
    case SegmentFormat::kVersion1:
      version_ = 1;
      return Step::kRecord;
    case SegmentFormat::kVersion2:
      version_ = 2;
      if (header_.first_lsn != name_lsn_) {
        return Damaged(0, JournalDamageKind::kCorrupt, false,
                       "segment header says first LSN " + std::to_string(header_.first_lsn) +
                           " but the file name says " + std::to_string(name_lsn_));
      }
      offset_ = kSegmentHeaderSize;
      return Step::kRecord;
  }
  return Damaged(0, JournalDamageKind::kCorrupt, false, "unknown segment format");
}

SegmentReader::Step SegmentReader::Next(JournalRecord* record) {
  if (damage_.has_value()) return Step::kDamage;
  if (ended_) return Step::kEnd;
  if (!started_) {
    if (Step step = Start(); step != Step::kRecord) return step;
  }
  return version_ == 1 ? NextV1(record) : NextV2(record);
}

SegmentReader::Step SegmentReader::Complete(std::string_view payload, JournalRecord* record) {
  std::string why;
  if (DecodeRecordPayload(payload, record, &why) != DecodeResult::kOk) {
    return Damaged(record_offset_, JournalDamageKind::kCorrupt, false, why);
  }
  return Step::kRecord;
}

SegmentReader::Step SegmentReader::NextV2(JournalRecord* record) {
  for (;;) {
    offset_ = std::min<uint64_t>(NextFrameStart(offset_, header_.block_size), bytes_.size());
    if (!assembling_) record_offset_ = offset_;
    if (offset_ == bytes_.size()) {
      if (assembling_) {
        return Damaged(record_offset_, JournalDamageKind::kTorn, last_, "record cut short after some of its frames");
      }
      ended_ = true;
      return Step::kEnd;
    }
    Frame frame;
    std::string why;
    switch (ReadFrame(bytes_, offset_, header_, &frame, &why, &checksummed_)) {
      case FrameRead::kIncomplete:
        return Damaged(record_offset_, JournalDamageKind::kTorn, last_, why);
      case FrameRead::kBad: {
        const bool follows = RecordStartsAfter(offset_);
        // Zeros from inside the damaged block to the end: pages that never reached the disk.
        const uint64_t block_end = (offset_ / header_.block_size + 1) * header_.block_size;
        const size_t last_nonzero = bytes_.find_last_not_of('\0');
        const uint64_t zeros_from = last_nonzero == std::string_view::npos ? 0 : last_nonzero + 1;
        const bool zero_tail = !follows && zeros_from < bytes_.size() && zeros_from < block_end;
        return Damaged(record_offset_, zero_tail ? JournalDamageKind::kTorn : JournalDamageKind::kCorrupt,
                       last_ && !follows, zero_tail ? "zero-filled tail" : why);
      }
      case FrameRead::kOk:
        break;
    }
    const bool starts = frame.type == FrameType::kFull || frame.type == FrameType::kFirst;
    if (starts == assembling_) {
      return Damaged(offset_, JournalDamageKind::kCorrupt, false, "frame out of sequence");
    }
    offset_ = frame.end;
    switch (frame.type) {
      case FrameType::kFull:
        return Complete(frame.payload, record);
      case FrameType::kFirst:
        assembling_ = true;
        fragments_.assign(frame.payload);
        continue;
      case FrameType::kMiddle:
        fragments_.append(frame.payload);
        continue;
      case FrameType::kLast: {
        assembling_ = false;
        fragments_.append(frame.payload);
        const Step step = Complete(fragments_, record);
        std::string().swap(fragments_);  // a huge record's copy is not kept around
        return step;
      }
    }
  }
}

// True if a record (a good FULL or FIRST frame of this segment) starts after the bad
// frame at `at`: the damage is then not a torn tail, since a crash mid-append leaves
// nothing whole behind the record it interrupted. Linear: inside the damaged block every
// offset is tried (at most block_size header checks, each keyed by the nonce, so a value's
// bytes pass only with a CRC collision twice over); after it, only block starts, which a
// writer always begins with a frame; a good frame found is followed frame by frame, never
// revisiting what a walk covered.
bool SegmentReader::RecordStartsAfter(uint64_t at) {
  const uint64_t block = header_.block_size;
  const uint64_t next_block = (at / block + 1) * block;
  uint64_t walked_to = at;
  for (uint64_t from = at + 1; from + kFrameHeaderSize < next_block && from < bytes_.size(); ++from) {
    if (WalkFindsRecordStart(from, &walked_to)) return true;
  }
  for (uint64_t start = next_block; start < bytes_.size();) {
    if (WalkFindsRecordStart(start, &walked_to)) return true;
    start = std::max(start + block, (walked_to / block + 1) * block);
  }
  return false;
}

// Follows good frames from `from`; true at the first that starts a record. *walked_to
// becomes the furthest offset the walk reached.
bool SegmentReader::WalkFindsRecordStart(uint64_t from, uint64_t* walked_to) {
  for (uint64_t at = from; at < bytes_.size(); at = NextFrameStart(at, header_.block_size)) {
    Frame frame;
    if (ReadFrame(bytes_, at, header_, &frame, nullptr, &checksummed_) != FrameRead::kOk) {
      *walked_to = std::max(*walked_to, at);
      return false;
    }
    if (frame.type == FrameType::kFull || frame.type == FrameType::kFirst) return true;
    at = frame.end;
    *walked_to = std::max(*walked_to, at);
  }
  return false;
}

SegmentReader::Step SegmentReader::NextV1(JournalRecord* record) {
  if (offset_ == bytes_.size()) {
    ended_ = true;
    return Step::kEnd;
  }
  size_t consumed = 0;
  std::string why;
  const DecodeResult result = DecodeV1Record(bytes_.substr(offset_), record, &consumed, &why);
  if (result != DecodeResult::kOk) {
    return Damaged(offset_, result == DecodeResult::kIncomplete ? JournalDamageKind::kTorn : JournalDamageKind::kCorrupt,
                   last_ && !GoodV1RecordAfter(offset_), why);
  }
  record_offset_ = offset_;
  offset_ += consumed;
  return Step::kRecord;
}

// Version 1 has no trusted boundaries: a crash mid-append leaves nothing valid behind the
// record it interrupted, so any offset after `at` where a record decodes means damage.
bool SegmentReader::GoodV1RecordAfter(uint64_t at) const {
  JournalRecord record;
  size_t consumed = 0;
  for (uint64_t from = at + 1; from + kV1RecordHeaderSize < bytes_.size(); ++from) {
    if (DecodeV1Record(bytes_.substr(from), &record, &consumed) == DecodeResult::kOk) return true;
  }
  return false;
}

}  // namespace tierkv

namespace tierkv {
namespace {

void SalvageV2(std::string_view bytes, uint64_t from, const SegmentHeader& header,
               const std::function<void(const JournalRecord&)>& found) {
  uint64_t checksummed = 0;
  uint64_t at = std::max<uint64_t>(from, kSegmentHeaderSize);
  std::string pieces;
  bool assembling = false;
  while (true) {
    at = NextFrameStart(at, header.block_size);
    if (at >= bytes.size()) return;
    Frame frame;
    if (ReadFrame(bytes, at, header, &frame, nullptr, &checksummed) != FrameRead::kOk) {
      // Resynchronise: any offset left in this block (nonce-keyed CRCs make a false match
      // a double CRC collision), else the next block start.
      assembling = false;
      const uint64_t block_end = (at / header.block_size + 1) * header.block_size;
      uint64_t next = block_end;
      for (uint64_t from = at + 1; from + kFrameHeaderSize < block_end && from < bytes.size(); ++from) {
        if (ReadFrame(bytes, from, header, &frame, nullptr, &checksummed) == FrameRead::kOk) {
          next = from;
          break;
        }
      }
      at = next;
      continue;
    }
    at = frame.end;
    if (frame.type == FrameType::kFull || frame.type == FrameType::kFirst) {
      assembling = frame.type == FrameType::kFirst;
      pieces.assign(frame.payload);
    } else if (assembling) {
      pieces.append(frame.payload);
      assembling = frame.type == FrameType::kMiddle;
    } else {
      continue;  // the rest of a record whose start is not being read
    }
    JournalRecord record;
    if (!assembling && DecodeRecordPayload(pieces, &record) == DecodeResult::kOk) found(record);
  }
}

}  // namespace

void SalvageRecords(std::string_view bytes, uint64_t from, const std::function<void(const JournalRecord&)>& found) {
  SegmentHeader header;
  std::string why;
  switch (DetectSegmentFormat(bytes, &header, &why)) {
    case SegmentFormat::kVersion2:
      SalvageV2(bytes, from, header, found);
      return;
    case SegmentFormat::kVersion1:
      break;
    default:
      return;  // without a header nothing can be believed
  }
  JournalRecord record;
  for (uint64_t at = from; at + kV1RecordHeaderSize < bytes.size();) {
    size_t consumed = 0;
    if (DecodeV1Record(bytes.substr(at), &record, &consumed) == DecodeResult::kOk) {
      found(record);
      at += consumed;
    } else {
      ++at;
    }
  }
}

}  // namespace tierkv
