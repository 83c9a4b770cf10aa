// The live progress of a run: a one-line bar redrawn in place on a terminal, plain
// lines (one a second) when stdout is a pipe or a file, or nothing.
#pragma once

#include <string>

#include "tools/bench/run.h"

namespace tierkv::bench {

enum class ProgressMode { kAuto, kBar, kLines, kNone };

class ProgressPrinter {
 public:
  // `label` starts every line; `total_s` (0 if unknown) sizes the bar.
  ProgressPrinter(ProgressMode mode, std::string label, double total_s, uint64_t total_requests);
  void Update(const Progress& progress);
  // Ends the bar's line so the summary starts on a fresh one.
  void Finish();

 private:
  ProgressMode mode_;
  std::string label_;
  double total_s_;
  uint64_t total_requests_;
  bool drawn_ = false;
};

}  // namespace tierkv::bench
