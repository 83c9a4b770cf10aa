#include "engine/types/string/lcs.h"

#include <memory>
#include <new>

namespace tierkv {

Result<LcsResult> ComputeLcs(std::string_view a, std::string_view b, const LcsOptions& options,
                             uint64_t max_table_bytes) {
  // Lengths and table indexes are 32-bit, as in Redis.
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) return Status::Error("ERR String too long for LCS");
  const uint64_t alen = a.size();
  const uint64_t blen = b.size();
  const uint64_t cells = (alen + 1) * (blen + 1);
  if (cells > UINT64_MAX / sizeof(uint32_t)) {
    return Status::Error("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  if (cells * sizeof(uint32_t) > max_table_bytes) {
    return Status::Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (!table) return Status::Error("ERR Insufficient memory, failed allocating transient memory for LCS");

  // table[i][j] = LCS length of a[0..i) and b[0..j).
  const uint64_t stride = blen + 1;
  auto at = [&](uint64_t i, uint64_t j) -> uint32_t& { return table[i * stride + j]; };
  for (uint64_t j = 0; j <= blen; ++j) at(0, j) = 0;
  for (uint64_t i = 1; i <= alen; ++i) {
    at(i, 0) = 0;
    for (uint64_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        const uint32_t up = at(i - 1, j);
        const uint32_t left = at(i, j - 1);
        at(i, j) = up > left ? up : left;
      }
    }
  }

  LcsResult result;
  result.length = at(alen, blen);
  if (!options.want_sequence && !options.want_matches) return result;

  // Walk back from the end of both strings; a run of matches going
  // diagonally is one range, reported when the run ends.
  if (options.want_sequence) result.sequence.assign(result.length, '\0');
  uint32_t remaining = result.length;
  bool in_run = false;
  LcsMatch run{};
  auto close_run = [&] {
    if (options.min_match_len == 0 || run.length() >= options.min_match_len) {
      if (options.want_matches) result.matches.push_back(run);
    }
    in_run = false;
  };
  uint64_t i = alen;
  uint64_t j = blen;
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      if (options.want_sequence) result.sequence[remaining - 1] = a[i - 1];
      --remaining;
      if (!in_run) {
        run = {static_cast<uint32_t>(i - 1), static_cast<uint32_t>(i - 1), static_cast<uint32_t>(j - 1),
               static_cast<uint32_t>(j - 1)};
        in_run = true;
      } else {
        // The previous step was the diagonal neighbour: extend the run backwards.
        --run.a_start;
        --run.b_start;
      }
      --i;
      --j;
      if (run.a_start == 0 || run.b_start == 0) close_run();
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_run) close_run();
    }
  }
  return result;
}

}  // namespace tierkv
