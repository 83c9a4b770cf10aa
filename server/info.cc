#include "server/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "engine/memory.h"
#include "server/memory_figures.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"
#include "server/version.h"

namespace tierkv {
namespace {

// One field into `out`: its text for INFO, or a figure for the metrics endpoint.
template <typename T>
void Field(InfoFieldSink& out, std::string_view name, const T& value) {
  if constexpr (std::is_convertible_v<T, std::string_view>) {
    out.Field(name, std::string_view(value));
  } else {
    out.Field(name, std::to_string(value));
  }
}

// INFO's text: "name:value\r\n" per field.
class InfoText final : public InfoFieldSink {
 public:
  explicit InfoText(std::string& out) : out_(out) {}
  void Field(std::string_view name, std::string_view value) override {
    out_.append(name);
    out_.push_back(':');
    out_.append(value);
    out_.append("\r\n");
  }

 private:
  std::string& out_;
};

// A message as one INFO value: line breaks would end the field.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text;
}

std::string Fixed2(double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", value);
  return buf;
}

std::string Seconds(const timeval& tv) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
  return buf;
}

std::string OsName() {
  utsname name;
  if (uname(&name) != 0) return "Linux";
  return std::string(name.sysname) + " " + name.release + " " + name.machine;
}

std::string ExecutablePath() {
  char buf[4096];
  const ssize_t len = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return len > 0 ? std::string(buf, static_cast<size_t>(len)) : std::string();
}

uint64_t TotalSystemMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : 0;
}

// ---------------------------------------------------------------------------
// Sections. Each appends its fields (not its header).

