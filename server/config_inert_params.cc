// Redis 7.2 parameters that tierkv accepts, validates as Redis does (yes/no,
// integer, memory value, one of a set of words), stores and reports, but that
// have no effect here: replication, cluster, TLS, RDB/AOF file details,
// listpack sizes of types not built yet... Accepting them keeps
// existing redis.conf files and configuration tooling working; docs/CONFIG.md
// lists every parameter and says which ones tierkv honours. The parameters
// tierkv acts on are in server/config.cc.
//
// Defaults are Redis 7.2's (CONFIG GET on a default redis-server). Memory
// values are stored in bytes, so CONFIG SET repl-backlog-size 2mb reads back as
// 2097152, as in Redis.
#include <cstdint>
#include <memory>
#include <sstream>

#include "engine/number.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/config_param.h"

namespace tierkv {

namespace {

// kMemoryPercent: a memory value or a percentage of maxmemory ("10%").
enum InertKind { kBool, kInt, kMemory, kMemoryPercent, kEnum, kString, kWords };
// kHidden: Redis's debugging knobs, left out of CONFIG GET patterns (answered when named).
enum InertFlags : unsigned { kStartup = 0, kRuntime = 1, kProtected = 2, kHidden = 4 };

struct InertDefault {
  const char* name;
  const char* alias;    // Redis's older name ("slave-read-only"), or ""
  const char* value;    // default
  InertKind kind;
  unsigned flags;       // kRuntime: CONFIG SET may change it; kProtected: needs enable-protected-configs; kHidden
  const char* choices;  // kEnum: the accepted words, '|'-separated, in Redis's order
  int64_t min = INT64_MIN;  // kInt: Redis's bounds
  int64_t max = INT64_MAX;
};

constexpr InertDefault kInertParams[] = {
    {"active-defrag-cycle-max", "", "25", kInt, kRuntime, "", 1, 99},
    {"active-defrag-cycle-min", "", "1", kInt, kRuntime, "", 1, 99},
    {"active-defrag-ignore-bytes", "", "104857600", kMemory, kRuntime, ""},
    {"active-defrag-max-scan-fields", "", "1000", kInt, kRuntime, "", 1, INT64_MAX},
    {"active-defrag-threshold-lower", "", "10", kInt, kRuntime, "", 0, 1000},
    {"active-defrag-threshold-upper", "", "100", kInt, kRuntime, "", 0, 1000},
    {"activedefrag", "", "no", kBool, kRuntime, ""},
    {"activerehashing", "", "yes", kBool, kRuntime, ""},
    {"always-show-logo", "", "no", kBool, kStartup, ""},
    {"aof-disable-auto-gc", "", "no", kBool, kRuntime, ""},
    {"aof-load-truncated", "", "yes", kBool, kRuntime, ""},
    {"aof-rewrite-incremental-fsync", "", "yes", kBool, kRuntime, ""},
    {"aof-timestamp-enabled", "", "no", kBool, kRuntime, ""},
    {"aof-use-rdb-preamble", "", "yes", kBool, kRuntime, ""},
    {"aof_rewrite_cpulist", "", "", kString, kStartup, ""},
    {"appenddirname", "", "appendonlydir", kString, kStartup, ""},
    {"appendfilename", "", "appendonly.aof", kString, kStartup, ""},
    {"auto-aof-rewrite-min-size", "", "67108864", kMemory, kRuntime, ""},
    {"auto-aof-rewrite-percentage", "", "100", kInt, kRuntime, "", 0, INT32_MAX},
    {"bgsave_cpulist", "", "", kString, kStartup, ""},
    {"bind-source-addr", "", "", kString, kRuntime, ""},
    {"bio_cpulist", "", "", kString, kStartup, ""},
    {"cluster-allow-pubsubshard-when-down", "", "yes", kBool, kRuntime, ""},
    {"cluster-allow-reads-when-down", "", "no", kBool, kRuntime, ""},
    {"cluster-allow-replica-migration", "", "yes", kBool, kRuntime, ""},
    {"cluster-announce-bus-port", "", "0", kInt, kRuntime, "", 0, 65535},
    {"cluster-announce-hostname", "", "", kString, kRuntime, ""},
    {"cluster-announce-human-nodename", "", "", kString, kRuntime, ""},
    {"cluster-announce-ip", "", "", kString, kRuntime, ""},
    {"cluster-announce-port", "", "0", kInt, kRuntime, "", 0, 65535},
    {"cluster-announce-tls-port", "", "0", kInt, kRuntime, "", 0, 65535},
    {"cluster-config-file", "", "nodes.conf", kString, kStartup, ""},
    {"cluster-enabled", "", "no", kBool, kStartup, ""},
    {"cluster-link-sendbuf-limit", "", "0", kMemory, kRuntime, ""},
    {"cluster-migration-barrier", "", "1", kInt, kRuntime, "", 0, INT32_MAX},
    {"cluster-node-timeout", "", "15000", kInt, kRuntime, "", 0, INT64_MAX},
    {"cluster-port", "", "0", kInt, kStartup, "", 0, 65535},
    {"cluster-preferred-endpoint-type", "", "ip", kEnum, kRuntime, "ip|hostname|unknown-endpoint"},
    {"cluster-replica-no-failover", "cluster-slave-no-failover", "no", kBool, kRuntime, ""},
    {"cluster-replica-validity-factor", "cluster-slave-validity-factor", "10", kInt, kRuntime, "", 0, INT32_MAX},
    {"cluster-require-full-coverage", "", "yes", kBool, kRuntime, ""},
    {"crash-log-enabled", "", "yes", kBool, kRuntime, ""},
    {"crash-memcheck-enabled", "", "yes", kBool, kRuntime, ""},
    {"dbfilename", "", "dump.rdb", kString, kRuntime | kProtected, ""},
    {"disable-thp", "", "yes", kBool, kStartup, ""},
    {"dynamic-hz", "", "yes", kBool, kRuntime, ""},
    {"ignore-warnings", "", "", kString, kRuntime, ""},
    {"io-threads", "", "1", kInt, kStartup, "", 1, 128},
    {"io-threads-do-reads", "", "no", kBool, kStartup, ""},
    {"jemalloc-bg-thread", "", "yes", kBool, kRuntime, ""},
    {"key-load-delay", "", "0", kInt, kRuntime | kHidden, "", INT32_MIN, INT32_MAX},
    {"list-compress-depth", "", "0", kInt, kRuntime, "", 0, INT32_MAX},
    {"loading-process-events-interval-bytes", "", "2097152", kInt, kRuntime | kHidden, "", 1024, INT32_MAX},
    {"locale-collate", "", "", kString, kRuntime, ""},
    {"masterauth", "", "", kString, kRuntime, ""},
    {"masteruser", "", "", kString, kRuntime, ""},
    {"maxmemory-clients", "", "0", kMemoryPercent, kRuntime, ""},
    {"maxmemory-eviction-tenacity", "", "10", kInt, kRuntime, "", 0, 100},
    {"min-replicas-max-lag", "min-slaves-max-lag", "10", kInt, kRuntime, "", 0, INT32_MAX},
    {"min-replicas-to-write", "min-slaves-to-write", "0", kInt, kRuntime, "", 0, INT32_MAX},
    {"no-appendfsync-on-rewrite", "", "no", kBool, kRuntime, ""},
    {"oom-score-adj", "", "no", kEnum, kRuntime, "no|yes|relative|absolute"},
    {"oom-score-adj-values", "", "0 200 800", kWords, kRuntime, ""},
    {"proc-title-template", "", "{title} {listen-addr} {server-mode}", kString, kRuntime, ""},
    {"propagation-error-behavior", "", "ignore", kEnum, kRuntime, "ignore|panic|panic-on-replicas"},
    {"rdb-del-sync-files", "", "no", kBool, kRuntime, ""},
    {"rdb-key-save-delay", "", "0", kInt, kRuntime | kHidden, "", INT32_MIN, INT32_MAX},
    {"rdb-save-incremental-fsync", "", "yes", kBool, kRuntime, ""},
    {"rdbchecksum", "", "yes", kBool, kStartup, ""},
    {"rdbcompression", "", "yes", kBool, kRuntime, ""},
    {"repl-backlog-size", "", "1048576", kMemory, kRuntime, ""},
    {"repl-backlog-ttl", "", "3600", kInt, kRuntime, "", 0, INT64_MAX},
    {"repl-disable-tcp-nodelay", "", "no", kBool, kRuntime, ""},
    {"repl-diskless-load", "", "disabled", kEnum, kRuntime, "disabled|on-empty-db|swapdb"},
    {"repl-diskless-sync", "", "yes", kBool, kRuntime, ""},
    {"repl-diskless-sync-delay", "", "5", kInt, kRuntime, "", 0, INT32_MAX},
    {"repl-diskless-sync-max-replicas", "", "0", kInt, kRuntime, "", 0, INT32_MAX},
    {"repl-ping-replica-period", "repl-ping-slave-period", "10", kInt, kRuntime, "", 1, INT32_MAX},
    {"repl-timeout", "", "60", kInt, kRuntime, "", 1, INT32_MAX},
    {"replica-announce-ip", "slave-announce-ip", "", kString, kRuntime, ""},
    {"replica-announce-port", "slave-announce-port", "0", kInt, kRuntime, "", 0, 65535},
    {"replica-announced", "", "yes", kBool, kRuntime, ""},
    {"replica-ignore-disk-write-errors", "", "no", kBool, kRuntime, ""},
    {"replica-ignore-maxmemory", "slave-ignore-maxmemory", "yes", kBool, kRuntime, ""},
    {"replica-lazy-flush", "slave-lazy-flush", "no", kBool, kRuntime, ""},
    {"replica-priority", "slave-priority", "100", kInt, kRuntime, "", 0, INT32_MAX},
    {"replica-read-only", "slave-read-only", "yes", kBool, kRuntime, ""},
    {"replica-serve-stale-data", "slave-serve-stale-data", "yes", kBool, kRuntime, ""},
    {"replicaof", "slaveof", "", kWords, kStartup, ""},
    {"sanitize-dump-payload", "", "no", kEnum, kRuntime, "no|yes|clients"},
    {"server_cpulist", "", "", kString, kStartup, ""},
    {"set-proc-title", "", "yes", kBool, kStartup, ""},
    {"shutdown-on-sigint", "", "default", kString, kRuntime, ""},
    {"shutdown-on-sigterm", "", "default", kString, kRuntime, ""},
    {"shutdown-timeout", "", "10", kInt, kRuntime, "", 0, INT32_MAX},
    {"socket-mark-id", "", "0", kInt, kStartup, "", 0, UINT32_MAX},
    {"supervised", "", "no", kEnum, kStartup, "upstart|systemd|auto|no"},
    {"syslog-enabled", "", "no", kBool, kStartup, ""},
    {"syslog-facility", "", "local0", kEnum, kStartup, "user|local0|local1|local2|local3|local4|local5|local6|local7"},
    {"syslog-ident", "", "redis", kString, kStartup, ""},
    {"tcp-keepalive", "", "300", kInt, kRuntime, "", 0, INT32_MAX},
    {"tls-client-cert-file", "", "", kString, kRuntime, ""},
    {"tls-client-key-file", "", "", kString, kRuntime, ""},
    {"tls-client-key-file-pass", "", "", kString, kRuntime, ""},
    {"tls-cluster", "", "no", kBool, kRuntime, ""},
    {"tls-dh-params-file", "", "", kString, kRuntime, ""},
    {"tls-replication", "", "no", kBool, kRuntime, ""},
    {"use-exit-on-panic", "", "no", kBool, kRuntime | kHidden, ""},
    {"unixsocket", "", "", kString, kStartup, ""},
    {"unixsocketperm", "", "0", kString, kStartup, ""},
    {"watchdog-period", "", "0", kInt, kRuntime | kHidden, "", 0, INT32_MAX},
};

Status CheckInert(const InertDefault& d, const std::vector<std::string>& words, std::string* stored) {
  const std::string& value = words[0];
  switch (d.kind) {
    case kBool: {
      const std::string lower = AsciiLower(value);
      if (lower != "yes" && lower != "no") return Status::Error("argument must be 'yes' or 'no'");
      *stored = lower;
      return Status::Ok();
    }
    case kInt: {
      int64_t number;
      if (!ParseInt64(value, &number)) return Status::Error("argument couldn't be parsed into an integer");
      if (number < d.min || number > d.max) {
        return Status::Error("argument must be between " + std::to_string(d.min) + " and " + std::to_string(d.max) +
                             " inclusive");
      }
      *stored = std::to_string(number);
      return Status::Ok();
    }
    case kMemory: {
      uint64_t bytes;
      if (!ParseMemory(value, &bytes)) return Status::Error("argument must be a memory value");
      *stored = std::to_string(bytes);
      return Status::Ok();
    }
    case kMemoryPercent: {
      int64_t percent;
      uint64_t bytes;
      if (value.ends_with('%') && ParseInt64(std::string_view(value).substr(0, value.size() - 1), &percent) &&
          percent >= 0 && percent <= 100) {
        *stored = std::to_string(percent) + "%";
        return Status::Ok();
      }
      if (!ParseMemory(value, &bytes)) return Status::Error("argument must be a memory or percent value");
      *stored = std::to_string(bytes);
      return Status::Ok();
    }
    case kEnum: {
      const std::string lower = AsciiLower(value);
      std::string list;
      std::istringstream choices(std::string(d.choices));
      for (std::string choice; std::getline(choices, choice, '|');) {
        if (lower == choice) {
          *stored = lower;
          return Status::Ok();
        }
        list += (list.empty() ? "" : ", ") + choice;
      }
      return Status::Error("argument(s) must be one of the following: " + list);
    }
    case kString:
      *stored = value;
      return Status::Ok();
    case kWords: {
      std::string joined;
      for (const std::string& word : words) {
        if (!joined.empty() && !word.empty()) joined += ' ';
        joined += word;
      }
      *stored = joined;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

void Config::AddInertParams() {
  for (const InertDefault& d : kInertParams) {
    auto value = std::make_shared<std::string>(d.value);
    auto param = std::make_unique<Param>(Param{
        d.name, d.alias, (d.flags & kRuntime) != 0, /*effective=*/false, d.kind == kWords,
        [value, &d](const std::vector<std::string>& words) {
          std::string stored;
          Status status = CheckInert(d, words, &stored);
          if (status.ok()) *value = std::move(stored);
          return status;
        },
        [value] { return *value; }});
    param->protected_config = (d.flags & kProtected) != 0;
    param->hidden = (d.flags & kHidden) != 0;
    params_.push_back(std::move(param));
  }
}

}  // namespace tierkv
