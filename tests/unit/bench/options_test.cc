// tierkv-bench's option values: targets, sweep steps, ratios and the run spec they make.
#include <gtest/gtest.h>

#include "tools/bench/cli.h"
#include "tools/bench/json_writer.h"
#include "tools/bench/sweep.h"

namespace tierkv::bench {
namespace {

TEST(OptionsTest, Targets) {
  std::string error;
  auto plain = ParseTarget("6380", &error);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->name, "127.0.0.1:6380");
  EXPECT_FALSE(plain->pid);
  auto named = ParseTarget("tierkv=127.0.0.1:7000,pid=42", &error);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->name, "tierkv");
  EXPECT_EQ(named->port, 7000);
  EXPECT_EQ(named->pid, 42);
  EXPECT_FALSE(ParseTarget("127.0.0.1:0", &error));
  EXPECT_FALSE(ParseTarget("127.0.0.1:70000", &error));
  EXPECT_FALSE(ParseTarget("x=1.2.3.4:5,pod=3", &error));
  EXPECT_FALSE(ParseTarget(":6379", &error));
}

TEST(OptionsTest, SweepSteps) {
  std::string error;
  auto steps = ParseSteps("0.5,1,2,4,8", &error);
  ASSERT_TRUE(steps);
  EXPECT_EQ(*steps, (std::vector<double>{0.5, 1, 2, 4, 8}));
  EXPECT_FALSE(ParseSteps("1,1", &error));   // not increasing
  EXPECT_FALSE(ParseSteps("2,1", &error));
  EXPECT_FALSE(ParseSteps("0,1", &error));
  EXPECT_FALSE(ParseSteps("1,", &error));
  EXPECT_FALSE(ParseSteps("a", &error));
  EXPECT_EQ(FormatRatio(0.5), "0.5x");
}

TEST(OptionsTest, RunSpecFromOptions) {
  RunOptions options;
  options.workload = "hash";
  options.ratio = "3:7";
  options.keys = "zipf:0.8";
  options.value_size = "10-20";
  std::string error;
  auto spec = ToRunSpec(options, 0, &error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->workload.kind, WorkloadSpec::Kind::kHash);
  EXPECT_EQ(spec->workload.write_weight, 3u);
  EXPECT_EQ(spec->workload.read_weight, 7u);
  EXPECT_EQ(spec->workload.key_prefix, "hash:");  // the workload's own prefix
  EXPECT_EQ(Describe(spec->workload.keys), "zipf:0.8");

  for (auto [field, value] : {std::pair{&RunOptions::ratio, "0:0"}, {&RunOptions::ratio, "1"},
                              {&RunOptions::workload, "scan"}, {&RunOptions::keys, "zipf:0"},
                              {&RunOptions::value_size, "5-1"}}) {
    RunOptions bad;
    bad.*field = value;
    EXPECT_FALSE(ToRunSpec(bad, 0, &error)) << value;
  }
  RunOptions unbounded;
  unbounded.duration_s = 0;
  EXPECT_FALSE(ToRunSpec(unbounded, 0, &error));
  EXPECT_NE(error.find("--duration or --requests"), std::string::npos);
}

TEST(OptionsTest, JsonWriterSeparatesAndEscapes) {
  JsonWriter json;
  json.BeginObject();
  json.Key("a").Integer(1);
  json.Key("b").BeginArray().String("x\"y\n").Number(0.5).Null().Bool(true).EndArray();
  json.Key("c").BeginObject().EndObject();
  json.EndObject();
  EXPECT_EQ(json.str(), R"({"a":1,"b":["x\"y\n",0.5,null,true],"c":{}})");
}

}  // namespace
}  // namespace tierkv::bench
