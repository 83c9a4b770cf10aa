// Effects that act on a key of any type without its value: DEL key, PEXPIREAT key
// <abs ms>, PERSIST key.
#include <array>

#include "engine/effects/effect_verbs.h"
#include "engine/expire_ops.h"
#include "engine/key_ops.h"

namespace tierkv::effects {
namespace {

Result<EffectAction> ParseDel(const EffectArgs& args) {
  if (args.size() != 2) return args.Malformed("DEL key");
  return EffectAction([key = args.key()](Shard& shard, int db) {
    const std::string_view keys[] = {key};
    (void)OpDel(shard, db, keys, FreeReason::kUserDel);
    return Status::Ok();
  });
}

Result<EffectAction> ParsePExpireAt(const EffectArgs& args) {
  int64_t at_ms = 0;
  if (args.size() != 3 || !args.Int(2, &at_ms)) return args.Malformed("PEXPIREAT key <absolute unix ms>");
  return EffectAction([key = args.key(), at_ms](Shard& shard, int db) {
    (void)OpExpire(shard, db, key, at_ms, /*flags=*/0);  // a missing key: nothing to do, as EXPIRE
    return Status::Ok();
  });
}

Result<EffectAction> ParsePersist(const EffectArgs& args) {
  if (args.size() != 2) return args.Malformed("PERSIST key");
  return EffectAction([key = args.key()](Shard& shard, int db) {
    (void)OpPersist(shard, db, key);
    return Status::Ok();
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"DEL", ParseDel},
    EffectVerb{"PEXPIREAT", ParsePExpireAt},
    EffectVerb{"PERSIST", ParsePersist},
};

}  // namespace

std::span<const EffectVerb> KeyVerbs() { return kVerbs; }

}  // namespace tierkv::effects
