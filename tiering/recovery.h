// Recovery: rebuilds the keyspace at start-up from the tier and the journal's tail
// (design brief, "Checkpoints": the recovery rule).
//
//  1. Read the tier's metadata: C, the checkpoint LSN.
//  2. Load every key of the tier into the Shard with its stored LSN. Tombstones newer than
//     C are remembered (a key deleted at LSN T must not be revived by a record <= T);
//     older ones are only handed back for purging. With tiering, large values stay in
//     the tier (RecoveryOptions::leave_values_cold): their keys come back as cold
//     entries, read from the tier's key metadata alone, so start-up time follows the
//     number of keys, not the bytes of values.
//  3. Replay every journal record with LSN > C in order, through the engine's effect
//     applier (engine/effects/effect_applier.h). Each per-key effect is applied only if
//     the record's LSN is above the key's current LSN (its tier LSN, its tombstone LSN,
//     or the LSN of the replayed record that last touched it): the tier may already hold
//     a state newer than C, written by a round that had not finished. A FLUSHDB /
//     FLUSHALL effect removes only the keys older than the record. An effect on a cold
//     key reads its value first (Db::Find); a read that fails stops recovery, since
//     the effect would otherwise apply to a key that looks absent.
//     A FUNCTION RESTORE <payload> FLUSH effect (the function libraries after a change)
//     replaces the server state the checkpoint held (RecoveryReport::server_state).
//  4. A torn tail (the journal's last bytes end inside a record) is cut off at the last
//     good record and reported; damage anywhere else stops recovery with the file and
//     offset (repair: tierkv-check --repair). So does a journal that does not continue
//     C: a missing segment (the LSNs it held are named).
// Numbering resumes above the largest LSN seen anywhere: the checkpoint, the tier's
// entries, the journal's records and every segment's name (a segment's name is the first
// LSN its writer handed out, which may have been acknowledged and lost with an unsynced
// tail: it is never given out again), and the journal's LSN reservation, which covers
// every LSN handed out (lsn_reservation.h). Recover() only reads (tierkv-check exports
// through it) apart from cutting a torn tail; the server then calls
// StartSegmentForSkippedLsns before its journal writer opens.
//
// Thread-safety: runs on the engine thread before it serves clients.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/cold_values.h"
#include "engine/effect_record.h"
#include "engine/shard.h"
#include "engine/status.h"
#include "tiering/checkpointer.h"
#include "tiering/journal_segment.h"
#include "tiering/tier.h"

namespace tierkv {

struct RecoveryOptions {
  std::string journal_dir;  // empty: no journal to replay
  // Progress and warnings, one line each.
  std::function<void(const std::string& line)> log;
  // Tiering: values stay in the tier, their keys loaded as cold entries, where the tier
  // stores them in ColdStartValueBytes or more; smaller ones are read, and left cold
  // again if they decode into a value demotion would drop (IsDemotable: one that
  // compressed well).
  bool leave_values_cold = false;
};

struct RecoveryReport {
  uint64_t checkpoint_lsn = 0;
  uint64_t last_lsn = 0;            // numbering resumes above this
  uint64_t reserved_lsn = 0;        // the journal's LSN reservation (lsn_reservation.h)
  uint64_t journal_accounted_lsn = 0;  // the checkpoint, every record, every name - 1
  uint64_t keys_loaded = 0;         // keys loaded from the tier
  uint64_t keys_left_cold = 0;      // of which their value stays in the tier
  uint64_t records_replayed = 0;    // journal records newer than the checkpoint
  uint64_t effects_applied = 0;
  uint64_t effects_skipped = 0;     // the tier already held a newer state of the key
  std::optional<JournalDamage> truncated_tail;  // where a torn tail was cut
  std::vector<TombstoneRef> tombstones;          // in the tier: purge once checkpointed
  int64_t elapsed_ms = 0;
  // The server state (tier.h) as of the last record: the checkpoint's, or the one the
  // newest FUNCTION effect replayed carries.
  std::string server_state;
};

Result<RecoveryReport> Recover(Shard& shard, Tier& tier, const RecoveryOptions& options);

// With leave_values_cold, values the tier stores in this many bytes or more are not read
// at start-up: those a demotion could drop (tier-min-value-size), and at least 64 bytes,
// so that a string left cold is one OBJECT ENCODING calls raw (embstr ends at 44 bytes).
uint64_t ColdStartValueBytes(const TieringOptions& tiering);

// When numbering resumes above the LSNs the journal accounts for (the reservation is
// above them), starts an empty segment named right after them (unless the newest segment
// is that one), so that the skipped LSNs are a gap inside a segment, which the scanner
// allows, rather than one across segments, which it reports as a lost segment.
Status StartSegmentForSkippedLsns(const std::string& journal_dir, const RecoveryReport& report);

}  // namespace tierkv
