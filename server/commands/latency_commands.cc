// LATENCY LATEST HISTORY RESET GRAPH DOCTOR HISTOGRAM HELP. What is recorded, and
// when, is server/latency.h, Server::CountCall (commands) and Server::NoteLatency
// (the cron's expire cycle, eviction).
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/latency.h"
#include "server/server.h"

namespace tierkv {
namespace {

int64_t NowSeconds() { return Shard::WallClockMs() / 1000; }

void CmdLatencyLatest(CommandContext& ctx) {
  const auto& events = ctx.server.latency_monitor().events();
  ctx.reply().Array(events.size());
  for (const auto& [name, event] : events) {
    const LatencySample& latest = event.latest();
    ctx.reply().Array(4);
    ctx.reply().Bulk(name);
    ctx.reply().Integer(latest.unix_seconds);
    ctx.reply().Integer(static_cast<int64_t>(latest.ms));
    ctx.reply().Integer(static_cast<int64_t>(event.max_ms));
  }
}

void CmdLatencyHistory(CommandContext& ctx) {
  const LatencyMonitor::Event* event = ctx.server.latency_monitor().Find(ctx.arg(2));
  if (event == nullptr) return ctx.reply().Array(0);
  const std::vector<LatencySample> history = event->History();
  ctx.reply().Array(history.size());
  for (const LatencySample& sample : history) {
    ctx.reply().Array(2);
    ctx.reply().Integer(sample.unix_seconds);
    ctx.reply().Integer(static_cast<int64_t>(sample.ms));
  }
}

void CmdLatencyReset(CommandContext& ctx) {
  LatencyMonitor& monitor = ctx.server.latency_monitor();
  if (ctx.argc() == 2) return ctx.reply().Integer(static_cast<int64_t>(monitor.ResetAll()));
  int64_t reset = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) reset += monitor.Reset(ctx.arg(i)) ? 1 : 0;
  ctx.reply().Integer(reset);
}

void CmdLatencyGraph(CommandContext& ctx) {
  const LatencyMonitor::Event* event = ctx.server.latency_monitor().Find(ctx.arg(2));
  if (event == nullptr) {
    return ctx.reply().Error("ERR No samples available for event '" + std::string(ctx.arg(2)) + "'");
  }
  ctx.reply().Verbatim(LatencyGraph(ctx.arg(2), *event, NowSeconds()));
}

void CmdLatencyDoctor(CommandContext& ctx) {
  ctx.reply().Verbatim(
      LatencyDoctorReport(ctx.server.latency_monitor(), ctx.server.settings().latency_monitor_threshold));
}

// Redis's shape: {command: {calls: n, histogram_usec: {bucket: cumulative calls}}}.
void ReplyHistogram(ReplyWriter& reply, const std::string& name, const LatencyHistogram& histogram) {
  reply.Bulk(name);
  reply.Map(2);
  reply.Bulk("calls");
  reply.Integer(static_cast<int64_t>(histogram.total()));
  reply.Bulk("histogram_usec");
  const auto buckets = histogram.CumulativeByPowerOfTwo();
  reply.Map(buckets.size());
  for (const auto& [usec, calls] : buckets) {
    reply.Integer(static_cast<int64_t>(usec));
    reply.Integer(static_cast<int64_t>(calls));
  }
}

// Every command (or the named ones, a container standing for its subcommands) with
// calls counted since the start or CONFIG RESETSTAT. Unknown names are skipped.
void CmdLatencyHistogram(CommandContext& ctx) {
  std::vector<std::pair<std::string, const LatencyHistogram*>> shown;
  auto add = [&](const CommandSpec& spec, const CommandSpec* parent) {
    if (spec.stats.latency == nullptr) return;
    shown.emplace_back(parent == nullptr ? spec.name : parent->name + "|" + spec.name, spec.stats.latency.get());
  };
  auto add_with_subcommands = [&](const CommandSpec& spec) {
    add(spec, nullptr);
    for (const CommandSpec& sub : spec.subcommands) add(sub, &spec);
  };
  const CommandTable& table = ctx.server.commands();
  if (ctx.argc() == 2) {
    for (const auto& spec : table.all()) add_with_subcommands(*spec);
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const std::string_view name = ctx.arg(i);
      const size_t bar = name.find('|');
      const CommandSpec* spec = table.Find(name.substr(0, bar));
      if (spec == nullptr) continue;
      if (bar == std::string_view::npos) {
        add_with_subcommands(*spec);
      } else if (const CommandSpec* sub = CommandTable::FindSubcommand(*spec, name.substr(bar + 1))) {
        add(*sub, spec);
      }
    }
  }
  ctx.reply().Map(shown.size());
  for (const auto& [name, histogram] : shown) ReplyHistogram(ctx.reply(), name, *histogram);
}

void CmdLatencyHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "latency",
            {"DOCTOR",
             "    Return a human readable latency analysis report.",
             "GRAPH <event>",
             "    Return an ASCII latency graph for the <event> class.",
             "HISTORY <event>",
             "    Return time-latency samples for the <event> class.",
             "LATEST",
             "    Return the latest latency samples for all events.",
             "RESET [<event> ...]",
             "    Reset latency data of one or more <event> classes.",
             "    (default: reset all data for all event classes)",
             "HISTOGRAM [COMMAND ...]",
             "    Return a cumulative distribution of latencies in the format of a histogram for the specified "
             "command names.",
             "    If no commands are specified then all histograms are replied."});
}

}  // namespace

void RegisterLatencyCommands(CommandTable& table) {
  const uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  table.Add({.name = "latency",
             .arity = -2,
             .group = "server",
             .summary = "A container for latency diagnostics commands.",
             .since = "2.8.13",
             .complexity = "Depends on subcommand.",
             .subcommands = {
                 Subcommand("server", "doctor", 2, kAdmin | kCmdRandom, CmdLatencyDoctor,
                            "Returns a human-readable latency analysis report.", "2.8.13"),
                 Subcommand("server", "graph", 3, kAdmin | kCmdRandom, CmdLatencyGraph,
                            "Returns a latency graph for an event.", "2.8.13"),
                 Subcommand("server", "histogram", -2, kAdmin | kCmdRandom, CmdLatencyHistogram,
                            "Returns the cumulative distribution of latencies of a subset or all commands.",
                            "7.0.0", "O(N) where N is the number of commands with latency information being retrieved."),
                 Subcommand("server", "history", 3, kAdmin | kCmdRandom, CmdLatencyHistory,
                            "Returns timestamp-latency samples for an event.", "2.8.13"),
                 Subcommand("server", "latest", 2, kAdmin | kCmdRandom, CmdLatencyLatest,
                            "Returns the latest latency samples for all events.", "2.8.13"),
                 Subcommand("server", "reset", -2, kAdmin, CmdLatencyReset,
                            "Resets the latency data for one or more events.", "2.8.13"),
                 Subcommand("server", "help", 2, kCmdLoading | kCmdStale, CmdLatencyHelp,
                            "Returns helpful text about the different subcommands.", "2.8.13"),
             }});
}

}  // namespace tierkv
