// tierkv-bench: load generator and capacity benchmark for RESP servers
// (docs/OPERATIONS.md, "tierkv-bench").
//   tierkv-bench [options]          one run against one target
//   tierkv-bench sweep [options]    fill to k x maxmemory in steps, measure at each step
#include <cstdio>

#include "tools/bench/cli.h"
#include "tools/bench/report_html.h"
#include "tools/bench/report_json.h"
#include "tools/bench/sweep.h"

namespace tierkv::bench {
namespace {

int Fail(const std::string& error) {
  std::fprintf(stderr, "tierkv-bench: %s\n", error.c_str());
  return 2;
}

bool WriteReports(const RunOptions& options, const std::string& json, const std::string& html) {
  std::string error;
  if ((!options.json_path.empty() && !WriteFile(options.json_path, json, &error)) ||
      (!options.html_path.empty() && !WriteFile(options.html_path, html, &error))) {
    std::fprintf(stderr, "tierkv-bench: %s\n", error.c_str());
    return false;
  }
  return true;
}

int RunOnce(const RunOptions& options) {
  std::string error;
  auto spec = ToRunSpec(options, 0, &error);
  if (!spec) return Fail(error);
  if (options.targets.size() != 1) return Fail("one --target per run (a sweep takes several)");
  auto mode = ParseProgressMode(options.progress);
  if (!mode) return Fail("bad --progress (auto, bar, lines, none)");
  ProgressPrinter printer(*mode, spec->target.name, spec->duration_s, spec->requests);
  spec->on_progress = [&](const Progress& p) { printer.Update(p); };
  RunResult result = Run(*spec);
  printer.Finish();
  PrintSummary(stdout, *spec, result);
  if (!WriteReports(options, RunJson(*spec, result), RunHtml(*spec, result))) return 1;
  return result.error.empty() ? 0 : 1;
}

struct SweepOptions {
  std::string steps = "0.5,1,2,4,8";
  double p99_ms = 1;
  double min_ops = 0;
  double min_hit_rate = 0.99;
  uint64_t maxmemory = 0;
  int fill_pipeline = 16;
  bool flush = false;
  std::string svg_dir;
};

int RunSweepCommand(const RunOptions& options, const SweepOptions& sweep_options) {
  std::string error;
  SweepSpec sweep;
  auto steps = ParseSteps(sweep_options.steps, &error);
  if (!steps) return Fail(error);
  sweep.steps = *steps;
  sweep.p99_ms = sweep_options.p99_ms;
  sweep.min_ops = sweep_options.min_ops;
  sweep.min_hit_rate = sweep_options.min_hit_rate;
  sweep.maxmemory = sweep_options.maxmemory;
  sweep.fill_pipeline = sweep_options.fill_pipeline;
  sweep.flush = sweep_options.flush;
  for (size_t i = 0; i < options.targets.size(); ++i) {
    auto spec = ToRunSpec(options, i, &error);
    if (!spec) return Fail(error);
    using Kind = WorkloadSpec::Kind;
    if (spec->workload.kind != Kind::kGetSet && spec->workload.kind != Kind::kCacheAside &&
        spec->workload.kind != Kind::kSession) {
      return Fail("a sweep fills strings: its workload is getset, cache-aside or session");
    }
    if (spec->duration_s <= 0) return Fail("a sweep measures each step for --duration seconds (> 0)");
    spec->requests = 0;
    sweep.targets.push_back(*spec);
  }
  auto mode = ParseProgressMode(options.progress);
  if (!mode) return Fail("bad --progress (auto, bar, lines, none)");
  std::unique_ptr<ProgressPrinter> printer;
  sweep.on_note = [&](const std::string& note) {
    if (printer) printer->Finish();
    if (*mode != ProgressMode::kNone) std::printf("%s\n", note.c_str());
    std::fflush(stdout);
  };
  sweep.progress_for = [&](const std::string& label, const RunSpec& spec) {
    if (printer) printer->Finish();
    printer = std::make_unique<ProgressPrinter>(*mode, spec.target.name + " " + label, spec.duration_s, spec.requests);
    return [p = printer.get()](const Progress& progress) { p->Update(progress); };
  };
  std::vector<TargetSweep> sweeps = RunSweep(sweep);
  if (printer) printer->Finish();
  PrintSweepSummary(stdout, sweep, sweeps);
  if (!WriteReports(options, SweepJson(sweep, sweeps), SweepHtml(sweep, sweeps))) return 1;
  if (!sweep_options.svg_dir.empty()) {
    for (const auto& [id, svg] : SweepCharts(sweep, sweeps)) {
      if (!WriteFile(sweep_options.svg_dir + "/" + id + ".svg", svg, &error)) {
        std::fprintf(stderr, "tierkv-bench: %s\n", error.c_str());
        return 1;
      }
    }
  }
  for (const TargetSweep& t : sweeps) {
    if (!t.error.empty()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tierkv::bench

int main(int argc, char** argv) {
  using namespace tierkv::bench;
  CLI::App app{"tierkv-bench: load generator and capacity benchmark for RESP servers"};
  RunOptions run_options;
  AddRunOptions(app, run_options);

  CLI::App* sweep = app.add_subcommand(
      "sweep", "fill each --target to k x maxmemory in steps; at each step run the mix for --duration seconds");
  RunOptions sweep_run_options;
  AddRunOptions(*sweep, sweep_run_options);
  SweepOptions sweep_options;
  sweep->add_option("--steps", sweep_options.steps, "dataset/maxmemory ratios, increasing")->capture_default_str();
  sweep->add_option("--p99-ms", sweep_options.p99_ms, "the p99 a step must meet (ms)")->capture_default_str();
  sweep->add_option("--min-ops", sweep_options.min_ops, "the ops/s a step must meet")->capture_default_str();
  sweep->add_option("--min-hit-rate", sweep_options.min_hit_rate,
                    "the share of reads a step must find (every key was written: a miss is a lost key)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  sweep->add_option("--maxmemory", sweep_options.maxmemory, "bytes; instead of CONFIG GET maxmemory");
  sweep->add_option("--fill-pipeline", sweep_options.fill_pipeline, "pipeline of the fill's SETs")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  sweep->add_option("--svg-dir", sweep_options.svg_dir, "also write each chart as <id>.svg in this directory");
  sweep->add_flag("--flush", sweep_options.flush, "FLUSHALL each target before filling it");
  CLI11_PARSE(app, argc, argv);
  if (sweep->parsed()) return RunSweepCommand(sweep_run_options, sweep_options);
  // With only a request count, the count bounds the run (the safety limit still applies).
  if (run_options.requests > 0 && app.count("--duration") == 0) run_options.duration_s = 0;
  return RunOnce(run_options);
}