void ServerSection(Server& server, InfoFieldSink& out) {
  const int64_t now_ms = Shard::WallClockMs();
  const int64_t uptime = (now_ms - server.start_time_ms()) / 1000;
  Field(out, "redis_version", kRedisCompatVersion);
  Field(out, "tierkv_version", kTierkvVersion);
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", "0");
  Field(out, "redis_build_id", "0");
  Field(out, "redis_mode", "standalone");
  Field(out, "os", OsName());
  Field(out, "arch_bits", sizeof(void*) * 8);
  Field(out, "monotonic_clock", "POSIX clock_gettime");
  Field(out, "multiplexing_api", "epoll");
  Field(out, "atomicvar_api", "c11-builtin");
#if defined(__GNUC__) && !defined(__clang__)
  Field(out, "gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                                std::to_string(__GNUC_PATCHLEVEL__));
#else
  Field(out, "gcc_version", "0.0.0");
#endif
  Field(out, "process_id", static_cast<int64_t>(getpid()));
  Field(out, "process_supervised", "no");
  Field(out, "run_id", server.run_id());
  Field(out, "tcp_port", static_cast<int>(server.bound_port()));
  Field(out, "server_time_usec", now_ms * 1000);
  Field(out, "uptime_in_seconds", uptime);
  Field(out, "uptime_in_days", uptime / 86400);
  Field(out, "hz", server.settings().hz);
  Field(out, "configured_hz", server.settings().hz);
  Field(out, "lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
  Field(out, "executable", ExecutablePath());
  Field(out, "config_file", server.config().config_file());
  Field(out, "io_threads_active", "0");
  int index = 0;
  for (const std::string& bind : server.settings().bind) {
    Field(out, "listener" + std::to_string(index++),
          "name=tcp,bind=" + bind + ",port=" + std::to_string(server.bound_port()));
  }
  if (server.bound_tls_port() != 0) {
    for (const std::string& bind : server.settings().bind) {
      Field(out, "listener" + std::to_string(index++),
            "name=tls,bind=" + bind + ",port=" + std::to_string(server.bound_tls_port()));
    }
  }
}

void ClientsSection(Server& server, InfoFieldSink& out) {
  size_t max_input = 0;
  size_t max_output = 0;
  for (const auto& [id, connection] : server.clients()) {
    max_input = std::max(max_input, connection->query_buffer_bytes());
    max_output = std::max(max_output, connection->pending_output_bytes());
  }
  Field(out, "connected_clients", server.clients().size());
  Field(out, "cluster_connections", "0");
  Field(out, "maxclients", server.settings().maxclients);
  Field(out, "client_recent_max_input_buffer", max_input);
  Field(out, "client_recent_max_output_buffer", max_output);
  // As Redis, a client whose command waits for CLIENT PAUSE to end counts as blocked.
  Field(out, "blocked_clients", server.blocking().blocked_clients() + server.postponed_clients());
  Field(out, "tracking_clients", server.tracking().client_count());
  Field(out, "clients_in_timeout_table", "0");
  Field(out, "total_blocking_keys", server.blocking().blocking_keys());
  Field(out, "total_blocking_keys_on_nokey", "0");
}

void MemorySection(Server& server, InfoFieldSink& out) {
  const MemoryFigures f = GatherMemoryFigures(server);
  const uint64_t used = f.used;
  const uint64_t rss = f.rss;
  const uint64_t peak = f.peak;
  const uint64_t startup = f.startup;
  const uint64_t overhead = f.overhead;
  const uint64_t dataset = f.dataset;
  const uint64_t net_used = f.net_used;
  const uint64_t maxmemory = server.shard().options().maxmemory;
  const uint64_t system_memory = TotalSystemMemory();
  auto ratio = MemoryFigures::Ratio;

  Field(out, "used_memory", used);
  Field(out, "used_memory_human", BytesToHuman(used));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", BytesToHuman(rss));
  Field(out, "used_memory_peak", peak);
  Field(out, "used_memory_peak_human", BytesToHuman(peak));
  Field(out, "used_memory_peak_perc", Fixed2(ratio(used, peak) * 100) + "%");
  Field(out, "used_memory_overhead", overhead);
  Field(out, "used_memory_startup", startup);
  Field(out, "used_memory_dataset", dataset);
  Field(out, "used_memory_dataset_perc", Fixed2(ratio(dataset, net_used) * 100) + "%");
  Field(out, "allocator_allocated", f.allocator_allocated);
  Field(out, "allocator_active", f.allocator_active);
  Field(out, "allocator_resident", f.allocator_resident);
  Field(out, "total_system_memory", system_memory);
  Field(out, "total_system_memory_human", BytesToHuman(system_memory));
  // The Lua heaps of EVAL and of functions, cached script bodies and library code.
  const ScriptEngine& scripts = server.scripting();
  const uint64_t lua_memory = scripts.memory_bytes();
  const uint64_t functions_vm = scripts.functions_memory_bytes();
  const uint64_t functions_memory = scripts.functions().code_bytes();
  const uint64_t scripts_memory = scripts.scripts_bytes();
  Field(out, "used_memory_lua", lua_memory);
  Field(out, "used_memory_vm_eval", lua_memory);
  Field(out, "used_memory_lua_human", BytesToHuman(lua_memory));
  Field(out, "used_memory_scripts_eval", scripts_memory);
  Field(out, "number_of_cached_scripts", static_cast<uint64_t>(scripts.script_count()));
  Field(out, "number_of_functions", static_cast<uint64_t>(scripts.functions().function_count()));
  Field(out, "number_of_libraries", static_cast<uint64_t>(scripts.functions().libraries().size()));
  Field(out, "used_memory_vm_functions", functions_vm);
  Field(out, "used_memory_vm_total", lua_memory + functions_vm);
  Field(out, "used_memory_vm_total_human", BytesToHuman(lua_memory + functions_vm));
  Field(out, "used_memory_functions", functions_memory);
  Field(out, "used_memory_scripts", scripts_memory + functions_memory);
  Field(out, "used_memory_scripts_human", BytesToHuman(scripts_memory + functions_memory));
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", BytesToHuman(maxmemory));
  Field(out, "maxmemory_policy", EvictionPolicyName(server.shard().options().policy));
  Field(out, "allocator_frag_ratio", Fixed2(f.allocator_frag_ratio()));
  Field(out, "allocator_frag_bytes", std::max<int64_t>(f.allocator_frag_bytes(), 0));
  Field(out, "allocator_rss_ratio", Fixed2(f.allocator_rss_ratio()));
  Field(out, "allocator_rss_bytes", std::max<int64_t>(f.allocator_rss_bytes(), 0));
  Field(out, "rss_overhead_ratio", Fixed2(f.rss_overhead_ratio()));
  Field(out, "rss_overhead_bytes", f.rss_overhead_bytes());
  Field(out, "mem_fragmentation_ratio", Fixed2(f.fragmentation_ratio()));
  Field(out, "mem_fragmentation_bytes", f.fragmentation_bytes());
  Field(out, "mem_not_counted_for_evict", server.shard().MemoryNotCountedForEvict());
  Field(out, "mem_replication_backlog", "0");
  Field(out, "mem_total_replication_buffers", "0");
  Field(out, "mem_clients_slaves", "0");
  Field(out, "mem_clients_normal", f.clients_normal);
  Field(out, "mem_cluster_links", "0");
  Field(out, "mem_aof_buffer", f.journal);
  Field(out, "mem_allocator", AllocatorName());
  Field(out, "active_defrag_running", "0");
  Field(out, "lazyfree_pending_objects", std::to_string(server.shard().lazy_free().pending_objects()));
  Field(out, "lazyfreed_objects", std::to_string(server.shard().lazy_free().freed_objects()));
}

// Redis's field names, filled from checkpoint rounds (rdb_*) and the journal (aof_*),
// then tierkv's own. A server with `tier none` reports one that never saves.
void PersistenceSection(Server& server, InfoFieldSink& out) {
  const Durability* durability = server.durability();
  const DurabilityInfo d = durability != nullptr ? durability->info() : DurabilityInfo{};
  const int64_t now_ms = Shard::WallClockMs();
  const int64_t round_seconds = d.round_in_progress ? (now_ms - d.round_started_ms) / 1000 : -1;
  const bool journal_on = durability != nullptr && server.settings().appendonly;
  Field(out, "loading", "0");
  Field(out, "async_loading", "0");
  // A point-in-time round (appendonly no) keeps the states of keys changed before it wrote
  // them: what a fork's copy-on-write holds for Redis.
  Field(out, "current_cow_peak", d.kept_peak_bytes);
  Field(out, "current_cow_size", d.kept_bytes);
  Field(out, "current_cow_size_age", "0");
  Field(out, "current_fork_perc", "0.00");
  Field(out, "current_save_keys_processed", "0");
  Field(out, "current_save_keys_total", "0");
  Field(out, "rdb_changes_since_last_save", server.shard().stats().dirty);
  Field(out, "rdb_bgsave_in_progress", d.round_in_progress && !d.round_is_rewrite ? "1" : "0");
  Field(out, "rdb_last_save_time", durability != nullptr ? d.last_save_unix : server.start_time_ms() / 1000);
  Field(out, "rdb_last_bgsave_status", d.last_round_ok ? "ok" : "err");
  Field(out, "rdb_last_bgsave_time_sec", d.last_round_seconds);
  Field(out, "rdb_current_bgsave_time_sec", d.round_is_rewrite ? -1 : round_seconds);
  Field(out, "rdb_saves", d.rounds);
  Field(out, "rdb_last_cow_size", d.last_round_kept_peak_bytes);
  Field(out, "rdb_last_load_keys_expired", "0");
  Field(out, "rdb_last_load_keys_loaded", d.loaded_keys);
  Field(out, "aof_enabled", journal_on ? "1" : "0");
  Field(out, "aof_rewrite_in_progress", d.round_in_progress && d.round_is_rewrite ? "1" : "0");
  Field(out, "aof_rewrite_scheduled", d.round_scheduled ? "1" : "0");
  Field(out, "aof_last_rewrite_time_sec", d.last_rewrite_seconds);
  Field(out, "aof_current_rewrite_time_sec", d.round_is_rewrite ? round_seconds : -1);
  Field(out, "aof_last_bgrewrite_status", d.last_rewrite_ok ? "ok" : "err");
  Field(out, "aof_rewrites", d.rewrites);
  Field(out, "aof_rewrites_consecutive_failures", d.consecutive_rewrite_failures);
  Field(out, "aof_last_write_status", d.journal_write_ok ? "ok" : "err");
  Field(out, "aof_last_cow_size", "0");
  Field(out, "module_fork_in_progress", "0");
  Field(out, "module_fork_last_cow_size", "0");
  if (journal_on) {
    Field(out, "aof_current_size", d.journal_bytes);
    Field(out, "aof_base_size", "0");
    Field(out, "aof_pending_rewrite", d.round_scheduled ? "1" : "0");
    Field(out, "aof_buffer_length", "0");
    Field(out, "aof_pending_bio_fsync", "0");
    Field(out, "aof_delayed_fsync", "0");
  }
  Field(out, "checkpoint_lsn", d.checkpoint_lsn);
  Field(out, "journal_lsn", d.journal_lsn);
  Field(out, "journal_durable_lsn", d.durable_lsn);
  Field(out, "journal_bytes", d.journal_bytes);
  Field(out, "last_checkpoint_keys", d.last_checkpoint_keys);
  Field(out, "last_checkpoint_bytes", d.last_checkpoint_bytes);
  Field(out, "last_checkpoint_ms", d.last_checkpoint_ms);
  Field(out, "last_checkpoint_error", OneLine(d.last_round_error));
  Field(out, "tier_bytes", d.tier.disk_bytes);
  Field(out, "tier_memory_bytes", d.tier.memory_bytes);
  Field(out, "journal_memory_bytes", d.journal_memory_bytes);
  Field(out, "dirty_list_items", d.dirty_list_items);
  Field(out, "dirty_list_bytes", d.dirty_list_bytes);
  Field(out, "checkpoint_list_bytes", d.round_list_bytes);
  Field(out, "tombstones_pending", d.tombstones_pending);
  Field(out, "tombstone_bytes", d.tombstone_bytes);
}

// tierkv's own: values in DRAM and in the tier (engine/cold_values.h, server/cold_reads.h).
void TieringSection(Server& server, InfoFieldSink& out) {
  const Shard& shard = server.shard();
  const TieringStats& stats = shard.tiering_stats();
  const ColdReads& reads = server.cold_reads();
  const size_t cold = shard.ColdKeyCount();
  Field(out, "tiering_enabled", shard.options().tiering.enabled && server.durability() != nullptr ? 1 : 0);
  Field(out, "tier_keys_cold", cold);
  Field(out, "tier_keys_resident", shard.KeyCount() - cold);
  Field(out, "tier_max_size", shard.options().tiering.max_size);
  Field(out, "tier_full", shard.tier_full() ? 1 : 0);
  Field(out, "tier_demotions", stats.demotions);
  Field(out, "tier_demoted_bytes", stats.demoted_bytes);
  Field(out, "tier_promotions", stats.promotions);
  Field(out, "tier_sync_loads", stats.sync_loads);
  Field(out, "tier_load_failures", stats.load_failures);
  Field(out, "tier_demotion_starved", stats.demotion_starved);
  Field(out, "tier_cold_reads_in_flight", reads.in_flight());
  Field(out, "tier_clients_waiting", reads.clients_waiting());
  Field(out, "tier_cold_reads", reads.completed());
  Field(out, "tier_cold_read_failures", reads.failed());
  // Requests to the tier (each one MultiGet: all the cold keys of a command) and their keys.
  Field(out, "tier_read_requests", server.durability() != nullptr ? server.durability()->tier_read_requests() : 0);
  Field(out, "tier_read_keys", server.durability() != nullptr ? server.durability()->tier_read_keys() : 0);
  Field(out, "tier_cold_read_avg_usec", reads.completed() == 0 ? 0 : reads.total_latency_us() / reads.completed());
  Field(out, "tier_cold_read_p50_usec", reads.latency().ValueAtPercentile(50) / 1000);
  Field(out, "tier_cold_read_p99_usec", reads.latency().ValueAtPercentile(99) / 1000);
  const InfoCounters& counters = server.info_counters();
  Field(out, "tier_demotions_per_sec", static_cast<uint64_t>(counters.tier_demotions.PerSecond()));
  Field(out, "tier_promotions_per_sec", static_cast<uint64_t>(counters.tier_promotions.PerSecond()));
  // Of the lookups that found their key, the share whose value was in DRAM: the others
  // waited for a cold read or loaded one on the engine thread.
  const uint64_t hits = server.shard().stats().keyspace_hits;
  const uint64_t from_tier = std::min<uint64_t>(hits, reads.cold_lookups() + stats.sync_loads);
  Field(out, "tier_dram_hits_pct", Fixed2(hits == 0 ? 100.0 : 100.0 * static_cast<double>(hits - from_tier) / hits));
  Field(out, "tier_reads_admitted", reads.admitted());
  Field(out, "tier_reads_sent_back", reads.sent_back());
}

void StatsSection(Server& server, InfoFieldSink& out) {
  const ServerStats& s = server.stats();
  const KeyspaceStats& k = server.shard().stats();
  const InfoCounters& counters = server.info_counters();
  Field(out, "total_connections_received", s.total_connections_received);
  Field(out, "total_commands_processed", s.total_commands_processed);
  Field(out, "instantaneous_ops_per_sec", static_cast<uint64_t>(counters.ops.PerSecond()));
  Field(out, "total_net_input_bytes", s.net_input_bytes);
  Field(out, "total_net_output_bytes", s.net_output_bytes);
  Field(out, "total_net_repl_input_bytes", "0");
  Field(out, "total_net_repl_output_bytes", "0");
  Field(out, "instantaneous_input_kbps", Fixed2(counters.net_input.PerSecond() / 1024));
  Field(out, "instantaneous_output_kbps", Fixed2(counters.net_output.PerSecond() / 1024));
  Field(out, "instantaneous_input_repl_kbps", "0.00");
  Field(out, "instantaneous_output_repl_kbps", "0.00");
  Field(out, "rejected_connections", s.rejected_connections);
  Field(out, "sync_full", "0");
  Field(out, "sync_partial_ok", "0");
  Field(out, "sync_partial_err", "0");
  Field(out, "expired_keys", k.expired_keys);
  Field(out, "expired_stale_perc", Fixed2(static_cast<double>(k.expired_stale_perc_x100) / 100));
  Field(out, "expired_time_cap_reached_count", "0");
  Field(out, "expire_cycle_cpu_milliseconds", k.expire_cycle_cpu_ms);
  Field(out, "evicted_keys", k.evicted_keys);
  Field(out, "evicted_clients", "0");
  Field(out, "total_eviction_exceeded_time", "0");
  Field(out, "current_eviction_exceeded_time", "0");
  Field(out, "keyspace_hits", k.keyspace_hits);
  Field(out, "keyspace_misses", k.keyspace_misses);
  Field(out, "pubsub_channels", server.pubsub().NameCount(PubSub::Kind::kChannel));
  Field(out, "pubsub_patterns", server.pubsub().NameCount(PubSub::Kind::kPattern));
  Field(out, "pubsubshard_channels", server.pubsub().NameCount(PubSub::Kind::kShardChannel));
  Field(out, "latest_fork_usec", "0");
  Field(out, "total_forks", "0");
  Field(out, "migrate_cached_sockets", "0");
  Field(out, "slave_expires_tracked_keys", "0");
  Field(out, "active_defrag_hits", "0");
  Field(out, "active_defrag_misses", "0");
  Field(out, "active_defrag_key_hits", "0");
  Field(out, "active_defrag_key_misses", "0");
  Field(out, "total_active_defrag_time", "0");
  Field(out, "current_active_defrag_time", "0");
  Field(out, "tracking_total_keys", server.tracking().key_count());
  Field(out, "tracking_total_items", server.tracking().item_count());
  Field(out, "tracking_total_prefixes", server.tracking().prefix_count());
  Field(out, "unexpected_error_replies", "0");
  Field(out, "total_error_replies", s.total_error_replies);
  Field(out, "dump_payload_sanitizations", "0");
  Field(out, "total_reads_processed", s.total_reads_processed);
  Field(out, "total_writes_processed", s.total_writes_processed);
  Field(out, "io_threaded_reads_processed", "0");
  Field(out, "io_threaded_writes_processed", "0");
  Field(out, "client_query_buffer_limit_disconnections", s.client_query_buffer_limit_disconnections);
  Field(out, "client_output_buffer_limit_disconnections", s.client_output_limit_disconnections);
  const Acl::DenialCounts& denials = server.acl().denials();
  Field(out, "acl_access_denied_auth", denials.auth);
  Field(out, "acl_access_denied_cmd", denials.command);
  Field(out, "acl_access_denied_key", denials.key);
  Field(out, "acl_access_denied_channel", denials.channel);
}

// tierkv has no replication yet: a master without replicas and an empty backlog.
void ReplicationSection(Server& server, InfoFieldSink& out) {
  Field(out, "role", "master");
  Field(out, "connected_slaves", "0");
  Field(out, "master_failover_state", "no-failover");
  Field(out, "master_replid", server.info_counters().replid);
  Field(out, "master_replid2", std::string(40, '0'));
  Field(out, "master_repl_offset", "0");
  Field(out, "second_repl_offset", "-1");
  Field(out, "repl_backlog_active", "0");
  Field(out, "repl_backlog_size", "1048576");
  Field(out, "repl_backlog_first_byte_offset", "0");
  Field(out, "repl_backlog_histlen", "0");
}

void CpuSection(Server&, InfoFieldSink& out) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);  // INFO runs on the engine thread
  Field(out, "used_cpu_sys", Seconds(self.ru_stime));
  Field(out, "used_cpu_user", Seconds(self.ru_utime));
  Field(out, "used_cpu_sys_children", Seconds(children.ru_stime));
  Field(out, "used_cpu_user_children", Seconds(children.ru_utime));
  Field(out, "used_cpu_sys_main_thread", Seconds(thread.ru_stime));
  Field(out, "used_cpu_user_main_thread", Seconds(thread.ru_utime));
}

