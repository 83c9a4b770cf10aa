// MemberRecord: one member of a large sorted set and its score, in a single small
// allocation that both halves of the index share (the member table finds it by name,
// the order tree by position), so each member string is stored once.
//
// Layout: [score: double][size class: u8][length: varint, 1..5 bytes][member bytes]
// A 13-byte member takes 23 bytes, which the entry allocator's 8-byte classes hold in
// 24 (jemalloc's next class would be 32).
//
// Thread-safety: records come from the calling thread's EntryAllocator, so they must be
// freed on the thread that made them (the engine thread, as for entries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tierkv {

class MemberRecord {
 public:
  static MemberRecord* New(std::string_view member, double score);
  static void Free(MemberRecord* record);

  double score() const { return score_; }
  void set_score(double score) { score_ = score; }
  std::string_view member() const;
  // Bytes the allocator holds for this record.
  size_t AllocatedBytes() const;

  MemberRecord(const MemberRecord&) = delete;
  MemberRecord& operator=(const MemberRecord&) = delete;

 private:
  MemberRecord() = default;
  // The bytes after the size class (offset 9): the varint length, then the member.
  const unsigned char* tail() const { return &size_class_ + 1; }
  unsigned char* tail() { return &size_class_ + 1; }

  double score_;
  unsigned char size_class_;
};


}  // namespace tierkv
