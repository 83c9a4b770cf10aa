// SecondHitWindow: promotion admission for values read from the tier (design brief,
// "Tiering": promotion without thrashing). A value read once is served and goes back to
// the tier; one read again while its first read is still among the last `capacity`
// first reads stays in DRAM. So a scan over cold keys, or a hot set larger than the
// budget, does not push out the values that are read again and again.
//
// Keys are remembered by a 64-bit hash of (db, key): a collision admits a value early,
// which costs DRAM, never correctness.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tierkv {

class SecondHitWindow {
 public:
  explicit SecondHitWindow(size_t capacity) : ring_(capacity) {}

  // True when (db, key) was read within the window: admit it (and forget it). Otherwise
  // remembers this read, forgetting the oldest one the window holds, and returns false.
  bool Admit(int db, std::string_view key);

 private:
  static uint64_t HashOf(int db, std::string_view key);

  std::vector<uint64_t> ring_;  // first reads' hashes, the oldest overwritten first
  size_t next_ = 0;             // the slot the next first read takes
  // Hashes within the window -> the slot of their latest first read (a slot whose key
  // was admitted since, or read first again later, no longer speaks for it).
  std::unordered_map<uint64_t, size_t> in_window_;
};

}  // namespace tierkv
