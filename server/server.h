// Server: owns the engine thread's io_context, the listening sockets, the
// Shard, the command table, the configuration and every connected client.
// Runs the cron (active expiry, incremental rehash, memory stats, client
// timeouts) and stops gracefully on SIGTERM/SIGINT or SHUTDOWN.
//
// Thread-safety: everything runs on the one engine thread inside Run().
#pragma once

#include <asio.hpp>
#include <asio/ssl/context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/shard.h"
#include "server/acl/acl.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/client_tracking.h"
#include "server/cold_reads.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/durable_replies.h"
#include "server/info.h"
#include "server/latency.h"
#include "server/monitor.h"
#include "server/keyspace_events.h"
#include "server/pubsub.h"
#include "server/resp_parser.h"
#include "server/slowlog.h"
#include "server/watch_registry.h"
#include "tiering/durability.h"

namespace tierkv {

class Connection;
class MetricsEndpoint;
class ScriptEngine;

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t total_reads_processed = 0;   // reads from client sockets
  uint64_t total_writes_processed = 0;  // writes to client sockets
  uint64_t total_error_replies = 0;
  uint64_t client_output_limit_disconnections = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
};

class Server {
 public:
  Server(ServerSettings settings, EngineOptions engine_options, std::unique_ptr<CommandTable> commands);
  ~Server();

  // Binds the listeners (plain `port`, and `tls-port` when set, building the TLS
  // context first, then `metrics-port` when set); errors name the address.
  Status Listen();
  // The metrics endpoint's port, 0 when it is off.
  uint16_t bound_metrics_port() const;
  // A listening socket on `endpoint`; the error is the OS's reason.
  static Status OpenAcceptor(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint, int backlog,
                             std::unique_ptr<asio::ip::tcp::acceptor>* out);
  // Runs the engine thread until Stop().
  void Run();
  // Asks the loop to finish: closes listeners and clients, then Run() returns.
  void Stop();

  // Executes one command for `client` (the dispatcher: lookup, arity, MULTI
  // queueing, maxmemory, the handler, statistics).
  void Execute(Client& client, std::span<const std::string_view> args);
  // Counts a finished run of `command` (the command line `args`) by `client` in
  // total_commands_processed, INFO commandstats and SLOWLOG. The command failed if its
  // reply writer wrote an error since `errors_before` (its errors_written() when the
  // command started) that no command run inside it (EXEC's, a script's) was counted for;
  // the error goes to errorstats unless it was counted where it arose. The dispatcher
  // calls it for every command that does not block; the blocking registry when a blocked
  // command ends by a timeout or CLIENT UNBLOCK.
  void CountCall(const CommandSpec& command, Client& client, std::span<const std::string_view> args,
                 uint64_t errors_before, uint64_t usec);
  // Answers `error` to a command refused before it ran (`spec`, nullptr if it names none),
  // counted as Redis counts a refusal: total_error_replies, errorstats, and the command's
  // rejected_calls. Leaves MULTI to the caller.
  void RefuseCommand(Client& client, const CommandSpec* spec, const std::string& error);
  // True while EXEC runs its queued commands: blocking commands must not block then.
  bool running_transaction() const { return execute_depth_ > 1; }

  // Connection registry.
  void AddClient(Connection* connection);
  void RemoveClient(Connection* connection);
  const std::map<uint64_t, Connection*>& clients() const { return clients_; }
  uint64_t NextClientId() { return ++last_client_id_; }

