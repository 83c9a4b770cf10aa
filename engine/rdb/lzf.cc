// LZF compressor and bounds-checked decompressor. See lzf.h for the format.
//
// The compressor follows liblzf's algorithm step for step (same hash, same match search,
// same bookkeeping after a match, same capacity checks) because Redis decides whether to
// store a string compressed from whether liblzf's output fits, and we want identical
// decisions and identical bytes. It is written with indices instead of pointers.
#include "engine/rdb/lzf.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace tierkv {
namespace {

constexpr int kHashLog = 16;
constexpr size_t kHashSize = size_t{1} << kHashLog;
constexpr size_t kMaxLiteral = 32;     // longest literal run
constexpr size_t kMaxOffset = 8192;    // farthest back reference (distance - 1 < this)
constexpr size_t kMaxMatch = 264;      // longest back reference
constexpr size_t kMaxInput = size_t{1} << 31;

// liblzf's hash of three bytes: `h` holds them in its low 24 bits (older bytes above
// are shifted out by the mask).
inline uint32_t HashIndex(uint32_t h) {
  return ((h >> (3 * 8 - kHashLog)) - h * 5) & (kHashSize - 1);
}

// The hash table maps a hash of three bytes to the latest input position with that hash.
// Positions are stored as base_ + position, so entries from earlier calls (below base_)
// read as empty without clearing 256 KiB for every string.
class Compressor {
 public:
  Compressor() : table_(kHashSize, 0) {}

  std::optional<std::string> Compress(std::string_view input, size_t max_out);

 private:
  // Starts a new input of `n` bytes: makes every existing entry read as empty.
  void Reset(size_t n) {
    if (uint64_t{next_base_} + n + 1 > std::numeric_limits<uint32_t>::max()) {
      std::fill(table_.begin(), table_.end(), 0);
      next_base_ = 1;
    }
    base_ = next_base_;
    next_base_ = static_cast<uint32_t>(base_ + n + 1);
  }
  // Returns the previous position stored for `hash` (or nullopt), then stores `pos`.
  std::optional<size_t> Exchange(uint32_t hash, size_t pos) {
    uint32_t old = table_[HashIndex(hash)];
    table_[HashIndex(hash)] = static_cast<uint32_t>(base_ + pos);
    if (old < base_) return std::nullopt;
    return old - base_;
  }
  void Store(uint32_t hash, size_t pos) { table_[HashIndex(hash)] = static_cast<uint32_t>(base_ + pos); }

