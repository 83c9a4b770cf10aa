// The capacity sweep: for each target, fill it to k x its maxmemory in steps (k from
// --steps), and at each step run the workload's mix over every key written so far for
// the run's duration, recording throughput, p50/p99, the read hit rate (how many keys
// are still readable), the server's RSS and its INFO tiering and persistence figures.
// The answer per target: the largest dataset/RAM ratio at which it met --p99-ms,
// --min-ops and --min-hit-rate. Targets are swept one after another, so they never share the CPU.
//
// "Dataset" counts what the client offered: keys written x (key length + mean value
// size), not what the server holds (a cache evicts, a tier compresses).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/admin_client.h"
#include "tools/bench/run.h"

namespace tierkv::bench {

struct SweepSpec {
  std::vector<RunSpec> targets;  // one run spec per target: the mix measured at each step
  std::vector<double> steps{0.5, 1, 2, 4, 8};
  double p99_ms = 1;
  double min_ops = 0;
  // Every key of a sweep was written, so a read that misses is a key the target lost (a
  // cache evicted it): a step where more than this share of reads missed does not count
  // as holding the dataset, however fast it answered.
  double min_hit_rate = 0.99;
  uint64_t maxmemory = 0;        // > 0: use this instead of CONFIG GET maxmemory
  int fill_pipeline = 16;
  bool flush = false;            // FLUSHALL each target before filling it
  std::function<void(const std::string&)> on_note;          // phase lines
  // Before each run (the fill of a step, or its mix): the run's progress callback.
  std::function<std::function<void(const Progress&)>(const std::string& label, const RunSpec&)> progress_for;
};
std::optional<std::vector<double>> ParseSteps(const std::string& text, std::string* error);
std::string FormatRatio(double ratio);  // "0.5x"

struct SweepStep {
  double ratio = 0;              // dataset / maxmemory, as planned
  uint64_t keys = 0;             // keys written so far
  uint64_t dataset_bytes = 0;
  double fill_seconds = 0;
  double fill_ops_per_sec = 0;
  uint64_t fill_errors = 0;
  RunResult mix;
  uint64_t dbsize = 0;
  uint64_t used_memory = 0;
  uint64_t used_memory_rss = 0;
  std::optional<ProcessMemory> process;  // with the target's pid
  std::map<std::string, std::string> tiering;      // INFO tiering, when the target has it
  std::map<std::string, std::string> persistence;  // INFO persistence
  bool meets = false;            // p99 and throughput within the limits
};

struct TargetSweep {
  RunSpec spec;
  uint64_t maxmemory = 0;
  std::string error;             // why the sweep of this target stopped early
  std::vector<SweepStep> steps;
  std::optional<double> answer;  // the largest ratio that met the limits
};

std::vector<TargetSweep> RunSweep(const SweepSpec& spec);

std::string SweepJson(const SweepSpec& spec, const std::vector<TargetSweep>& sweeps);
// The sweep's charts, (id, <svg>): throughput, p99, hit rate and RSS against dataset/RAM.
std::vector<std::pair<std::string, std::string>> SweepCharts(const SweepSpec& spec, const std::vector<TargetSweep>& sweeps);
std::string SweepHtml(const SweepSpec& spec, const std::vector<TargetSweep>& sweeps);
void PrintSweepSummary(FILE* out, const SweepSpec& spec, const std::vector<TargetSweep>& sweeps);

}  // namespace tierkv::bench