void ModulesSection(Server&, InfoFieldSink&) {}

void CommandStatsLine(InfoFieldSink& out, const std::string& name, const CommandStats& stats) {
  char buf[256];
  const double per_call = stats.calls == 0 ? 0.0 : static_cast<double>(stats.usec) / static_cast<double>(stats.calls);
  std::snprintf(buf, sizeof(buf), "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
                static_cast<unsigned long long>(stats.calls), static_cast<unsigned long long>(stats.usec), per_call,
                static_cast<unsigned long long>(stats.rejected_calls),
                static_cast<unsigned long long>(stats.failed_calls));
  Field(out, "cmdstat_" + name, buf);
}

void CommandStatsSection(Server& server, InfoFieldSink& out) {
  auto emit = [&](const CommandSpec& spec, const std::string& name) {
    const CommandStats& stats = spec.stats;
    if (stats.calls == 0 && stats.rejected_calls == 0 && stats.failed_calls == 0) return;
    CommandStatsLine(out, name, stats);
  };
  for (const auto& spec : server.commands().all()) {
    emit(*spec, spec->name);
    for (const CommandSpec& sub : spec->subcommands) emit(sub, spec->name + "|" + sub.name);
  }
}

void ErrorStatsSection(Server& server, InfoFieldSink& out) {
  for (const auto& [code, count] : server.info_counters().errors) {
    Field(out, "errorstat_" + code, "count=" + std::to_string(count));
  }
}