  std::vector<uint32_t> table_;
  uint32_t base_ = 1;
  uint32_t next_base_ = 1;
};

std::optional<std::string> Compressor::Compress(std::string_view input, size_t max_out) {
  const size_t n = input.size();
  if (n == 0 || max_out == 0 || n >= kMaxInput) return std::nullopt;
  // liblzf's output never exceeds n + n/32 + 1, so a larger budget changes nothing.
  max_out = std::min(max_out, n + n / kMaxLiteral + 16);
  Reset(n);

  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  // One spare byte: like liblzf, we may reserve a run header just past max_out before
  // the capacity check that then gives up.
  std::string output(max_out + 1, '\0');
  auto* out = reinterpret_cast<unsigned char*>(output.data());

  size_t ip = 0;       // next input byte
  size_t op = 1;       // next output byte; out[run_header] is reserved for the run length
  size_t run_header = 0;
  size_t literals = 0;  // bytes in the current literal run

  auto start_run = [&] {
    literals = 0;
    run_header = op++;
  };
  // Writes the pending run's header, or gives back its reserved byte if it is empty.
  auto close_run = [&] {
    if (literals > 0) {
      out[run_header] = static_cast<unsigned char>(literals - 1);
    } else {
      --op;
    }
  };
  auto copy_literal = [&] {
    out[op++] = in[ip++];
    if (++literals == kMaxLiteral) {
      out[run_header] = static_cast<unsigned char>(kMaxLiteral - 1);
      start_run();
    }
  };

  uint32_t hash = n >= 2 ? (uint32_t{in[0]} << 8) | in[1] : 0;
  while (ip + 2 < n) {
    hash = (hash << 8) | in[ip + 2];
    std::optional<size_t> ref = Exchange(hash, ip);
    // Position 0 is never a reference (liblzf's `ref > in_data`).
    bool match = ref.has_value() && *ref > 0 && ip - *ref - 1 < kMaxOffset &&
                 in[*ref] == in[ip] && in[*ref + 1] == in[ip + 1] && in[*ref + 2] == in[ip + 2];
    if (!match) {
      if (op >= max_out) return std::nullopt;
      copy_literal();
      continue;
    }

    const size_t from = *ref;
    const size_t offset = ip - from - 1;
    const size_t max_len = std::min(n - ip - 2, kMaxMatch);
    close_run();
    if (op + 4 >= max_out) return std::nullopt;

    // Extend the match. liblzf first compares 16 bytes unconditionally when max_len > 16
    // (which can carry a match up to two bytes past max_len, never past the input), then
    // steps on while under max_len. Reproduced exactly for identical output.
    size_t len = 2;  // bytes known to match, minus the one the loops below pre-increment
    bool mismatch = false;
    if (max_len > 16) {
      for (int i = 0; i < 16 && !mismatch; ++i) {
        ++len;
        mismatch = in[from + len] != in[ip + len];
      }
    }
    if (!mismatch) {
      do {
        ++len;
      } while (len < max_len && in[from + len] == in[ip + len]);
    }
    // Now `len` is the match length.

    const size_t code = len - 2;  // the token stores length - 2
    if (code < 7) {
      out[op++] = static_cast<unsigned char>((offset >> 8) + (code << 5));
    } else {
      out[op++] = static_cast<unsigned char>((offset >> 8) + (7 << 5));
      out[op++] = static_cast<unsigned char>(code - 7);
    }
    out[op++] = static_cast<unsigned char>(offset & 0xff);
    start_run();

    ip += len;
    if (ip + 2 >= n) break;
    // Hash the last two positions of the match so later input can refer into it.
    ip -= 2;
    hash = (uint32_t{in[ip]} << 8) | in[ip + 1];
    hash = (hash << 8) | in[ip + 2];
    Store(hash, ip);
    ++ip;
    hash = (hash << 8) | in[ip + 2];
    Store(hash, ip);
    ++ip;
  }

  // At most two input bytes remain; they, plus perhaps one more run header, need 3 bytes.
  if (op + 3 > max_out) return std::nullopt;
  while (ip < n) copy_literal();
  close_run();

  output.resize(op);
  return output;
}

}  // namespace

std::optional<std::string> LzfCompress(std::string_view in, size_t max_out) {
  thread_local Compressor compressor;
  return compressor.Compress(in, max_out);
}

Result<std::string> LzfDecompress(std::string_view in, size_t out_len) {
  // ceil(out_len / kLzfMaxExpansion) input bytes at least; written not to overflow.
  if (out_len / kLzfMaxExpansion + (out_len % kLzfMaxExpansion != 0) > in.size()) {
    return Status::Corruption("lzf: decompressed size larger than the input can encode");
  }
  std::string output(out_len, '\0');
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  const size_t in_len = in.size();
  char* out = output.data();
  size_t ip = 0;
  size_t op = 0;

  while (ip < in_len) {
    const size_t ctrl = src[ip++];
    if (ctrl < 32) {
      const size_t run = ctrl + 1;
      if (run > in_len - ip) return Status::Corruption("lzf: literal run past end of input");
      if (run > out_len - op) return Status::Corruption("lzf: output larger than declared");
      std::memcpy(out + op, src + ip, run);
      ip += run;
      op += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in_len) return Status::Corruption("lzf: back reference past end of input");
      len += src[ip++];
    }
    if (ip >= in_len) return Status::Corruption("lzf: back reference past end of input");
    const size_t distance = ((ctrl & 0x1f) << 8) + src[ip++] + 1;
    len += 2;
    if (distance > op) return Status::Corruption("lzf: back reference before start of output");
    if (len > out_len - op) return Status::Corruption("lzf: output larger than declared");
    // Byte by byte: the source may overlap the bytes being written.
    for (size_t from = op - distance, end = op + len; op < end;) out[op++] = out[from++];
  }
  if (op != out_len) return Status::Corruption("lzf: output shorter than declared");
  return output;
}

}  // namespace tierkv
