#include "tools/bench/sweep.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tools/bench/report_json.h"

namespace tierkv::bench {
namespace {

uint64_t ToU64(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  uint64_t value = 0;
  if (it != fields.end()) std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  return value;
}

void Note(const SweepSpec& spec, const std::string& text) {
  if (spec.on_note) spec.on_note(text);
}

// Writes keys [first, first + count) with pipelined SETs of the mix's value sizes.
RunResult Fill(const SweepSpec& sweep, const RunSpec& mix, uint64_t first, uint64_t count) {
  RunSpec fill = mix;
  fill.workload.kind = WorkloadSpec::Kind::kGetSet;
  fill.workload.write_weight = 1;
  fill.workload.read_weight = 0;
  fill.workload.keys = KeySpec{KeySpec::Kind::kSequential};
  fill.workload.range = KeyRange{first, count};
  fill.pipeline = sweep.fill_pipeline;
  fill.rate = 0;
  fill.duration_s = 0;
  fill.requests = count;
  if (sweep.progress_for) fill.on_progress = sweep.progress_for("fill", fill);
  return Run(fill);
}

void Sweep(const SweepSpec& spec, TargetSweep& out) {
  const RunSpec& mix = out.spec;
  std::string error;
  auto admin = AdminClient::Connect(mix.target, mix.connect, &error);
  if (!admin) {
    out.error = error;
    return;
  }
  out.maxmemory = spec.maxmemory ? spec.maxmemory : admin->MaxMemory();
  if (out.maxmemory == 0) {
    out.error = "maxmemory is 0 (unlimited): set it on the target or give --maxmemory";
    return;
  }
  if (spec.flush && !admin->Call({"FLUSHALL"}, &error)) {
    out.error = error;
    return;
  }
  const double bytes_per_key =
      static_cast<double>(mix.workload.key_prefix.size() + 12) + mix.workload.values.mean();
  Note(spec, mix.target.name + ": maxmemory " + std::to_string(out.maxmemory >> 20) + " MiB, " +
                 std::to_string(static_cast<uint64_t>(bytes_per_key)) + " bytes per key offered");
  uint64_t written = 0;
  for (double ratio : spec.steps) {
    SweepStep step;
    step.ratio = ratio;
    const uint64_t target_keys = static_cast<uint64_t>(std::llround(ratio * static_cast<double>(out.maxmemory) / bytes_per_key));
    if (target_keys > written) {
      Note(spec, mix.target.name + " " + FormatRatio(ratio) + ": writing keys " + std::to_string(written) + " to " +
                     std::to_string(target_keys));
      RunResult fill = Fill(spec, mix, written, target_keys - written);
      step.fill_seconds = fill.elapsed_s;
      step.fill_ops_per_sec = fill.ops_per_sec();
      step.fill_errors = fill.errors;
      if (!fill.error.empty()) {
        out.error = "fill to " + FormatRatio(ratio) + ": " + fill.error;
        return;
      }
      written = target_keys;
    }
    step.keys = written;
    step.dataset_bytes = static_cast<uint64_t>(static_cast<double>(written) * bytes_per_key);
    RunSpec measured = mix;
    measured.workload.range = KeyRange{0, std::max<uint64_t>(1, written)};
    if (spec.progress_for) measured.on_progress = spec.progress_for(FormatRatio(ratio), measured);
    step.mix = Run(measured);
    if (!step.mix.error.empty()) {
      out.error = "mix at " + FormatRatio(ratio) + ": " + step.mix.error;
      out.steps.push_back(std::move(step));
      return;
    }
    auto memory = admin->Info("memory");
    step.used_memory = ToU64(memory, "used_memory");
    step.used_memory_rss = ToU64(memory, "used_memory_rss");
    if (mix.target.pid) step.process = ReadProcessMemory(*mix.target.pid);
    step.tiering = admin->Info("tiering");
    step.persistence = admin->Info("persistence");
    if (auto dbsize = admin->Call({"DBSIZE"}, &error); dbsize && !dbsize->empty()) {
      std::from_chars((*dbsize)[0].data(), (*dbsize)[0].data() + (*dbsize)[0].size(), step.dbsize);
    }
    step.meets = step.mix.errors == 0 && Ms(step.mix.latency.Percentile(99)) <= spec.p99_ms &&
                 step.mix.ops_per_sec() >= spec.min_ops &&
                 (step.mix.hits + step.mix.misses == 0 || step.mix.hit_rate() >= spec.min_hit_rate);
    if (step.meets) out.answer = std::max(out.answer.value_or(0), ratio);
    out.steps.push_back(std::move(step));
  }
}

}  // namespace

std::string FormatRatio(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gx", ratio);
  return buf;
}

std::optional<std::vector<double>> ParseSteps(const std::string& text, std::string* error) {
  std::vector<double> steps;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    double v = 0;
    auto [end, ec] = std::from_chars(text.data() + start, text.data() + comma, v);
    if (ec != std::errc() || end != text.data() + comma || !(v > 0) || v > 1000 ||
        (!steps.empty() && v <= steps.back())) {
      *error = "bad --steps '" + text + "' (increasing ratios > 0, e.g. 0.5,1,2,4,8)";
      return std::nullopt;
    }
    steps.push_back(v);
    start = comma + 1;
  }
  return steps;
}

std::vector<TargetSweep> RunSweep(const SweepSpec& spec) {
  std::vector<TargetSweep> sweeps;
  for (const RunSpec& target : spec.targets) {
    sweeps.push_back(TargetSweep{target});
    Sweep(spec, sweeps.back());
    if (!sweeps.back().error.empty()) Note(spec, target.target.name + ": " + sweeps.back().error);
  }
  return sweeps;
}

}  // namespace tierkv::bench
