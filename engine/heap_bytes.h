// Estimates of the heap bytes behind small bookkeeping objects, for figures that must be
// cheap to keep (the dirty list's size, a checkpoint round's list).
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>

namespace tierkv {

// Heap bytes a std::string takes beyond the object holding it: none within its
// small-string buffer, else its capacity and terminator rounded up to jemalloc's 16-byte
// size classes.
inline size_t StringHeapBytes(const std::string& text) {
  constexpr size_t kSmallStringCapacity = 15;
  return text.capacity() <= kSmallStringCapacity ? 0 : (text.capacity() + 1 + 15) & ~size_t{15};
}

}  // namespace tierkv
