#include "server/config.h"
#include "server/config_param.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/glob.h"
#include "engine/number.h"
#include "tiering/file_io.h"
#include "tiering/save_rules.h"
#include "server/command_table.h"
#include "server/latency.h"
#include "server/keyspace_events.h"
#include "server/resp_parser.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tierkv {


bool ParseMemory(std::string_view text, uint64_t* bytes) {
  std::string lower = AsciiLower(text);
  uint64_t multiplier = 1;
  auto strip = [&](std::string_view suffix, uint64_t mul) {
    if (lower.size() > suffix.size() && lower.ends_with(suffix)) {
      lower.resize(lower.size() - suffix.size());
      multiplier = mul;
      return true;
    }
    return false;
  };
  strip("gb", 1ull << 30) || strip("mb", 1ull << 20) || strip("kb", 1ull << 10) || strip("g", 1000ull * 1000 * 1000) ||
      strip("m", 1000ull * 1000) || strip("k", 1000) || strip("b", 1);
  uint64_t value;
  if (!ParseUint64(lower, &value)) return false;
  if (multiplier != 1 && value > UINT64_MAX / multiplier) return false;
  *bytes = value * multiplier;
  return true;
}

namespace {

struct PolicyName {
  EvictionPolicy policy;
  const char* name;
};
// Redis's order, which its CONFIG SET error lists.
constexpr PolicyName kPolicies[] = {
    {EvictionPolicy::kVolatileLru, "volatile-lru"},   {EvictionPolicy::kVolatileLfu, "volatile-lfu"},
    {EvictionPolicy::kVolatileRandom, "volatile-random"}, {EvictionPolicy::kVolatileTtl, "volatile-ttl"},
    {EvictionPolicy::kAllKeysLru, "allkeys-lru"},     {EvictionPolicy::kAllKeysLfu, "allkeys-lfu"},
    {EvictionPolicy::kAllKeysRandom, "allkeys-random"}, {EvictionPolicy::kNoEviction, "noeviction"},
};

Status Invalid(std::string why) { return Status::Error(std::move(why)); }

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::string FormatLimit(std::string_view klass, const OutputBufferLimit& l) {
  return std::string(klass) + " " + std::to_string(l.hard_bytes) + " " + std::to_string(l.soft_bytes) + " " +
         std::to_string(l.soft_seconds);
}

}  // namespace

std::string EvictionPolicyName(EvictionPolicy policy) {
  for (const PolicyName& p : kPolicies) {
    if (p.policy == policy) return p.name;
  }
  return "noeviction";
}

Config::Config(ServerSettings* server, EngineOptions* engine) : server_(server), engine_(engine) { AddParams(); }
Config::~Config() = default;

