#include "engine/types/string/string_ops.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "engine/expire_ops.h"
#include "engine/keyspace_ops.h"
#include "engine/number.h"

namespace tierkv {
namespace {

// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: values built whole (not edited in
// place) up to this size are embstr.

// The entry at `key` for a write (no hit/miss counting, as Redis's
// lookupKeyWrite); nullptr if missing, WrongType for another type.
Result<Entry*> FindStringForWrite(Db& db, std::string_view key) {
  Entry* entry = db.Find(key);
  if (entry != nullptr && entry->type != ValueType::kString) return Status::WrongType();
  return entry;
}

// Grows the string value of `entry` to `new_len` bytes, the new bytes zero.
// Returns the (possibly moved) entry.
Entry* GrowZeroed(Db& db, Entry* entry, size_t new_len) {
  const size_t old_len = entry->value_len;
  if (new_len <= old_len) return entry;
  entry = db.ReserveString(entry, new_len);
  std::memset(entry->value_data() + old_len, 0, new_len - old_len);
  entry->value_len = static_cast<uint32_t>(new_len);
  return entry;
}

// Replaces the whole value of a string entry, in place when it fits; keeps
// the TTL and access information (Redis's dbReplaceValue).
void ReplaceValue(Db& db, Entry* entry, std::string_view value, Encoding encoding) {
  entry = db.ReserveString(entry, value.size());
  std::memcpy(entry->value_data(), value.data(), value.size());
  entry->value_len = static_cast<uint32_t>(value.size());
  entry->encoding = encoding;
}

// Stores a new string entry for a key that is absent.
void AddString(Shard& shard, Db& db, std::string_view key, std::string_view value, Encoding encoding) {
  Entry* fresh = Entry::NewString(key, value, kNoExpire);
  fresh->encoding = encoding;
  shard.InitAccess(fresh);
  db.Set(fresh);
}

}  // namespace

Status StringTooLong() { return Status::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"); }

Result<std::optional<std::string_view>> OpGet(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::optional<std::string_view>();
  return std::optional<std::string_view>((*found)->string_value());
}

Result<SetOutcome> OpSet(Shard& shard, int db_index, std::string_view key, std::string_view value,
                         const SetOptions& options) {
  Db& db = shard.db(db_index);
  // Only GET reads the old value; NX, XX and KEEPTTL need its metadata.
  Entry* existing = options.return_old ? db.Find(key) : db.FindMetadata(key);
  // GET reads the key as GET does (Redis's getGenericCommand): a hit or a miss.
  if (options.return_old) shard.NoteLookup(db_index, key, existing != nullptr);
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
  if (ExpiresOnWrite(shard, expire_at)) {
    // Already expired: the write deletes the key, as Redis does.
    if (existing != nullptr) db.Delete(key);
    shard.KeyModifiedBy(db_index, key, [&] { return DeletionEffect(key); });
    outcome.written = true;
    return outcome;
  }
  Entry* fresh = Entry::NewString(key, value, expire_at);
  shard.InitAccess(fresh);
  db.Set(fresh);
  // KEEPTTL, NX, XX and GET are resolved: the effect is the value with its absolute expiry.
  shard.KeyModifiedBy(db_index, key, [&] { return StringStateEffect(key, value, expire_at); });
  outcome.written = true;
  return outcome;
}

Result<std::optional<std::string>> OpGetDel(Shard& shard, int db_index, std::string_view key) {
  Db& db = shard.db(db_index);
  auto found = FindTyped(shard, db, key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::optional<std::string>();
  std::optional<std::string> value(std::in_place, (*found)->string_value());
  db.Delete(key);
  shard.KeyModifiedBy(db_index, key, [&] { return DeletionEffect(key); });
  return value;
}

Result<std::optional<std::string>> OpGetEx(Shard& shard, int db_index, std::string_view key,
                                           const GetExOptions& options) {
  Db& db = shard.db(db_index);
  auto found = FindTyped(shard, db, key, ValueType::kString);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  if (entry == nullptr) return std::optional<std::string>();
  std::optional<std::string> value(std::in_place, entry->string_value());
  switch (options.action) {
    case GetExOptions::Action::kNone:
      break;
    case GetExOptions::Action::kSetExpire:
      // Only EXAT/PXAT can name a time already past; the key goes at once.
      if (ExpiresOnWrite(shard, options.expire_at_ms)) {
        db.Delete(key);
        shard.KeyModifiedBy(db_index, key, [&] { return DeletionEffect(key); });
      } else {
        db.SetExpire(entry, options.expire_at_ms);
        shard.KeyModifiedBy(db_index, key, [&] { return ExpiryEffect(key, options.expire_at_ms); });
      }
      break;
    case GetExOptions::Action::kPersist:
      if (entry->has_expire()) {
        db.SetExpire(entry, kNoExpire);
        shard.KeyModifiedBy(db_index, key, [&] { return ExpiryEffect(key, kNoExpire); });
      }
      break;
  }
  return value;
}

void OpMSet(Shard& shard, int db_index, std::span<const std::string_view> pairs) {
  Db& db = shard.db(db_index);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    Entry* fresh = Entry::NewString(pairs[i], pairs[i + 1], kNoExpire);
    shard.InitAccess(fresh);
    db.Set(fresh);
    shard.KeyModifiedBy(db_index, pairs[i], [&] { return StringStateEffect(pairs[i], pairs[i + 1], kNoExpire); });
  }
}

bool OpMSetNx(Shard& shard, int db_index, std::span<const std::string_view> pairs) {
  Db& db = shard.db(db_index);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    if (db.FindMetadata(pairs[i]) != nullptr) return false;
  }
  OpMSet(shard, db_index, pairs);
  return true;
}

Result<int64_t> OpAppend(Shard& shard, int db_index, std::string_view key, std::string_view suffix,
                         uint64_t max_len) {
  Db& db = shard.db(db_index);
  auto found = FindStringForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  if (entry == nullptr) {
    // A new key is the argument itself, encoded as SET would encode it.
    AddString(shard, db, key, suffix, StringEncodingFor(suffix));
    shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"APPEND", key, suffix}); });
    return static_cast<int64_t>(suffix.size());
  }
  const size_t old_len = entry->value_len;
  if (old_len + suffix.size() > max_len) return StringTooLong();
  entry = db.ReserveString(entry, old_len + suffix.size());
  if (!suffix.empty()) std::memcpy(entry->value_data() + old_len, suffix.data(), suffix.size());
  entry->value_len = static_cast<uint32_t>(old_len + suffix.size());
  entry->encoding = Encoding::kRaw;
  // The suffix alone: what the change costs, not what the value weighs.
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"APPEND", key, suffix}); });
  return static_cast<int64_t>(entry->value_len);
}

