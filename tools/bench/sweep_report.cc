// The sweep's JSON, HTML and terminal reports (sweep.h).
#include <cmath>
#include <cstdio>

#include "tools/bench/report_html.h"
#include "tools/bench/report_json.h"
#include "tools/bench/sweep.h"

namespace tierkv::bench {
namespace {

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// The RSS to show: /proc's when the pid was given, else INFO's used_memory_rss.
uint64_t Rss(const SweepStep& step) { return step.process ? step.process->rss : step.used_memory_rss; }

std::string AnswerText(const SweepSpec& spec, const TargetSweep& sweep) {
  char limits[128];
  std::snprintf(limits, sizeof limits, "p99 <= %g ms, >= %.0f ops/s and >= %g%% of reads finding their key",
                spec.p99_ms, spec.min_ops, spec.min_hit_rate * 100);
  char buf[384];
  if (!sweep.answer) {
    std::snprintf(buf, sizeof buf, "%s met %s at none of the steps.", sweep.spec.target.name.c_str(), limits);
  } else {
    std::snprintf(buf, sizeof buf, "%s: largest dataset/RAM ratio meeting %s: %gx (%.0f MiB of data on a %.0f MiB budget).",
                  sweep.spec.target.name.c_str(), limits, *sweep.answer, *sweep.answer * MiB(sweep.maxmemory),
                  MiB(sweep.maxmemory));
  }
  return buf;
}

void WriteFields(JsonWriter& json, const std::map<std::string, std::string>& fields) {
  json.BeginObject();
  for (const auto& [name, value] : fields) json.Key(name).String(value);
  json.EndObject();
}

}  // namespace

std::string SweepJson(const SweepSpec& spec, const std::vector<TargetSweep>& sweeps) {
  JsonWriter json;
  json.BeginObject();
  json.Key("tool").String("tierkv-bench");
  json.Key("kind").String("sweep");
  json.Key("steps").BeginArray();
  for (double s : spec.steps) json.Number(s);
  json.EndArray();
  json.Key("p99_ms_limit").Number(spec.p99_ms);
  json.Key("min_ops_per_sec").Number(spec.min_ops);
  json.Key("min_hit_rate").Number(spec.min_hit_rate);
  json.Key("targets").BeginArray();
  for (const TargetSweep& t : sweeps) {
    json.BeginObject();
    json.Key("spec");
    WriteRunSpec(json, t.spec);
    json.Key("maxmemory").Integer(t.maxmemory);
    if (!t.error.empty()) json.Key("error").String(t.error);
    json.Key("answer_ratio");
    t.answer ? json.Number(*t.answer) : json.Null();
    json.Key("steps").BeginArray();
    for (const SweepStep& s : t.steps) {
      json.BeginObject();
      json.Key("ratio").Number(s.ratio);
      json.Key("keys").Integer(s.keys);
      json.Key("dataset_bytes").Integer(s.dataset_bytes);
      json.Key("fill_seconds").Number(s.fill_seconds);
      json.Key("fill_ops_per_sec").Number(s.fill_ops_per_sec);
      json.Key("fill_errors").Integer(s.fill_errors);
      json.Key("dbsize").Integer(s.dbsize);
      json.Key("used_memory").Integer(s.used_memory);
      json.Key("used_memory_rss").Integer(s.used_memory_rss);
      if (s.process) {
        json.Key("rss").Integer(s.process->rss);
        json.Key("rss_anon").Integer(s.process->anon);
        json.Key("rss_file").Integer(s.process->file);
      }
      json.Key("meets").Bool(s.meets);
      json.Key("mix");
      WriteRunResult(json, s.mix);
      if (!s.tiering.empty()) {
        json.Key("info_tiering");
        WriteFields(json, s.tiering);
      }
      json.Key("info_persistence");
      WriteFields(json, s.persistence);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.str() + "\n";
}

std::vector<std::pair<std::string, std::string>> SweepCharts(const SweepSpec& spec, const std::vector<TargetSweep>& sweeps) {
  ChartSpec ops{"sweep-throughput", "Throughput against dataset/RAM", "dataset / maxmemory (log scale)", "ops/s"};
  ChartSpec p99{"sweep-p99", "p99 latency against dataset/RAM", "dataset / maxmemory (log scale)", "p99 (ms)"};
  ChartSpec hits{"sweep-hit-rate", "Reads that found their key", "dataset / maxmemory (log scale)", "hit rate"};
  ChartSpec rss{"sweep-rss", "Server RSS", "dataset / maxmemory (log scale)", "MiB"};
  p99.log_y = true;
  char limit[48];
  std::snprintf(limit, sizeof limit, "p99 limit %g ms", spec.p99_ms);
  p99.references.push_back({limit, spec.p99_ms});
  if (spec.min_ops > 0) ops.references.push_back({"min ops/s", spec.min_ops});
  // Steps double: x is log2 of the ratio, ticked at each step.
  std::vector<ChartTick> ticks;
  for (double step : spec.steps) ticks.push_back({std::log2(step), FormatRatio(step)});
  for (ChartSpec* chart : {&ops, &p99, &hits, &rss}) {
    chart->markers = true;
    chart->x_ticks = ticks;
  }
  for (const TargetSweep& t : sweeps) {
    ChartSeries o{t.spec.target.name, {}}, p{t.spec.target.name, {}}, h{t.spec.target.name, {}},
        r{t.spec.target.name, {}};
    for (const SweepStep& s : t.steps) {
      const double x = std::log2(s.ratio);
      o.points.emplace_back(x, s.mix.ops_per_sec());
      p.points.emplace_back(x, Ms(s.mix.latency.Percentile(99)));
      if (s.mix.hits + s.mix.misses) h.points.emplace_back(x, s.mix.hit_rate());
      r.points.emplace_back(x, MiB(Rss(s)));
    }
    ops.series.push_back(o);
    p99.series.push_back(p);
    hits.series.push_back(h);
    rss.series.push_back(r);
    if (rss.references.empty() || rss.references.back().y != MiB(t.maxmemory)) {
      rss.references.push_back({"maxmemory", MiB(t.maxmemory)});
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const ChartSpec* chart : {&ops, &p99, &hits, &rss}) out.emplace_back(chart->id, LineChart(*chart));
  return out;
}

std::string SweepHtml(const SweepSpec& spec, const std::vector<TargetSweep>& sweeps) {
  std::string body = "<h1>tierkv-bench sweep</h1>\n";
  if (!sweeps.empty()) {
    const RunSpec& s = sweeps.front().spec;
    char line[512];
    std::snprintf(line, sizeof line,
                  "<p>Fill to k x maxmemory with pipelined SETs (pipeline %d), then at each step %s for %.0f s: "
                  "ratio %u:%u, keys %s over every key written, values %s bytes, %d connections, pipeline %d%s.</p>\n",
                  spec.fill_pipeline, WorkloadName(s.workload.kind), s.duration_s, s.workload.write_weight,
                  s.workload.read_weight, Describe(s.workload.keys).c_str(), s.workload.values.Describe().c_str(),
                  s.connections, s.pipeline,
                  s.rate > 0 ? (", open loop at " + std::to_string(static_cast<uint64_t>(s.rate)) + "/s").c_str() : "");
    body += line;
  }
  body += "<div class=\"answer\">\n";
  for (const TargetSweep& t : sweeps) body += "<p>" + EscapeHtml(AnswerText(spec, t)) + "</p>\n";
  body += "</div>\n";

  for (const auto& [id, svg] : SweepCharts(spec, sweeps)) body += svg;

  for (const TargetSweep& t : sweeps) {
    body += "<h2>" + EscapeHtml(t.spec.target.name) + "</h2>\n";
    char line[256];
    std::snprintf(line, sizeof line, "<p>%s, maxmemory %.0f MiB.</p>\n",
                  EscapeHtml(t.spec.target.host + ":" + std::to_string(t.spec.target.port)).c_str(), MiB(t.maxmemory));
    body += line;
    if (!t.error.empty()) body += "<p><b>Stopped:</b> " + EscapeHtml(t.error) + "</p>\n";
    body += "<table><tr><th>dataset/RAM</th><th>keys</th><th>DBSIZE</th><th>fill ops/s</th><th>ops/s</th>"
            "<th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>hit rate</th><th>errors</th><th>RSS MiB</th>"
            "<th>anon MiB</th><th>file MiB</th><th>meets</th></tr>\n";
    for (const SweepStep& s : t.steps) {
      char row[640];
      std::snprintf(row, sizeof row,
                    "<tr><td>%gx</td><td>%llu</td><td>%llu</td><td>%.0f</td><td>%.0f</td><td>%.3f</td><td>%.3f</td>"
                    "<td>%.3f</td><td>%s</td><td>%llu</td><td>%.1f</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                    s.ratio, static_cast<unsigned long long>(s.keys), static_cast<unsigned long long>(s.dbsize),
                    s.fill_ops_per_sec, s.mix.ops_per_sec(), Ms(s.mix.latency.Percentile(50)),
                    Ms(s.mix.latency.Percentile(99)), Ms(s.mix.latency.Percentile(99.9)),
                    s.mix.hits + s.mix.misses ? std::to_string(s.mix.hit_rate()).substr(0, 5).c_str() : "-",
                    static_cast<unsigned long long>(s.mix.errors), MiB(Rss(s)),
                    s.process ? std::to_string(MiB(s.process->anon)).substr(0, 6).c_str() : "-",
                    s.process ? std::to_string(MiB(s.process->file)).substr(0, 6).c_str() : "-", s.meets ? "yes" : "no");
      body += row;
    }
    body += "</table>\n";
    // The server's own figures at the last step, when it reports tiering.
    if (!t.steps.empty() && !t.steps.back().tiering.empty()) {
      body += "<p>INFO tiering at the last step:</p><table>";
      for (const auto& [name, value] : t.steps.back().tiering) {
        body += "<tr><td>" + EscapeHtml(name) + "</td><td>" + EscapeHtml(value) + "</td></tr>";
      }
      body += "</table>\n";
    }
  }
  body += "<p>Dataset: keys written x (key length + mean value size), as offered by the client. "
          "Hit rate: the share of reads that found their key (a cache that evicts loses keys). "
          "RSS: /proc/&lt;pid&gt;/status when the target's pid was given, INFO used_memory_rss otherwise.</p>\n";
  return HtmlPage("tierkv-bench sweep", body);
}

void PrintSweepSummary(FILE* out, const SweepSpec& spec, const std::vector<TargetSweep>& sweeps) {
  for (const TargetSweep& t : sweeps) {
    std::fprintf(out, "%s (maxmemory %.0f MiB)\n", t.spec.target.name.c_str(), MiB(t.maxmemory));
    std::fprintf(out, "%8s %10s %10s %10s %9s %9s %8s %9s %6s\n", "ratio", "keys", "fill/s", "ops/s", "p50 ms",
                 "p99 ms", "hits", "RSS MiB", "meets");
    for (const SweepStep& s : t.steps) {
      std::fprintf(out, "%7gx %10llu %10.0f %10.0f %9.3f %9.3f %8.3f %9.1f %6s\n", s.ratio,
                   static_cast<unsigned long long>(s.keys), s.fill_ops_per_sec, s.mix.ops_per_sec(),
                   Ms(s.mix.latency.Percentile(50)), Ms(s.mix.latency.Percentile(99)), s.mix.hit_rate(), MiB(Rss(s)),
                   s.meets ? "yes" : "no");
    }
    if (!t.error.empty()) std::fprintf(out, "stopped: %s\n", t.error.c_str());
    std::fprintf(out, "%s\n", AnswerText(spec, t).c_str());
  }
}

}  // namespace tierkv::bench
