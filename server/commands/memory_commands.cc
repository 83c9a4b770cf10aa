// MEMORY USAGE STATS DOCTOR MALLOC-STATS PURGE HELP. The figures come from
// server/memory_figures.h (shared with INFO memory) and the entries' own accounting
// (Entry::MemoryUsage).
#include <cstdio>
#include <string>

#include "engine/memory.h"
#include "engine/number.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/memory_figures.h"
#include "server/server.h"

namespace tierkv {
namespace {

// MEMORY USAGE key [SAMPLES count]. tierkv's figure is what the key costs here: its
// entry (header, TTL block, key and, for strings, the value, in one allocation), the
// heap its value object holds, and its slot in the key table. Redis adds the same
// parts (dictEntry, key sds, robj, value) for its own layout. Most values know their
// size in O(1); a set hashtable measures SAMPLES of its members (default 5, 0: all).
void CmdMemoryUsage(CommandContext& ctx) {
  constexpr int64_t kDefaultSamples = 5;
  int64_t samples = kDefaultSamples;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (!EqualsIgnoreCase(ctx.arg(i), "samples") || i + 1 >= ctx.argc()) {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
    if (!ParseInt64(ctx.arg(i + 1), &samples)) return ReplyError(ctx.reply(), Status::NotInteger());
    if (samples < 0) return ReplyError(ctx.reply(), Status::Syntax());
    ++i;
  }
  const Entry* entry = ctx.db().Find(ctx.arg(2), /*touch=*/false);
  if (entry == nullptr) return ctx.reply().Null();
  ctx.reply().Integer(static_cast<int64_t>(entry->SampledMemoryUsage(static_cast<size_t>(samples)) + sizeof(Entry*)));
}

// Redis's reply shape and field names; figures tierkv has no counterpart for
// (replication, cluster links, scripts) are zero as in a Redis that uses none.
void CmdMemoryStats(CommandContext& ctx) {
  const MemoryFigures f = GatherMemoryFigures(ctx.server);
  Shard& shard = ctx.shard;
  size_t dbs_with_keys = 0;
  for (int i = 0; i < shard.db_count(); ++i) dbs_with_keys += shard.db(i).size() > 0 ? 1 : 0;
  ReplyWriter& reply = ctx.reply();
  auto integer = [&](std::string_view name, uint64_t value) {
    reply.Bulk(name);
    reply.Integer(static_cast<int64_t>(value));
  };
  auto signed_integer = [&](std::string_view name, int64_t value) {
    reply.Bulk(name);
    reply.Integer(value);
  };
  auto real = [&](std::string_view name, double value) {
    reply.Bulk(name);
    reply.Double(value);
  };
  reply.Map(27 + dbs_with_keys);
  integer("peak.allocated", f.peak);
  integer("total.allocated", f.used);
  integer("startup.allocated", f.startup);
  integer("replication.backlog", 0);
  integer("clients.slaves", 0);
  integer("clients.normal", f.clients_normal);
  integer("cluster.links", 0);
  integer("aof.buffer", f.journal);
  integer("lua.caches", 0);
  integer("functions.caches", 0);
  for (int i = 0; i < shard.db_count(); ++i) {
    const Db& db = shard.db(i);
    if (db.size() == 0) continue;
    reply.Bulk("db." + std::to_string(i));
    reply.Map(2);
    integer("overhead.hashtable.main", db.MainIndexBytes());
    integer("overhead.hashtable.expires", db.ExpireIndexBytes());
  }
  integer("overhead.total", f.overhead);
  integer("keys.count", f.keys);
  integer("keys.bytes-per-key", f.keys == 0 ? 0 : f.net_used / f.keys);
  integer("dataset.bytes", f.dataset);
  real("dataset.percentage", MemoryFigures::Ratio(f.dataset, f.net_used) * 100);
  real("peak.percentage", MemoryFigures::Ratio(f.used, f.peak) * 100);
  integer("allocator.allocated", f.allocator_allocated);
  integer("allocator.active", f.allocator_active);
  integer("allocator.resident", f.allocator_resident);
  real("allocator-fragmentation.ratio", f.allocator_frag_ratio());
  signed_integer("allocator-fragmentation.bytes", f.allocator_frag_bytes());
  real("allocator-rss.ratio", f.allocator_rss_ratio());
  signed_integer("allocator-rss.bytes", f.allocator_rss_bytes());
  real("rss-overhead.ratio", f.rss_overhead_ratio());
  signed_integer("rss-overhead.bytes", f.rss_overhead_bytes());
  real("fragmentation", f.fragmentation_ratio());
  signed_integer("fragmentation.bytes", f.fragmentation_bytes());
}

std::string Times(double ratio) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", ratio);
  return text;
}

// The checks Redis's memory doctor makes, on the same thresholds, in our own words.
std::string MemoryDoctorReport(Server& server, const MemoryFigures& f) {
  constexpr uint64_t kSmallInstance = 5ull << 20;
  constexpr uint64_t kSignificantBytes = 10ull << 20;
  constexpr uint64_t kBigClientBuffers = 200ull << 10;
  if (f.used < kSmallInstance) {
    return "This instance holds less than 5 MB: too little for its memory figures to point at a problem. "
           "Ask again once it holds data.\n";
  }
  std::string findings;
  if (MemoryFigures::Ratio(f.peak, f.used) > 1.5) {
    findings += " * Peak memory: at some point this instance used more than 150% of what it uses now "
                "(peak " + BytesToHuman(f.peak) + ", now " + BytesToHuman(f.used) + "). The fragmentation "
                "figures below may only reflect that peak, whose pages the allocator still holds.\n\n";
  }
  if (f.fragmentation_ratio() > 1.4 && f.fragmentation_bytes() > static_cast<int64_t>(kSignificantBytes)) {
    findings += " * High total RSS: the process's resident memory is " + Times(f.fragmentation_ratio()) +
                " times what the dataset and buffers use.\n\n";
  }
  if (f.allocator_frag_ratio() > 1.1 && f.allocator_frag_bytes() > static_cast<int64_t>(kSignificantBytes)) {
    findings += " * High allocator fragmentation: active pages hold " + Times(f.allocator_frag_ratio()) +
                " times the bytes allocated in them. MEMORY PURGE returns unused pages.\n\n";
  }
  if (f.allocator_rss_ratio() > 1.1 && f.allocator_rss_bytes() > static_cast<int64_t>(kSignificantBytes)) {
    findings += " * High allocator RSS overhead: the allocator keeps " + BytesToHuman(static_cast<uint64_t>(f.allocator_rss_bytes())) +
                " resident beyond its active pages. MEMORY PURGE returns them to the system.\n\n";
  }
  if (f.rss_overhead_ratio() > 1.1 && f.rss_overhead_bytes() > static_cast<int64_t>(kSignificantBytes)) {
    findings += " * High process RSS overhead: " + BytesToHuman(static_cast<uint64_t>(f.rss_overhead_bytes())) +
                " resident outside the allocator's heap (the tier's caches and libraries count here).\n\n";
  }
  const size_t clients = server.clients().size();
  if (clients > 0 && f.clients_normal / clients > kBigClientBuffers) {
    findings += " * Big client buffers: connected clients hold " + BytesToHuman(f.clients_normal / clients) +
                " of query and output buffers on average. Look at CLIENT LIST for the ones that lag behind.\n\n";
  }
  if (findings.empty()) return "No memory problem found in this instance's figures.\n";
  return "Memory problems found in this instance:\n\n" + findings;
}

void CmdMemoryDoctor(CommandContext& ctx) {
  ctx.reply().Verbatim(MemoryDoctorReport(ctx.server, GatherMemoryFigures(ctx.server)));
}

void CmdMemoryMallocStats(CommandContext& ctx) {
  const std::string text = AllocatorStatsText();
  ctx.reply().Verbatim(text.empty() ? "Stats not supported for the current allocator" : text);
}

void CmdMemoryPurge(CommandContext& ctx) {
  ReturnFreedMemoryToOs();
  ctx.reply().Ok();
}

void CmdMemoryHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "memory",
            {"DOCTOR",
             "    Return memory problems reports.",
             "MALLOC-STATS",
             "    Return internal statistics report from the memory allocator.",
             "PURGE",
             "    Attempt to purge dirty pages for reclamation by the allocator.",
             "STATS",
             "    Return information about the memory usage of the server.",
             "USAGE <key> [SAMPLES <count>]",
             "    Return memory in bytes used by <key> and its value. Nested values are",
             "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

}  // namespace

void RegisterMemoryCommands(CommandTable& table) {
  CommandSpec usage = Subcommand("server", "usage", -3, kCmdReadOnly, CmdMemoryUsage,
                                 "Estimates the memory usage of a key.", "4.0.0",
                                 "O(N) where N is the number of samples.");
  usage.first_key = 2;
  usage.last_key = 2;
  usage.key_step = 1;
  table.Add({.name = "memory",
             .arity = -2,
             .group = "server",
             .summary = "A container for memory diagnostics commands.",
             .since = "4.0.0",
             .complexity = "Depends on subcommand.",
             .subcommands = {
                 Subcommand("server", "doctor", 2, kCmdRandom, CmdMemoryDoctor,
                            "Outputs a memory problems report.", "4.0.0"),
                 Subcommand("server", "malloc-stats", 2, kCmdRandom, CmdMemoryMallocStats,
                            "Returns the allocator statistics.", "4.0.0",
                            "Depends on how much memory is allocated, could be slow"),
                 Subcommand("server", "purge", 2, 0, CmdMemoryPurge,
                            "Asks the allocator to release memory.", "4.0.0",
                            "Depends on how much memory is allocated, could be slow"),
                 Subcommand("server", "stats", 2, kCmdRandom, CmdMemoryStats,
                            "Returns details about memory usage.", "4.0.0"),
                 std::move(usage),
                 Subcommand("server", "help", 2, kCmdLoading | kCmdStale, CmdMemoryHelp,
                            "Outputs helpful text about the different subcommands.", "4.0.0"),
             }});
}

}  // namespace tierkv
