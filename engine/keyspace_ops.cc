#include "engine/keyspace_ops.h"

namespace tierkv {

Result<Entry*> FindTyped(Shard& shard, Db& db, std::string_view key, ValueType type, bool touch) {
  Entry* entry = db.Find(key, touch);
  shard.NoteHit(entry != nullptr);
  if (entry == nullptr) return static_cast<Entry*>(nullptr);
  if (entry->type != type) return Status::WrongType();
  return entry;
}

}  // namespace tierkv
