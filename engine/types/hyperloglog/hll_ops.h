// Operations behind the HyperLogLog commands (the Op* half of PFADD, PFCOUNT, PFMERGE,
// PFDEBUG). An HLL is a string value in Redis's exact layout (hll_format.h), edited in
// place inside its Entry; any string that is not a valid HLL answers Redis's
// "WRONGTYPE Key is not a valid HyperLogLog string value.", a damaged one
// "INVALIDOBJ Corrupted HLL object detected".
//
// Journaling: PFADD reports its own effect, {"PFADD", key, elements...}: the hash is
// fixed, so replaying it on the key's previous state redoes the same register changes.
// PFMERGE and PFDEBUG's conversions journal the resulting value. PFCOUNT of one key
// stores the cardinality it computed in the value's header cache, as Redis does, and
// reports that as a change of the key (Redis counts it as one too: it breaks a WATCH):
// journaled as SETRANGE of the 8 cache bytes, so a checkpoint writes the value with its
// cache and a value that leaves DRAM right after comes back with it, as GET and DUMP
// showed it before.
//
// Like Redis, every command that may write the value (PFCOUNT of one key included)
// leaves the entry raw-encoded (dbUnshareStringValue).
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// PFADD: true if a register changed or the key was created.
Result<bool> OpPfAdd(Shard& shard, int db, std::string_view key, std::span<const std::string_view> elements);

// PFCOUNT: one key's cardinality (cached in its header), or the cardinality of the union
// of several keys. Missing keys count as empty HLLs.
Result<uint64_t> OpPfCount(Shard& shard, int db, std::span<const std::string_view> keys);

// PFMERGE dest source...: dest becomes the union of itself and the sources (created if
// missing, dense if any input is dense).
Status OpPfMerge(Shard& shard, int db, std::string_view dest, std::span<const std::string_view> sources);

enum class PfDebugCommand {
  kGetReg,    // the 16384 registers (converts a sparse value to dense, as Redis does)
  kDecode,    // the sparse opcodes as text
  kEncoding,  // "dense" or "sparse"
  kToDense,   // converts; reports whether it did
  kNone,      // only the key checks (an unknown subcommand is reported after them)
};

struct PfDebugResult {
  std::vector<uint8_t> registers;  // kGetReg
  std::string text;                // kDecode, kEncoding
  bool converted = false;          // kToDense
};

Result<PfDebugResult> OpPfDebug(Shard& shard, int db, std::string_view key, PfDebugCommand command);

}  // namespace tierkv
