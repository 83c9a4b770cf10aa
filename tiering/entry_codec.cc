#include "tiering/entry_codec.h"

#include <string>

#include "engine/rdb/rdb_format.h"
#include "engine/rdb/rdb_object.h"

namespace tierkv {

TierEntry EntryMetadataToTier(uint32_t db, const Entry& entry) {
  TierEntry stored;
  stored.db = db;
  stored.key.assign(entry.key());
  stored.lsn = entry.lsn;
  stored.expire_at_ms = entry.expire_at();
  return stored;
}

TierEntry EntryToTier(uint32_t db, const Entry& entry) {
  TierEntry stored = EntryMetadataToTier(db, entry);
  RdbWriter writer(&stored.value);
  WriteRdbObject(writer, entry);
  return stored;
}

TierEntry TombstoneToTier(uint32_t db, std::string_view key, uint64_t lsn) {
  TierEntry stored;
  stored.db = db;
  stored.key.assign(key);
  stored.lsn = lsn;
  stored.tombstone = true;
  return stored;
}

namespace {

Status Damaged(uint32_t db, std::string_view key, const std::string& why) {
  return Status::Corruption("tier entry db " + std::to_string(db) + " key '" + std::string(key) + "': " + why);
}

Result<Entry*> DecodeStored(uint32_t db, std::string_view key, uint64_t lsn, int64_t expire_at_ms,
                            std::string_view value, const EncodingLimits& limits) {
  RdbReader reader(value);
  auto object = ReadRdbObject(reader, limits);
  if (!object.ok()) return Damaged(db, key, object.status().message());
  if (!reader.at_end()) return Damaged(db, key, "bytes after the value");
  Entry* entry = NewEntryFromRdb(key, std::move(*object), expire_at_ms);
  entry->lsn = lsn;
  return entry;
}

}  // namespace

Result<Entry*> EntryFromTier(const TierEntry& stored, const EncodingLimits& limits) {
  return DecodeStored(stored.db, stored.key, stored.lsn, stored.expire_at_ms, stored.value, limits);
}

Result<Entry*> EntryFromTier(const TierKeyMetadata& stored, std::string_view value, const EncodingLimits& limits) {
  return DecodeStored(stored.db, stored.key, stored.lsn, stored.expire_at_ms, value, limits);
}

Result<Entry*> ColdEntryFromTier(const TierKeyMetadata& stored, const EncodingLimits& limits) {
  const std::optional<StoredValueShape> shape = StoredShapeOf(stored.value_type, stored.value_size, limits);
  if (!shape.has_value()) {
    return Damaged(stored.db, stored.key, "unsupported object type " + std::string(RdbTypeName(stored.value_type)));
  }
  return Entry::NewCold(stored.key, stored.expire_at_ms, shape->type, shape->encoding,
                        {stored.lsn, stored.value_size});
}

}  // namespace tierkv
