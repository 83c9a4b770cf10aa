// RDB encodings of the hash type. See rdb_collections.h.
//
// Written: a listpack hash as type 16 (its listpack blob, byte for byte), a hashtable as
// type 4 (a count, then field and value strings). Read: types 4 and 16; the pre-7.0
// zipmap (9) and ziplist (13) encodings are refused as unsupported. On load the
// encoding follows Redis's rdbLoadObject: type 16 stays a listpack unless it has more
// fields than hash-max-listpack-entries; type 4 becomes a listpack when its count and
// every field and value are within the limits. Duplicate fields and an odd listpack are
// corruption (a hash with two copies of a field would break every operation on it).
#include <algorithm>
#include <string>
#include <vector>

#include "engine/rdb/rdb_collections.h"
#include "engine/types/hash/hash_value.h"

namespace tierkv {
namespace {

Status Corrupt(std::string what) { return Status::Corruption("rdb: hash " + std::move(what)); }

Result<std::unique_ptr<ValueObject>> ReadHashListpack(RdbReader& reader, const EncodingLimits& limits) {
  Result<std::string> blob = reader.ReadString();
  if (!blob.ok()) return blob.status();
  Result<Listpack> listpack = Listpack::FromBytes(*blob);
  if (!listpack.ok()) return listpack.status();
  if (listpack->size() % 2 != 0) return Corrupt("listpack with an odd number of elements");
  auto hash = std::make_unique<ListpackHash>(std::move(*listpack));
  // Duplicate fields: sort copies of the fields and compare neighbours.
  std::vector<std::string> fields;
  fields.reserve(hash->Length());
  hash->ForEach([&](std::string_view field, std::string_view) { fields.emplace_back(field); });
  std::sort(fields.begin(), fields.end());
  if (std::adjacent_find(fields.begin(), fields.end()) != fields.end()) return Corrupt("listpack with duplicate fields");
  if (hash->Length() > limits.hash_max_listpack_entries) return std::unique_ptr<ValueObject>(ConvertToTable(*hash));
  return std::unique_ptr<ValueObject>(std::move(hash));
}

Result<std::unique_ptr<ValueObject>> ReadHashTable(RdbReader& reader, const EncodingLimits& limits) {
  Result<uint64_t> count = reader.ReadLength();
  if (!count.ok()) return count.status();
  // Every pair takes at least two bytes, so a count beyond that is damage, not a reason
  // to reserve memory.
  if (*count > reader.remaining() / 2) return Corrupt("count " + std::to_string(*count) + " past the payload");
  std::unique_ptr<HashValue> hash;
  if (*count > limits.hash_max_listpack_entries) {
    FieldTable table;
    table.Reserve(*count);
    hash = std::make_unique<TableHash>(std::move(table));
  } else {
    hash = std::make_unique<ListpackHash>();
  }
  for (uint64_t i = 0; i < *count; ++i) {
    Result<std::string> field = reader.ReadString();
    if (!field.ok()) return field.status();
    Result<std::string> value = reader.ReadString();
    if (!value.ok()) return value.status();
    if (hash->encoding() == Encoding::kListpack &&
        (field->size() > limits.hash_max_listpack_value || value->size() > limits.hash_max_listpack_value)) {
      hash = ConvertToTable(*hash, *count);
    }
    if (!hash->Set(*field, *value)) return Corrupt("with duplicate field");
  }
  return std::unique_ptr<ValueObject>(std::move(hash));
}

// A listpack whole; a hashtable's header, then a field at a time in table order.
class HashRdbCursor final : public RdbCollectionCursor {
 public:
  explicit HashRdbCursor(const ValueObject& value) : hash_(static_cast<const HashValue&>(value)) {}

  bool WriteStart(RdbEncodeSink& sink) override {
    if (hash_.encoding() == Encoding::kListpack) {
      sink.writer().WriteByte(kRdbTypeHashListpack);
      sink.String(static_cast<const ListpackHash&>(hash_).pairs().bytes());
      return true;
    }
    sink.writer().WriteByte(kRdbTypeHash);
    sink.writer().WriteLength(hash_.Length());
    return false;
  }

  bool WriteElements(RdbEncodeSink& sink) override {
    const FieldTable& table = static_cast<const TableHash&>(hash_).table();
    for (const size_t end = table.positions(); next_position_ < end; ++next_position_) {
      if (sink.full()) return false;
      if (auto pair = table.EntryAt(next_position_)) {
        sink.String(pair->first);
        sink.String(pair->second);
      }
    }
    return true;
  }

 private:
  const HashValue& hash_;
  size_t next_position_ = 0;
};

}  // namespace

std::unique_ptr<RdbValueCursor> NewRdbHashCursor(const ValueObject& hash) {
  return std::make_unique<HashRdbCursor>(hash);
}

void WriteRdbHash(RdbWriter& writer, const ValueObject& hash) { WriteWhole(writer, HashRdbCursor(hash)); }

Result<std::unique_ptr<ValueObject>> ReadRdbHash(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits) {
  switch (rdb_type) {
    case kRdbTypeHash: return ReadHashTable(reader, limits);
    case kRdbTypeHashListpack: return ReadHashListpack(reader, limits);
    case kRdbTypeHashZipmap:
    case kRdbTypeHashZiplist:
      return Status::Corruption("rdb: hash encoding " + std::to_string(rdb_type) +
                                " (zipmap/ziplist, before Redis 7.0) is not supported");
    default: return Status::Corruption("rdb: not a hash type: " + std::to_string(rdb_type));
  }
}

}  // namespace tierkv
