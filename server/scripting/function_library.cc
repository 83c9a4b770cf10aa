#include "server/scripting/function_library.h"

#include <cctype>
#include <vector>


namespace tierkv {

std::string ParseLibraryMetadata(std::string_view code, LibraryMetadata* metadata) {
  if (code.substr(0, 2) != "#!") return "Missing library metadata";
  const size_t end = code.find('\n');
  if (end == std::string_view::npos) return "Invalid library metadata";
  std::vector<std::string_view> parts;
  const std::string_view line = code.substr(0, end);
  for (size_t i = 0; i < line.size();) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    size_t word_end = i;
    while (word_end < line.size() && !std::isspace(static_cast<unsigned char>(line[word_end]))) ++word_end;
    parts.push_back(line.substr(i, word_end - i));
    i = word_end;
  }
  if (parts.empty()) return "Invalid library metadata";
  metadata->engine = std::string(parts[0].substr(2));
  bool named = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    std::string prefix(part.substr(0, 5));
    for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (prefix != "name=") return "Invalid metadata value given: " + std::string(part);
    if (named) return "Invalid metadata value, name argument was given multiple times";
    metadata->name = std::string(part.substr(5));
    named = true;
  }
  if (!named) return "Library name was not given";
  return "";
}

bool IsValidFunctionName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace tierkv