Result<int64_t> OpStrLen(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  return *found == nullptr ? int64_t{0} : static_cast<int64_t>((*found)->value_len);
}

Result<int64_t> OpIncrBy(Shard& shard, int db_index, std::string_view key, int64_t delta) {
  Db& db = shard.db(db_index);
  auto found = FindStringForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  int64_t current = 0;
  if (entry != nullptr && !ParseInt64(entry->string_value(), &current)) return Status::NotInteger();
  int64_t result;
  if (__builtin_add_overflow(current, delta, &result)) return Status::Overflow();

  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), result);
  (void)ec;
  const std::string_view text(digits, static_cast<size_t>(end - digits));
  const int64_t expire_at = entry == nullptr ? kNoExpire : entry->expire_at();
  if (entry == nullptr) {
    AddString(shard, db, key, text, Encoding::kInt);
  } else {
    // The hot path: the digits are rewritten inside the existing entry.
    ReplaceValue(db, entry, text, Encoding::kInt);
  }
  // The result is as small as the increment, and needs no old value to apply.
  shard.KeyModifiedBy(db_index, key, [&] { return StringStateEffect(key, text, expire_at); });
  return result;
}

Result<std::string> OpIncrByFloat(Shard& shard, int db_index, std::string_view key, std::string_view increment) {
  Db& db = shard.db(db_index);
  auto found = FindStringForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  long double current = 0;
  if (entry != nullptr && !ParseLongDouble(entry->string_value(), &current)) return Status::NotFloat();
  long double delta;
  if (!ParseLongDouble(increment, &delta)) return Status::NotFloat();
  const long double result = current + delta;
  if (std::isnan(result) || std::isinf(result)) {
    return Status::Error("ERR increment would produce NaN or Infinity");
  }
  std::string text = FormatLongDouble(result);
  // Redis builds the result as a plain string object: never int-encoded.
  const Encoding encoding = text.size() <= kEmbStrLimit ? Encoding::kEmbStr : Encoding::kRaw;
  const int64_t expire_at = entry == nullptr ? kNoExpire : entry->expire_at();
  if (entry == nullptr) {
    AddString(shard, db, key, text, encoding);
  } else {
    ReplaceValue(db, entry, text, encoding);
  }
  // The resulting value: a float sum is not replayed (design brief, "The journal").
  shard.KeyModifiedBy(db_index, key, [&] { return StringStateEffect(key, text, expire_at); });
  return text;
}

