// Server: owns the engine thread's io_context, the listening sockets, the
// Shard, the command table, the configuration and every connected client.
// Runs the cron (active expiry, incremental rehash, memory stats, client
// timeouts) and stops gracefully on SIGTERM/SIGINT or SHUTDOWN.
//
// Thread-safety: everything runs on the one engine thread inside Run().
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/shard.h"
#include "server/client.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/info.h"
#include "server/resp_parser.h"
#include "server/watch_registry.h"

namespace tierkv {

class Connection;

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t total_error_replies = 0;
  uint64_t client_output_limit_disconnections = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
};

class Server {
 public:
  Server(ServerSettings settings, EngineOptions engine_options, std::unique_ptr<CommandTable> commands);
  ~Server();

  // Binds the listeners; errors name the address.
  Status Listen();
  // Runs the engine thread until Stop().
  void Run();
  // Asks the loop to finish: closes listeners and clients, then Run() returns.
  void Stop();

  // Executes one command for `client` (the dispatcher: lookup, arity, MULTI
  // queueing, maxmemory, the handler, statistics).
  void Execute(Client& client, std::span<const std::string_view> args);

  // Connection registry.
  void AddClient(Connection* connection);
  void RemoveClient(Connection* connection);
  const std::map<uint64_t, Connection*>& clients() const { return clients_; }
  uint64_t NextClientId() { return ++last_client_id_; }

  Shard& shard() { return shard_; }
  Config& config() { return config_; }
  ServerSettings& settings() { return settings_; }
  const CommandTable& commands() const { return *commands_; }
  WatchRegistry& watches() { return watches_; }
  ServerStats& stats() { return stats_; }
  const ParserLimits& parser_limits() const { return parser_limits_; }
  asio::io_context& io() { return io_; }
  int64_t start_time_ms() const { return start_time_ms_; }
  uint16_t bound_port() const { return bound_port_; }
  std::string_view run_id() const { return run_id_; }
  uint64_t executable_cron_loops() const { return cron_loops_; }
  uint64_t client_output_peak() const { return client_output_peak_; }
  // Per-command and per-error counters and sampled rates for INFO (server/info.h).
  InfoCounters& info_counters() { return info_; }

  // Called by CONFIG SET after a parameter changes.
  void OnConfigChanged(std::string_view name);

 private:
  // Execute without the CLIENT REPLY handling (dispatch.cc).
  void RunCommand(Client& client, std::span<const std::string_view> args);
  void Accept(asio::ip::tcp::acceptor& acceptor);
  void ScheduleCron();
  void Cron();

  asio::io_context io_{1};
  ServerSettings settings_;
  Shard shard_;
  Config config_;
  std::unique_ptr<CommandTable> commands_;
  WatchRegistry watches_;
  ParserLimits parser_limits_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  asio::steady_timer cron_timer_;
  asio::steady_timer accept_retry_timer_;
  asio::signal_set signals_;
  std::map<uint64_t, Connection*> clients_;
  uint64_t last_client_id_ = 0;
  ServerStats stats_;
  int64_t start_time_ms_ = 0;
  uint16_t bound_port_ = 0;
  std::string run_id_;
  uint64_t cron_loops_ = 0;
  uint64_t client_output_peak_ = 0;
  InfoCounters info_;
  int execute_depth_ = 0;  // > 1 while EXEC runs its queued commands
  bool stopping_ = false;
};

}  // namespace tierkv
