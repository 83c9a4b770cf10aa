// Fuzzes Listpack::FromBytes with arbitrary bytes (the blob a RESTORE payload or an RDB
// file carries): it must reject damage with Corruption and never read outside the input;
// whatever it accepts must walk the same forwards and backwards and survive edits,
// staying byte-identical to a listpack rebuilt from its values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/types/listpack.h"

namespace {

std::vector<std::string> Forwards(const tierkv::Listpack& lp) {
  std::vector<std::string> out;
  tierkv::Listpack::IntBuffer scratch;
  for (auto p = lp.First(); p != tierkv::Listpack::kEnd; p = lp.Next(p)) out.emplace_back(lp.Get(p, scratch));
  return out;
}

std::vector<std::string> Backwards(const tierkv::Listpack& lp) {
  std::vector<std::string> out;
  tierkv::Listpack::IntBuffer scratch;
  for (auto p = lp.Last(); p != tierkv::Listpack::kEnd; p = lp.Prev(p)) out.emplace_back(lp.Get(p, scratch));
  return {out.rbegin(), out.rend()};
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tierkv::Result<tierkv::Listpack> parsed = tierkv::Listpack::FromBytes(bytes);
  if (!parsed.ok()) {
    Check(parsed.status().code() == tierkv::Code::kCorruption);
    return 0;
  }
  tierkv::Listpack& lp = *parsed;
  const std::vector<std::string> values = Forwards(lp);
  Check(Backwards(lp) == values);
  Check(lp.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto pos = lp.Seek(static_cast<int64_t>(i));
    Check(lp.Equals(pos, values[i]));
    Check(lp.Find(values[i], lp.First()) != tierkv::Listpack::kEnd);
  }
  // Edits keep it well formed; values written by us re-encode canonically, so after
  // replacing every element with itself the bytes equal a fresh build.
  for (auto p = lp.First(); p != tierkv::Listpack::kEnd; p = lp.Next(p)) {
    tierkv::Listpack::IntBuffer scratch;
    lp.Replace(p, lp.Get(p, scratch));
  }
  tierkv::Listpack rebuilt;
  for (const std::string& v : values) rebuilt.Append(v);
  Check(lp.bytes() == rebuilt.bytes());
  lp.Prepend(bytes.substr(0, 100));
  if (lp.size() > 2) lp.Erase(lp.Seek(1), 2);
  Check(tierkv::Listpack::FromBytes(lp.bytes()).ok());
  return 0;
}
