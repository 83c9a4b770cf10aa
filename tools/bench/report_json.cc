#include "tools/bench/report_json.h"

#include <cerrno>
#include <cstring>

namespace tierkv::bench {

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

void WriteLatency(JsonWriter& json, const Histogram& h) {
  json.BeginObject();
  json.Key("p50").Number(Ms(h.Percentile(50)));
  json.Key("p90").Number(Ms(h.Percentile(90)));
  json.Key("p99").Number(Ms(h.Percentile(99)));
  json.Key("p99_9").Number(Ms(h.Percentile(99.9)));
  json.Key("max").Number(Ms(h.max()));
  json.Key("mean").Number(h.mean() / 1e6);
  json.EndObject();
}

void WriteRunSpec(JsonWriter& json, const RunSpec& spec) {
  const WorkloadSpec& w = spec.workload;
  json.BeginObject();
  json.Key("target").String(spec.target.name);
  json.Key("address").String(spec.target.host + ":" + std::to_string(spec.target.port));
  json.Key("workload").String(WorkloadName(w.kind));
  json.Key("ratio").String(std::to_string(w.write_weight) + ":" + std::to_string(w.read_weight));
  json.Key("keys").String(Describe(w.keys));
  json.Key("key_first").Integer(w.range.first);
  json.Key("key_count").Integer(w.range.count);
  json.Key("value_size").String(w.values.Describe());
  json.Key("connections").Integer(static_cast<uint64_t>(spec.connections));
  json.Key("threads").Integer(static_cast<uint64_t>(spec.threads));
  json.Key("pipeline").Integer(static_cast<uint64_t>(spec.pipeline));
  json.Key("duration_s").Number(spec.duration_s);
  json.Key("requests").Integer(spec.requests);
  json.Key("loop").String(spec.rate > 0 ? "open" : "closed");
  json.Key("rate").Number(spec.rate);
  json.Key("resp").Integer(spec.connect.resp3 ? 3 : 2);
  json.Key("seed").Integer(spec.seed);
  json.EndObject();
}

void WriteRunResult(JsonWriter& json, const RunResult& r) {
  json.BeginObject();
  if (!r.error.empty()) json.Key("error").String(r.error);
  if (!r.first_error.empty()) json.Key("first_error_reply").String(r.first_error);
  json.Key("elapsed_s").Number(r.elapsed_s);
  json.Key("ops").Integer(r.ops);
  json.Key("ops_per_sec").Number(r.ops_per_sec());
  json.Key("errors").Integer(r.errors);
  json.Key("hits").Integer(r.hits);
  json.Key("misses").Integer(r.misses);
  if (r.hits + r.misses) json.Key("hit_rate").Number(r.hit_rate());
  json.Key("latency_ms");
  WriteLatency(json, r.latency);
  json.Key("commands").BeginObject();
  for (size_t c = 0; c < kCommandCount; ++c) {
    const CommandStats& s = r.commands[c];
    if (s.latency.count() == 0) continue;
    json.Key(CommandName(static_cast<Command>(c))).BeginObject();
    json.Key("count").Integer(s.latency.count());
    json.Key("errors").Integer(s.errors);
    if (CountsHits(static_cast<Command>(c))) {
      json.Key("hits").Integer(s.hits);
      json.Key("misses").Integer(s.misses);
    }
    json.Key("latency_ms");
    WriteLatency(json, s.latency);
    json.EndObject();
  }
  json.EndObject();
  json.Key("seconds").BeginArray();
  for (size_t i = 0; i < r.seconds.size(); ++i) {
    const Second& s = r.seconds[i];
    json.BeginObject();
    json.Key("t").Integer(i);
    json.Key("ops").Integer(s.ops);
    json.Key("errors").Integer(s.errors);
    if (s.hits + s.misses) {
      json.Key("hit_rate").Number(static_cast<double>(s.hits) / static_cast<double>(s.hits + s.misses));
    }
    json.Key("p50_ms").Number(Ms(s.latency.Percentile(50)));
    json.Key("p99_ms").Number(Ms(s.latency.Percentile(99)));
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

std::string RunJson(const RunSpec& spec, const RunResult& result) {
  JsonWriter json;
  json.BeginObject();
  json.Key("tool").String("tierkv-bench");
  json.Key("kind").String("run");
  json.Key("spec");
  WriteRunSpec(json, spec);
  json.Key("result");
  WriteRunResult(json, result);
  json.EndObject();
  return json.str() + "\n";
}

void PrintSummary(FILE* out, const RunSpec& spec, const RunResult& r) {
  std::fprintf(out, "%s: %s, %d connections, %d thread(s), pipeline %d, %s loop%s\n", spec.target.name.c_str(),
               WorkloadName(spec.workload.kind), spec.connections, spec.threads, spec.pipeline,
               spec.rate > 0 ? "open" : "closed", spec.rate > 0 ? (" at " + std::to_string(static_cast<uint64_t>(spec.rate)) + "/s").c_str() : "");
  std::fprintf(out, "%-8s %10s %8s %9s %9s %9s %9s %9s %9s\n", "command", "count", "errors", "p50 ms", "p90 ms",
               "p99 ms", "p99.9 ms", "max ms", "hit rate");
  auto row = [&](const char* name, const Histogram& h, uint64_t errors, uint64_t hits, uint64_t misses) {
    char hit_rate[16] = "-";
    if (hits + misses) std::snprintf(hit_rate, sizeof hit_rate, "%.3f", static_cast<double>(hits) / static_cast<double>(hits + misses));
    std::fprintf(out, "%-8s %10llu %8llu %9.3f %9.3f %9.3f %9.3f %9.3f %9s\n", name,
                 static_cast<unsigned long long>(h.count()), static_cast<unsigned long long>(errors),
                 Ms(h.Percentile(50)), Ms(h.Percentile(90)), Ms(h.Percentile(99)), Ms(h.Percentile(99.9)), Ms(h.max()),
                 hit_rate);
  };
  for (size_t c = 0; c < kCommandCount; ++c) {
    const CommandStats& s = r.commands[c];
    if (s.latency.count()) row(CommandName(static_cast<Command>(c)), s.latency, s.errors, s.hits, s.misses);
  }
  row("all", r.latency, r.errors, r.hits, r.misses);
  std::fprintf(out, "%.0f ops/s over %.2f s\n", r.ops_per_sec(), r.elapsed_s);
  if (!r.first_error.empty()) std::fprintf(out, "first error reply: %s\n", r.first_error.c_str());
  if (!r.error.empty()) std::fprintf(out, "error: %s\n", r.error.c_str());
}

bool WriteFile(const std::string& path, const std::string& contents, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
  if (std::fclose(f) != 0 || !ok) {
    *error = path + ": write failed";
    return false;
  }
  return true;
}

}  // namespace tierkv::bench
