#include "engine/types/hash/hash_ops.h"

#include <charconv>
#include <cmath>
#include <unordered_set>
#include <utility>

#include "engine/effect_record.h"
#include "engine/glob.h"
#include "engine/keyspace_ops.h"
#include "engine/number.h"

namespace tierkv {
namespace {

// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GiB.
constexpr size_t kListpackMaxSafetySize = size_t{1} << 30;

bool IsListpack(const Entry* entry) { return entry->object()->encoding() == Encoding::kListpack; }

HashValue& HashOf(Entry* entry) { return ValueOf<HashValue>(entry); }

// Replaces the entry's listpack by a hashtable sized for `reserve` fields (Redis's
// hashTypeConvert).
HashValue& ConvertEntry(Entry* entry, size_t reserve = 0) {
  HashValue* old = &HashOf(entry);
  HashValue* fresh = ConvertToTable(*old, reserve).release();
  entry->set_object(fresh);
  entry->encoding = Encoding::kHashtable;
  delete old;
  return *fresh;
}

// Before a write of `args` (fields and values) to a listpack hash: converts if more pairs
// come than the listpack may hold, if any argument is too long, or if the listpack could
// pass its safety size (Redis's hashTypeTryConversion).
void ConvertIfArgsBreakLimits(Entry* entry, std::span<const std::string_view> args, const EncodingLimits& limits) {
  if (!IsListpack(entry)) return;
  const size_t new_fields = args.size() / 2;
  if (new_fields > limits.hash_max_listpack_entries) {
    ConvertEntry(entry, new_fields);
    return;
  }
  size_t sum = 0;
  for (std::string_view arg : args) {
    if (arg.size() > limits.hash_max_listpack_value) {
      ConvertEntry(entry);
      return;
    }
    sum += arg.size();
  }
  const auto& listpack = static_cast<const ListpackHash&>(HashOf(entry)).pairs();
  if (listpack.bytes_size() + sum > kListpackMaxSafetySize) ConvertEntry(entry);
}

// Sets one field with Redis's hashTypeSet rules: a field or value too long for a listpack
// converts first, an entry count past the limit converts after. True if the field is new.
bool SetField(Entry* entry, std::string_view field, std::string_view value, const EncodingLimits& limits) {
  if (IsListpack(entry) &&
      (field.size() > limits.hash_max_listpack_value || value.size() > limits.hash_max_listpack_value)) {
    ConvertEntry(entry);
  }
  const bool added = HashOf(entry).Set(field, value);
  if (IsListpack(entry) && HashOf(entry).Length() > limits.hash_max_listpack_entries) ConvertEntry(entry);
  return added;
}

// The hash at `key` for a write, created (empty, as a listpack) when missing. Callers
// create only when they are sure to add a field, so no empty hash is ever left behind.
Result<Entry*> FindHashForWrite(Db& db, std::string_view key) { return FindTypedForWrite(db, key, ValueType::kHash); }

Entry* CreateHash(Shard& shard, Db& db, std::string_view key) {
  return AddCollection(shard, db, key, ValueType::kHash, std::make_unique<ListpackHash>());
}

HashPair CopyPair(std::string_view field, std::string_view value, bool with_value) {
  return {std::string(field), with_value ? std::string(value) : std::string()};
}

std::vector<HashPair> AllPairs(const HashValue& hash, bool with_values) {
  std::vector<HashPair> pairs;
  pairs.reserve(hash.Length());
  hash.ForEach([&](std::string_view field, std::string_view value) {
    pairs.push_back(CopyPair(field, value, with_values));
  });
  return pairs;
}

}  // namespace

Result<const HashValue*> OpFindHash(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kHash);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return static_cast<const HashValue*>(nullptr);
  return static_cast<const HashValue*>(&HashOf(*found));
}

Result<std::optional<std::string_view>> OpHGet(Shard& shard, int db, std::string_view key, std::string_view field,
                                               Listpack::IntBuffer& scratch) {
  auto hash = OpFindHash(shard, db, key);
  if (!hash.ok()) return hash.status();
  if (*hash == nullptr) return std::optional<std::string_view>();
  return (*hash)->Get(field, scratch);
}

