// Crc32c: the CRC-32C (Castagnoli) checksum that protects journal records.
//
// CRC-32C is polynomial 0x1EDC6F41 (0x82F63B78 reflected), bits reflected on input and
// output, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF; the same function as iSCSI,
// ext4 metadata, LevelDB/RocksDB and the SSE4.2 `crc32` instruction, so tools outside
// tierkv can verify our files. Check value: Crc32c(0, "123456789", 9) == 0xE3069283.
// We chose it over Redis's CRC-64 for the journal because it detects every burst up to
// 32 bits, costs half the space per record, and has hardware support.
//
// Crc32c is incremental: Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b). The pre- and
// post-inversion happen inside each call, so callers only ever see finished values.
//
// On x86-64 CPUs with SSE4.2 the `crc32` instruction computes it; elsewhere a portable
// slicing-by-8 over eight 256-entry tables built at compile time. Both give the same values.
//
// Thread-safety: a pure function over constant tables; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tierkv {

// Extends the finished checksum `crc` (0 to start) over `len` bytes at `data`.
uint32_t Crc32c(uint32_t crc, const void* data, size_t len);

// The portable implementation Crc32c falls back to (tests compare the two).
uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t len);

}  // namespace tierkv
