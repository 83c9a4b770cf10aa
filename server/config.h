// Config: every configuration parameter, in one table. Each parameter has its
// redis.conf name, its default, whether CONFIG SET may change it at run time,
// and whether tierkv honours it (all Redis 7.2 names are accepted so that
// existing tooling keeps working; docs/CONFIG.md lists which have no effect).
// The same table parses the config file, the command line, CONFIG GET and
// CONFIG SET.
//
// Thread-safety: engine thread only (start-up happens before it runs).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

struct OutputBufferLimit {
  uint64_t hard_bytes = 0;
  uint64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

// The tls-* parameters (server/tls.h builds the OpenSSL context from them). All
// can change at run time: CONFIG SET of any of them rebuilds the context when
// tls-port is set, and new connections get the new one.
struct TlsSettings {
  int port = 0;                       // tls-port: 0 = no TLS listener
  std::string cert_file;              // tls-cert-file: server certificate chain (PEM)
  std::string key_file;               // tls-key-file: its private key (PEM)
  std::string key_file_pass;          // tls-key-file-pass: the key's passphrase, if encrypted
  std::string ca_cert_file;           // tls-ca-cert-file: CA bundle verifying client certificates
  std::string ca_cert_dir;            // tls-ca-cert-dir: or a directory of hashed CA certificates
  std::string auth_clients = "yes";   // tls-auth-clients: yes | no | optional
  std::string protocols;              // tls-protocols: "" = "TLSv1.2 TLSv1.3"
  std::string ciphers;                // tls-ciphers: TLSv1.2 cipher list ("" = OpenSSL's)
  std::string ciphersuites;           // tls-ciphersuites: TLSv1.3 suites ("" = OpenSSL's)
  bool prefer_server_ciphers = false; // tls-prefer-server-ciphers
  bool session_caching = true;        // tls-session-caching
  int64_t session_cache_size = 20480; // tls-session-cache-size: sessions
  int64_t session_cache_timeout = 300;  // tls-session-cache-timeout: seconds
};

// The metrics endpoint (server/metrics/metrics_endpoint.h). All can change at run
// time: CONFIG SET reopens the listener, or keeps the previous one on failure.
struct MetricsSettings {
  int port = 0;                                    // metrics-port: 0 = no metrics listener
  std::vector<std::string> bind = {"127.0.0.1"};   // metrics-bind: addresses ("-addr" = optional)
  // metrics-allow-unauthenticated: serve a non-loopback address without a password.
  bool allow_unauthenticated = false;
};

// Values the server reads directly. Defaults are the documented defaults.
struct ServerSettings {
  std::vector<std::string> bind = {"127.0.0.1"};  // bind (start-up)
  int port = 6379;                                 // port (start-up)
  std::string dir = "./data";                      // dir
  int tcp_backlog = 511;                           // tcp-backlog (start-up)
  int64_t timeout_seconds = 0;                     // timeout: idle clients closed after N s, 0 = never
  int64_t maxclients = 10000;                      // maxclients
  int hz = 10;                                     // hz: cron frequency
  uint64_t proto_max_bulk_len = 512ull << 20;      // proto-max-bulk-len
  uint64_t client_query_buffer_limit = 1ull << 30; // client-query-buffer-limit
  OutputBufferLimit output_limit_normal;           // client-output-buffer-limit normal 0 0 0
  OutputBufferLimit output_limit_replica = {256ull << 20, 64ull << 20, 60};
  OutputBufferLimit output_limit_pubsub = {32ull << 20, 8ull << 20, 60};
  std::string requirepass;                         // requirepass ("" = none): the default user's password
  std::string aclfile;                             // aclfile (start-up): users for ACL LOAD / ACL SAVE
  int64_t acllog_max_len = 128;                    // acllog-max-len: ACL LOG entries kept
  std::string acl_pubsub_default = "resetchannels";  // acl-pubsub-default: new users' channels
  // Not a parameter: the config file's "user <name> <rules...>" lines, in order.
  std::vector<std::vector<std::string>> acl_user_lines;
  // protected-mode: without a password, only loopback clients are served (others get
  // Redis's DENIED error and are closed).
  bool protected_mode = true;
  TlsSettings tls;
  MetricsSettings metrics;
  uint32_t notify_keyspace_events = 0;             // notify-keyspace-events: NotifyFlag bits (runtime)
  int64_t slowlog_log_slower_than = 10000;         // slowlog-log-slower-than: µs; negative = off
  uint64_t slowlog_max_len = 128;                  // slowlog-max-len
  int64_t latency_monitor_threshold = 0;           // latency-monitor-threshold: ms; 0 = off
  bool latency_tracking = true;                    // latency-tracking: per-command histograms
  std::vector<double> latency_tracking_info_percentiles = {50, 99, 99.9};  // latency-tracking-info-percentiles
  int64_t tracking_table_max_keys = 1000000;       // tracking-table-max-keys (0: no bound)
  int64_t busy_reply_threshold_ms = 5000;          // busy-reply-threshold (lua-time-limit)
  std::string logfile;                             // logfile ("" = stderr)
  std::string loglevel = "notice";                 // loglevel
  std::string save = "3600 1 300 100 60 10000";    // save rules (used by persistence)
  bool appendonly = true;                          // appendonly (journal)
  std::string appendfsync = "everysec";            // appendfsync: always | everysec | no
  bool stop_writes_on_bgsave_error = true;         // stop-writes-on-bgsave-error
  uint64_t journal_max_size = 64ull << 20;         // journal-max-size: a checkpoint round past this
  bool daemonize = false;                          // daemonize (not supported: must be no)
  std::string pidfile;                             // pidfile
  std::string config_file;  // not a parameter: the start-up config file, absolute ("" = none)
  // Protected features, "no" | "yes" | "local" (local connections only), all
  // start-up only as in Redis: DEBUG, MODULE, and CONFIG SET of protected
  // parameters (dir, dbfilename).
  std::string enable_debug_command = "no";          // enable-debug-command
  std::string enable_module_command = "no";         // enable-module-command
  std::string enable_protected_configs = "no";      // enable-protected-configs
  std::string tier = "rocksdb";                    // tier: none | rocksdb | pmem (start-up)
  int tier_read_threads = 4;                       // tier-read-threads: threads running cold reads (start-up)
  std::string tier_path;                           // tier-path: the pmem pool file ("" = dir/tier.pmem)
  uint64_t tier_pmem_size = 1ull << 30;            // tier-pmem-size: a new pmem pool's size
};

class Config {
 public:
  Config(ServerSettings* server, EngineOptions* engine);
  ~Config();

