#include "server/metrics/exposition.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "server/command_table.h"
#include "server/info.h"
#include "server/server.h"
#include "server/version.h"

namespace tierkv {
namespace {

void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendValue(std::string& out, double value) {
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  // The shortest text that reads back as the same double; integers without exponent
  // while exact (counts up to 2^53).
  char buf[64];
  const bool integral = value == std::floor(value) && std::fabs(value) < 9007199254740992.0;
  const auto result = integral ? std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, 0)
                               : std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, result.ptr);
}

// INFO fields that are identities or clocks rather than measurements.
constexpr std::string_view kNotFigures[] = {"redis_git_sha1", "redis_git_dirty",  "redis_build_id", "process_id",
                                            "tcp_port",       "lru_clock",        "arch_bits",      "server_time_usec",
                                            "uptime_in_days", "configured_hz"};

// INFO fields that only grow (until CONFIG RESETSTAT): counters. The rest are gauges.
constexpr std::string_view kCounterFields[] = {
    "total_connections_received", "total_commands_processed", "total_net_input_bytes", "total_net_output_bytes",
    "total_net_repl_input_bytes", "total_net_repl_output_bytes", "rejected_connections", "sync_full",
    "sync_partial_ok", "sync_partial_err", "expired_keys", "expired_time_cap_reached_count",
    "expire_cycle_cpu_milliseconds", "evicted_keys", "evicted_clients", "total_eviction_exceeded_time",
    "keyspace_hits", "keyspace_misses", "total_forks", "active_defrag_hits", "active_defrag_misses",
    "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time", "unexpected_error_replies",
    "total_error_replies", "dump_payload_sanitizations", "total_reads_processed", "total_writes_processed", "io_threaded_reads_processed",
    "io_threaded_writes_processed", "client_query_buffer_limit_disconnections",
    "client_output_buffer_limit_disconnections", "acl_access_denied_auth", "acl_access_denied_cmd",
    "acl_access_denied_key", "acl_access_denied_channel", "rdb_saves", "aof_rewrites", "lazyfreed_objects",
    "used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
    "used_cpu_sys_main_thread", "used_cpu_user_main_thread", "tier_demotions", "tier_demoted_bytes",
    "tier_promotions", "tier_sync_loads", "tier_load_failures", "tier_demotion_starved", "tier_cold_reads",
    "tier_cold_read_failures", "tier_reads_admitted", "tier_reads_sent_back"};

template <size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view name) {
  for (std::string_view entry : list) {
    if (entry == name) return true;
  }
  return false;
}

// A field's value as a number: plain numbers ("12", "1.05"), ratios printed with a
// '%', and the "ok"/"err" of status fields as 1/0. False for text (versions, names).
bool FigureOf(std::string_view name, std::string_view value, double* figure) {
  if (name.ends_with("_status")) {
    if (value != "ok" && value != "err") return false;
    *figure = value == "ok" ? 1 : 0;
    return true;
  }
  if (value.ends_with('%')) value.remove_suffix(1);
  if (value.empty()) return false;
  const std::string text(value);
  char* end = nullptr;
  *figure = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*figure);
}

// Turns the fields of one INFO section into families named after them: a counter
// "total_x" or "x" becomes tierkv_x_total, a gauge "x" or "x_total" tierkv_x.
class InfoFigures final : public InfoFieldSink {
 public:
  InfoFigures(PrometheusText& text, std::string_view section, std::set<std::string>& seen)
      : text_(text), section_(section), seen_(seen) {}

  void Field(std::string_view name, std::string_view value) override {
    double figure;
    if (Contains(kNotFigures, name) || !FigureOf(name, value, &figure)) return;
    const bool counter = Contains(kCounterFields, name);
    std::string family = "tierkv_";
    if (counter) {
      family += name.starts_with("total_") ? name.substr(6) : name;
      family += "_total";
    } else {
      // A gauge named like a counter ("used_memory_vm_total") would read as one.
      family += name.ends_with("_total") ? name.substr(0, name.size() - 6) : name;
    }
    if (!seen_.insert(family).second) return;  // one family per name, whichever section shows it first
    text_.Family(family, counter ? "counter" : "gauge", "INFO " + section_ + " " + std::string(name));
    text_.Sample(family, {}, figure);
  }

 private:
  PrometheusText& text_;
  std::string section_;
  std::set<std::string>& seen_;
};

// Histogram bounds: powers of two from 1 µs to about one second (latency-tracking
// keeps calls up to 1 s), as seconds for the `le` label and as ns for the lookup.
struct LatencyBounds {
  static constexpr size_t kCount = 21;
  std::array<uint64_t, kCount> ns{};
  std::array<std::string, kCount> labels;
  LatencyBounds() {
    for (size_t i = 0; i < kCount; ++i) {
      ns[i] = 1000ull << i;
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(ns[i]) / 1e9);
      labels[i] = buf;
    }
  }
};

// Calls every command and subcommand with its INFO name ("get", "config|get").
template <typename Visit>
void ForEachCommand(const CommandTable& commands, Visit visit) {
  for (const auto& spec : commands.all()) {
    visit(*spec, spec->name);
    for (const CommandSpec& sub : spec->subcommands) visit(sub, spec->name + "|" + sub.name);
  }
}

