// LatencyHistogram (the buckets and percentiles Redis's hdr_histogram reports) and
// LatencyMonitor (one sample per second, the worst; a ring of 160).
#include "server/latency.h"

#include <gtest/gtest.h>

namespace tierkv {
namespace {

TEST(LatencyHistogramTest, PercentilesAreTheHighestEquivalentValuesRedisPrints) {
  // Figures Redis 7.0 printed in INFO latencystats for calls of these durations.
  const std::pair<uint64_t, uint64_t> cases[] = {
      {0, 1},  // a call under a microsecond counts as 1 ns ("p50=0.001")
      {1000, 1003}, {2000, 2007}, {3000, 3007}, {5000, 5023}, {16000, 16063}, {20000, 20095},
      {471000, 471039}, {1'000'000'000, 1'002'438'655},
  };
  for (const auto& [ns, shown] : cases) {
    LatencyHistogram histogram;
    histogram.Record(ns);
    EXPECT_EQ(histogram.ValueAtPercentile(50), shown) << ns;
    EXPECT_EQ(histogram.ValueAtPercentile(99.9), shown) << ns;
  }
}

TEST(LatencyHistogramTest, PercentileCountsAsHdrHistogram) {
  LatencyHistogram histogram;
  for (int i = 0; i < 99; ++i) histogram.Record(1000);
  histogram.Record(2'000'000);
  EXPECT_EQ(histogram.total(), 100u);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 1003u);
  EXPECT_EQ(histogram.ValueAtPercentile(99), 1003u);
  EXPECT_GE(histogram.ValueAtPercentile(99.9), 2'000'000u);
  EXPECT_EQ(LatencyHistogram().ValueAtPercentile(50), 0u);
}

TEST(LatencyHistogramTest, CumulativeBucketsArePowersOfTwoFrom1024Ns) {
  LatencyHistogram histogram;
  histogram.Record(500);     // in the first bucket
  histogram.Record(1000);    // in the first bucket
  histogram.Record(16000);   // in the 16 µs one
  histogram.Record(30000);   // in the 33 µs one
  histogram.Record(30000);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{1, 2}, {16, 3}, {33, 5}};
  EXPECT_EQ(histogram.CumulativeByPowerOfTwo(), expected);
}

TEST(LatencyMonitorTest, KeepsTheWorstOfEachSecondAndTheAllTimeMax) {
  LatencyMonitor monitor;
  monitor.AddSampleIfNeeded("command", 5, /*threshold_ms=*/10, 100);  // under the threshold
  monitor.AddSampleIfNeeded("command", 50, 0, 100);                    // monitoring off
  EXPECT_TRUE(monitor.events().empty());
  monitor.AddSampleIfNeeded("command", 20, 10, 100);
  monitor.AddSampleIfNeeded("command", 30, 10, 100);
  monitor.AddSampleIfNeeded("command", 15, 10, 101);
  const LatencyMonitor::Event* event = monitor.Find("command");
  ASSERT_NE(event, nullptr);
  const std::vector<LatencySample> history = event->History();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].unix_seconds, 100);
  EXPECT_EQ(history[0].ms, 30u);
  EXPECT_EQ(history[1].ms, 15u);
  EXPECT_EQ(event->latest().ms, 15u);
  EXPECT_EQ(event->max_ms, 30u);
}

TEST(LatencyMonitorTest, HistoryIsARingOf160) {
  LatencyMonitor monitor;
  for (int64_t second = 1; second <= 200; ++second) monitor.AddSample("expire-cycle", static_cast<uint64_t>(second), second);
  const std::vector<LatencySample> history = monitor.Find("expire-cycle")->History();
  ASSERT_EQ(history.size(), LatencyMonitor::kHistoryLength);
  EXPECT_EQ(history.front().unix_seconds, 41);
  EXPECT_EQ(history.back().unix_seconds, 200);
  EXPECT_EQ(monitor.ResetAll(), 1u);
  EXPECT_FALSE(monitor.Reset("expire-cycle"));
}

TEST(LatencyGraphTest, HeaderAndOneColumnPerSample) {
  LatencyMonitor monitor;
  monitor.AddSample("command", 10, 100);
  monitor.AddSample("command", 40, 101);
  const std::string graph = LatencyGraph("command", *monitor.Find("command"), 103);
  EXPECT_EQ(graph.rfind("command - high 40 ms, low 10 ms (all time high 40 ms)\n" + std::string(80, '-') + "\n", 0), 0u)
      << graph;
  EXPECT_NE(graph.find(" #\n"), std::string::npos) << graph;
  EXPECT_NE(graph.find("_|\n"), std::string::npos) << graph;
  EXPECT_NE(graph.find("32\nss\n"), std::string::npos) << graph;
}

TEST(PercentileTextTest, AsRedisPrintsThem) {
  EXPECT_EQ(PercentileText(50), "50");
  EXPECT_EQ(PercentileText(99.9), "99.9");
  EXPECT_EQ(PercentileText(99.99), "99.99");
  EXPECT_EQ(PercentileText(0), "0");
}

}  // namespace
}  // namespace tierkv
