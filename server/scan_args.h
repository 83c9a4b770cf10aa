// The arguments of SSCAN, HSCAN and ZSCAN (key cursor [MATCH pattern] [COUNT count]),
// parsed with Redis's rules and errors (parseScanCursorOrReply, scanGenericCommand).
// Redis checks the options only once it has found the key with the right type, so
// handlers parse them early but report their error after that check.
//
// Thread-safety: pure functions.
#pragma once

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "server/command_args.h"

namespace tierkv {

// A cursor as Redis's strtoul parse accepts it: a leading '+' or '-' is taken (a negative
// cursor wraps), the empty string is 0; leading spaces, trailing garbage and overflow
// are "ERR invalid cursor".
inline Result<uint64_t> ParseScanCursor(std::string_view text) {
  const Status invalid = Status::Error("ERR invalid cursor");
  const std::string terminated(text);  // strtoull needs a NUL; it stops at an embedded one, as Redis
  if (!terminated.empty() && std::isspace(static_cast<unsigned char>(terminated[0]))) return invalid;
  errno = 0;
  char* end = nullptr;
  const unsigned long long cursor = std::strtoull(terminated.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return invalid;
  return static_cast<uint64_t>(cursor);
}

struct ScanArgs {
  uint64_t count = 10;
  std::string_view pattern;  // empty: no MATCH
};

// The options after the cursor; an option may repeat (the last one counts).
inline Result<ScanArgs> ParseScanArgs(std::span<const std::string_view> options) {
  ScanArgs args;
  for (size_t i = 0; i < options.size(); i += 2) {
    if (i + 1 >= options.size()) return Status::Syntax();
    if (IsOption(options[i], "COUNT")) {
      auto count = IntArg(options[i + 1]);
      if (!count.ok()) return count.status();
      if (*count < 1) return Status::Syntax();
      args.count = static_cast<uint64_t>(*count);
    } else if (IsOption(options[i], "MATCH")) {
      args.pattern = options[i + 1];
    } else {
      return Status::Syntax();
    }
  }
  return args;
}

}  // namespace tierkv
