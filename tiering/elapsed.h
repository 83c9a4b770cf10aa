// Timing of start-up phases for their log lines: a monotonic clock in milliseconds and
// the "1.234" seconds form Redis logs its load time in.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tierkv {

inline int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

inline std::string FormatSeconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", static_cast<double>(ms) / 1000.0);
  return text;
}

inline std::string SecondsSince(int64_t started_ms) { return FormatSeconds(SteadyMs() - started_ms); }

}  // namespace tierkv