  // Users and permissions (server/acl/acl.h).
  Acl& acl() { return acl_; }
  // At start-up: the config file's users and the aclfile's (Redis refuses both at
  // once), then requirepass as the default user's password.
  Status LoadUsers();
  // ACL denial of `client`'s command: NOPERM reply text, logged in ACL LOG.
  std::string AclDenialError(const Client& client, const CommandSpec& spec, const CommandSpec* parent,
                             std::span<const std::string_view> args, AclVerdict verdict);
  // AUTH and HELLO AUTH: on success `client` runs as `username`; a failure is logged
  // (ACL LOG reason "auth", object `command`).
  bool AuthenticateClient(Client& client, std::string_view username, std::string_view password,
                          std::string_view command);
  // Adds an ACL LOG entry for `client` (reason "command", "key", "channel", "auth").
  void LogAclDenial(const Client& client, std::string_view reason, std::string_view object,
                    std::string_view username);
  // The user a client runs as: `client.user`, or the default user.
  const AclUser& UserOf(const Client& client) const { return client.user ? *client.user : *acl_.default_user(); }
  // Closes the connections authenticated as `user` (ACL DELUSER, ACL LOAD); the
  // current client `self` is closed after its reply.
  void DisconnectUser(const AclUser* user, Client& self);
  // After `user`'s channel permissions changed: closes its clients subscribed to a
  // channel or pattern it may no longer use, as Redis does.
  void DisconnectSubscribersWithoutAccess(const AclUser& user, Client& self);

  Shard& shard() { return shard_; }
  Config& config() { return config_; }
  ServerSettings& settings() { return settings_; }
  const CommandTable& commands() const { return *commands_; }
  WatchRegistry& watches() { return watches_; }
  BlockingRegistry& blocking() { return blocking_; }
  PubSub& pubsub() { return pubsub_; }
  KeyspaceEvents& keyspace_events() { return keyspace_events_; }
  ClientTracking& tracking() { return tracking_; }
  ServerStats& stats() { return stats_; }
  const ParserLimits& parser_limits() const { return parser_limits_; }
  asio::io_context& io() { return io_; }
  int64_t start_time_ms() const { return start_time_ms_; }
  uint16_t bound_port() const { return bound_port_; }
  uint16_t bound_tls_port() const { return bound_tls_port_; }
  std::string_view run_id() const { return run_id_; }
  uint64_t executable_cron_loops() const { return cron_loops_; }
  uint64_t client_output_peak() const { return client_output_peak_; }
  // Per-command and per-error counters and sampled rates for INFO (server/info.h).
  InfoCounters& info_counters() { return info_; }
  SlowLog& slowlog() { return slowlog_; }
  LatencyMonitor& latency_monitor() { return latency_monitor_; }
  MonitorRegistry& monitors() { return monitors_; }
  // Shows `args`, just run by `client`, to the MONITOR clients (their replies go out
  // once the current batch of commands is done).
  void FeedMonitors(const Client& client, std::span<const std::string_view> args);
  // Records `ms` for a latency event when it reaches latency-monitor-threshold.
  void NoteLatency(std::string_view event, uint64_t ms) {
    if (settings_.latency_monitor_threshold <= 0) return;  // the common case: monitoring off
    latency_monitor_.AddSampleIfNeeded(event, ms, settings_.latency_monitor_threshold, Shard::WallClockMs() / 1000);
  }

  // CLIENT PAUSE (server/client_pause.cc). Until `end_ms` (wall clock), writes (kWrite)
  // or all commands (kAll) wait in their clients' query buffers, and keys neither expire
  // nor are evicted, as in Redis; reads go on under kWrite. A second pause keeps the
  // later end and the stricter mode.
  enum class PauseMode : uint8_t { kNone, kWrite, kAll };
  void PauseClients(int64_t end_ms, PauseMode mode);
  // Ends the pause: postponed clients run their waiting commands, in the order they came.
  void UnpauseClients();
  bool clients_paused() const { return pause_mode_ != PauseMode::kNone; }
  // Clients whose command waits for the pause (INFO counts them in blocked_clients, as Redis).
  size_t postponed_clients() const { return postponed_.size(); }
  ColdReads& cold_reads() { return cold_reads_; }
  // EVAL and the script cache (server/scripting/script_engine.h).
  ScriptEngine& scripting() { return *scripting_; }
  // A script past busy-reply-threshold serves the other clients from here (they get
  // BUSY, except SCRIPT KILL and SHUTDOWN NOSAVE): runs what is ready on the loop.
  void ServeWhileBusy() { io_.poll(); }
  bool stopping() const { return stopping_; }
  // SHUTDOWN NOSAVE stopped a script half way: what it changed is never journaled.
  void AbandonPendingChanges() { abandon_pending_changes_ = true; }
  // After a slow script: the work that arrived while it ran goes on.
  void ResumeDeferredTasks();

