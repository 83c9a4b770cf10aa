// Cold values: the engine's half of tiering (design brief, "Tiering").
//
// With tiering on, maxmemory is the DRAM budget rather than a data limit: past it,
// Shard::EnforceMaxmemory demotes values instead of evicting keys. A demoted entry keeps
// its key and metadata in DRAM (Entry::kCold: type, encoding, expiry, LSN, access data)
// and its value only in the tier, so commands that need no value (EXISTS, TYPE, TTL,
// EXPIRE, DEL, SCAN, ...) never read the tier.
//
// Which values may leave DRAM (IsDemotable): only one the tier already holds in its
// current state, so demotion writes nothing and loses nothing: a checkpoint round wrote
// it (Entry::kTierValueCurrent), it has not changed since (not kDirty), and no batch
// carrying it is still being written (kWriteInFlight: a failed write would leave the
// tier without it). A dirty value leaves DRAM after the next round writes it; the
// server starts one when demotion finds nothing clean. Values smaller than
// `min_value_size` stay: their key costs as much as their value.
//
// A command that needs a cold value finds it loaded already: the server reads the values
// of the keys a command names on the tier's read executor before it runs
// (server/cold_reads.h). What it could not know in advance (SORT's BY/GET patterns, say)
// Db::Find loads through the ColdLoader, synchronously, counted as a sync load.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "engine/entry.h"
#include "engine/status.h"

namespace tierkv {

struct TieringOptions {
  bool enabled = false;         // tiering (runtime; needs a tier)
  size_t min_value_size = 64;   // tier-min-value-size: smaller values never leave DRAM
  uint64_t max_size = 0;        // tier-max-size: past it values stop leaving DRAM (0: no bound)
};

struct TieringStats {
  uint64_t demotions = 0;       // values dropped from DRAM
  uint64_t demoted_bytes = 0;   // DRAM those values held
  uint64_t promotions = 0;      // values brought back
  uint64_t sync_loads = 0;      // of which read on the engine thread (not known in advance)
  uint64_t load_failures = 0;   // reads that failed (the command saw no value)
  uint64_t demotion_starved = 0;  // times over budget with nothing clean to demote
};

// Reads a cold entry's value from the tier: a new resident entry (caller owns it; its
// metadata is replaced by the cold entry's), or why the read failed.
using ColdLoader = std::function<Result<Entry*>(int db, const Entry& cold)>;

// Whether `entry` may leave DRAM now (see above). `now_ms` rules out values about to
// expire, which are not worth the tier's space.
bool IsDemotable(const Entry& entry, const TieringOptions& options, int64_t now_ms);

// Gives `loaded`, a value just read back from the tier, the encoding `wanted` that its
// entry reported while cold (the one it had in DRAM). Decoding picks the encoding a load
// picks for the value's size (Redis's RDB load rule), but a live value keeps its own: a
// hashtable hash that shrank stays a hashtable, and so must it after a round trip
// through the tier. Collections only move towards their scalable encoding (hashtable,
// skiplist, quicklist; intset to listpack); a listpack kept while its limits were
// lowered comes back as the limits decide. A string takes the label back (an APPENDed
// number stays raw), never int for what is not one.
void KeepEncoding(Entry* loaded, Encoding wanted);

}  // namespace tierkv