void Config::AddParams() {
  auto add = [&](Param p) { params_.push_back(std::make_unique<Param>(std::move(p))); };

  auto bool_param = [&](std::string name, bool* target, bool runtime = true) {
    add({name, "", runtime, true, false,
         [target](const std::vector<std::string>& v) {
           const std::string value = AsciiLower(v[0]);
           if (value != "yes" && value != "no") return Invalid("argument must be 'yes' or 'no'");
           *target = value == "yes";
           return Status::Ok();
         },
         [target] { return std::string(*target ? "yes" : "no"); }});
  };
  auto int_param = [&](std::string name, int64_t min, int64_t max, auto* target, bool runtime = true) {
    add({name, "", runtime, true, false,
         [target, min, max](const std::vector<std::string>& v) {
           int64_t value;
           if (!ParseInt64(v[0], &value)) return Invalid("argument couldn't be parsed into an integer");
           if (value < min || value > max) {
             return Invalid("argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
                            " inclusive");
           }
           *target = static_cast<std::remove_reference_t<decltype(*target)>>(value);
           return Status::Ok();
         },
         [target] { return std::to_string(*target); }});
  };
  auto memory_param = [&](std::string name, auto* target, bool runtime = true) {
    add({name, "", runtime, true, false,
         [target](const std::vector<std::string>& v) {
           uint64_t bytes;
           if (!ParseMemory(v[0], &bytes)) return Invalid("argument must be a memory value");
           *target = static_cast<std::remove_reference_t<decltype(*target)>>(bytes);
           return Status::Ok();
         },
         [target] { return std::to_string(*target); }});
  };
  auto string_param = [&](std::string name, std::string* target, bool runtime = true) {
    add({name, "", runtime, true, false,
         [target](const std::vector<std::string>& v) {
           *target = v[0];
           return Status::Ok();
         },
         [target] { return *target; }});
  };

  ServerSettings& s = *server_;
  EngineOptions& e = *engine_;

  // bind and port change at run time through the apply steps the server sets
  // (Server::Rebind); without a server they are only stored.
  add({"bind", "", true, true, true,
       [&s](const std::vector<std::string>& v) {
         s.bind = v;
         return Status::Ok();
       },
       [&s] { return JoinWords(s.bind); }});
  int_param("port", 0, 65535, &s.port);
  string_param("dir", &s.dir);
  params_.back()->protected_config = true;
  // At start-up a missing data directory is created; at run time the new one
  // must already exist (Redis's chdir), with the OS's reason when it does not.
  params_.back()->apply = std::make_shared<const ApplyStep>([&s] {
    struct stat info;
    if (::stat(s.dir.c_str(), &info) != 0) return Status::Error(std::strerror(errno));
    if (!S_ISDIR(info.st_mode)) return Status::Error(std::strerror(ENOTDIR));
    return Status::Ok();
  });
  int_param("tcp-backlog", 0, INT32_MAX, &s.tcp_backlog, false);
  int_param("timeout", 0, INT32_MAX, &s.timeout_seconds);
  int_param("maxclients", 1, INT32_MAX, &s.maxclients);
  int_param("slowlog-log-slower-than", -1, INT64_MAX, &s.slowlog_log_slower_than);
  int_param("slowlog-max-len", 0, INT64_MAX, &s.slowlog_max_len);
  int_param("latency-monitor-threshold", 0, INT64_MAX, &s.latency_monitor_threshold);
  bool_param("latency-tracking", &s.latency_tracking);
  // Percentiles in 0..100; one empty word clears the list, as in Redis.
  add({"latency-tracking-info-percentiles", "", true, true, true,
       [&s](const std::vector<std::string>& v) {
         std::vector<double> percentiles;
         for (const std::string& word : v) {
           if (v.size() == 1 && word.empty()) break;
           double value;
           if (!ParseDouble(word, &value)) return Invalid("Invalid latency-tracking-info-percentiles parameters");
           if (value < 0.0 || value > 100.0) {
             return Invalid("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
           }
           percentiles.push_back(value);
         }
         s.latency_tracking_info_percentiles = std::move(percentiles);
         return Status::Ok();
       },
       [&s] {
         std::string out;
         for (double value : s.latency_tracking_info_percentiles) {
           if (!out.empty()) out += ' ';
           out += PercentileText(value);
         }
         return out;
       }});
  // CLIENT TRACKING's table of keys read (server/client_tracking.h); 0: unbounded.
  int_param("tracking-table-max-keys", 0, INT64_MAX, &s.tracking_table_max_keys);
  // After this long a script serves other clients with BUSY and can be killed.
  int_param("busy-reply-threshold", 0, INT64_MAX, &s.busy_reply_threshold_ms);
  params_.back()->alias = "lua-time-limit";
  // Redis accepts any non-negative hz and keeps it within 1..500.
  add({"hz", "", true, true, false,
       [&s](const std::vector<std::string>& v) {
         int64_t value;
         if (!ParseInt64(v[0], &value)) return Invalid("argument couldn't be parsed into an integer");
         if (value < 0 || value > INT32_MAX) return Invalid("argument must be between 0 and 2147483647 inclusive");
         s.hz = static_cast<int>(std::clamp<int64_t>(value, 1, 500));
         return Status::Ok();
       },
       [&s] { return std::to_string(s.hz); }});
  int_param("databases", 1, INT32_MAX, &e.databases, false);
  memory_param("maxmemory", &e.maxmemory);
  add({"maxmemory-policy", "", true, true, false,
       [&e](const std::vector<std::string>& v) {
         const std::string value = AsciiLower(v[0]);
         for (const PolicyName& p : kPolicies) {
           if (value == p.name) {
             e.policy = p.policy;
             return Status::Ok();
           }
         }
         std::string names;
         for (const PolicyName& p : kPolicies) names += std::string(names.empty() ? "" : ", ") + p.name;
         return Invalid("argument(s) must be one of the following: " + names);
       },
       [&e] { return EvictionPolicyName(e.policy); }});
  int_param("maxmemory-samples", 1, 64, &e.maxmemory_samples);
  int_param("lfu-log-factor", 0, INT32_MAX, &e.lfu_log_factor);
  int_param("lfu-decay-time", 0, INT32_MAX, &e.lfu_decay_time);
  int_param("active-expire-effort", 1, 10, &e.active_expire_effort);
  bool_param("lazyfree-lazy-eviction", &e.lazy_free.eviction);
  bool_param("lazyfree-lazy-expire", &e.lazy_free.expire);
  bool_param("lazyfree-lazy-server-del", &e.lazy_free.server_del);
  bool_param("lazyfree-lazy-user-del", &e.lazy_free.user_del);
  bool_param("lazyfree-lazy-user-flush", &e.lazy_free.user_flush);
  // Tiering (engine/cold_values.h): with a tier, maxmemory becomes the DRAM budget.
  bool_param("tiering", &e.tiering.enabled);
  memory_param("tier-min-value-size", &e.tiering.min_value_size);
  memory_param("tier-max-size", &e.tiering.max_size);
  // Collection encodings (engine/types/encoding_limits.h); the old ziplist names are aliases.
  EncodingLimits& limits = e.limits;
  auto aliased = [&](const char* alias) { params_.back()->alias = alias; };
  int_param("hash-max-listpack-entries", 0, INT64_MAX, &limits.hash_max_listpack_entries);
  aliased("hash-max-ziplist-entries");
  memory_param("hash-max-listpack-value", &limits.hash_max_listpack_value);
  aliased("hash-max-ziplist-value");
  int_param("set-max-intset-entries", 0, INT64_MAX, &limits.set_max_intset_entries);
  int_param("set-max-listpack-entries", 0, INT64_MAX, &limits.set_max_listpack_entries);
  memory_param("set-max-listpack-value", &limits.set_max_listpack_value);
  int_param("zset-max-listpack-entries", 0, INT64_MAX, &limits.zset_max_listpack_entries);
  aliased("zset-max-ziplist-entries");
  memory_param("zset-max-listpack-value", &limits.zset_max_listpack_value);
  aliased("zset-max-ziplist-value");
  int_param("list-max-listpack-size", INT32_MIN, INT32_MAX, &limits.list_max_listpack_size);
  aliased("list-max-ziplist-size");
  memory_param("stream-node-max-bytes", &limits.stream_node_max_bytes);
  int_param("stream-node-max-entries", 0, INT64_MAX, &limits.stream_node_max_entries);
  memory_param("hll-sparse-max-bytes", &limits.hll_sparse_max_bytes);
  memory_param("proto-max-bulk-len", &s.proto_max_bulk_len);
  memory_param("journal-max-size", &s.journal_max_size);
  memory_param("client-query-buffer-limit", &s.client_query_buffer_limit);
  add({"client-output-buffer-limit", "", true, true, true,
       [&s](const std::vector<std::string>& v) {
         // One or more "<class> <hard> <soft> <soft-seconds>" groups.
         if (v.empty() || v.size() % 4 != 0) return Invalid("Wrong number of arguments in buffer limit configuration.");
         std::vector<std::pair<OutputBufferLimit*, OutputBufferLimit>> updates;
         for (size_t i = 0; i < v.size(); i += 4) {
           const std::string klass = AsciiLower(v[i]);
           OutputBufferLimit* target = klass == "normal"                        ? &s.output_limit_normal
                                       : (klass == "replica" || klass == "slave") ? &s.output_limit_replica
                                       : klass == "pubsub"                        ? &s.output_limit_pubsub
                                                                                  : nullptr;
           if (target == nullptr) return Invalid("Invalid client class specified in buffer limit configuration.");
           OutputBufferLimit limit;
           int64_t seconds;
           if (!ParseMemory(v[i + 1], &limit.hard_bytes) || !ParseMemory(v[i + 2], &limit.soft_bytes) ||
               !ParseInt64(v[i + 3], &seconds) || seconds < 0) {
             return Invalid("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
           }
           limit.soft_seconds = seconds;
           updates.emplace_back(target, limit);
         }
         for (auto& [target, limit] : updates) *target = limit;
         return Status::Ok();
       },
       [&s] {
         return FormatLimit("normal", s.output_limit_normal) + " " + FormatLimit("slave", s.output_limit_replica) + " " +
                FormatLimit("pubsub", s.output_limit_pubsub);
       }});
  string_param("requirepass", &s.requirepass);
  string_param("aclfile", &s.aclfile, false);
  int_param("acllog-max-len", 0, INT64_MAX, &s.acllog_max_len);
  add({"notify-keyspace-events", "", true, true, false,
       [&s](const std::vector<std::string>& v) {
         auto flags = ParseNotifyFlags(v[0]);
         if (!flags.ok()) return flags.status();
         s.notify_keyspace_events = *flags;
         return Status::Ok();
       },
       [&s] { return FormatNotifyFlags(s.notify_keyspace_events); }});
  string_param("logfile", &s.logfile, false);
  add({"loglevel", "", true, true, false,
       [&s](const std::vector<std::string>& v) {
         const std::string value = AsciiLower(v[0]);
         if (value != "debug" && value != "verbose" && value != "notice" && value != "warning" && value != "nothing") {
           return Invalid("argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
         }
         s.loglevel = value;
         return Status::Ok();
       },
       [&s] { return s.loglevel; }});
  add({"save", "", true, true, true,
       [&s](const std::vector<std::string>& v) {
         // "" disables; otherwise pairs of <seconds> <changes>.
         if (v.size() == 1 && v[0].empty()) {
           s.save.clear();
           return Status::Ok();
         }
         std::vector<std::string> words;
         for (const std::string& item : v) {
           std::istringstream in(item);
           for (std::string w; in >> w;) words.push_back(w);
         }
         const std::string joined = JoinWords(words);
         if (!ParseSaveRules(joined).ok()) return Invalid("Invalid save parameters");
         s.save = joined;
         return Status::Ok();
       },
       [&s] { return s.save; }});
  bool_param("appendonly", &s.appendonly);
  bool_param("stop-writes-on-bgsave-error", &s.stop_writes_on_bgsave_error);
  add({"appendfsync", "", true, true, false,
       [&s](const std::vector<std::string>& v) {
         const std::string value = AsciiLower(v[0]);
         if (value != "always" && value != "everysec" && value != "no") {
           return Invalid("argument(s) must be one of the following: always, everysec, no");
         }
         s.appendfsync = value;
         return Status::Ok();
       },
       [&s] { return s.appendfsync; }});
  add({"daemonize", "", false, true, false,
       [&s](const std::vector<std::string>& v) {
         const std::string value = AsciiLower(v[0]);
         if (value != "yes" && value != "no") return Invalid("argument must be 'yes' or 'no'");
         if (value == "yes") return Invalid("daemonize yes is not supported; run under a supervisor");
         s.daemonize = false;
         return Status::Ok();
       },
       [] { return std::string("no"); }});
  string_param("pidfile", &s.pidfile, false);

  // One of a fixed set of words (case-insensitive on input, stored lowercase).
  auto enum_param = [&](std::string name, std::vector<std::string> choices, std::string* target, bool runtime) {
    add({name, "", runtime, true, false,
         [target, choices](const std::vector<std::string>& v) {
           const std::string value = AsciiLower(v[0]);
           for (const std::string& choice : choices) {
             if (value == choice) {
               *target = value;
               return Status::Ok();
             }
           }
           std::string names;
           for (const std::string& choice : choices) names += (names.empty() ? "" : ", ") + choice;
           return Invalid("argument(s) must be one of the following: " + names);
         },
         [target] { return *target; }});
  };
  enum_param("enable-debug-command", {"no", "yes", "local"}, &s.enable_debug_command, false);
  enum_param("enable-module-command", {"no", "yes", "local"}, &s.enable_module_command, false);
  enum_param("enable-protected-configs", {"no", "yes", "local"}, &s.enable_protected_configs, false);
  enum_param("tier", {"none", "rocksdb", "pmem"}, &s.tier, false);
  // Cold reads run on this many threads (tiering/tier_io_pool.h), fixed at start-up.
  int_param("tier-read-threads", 1, 64, &s.tier_read_threads, false);
  // The persistent-memory tier (tiering/pmem/): its pool file and the size it is created with.
  string_param("tier-path", &s.tier_path, false);
  memory_param("tier-pmem-size", &s.tier_pmem_size, false);

  // Read by the server's ACL when users are created (Server::OnConfigChanged).
  enum_param("acl-pubsub-default", {"allchannels", "resetchannels"}, &s.acl_pubsub_default, true);
  bool_param("protected-mode", &s.protected_mode);
  // TLS (server/tls.h). The server sets the apply steps: one for the port (the
  // listeners), one shared by the rest (the context).
  int_param("tls-port", 0, 65535, &s.tls.port);
  string_param("tls-cert-file", &s.tls.cert_file);
  string_param("tls-key-file", &s.tls.key_file);
  string_param("tls-key-file-pass", &s.tls.key_file_pass);
  string_param("tls-ca-cert-file", &s.tls.ca_cert_file);
  string_param("tls-ca-cert-dir", &s.tls.ca_cert_dir);
  enum_param("tls-auth-clients", {"no", "yes", "optional"}, &s.tls.auth_clients, true);
  string_param("tls-protocols", &s.tls.protocols);
  string_param("tls-ciphers", &s.tls.ciphers);
  string_param("tls-ciphersuites", &s.tls.ciphersuites);
  bool_param("tls-prefer-server-ciphers", &s.tls.prefer_server_ciphers);
  bool_param("tls-session-caching", &s.tls.session_caching);
  int_param("tls-session-cache-size", 0, INT32_MAX, &s.tls.session_cache_size);
  int_param("tls-session-cache-timeout", 0, INT32_MAX, &s.tls.session_cache_timeout);

  // The metrics endpoint: the server sets one apply step for the three (the listener).
  int_param("metrics-port", 0, 65535, &s.metrics.port);
  add({"metrics-bind", "", true, true, true,
       [&s](const std::vector<std::string>& v) {
         if (v.empty() || (v.size() == 1 && v[0].empty())) return Invalid("metrics-bind needs an address");
         s.metrics.bind = v;
         return Status::Ok();
       },
       [&s] { return JoinWords(s.metrics.bind); }});
  bool_param("metrics-allow-unauthenticated", &s.metrics.allow_unauthenticated);

  AddInertParams();
}

Config::Param* Config::Find(std::string_view name) const {
  const std::string lower = AsciiLower(name);
  for (const auto& p : params_) {
    if (p->name == lower || (!p->alias.empty() && p->alias == lower)) return p.get();
  }
  return nullptr;
}

Status Config::SetOne(std::string_view name, const std::vector<std::string>& values) {
  Param* param = Find(name);
  if (param == nullptr) return Status::Error("unknown option '" + std::string(name) + "'");
  if (!param->multi_word && values.size() != 1) return Status::Error("wrong number of arguments");
  return param->set(values);
}

Status Config::ApplyConfigText(std::string_view text, std::string_view origin) {
  std::istringstream in{std::string(text)};
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::vector<std::string> words;
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    if (!SplitInlineArgs(line, &words)) {
      return Status::Error(std::string(origin) + ":" + std::to_string(line_number) + ": unbalanced quotes in '" +
                           line + "'");
    }
    if (words.empty()) continue;
    const std::string name = AsciiLower(words[0]);
    words.erase(words.begin());
    if (name == "include") {
      if (words.size() != 1) return Status::Error(std::string(origin) + ": include takes one file");
      Status status = LoadFile(words[0]);
      if (!status.ok()) return status;
      continue;
    }
    if (name == "user") {  // users are ACL rules, not a parameter (Server::LoadUsers applies them)
      words.insert(words.begin(), "user");
      server_->acl_user_lines.push_back(std::move(words));
      continue;
    }
    if (words.empty()) words.emplace_back();
    Status status = SetOne(name, words);
    if (!status.ok()) {
      return Status::Error(std::string(origin) + ":" + std::to_string(line_number) + ": option '" + name +
                           "': " + status.message());
    }
  }
  return Status::Ok();
}

Status Config::LoadFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::Error("cannot open config file '" + path + "'");
  // The first file loaded is the one CONFIG REWRITE rewrites (later ones are includes).
  if (server_->config_file.empty()) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(path, ec);
    server_->config_file = ec ? path : absolute.string();
  }
  std::stringstream content;
  content << file.rdbuf();
  return ApplyConfigText(content.str(), path);
}

