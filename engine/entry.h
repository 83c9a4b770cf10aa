// Entry: one key of the keyspace and its value, in a single allocation.
//
// Layout:  [Entry header, 32 bytes][ExpireBlock, only if kHasExpire][key bytes][value]
// For strings the value bytes follow the key inline (no second allocation, which is
// what keeps a 16-byte key with a 100-byte value inside one 160-byte allocator
// class). For the collection types of later issues the value slot holds a pointer
// to a ValueObject. Adding or removing a TTL, or growing a string past its
// capacity, reallocates the entry; Db relinks it (see Db::Relink) so nobody else
// may hold an Entry* across a call that can reallocate.
//
// Thread-safety: owned by the engine thread; never touched elsewhere.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace tierkv {

// Redis's type ids (OBJ_STRING ...), so TYPE and the RDB code can share them.
enum class ValueType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4, kStream = 6 };

// Names OBJECT ENCODING reports.
enum class Encoding : uint8_t { kRaw, kInt, kEmbStr, kListpack, kQuicklist, kIntset, kHashtable, kSkiplist, kStream };

std::string_view TypeName(ValueType type);
std::string_view EncodingName(Encoding encoding);

// Base of every non-string value (hash, list, set, ...), owned by its Entry. Each type
// lives in engine/types/<type>/ with its operations; a key whose collection becomes
// empty is deleted by the operation that emptied it, so no stored value has length 0.
class ValueObject {
 public:
  virtual ~ValueObject() = default;
  // Heap bytes the value holds (what MEMORY USAGE adds to the entry's own bytes).
  virtual size_t MemoryUsage() const = 0;
  // MEMORY USAGE ... SAMPLES n: the same figure where it costs O(1); a value that would
  // walk all its elements to count them measures `samples` of them (0: all) and scales
  // the mean up to its length, as Redis's objectComputeSize does.
  virtual size_t SampledMemoryUsage(size_t samples) const {
    (void)samples;
    return MemoryUsage();
  }
  // What OBJECT ENCODING reports; for collections the value knows (it converts itself
  // at the thresholds), Entry::encoding is meaningful for strings only.
  virtual Encoding encoding() const = 0;
  // Number of elements (fields, members, entries...).
  virtual size_t Length() const = 0;
  // A deep copy (COPY); the copy keeps the encoding.
  virtual std::unique_ptr<ValueObject> Clone() const = 0;
};

constexpr int64_t kNoExpire = -1;

struct Entry {
  static constexpr uint8_t kHasExpire = 1;
  // Changed since a checkpoint round last wrote it, and queued in the ChangeLog's dirty
  // list. Follows the entry when it is reallocated under the same key; cleared when the
  // entry leaves its key (Db::Unlink), so that its new key gets queued.
  static constexpr uint8_t kDirty = 2;
  // The tier holds a state of this key (a checkpoint round wrote it, or start-up loaded
  // it), so the key leaving DRAM owes the tier a tombstone. A key created and removed
  // between two rounds owes nothing: a cache that evicts it queues no item and writes no
  // tombstone. The mark belongs to the key, not the value: it follows the entry when it
  // is reallocated or replaced under the same key, and is cleared when the entry leaves
  // its key (Db::Unlink), which tells the ChangeLog that the key's tier copy is now owed
  // a tombstone.
  static constexpr uint8_t kInTier = 4;
  // The tier holds this entry's current value bytes (so kInTier too): a checkpoint wrote
  // (or recovery loaded) them, and since then only its expiry changed (the ChangeLog
  // clears the flag on any other change), so a checkpoint writes its metadata alone.
  // Follows the entry like kDirty.
  static constexpr uint8_t kTierValueCurrent = 8;
  // A checkpoint batch holding this entry's value is being assembled or written: until it
  // lands, the tier may not hold the value (a failed write clears kTierValueCurrent), so
  // the value must not leave DRAM. Follows the entry like kDirty.
  static constexpr uint8_t kWriteInFlight = 16;
  // The value is not in DRAM: only the tier holds it (tiering: a demoted value, or one
  // left there at start-up). The value slot holds a ColdLocator instead; type and
  // encoding stay valid (encoding is kept for every type, so OBJECT ENCODING needs no
  // read). Belongs to the value: Reshape keeps it.
  static constexpr uint8_t kCold = 32;

  Entry* next;        // hash chain inside Dict
  uint64_t lsn;       // LSN of the last modification (journal; 0 until journaled)
  uint32_t access;    // LRU clock or LFU counter+time, as Redis's robj.lru
  ValueType type;
  Encoding encoding;  // strings only; see value_encoding()
  uint8_t flags;
  uint8_t size_class;  // how EntryAllocator allocated it
  uint32_t key_len;
  uint32_t value_len;  // string length; sizeof(ValueObject*) for other types