  // Start-up: a redis.conf-syntax file, then "--name value ..." arguments.
  Status LoadFile(const std::string& path);
  Status ApplyArguments(const std::vector<std::string>& args);
  Status ApplyConfigText(std::string_view text, std::string_view origin);

  // CONFIG SET semantics: all-or-nothing over several pairs. Protected
  // parameters are refused unless `allow_protected` (see enable-protected-configs).
  Status SetAtRuntime(const std::vector<std::pair<std::string, std::string>>& pairs, bool allow_protected = true);
  // CONFIG GET semantics: glob patterns over names (and aliases), name/value
  // pairs, each parameter once per name it was asked by.
  std::vector<std::pair<std::string, std::string>> Get(std::span<const std::string_view> patterns) const;
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;

  // The config file given at start-up ("" if none), absolute.
  const std::string& config_file() const { return server_->config_file; }
  // CONFIG REWRITE, as Redis: updates the config file's line of each known
  // parameter in place to its current value (blanking repeated lines of it) and
  // appends parameters that differ from their defaults under "# Generated by
  // CONFIG REWRITE"; comments, includes, unknown lines and line order stay, runs
  // of blank lines become one. Written to a temporary file and renamed over the
  // original.
  Status Rewrite() const;
  // The "user <name> <rules>" lines CONFIG REWRITE writes, as Redis: they take the
  // places of the file's user lines in order (the rest appended, leftover old lines
  // blanked). Unset, the file's user lines stay as they are.
  void set_user_lines(std::function<std::vector<std::string>()> lines) { user_lines_ = std::move(lines); }

  struct Param;
  const std::vector<std::unique_ptr<Param>>& params() const { return params_; }
  // Called after a runtime change so dependent state is refreshed.
  void set_on_change(std::function<void(std::string_view)> hook) { on_change_ = std::move(hook); }
  // Redis's apply step of a parameter (see Param::apply): how a new value takes
  // effect at run time when that can fail, as rebinding listeners can. The
  // Status message is the reason CONFIG SET reports.
  using ApplyStep = std::function<Status()>;
  void SetApplyStep(std::string_view name, ApplyStep step);
  // One step for several parameters: it runs once per CONFIG SET however many of them changed.
  void SetApplyStep(std::initializer_list<std::string_view> names, ApplyStep step);

 private:
  Param* Find(std::string_view name) const;
  // Puts back `previous[i]` into `targets[i]` for i < count, applying again
  // the ones in `applied` (their earlier apply ran with the new value).
  void Restore(const std::vector<Param*>& targets, const std::vector<std::string>& previous, size_t count,
               const std::vector<Param*>& applied);
  Status SetOne(std::string_view name, const std::vector<std::string>& values);
  void AddParams();
  // Redis parameters tierkv accepts and stores without acting on them
  // (server/config_inert_params.cc).
  void AddInertParams();

  ServerSettings* server_;
  EngineOptions* engine_;
  std::vector<std::unique_ptr<Param>> params_;
  std::function<void(std::string_view)> on_change_;
  std::function<std::vector<std::string>()> user_lines_;
};

// "1gb", "100mb", "512k", "1024" -> bytes, as Redis's memtoull.
bool ParseMemory(std::string_view text, uint64_t* bytes);
std::string EvictionPolicyName(EvictionPolicy policy);

}  // namespace tierkv
