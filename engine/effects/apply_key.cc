// Effects that act on a key of any type: DEL key, PEXPIREAT key <abs ms> and PERSIST key,
// which never need the value, and RESTORE key <abs expiry ms or 0> <DUMP payload> REPLACE
// ABSTTL, a collection's whole state.
#include <array>

#include "engine/effects/effect_verbs.h"
#include "engine/expire_ops.h"
#include "engine/key_ops.h"
#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_object.h"

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

Result<EffectAction> ParseRestore(const EffectArgs& args) {
  RestoreOptions options;
  options.replace = true;
  options.absolute_ttl = true;
  if (args.size() != 6 || !args.Int(2, &options.ttl_ms) || options.ttl_ms < 0 || !args.Is(4, "REPLACE") ||
      !args.Is(5, "ABSTTL") || !VerifyDumpPayload(args[3]).ok()) {
    return args.Malformed("RESTORE key <absolute unix ms or 0> <DUMP payload> REPLACE ABSTTL");
  }
  return EffectAction([key = args.key(), payload = args[3], options](Shard& shard, int db) -> Status {
    auto object = ParseDumpPayload(payload, shard.options().limits);
    if (!object.ok()) return object.status();
    return OpRestore(shard, db, key, NewEntryFromRdb(key, std::move(*object), kNoExpire), options);
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"DEL", ParseDel},
    EffectVerb{"RESTORE", ParseRestore},
    EffectVerb{"PEXPIREAT", ParsePExpireAt},
    EffectVerb{"PERSIST", ParsePersist},
};

}  // namespace

std::span<const EffectVerb> KeyVerbs() { return kVerbs; }

}  // namespace tierkv::effects
