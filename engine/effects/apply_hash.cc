// Hash effects: HSET key field value... (HSET, HSETNX, HINCRBY and HINCRBYFLOAT with their
// results) and HDEL key field... (the fields removed).
#include <array>

#include "engine/effects/effect_verbs.h"
#include "engine/types/hash/hash_ops.h"

namespace tierkv::effects {
namespace {

Result<EffectAction> ParseHSet(const EffectArgs& args) {
  if (args.size() < 4 || args.size() % 2 != 0) return args.Malformed("HSET key field value [field value ...]");
  return EffectAction([key = args.key(), pairs = args.From(2)](Shard& shard, int db) {
    return Applied(OpHSet(shard, db, key, pairs));
  });
}

Result<EffectAction> ParseHDel(const EffectArgs& args) {
  if (args.size() < 3) return args.Malformed("HDEL key field...");
  return EffectAction([key = args.key(), fields = args.From(2)](Shard& shard, int db) {
    return Applied(OpHDel(shard, db, key, fields));
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"HSET", ParseHSet},
    EffectVerb{"HDEL", ParseHDel},
};

}  // namespace

std::span<const EffectVerb> HashVerbs() { return kVerbs; }

}  // namespace tierkv::effects