  // Called by CONFIG SET after a parameter changes.
  void OnConfigChanged(std::string_view name);

  // Durability (server/persistence.cc). Null with `tier none`, a pure cache.
  // OpenDurability recovers the keyspace from `dir` and opens the journal; call it
  // before Listen().
  Status OpenDurability();
  // The tier `tier` names (rocksdb in dir/tier, or pmem in its pool file).
  Result<std::unique_ptr<Tier>> OpenTier();
  Durability* durability() { return durability_.get(); }
  // Journals what the command just run changed; with appendfsync always, `client`'s
  // replies are held until the journal has synced that record.
  void CommitChanges(Client* client);
  // The function libraries changed (FUNCTION LOAD, DELETE, FLUSH, RESTORE): their new
  // state goes into the command's journal record and the next checkpoint.
  void FunctionsChanged();
  // After each top-level command of `client` (appendfsync always: tells the journal
  // writer when the clients it released are all back; see DurableReplies).
  void NoteCommandRan(const Client& client);
  // True while `client` has replies that must wait for the journal; the connection is
  // resumed (Connection::Resume) once they may go.
  bool RepliesHeld(const Client& client) const;
  const DurableReplies& durable_replies() const { return durable_replies_; }
  // With appendfsync always, nobody observes a write before it is durable: after a
  // command, `client`'s replies also wait for the LSN of every key it read (of every
  // write in flight, for a command without key positions or a key that is missing).
  void HoldReadsOfUndurableWrites(Client& client, std::span<const std::string_view> args);
  // Hands the records committed so far to the journal thread (before replies go out).
  void HandJournalOver() {
    if (durability_ != nullptr) durability_->SubmitPending();
  }
  void HoldUntilDurable(const Client& client);
  // Journal backpressure: a client whose write found the journal thread too far behind
  // (Durability::journal_backlogged) is suspended until it has caught up, checked every
  // millisecond meanwhile. Its reply goes out; its next commands wait. The engine thread
  // never waits: readers, and writers that have not written since, go on.
  void WaitForJournal(Client& client);
  // The journal thread is too far behind, or (tiering) DRAM is over its budget by more
  // than demotion can absorb until a checkpoint round has written the dirty values.
  bool WritersMustWait();
  // A suspended client runs no further commands until ResumeClient (SAVE waiting for its
  // round, SHUTDOWN waiting for the final one).
  void SuspendClient(Client& client) { client.suspended = true; }
  void ResumeClient(uint64_t client_id);
  // Replies +OK (or the error) to a suspended client and lets it go on.
  void FinishSuspended(uint64_t client_id, const Status& status);
  // SHUTDOWN and SIGTERM: a final checkpoint round unless `save` is false, then Stop().
  // `requester` (may be 0) gets the error reply if the round fails and nothing else
  // keeps the data.
  void Shutdown(bool save, uint64_t requester);
  // DEBUG RELOAD: a round, then the keyspace is dropped and recovered from `dir`.
  // `requester` gets +OK or the error.
  void ReloadFromDisk(uint64_t requester);
  // The connection of a client, or nullptr if it has gone.
  Connection* FindConnection(uint64_t client_id);

