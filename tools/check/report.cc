#include "tools/check/report.h"

#include <iostream>

namespace tierkv::check {

void Report::Line(const std::string& text) { std::cout << text << '\n'; }

void Report::Warning(const std::string& text) {
  ++warnings_;
  std::cout << "warning: " << text << '\n';
}

void Report::Error(const std::string& text) {
  ++errors_;
  std::cout << "error: " << text << '\n';
}

std::string Count(uint64_t n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string LsnRange(uint64_t first, uint64_t last) {
  if (first == 0) return "";
  if (first == last) return "LSN " + std::to_string(first);
  return "LSN " + std::to_string(first) + ".." + std::to_string(last);
}

}  // namespace tierkv::check
