#include "engine/types/zset/member_record.h"

#include <cstring>
#include <new>

#include "engine/entry_allocator.h"

namespace tierkv {
namespace {

constexpr size_t kHeaderBytes = sizeof(double) + 1;  // score, size class

size_t VarintBytes(size_t value) {
  size_t bytes = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++bytes;
  }
  return bytes;
}

}  // namespace

MemberRecord* MemberRecord::New(std::string_view member, double score) {
  const size_t length_bytes = VarintBytes(member.size());
  uint8_t size_class;
  void* memory = EntryAllocator::Allocate(kHeaderBytes + length_bytes + member.size(), &size_class);
  auto* record = new (memory) MemberRecord();
  record->score_ = score;
  record->size_class_ = size_class;
  unsigned char* out = record->tail();
  size_t length = member.size();
  while (length >= 0x80) {
    *out++ = static_cast<unsigned char>(length | 0x80);
    length >>= 7;
  }
  *out++ = static_cast<unsigned char>(length);
  if (!member.empty()) std::memcpy(out, member.data(), member.size());
  return record;
}

void MemberRecord::Free(MemberRecord* record) {
  if (record == nullptr) return;
  const uint8_t size_class = record->size_class_;
  record->~MemberRecord();
  EntryAllocator::Free(record, size_class);
}

std::string_view MemberRecord::member() const {
  const unsigned char* in = tail();
  size_t length = 0;
  int shift = 0;
  while (*in & 0x80) {
    length |= static_cast<size_t>(*in++ & 0x7f) << shift;
    shift += 7;
  }
  length |= static_cast<size_t>(*in++) << shift;
  return {reinterpret_cast<const char*>(in), length};
}

size_t MemberRecord::AllocatedBytes() const { return EntryAllocator::Capacity(this, size_class_); }

}  // namespace tierkv
