// The self-contained HTML report of a run: the settings, the per-command table and
// three SVG charts (throughput and p99 per second, the latency distribution). No
// scripts, styles inline, nothing fetched: it opens from a file or a mail attachment.
#pragma once

#include <string>

#include "tools/bench/run.h"
#include "tools/bench/svg_chart.h"

namespace tierkv::bench {

std::string RunHtml(const RunSpec& spec, const RunResult& result);

// The page around a report's body, shared with the sweep report.
std::string HtmlPage(const std::string& title, const std::string& body);
// The latency distribution chart of one or more histograms.
std::string LatencyDistributionChart(const std::string& id, const std::string& title,
                                     const std::vector<std::pair<std::string, const Histogram*>>& histograms);

}  // namespace tierkv::bench
