#include "tiering/tombstone_list.h"

#include <utility>

#include "tiering/little_endian.h"

namespace tierkv {

void TombstoneList::Add(uint32_t db, std::string_view key, uint64_t lsn) {
  char header[kHeaderSize];
  StoreLittleEndian<uint32_t>(db, header);
  StoreLittleEndian<uint32_t>(static_cast<uint32_t>(key.size()), header + 4);
  StoreLittleEndian<uint64_t>(lsn, header + 8);
  buffer_.append(header, kHeaderSize);
  buffer_.append(key);
  ++count_;
}

void TombstoneList::Append(const TombstoneList& other) {
  buffer_.append(other.buffer_);
  count_ += other.count_;
}

TombstoneList::Header TombstoneList::HeaderAt(size_t at) const {
  const char* p = buffer_.data() + at;
  return {LoadLittleEndian<uint32_t>(p), LoadLittleEndian<uint32_t>(p + 4), LoadLittleEndian<uint64_t>(p + 8)};
}

TombstoneList TombstoneList::TakeUpTo(uint64_t lsn) {
  // Usually every one is covered: hand the buffer over rather than copy it (a copy would
  // hold the list twice at the end of a round).
  bool all_covered = true;
  ForEach([&](uint32_t, std::string_view, uint64_t tombstone_lsn) { all_covered = all_covered && tombstone_lsn <= lsn; });
  if (all_covered) return std::exchange(*this, TombstoneList());
  TombstoneList taken;
  TombstoneList kept;
  ForEach([&](uint32_t db, std::string_view key, uint64_t tombstone_lsn) {
    (tombstone_lsn <= lsn ? taken : kept).Add(db, key, tombstone_lsn);
  });
  *this = std::move(kept);
  return taken;
}

void TombstoneList::MoveDbs(const std::vector<int>& moved) {
  for (size_t at = 0; at < buffer_.size();) {
    const Header header = HeaderAt(at);
    if (header.db < moved.size()) StoreLittleEndian<uint32_t>(static_cast<uint32_t>(moved[header.db]), &buffer_[at]);
    at += kHeaderSize + header.key_size;
  }
}

}  // namespace tierkv