Status Config::ApplyArguments(const std::vector<std::string>& args) {
  // "--name v1 v2 --other v" as redis-server: each option becomes one config line.
  std::string text;
  for (const std::string& arg : args) {
    if (arg.starts_with("--")) {
      if (!text.empty()) text += '\n';
      text += arg.substr(2);
    } else {
      text += " \"";
      for (char c : arg) {
        if (c == '"' || c == '\\') text += '\\';
        text += c;
      }
      text += '"';
    }
  }
  return ApplyConfigText(text, "command line");
}

namespace {

// A CONFIG SET value as the words `set` takes: multi-word parameters split on
// spaces ("" stays one empty word), others take the value whole.
std::vector<std::string> ValueWords(const Config::Param& param, const std::string& value) {
  if (!param.multi_word) return {value};
  std::vector<std::string> words;
  std::istringstream in(value);
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) words.emplace_back();
  return words;
}

Status SetFailed(std::string_view name, std::string_view reason) {
  return Status::Error("ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
                       std::string(reason));
}

}  // namespace

void Config::SetApplyStep(std::string_view name, ApplyStep step) { SetApplyStep({name}, std::move(step)); }

void Config::SetApplyStep(std::initializer_list<std::string_view> names, ApplyStep step) {
  auto shared = std::make_shared<const ApplyStep>(std::move(step));
  for (std::string_view name : names) {
    if (Param* param = Find(name)) param->apply = shared;
  }
}

