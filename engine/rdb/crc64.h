// Crc64: the CRC-64 Redis puts in DUMP payloads and RDB files.
//
// This is CRC-64/Jones as Redis uses it: polynomial 0xad93d23594c935a9, bits reflected
// on input and output, initial value 0, no final xor. Check value:
// Crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca. A DUMP payload ends with the CRC of
// everything before it, so RESTORE payloads from Redis verify here and ours verify there.
//
// Crc64 is incremental: Crc64(Crc64(0, a), b) == Crc64(0, a + b).
//
// Thread-safety: a pure function over a constant table; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tierkv {

// Extends `crc` (0 to start) over `len` bytes at `data`.
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

}  // namespace tierkv