  // Optional block present when flags & kHasExpire.
  struct ExpireBlock {
    int64_t expire_at_ms;
    uint32_t volatile_index;  // position in Db's volatile-key index
    uint32_t unused;
  };

  // Where a cold value is (the value slot of a kCold entry). The LSN of the value bytes
  // the tier held when the value left DRAM tells a read that completes late whether it
  // still belongs to this entry. Shaped so that a collection can later be stored in parts.
  struct ColdLocator {
    uint64_t value_lsn;     // the entry's LSN when it was demoted (or loaded cold)
    // DRAM the value held before it left; for a value left cold at start-up, the bytes
    // the tier stores it in (its DRAM size is not known before it is read)
    uint64_t resident_bytes;
  };

  bool has_expire() const { return flags & kHasExpire; }
  bool is_cold() const { return flags & kCold; }
  ColdLocator cold_locator() const {
    ColdLocator locator;
    std::memcpy(&locator, value_data(), sizeof(locator));
    return locator;
  }
  int64_t expire_at() const { return has_expire() ? expire_block()->expire_at_ms : kNoExpire; }
  ExpireBlock* expire_block() { return reinterpret_cast<ExpireBlock*>(this + 1); }
  const ExpireBlock* expire_block() const { return reinterpret_cast<const ExpireBlock*>(this + 1); }

  size_t key_offset() const { return sizeof(Entry) + (has_expire() ? sizeof(ExpireBlock) : 0); }
  char* key_data() { return reinterpret_cast<char*>(this) + key_offset(); }
  const char* key_data() const { return reinterpret_cast<const char*>(this) + key_offset(); }
  std::string_view key() const { return {key_data(), key_len}; }

  char* value_data() { return key_data() + key_len; }
  const char* value_data() const { return key_data() + key_len; }
  std::string_view string_value() const {
    assert(!is_cold());
    return {value_data(), value_len};
  }
  ValueObject* object() const {
    assert(!is_cold());
    ValueObject* obj;
    std::memcpy(&obj, value_data(), sizeof(obj));
    return obj;
  }

  // What OBJECT ENCODING reports, for any type.
  Encoding value_encoding() const {
    return type == ValueType::kString || is_cold() ? encoding : object()->encoding();
  }
  // Replaces the value object of a non-string entry (a type that reallocates itself);
  // the old object is not freed.
  void set_object(ValueObject* obj) { std::memcpy(value_data(), &obj, sizeof(obj)); }

  // Bytes available for the string value without reallocating.
  size_t value_capacity() const;
  // Bytes this entry occupies in the allocator, value object included.
  size_t MemoryUsage() const;
  // The same with the value measured from `samples` of its elements (ValueObject's).
  size_t SampledMemoryUsage(size_t samples) const;

  // Allocation. `expire_at` == kNoExpire means no expire block.
  static Entry* NewString(std::string_view key, std::string_view value, int64_t expire_at,
                          size_t value_capacity = 0);
  static Entry* NewObject(std::string_view key, ValueType type, Encoding encoding, ValueObject* object,
                          int64_t expire_at);
  // A copy of `src` under a new key / expire / string capacity (metadata kept).
  static Entry* Reshape(const Entry* src, std::string_view key, int64_t expire_at, size_t value_capacity);
  // A cold copy of `src` (resident): same key, expiry, LSN, access, type and encoding,
  // no value; `resident_bytes` is what its value held in DRAM.
  static Entry* NewCold(const Entry& src, uint64_t resident_bytes);
  // A cold entry for a value only the tier holds (start-up leaving values there), with
  // the value's LSN as the entry's.
  static Entry* NewCold(std::string_view key, int64_t expire_at, ValueType type, Encoding encoding,
                        const ColdLocator& locator);
  // Frees the entry; the value object too unless `keep_object` (ownership moved).
  static void Free(Entry* entry, bool keep_object = false);
};

static_assert(sizeof(Entry) == 32, "Entry header must stay 32 bytes");
static_assert(sizeof(Entry::ExpireBlock) == 16);

constexpr size_t kEmbStrLimit = 44;  // Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT

// Encoding a freshly written string gets, as Redis's tryObjectEncoding decides:
// int for canonical integers that fit a long, embstr up to 44 bytes, raw above.
Encoding StringEncodingFor(std::string_view value);

}  // namespace tierkv
