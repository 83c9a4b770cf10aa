// The applier's table rows (effect_applier.h), one file per value family: each verb's
// parser reads the arguments in the exact form the engine writes them and returns the
// engine operation to run, so that a malformed effect is refused before anything changes.
//
// Thread-safety: the tables are immutable; an action runs on the Shard's thread.
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "engine/effects/effect_args.h"
#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv::effects {

// The parsed effect: runs the operation on `db` of `shard`. Views into the effect's
// words stay valid while it runs (ApplyEffect holds the effect).
using EffectAction = std::function<Status(Shard& shard, int db)>;

struct EffectVerb {
  std::string_view name;
  Result<EffectAction> (*parse)(const EffectArgs& args);
};

// Effects on a key of any type: DEL, PEXPIREAT, PERSIST, RESTORE (a whole state).
std::span<const EffectVerb> KeyVerbs();
// Strings: SET, APPEND, SETRANGE, SETBIT, BITFIELD, and PFADD (a HyperLogLog is a string).
std::span<const EffectVerb> StringVerbs();
std::span<const EffectVerb> HashVerbs();
std::span<const EffectVerb> SetVerbs();
std::span<const EffectVerb> SortedSetVerbs();
std::span<const EffectVerb> ListVerbs();
std::span<const EffectVerb> StreamVerbs();

// An operation's outcome as an action's Status: only whether it applied matters.
template <typename T>
Status Applied(const Result<T>& result) {
  return result.ok() ? Status::Ok() : result.status();
}
inline Status Applied(const Status& status) { return status; }

}  // namespace tierkv::effects