void CommandFamilies(Server& server, PrometheusText& text) {
  struct Counter {
    const char* family;
    const char* help;
    double (*value)(const CommandStats&);
  };
  static constexpr Counter kCounters[] = {
      {"tierkv_command_calls_total", "Calls of the command (INFO commandstats calls)",
       [](const CommandStats& s) { return static_cast<double>(s.calls); }},
      {"tierkv_command_duration_seconds_total", "Time spent in the command (INFO commandstats usec)",
       [](const CommandStats& s) { return static_cast<double>(s.usec) / 1e6; }},
      {"tierkv_command_failed_calls_total", "Calls that answered an error (INFO commandstats failed_calls)",
       [](const CommandStats& s) { return static_cast<double>(s.failed_calls); }},
      {"tierkv_command_rejected_calls_total",
       "Calls refused before the command ran (INFO commandstats rejected_calls)",
       [](const CommandStats& s) { return static_cast<double>(s.rejected_calls); }},
  };
  auto used = [](const CommandStats& s) { return s.calls != 0 || s.rejected_calls != 0 || s.failed_calls != 0; };
  for (const Counter& counter : kCounters) {
    text.Family(counter.family, "counter", counter.help);
    ForEachCommand(server.commands(), [&](const CommandSpec& spec, const std::string& name) {
      if (used(spec.stats)) text.Sample(counter.family, {{"cmd", name}}, counter.value(spec.stats));
    });
  }

  if (!server.settings().latency_tracking) return;
  static const LatencyBounds bounds;
  constexpr std::string_view kHistogram = "tierkv_command_latency_seconds";
  text.Family(kHistogram, "histogram", "Latency of the command's calls (latency-tracking, as LATENCY HISTOGRAM)");
  ForEachCommand(server.commands(), [&](const CommandSpec& spec, const std::string& name) {
    const LatencyHistogram* histogram = spec.stats.latency.get();
    if (histogram == nullptr) return;
    const std::vector<uint64_t> cumulative = histogram->CumulativeAt(bounds.ns);
    for (size_t i = 0; i < LatencyBounds::kCount; ++i) {
      text.Sample("tierkv_command_latency_seconds_bucket", {{"cmd", name}, {"le", bounds.labels[i]}},
                  static_cast<double>(cumulative[i]));
    }
    text.Sample("tierkv_command_latency_seconds_bucket", {{"cmd", name}, {"le", "+Inf"}},
                static_cast<double>(histogram->total()));
    text.Sample("tierkv_command_latency_seconds_sum", {{"cmd", name}}, static_cast<double>(histogram->sum_ns()) / 1e9);
    text.Sample("tierkv_command_latency_seconds_count", {{"cmd", name}}, static_cast<double>(histogram->total()));
  });
}

void ErrorFamilies(Server& server, PrometheusText& text) {
  text.Family("tierkv_errors_total", "counter", "Error replies by error code (INFO errorstats)");
  for (const auto& [code, count] : server.info_counters().errors) {
    text.Sample("tierkv_errors_total", {{"err", code}}, static_cast<double>(count));
  }
}

void KeyspaceFamilies(Server& server, PrometheusText& text) {
  Shard& shard = server.shard();
  text.Family("tierkv_db_keys", "gauge", "Keys in the database (INFO keyspace keys)");
  for (int index = 0; index < shard.db_count(); ++index) {
    const std::string db = "db" + std::to_string(index);
    text.Sample("tierkv_db_keys", {{"db", db}}, static_cast<double>(shard.db(index).size()));
  }
  text.Family("tierkv_db_keys_expiring", "gauge", "Keys with a time to live in the database (INFO keyspace expires)");
  for (int index = 0; index < shard.db_count(); ++index) {
    const std::string db = "db" + std::to_string(index);
    text.Sample("tierkv_db_keys_expiring", {{"db", db}}, static_cast<double>(shard.db(index).expires_count()));
  }
}

}  // namespace

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  AppendEscaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::Sample(std::string_view name, Labels labels, double value) {
  out_ += name;
  if (labels.size() != 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += label;
      out_ += "=\"";
      AppendEscaped(out_, label_value, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  AppendValue(out_, value);
  out_ += '\n';
}

std::string BuildMetricsPage(Server& server) {
  PrometheusText text;
  text.Family("tierkv_build_info", "gauge", "The server's version and the Redis version it answers as");
  text.Sample("tierkv_build_info", {{"version", kTierkvVersion}, {"redis_version", kRedisCompatVersion}}, 1);
  std::set<std::string> seen;
  const bool tiering = server.shard().options().tiering.enabled && server.durability() != nullptr;
  for (std::string_view section : {"server", "clients", "memory", "persistence", "tiering", "stats", "cpu"}) {
    if (section == "tiering" && !tiering) continue;
    InfoFigures figures(text, section, seen);
    VisitInfoFields(server, section, figures);
  }
  CommandFamilies(server, text);
  ErrorFamilies(server, text);
  KeyspaceFamilies(server, text);
  return text.Take();
}

}  // namespace tierkv
