#include "engine/entry.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "engine/entry_allocator.h"
#include "engine/number.h"

namespace tierkv {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString: return "string";
    case ValueType::kList: return "list";
    case ValueType::kSet: return "set";
    case ValueType::kZSet: return "zset";
    case ValueType::kHash: return "hash";
    case ValueType::kStream: return "stream";
  }
  return "none";
}

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kRaw: return "raw";
    case Encoding::kInt: return "int";
    case Encoding::kEmbStr: return "embstr";
    case Encoding::kListpack: return "listpack";
    case Encoding::kQuicklist: return "quicklist";
    case Encoding::kIntset: return "intset";
    case Encoding::kHashtable: return "hashtable";
    case Encoding::kSkiplist: return "skiplist";
    case Encoding::kStream: return "stream";
  }
  return "unknown";
}

Encoding StringEncodingFor(std::string_view value) {
  int64_t unused;
  if (value.size() <= 20 && ParseInt64(value, &unused)) return Encoding::kInt;
  return value.size() <= kEmbStrLimit ? Encoding::kEmbStr : Encoding::kRaw;
}

namespace {

Entry* Allocate(std::string_view key, int64_t expire_at, size_t value_bytes) {
  const bool has_expire = expire_at != kNoExpire;
  const size_t size = sizeof(Entry) + (has_expire ? sizeof(Entry::ExpireBlock) : 0) + key.size() + value_bytes;
  uint8_t size_class = 0;
  Entry* entry = static_cast<Entry*>(EntryAllocator::Allocate(size, &size_class));
  entry->next = nullptr;
  entry->lsn = 0;
  entry->access = 0;
  entry->type = ValueType::kString;
  entry->encoding = Encoding::kRaw;
  entry->flags = has_expire ? Entry::kHasExpire : 0;
  entry->size_class = size_class;
  entry->key_len = static_cast<uint32_t>(key.size());
  entry->value_len = 0;
  if (has_expire) *entry->expire_block() = {expire_at, 0, 0};
  if (!key.empty()) std::memcpy(entry->key_data(), key.data(), key.size());
  return entry;
}

}  // namespace

size_t Entry::value_capacity() const {
  if (type != ValueType::kString) return value_len;
  return EntryAllocator::Capacity(this, size_class) - key_offset() - key_len;
}

size_t Entry::MemoryUsage() const {
  size_t bytes = EntryAllocator::Capacity(this, size_class);
  if (type != ValueType::kString && !is_cold()) bytes += object()->MemoryUsage();
  return bytes;
}

size_t Entry::SampledMemoryUsage(size_t samples) const {
  size_t bytes = EntryAllocator::Capacity(this, size_class);
  if (type != ValueType::kString && !is_cold()) bytes += object()->SampledMemoryUsage(samples);
  return bytes;
}

Entry* Entry::NewString(std::string_view key, std::string_view value, int64_t expire_at, size_t value_capacity) {
  Entry* entry = Allocate(key, expire_at, std::max(value.size(), value_capacity));
  entry->value_len = static_cast<uint32_t>(value.size());
  entry->encoding = StringEncodingFor(value);
  if (!value.empty()) std::memcpy(entry->value_data(), value.data(), value.size());
  return entry;
}

Entry* Entry::NewObject(std::string_view key, ValueType type, Encoding encoding, ValueObject* object,
                        int64_t expire_at) {
  Entry* entry = Allocate(key, expire_at, sizeof(ValueObject*));
  entry->type = type;
  entry->encoding = encoding;
  entry->value_len = sizeof(ValueObject*);
  std::memcpy(entry->value_data(), &object, sizeof(object));
  return entry;
}

Entry* Entry::Reshape(const Entry* src, std::string_view key, int64_t expire_at, size_t value_capacity) {
  const size_t value_bytes = std::max<size_t>(src->value_len, value_capacity);
  Entry* entry = Allocate(key, expire_at, value_bytes);
  entry->lsn = src->lsn;
  // The slot marks (kDirty, kInTier, kTierValueCurrent) are not copied: they belong to the key in its db, and
  // Db::Relink / Db::Set carry them when the copy takes the same slot. COPY k k DB n makes
  // a copy of the same name in another db, which no dirty item names yet.
  entry->access = src->access;
  entry->type = src->type;
  entry->encoding = src->encoding;
  entry->value_len = src->value_len;
  entry->flags |= src->flags & Entry::kCold;
  std::memcpy(entry->value_data(), src->value_data(), src->value_len);
  return entry;
}

Entry* Entry::NewCold(const Entry& src, uint64_t resident_bytes) {
  Entry* entry = NewCold(src.key(), src.expire_at(), src.type, src.value_encoding(), {src.lsn, resident_bytes});
  entry->access = src.access;
  return entry;
}

Entry* Entry::NewCold(std::string_view key, int64_t expire_at, ValueType type, Encoding encoding,
                      const ColdLocator& locator) {
  Entry* entry = Allocate(key, expire_at, sizeof(ColdLocator));
  entry->lsn = locator.value_lsn;
  entry->type = type;
  entry->encoding = encoding;
  entry->flags |= Entry::kCold;
  entry->value_len = sizeof(ColdLocator);
  std::memcpy(entry->value_data(), &locator, sizeof(locator));
  return entry;
}

void Entry::Free(Entry* entry, bool keep_object) {
  if (entry == nullptr) return;
  if (entry->type != ValueType::kString && !entry->is_cold() && !keep_object) delete entry->object();
  EntryAllocator::Free(entry, entry->size_class);
}

}  // namespace tierkv
