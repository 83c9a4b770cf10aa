// Function libraries as text, without Lua: the metadata line a library starts with
// ("#!lua name=mylib") and the names Redis allows. Their FUNCTION DUMP payload is
// engine/rdb/function_payload.h.
//
// Thread-safety: free functions over caller-owned values.
#pragma once

#include <string>
#include <string_view>

namespace tierkv {

struct LibraryMetadata {
  std::string engine;  // as written after "#!" ("lua")
  std::string name;
};

// Parses the first line of a library. Returns Redis's error text (without "ERR "), or ""
// with *metadata filled.
std::string ParseLibraryMetadata(std::string_view code, LibraryMetadata* metadata);

// Library and function names: letters, digits and underscores, at least one.
bool IsValidFunctionName(std::string_view name);

}  // namespace tierkv
