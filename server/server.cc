#include "server/server.h"

#include <csignal>
#include <random>

#include "engine/memory.h"
#include "server/connection.h"
#include "server/info.h"
#include "server/log.h"
#include "server/metrics/metrics_endpoint.h"
#include "server/scripting/script_engine.h"
#include "server/tls.h"

namespace tierkv {
namespace {

uint64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
}

}  // namespace

Server::Server(ServerSettings settings, EngineOptions engine_options, std::unique_ptr<CommandTable> commands)
    : settings_(std::move(settings)),
      shard_(engine_options),
      config_(&settings_, &shard_.options()),
      commands_(std::move(commands)),
      watches_(&shard_),
      blocking_(*this),
      cron_timer_(io_),
      accept_retry_timer_(io_),
      journal_wait_timer_(io_),
      pause_timer_(io_),
      signals_(io_, SIGINT, SIGTERM),
      scripting_(std::make_unique<ScriptEngine>(*this)) {
  metrics_ = std::make_unique<MetricsEndpoint>(*this);
  acl_.SetDefaultPassword(settings_.requirepass);
  acl_.set_pubsub_default_all(settings_.acl_pubsub_default == "allchannels");
  shard_.add_observer(&watches_);
  shard_.add_observer(&blocking_);
  shard_.add_observer(&keyspace_events_);
  shard_.add_observer(&tracking_);
  parser_limits_.max_bulk_len = settings_.proto_max_bulk_len;
  start_time_ms_ = Shard::WallClockMs();
  run_id_ = RandomHex40();
  config_.set_on_change([this](std::string_view name) { OnConfigChanged(name); });
  // CONFIG REWRITE writes the users into the file, unless they live in an aclfile
  // (then the file's user lines go, as in Redis: they could not be loaded with it).
  config_.set_user_lines([this] {
    std::vector<std::string> lines;
    if (!settings_.aclfile.empty()) return lines;
    for (const auto& [name, user] : acl_.users()) lines.push_back("user " + name + " " + user->Describe());
    return lines;
  });
  // Redis's reasons when the new port or addresses cannot be listened on.
  config_.SetApplyStep("port", [this] { return Rebind("Unable to listen on this port. Check server logs."); });
  config_.SetApplyStep("bind", [this] { return Rebind("Failed to bind to specified addresses."); });
  // As Redis: the context is rebuilt (certificates read again) when a TLS parameter
  // changes while the TLS port is set; a failure keeps the previous context.
  constexpr std::string_view kTlsFailure = "Unable to update TLS configuration. Check server logs.";
  config_.SetApplyStep({"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
                        "tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-ciphersuites",
                        "tls-prefer-server-ciphers", "tls-session-caching", "tls-session-cache-size",
                        "tls-session-cache-timeout"},
                       [this, kTlsFailure] {
                         if (settings_.tls.port == 0 || ReloadTls().ok()) return Status::Ok();
                         return Status::Error(std::string(kTlsFailure));
                       });
  config_.SetApplyStep({"metrics-port", "metrics-bind", "metrics-allow-unauthenticated"},
                       [this] { return metrics_->Apply(); });
  config_.SetApplyStep("tls-port", [this, kTlsFailure] {
    if (settings_.tls.port != 0 && !ReloadTls().ok()) return Status::Error(std::string(kTlsFailure));
    return Rebind("Unable to listen on this port. Check server logs.");
  });
}

Server::~Server() = default;

Status Server::OpenAcceptor(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint, int backlog,
                            std::unique_ptr<asio::ip::tcp::acceptor>* out) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io);
  asio::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(backlog, ec);
  if (ec) return Status::IoError(ec.message());
  *out = std::move(acceptor);
  return Status::Ok();
}

Status Server::ReloadTls() {
  auto context = MakeTlsContext(settings_.tls);
  if (!context.ok()) {
    LogWarning("Failed to configure TLS: " + context.status().message());
    return context.status();
  }
  tls_context_ = std::move(*context);
  return Status::Ok();
}

Status Server::Listen() {
  Status status = ListenForClients();
  if (!status.ok()) return status;
  return metrics_->Apply();
}

uint16_t Server::bound_metrics_port() const { return metrics_->bound_port(); }

