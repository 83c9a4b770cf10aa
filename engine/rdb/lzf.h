// LZF: the byte-oriented LZ77 format Redis uses for compressed strings in RDB files and
// DUMP payloads (the RDB_ENC_LZF string encoding).
//
// A compressed stream is a sequence of tokens, each starting with a control byte:
//   000LLLLL <L+1 literal bytes>          copy L+1 (1..32) bytes from the input
//   LLLooooo oooooooo                     back reference, L in 1..6: copy L+2 bytes
//   111ooooo LLLLLLLL oooooooo            back reference: copy L+9 (9..264) bytes
// where the 13-bit o is the distance minus one (1..8192) back from the end of the output
// produced so far. Copies may overlap their own output (that is how runs are encoded).
//
// LzfCompress produces byte for byte what Redis's bundled liblzf 3.6 produces (HLOG 16,
// VERY_FAST), including its conservative "does it fit" checks, so that our DUMP payloads
// equal Redis's and the same strings end up compressed. The one deliberate difference:
// liblzf leaves its hash table uninitialised, which can very rarely let stale entries
// from an earlier call produce a different (still valid) match; ours starts every call
// from an empty table, so its output is a pure function of its input.
//
// Thread-safety: both functions may be called from any thread. LzfCompress keeps a
// per-thread 256 KiB scratch hash table (allocated on a thread's first call); no state
// is shared between threads or carried from one call's result into another's.
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
// fit in `max_out` (using liblzf's conservative test, so this may happen a few bytes
// before the output would really overflow), when `in` is empty, or when `in` is 2 GiB
// or more (not worth compressing in one piece). Redis asks for max_out = size - 4.
std::optional<std::string> LzfCompress(std::string_view in, size_t max_out);

// Decompresses `in`, which must decode to exactly `out_len` bytes and end on a token
// boundary. Every read and write is bounds-checked: damaged input gives
// Status::Corruption, never a read or write outside the buffers. Nothing is allocated
// when `out_len` exceeds what `in` could possibly expand to.
Result<std::string> LzfDecompress(std::string_view in, size_t out_len);

}  // namespace tierkv
