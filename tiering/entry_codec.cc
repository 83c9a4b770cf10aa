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

Result<Entry*> EntryFromTier(const TierEntry& stored, const EncodingLimits& limits) {
  RdbReader reader(stored.value);
  auto object = ReadRdbObject(reader, limits);
  auto damaged = [&](const std::string& why) {
    return Status::Corruption("tier entry db " + std::to_string(stored.db) + " key '" + stored.key + "': " + why);
  };
  if (!object.ok()) return damaged(object.status().message());
  if (!reader.at_end()) return damaged("bytes after the value");
  Entry* entry = NewEntryFromRdb(stored.key, std::move(*object), stored.expire_at_ms);
  entry->lsn = stored.lsn;
  return entry;
}

}  // namespace tierkv
