// EffectRecord: what one write command (or one MULTI/EXEC transaction, or one expiry or
// eviction step) did to the keyspace, as the journal stores it.
//
// Each effect is an ordinary Redis command as an argument vector ({"SET","k","v","PXAT",
// "1700000000000"}, {"DEL","k"}, {"FLUSHDB"}) that depends only on its own key's previous
// state: it names absolute times and resulting values, never "now" or chance, so replaying
// it later gives the same state (design brief, "The journal (effect log)"). A {"SELECT",
// "n"} effect switches the database for the effects after it; `db` is where the record
// starts.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

using Effect = std::vector<std::string>;

// An effect from its words: MakeEffect({"HSET", key, field, value}).
inline Effect MakeEffect(std::initializer_list<std::string_view> words) {
  Effect effect;
  effect.reserve(words.size());
  for (std::string_view word : words) effect.emplace_back(word);
  return effect;
}

struct EffectRecord {
  uint64_t lsn = 0;  // monotonic across the whole journal
  uint32_t db = 0;
  std::vector<Effect> effects;

  bool operator==(const EffectRecord&) const = default;
};

}  // namespace tierkv