Result<int64_t> OpHLen(Shard& shard, int db, std::string_view key) {
  auto hash = OpFindHash(shard, db, key);
  if (!hash.ok()) return hash.status();
  return *hash == nullptr ? int64_t{0} : static_cast<int64_t>((*hash)->Length());
}

Result<int64_t> OpHStrLen(Shard& shard, int db, std::string_view key, std::string_view field) {
  Listpack::IntBuffer scratch;
  auto value = OpHGet(shard, db, key, field, scratch);
  if (!value.ok()) return value.status();
  return value->has_value() ? static_cast<int64_t>((*value)->size()) : int64_t{0};
}

Result<bool> OpHExists(Shard& shard, int db, std::string_view key, std::string_view field) {
  auto hash = OpFindHash(shard, db, key);
  if (!hash.ok()) return hash.status();
  return *hash != nullptr && (*hash)->Contains(field);
}

Result<int64_t> OpHSet(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> pairs) {
  Db& db = shard.db(db_index);
  auto found = FindHashForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found != nullptr ? *found : CreateHash(shard, db, key);
  const EncodingLimits& limits = shard.options().limits;
  ConvertIfArgsBreakLimits(entry, pairs, limits);
  int64_t added = 0;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) added += SetField(entry, pairs[i], pairs[i + 1], limits) ? 1 : 0;
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect;
    effect.reserve(pairs.size() + 2);
    effect.emplace_back("HSET");
    effect.emplace_back(key);
    for (std::string_view arg : pairs) effect.emplace_back(arg);
    return effect;
  });
  return added;
}

Result<bool> OpHSetNx(Shard& shard, int db_index, std::string_view key, std::string_view field,
                      std::string_view value) {
  Db& db = shard.db(db_index);
  auto found = FindHashForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  if (entry != nullptr && HashOf(entry).Contains(field)) return false;
  if (entry == nullptr) entry = CreateHash(shard, db, key);
  const EncodingLimits& limits = shard.options().limits;
  const std::string_view args[] = {field, value};
  ConvertIfArgsBreakLimits(entry, args, limits);
  (void)SetField(entry, field, value, limits);
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"HSET", key, field, value}); });
  return true;
}

Result<int64_t> OpHDel(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> fields) {
  Db& db = shard.db(db_index);
  auto found = FindHashForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  if (entry == nullptr) return int64_t{0};
  std::vector<std::string_view> removed;
  for (std::string_view field : fields) {
    if (!HashOf(entry).Delete(field)) continue;
    removed.push_back(field);
    if (HashOf(entry).Length() == 0) {
      // Redis never keeps an empty hash; fields after this one cannot be there.
      db.Delete(key);
      break;
    }
  }
  if (!removed.empty()) {
    shard.KeyModifiedBy(db_index, key, [&] {
      Effect effect;
      effect.reserve(removed.size() + 2);
      effect.emplace_back("HDEL");
      effect.emplace_back(key);
      for (std::string_view field : removed) effect.emplace_back(field);
      return effect;
    });
  }
  return static_cast<int64_t>(removed.size());
}

Result<int64_t> OpHIncrBy(Shard& shard, int db_index, std::string_view key, std::string_view field, int64_t delta) {
  Db& db = shard.db(db_index);
  auto found = FindHashForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  int64_t current = 0;
  if (entry != nullptr) {
    Listpack::IntBuffer scratch;
    if (auto value = HashOf(entry).Get(field, scratch); value.has_value() && !ParseInt64(*value, &current)) {
      return Status::Error("ERR hash value is not an integer");
    }
  }
  int64_t result;
  if (__builtin_add_overflow(current, delta, &result)) return Status::Overflow();
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), result);
  (void)ec;
  const std::string_view text(digits, static_cast<size_t>(end - digits));
  if (entry == nullptr) entry = CreateHash(shard, db, key);
  (void)SetField(entry, field, text, shard.options().limits);
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"HSET", key, field, text}); });
  return result;
}

