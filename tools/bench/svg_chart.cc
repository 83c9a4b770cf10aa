#include "tools/bench/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace tierkv::bench {
namespace {

constexpr double kWidth = 760, kHeight = 340;
constexpr double kLeft = 70, kRight = 170, kTop = 34, kBottom = 50;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string Format(double v) {
  char buf[32];
  const double a = std::abs(v);
  if (a == 0) return "0";
  if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// 1, 2 or 5 times a power of ten, about `count` steps over [lo, hi].
double NiceStep(double lo, double hi, int count) {
  const double raw = (hi - lo) / count;
  if (raw <= 0) return 1;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

double PercentileAxis(double percentile) { return std::log10(100.0 / std::max(1e-9, 100.0 - percentile)); }

std::vector<ChartTick> PercentileTicks(double highest_percentile) {
  std::vector<ChartTick> ticks;
  for (auto [p, label] : {std::pair{0.0, "0%"}, {90.0, "90%"}, {99.0, "99%"}, {99.9, "99.9%"}, {99.99, "99.99%"},
                          {99.999, "99.999%"}}) {
    if (p <= highest_percentile + 1e-9 || ticks.size() < 2) ticks.push_back({PercentileAxis(p), label});
  }
  return ticks;
}

std::string LineChart(const ChartSpec& spec) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  auto usable = [&](double y) { return std::isfinite(y) && (!spec.log_y || y > 0); };
  for (const ChartSeries& s : spec.series) {
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !usable(y)) continue;
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    }
  }
  for (const ChartReference& r : spec.references) {
    if (usable(r.y)) {
      y_lo = std::min(y_lo, r.y);
      y_hi = std::max(y_hi, r.y);
    }
  }
  for (const ChartTick& t : spec.x_ticks) {
    x_lo = std::min(x_lo, t.x);
    x_hi = std::max(x_hi, t.x);
  }
  const bool empty = !std::isfinite(x_lo) || !std::isfinite(y_lo);
  if (empty) x_lo = 0, x_hi = 1, y_lo = spec.log_y ? 1 : 0, y_hi = spec.log_y ? 10 : 1;
  if (x_hi == x_lo) x_hi = x_lo + 1;
  // y from 0 on linear charts (throughput and latency read against zero), or the
  // enclosing powers of ten on log charts.
  double y_step = 0;
  if (spec.log_y) {
    y_lo = std::pow(10, std::floor(std::log10(y_lo)));
    y_hi = std::pow(10, std::ceil(std::log10(y_hi)));
    if (y_hi <= y_lo) y_hi = y_lo * 10;
  } else {
    y_lo = std::min(0.0, y_lo);
    if (y_hi <= y_lo) y_hi = y_lo + 1;
    y_step = NiceStep(y_lo, y_hi, 5);
    y_hi = std::ceil(y_hi / y_step) * y_step;
  }
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * plot_w; };
  auto py = [&](double y) {
    const double f = spec.log_y ? (std::log10(y) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo))
                                : (y - y_lo) / (y_hi - y_lo);
    return kTop + (1 - f) * plot_h;
  };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + EscapeHtml(spec.id) + "\" class=\"chart\" width=\"" +
                    Num(kWidth) + "\" height=\"" + Num(kHeight) + "\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(kHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + Num(kWidth) + "\" height=\"" + Num(kHeight) + "\" fill=\"#fff\"/>\n";
  svg += "<text x=\"" + Num(kLeft) + "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" + EscapeHtml(spec.title) + "</text>\n";
  // Grid and y ticks.
  std::vector<double> y_ticks;
  if (spec.log_y) {
    for (double v = y_lo; v <= y_hi * 1.0001; v *= 10) y_ticks.push_back(v);
  } else {
    for (double v = y_lo; v <= y_hi + y_step / 2; v += y_step) y_ticks.push_back(v);
  }
  for (double v : y_ticks) {
    const double y = py(v);
    svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(kLeft + plot_w) + "\" y2=\"" + Num(y) +
           "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" + Format(v) + "</text>\n";
  }
  // X ticks: given, or evenly spaced over the data.
  std::vector<ChartTick> x_ticks = spec.x_ticks;
  if (x_ticks.empty()) {
    const double step = NiceStep(x_lo, x_hi, 8);
    for (double v = std::ceil(x_lo / step) * step; v <= x_hi + step / 1000; v += step) x_ticks.push_back({v, Format(v)});
  }
  for (const ChartTick& t : x_ticks) {
    const double x = px(t.x);
    svg += "<line x1=\"" + Num(x) + "\" y1=\"" + Num(kTop) + "\" x2=\"" + Num(x) + "\" y2=\"" + Num(kTop + plot_h) +
           "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"" + Num(x) + "\" y=\"" + Num(kTop + plot_h + 16) + "\" text-anchor=\"middle\">" +
           EscapeHtml(t.label) + "</text>\n";
  }
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop) + "\" width=\"" + Num(plot_w) + "\" height=\"" + Num(plot_h) +
         "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + Num(kHeight - 10) + "\" text-anchor=\"middle\">" +
         EscapeHtml(spec.x_label) + "</text>\n";
  svg += "<text transform=\"translate(16 " + Num(kTop + plot_h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         EscapeHtml(spec.y_label) + "</text>\n";
  for (const ChartReference& r : spec.references) {
    if (!usable(r.y)) continue;
    const double y = py(r.y);
    svg += "<line class=\"reference\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(kLeft + plot_w) +
           "\" y2=\"" + Num(y) + "\" stroke=\"#000\" stroke-dasharray=\"6 4\"/>\n";
    svg += "<text x=\"" + Num(kLeft + plot_w - 4) + "\" y=\"" + Num(y - 4) + "\" text-anchor=\"end\">" +
           EscapeHtml(r.label) + "</text>\n";
  }
  // Series and legend.
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const ChartSeries& s = spec.series[i];
    const char* color = kColors[i % std::size(kColors)];
    std::string points;
    std::string markers;
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !usable(y)) continue;
      points += Num(px(x)) + "," + Num(py(y)) + " ";
      if (spec.markers) {
        markers += "<circle cx=\"" + Num(px(x)) + "\" cy=\"" + Num(py(y)) + "\" r=\"3.5\" fill=\"" + color + "\"/>\n";
      }
    }
    svg += "<polyline class=\"series\" data-name=\"" + EscapeHtml(s.name) + "\" fill=\"none\" stroke=\"" + color +
           "\" stroke-width=\"2\" points=\"" + points + "\"/>\n" + markers;
    const double ly = kTop + 10 + 18 * static_cast<double>(i);
    svg += "<line x1=\"" + Num(kLeft + plot_w + 12) + "\" y1=\"" + Num(ly) + "\" x2=\"" + Num(kLeft + plot_w + 32) +
           "\" y2=\"" + Num(ly) + "\" stroke=\"" + color + "\" stroke-width=\"3\"/>\n";
    svg += "<text x=\"" + Num(kLeft + plot_w + 36) + "\" y=\"" + Num(ly + 4) + "\">" + EscapeHtml(s.name) + "</text>\n";
  }
  if (empty) {
    svg += "<text x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + Num(kTop + plot_h / 2) +
           "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace tierkv::bench
