#include "engine/string_ops.h"

#include "engine/keyspace_ops.h"

namespace tierkv {

Result<std::optional<std::string_view>> OpGet(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::optional<std::string_view>();
  return std::optional<std::string_view>((*found)->string_value());
}

Result<SetOutcome> OpSet(Shard& shard, int db_index, std::string_view key, std::string_view value,
                         const SetOptions& options) {
  Db& db = shard.db(db_index);
  Entry* existing = db.Find(key);
  SetOutcome outcome;
  if (options.return_old && existing != nullptr) {
    if (existing->type != ValueType::kString) return Status::WrongType();
    outcome.old_value = std::string(existing->string_value());
  }
  if ((options.condition == SetOptions::Condition::kIfMissing && existing != nullptr) ||
      (options.condition == SetOptions::Condition::kIfExists && existing == nullptr)) {
    return outcome;
  }
  int64_t expire_at = options.expire_at_ms;
  if (options.keep_ttl && existing != nullptr) expire_at = existing->expire_at();
  if (expire_at != kNoExpire && expire_at <= shard.now_ms()) {
    // Already expired: the write deletes the key, as Redis does.
    if (existing != nullptr) db.Delete(key);
    shard.KeyModified(db_index, key);
    outcome.written = true;
    return outcome;
  }
  Entry* fresh = Entry::NewString(key, value, expire_at);
  shard.InitAccess(fresh);
  db.Set(fresh);
  shard.KeyModified(db_index, key);
  outcome.written = true;
  return outcome;
}

}  // namespace tierkv
