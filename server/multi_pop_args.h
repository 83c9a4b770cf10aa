// The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share:
//   ... numkeys key [key ...] LEFT|RIGHT (or MIN|MAX) [COUNT count]
// parsed with Redis's checks and errors, in its order: numkeys ("ERR numkeys should be
// greater than 0", also for a non-integer), the end word (a syntax error when missing or
// other), then COUNT ("ERR count should be greater than 0") — anything else is a syntax
// error. Also the key finder for their command specs.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/number.h"
#include "engine/status.h"
#include "server/command_args.h"

namespace tierkv {

struct MultiPopArgs {
  size_t numkeys = 0;
  bool first_end = true;  // LEFT / MIN (false: RIGHT / MAX)
  size_t count = 1;
};

// `numkeys_index` is where numkeys sits in `args` (args[0] = command name); `first_word`
// and `second_word` are the two end names ("LEFT", "RIGHT" or "MIN", "MAX").
inline Result<MultiPopArgs> ParseMultiPopArgs(std::span<const std::string_view> args, size_t numkeys_index,
                                              std::string_view first_word, std::string_view second_word) {
  MultiPopArgs parsed;
  int64_t numkeys;
  if (!ParseInt64(args[numkeys_index], &numkeys) || numkeys <= 0) {
    return Status::Error("ERR numkeys should be greater than 0");
  }
  const size_t where_index = numkeys_index + 1 + static_cast<size_t>(numkeys);
  if (static_cast<uint64_t>(numkeys) >= args.size() || where_index >= args.size()) return Status::Syntax();
  parsed.numkeys = static_cast<size_t>(numkeys);
  if (IsOption(args[where_index], first_word)) {
    parsed.first_end = true;
  } else if (IsOption(args[where_index], second_word)) {
    parsed.first_end = false;
  } else {
    return Status::Syntax();
  }
  bool count_seen = false;
  for (size_t i = where_index + 1; i < args.size(); ++i) {
    if (!count_seen && IsOption(args[i], "COUNT") && i + 1 < args.size()) {
      int64_t count;
      if (!ParseInt64(args[++i], &count) || count <= 0) return Status::Error("ERR count should be greater than 0");
      parsed.count = static_cast<size_t>(count);
      count_seen = true;
    } else {
      return Status::Syntax();
    }
  }
  return parsed;
}

// CommandSpec::key_finder for these commands: the numkeys keys after args[NumkeysIndex].
template <size_t NumkeysIndex>
std::vector<int> MultiPopKeys(std::span<const std::string_view> args) {
  std::vector<int> keys;
  int64_t numkeys;
  if (args.size() <= NumkeysIndex || !ParseInt64(args[NumkeysIndex], &numkeys) || numkeys <= 0) return keys;
  for (int64_t i = 0; i < numkeys && NumkeysIndex + 1 + static_cast<size_t>(i) < args.size(); ++i) {
    keys.push_back(static_cast<int>(NumkeysIndex + 1 + static_cast<size_t>(i)));
  }
  return keys;
}

}  // namespace tierkv
