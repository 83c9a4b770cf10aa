#include "tiering/save_rules.h"

#include <charconv>

namespace tierkv {
namespace {

template <typename Number>
bool ParseWhole(std::string_view text, Number* out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<std::vector<SaveRule>> ParseSaveRules(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    const size_t end = std::min(text.find(' ', pos), text.size());
    if (end > pos) words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  if (words.size() % 2 != 0) return Status::Error("ERR Invalid save parameters");
  std::vector<SaveRule> rules;
  for (size_t i = 0; i < words.size(); i += 2) {
    SaveRule rule;
    if (!ParseWhole(words[i], &rule.seconds) || !ParseWhole(words[i + 1], &rule.changes) || rule.seconds < 0) {
      return Status::Error("ERR Invalid save parameters");
    }
    rules.push_back(rule);
  }
  return rules;
}

}  // namespace tierkv
