// Longest common subsequence of two strings (the LCS command), computed with
// the classic dynamic-programming table as Redis does, so that the matched
// ranges it reports (IDX) are the same ones, in the same order.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace tierkv {

// One run of consecutive matching bytes: a[a_start..a_end] == b[b_start..b_end].
struct LcsMatch {
  uint32_t a_start;
  uint32_t a_end;
  uint32_t b_start;
  uint32_t b_end;
  uint32_t length() const { return a_end - a_start + 1; }
};

struct LcsOptions {
  bool want_sequence = true;   // the LCS string itself
  bool want_matches = false;   // IDX: the matched ranges
  uint64_t min_match_len = 0;  // MINMATCHLEN: shorter ranges are not reported
};

struct LcsResult {
  uint32_t length = 0;
  std::string sequence;            // with want_sequence
  std::vector<LcsMatch> matches;   // with want_matches, from the ends of the strings backwards
};

// Fails, with Redis's texts, when the table would exceed `max_table_bytes`
// (proto-max-bulk-len) or cannot be allocated.
Result<LcsResult> ComputeLcs(std::string_view a, std::string_view b, const LcsOptions& options,
                             uint64_t max_table_bytes);

}  // namespace tierkv