 private:
  // Execute without the CLIENT REPLY handling (dispatch.cc). True when the command's
  // handler ran (not refused before it, nor queued inside MULTI).
  bool RunCommand(Client& client, std::span<const std::string_view> args);
  // Accepts clients on `acceptor`; `tls`: they handshake with the current TLS context.
  void Accept(asio::ip::tcp::acceptor& acceptor, bool tls);
  // Opens a listener on every bind address at `port` into `out`; `bound` gets the port.
  Status ListenOn(int port, std::string_view kind, std::vector<std::unique_ptr<asio::ip::tcp::acceptor>>* out,
                  uint16_t* bound);
  // Builds the TLS context from the tls-* parameters; new TLS clients get it. On
  // failure (logged with OpenSSL's reason) the previous context stays.
  Status ReloadTls();
  // The RESP listeners of Listen() (the plain and TLS ones).
  Status ListenForClients();
  // CONFIG SET port / bind: closes the listeners and opens the configured ones.
  // If that fails the old ones are opened again and `failure` (Redis's reason)
  // is returned, so the server keeps listening where it was.
  Status Rebind(std::string_view failure);
  // Evicts down to maxmemory (Shard::EnforceMaxmemory), timed as the eviction-cycle
  // latency event; false when memory stays over the limit.
  bool EnforceMaxmemory();
  void ScheduleCron();
  void Cron();
  // CLIENT TRACKING: the keys of a read-only command just run by `client`.
  void RememberReadKeys(Client& client, const CommandSpec& spec, std::span<const std::string_view> args);
  // True if `spec`, run now by `client`, must wait for the pause to end (ending it first
  // when its time is up); then the client is postponed.
  bool HeldByPause(Client& client, const CommandSpec& spec);
  void SchedulePauseEnd();
  // CONFIG SET of appendonly, appendfsync, save or journal-max-size.
  void ApplyDurabilitySettings();
  void ReleaseDurableReplies(uint64_t durable_lsn);
  // Resumes the clients waiting for the journal once it has caught up; else checks again
  // a millisecond later (CheckJournalWaitersSoon).
  void CheckJournalWaiters();
  void CheckJournalWaitersSoon();
  static Client& ConnectionClient(Connection& connection);
  // Runs `task` (work the durability threads posted to the engine thread, a shutdown
  // signal), or keeps it for after the script that is running (ResumeDeferredTasks).
  void RunOutsideScript(std::function<void()> task);

  asio::io_context io_{1};
  ServerSettings settings_;
  Shard shard_;
  Config config_;
  std::unique_ptr<CommandTable> commands_;
  Acl acl_{*commands_};
  WatchRegistry watches_;
  BlockingRegistry blocking_;
  PubSub pubsub_;
  KeyspaceEvents keyspace_events_{pubsub_, shard_, settings_.notify_keyspace_events};
  ClientTracking tracking_{[this](uint64_t id) -> Client* {
                             Connection* connection = FindConnection(id);
                             return connection != nullptr ? &ConnectionClient(*connection) : nullptr;
                           },
                           [this] { asio::post(io_, [this] { tracking_.Broadcast(); }); },
                           settings_.tracking_table_max_keys};
  ParserLimits parser_limits_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tls_acceptors_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // null until tls-port is first set
  std::unique_ptr<MetricsEndpoint> metrics_;
  // Closed by Rebind; kept because their cancelled accepts still refer to them.
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> retired_acceptors_;
  asio::steady_timer cron_timer_;
  asio::steady_timer accept_retry_timer_;
  asio::steady_timer journal_wait_timer_;
  std::vector<uint64_t> journal_waiters_;  // clients suspended by WaitForJournal
  PauseMode pause_mode_ = PauseMode::kNone;
  int64_t pause_end_ms_ = 0;
  asio::steady_timer pause_timer_;
  std::vector<uint64_t> postponed_;  // clients waiting for the pause to end, in arrival order
  asio::signal_set signals_;
  std::map<uint64_t, Connection*> clients_;
  uint64_t last_client_id_ = 0;
  ServerStats stats_;
  int64_t start_time_ms_ = 0;
  uint16_t bound_port_ = 0;
  uint16_t bound_tls_port_ = 0;
  std::string run_id_;
  uint64_t cron_loops_ = 0;
  uint64_t client_output_peak_ = 0;
  InfoCounters info_;
  SlowLog slowlog_;
  LatencyMonitor latency_monitor_;
  MonitorRegistry monitors_;
  bool monitor_flush_posted_ = false;
  ColdReads cold_reads_{*this};
  int execute_depth_ = 0;  // > 1 while EXEC runs its queued commands
  std::unique_ptr<Durability> durability_;
  DurableReplies durable_replies_;  // appendfsync always: whose replies wait for which LSN
  std::unique_ptr<ScriptEngine> scripting_;
  std::vector<std::function<void()>> deferred_tasks_;
  bool abandon_pending_changes_ = false;
  bool shutting_down_ = false;
  bool stopping_ = false;
};

}  // namespace tierkv
