#include "engine/keyspace_ops.h"

namespace tierkv {

Result<Entry*> FindTyped(Shard& shard, Db& db, std::string_view key, ValueType type, bool touch) {
  Entry* entry = db.Find(key, touch);
  shard.NoteLookup(db.index(), key, entry != nullptr);
  if (entry == nullptr) return static_cast<Entry*>(nullptr);
  if (entry->type != type) return Status::WrongType();
  return entry;
}

Result<Entry*> FindTypedForWrite(Db& db, std::string_view key, ValueType type) {
  Entry* entry = db.Find(key);
  if (entry == nullptr) return static_cast<Entry*>(nullptr);
  if (entry->type != type) return Status::WrongType();
  return entry;
}

Entry* AddCollection(Shard& shard, Db& db, std::string_view key, ValueType type, std::unique_ptr<ValueObject> value) {
  ValueObject* object = value.release();
  Entry* entry = Entry::NewObject(key, type, object->encoding(), object, kNoExpire);
  shard.InitAccess(entry);
  db.Set(entry);
  return entry;
}

}  // namespace tierkv
