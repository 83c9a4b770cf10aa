// Fixed-width little-endian integers in byte buffers, for the journal's on-disk headers.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tierkv {

template <typename T>
inline void StoreLittleEndian(T value, char* p) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

template <typename T>
inline T LoadLittleEndian(const char* p) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return value;
}

}  // namespace tierkv
