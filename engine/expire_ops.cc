#include "engine/expire_ops.h"

#include <string>

#include "engine/key_ops.h"

namespace tierkv {

Status CheckExpireFlags(unsigned flags) {
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    return Status::Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    return Status::Error("ERR GT and LT options at the same time are not compatible");
  }
  return Status::Ok();
}

Result<int64_t> ExpireTimeMs(int64_t amount, bool seconds, int64_t base_ms, std::string_view command) {
  auto invalid = [&] { return Status::Error("ERR invalid expire time in '" + std::string(command) + "' command"); };
  if (seconds) {
    if (amount > INT64_MAX / 1000 || amount < INT64_MIN / 1000) return invalid();
    amount *= 1000;
  }
  // Only the upward overflow is checked, as Redis: base_ms is never negative.
  if (amount > INT64_MAX - base_ms) return invalid();
  return amount + base_ms;
}

bool ExpiresOnWrite(const Shard& shard, int64_t expire_at_ms) {
  return expire_at_ms != kNoExpire && expire_at_ms <= shard.now_ms() && shard.expiry_enabled();
}

Effect ExpiryEffect(std::string_view key, int64_t expire_at_ms) {
  if (expire_at_ms == kNoExpire) return MakeEffect({"PERSIST", key});
  return MakeEffect({"PEXPIREAT", key, std::to_string(expire_at_ms)});
}

bool OpExpire(Shard& shard, int db_index, std::string_view key, int64_t when_ms, unsigned flags) {
  Db& db = shard.db(db_index);
  Entry* entry = db.FindMetadata(key);
  if (entry == nullptr) return false;
  const int64_t current = entry->expire_at();  // kNoExpire (-1) when none
  if ((flags & kExpireNx) && current != kNoExpire) return false;
  if ((flags & kExpireXx) && current == kNoExpire) return false;
  // No TTL is an infinite one: never exceeded by GT, always beaten by LT.
  if ((flags & kExpireGt) && (current == kNoExpire || when_ms <= current)) return false;
  if ((flags & kExpireLt) && current != kNoExpire && when_ms >= current) return false;
  if (ExpiresOnWrite(shard, when_ms)) {
    // Redis deletes at once (and replicates a DEL); it is not counted as an expiry.
    db.Delete(key);
    shard.KeyModifiedBy(db_index, key, [&] { return DeletionEffect(key); });
    return true;
  }
  db.SetExpire(entry, when_ms);
  shard.KeyModifiedBy(db_index, key, [&] { return ExpiryEffect(key, when_ms); });
  return true;
}

int64_t OpTtl(Shard& shard, int db, std::string_view key, TtlUnit unit, bool absolute) {
  const Entry* entry = OpLookupMetadata(shard, db, key, /*touch=*/false);
  if (entry == nullptr) return -2;
  if (!entry->has_expire()) return -1;
  int64_t ms = absolute ? entry->expire_at() : entry->expire_at() - shard.now_ms();
  if (ms < 0) ms = 0;
  return unit == TtlUnit::kMilliseconds ? ms : (ms + 500) / 1000;
}

bool OpPersist(Shard& shard, int db_index, std::string_view key) {
  Db& db = shard.db(db_index);
  Entry* entry = db.FindMetadata(key);
  if (entry == nullptr || !entry->has_expire()) return false;
  db.SetExpire(entry, kNoExpire);
  shard.KeyModifiedBy(db_index, key, [&] { return ExpiryEffect(key, kNoExpire); });
  return true;
}

}  // namespace tierkv