void Config::Restore(const std::vector<Param*>& targets, const std::vector<std::string>& previous, size_t count,
                     const std::vector<Param*>& applied) {
  for (size_t j = 0; j < count; ++j) (void)targets[j]->set(ValueWords(*targets[j], previous[j]));
  // Re-applying an old value that was in effect a moment ago: nothing left to
  // fall back to if it fails, as in Redis (which logs and carries on).
  for (Param* param : applied) (void)(*param->apply)();
}

Status Config::SetAtRuntime(const std::vector<std::pair<std::string, std::string>>& pairs, bool allow_protected) {
  // As Redis: check every name first (unknown, immutable, protected,
  // duplicate), then store every value, then run the apply steps of the
  // parameters that changed. A failure at either of the last two steps puts
  // every earlier value back: all or nothing.
  std::vector<Param*> targets;
  for (const auto& [name, value] : pairs) {
    Param* param = Find(name);
    if (param == nullptr) {
      return Status::Error("ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'");
    }
    if (!param->runtime) return SetFailed(name, "can't set immutable config");
    if (param->protected_config && !allow_protected) return SetFailed(name, "can't set protected config");
    for (Param* seen : targets) {
      if (seen == param) return SetFailed(name, "duplicate parameter");
    }
    targets.push_back(param);
  }
  std::vector<std::string> previous;
  for (Param* param : targets) previous.push_back(param->get());
  for (size_t i = 0; i < targets.size(); ++i) {
    Status status = targets[i]->set(ValueWords(*targets[i], pairs[i].second));
    if (!status.ok()) {
      Restore(targets, previous, i, {});
      return SetFailed(pairs[i].first, status.message());
    }
  }
  std::vector<Param*> applied;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!targets[i]->apply || targets[i]->get() == previous[i]) continue;
    // A step shared by several parameters runs once (the TLS context).
    const bool ran = std::any_of(applied.begin(), applied.end(),
                                 [&](const Param* done) { return done->apply == targets[i]->apply; });
    if (ran) continue;
    Status status = (*targets[i]->apply)();
    if (!status.ok()) {
      Restore(targets, previous, targets.size(), applied);
      return SetFailed(pairs[i].first, status.message());
    }
    applied.push_back(targets[i]);
  }
  if (on_change_) {
    for (Param* param : targets) on_change_(param->name);
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> Config::Get(std::span<const std::string_view> patterns) const {
  // As Redis: a name without glob characters is looked up directly (aliases
  // too) and answered under the name as given; a pattern matches canonical
  // names and aliases alike, each reported under the name it matched. A
  // parameter already answered under that name is not repeated.
  std::vector<std::pair<std::string, std::string>> out;
  auto seen = [&](std::string_view name) {
    for (const auto& [answered, value] : out) {
      if (EqualsIgnoreCase(answered, name)) return true;
    }
    return false;
  };
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string_view::npos) {
      const Param* p = Find(pattern);
      if (p != nullptr && !seen(pattern)) out.emplace_back(std::string(pattern), p->get());
      continue;
    }
    for (const auto& p : params_) {
      if (p->hidden) continue;  // debugging knobs: only answered when named
      if (GlobMatch(pattern, p->name, /*nocase=*/true) && !seen(p->name)) out.emplace_back(p->name, p->get());
      if (!p->alias.empty() && GlobMatch(pattern, p->alias, true) && !seen(p->alias)) {
        out.emplace_back(p->alias, p->get());
      }
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Config::Get(std::string_view pattern) const {
  return Get(std::span<const std::string_view>(&pattern, 1));
}

namespace {

// A value as a config-file word: bare when it is one plain word, otherwise
// double-quoted with escapes that SplitInlineArgs reads back.
std::string QuoteConfigWord(const std::string& value) {
  bool plain = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '\\') plain = false;
  }
  if (plain) return value;
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < ' ' || c > '~') {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

Status Config::Rewrite() const {
  const std::string& path = server_->config_file;
  if (path.empty()) return Status::Error("no config file");
  // Defaults come from a fresh table over default settings.
  ServerSettings default_server;
  EngineOptions default_engine;
  const Config defaults(&default_server, &default_engine);

  std::string original;
  {
    std::ifstream file(path);
    if (file) {
      std::stringstream content;
      content << file.rdbuf();
      original = content.str();
    }
  }
  auto line_for = [](const Param& p) {
    std::string value = p.get();
    return p.name + " " + (p.multi_word && !value.empty() ? value : QuoteConfigWord(value));
  };
  // As Redis: comments, blank lines, includes and unknown lines stay where they
  // are; the first line of each known parameter gets its current value, even the
  // default (an operator's line stays an operator's line); its other lines are
  // blanked. Parameters away from their default that have no line are appended
  // under the signature comment (added once: a file that has it keeps it in place).
  static constexpr std::string_view kSignature = "# Generated by CONFIG REWRITE";
  const std::vector<std::string> users = user_lines_ ? user_lines_() : std::vector<std::string>();
  size_t users_written = 0;
  std::vector<bool> written(params_.size(), false);
  std::vector<std::string> lines;
  bool signed_already = false;
  std::istringstream in(original);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> words;
    const size_t start = line.find_first_not_of(" \t\r");
    const bool comment = start == std::string::npos || line[start] == '#';
    if (comment || !SplitInlineArgs(line, &words) || words.empty()) {
      if (line == kSignature) signed_already = true;
      lines.push_back(std::move(line));
      continue;
    }
    if (user_lines_ && EqualsIgnoreCase(words[0], "user")) {
      lines.push_back(users_written < users.size() ? users[users_written++] : std::string());
      continue;
    }
    const Param* param = Find(words[0]);
    if (param == nullptr) {
      lines.push_back(std::move(line));
      continue;
    }
    size_t position = 0;
    while (params_[position].get() != param) ++position;
    lines.push_back(written[position] ? std::string() : line_for(*param));
    written[position] = true;
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    if (written[i] || params_[i]->get() == defaults.params_[i]->get()) continue;
    if (!signed_already) {
      lines.emplace_back(kSignature);
      signed_already = true;
    }
    lines.push_back(line_for(*params_[i]));
  }
  for (; users_written < users.size(); ++users_written) {
    if (!signed_already) {
      lines.emplace_back(kSignature);
      signed_already = true;
    }
    lines.push_back(users[users_written]);
  }
  // Each run of blank lines becomes one blank line, as Redis writes the file.
  std::string out;
  bool previous_blank = false;
  for (const std::string& line : lines) {
    const bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (blank && previous_blank) continue;
    previous_blank = blank;
    out += line + "\n";
  }
  return WriteFileAtomically(path, out);
}

}  // namespace tierkv