// latency_percentiles_usec_<command>:p50=..,p99=.. for each command with calls
// counted, while latency-tracking is on.
void LatencyStatsSection(Server& server, InfoFieldSink& out) {
  if (!server.settings().latency_tracking) return;
  const std::vector<double>& percentiles = server.settings().latency_tracking_info_percentiles;
  auto emit = [&](const CommandSpec& spec, const std::string& name) {
    if (spec.stats.latency == nullptr) return;
    std::string value;
    for (double percentile : percentiles) {
      char figure[64];
      std::snprintf(figure, sizeof(figure), "%.3f",
                    static_cast<double>(spec.stats.latency->ValueAtPercentile(percentile)) / 1000.0);
      if (!value.empty()) value += ',';
      value += "p" + PercentileText(percentile) + "=" + figure;
    }
    Field(out, "latency_percentiles_usec_" + name, value);
  };
  for (const auto& spec : server.commands().all()) {
    emit(*spec, spec->name);
    for (const CommandSpec& sub : spec->subcommands) emit(sub, spec->name + "|" + sub.name);
  }
}

void ClusterSection(Server&, InfoFieldSink& out) { Field(out, "cluster_enabled", "0"); }

void KeyspaceSection(Server& server, InfoFieldSink& out) {
  Shard& shard = server.shard();
  for (int index = 0; index < shard.db_count(); ++index) {
    const Db& db = shard.db(index);
    if (db.size() == 0) continue;
    Field(out, "db" + std::to_string(index),
          "keys=" + std::to_string(db.size()) + ",expires=" + std::to_string(db.expires_count()) + ",avg_ttl=0");
  }
}

