// Redis's reverse-binary SCAN cursor (dict.c dictScan): the cursor counts through a
// power-of-two table's bucket indexes with its bits reversed, i.e. incrementing the high
// bits first. Visiting buckets in that order guarantees that an element present for a
// whole scan is returned at least once even if the table grows or shrinks between steps,
// because every bucket index already visited at one size maps onto buckets also already
// visited at the other. Shared by every hash table that answers a *SCAN.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace tierkv {

constexpr uint64_t ReverseBits64(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

// The cursor after `cursor` for a table of `mask + 1` buckets; 0 once every bucket has
// been visited.
constexpr uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;  // the bits above the mask carry straight through
  cursor = ReverseBits64(cursor);
  ++cursor;
  return ReverseBits64(cursor);
}

}  // namespace tierkv
