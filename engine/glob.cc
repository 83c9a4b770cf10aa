#include "engine/glob.h"

#include <cctype>

namespace tierkv {
namespace {

char Fold(char c, bool nocase) { return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c; }

// Recursion depth is bounded by the number of '*' in the pattern; consecutive
// stars collapse, and a failed tail match after a star ends the search early
// (Redis's "skipLongerMatches"), which keeps pathological patterns linear-ish.
bool Match(std::string_view p, std::string_view s, bool nocase, bool* skip_longer, int depth) {
  if (depth > 1000) return false;
  while (!p.empty() && !s.empty()) {
    switch (p[0]) {
      case '*': {
        while (p.size() > 1 && p[1] == '*') p.remove_prefix(1);
        if (p.size() == 1) return true;
        for (size_t i = 0; i <= s.size(); ++i) {
          if (Match(p.substr(1), s.substr(i), nocase, skip_longer, depth + 1)) return true;
          if (*skip_longer) return false;
        }
        *skip_longer = true;
        return false;
      }
      case '?':
        s.remove_prefix(1);
        break;
      case '[': {
        p.remove_prefix(1);
        const bool negate = !p.empty() && p[0] == '^';
        if (negate) p.remove_prefix(1);
        bool matched = false;
        while (true) {
          if (p.empty()) break;  // unterminated class: treat as ending here
          if (p[0] == '\\' && p.size() >= 2) {
            p.remove_prefix(1);
            if (p[0] == s[0]) matched = true;
          } else if (p[0] == ']') {
            break;
          } else if (p.size() >= 3 && p[1] == '-') {
            char start = Fold(p[0], nocase);
            char end = Fold(p[2], nocase);
            if (start > end) std::swap(start, end);
            const char c = Fold(s[0], nocase);
            if (c >= start && c <= end) matched = true;
            p.remove_prefix(2);
          } else if (Fold(p[0], nocase) == Fold(s[0], nocase)) {
            matched = true;
          }
          p.remove_prefix(1);
        }
        if (negate) matched = !matched;
        if (!matched) return false;
        s.remove_prefix(1);
        break;
      }
      case '\\':
        if (p.size() >= 2) p.remove_prefix(1);
        [[fallthrough]];
      default:
        if (Fold(p[0], nocase) != Fold(s[0], nocase)) return false;
        s.remove_prefix(1);
        break;
    }
    if (p.empty()) break;  // unterminated '[' consumed everything
    p.remove_prefix(1);
    if (s.empty()) {
      while (!p.empty() && p[0] == '*') p.remove_prefix(1);
      break;
    }
  }
  return p.empty() && s.empty();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  bool skip_longer = false;
  return Match(pattern, text, nocase, &skip_longer, 0);
}

}  // namespace tierkv
