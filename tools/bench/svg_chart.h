// SVG line charts for the HTML reports: one or more series of (x, y) points on linear
// or log axes, with ticks, a legend and optional horizontal reference lines. Pure
// functions producing self-contained <svg> text (no scripts, no external resources).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tierkv::bench {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in order
};

struct ChartReference {
  std::string label;
  double y = 0;
};

// An x-axis tick at a given position with its own label (for the percentile axis).
struct ChartTick {
  double x = 0;
  std::string label;
};

struct ChartSpec {
  std::string id;      // the <svg id>, for tests and links
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;  // positive y only; others are dropped
  std::vector<ChartSeries> series;
  std::vector<ChartReference> references;
  std::vector<ChartTick> x_ticks;  // empty: evenly spaced ticks over the data
  bool markers = false;            // a dot at every point (sweeps: few points)
};

std::string LineChart(const ChartSpec& spec);

// The HDR-style latency distribution: x = log10(1 / (1 - percentile/100)), so 90, 99,
// 99.9, 99.99 are equally spaced; ticks labelled with the percentiles.
double PercentileAxis(double percentile);
std::vector<ChartTick> PercentileTicks(double highest_percentile);

std::string EscapeHtml(std::string_view text);

}  // namespace tierkv::bench
