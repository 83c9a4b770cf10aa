// Glob-style pattern matching with Redis's rules (KEYS, SCAN MATCH, CONFIG GET):
// '*', '?', '[abc]', '[^a]', '[a-z]' and '\' escapes.
// Thread-safety: pure function.
#pragma once

#include <string_view>

namespace tierkv {

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace tierkv