struct Section {
  const char* name;   // as requested: INFO <name>
  const char* title;  // as printed: "# <title>"
  bool in_default;
  void (*build)(Server&, InfoFieldSink&);
};

// Redis's order.
constexpr Section kSections[] = {
    {"server", "Server", true, ServerSection},
    {"clients", "Clients", true, ClientsSection},
    {"memory", "Memory", true, MemorySection},
    {"persistence", "Persistence", true, PersistenceSection},
    {"tiering", "Tiering", false, TieringSection},  // tierkv's own: INFO tiering / all
    {"stats", "Stats", true, StatsSection},
    {"replication", "Replication", true, ReplicationSection},
    {"cpu", "CPU", true, CpuSection},
    {"modules", "Modules", true, ModulesSection},
    {"commandstats", "Commandstats", false, CommandStatsSection},
    {"errorstats", "Errorstats", true, ErrorStatsSection},
    {"latencystats", "Latencystats", false, LatencyStatsSection},
    {"cluster", "Cluster", true, ClusterSection},
    {"keyspace", "Keyspace", true, KeyspaceSection},
};
constexpr size_t kSectionCount = sizeof(kSections) / sizeof(kSections[0]);

}  // namespace

void RateSampler::Sample(int64_t now_ms, uint64_t total) {
  if (last_ms_ != 0 && now_ms > last_ms_) {
    const double delta = total >= last_total_ ? static_cast<double>(total - last_total_) : 0.0;
    samples_[next_] = delta * 1000.0 / static_cast<double>(now_ms - last_ms_);
    next_ = (next_ + 1) % kSamples;
  }
  last_ms_ = now_ms;
  last_total_ = total;
}

