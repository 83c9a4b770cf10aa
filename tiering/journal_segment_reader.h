// SegmentReader: reads the records of ONE journal segment file's bytes, in either format
// (version 2 frames, journal_frame.h; version 1 bare records, journal_record.h), and says
// where and how the bytes stop making sense. JournalScanner (journal_segment.h) runs one
// per segment and adds what needs several segments: LSN order and continuity.
//
// Torn tail or corruption, for a version 2 segment:
//  - the bytes end inside a frame (header or payload), or inside a record's fragments:
//    torn at the start of that record (nothing follows it, by definition);
//  - a frame that is bad (header CRC keyed by the nonce, type, length, payload CRC): torn
//    (truncatable) if the segment is the journal's last and no record starts after it (a
//    good FULL or FIRST frame: MIDDLE and LAST ones may be the interrupted record's own
//    pieces, persisted out of order); otherwise corruption. Zero bytes to the end are a
//    torn tail. The search is linear (see RecordStartsAfter);
//  - a good frame out of sequence (a MIDDLE without a FIRST...) or a payload that does not
//    decode despite its CRC: corruption (our writer never produces them);
//  - a header cut short, or zero-filled (a file whose data never reached the disk): torn at
//    offset 0 if the segment is the last and nothing but zeros follows.
// A version 1 segment is read as earlier releases did: after a record that does not
// decode, every later offset is tried (quadratic in a damaged tail; such segments are
// only ever the old ones, since new segments are version 2).
//
// Thread-safety: one instance per thread; the bytes must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tiering/journal_frame.h"
#include "tiering/journal_record.h"

namespace tierkv {

enum class JournalDamageKind {
  kTorn,           // the bytes end inside a record, or zero-filled bytes where one starts
  kCorrupt,        // checksum mismatch, impossible length, damaged header
  kLsnOutOfOrder,  // a valid record whose LSN does not exceed the previous one
  kMissingLsns,    // a segment is missing: the journal does not continue the LSNs before it
};
const char* JournalDamageKindName(JournalDamageKind kind);

struct JournalDamage {
  std::string file;     // path of the segment
  uint64_t offset = 0;  // where the damaged record starts
  JournalDamageKind kind = JournalDamageKind::kCorrupt;
  bool truncatable = false;  // a torn tail: TruncateAt(file, offset) repairs the journal
  std::string detail;        // what the decoder said
};

// "<file> at offset <n>: <kind> record (<detail>)" ("segment" for a missing one).
std::string DescribeJournalDamage(const JournalDamage& damage);

class SegmentReader {
 public:
  // `last`: the segment is the journal's newest, where a crash can leave a torn tail.
  SegmentReader(std::string_view bytes, std::string path, uint64_t name_lsn, bool last);

  enum class Step { kRecord, kEnd, kDamage };
  // kRecord: *record is the next record, starting at record_offset(). kEnd: the segment
  // ended cleanly. kDamage: see damage(). After kEnd or kDamage, returns the same.
  Step Next(JournalRecord* record);

  uint64_t record_offset() const { return record_offset_; }
  const std::optional<JournalDamage>& damage() const { return damage_; }
  // 1 or 2 once known (after the first Next()); 0 for an empty or torn-header segment.
  uint32_t version() const { return version_; }
  // Bytes CRC-32C ran over so far (version 2), for asserting that reading is linear.
  uint64_t bytes_checksummed() const { return checksummed_; }

 private:
  Step Start();
  Step NextV1(JournalRecord* record);
  Step NextV2(JournalRecord* record);
  Step Complete(std::string_view payload, JournalRecord* record);
  Step Damaged(uint64_t offset, JournalDamageKind kind, bool truncatable, std::string detail);
  bool RecordStartsAfter(uint64_t at);
  bool WalkFindsRecordStart(uint64_t from, uint64_t* walked_to);
  bool GoodV1RecordAfter(uint64_t at) const;

  std::string_view bytes_;
  std::string path_;
  uint64_t name_lsn_;
  bool last_;
  bool started_ = false;
  uint32_t version_ = 0;
  SegmentHeader header_;
  uint64_t offset_ = 0;           // the next frame or record
  uint64_t record_offset_ = 0;    // of the record being read or last returned
  bool assembling_ = false;       // between a FIRST frame and its LAST
  std::string fragments_;         // the payload pieces read so far
  std::optional<JournalDamage> damage_;
  bool ended_ = false;
  uint64_t checksummed_ = 0;
};

}  // namespace tierkv

namespace tierkv {

// Calls `found` for every record that still decodes in a segment's bytes from offset
// `from` on (what a repair would drop), resynchronising past damage: in version 2 at the
// next block start (linear), in version 1 byte by byte. Records whose frames begin before
// `from` are not reported.
void SalvageRecords(std::string_view bytes, uint64_t from, const std::function<void(const JournalRecord&)>& found);

}  // namespace tierkv
