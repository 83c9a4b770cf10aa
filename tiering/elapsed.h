// Timing of start-up phases for their log lines: a monotonic clock in milliseconds, the
// "1.234" seconds form Redis logs its load time in, and a phase's wall and CPU time (on a
// busy machine the two part: the wall time then says little about the work).
#pragma once

#include <time.h>

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

// CPU time of the calling thread, milliseconds.
inline int64_t ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

// A phase of start-up on the calling thread: Took() says "1.234 s (0.456 s of CPU)".
class PhaseTimer {
 public:
  PhaseTimer() : wall_ms_(SteadyMs()), cpu_ms_(ThreadCpuMs()) {}
  std::string Took() const {
    return SecondsSince(wall_ms_) + " s (" + FormatSeconds(ThreadCpuMs() - cpu_ms_) + " s of CPU)";
  }

 private:
  int64_t wall_ms_;
  int64_t cpu_ms_;
};

}  // namespace tierkv
