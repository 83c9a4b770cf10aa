// Fuzzes the RESP parser with arbitrary bytes, checking that it never reads
// outside its input, always makes progress, and gives the same commands
// whether the bytes arrive at once or in two pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/resp_parser.h"

namespace {

using Commands = std::vector<std::vector<std::string>>;

// Parses `data` delivered in two chunks split at `split`; returns the commands
// and whether a protocol error ended the stream.
Commands ParseAll(const std::string& data, size_t split, bool* failed) {
  tierkv::ParserLimits limits;
  limits.max_bulk_len = 1 << 20;
  tierkv::RespParser parser(&limits);
  Commands commands;
  std::string buffer;
  std::vector<std::string_view> args;
  *failed = false;
  for (const auto& [from, to] : {std::pair<size_t, size_t>{0, split}, {split, data.size()}}) {
    buffer.append(data, from, to - from);
    while (!buffer.empty()) {
      size_t consumed = 0;
      auto outcome = parser.Parse(buffer, &consumed, &args);
      if (outcome == tierkv::RespParser::Outcome::kNeedMore) break;
      if (outcome == tierkv::RespParser::Outcome::kError) {
        *failed = true;
        return commands;
      }
      if (consumed == 0 || consumed > buffer.size()) std::abort();  // must make progress, stay in bounds
      commands.emplace_back(args.begin(), args.end());
      buffer.erase(0, consumed);
    }
  }
  return commands;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  bool whole_failed = false;
  bool split_failed = false;
  Commands whole = ParseAll(input, input.size(), &whole_failed);
  Commands split = ParseAll(input, size / 2, &split_failed);
  if (whole_failed != split_failed || whole != split) std::abort();
  return 0;
}