double RateSampler::PerSecond() const {
  double sum = 0;
  for (double sample : samples_) sum += sample;
  return sum / kSamples;
}

void RateSampler::Reset() { *this = RateSampler(); }

std::string RandomHex40() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string id(40, '0');
  for (char& c : id) c = kHex[device() % 16];
  return id;
}

InfoCounters::InfoCounters() : replid(RandomHex40()) {}

void InfoCounters::RecordError(std::string_view error_line) {
  const std::string_view code = error_line.substr(0, error_line.find(' '));
  auto it = errors.find(code);
  if (it == errors.end()) {
    errors.emplace(std::string(code), 1);
  } else {
    ++it->second;
  }
}

std::string BytesToHuman(uint64_t bytes) {
  static const char kUnits[] = "KMGTP";
  if (bytes < 1024) return std::to_string(bytes) + "B";
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof(kUnits) - 1) {
    value /= 1024;
    ++unit;
  }
  return Fixed2(value) + kUnits[unit];
}

std::string BuildInfo(Server& server, std::span<const std::string_view> sections) {
  bool wanted[kSectionCount] = {};
  auto want_default = [&] {
    for (size_t i = 0; i < kSectionCount; ++i) wanted[i] = wanted[i] || kSections[i].in_default;
  };
  if (sections.empty()) want_default();
  for (std::string_view requested : sections) {
    if (EqualsIgnoreCase(requested, "all") || EqualsIgnoreCase(requested, "everything")) {
      for (bool& w : wanted) w = true;
    } else if (EqualsIgnoreCase(requested, "default")) {
      want_default();
    } else {
      const std::string_view name = EqualsIgnoreCase(requested, "module_list") ? "modules" : requested;
      for (size_t i = 0; i < kSectionCount; ++i) {
        if (EqualsIgnoreCase(name, kSections[i].name)) wanted[i] = true;
      }
    }
  }
  std::string out;
  for (size_t i = 0; i < kSectionCount; ++i) {
    if (!wanted[i]) continue;
    if (!out.empty()) out.append("\r\n");  // a blank line between sections
    out.append("# ").append(kSections[i].title).append("\r\n");
    InfoText text(out);
    kSections[i].build(server, text);
  }
  return out;
}

