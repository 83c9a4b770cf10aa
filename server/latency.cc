#include "server/latency.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

namespace tierkv {

size_t LatencyHistogram::IndexOf(uint64_t ns) {
  if (ns < kExact) return ns;
  const int power = std::bit_width(ns) - 1;  // 8 .. 29
  const int shift = power - 7;               // keeps 8 significant bits: 128..255
  return kExact + static_cast<size_t>(power - 8) * kSubBuckets + static_cast<size_t>(ns >> shift) - kSubBuckets;
}

uint64_t LatencyHistogram::HighestEquivalent(size_t index) {
  if (index < kExact) return index;
  const size_t power = (index - kExact) / kSubBuckets + 8;
  const uint64_t sub = (index - kExact) % kSubBuckets + kSubBuckets;
  return ((sub + 1) << (power - 7)) - 1;
}

void LatencyHistogram::Record(uint64_t ns) {
  ns = std::clamp<uint64_t>(ns, 1, 1'000'000'000);
  ++counts_[IndexOf(ns)];
  ++total_;
  sum_ns_ += ns;
}

std::vector<uint64_t> LatencyHistogram::CumulativeAt(std::span<const uint64_t> bounds_ns) const {
  std::vector<uint64_t> cumulative;
  cumulative.reserve(bounds_ns.size());
  uint64_t seen = 0;
  size_t next = 0;  // the first count not yet added to `seen`
  for (uint64_t bound : bounds_ns) {
    const size_t top = std::min(IndexOf(std::min<uint64_t>(bound, 1'000'000'000)), counts_.size() - 1);
    for (; next <= top; ++next) seen += counts_[next];
    cumulative.push_back(seen);
  }
  return cumulative;
}

uint64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (total_ == 0) return 0;
  const double wanted = std::min(percentile, 100.0) / 100.0 * static_cast<double>(total_) + 0.5;
  const uint64_t target = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target) return HighestEquivalent(i);
  }
  return HighestEquivalent(counts_.size() - 1);
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::CumulativeByPowerOfTwo() const {
  std::vector<std::pair<uint64_t, uint64_t>> buckets;
  uint64_t seen = 0;
  uint64_t reported = 0;
  size_t next = 0;  // the first count not yet added to `seen`
  // Level n holds every call up to the bucket that starts at 1024 ns * 2^n.
  for (uint64_t level = 1024; level <= 1'000'000'000 && reported < total_; level *= 2) {
    const size_t top = IndexOf(level);
    for (; next <= top; ++next) seen += counts_[next];
    if (seen > reported) {
      buckets.emplace_back(HighestEquivalent(top) / 1000, seen);
      reported = seen;
    }
  }
  if (reported < total_) buckets.emplace_back(HighestEquivalent(counts_.size() - 1) / 1000, total_);
  return buckets;
}

std::vector<LatencySample> LatencyMonitor::Event::History() const {
  std::vector<LatencySample> history;
  for (size_t i = 0; i < kHistoryLength; ++i) {
    const LatencySample& sample = samples[(next + i) % kHistoryLength];
    if (sample.unix_seconds != 0) history.push_back(sample);
  }
  return history;
}

void LatencyMonitor::AddSample(std::string_view event_name, uint64_t ms, int64_t now_seconds) {
  auto it = events_.find(event_name);
  if (it == events_.end()) it = events_.emplace(std::string(event_name), Event{}).first;
  Event& event = it->second;
  event.max_ms = std::max(event.max_ms, ms);
  // One sample per second: the worst of that second.
  LatencySample& previous = event.samples[(event.next + kHistoryLength - 1) % kHistoryLength];
  if (previous.unix_seconds == now_seconds) {
    previous.ms = std::max(previous.ms, ms);
    return;
  }
  event.samples[event.next] = {now_seconds, ms};
  event.next = (event.next + 1) % kHistoryLength;
}

const LatencyMonitor::Event* LatencyMonitor::Find(std::string_view event) const {
  auto it = events_.find(event);
  return it == events_.end() ? nullptr : &it->second;
}

std::string PercentileText(double percentile) {
  char text[64];
  std::snprintf(text, sizeof(text), "%f", percentile);
  std::string out(text);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

namespace {

std::string AgoLabel(int64_t seconds) {
  seconds = std::max<int64_t>(seconds, 0);
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

}  // namespace

std::string LatencyGraph(std::string_view name, const LatencyMonitor::Event& event, int64_t now_seconds) {
  constexpr int kRows = 4;
  constexpr size_t kColumns = 80;
  const std::vector<LatencySample> history = event.History();
  uint64_t high = 0;
  uint64_t low = UINT64_MAX;
  for (const LatencySample& sample : history) {
    high = std::max(high, sample.ms);
    low = std::min(low, sample.ms);
  }
  if (history.empty()) low = 0;
  std::string text = std::string(name) + " - high " + std::to_string(high) + " ms, low " + std::to_string(low) +
                     " ms (all time high " + std::to_string(event.max_ms) + " ms)\n" + std::string(80, '-') + "\n";
  for (size_t start = 0; start < history.size(); start += kColumns) {
    const size_t end = std::min(history.size(), start + kColumns);
    std::vector<int> heights;
    std::vector<std::string> labels;
    size_t label_rows = 0;
    for (size_t i = start; i < end; ++i) {
      // 1..kRows, proportional to where the sample sits between low and high.
      const uint64_t span = high - low;
      heights.push_back(span == 0 ? kRows : 1 + static_cast<int>((history[i].ms - low) * (kRows - 1) / span));
      labels.push_back(AgoLabel(now_seconds - history[i].unix_seconds));
      label_rows = std::max(label_rows, labels.back().size());
    }
    for (int row = kRows; row >= 1; --row) {
      std::string line;
      for (int height : heights) line += height < row ? ' ' : height == row ? (row == 1 ? '_' : '#') : '|';
      while (!line.empty() && line.back() == ' ') line.pop_back();
      text += line + "\n";
    }
    text += "\n";
    for (size_t row = 0; row < label_rows; ++row) {
      std::string line;
      for (const std::string& label : labels) line += row < label.size() ? label[row] : ' ';
      while (!line.empty() && line.back() == ' ') line.pop_back();
      text += line + "\n";
    }
  }
  return text;
}

std::string LatencyDoctorReport(const LatencyMonitor& monitor, int64_t threshold_ms) {
  if (monitor.events().empty()) {
    if (threshold_ms <= 0) {
      return "Latency monitoring is disabled: no event is recorded while latency-monitor-threshold is 0. "
             "Enable it with CONFIG SET latency-monitor-threshold <milliseconds>.\n";
    }
    return "No latency spike of " + std::to_string(threshold_ms) +
           " ms or more was recorded since the start or the last LATENCY RESET.\n";
  }
  std::string text = "Latency spikes recorded, by event (latency-monitor-threshold is " +
                     std::to_string(threshold_ms) + " ms):\n\n";
  bool commands = false;
  bool expiry = false;
  bool eviction = false;
  int number = 0;
  for (const auto& [name, event] : monitor.events()) {
    const std::vector<LatencySample> history = event.History();
    if (history.empty()) continue;
    double sum = 0;
    for (const LatencySample& sample : history) sum += static_cast<double>(sample.ms);
    const double average = sum / static_cast<double>(history.size());
    double deviation = 0;
    for (const LatencySample& sample : history) deviation += std::fabs(static_cast<double>(sample.ms) - average);
    deviation /= static_cast<double>(history.size());
    const int64_t period = history.size() > 1 ? (history.back().unix_seconds - history.front().unix_seconds) /
                                                    static_cast<int64_t>(history.size() - 1)
                                              : 0;
    char line[512];
    std::snprintf(line, sizeof(line),
                  "%d. %s: %zu spikes, average %.2f ms, mean deviation %.2f ms, one every %lld s. "
                  "Worst of all time: %llu ms.\n",
                  ++number, name.c_str(), history.size(), average, deviation, static_cast<long long>(period),
                  static_cast<unsigned long long>(event.max_ms));
    text += line;
    commands |= name == "command" || name == "fast-command";
    expiry |= name.starts_with("expire");
    eviction |= name.starts_with("eviction");
  }
  text += "\nWhat to look at:\n";
  if (commands) {
    text += "- Slow commands: SLOWLOG GET names them. Commands over whole collections (KEYS, SMEMBERS, "
            "HGETALL, LRANGE 0 -1, SORT, ...) take time in proportion to their size; SCAN and its "
            "relatives split the work.\n";
  }
  if (expiry) {
    text += "- Expiry: many keys with the same expire time expire in the same cycle; spreading the "
            "times spreads the work.\n";
  }
  if (eviction) {
    text += "- Eviction: each cycle frees memory for the writes over maxmemory; lazyfree-lazy-eviction yes "
            "moves freeing large values off the engine thread.\n";
  }
  text += "- INFO latencystats and LATENCY HISTOGRAM give each command's latency distribution.\n";
  return text;
}

}  // namespace tierkv
