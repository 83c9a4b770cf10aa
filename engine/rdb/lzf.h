// LZF: the byte-oriented LZ77 format Redis uses for compressed strings in RDB files and
// DUMP payloads (the RDB_ENC_LZF string encoding), through Debian's liblzf, the library
// Redis bundles (3.6: same hash table size, same match search, same "does it fit" checks),
// so that the same strings end up compressed and into the same bytes as in Redis.
//
// These wrappers are the boundary to liblzf: sizes are checked before its unsigned-int
// interface sees them, and its failures become a Status. liblzf's decompressor checks
// every read and write against the buffers it is given (CHECK_INPUT), so damaged input
// is reported, never read or written out of bounds.
//
// As in Redis, the compressor's hash table starts each call with whatever the stack held
// (liblzf leaves it uninitialised): a stale entry can, rarely, pick another valid match,
// so two compressions of one string may differ in bytes while both decompress to it.
//
// Thread-safety: both functions may be called from any thread (liblzf keeps its hash
// table on the caller's stack: 256 KiB on 64-bit).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

// The most a single compressed byte can expand to: a 3-byte back reference yields 264
// bytes. A claimed decompressed size above in_len * kLzfMaxExpansion is certainly corrupt.
inline constexpr size_t kLzfMaxExpansion = 88;

// Compresses `in` into at most `max_out` bytes. Returns nullopt when the output would not
// fit in `max_out` (liblzf's conservative test, so this may happen a few bytes before the
// output would really overflow), when `in` is empty, or when `in` is 2 GiB or more (not
// worth compressing in one piece). Redis asks for max_out = size - 4.
std::optional<std::string> LzfCompress(std::string_view in, size_t max_out);

// Decompresses `in`, which must decode to exactly `out_len` bytes. Damaged input gives
// Status::Corruption. Nothing is allocated when `out_len` exceeds what `in` could
// possibly expand to.
Result<std::string> LzfDecompress(std::string_view in, size_t out_len);

}  // namespace tierkv
