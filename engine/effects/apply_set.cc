// Set effects: SADD key member... (as called) and SREM key member... (the members SREM
// removed, SPOP chose, SMOVE moved out).
#include <array>

#include "engine/effects/effect_verbs.h"
#include "engine/types/set/set_ops.h"

namespace tierkv::effects {
namespace {

template <auto kOperation>
Result<EffectAction> ParseMembers(const EffectArgs& args) {
  if (args.size() < 3) return args.Malformed(std::string(args.verb()) + " key member...");
  return EffectAction([key = args.key(), members = args.From(2)](Shard& shard, int db) {
    return Applied(kOperation(shard, db, key, members));
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"SADD", ParseMembers<OpSAdd>},
    EffectVerb{"SREM", ParseMembers<OpSRem>},
};

}  // namespace

std::span<const EffectVerb> SetVerbs() { return kVerbs; }

}  // namespace tierkv::effects
