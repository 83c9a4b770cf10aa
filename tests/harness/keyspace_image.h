// Keyspace images and effect replay for durability tests.
//
//   - KeyspaceImage / ImageOf(shard): every key of every db with its value (a digest for
//     collections) and absolute expiry, comparable with ==, so a test can say "the recovered keyspace equals the
//     one before the crash" in one assertion and see the difference when it fails.
//   - TierImageOf(tier): the same for what a tier holds (tombstones apart), to check a
//     tier against a keyspace.
//   - ApplyRecord: every effect of a record through the engine's effect applier, from the
//     record's db, as recovery applies them (a replica of a primary in tests).
//   - PrintTo for EffectRecord, so that record mismatches print as commands.
//
// Thread-safety: engine thread only (they read or change a Shard).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/digest.h"
#include "engine/effect_record.h"
#include "engine/effects/effect_applier.h"
#include "engine/shard.h"
#include "harness/command_harness.h"
#include "tiering/entry_codec.h"
#include "tiering/tier.h"

namespace tierkv {

// Found by gtest through ADL: {lsn 3 db 0: SET k v | DEL x}.
inline void PrintTo(const EffectRecord& record, std::ostream* out) {
  *out << "{lsn " << record.lsn << " db " << record.db << ":";
  for (size_t i = 0; i < record.effects.size(); ++i) {
    *out << (i == 0 ? " " : " | ");
    for (size_t j = 0; j < record.effects[i].size(); ++j) *out << (j == 0 ? "" : " ") << record.effects[i][j];
  }
  *out << "}";
}

namespace testing {

struct KeyState {
  std::string value;
  int64_t expire_at_ms = kNoExpire;
  bool operator==(const KeyState&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const KeyState& state) {
  out << "'" << state.value << "'";
  if (state.expire_at_ms != kNoExpire) out << " PXAT " << state.expire_at_ms;
  return out;
}

// (db, key) -> state. std::map so that gtest prints a mismatch in key order.
using KeyspaceImage = std::map<std::pair<int, std::string>, KeyState>;

// A collection is imaged by its DEBUG DIGEST-VALUE: equal contents, equal digest,
// whatever the encoding or the order a table iterates in.
inline KeyState StateOf(const Entry& entry) {
  std::string value = entry.type == ValueType::kString
                          ? std::string(entry.string_value())
                          : std::string(TypeName(entry.type)) + " " + HexDigest(ValueDigest(entry));
  return {std::move(value), entry.expire_at()};
}

inline KeyspaceImage ImageOf(Shard& shard) {
  KeyspaceImage image;
  for (int db = 0; db < shard.db_count(); ++db) {
    shard.db(db).ForEach([&](Entry* entry) {
      image[{db, std::string(entry->key())}] = StateOf(*entry);
    });
  }
  return image;
}

// The values the tier holds, decoded; tombstones are left out.
inline KeyspaceImage TierImageOf(Tier& tier) {
  KeyspaceImage image;
  Status visited = tier.ForEach([&](TierEntry&& stored) -> Status {
    if (stored.tombstone) return Status::Ok();
    auto entry = EntryFromTier(stored);
    if (!entry.ok()) return entry.status();
    image[{static_cast<int>(stored.db), stored.key}] = StateOf(**entry);
    Entry::Free(*entry);
    return Status::Ok();
  });
  if (!visited.ok()) throw std::runtime_error("TierImageOf: " + visited.message());
  return image;
}

// Applies every effect of `record` to `shard` through the engine's effect applier
// (engine/effects/effect_applier.h), starting in the record's db; the first failure is
// returned.
inline Status ApplyRecord(Shard& shard, const EffectRecord& record) {
  int db = static_cast<int>(record.db);
  for (const Effect& effect : record.effects) {
    if (Status applied = ApplyEffect(shard, db, effect); !applied.ok()) return applied;
  }
  return Status::Ok();
}

}  // namespace testing
}  // namespace tierkv
