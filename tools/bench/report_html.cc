#include "tools/bench/report_html.h"

#include <algorithm>
#include <cstdio>

#include "tools/bench/report_json.h"

namespace tierkv::bench {
namespace {

std::string Cell(double v, const char* format = "%.3f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return "<td>" + std::string(buf) + "</td>";
}

std::string LatencyCells(const Histogram& h) {
  return Cell(Ms(h.Percentile(50))) + Cell(Ms(h.Percentile(90))) + Cell(Ms(h.Percentile(99))) +
         Cell(Ms(h.Percentile(99.9))) + Cell(Ms(h.max()));
}

}  // namespace

std::string HtmlPage(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + EscapeHtml(title) +
         "</title>\n<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
         "margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
         "td:first-child,th:first-child{text-align:left}svg.chart{display:block;margin:8px 0 24px}"
         ".answer{font-size:1.2em;background:#eef6ee;border:1px solid #9c9;padding:10px}</style></head>\n<body>\n" +
         body + "</body></html>\n";
}

std::string LatencyDistributionChart(const std::string& id, const std::string& title,
                                     const std::vector<std::pair<std::string, const Histogram*>>& histograms) {
  ChartSpec chart;
  chart.id = id;
  chart.title = title;
  chart.x_label = "percentile";
  chart.y_label = "latency (ms)";
  chart.log_y = true;
  double highest = 99;
  for (const auto& [name, h] : histograms) {
    ChartSeries series{name, {}};
    const double count = static_cast<double>(h->count());
    for (auto [value, cumulative] : h->Cumulative()) {
      // The last bucket is the 100th percentile, which the axis cannot show: put it half
      // a sample short of it.
      const double p = std::min(100.0 * static_cast<double>(cumulative) / count, 100.0 * (1 - 0.5 / count));
      series.points.emplace_back(PercentileAxis(p), Ms(value));
      highest = std::max(highest, p);
    }
    chart.series.push_back(std::move(series));
  }
  chart.x_ticks = PercentileTicks(highest);
  return LineChart(chart);
}

std::string RunHtml(const RunSpec& spec, const RunResult& r) {
  const WorkloadSpec& w = spec.workload;
  std::string body = "<h1>tierkv-bench: " + EscapeHtml(spec.target.name) + "</h1>\n";
  if (!r.error.empty()) body += "<p><b>The run failed:</b> " + EscapeHtml(r.error) + "</p>\n";
  char line[512];
  std::snprintf(line, sizeof line,
                "%s workload, ratio %u:%u (writes:reads), keys %s over %llu from %llu, values %s bytes; "
                "%d connections on %d thread(s), pipeline %d, RESP%d, %s loop%s.</p>\n",
                WorkloadName(w.kind), w.write_weight, w.read_weight, Describe(w.keys).c_str(),
                static_cast<unsigned long long>(w.range.count), static_cast<unsigned long long>(w.range.first),
                w.values.Describe().c_str(), spec.connections, spec.threads, spec.pipeline, spec.connect.resp3 ? 3 : 2,
                spec.rate > 0 ? "open" : "closed",
                spec.rate > 0 ? (" at " + std::to_string(static_cast<uint64_t>(spec.rate)) + " requests/s").c_str() : "");
  body += "<p>" + EscapeHtml(spec.target.host + ":" + std::to_string(spec.target.port)) + ": " + line;
  std::snprintf(line, sizeof line, "<p><b>%.0f ops/s</b> over %.2f s, %llu operations, %llu errors", r.ops_per_sec(),
                r.elapsed_s, static_cast<unsigned long long>(r.ops), static_cast<unsigned long long>(r.errors));
  body += line;
  if (r.hits + r.misses) {
    std::snprintf(line, sizeof line, ", read hit rate %.3f", r.hit_rate());
    body += line;
  }
  body += ".</p>\n";
  if (!r.first_error.empty()) body += "<p>First error reply: <code>" + EscapeHtml(r.first_error) + "</code></p>\n";

  body += "<table><tr><th>command</th><th>count</th><th>errors</th><th>hit rate</th><th>p50 ms</th><th>p90 ms</th>"
          "<th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>\n";
  std::vector<std::pair<std::string, const Histogram*>> histograms;
  for (size_t c = 0; c < kCommandCount; ++c) {
    const CommandStats& s = r.commands[c];
    if (s.latency.count() == 0) continue;
    const char* name = CommandName(static_cast<Command>(c));
    histograms.emplace_back(name, &s.latency);
    body += std::string("<tr><td>") + name + "</td>" + Cell(static_cast<double>(s.latency.count()), "%.0f") +
            Cell(static_cast<double>(s.errors), "%.0f") +
            (s.hits + s.misses ? Cell(static_cast<double>(s.hits) / static_cast<double>(s.hits + s.misses))
                               : std::string("<td>-</td>")) +
            LatencyCells(s.latency) + "</tr>\n";
  }
  body += "<tr><th>all</th>" + Cell(static_cast<double>(r.ops), "%.0f") + Cell(static_cast<double>(r.errors), "%.0f") +
          (r.hits + r.misses ? Cell(r.hit_rate()) : std::string("<td>-</td>")) + LatencyCells(r.latency) +
          "</tr></table>\n";

  ChartSeries ops{"ops/s", {}}, p50{"p50", {}}, p99{"p99", {}};
  // Whole seconds only: the last one (replies drained after the deadline) is partial.
  const size_t whole = std::min(r.seconds.size(), static_cast<size_t>(r.elapsed_s + 0.05));
  for (size_t i = 0; i < whole; ++i) {
    const Second& s = r.seconds[i];
    const double t = static_cast<double>(i + 1);  // the second that ends at t
    ops.points.emplace_back(t, static_cast<double>(s.ops));
    p50.points.emplace_back(t, Ms(s.latency.Percentile(50)));
    p99.points.emplace_back(t, Ms(s.latency.Percentile(99)));
  }
  ChartSpec throughput{"throughput", "Throughput per second", "seconds", "ops/s", false, {ops}, {}, {}, false};
  ChartSpec latency{"latency-over-time", "Latency per second", "seconds", "ms", false, {p99, p50}, {}, {}, false};
  body += LineChart(throughput);
  body += LineChart(latency);
  if (histograms.size() > 1) histograms.emplace_back("all", &r.latency);
  body += LatencyDistributionChart("latency-distribution", "Latency distribution", histograms);
  body += "<p>Latency: from when a request was sent (closed loop) or due (open loop) to its reply; "
          "log-linear histogram, values within 0.8%.</p>\n";
  return HtmlPage("tierkv-bench " + spec.target.name, body);
}

}  // namespace tierkv::bench
