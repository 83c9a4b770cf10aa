// Save rules: Redis's `save <seconds> <changes> [<seconds> <changes> ...]` parameter, which
// starts a checkpoint round once at least `changes` writes happened and `seconds` passed
// since the last successful one. `save ""` disables them.
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace tierkv {

struct SaveRule {
  int64_t seconds = 0;
  uint64_t changes = 0;
};
// Parses Redis's syntax ("3600 1 300 100", "" for none). Syntax errors name the problem.
Result<std::vector<SaveRule>> ParseSaveRules(std::string_view text);

}  // namespace tierkv
