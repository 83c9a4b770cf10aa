// What tierkv-check prints: report lines on stdout, warnings and errors among them (so
// they read in context), counted for the exit status; and the wording helpers every
// mode shares, so figures read the same everywhere ("3 records (LSN 6..8)").
//
// Thread-safety: a Report belongs to the main thread.
#pragma once

#include <cstdint>
#include <string>

namespace tierkv::check {

class Report {
 public:
  void Line(const std::string& text);
  void Warning(const std::string& text);  // "warning: <text>"
  void Error(const std::string& text);    // "error: <text>"
  uint64_t warnings() const { return warnings_; }
  uint64_t errors() const { return errors_; }

 private:
  uint64_t warnings_ = 0;
  uint64_t errors_ = 0;
};

// "1 record", "3 records".
std::string Count(uint64_t n, const std::string& singular, const std::string& plural);
// "LSN 6..8", "LSN 6"; "" when first is 0 (nothing).
std::string LsnRange(uint64_t first, uint64_t last);

}  // namespace tierkv::check
