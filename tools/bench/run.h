// One measured run of a workload against one target: N connections over T threads,
// closed loop (each connection keeps `pipeline` requests in flight) or open loop
// (requests scheduled at `rate` per second in total; latency counts from the time a
// request was due, not from when it could be sent, so a server stall shows in full
// instead of being hidden by the requests it kept the generator from sending:
// coordinated-omission correction).
//
// Run() blocks until the run ends: at `duration`, after `requests`, or when the target
// fails (refused connection, closed socket, error reply to the set-up commands,
// malformed reply). Every run is bounded in time even with only a request count (the
// safety limit max_seconds).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/histogram.h"
#include "tools/bench/workload.h"

namespace tierkv::bench {

using Clock = std::chrono::steady_clock;

struct Target {
  std::string name;            // label in reports; host:port when not given
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::optional<int> pid;      // the server's pid, for RSS from /proc
};
// NAME=HOST:PORT[,pid=PID] or HOST:PORT or PORT.
std::optional<Target> ParseTarget(std::string_view text, std::string* error);

struct ConnectSpec {
  std::string user;
  std::string password;
  bool resp3 = false;
  int db = 0;
};

struct Progress {
  double elapsed_s = 0;
  uint64_t ops = 0;            // completed so far
  double ops_per_sec = 0;      // over the last second
  uint64_t last_p99_ns = 0;    // of the last whole second (largest over threads)
};

struct RunSpec {
  Target target;
  ConnectSpec connect;
  WorkloadSpec workload;
  int connections = 50;
  int threads = 1;
  int pipeline = 1;
  double duration_s = 10;      // 0: only `requests` bounds the run
  uint64_t requests = 0;       // 0: only the duration bounds it
  double rate = 0;             // > 0: open loop at this many requests per second in total
  double max_seconds = 3600;   // hard limit whatever the bounds
  uint64_t seed = 1;
  std::function<void(const Progress&)> on_progress;  // each second, from the calling thread
};

struct CommandStats {
  Histogram latency;
  uint64_t errors = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

struct Second {
  uint64_t ops = 0;
  uint64_t errors = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  Histogram latency;           // every command of that second
};

struct RunResult {
  std::string error;           // empty when the run completed
  std::string first_error;     // the first error reply, e.g. WRONGTYPE or OOM
  double elapsed_s = 0;
  uint64_t ops = 0;
  uint64_t errors = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  Histogram latency;           // all commands
  std::array<CommandStats, kCommandCount> commands;
  std::vector<Second> seconds; // per-second time series, from the start of the run

  double ops_per_sec() const { return elapsed_s > 0 ? static_cast<double>(ops) / elapsed_s : 0; }
  double hit_rate() const {
    return hits + misses ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0;
  }
};

RunResult Run(const RunSpec& spec);

}  // namespace tierkv::bench