Status Server::ListenForClients() {
  // Port 0 next to a TLS port: TLS only, as in Redis.
  if (settings_.port != 0 || settings_.tls.port == 0) {
    Status status = ListenOn(settings_.port, "TCP", &acceptors_, &bound_port_);
    if (!status.ok()) return status;
  }
  if (settings_.tls.port != 0) {
    if (tls_context_ == nullptr) {
      Status status = ReloadTls();
      if (!status.ok()) return Status::Error("Failed to configure TLS: " + status.message());
    }
    Status status = ListenOn(settings_.tls.port, "TLS", &tls_acceptors_, &bound_tls_port_);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status Server::ListenOn(int port, std::string_view kind, std::vector<std::unique_ptr<asio::ip::tcp::acceptor>>* out,
                        uint16_t* bound) {
  for (const std::string& host : settings_.bind) {
    std::string address = host;
    if (!address.empty() && address[0] == '-') address.erase(0, 1);  // "-::1": optional address
    asio::error_code ec;
    auto ip = asio::ip::make_address(address, ec);
    if (ec) return Status::Error("invalid bind address '" + host + "'");
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
    Status status = OpenAcceptor(io_, {ip, static_cast<uint16_t>(port)}, settings_.tcp_backlog, &acceptor);
    if (!status.ok()) {
      if (host[0] == '-') continue;
      return Status::Error("Could not create server " + std::string(kind) + " listening socket " + address + ":" +
                           std::to_string(port) + ": " + status.message());
    }
    *bound = acceptor->local_endpoint().port();
    out->push_back(std::move(acceptor));
  }
  if (out->empty()) return Status::Error("no listening address");
  return Status::Ok();
}

Status Server::Rebind(std::string_view failure) {
  // The old listeners close first: the new set may reuse one of their
  // addresses and ports, which a second listening socket could not bind.
  // Plain listeners, then TLS ones.
  std::vector<asio::ip::tcp::endpoint> previous[2];
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>>* sets[2] = {&acceptors_, &tls_acceptors_};
  auto retire_all = [this, &sets] {
    asio::error_code ec;
    for (auto* set : sets) {
      for (auto& acceptor : *set) {
        acceptor->close(ec);
        retired_acceptors_.push_back(std::move(acceptor));
      }
      set->clear();
    }
  };
  for (int kind = 0; kind < 2; ++kind) {
    for (auto& acceptor : *sets[kind]) {
      asio::error_code ec;
      previous[kind].push_back(acceptor->local_endpoint(ec));
    }
  }
  const uint16_t previous_port = bound_port_;
  const uint16_t previous_tls_port = bound_tls_port_;
  retire_all();
  Status status = ListenForClients();
  if (!status.ok()) {
    LogWarning("Rebinding the listeners: " + status.message() + "; listening on the previous addresses again");
    retire_all();
    for (int kind = 0; kind < 2; ++kind) {
      for (const auto& endpoint : previous[kind]) {
        std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
        Status reopened = OpenAcceptor(io_, endpoint, settings_.tcp_backlog, &acceptor);
        if (!reopened.ok()) {
          LogWarning("Could not listen again on " + endpoint.address().to_string() + ":" +
                     std::to_string(endpoint.port()) + ": " + reopened.message());
          continue;
        }
        sets[kind]->push_back(std::move(acceptor));
      }
    }
    bound_port_ = previous_port;
    bound_tls_port_ = previous_tls_port;
  }
  if (tls_acceptors_.empty()) bound_tls_port_ = 0;
  for (auto& acceptor : acceptors_) Accept(*acceptor, false);
  for (auto& acceptor : tls_acceptors_) Accept(*acceptor, true);
  return status.ok() ? Status::Ok() : Status::Error(std::string(failure));
}

void Server::Run() {
  for (auto& acceptor : acceptors_) Accept(*acceptor, false);
  for (auto& acceptor : tls_acceptors_) Accept(*acceptor, true);
  signals_.async_wait([this](const asio::error_code& error, int signal) {
    if (error) return;
    LogWarning(signal == SIGINT ? "Received SIGINT scheduling shutdown..." : "Received SIGTERM scheduling shutdown...");
    // As Redis, a running script finishes first: the final round must not take half of it.
    RunOutsideScript([this] { Shutdown(true, 0); });
  });
  RefreshMemoryStats();
  info_.startup_memory = UsedMemory();
  ScheduleCron();
  LogNotice("Ready to accept connections tcp");
  io_.run();
  LogWarning("tierkv is now ready to exit, bye bye...");
}

void Server::Stop() {
  if (stopping_) return;
  stopping_ = true;
  asio::error_code ec;
  for (auto& acceptor : acceptors_) acceptor->close(ec);
  for (auto& acceptor : tls_acceptors_) acceptor->close(ec);
  metrics_->Close();
  cron_timer_.cancel();
  accept_retry_timer_.cancel();
  journal_wait_timer_.cancel();
  pause_timer_.cancel();
  signals_.cancel(ec);
  // Close every client; the connections unregister themselves.
  while (!clients_.empty()) clients_.begin()->second->Close();
  io_.stop();
}

void Server::Accept(asio::ip::tcp::acceptor& acceptor, bool tls) {
  acceptor.async_accept([this, &acceptor, tls](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error) {
      if (error == asio::error::operation_aborted || stopping_) return;
      LogWarning("Accepting client connection: " + error.message());
      // Out of file descriptors (or similar): retrying at once would spin on the
      // same error; pause briefly while existing clients keep being served.
      accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
      accept_retry_timer_.async_wait([this, &acceptor, tls](const asio::error_code& wait_error) {
        if (!wait_error && !stopping_) Accept(acceptor, tls);
      });
      return;
    } else if (static_cast<int64_t>(clients_.size()) >= settings_.maxclients) {
      ++stats_.rejected_connections;
      asio::error_code ec;
      // A TLS client could not read a plain error before its handshake: it is only closed.
      if (!tls) asio::write(socket, asio::buffer(std::string_view("-ERR max number of clients reached\r\n")), ec);
      socket.close(ec);
    } else {
      ++stats_.total_connections_received;
      std::make_shared<Connection>(*this, std::move(socket), tls ? tls_context_ : nullptr)->Start();
    }
    if (acceptor.is_open()) Accept(acceptor, tls);  // closed by Rebind: its successor accepts
  });
}

void Server::AddClient(Connection* connection) { clients_[connection->client().id] = connection; }

void Server::RemoveClient(Connection* connection) {
  Client& client = connection->client();
  watches_.UnwatchAll(client);
  blocking_.Forget(client.id);
  pubsub_.UnsubscribeAll(client);
  tracking_.ClientGone(client);
  durable_replies_.Forget(client.id);
  if (client.postponed) std::erase(postponed_, client.id);
  if (client.monitor) monitors_.Remove(client.id);
  cold_reads_.ForgetClient(client.id);
  clients_.erase(client.id);
}

void Server::ScheduleCron() {
  cron_timer_.expires_after(std::chrono::milliseconds(1000 / std::max(settings_.hz, 1)));
  cron_timer_.async_wait([this](const asio::error_code& error) {
    if (error || stopping_) return;
    Cron();
    ScheduleCron();
  });
}

void Server::Cron() {
  // While a script runs (serving others with BUSY), the keyspace is the script's alone:
  // no expiry, eviction or checkpoint step until it ends.
  if (scripting_->running()) return;
  ++cron_loops_;
  const int64_t now = Shard::WallClockMs();
  shard_.set_now_ms(now);
  // A quarter of each cron period at most for active expiry, as Redis's slow cycle.
  const int64_t period_us = 1000000 / std::max(settings_.hz, 1);
  // CLIENT PAUSE stops expiry too, so that the dataset stays as it is.
  if (!clients_paused()) {
    const auto expire_started = std::chrono::steady_clock::now();
    shard_.ActiveExpireCycle(period_us / 4);
    NoteLatency("expire-cycle", ElapsedMs(expire_started));
  }
  shard_.HousekeepingStep();
  // Also here, so that a lowered tracking-table-max-keys applies on an idle server.
  tracking_.LimitTableSize();
  CommitChanges(nullptr);  // keys expired or evicted above
  // A stream that expired above ends the wait of its XREADGROUP clients.
  if (blocking_.has_ready_keys()) blocking_.ServeReady();
  if (durability_ != nullptr && !shutting_down_) durability_->Cron(now);
  RefreshMemoryStats();
  SampleInstantaneousMetrics(*this, now);
  if (settings_.timeout_seconds > 0) {
    std::vector<Connection*> idle;
    for (auto& [id, connection] : clients_) {
      const Client& client = connection->client();
      if (!client.in_multi && !client.postponed && now - client.last_interaction_ms > settings_.timeout_seconds * 1000) idle.push_back(connection);
    }
    for (Connection* connection : idle) connection->Close();
  }
  for (auto& [id, connection] : clients_) {
    client_output_peak_ = std::max<uint64_t>(client_output_peak_, connection->pending_output_bytes());
  }
}

void Server::FeedMonitors(const Client& client, std::span<const std::string_view> args) {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string line = MonitorLine(now_us, client.db, client.address, args);
  for (uint64_t id : monitors_.clients()) {
    if (Connection* connection = FindConnection(id)) connection->client().output += line;
  }
  if (monitor_flush_posted_) return;
  monitor_flush_posted_ = true;
  asio::post(io_, [this] {
    monitor_flush_posted_ = false;
    for (uint64_t id : monitors_.clients()) {
      if (Connection* connection = FindConnection(id)) connection->SendOutput();
    }
  });
}

bool Server::EnforceMaxmemory() {
  if (settings_.latency_monitor_threshold <= 0) return shard_.EnforceMaxmemory().ok();
  const auto started = std::chrono::steady_clock::now();
  const bool ok = shard_.EnforceMaxmemory().ok();
  NoteLatency("eviction-cycle", ElapsedMs(started));
  return ok;
}

void Server::OnConfigChanged(std::string_view name) {
  if (name == "proto-max-bulk-len") parser_limits_.max_bulk_len = settings_.proto_max_bulk_len;
  if (name == "loglevel") SetLogLevel(settings_.loglevel);
  if (name == "requirepass") acl_.SetDefaultPassword(settings_.requirepass);
  if (name == "latency-monitor-threshold" && durability_ != nullptr) {
    durability_->SetLatencyThreshold(settings_.latency_monitor_threshold);
  }
  if (name == "acl-pubsub-default") acl_.set_pubsub_default_all(settings_.acl_pubsub_default == "allchannels");
  if (name == "acllog-max-len") acl_.TrimLog(static_cast<size_t>(settings_.acllog_max_len));
  if (name == "maxmemory" && !clients_paused()) (void)shard_.EnforceMaxmemory();
  if (name == "appendonly" || name == "appendfsync" || name == "save" || name == "journal-max-size") {
    ApplyDurabilitySettings();
  }
}

}  // namespace tierkv