void VisitInfoFields(Server& server, std::string_view section, InfoFieldSink& sink) {
  for (const Section& candidate : kSections) {
    if (section == candidate.name) candidate.build(server, sink);
  }
}

void ResetStats(Server& server) {
  ServerStats& s = server.stats();
  s = ServerStats();
  KeyspaceStats& k = server.shard().stats();
  const uint64_t dirty = k.dirty;  // changes since the last save are not a statistic
  k = KeyspaceStats();
  k.dirty = dirty;
  server.shard().lazy_free().ResetFreedCount();
  InfoCounters& counters = server.info_counters();
  for (const auto& spec : server.commands().all()) {
    spec->stats = CommandStats();
    for (const CommandSpec& sub : spec->subcommands) sub.stats = CommandStats();
  }
  counters.errors.clear();
  counters.ops.Reset();
  counters.net_input.Reset();
  counters.net_output.Reset();
  counters.tier_demotions.Reset();
  counters.tier_promotions.Reset();
}

void SampleInstantaneousMetrics(Server& server, int64_t now_ms) {
  InfoCounters& counters = server.info_counters();
  const ServerStats& s = server.stats();
  counters.ops.Sample(now_ms, s.total_commands_processed);
  counters.net_input.Sample(now_ms, s.net_input_bytes);
  counters.net_output.Sample(now_ms, s.net_output_bytes);
  const TieringStats& tiering = server.shard().tiering_stats();
  counters.tier_demotions.Sample(now_ms, tiering.demotions);
  counters.tier_promotions.Sample(now_ms, tiering.promotions);
}

}  // namespace tierkv
