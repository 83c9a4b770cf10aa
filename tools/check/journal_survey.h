// JournalSurvey: one read-only pass over DATA/journal with JournalScanner, gathering what
// verification reports and what repair and export decide on: per-segment counts, the LSN
// range, the records a recovery would replay (those after the checkpoint), LSN gaps among
// them, the effect kinds, and the damage the scan stopped at.
//
// Thread-safety: plain values and a function that reads files; call from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/status.h"
#include "tiering/journal_segment.h"

namespace tierkv::check {

struct SegmentSummary {
  std::string path;
  uint64_t bytes = 0;
  uint64_t records = 0;  // whole records read before the end or the damage
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
};

struct LsnGap {
  uint64_t first = 0;  // the first missing LSN
  uint64_t last = 0;   // the last missing LSN
};

struct JournalSurvey {
  bool present = false;  // DATA/journal exists
  std::vector<SegmentSummary> segments;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
  // Records a recovery replays: LSN above the checkpoint.
  uint64_t records_after_checkpoint = 0;
  uint64_t first_after_checkpoint = 0;
  uint64_t last_after_checkpoint = 0;
  // LSNs missing among them, the first expected being checkpoint + 1. LSNs are
  // consecutive, so a gap is a record that was never journaled (appendonly was off, or
  // numbering resumed above a segment whose records were lost unsynced); a lost segment
  // is damage instead (kMissingLsns).
  std::vector<LsnGap> gaps;  // the first kMaxListed
  uint64_t gap_count = 0;
  // Effects by verb ("SET", "DEL"...), over every record read.
  std::map<std::string, uint64_t> effects;
  // Effects after the checkpoint that a server could not replay: malformed ones (errors)
  // and verbs tierkv-check does not know (warnings: a newer server may write them).
  std::vector<std::string> malformed;  // the first kMaxListed, "LSN n in file: why"
  uint64_t malformed_count = 0;
  std::map<std::string, uint64_t> unknown_after_checkpoint;
  uint32_t max_db = 0;  // the largest db a record starts in or SELECTs
  // Where the scan stopped: a torn tail (damage->truncatable) or corruption.
  std::optional<JournalDamage> damage;
  size_t damaged_segment = 0;  // index into segments, with damage
  uint64_t last_good_lsn = 0;  // the last record read before the damage
  // An OS failure listing or reading segments; the survey is then incomplete.
  Status read_error;

  static constexpr size_t kMaxListed = 10;
};

// Reads every segment of `journal_dir` (absent: an empty survey with present = false).
// With `checkpoint_known`, the journal must continue checkpoint_lsn, as a server checks at
// start-up (a gap is damage of kind kMissingLsns).
JournalSurvey SurveyJournal(const std::string& journal_dir, uint64_t checkpoint_lsn, bool checkpoint_known = true);

}  // namespace tierkv::check
