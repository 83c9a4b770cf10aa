// The journal's effect vocabulary as tierkv-check understands it (docs/ARCHITECTURE.md,
// "Effects and LSNs"): SET key value [PXAT ms], DEL key..., FLUSHDB, FLUSHALL, SWAPDB a b, SELECT n,
// and the string and TTL effects: APPEND key suffix, SETRANGE key offset bytes, SETBIT key
// offset 0|1, BITFIELD key (SET <type> <bit offset> <value>)..., PEXPIREAT key ms,
// PERSIST key.
//
// The server replays effects through its command table; the tool must not link the
// server (its Server object installs SIGINT/SIGTERM handlers and owns an io_context), so
// --export-rdb replays the same effects here through the same engine operations the
// command handlers call (OpSet, OpDel, OpAppend, OpExpire...), with expiry off as the
// server replays (a key whose expiry passed takes the effects recorded before it expired;
// the export leaves it out afterwards). When the server starts journaling a new kind of
// effect (RESTORE for collections, HSET k f v...), add it to ClassifyEffect and
// ApplyEffect: until then verification warns about it and export refuses the journal
// instead of producing a wrong file.
//
// Thread-safety: ApplyEffect runs on the thread that owns the Shard; the rest is pure.
#pragma once

#include <string>

#include "engine/effect_record.h"
#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv::check {

enum class EffectKind {
  kSet, kDel, kAppend, kSetRange, kSetBit, kBitfield, kPExpireAt, kPersist,
  kFlushDb, kFlushAll, kSwapDb, kSelect, kUnknown
};

// The kind of `effect`, and in *problem why it is malformed ("" when it is well formed).
// kUnknown for a verb outside the vocabulary (problem stays empty: a newer server may
// write it).
EffectKind ClassifyEffect(const Effect& effect, std::string* problem);

// The verb as counted in reports: upper-cased, "(empty)" for an empty effect.
std::string EffectVerb(const Effect& effect);

// Applies a per-key effect to `shard` in `db` exactly as the server's handlers would.
// SELECT, FLUSHDB, FLUSHALL and SWAPDB are Recover()'s own business (it keeps the per-key LSN
// rule for them) and are refused here, like unknown or malformed effects.
Status ApplyEffect(Shard& shard, int db, const Effect& effect);

}  // namespace tierkv::check