Result<std::string> OpHIncrByFloat(Shard& shard, int db_index, std::string_view key, std::string_view field,
                                   long double delta) {
  Db& db = shard.db(db_index);
  auto found = FindHashForWrite(db, key);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  long double current = 0;
  if (entry != nullptr) {
    Listpack::IntBuffer scratch;
    if (auto value = HashOf(entry).Get(field, scratch); value.has_value() && !ParseLongDouble(*value, &current)) {
      return Status::Error("ERR hash value is not a float");
    }
  }
  const long double result = current + delta;
  if (std::isnan(result) || std::isinf(result)) return Status::Error("ERR increment would produce NaN or Infinity");
  std::string text = FormatLongDouble(result);
  if (entry == nullptr) entry = CreateHash(shard, db, key);
  (void)SetField(entry, field, text, shard.options().limits);
  // The text as replied, so that replay stores exactly what the client saw.
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"HSET", key, field, text}); });
  return text;
}

Result<HashScanPage> OpHScan(Shard& shard, int db, std::string_view key, uint64_t cursor,
                             const HashScanOptions& options) {
  auto found = OpFindHash(shard, db, key);
  if (!found.ok()) return found.status();
  HashScanPage page;
  const HashValue* hash = *found;
  if (hash == nullptr) return page;
  const bool use_pattern = options.pattern.has_value() && *options.pattern != "*";
  // Redis counts the items it gathered before filtering, a field and a value each.
  uint64_t gathered = 0;
  auto visit = [&](std::string_view field, std::string_view value) {
    gathered += 2;
    if (use_pattern && !GlobMatch(*options.pattern, field)) return;
    page.pairs.push_back({std::string(field), std::string(value)});
  };
  uint64_t max_steps = options.count > UINT64_MAX / 10 ? UINT64_MAX : options.count * 10;
  do {
    cursor = hash->ScanStep(cursor, visit);
  } while (cursor != 0 && max_steps-- > 0 && gathered < options.count);
  page.cursor = cursor;
  return page;
}

Result<std::optional<std::string>> OpHRandField(Shard& shard, int db, std::string_view key) {
  auto found = OpFindHash(shard, db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::optional<std::string>();
  HashScratch scratch;
  return std::optional<std::string>((*found)->Random(shard.rng(), scratch).first);
}

Result<std::vector<HashPair>> OpHRandFieldCount(Shard& shard, int db, std::string_view key, int64_t count,
                                                bool with_values) {
  auto found = OpFindHash(shard, db, key);
  if (!found.ok()) return found.status();
  std::vector<HashPair> picks;
  const HashValue* hash = *found;
  if (hash == nullptr || count == 0) return picks;
  std::mt19937_64& rng = shard.rng();
  const size_t size = hash->Length();
  const uint64_t wanted = count < 0 ? static_cast<uint64_t>(-count) : static_cast<uint64_t>(count);

  // Independent draws (a negative count, or a single field).
  if (count < 0 || count == 1) {
    picks.reserve(wanted);
    if (hash->encoding() == Encoding::kListpack) {
      // Read the listpack once rather than seeking a position per draw.
      const std::vector<HashPair> all = AllPairs(*hash, with_values);
      for (uint64_t i = 0; i < wanted; ++i) picks.push_back(all[rng() % all.size()]);
    } else {
      HashScratch scratch;
      for (uint64_t i = 0; i < wanted; ++i) {
        const auto [field, value] = hash->Random(rng, scratch);
        picks.push_back(CopyPair(field, value, with_values));
      }
    }
    return picks;
  }
  // The whole hash.
  if (wanted >= size) return AllPairs(*hash, with_values);
  // Many of the fields: choose `wanted` of them all (a partial Fisher-Yates shuffle).
  if (wanted * 3 > size || hash->encoding() == Encoding::kListpack) {
    std::vector<HashPair> all = AllPairs(*hash, with_values);
    for (size_t i = 0; i < wanted; ++i) {
      const size_t j = i + rng() % (all.size() - i);
      std::swap(all[i], all[j]);
    }
    all.resize(wanted);
    return all;
  }
  // Few of many: draw until enough distinct fields came up.
  std::unordered_set<std::string> seen;
  HashScratch scratch;
  picks.reserve(wanted);
  while (picks.size() < wanted) {
    const auto [field, value] = hash->Random(rng, scratch);
    if (!seen.emplace(field).second) continue;
    picks.push_back(CopyPair(field, value, with_values));
  }
  return picks;
}

}  // namespace tierkv
