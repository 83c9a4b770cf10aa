// The command-line options shared by `tierkv-bench` (one run) and `tierkv-bench sweep`,
// registered with CLI11, and their translation into a RunSpec.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/progress.h"
#include "tools/bench/run.h"

namespace tierkv::bench {

struct RunOptions {
  std::vector<std::string> targets{"127.0.0.1:6379"};
  int connections = 50;
  int threads = 1;
  int pipeline = 1;
  double duration_s = 10;
  uint64_t requests = 0;
  double rate = 0;
  std::string workload = "getset";
  std::string ratio = "1:10";
  std::string keys = "uniform";
  uint64_t key_count = 100'000;
  uint64_t key_first = 0;
  std::string key_prefix;  // empty: the workload's own (DefaultKeyPrefix)
  std::string value_size = "64";
  uint32_t ttl = 600;
  uint32_t fields = 16;
  std::string user;
  std::string password;
  bool resp3 = false;
  int db = 0;
  uint64_t seed = 1;
  double max_seconds = 3600;
  std::string json_path;
  std::string html_path;
  std::string progress = "auto";
};

void AddRunOptions(CLI::App& app, RunOptions& options);
// The RunSpec of the options for target `target_index`; nullopt and *error on a bad value.
std::optional<RunSpec> ToRunSpec(const RunOptions& options, size_t target_index, std::string* error);
std::optional<ProgressMode> ParseProgressMode(const std::string& text);

}  // namespace tierkv::bench
