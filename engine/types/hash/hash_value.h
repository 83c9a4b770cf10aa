// The value of a HASH key, in Redis's two encodings:
//   ListpackHash  field, value, field, value... in one Listpack (engine/types/listpack.h),
//                 byte for byte as Redis stores small hashes (and as RDB type 16 carries
//                 them), for hashes within hash-max-listpack-entries and -value;
//   TableHash     a FieldTable (engine/types/hash/field_table.h): one allocation per
//                 field and value, open addressing, incremental resizing.
// A hash converts from the first to the second once a limit is passed and never back, as
// Redis's does; hash_ops.cc decides when (Redis's hashTypeTryConversion and hashTypeSet).
// Two classes rather than one with both members keep a small hash's object at 16 bytes
// (vtable pointer and listpack pointer): at ten fields a hash, that is DRAM per field.
//
// Thread-safety: plain values, engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

#include "engine/entry.h"
#include "engine/types/hash/field_table.h"
#include "engine/types/listpack.h"

namespace tierkv {

// Scratch space for reading a field and its value from a listpack, where integers are
// decoded to text. Views read through it are valid until the hash changes or the scratch
// is reused.
struct HashScratch {
  Listpack::IntBuffer field;
  Listpack::IntBuffer value;
};

class HashValue : public ValueObject {
 public:
  // visit(field, value); the views are valid during the call only.
  using Visitor = std::function<void(std::string_view field, std::string_view value)>;

  // The value of `field`; a view valid until the hash changes (or `scratch` is reused).
  virtual std::optional<std::string_view> Get(std::string_view field, Listpack::IntBuffer& scratch) const = 0;
  bool Contains(std::string_view field) const {
    Listpack::IntBuffer scratch;
    return Get(field, scratch).has_value();
  }
  // Sets `field`; true if it was added, false if an existing value was replaced. The
  // caller converts first when the limits require it (see hash_ops.cc).
  virtual bool Set(std::string_view field, std::string_view value) = 0;
  // True if the field was there.
  virtual bool Delete(std::string_view field) = 0;
  // Every field once, in storage order.
  virtual void ForEach(const Visitor& visit) const = 0;
  // One HSCAN step from `cursor`: returns the next cursor, 0 when done. A listpack hash
  // visits everything and returns 0, as Redis does.
  virtual uint64_t ScanStep(uint64_t cursor, const Visitor& visit) const = 0;
  // A uniformly chosen field and its value; the hash must not be empty.
  virtual std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng, HashScratch& scratch) const = 0;
};

class ListpackHash final : public HashValue {
 public:
  ListpackHash() = default;
  explicit ListpackHash(Listpack pairs) : pairs_(std::move(pairs)) {}

  size_t MemoryUsage() const override { return sizeof(*this) + pairs_.MemoryUsage(); }
  Encoding encoding() const override { return Encoding::kListpack; }
  size_t Length() const override { return pairs_.size() / 2; }
  std::unique_ptr<ValueObject> Clone() const override { return std::make_unique<ListpackHash>(pairs_); }

  std::optional<std::string_view> Get(std::string_view field, Listpack::IntBuffer& scratch) const override;
  bool Set(std::string_view field, std::string_view value) override;
  bool Delete(std::string_view field) override;
  void ForEach(const Visitor& visit) const override;
  uint64_t ScanStep(uint64_t cursor, const Visitor& visit) const override;
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng, HashScratch& scratch) const override;

  // The raw listpack (RDB type 16).
  const Listpack& pairs() const { return pairs_; }

 private:
  Listpack pairs_;
};

class TableHash final : public HashValue {
 public:
  TableHash() = default;
  explicit TableHash(FieldTable table) : table_(std::move(table)) {}

  size_t MemoryUsage() const override { return sizeof(*this) + table_.MemoryUsage(); }
  Encoding encoding() const override { return Encoding::kHashtable; }
  size_t Length() const override { return table_.size(); }
  std::unique_ptr<ValueObject> Clone() const override { return std::make_unique<TableHash>(FieldTable(table_)); }

  std::optional<std::string_view> Get(std::string_view field, Listpack::IntBuffer& scratch) const override;
  bool Set(std::string_view field, std::string_view value) override { return table_.Set(field, value); }
  bool Delete(std::string_view field) override { return table_.Erase(field); }
  void ForEach(const Visitor& visit) const override { table_.ForEach(visit); }
  uint64_t ScanStep(uint64_t cursor, const Visitor& visit) const override { return table_.Scan(cursor, visit); }
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng, HashScratch& scratch) const override;

  FieldTable& table() { return table_; }
  const FieldTable& table() const { return table_; }

 private:
  FieldTable table_;
};

// The hashtable form of any hash, sized for `reserve` fields or its own length if larger.
std::unique_ptr<TableHash> ConvertToTable(const HashValue& hash, size_t reserve = 0);

}  // namespace tierkv
