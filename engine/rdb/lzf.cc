// LzfCompress / LzfDecompress over liblzf. See lzf.h.
#include "engine/rdb/lzf.h"

#include <lzf.h>

#include <algorithm>
#include <cerrno>
#include <limits>

namespace tierkv {
namespace {

// liblzf takes sizes as unsigned int; Redis never compresses a string this large in one
// piece either (its limit is the same order).
constexpr size_t kMaxInput = size_t{1} << 31;

}  // namespace

std::optional<std::string> LzfCompress(std::string_view in, size_t max_out) {
  if (in.empty() || in.size() >= kMaxInput || max_out == 0) return std::nullopt;
  // liblzf never writes more than its input grows to (under 104%), so a bigger budget
  // only wastes the allocation.
  const size_t budget = std::min(max_out, in.size() + in.size() / 16 + 64);
  std::string out(budget, '\0');
  const unsigned int written = lzf_compress(in.data(), static_cast<unsigned int>(in.size()), out.data(),
                                            static_cast<unsigned int>(budget));
  if (written == 0) return std::nullopt;
  out.resize(written);
  return out;
}

Result<std::string> LzfDecompress(std::string_view in, size_t out_len) {
  if (out_len == 0 && in.empty()) return std::string();
  if (in.empty() || out_len == 0 || in.size() >= kMaxInput || out_len >= kMaxInput ||
      out_len / kLzfMaxExpansion > in.size()) {
    return Status::Corruption("lzf: " + std::to_string(in.size()) + " bytes cannot expand to " +
                              std::to_string(out_len));
  }
  std::string out(out_len, '\0');
  errno = 0;
  const unsigned int written = lzf_decompress(in.data(), static_cast<unsigned int>(in.size()), out.data(),
                                              static_cast<unsigned int>(out_len));
  if (written == 0) {
    return Status::Corruption(errno == E2BIG ? "lzf: output longer than declared" : "lzf: damaged stream");
  }
  if (written != out_len) return Status::Corruption("lzf: output shorter than declared");
  return out;
}

}  // namespace tierkv
