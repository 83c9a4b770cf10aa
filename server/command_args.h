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

// A database index argument, as Redis's getIntFromObjectOrReply + selectDb:
// not an integer, not an int, outside 0..databases-1: three distinct errors.
inline Result<int> DbIndexArg(std::string_view text, int db_count) {
  auto index = IntArg(text);
  if (!index.ok()) return index.status();
  if (*index < INT32_MIN || *index > INT32_MAX) {
    return Status::Error("ERR value is out of range, value must between -2147483648 and 2147483647");
  }
  if (*index < 0 || *index >= db_count) return Status::Error("ERR DB index is out of range");
  return static_cast<int>(*index);
}

// Client names and library attributes: printable ASCII without spaces.
inline bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}
inline constexpr const char* kInvalidClientNameError =
    "ERR Client names cannot contain spaces, newlines or special characters.";

inline constexpr const char* kWrongPassError = "WRONGPASS invalid username-password pair or user is disabled.";

// Case-insensitive option keyword comparison ("EX", "nx", ...).
inline bool IsOption(std::string_view arg, std::string_view option) { return EqualsIgnoreCase(arg, option); }

}  // namespace tierkv
