// Estimates of the heap bytes behind small bookkeeping objects, for figures that must be
// cheap to keep and close to what the allocator reports (the dirty list's size, a
// checkpoint round's list, the journal's queued records): eviction sets some of them apart
// from used_memory, and an estimate below the allocator's count leaves the difference
// counted against the keys.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <bit>
#include <cstddef>
#include <string>

#include "engine/effect_record.h"

namespace tierkv {

// The size class an allocation of `bytes` gets from jemalloc: multiples of 16 up to 128,
// then four classes per doubling (160, 192, 224, 256, 320, ...; 1025 bytes take 1280).
inline size_t AllocatorSizeClass(size_t bytes) {
  if (bytes <= 128) return (bytes + 15) / 16 * 16;
  const size_t step = std::bit_floor(bytes - 1) / 4;
  return (bytes + step - 1) / step * step;
}

// Heap bytes a std::string takes beyond the object holding it: none within its
// small-string buffer, else its capacity and terminator in the allocator's size class.
inline size_t StringHeapBytes(const std::string& text) {
  static const size_t kInlineCapacity = std::string().capacity();
  return text.capacity() <= kInlineCapacity ? 0 : AllocatorSizeClass(text.capacity() + 1);
}

// Heap bytes an effect record holds: itself, its vectors' arrays and its long strings.
inline size_t EffectRecordHeapBytes(const EffectRecord& record) {
  size_t bytes = sizeof(EffectRecord) + AllocatorSizeClass(record.effects.capacity() * sizeof(Effect));
  for (const Effect& effect : record.effects) {
    bytes += AllocatorSizeClass(effect.capacity() * sizeof(std::string));
    for (const std::string& arg : effect) bytes += StringHeapBytes(arg);
  }
  return bytes;
}

}  // namespace tierkv
