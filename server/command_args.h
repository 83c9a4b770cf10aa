// Argument parsing helpers for handlers, with Redis's error texts.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/number.h"
#include "engine/status.h"
#include "server/command_table.h"

namespace tierkv {

inline Result<int64_t> IntArg(std::string_view text) {
  int64_t value;
  if (!ParseInt64(text, &value)) return Status::NotInteger();
  return value;
}

inline Result<double> FloatArg(std::string_view text) {
  double value;
  if (!ParseDouble(text, &value)) return Status::NotFloat();
  return value;
}

// Case-insensitive option keyword comparison ("EX", "nx", ...).
inline bool IsOption(std::string_view arg, std::string_view option) { return EqualsIgnoreCase(arg, option); }

}  // namespace tierkv
