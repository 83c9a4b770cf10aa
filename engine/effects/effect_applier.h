// The effect applier: carries one journal effect (engine/effect_record.h) into a Shard
// through the same engine operations the command handlers call. Recovery replays the
// journal's tail with it, tierkv-check --export-rdb rebuilds a keyspace with it, and a
// replica fed the journal as its stream would apply it the same way.
//
// The vocabulary is what the engine writes (docs/ARCHITECTURE.md, "Effect kinds"), in the
// exact forms it writes them: absolute times, resolved scores, IDs and counts, upper-case
// verbs and keywords. Anything else (an unknown verb, a missing or extra argument, a
// number that does not parse) is Status::Corruption naming the verb, and changes nothing:
// every argument is parsed before the operation runs. An operation that refuses the key's
// state (HSET on a string) is Corruption too: the journal does not continue that state.
//
// Each effect runs with the command clock at the wall clock and with expiry off (see
// ExpiresOnWrite in engine/expire_ops.h): a key whose expiry has passed takes the effects
// recorded before it expired, and a past expiry an effect names is stored as such. The
// key then expires once replay is over, as it did before the crash.
//
// The changes are reported to the Shard as any write reports them (KeyModified, the
// ChangeLog): the caller commits them (Shard::CommitReplayed for replay).
//
// Thread-safety: engine thread only (the Shard's owner); CheckEffect is pure.
#pragma once

#include <string_view>
#include <utility>

#include "engine/effect_record.h"
#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// Applies `effect` to `shard`. `db` is the database the effect applies to; SELECT n
// changes it (0 <= n < db_count), FLUSHDB empties it, FLUSHALL empties every one,
// SWAPDB a b exchanges two.
Status ApplyEffect(Shard& shard, int& db, const Effect& effect);

// Whether `effect` would be accepted by ApplyEffect, without applying it (tierkv-check's
// verification): Corruption naming the verb otherwise. SELECT's range is not checked.
Status CheckEffect(const Effect& effect);

// Whether `verb` is one this build applies (an unknown one may come from a newer server).
bool IsEffectVerb(std::string_view verb);

// The two dbs a SWAPDB effect exchanges, each below `db_count`; Corruption otherwise.
Result<std::pair<int, int>> SwapDbArguments(const Effect& effect, int db_count);

}  // namespace tierkv
