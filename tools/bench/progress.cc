#include "tools/bench/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace tierkv::bench {

ProgressPrinter::ProgressPrinter(ProgressMode mode, std::string label, double total_s, uint64_t total_requests)
    : mode_(mode), label_(std::move(label)), total_s_(total_s), total_requests_(total_requests) {
  if (mode_ == ProgressMode::kAuto) mode_ = isatty(STDOUT_FILENO) ? ProgressMode::kBar : ProgressMode::kLines;
}

void ProgressPrinter::Update(const Progress& p) {
  if (mode_ == ProgressMode::kNone) return;
  const double p99_ms = static_cast<double>(p.last_p99_ns) / 1e6;
  if (mode_ == ProgressMode::kLines) {
    std::printf("%s %.0f s: %llu ops, %.0f ops/s, p99 %.3f ms\n", label_.c_str(), p.elapsed_s,
                static_cast<unsigned long long>(p.ops), p.ops_per_sec, p99_ms);
    std::fflush(stdout);
    return;
  }
  double fraction = 0;
  if (total_s_ > 0) fraction = p.elapsed_s / total_s_;
  if (total_requests_ > 0) fraction = std::max(fraction, static_cast<double>(p.ops) / static_cast<double>(total_requests_));
  fraction = std::clamp(fraction, 0.0, 1.0);
  constexpr int kWidth = 30;
  char bar[kWidth + 1];
  const int filled = static_cast<int>(fraction * kWidth);
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = 0;
  std::printf("\r\x1b[2K%s [%s] %3.0f%% %10.0f ops/s  p99 %8.3f ms", label_.c_str(), bar, fraction * 100,
              p.ops_per_sec, p99_ms);
  std::fflush(stdout);
  drawn_ = true;
}

void ProgressPrinter::Finish() {
  if (drawn_) std::printf("\n");
  drawn_ = false;
}

}  // namespace tierkv::bench
