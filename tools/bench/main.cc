// tierkv-bench: load generator and capacity benchmark for RESP servers
// (docs/OPERATIONS.md, "tierkv-bench").
//   tierkv-bench [options]          one run against one target
//   tierkv-bench sweep [options]    fill to k x maxmemory in steps, measure at each step
#include <cstdio>

#include "tools/bench/cli.h"
#include "tools/bench/report_json.h"

namespace tierkv::bench {
namespace {

int RunOnce(const RunOptions& options) {
  std::string error;
  auto spec = ToRunSpec(options, 0, &error);
  auto mode = ParseProgressMode(options.progress);
  if (!spec || !mode) {
    std::fprintf(stderr, "tierkv-bench: %s\n", spec ? "bad --progress (auto, bar, lines, none)" : error.c_str());
    return 2;
  }
  ProgressPrinter printer(*mode, spec->target.name, spec->duration_s, spec->requests);
  spec->on_progress = [&](const Progress& p) { printer.Update(p); };
  RunResult result = Run(*spec);
  printer.Finish();
  PrintSummary(stdout, *spec, result);
  if (!options.json_path.empty() && !WriteFile(options.json_path, RunJson(*spec, result), &error)) {
    std::fprintf(stderr, "tierkv-bench: %s\n", error.c_str());
    return 1;
  }
  return result.error.empty() ? 0 : 1;
}

}  // namespace
}  // namespace tierkv::bench

int main(int argc, char** argv) {
  using namespace tierkv::bench;
  CLI::App app{"tierkv-bench: load generator and capacity benchmark for RESP servers"};
  RunOptions run_options;
  AddRunOptions(app, run_options);
  CLI11_PARSE(app, argc, argv);
  // With only a request count, the count bounds the run (the safety limit still applies).
  if (run_options.requests > 0 && app.count("--duration") == 0) run_options.duration_s = 0;
  return RunOnce(run_options);
}
