#include "engine/effects/effect_applier.h"

#include <string>
#include <unordered_map>

#include "engine/effects/effect_verbs.h"

namespace tierkv {
namespace {

using effects::EffectAction;
using effects::EffectArgs;
using effects::EffectVerb;

// Effects on databases rather than keys.
constexpr std::string_view kSelect = "SELECT";
constexpr std::string_view kFlushDb = "FLUSHDB";
constexpr std::string_view kFlushAll = "FLUSHALL";
constexpr std::string_view kSwapDb = "SWAPDB";

const std::unordered_map<std::string_view, const EffectVerb*>& VerbTable() {
  static const auto* table = [] {
    auto* verbs = new std::unordered_map<std::string_view, const EffectVerb*>();
    for (auto family : {effects::KeyVerbs(), effects::StringVerbs(), effects::HashVerbs(), effects::SetVerbs(),
                        effects::SortedSetVerbs(), effects::ListVerbs(), effects::StreamVerbs()}) {
      for (const EffectVerb& verb : family) verbs->emplace(verb.name, &verb);
    }
    return verbs;
  }();
  return *table;
}

// What an operation's refusal says about the key, for the Corruption it becomes.
std::string Refusal(const Status& status) {
  switch (status.code()) {
    case Code::kWrongType: return "the key holds another type";
    case Code::kNoSuchKey: return "the key is missing";
    case Code::kOutOfRange: return "an index is out of range";
    case Code::kError:
    case Code::kIoError:
    case Code::kCorruption: return status.message();
    default: return "the operation refused it (code " + std::to_string(static_cast<int>(status.code())) + ")";
  }
}

// The effect's key action, or Corruption for an unknown verb or a malformed effect.
Result<EffectAction> ParseKeyEffect(const Effect& effect) {
  auto verb = VerbTable().find(effect[0]);
  if (verb == VerbTable().end()) return Status::Corruption("unknown effect '" + effect[0] + "'");
  if (effect.size() < 2) return Status::Corruption(effect[0] + " effect without a key");
  return verb->second->parse(EffectArgs(effect));
}

Result<int> ParseSelect(const Effect& effect) {
  int64_t db = 0;
  if (effect.size() != 2 || !ParseInt64(effect[1], &db) || db < 0 || db > INT32_MAX) {
    return EffectArgs(effect).Malformed("SELECT <db>");
  }
  return static_cast<int>(db);
}

// Expiry off and the command clock at the wall clock while one effect applies.
class ReplayClock {
 public:
  explicit ReplayClock(Shard& shard) : shard_(shard), expiry_was_enabled_(shard.expiry_enabled()) {
    shard_.set_now_ms(Shard::WallClockMs());
    shard_.set_expiry_enabled(false);
  }
  ~ReplayClock() { shard_.set_expiry_enabled(expiry_was_enabled_); }
  ReplayClock(const ReplayClock&) = delete;
  ReplayClock& operator=(const ReplayClock&) = delete;

 private:
  Shard& shard_;
  bool expiry_was_enabled_;
};

}  // namespace

Status ApplyEffect(Shard& shard, int& db, const Effect& effect) {
  if (effect.empty()) return Status::Corruption("an empty effect");
  if (effect[0] == kSelect) {
    auto selected = ParseSelect(effect);
    if (!selected.ok()) return selected.status();
    if (*selected >= shard.db_count()) {
      return Status::Corruption("SELECT " + effect[1] + " names a missing db (databases is " +
                                std::to_string(shard.db_count()) + ")");
    }
    db = *selected;
    return Status::Ok();
  }
  if (effect[0] == kFlushDb || effect[0] == kFlushAll) {
    if (effect.size() != 1) return EffectArgs(effect).Malformed(effect[0]);
    effect[0] == kFlushDb ? shard.FlushDb(db) : shard.FlushAll();
    return Status::Ok();
  }
  if (effect[0] == kSwapDb) {
    auto dbs = SwapDbArguments(effect, shard.db_count());
    if (!dbs.ok()) return dbs.status();
    shard.SwapDb(dbs->first, dbs->second);
    return Status::Ok();
  }
  auto action = ParseKeyEffect(effect);
  if (!action.ok()) return action.status();
  ReplayClock clock(shard);
  Status applied = (*action)(shard, db);
  if (applied.ok()) return applied;
  return Status::Corruption(effect[0] + " does not apply to key '" + effect[1] + "': " + Refusal(applied));
}

Status CheckEffect(const Effect& effect) {
  if (effect.empty()) return Status::Corruption("an empty effect");
  if (effect[0] == kSelect) return ParseSelect(effect).status();
  if (effect[0] == kFlushDb || effect[0] == kFlushAll) {
    return effect.size() == 1 ? Status::Ok() : EffectArgs(effect).Malformed(effect[0]);
  }
  if (effect[0] == kSwapDb) return SwapDbArguments(effect, INT32_MAX).status();
  return ParseKeyEffect(effect).status();
}

bool IsEffectVerb(std::string_view verb) {
  return verb == kSelect || verb == kFlushDb || verb == kFlushAll || verb == kSwapDb || VerbTable().contains(verb);
}

Result<std::pair<int, int>> SwapDbArguments(const Effect& effect, int db_count) {
  int64_t a = 0;
  int64_t b = 0;
  if (effect.size() != 3 || !ParseInt64(effect[1], &a) || !ParseInt64(effect[2], &b) || a < 0 || b < 0) {
    return EffectArgs(effect).Malformed("SWAPDB <db> <db>");
  }
  if (a >= db_count || b >= db_count) {
    return Status::Corruption("SWAPDB " + effect[1] + " " + effect[2] + " names a missing db (databases is " +
                              std::to_string(db_count) + ")");
  }
  return std::pair<int, int>(static_cast<int>(a), static_cast<int>(b));
}

}  // namespace tierkv