Result<std::string_view> OpGetRange(Shard& shard, int db, std::string_view key, int64_t start, int64_t end) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::string_view();
  const std::string_view value = (*found)->string_value();
  const int64_t len = static_cast<int64_t>(value.size());
  // Both negative and reversed: empty, before clamping could make them meet.
  if (start < 0 && end < 0 && start > end) return std::string_view();
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return std::string_view();
  return value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
}

Result<int64_t> OpSetRange(Shard& shard, int db_index, std::string_view key, uint64_t offset, std::string_view value,
                           uint64_t max_len) {
  // As Redis: the type is checked before the value or the size.
  auto existing = FindStringForWrite(shard.db(db_index), key);
  if (!existing.ok()) return existing.status();
  // Writing nothing creates nothing and changes nothing.
  if (value.empty()) return *existing == nullptr ? int64_t{0} : static_cast<int64_t>((*existing)->value_len);
  if (offset > max_len || value.size() > max_len - offset) return StringTooLong();
  size_t old_len = 0;
  auto found = LookupStringForWrite(shard, db_index, key, static_cast<size_t>(offset) + value.size(), &old_len);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  std::memcpy(entry->value_data() + offset, value.data(), value.size());
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"SETRANGE", key, std::to_string(offset), value}); });
  return static_cast<int64_t>(entry->value_len);
}

Result<std::pair<std::string, std::string>> OpLcsLoad(Shard& shard, int db_index, std::string_view key_a,
                                                      std::string_view key_b) {
  Db& db = shard.db(db_index);
  bool wrong_type = false;
  // Each value is copied before the next lookup, which may delete entries.
  auto load = [&](std::string_view key) {
    auto found = FindTyped(shard, db, key, ValueType::kString);
    if (!found.ok()) {
      wrong_type = true;
      return std::string();
    }
    return *found == nullptr ? std::string() : std::string((*found)->string_value());
  };
  std::string a = load(key_a);
  std::string b = load(key_b);
  if (wrong_type) return Status::Error("ERR The specified keys must contain string values");
  return std::make_pair(std::move(a), std::move(b));
}

Result<Entry*> LookupStringForWrite(Shard& shard, int db_index, std::string_view key, size_t min_len,
                                    size_t* old_len) {
  Db& db = shard.db(db_index);
  auto found = FindStringForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  if (entry == nullptr) {
    *old_len = 0;
    entry = Entry::NewString(key, {}, kNoExpire, min_len);
    std::memset(entry->value_data(), 0, min_len);
    entry->value_len = static_cast<uint32_t>(min_len);
    shard.InitAccess(entry);
    db.Set(entry);
  } else {
    *old_len = entry->value_len;
    entry = GrowZeroed(db, entry, min_len);
  }
  // Bit commands edit the bytes in place: Redis unshares the value as raw.
  entry->encoding = Encoding::kRaw;
  return entry;
}

}  // namespace tierkv
