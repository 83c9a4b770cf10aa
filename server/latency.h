// Latency introspection, as Redis keeps it:
// - LatencyMonitor: per event ("command", "fast-command", "expire-cycle", ...), the
//   worst latency of each second in which the event took at least
//   `latency-monitor-threshold` ms, the last 160 such seconds, and the all-time worst
//   (LATENCY LATEST / HISTORY / GRAPH / DOCTOR / RESET).
// - LatencyHistogram: per command, how long its calls took (`latency-tracking`), in
//   the buckets of Redis's hdr_histogram (1 ns .. 1 s, two significant decimal digits:
//   exact below 256 ns, then 128 buckets per power of two), so that percentiles read
//   the same (LATENCY HISTOGRAM, INFO latencystats).
//
// Thread-safety: engine thread only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tierkv {

class LatencyHistogram {
 public:
  // One call of `ns` nanoseconds; clamped into 1 ns .. 1 s as Redis does.
  void Record(uint64_t ns);
  uint64_t total() const { return total_; }
  // The sum of the calls recorded, in ns (after clamping).
  uint64_t sum_ns() const { return sum_ns_; }
  // For each bound (ascending, ns): the calls at or below it, to the histogram's
  // precision (a call in the bucket holding the bound counts as below it).
  std::vector<uint64_t> CumulativeAt(std::span<const uint64_t> bounds_ns) const;
  // The highest value equivalent to the sample at `percentile` (0..100), in ns; 0 if empty.
  uint64_t ValueAtPercentile(double percentile) const;
  // LATENCY HISTOGRAM's "histogram_usec": (bucket top in µs, calls at or below it) for
  // the power-of-two buckets from 1024 ns on, each only where the count grows.
  std::vector<std::pair<uint64_t, uint64_t>> CumulativeByPowerOfTwo() const;

 private:
  static constexpr size_t kExact = 256;       // values below are counted one by one
  static constexpr size_t kSubBuckets = 128;  // per power of two from 256 on
  static constexpr size_t kPowers = 22;       // 2^8 .. 2^29 ns (1 s < 2^30 ns)
  static size_t IndexOf(uint64_t ns);
  static uint64_t HighestEquivalent(size_t index);

  std::array<uint64_t, kExact + kSubBuckets * kPowers> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ns_ = 0;
};

struct LatencySample {
  int64_t unix_seconds = 0;
  uint64_t ms = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kHistoryLength = 160;

  struct Event {
    std::array<LatencySample, kHistoryLength> samples{};  // a ring; unix_seconds 0 = unused
    size_t next = 0;
    uint64_t max_ms = 0;

    const LatencySample& latest() const { return samples[(next + kHistoryLength - 1) % kHistoryLength]; }
    // The samples in use, oldest first.
    std::vector<LatencySample> History() const;
  };

  // Records `ms` for `event` when monitoring is on (`threshold_ms` > 0) and `ms` reaches it.
  void AddSampleIfNeeded(std::string_view event, uint64_t ms, int64_t threshold_ms, int64_t now_seconds) {
    if (threshold_ms > 0 && ms >= static_cast<uint64_t>(threshold_ms)) AddSample(event, ms, now_seconds);
  }
  void AddSample(std::string_view event, uint64_t ms, int64_t now_seconds);
  // Forgets one event (true if it had samples) or all of them (the number forgotten).
  bool Reset(std::string_view event) { return events_.erase(std::string(event)) > 0; }
  size_t ResetAll() { return std::exchange(events_, {}).size(); }

  const std::map<std::string, Event, std::less<>>& events() const { return events_; }
  const Event* Find(std::string_view event) const;

 private:
  std::map<std::string, Event, std::less<>> events_;
};

// A percentile as Redis prints it in CONFIG GET and INFO latencystats: "%f" without
// its trailing zeros ("50", "99.9").
std::string PercentileText(double percentile);

// LATENCY GRAPH's text for one event: a header with its high, low and all-time high,
// then a column per sample, scaled between the low and the high, labelled with how
// long ago it was taken.
std::string LatencyGraph(std::string_view name, const LatencyMonitor::Event& event, int64_t now_seconds);
// LATENCY DOCTOR's report.
std::string LatencyDoctorReport(const LatencyMonitor& monitor, int64_t threshold_ms);

}  // namespace tierkv
