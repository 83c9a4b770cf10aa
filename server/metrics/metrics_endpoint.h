// MetricsEndpoint: the optional HTTP listener (`metrics-port`, `metrics-bind`)
// serving GET /metrics (server/metrics/exposition.h) on the engine thread's
// io_context, next to the RESP listeners.
//
// Requests: GET or HEAD of /metrics; other paths get 404, other methods 405,
// malformed or oversized requests 400 (then the connection closes). HTTP/1.1
// keep-alive is honoured. A connection idle for kIdleTimeout is closed, and at
// most kMaxConnections are open at once (more are closed at accept).
//
// Access: while the default user needs a password (requirepass, or ACL rules),
// each request must carry HTTP basic credentials of an enabled ACL user allowed
// to run INFO (401 without them, 403 for a user denied INFO). Without a password
// the listener is refused on a non-loopback address, and a client from another
// host gets 403, unless `metrics-allow-unauthenticated yes`.
//
// Thread-safety: engine thread only.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/status.h"

namespace tierkv {

class Server;
class MetricsSession;

class MetricsEndpoint {
 public:
  static constexpr std::chrono::seconds kIdleTimeout{30};
  static constexpr size_t kMaxConnections = 32;

  explicit MetricsEndpoint(Server& server);
  ~MetricsEndpoint();

  // Listens as metrics-port / metrics-bind now say (nothing when the port is 0),
  // closing the current listeners first and every open connection. On failure the
  // previous listeners are opened again and the reason is returned.
  Status Apply();
  // Closes the listeners and connections (shutdown).
  void Close();
  // The port listened on, 0 when off.
  uint16_t bound_port() const { return bound_port_; }

 private:
  friend class MetricsSession;

  // Opens one listener per metrics-bind address into `acceptors_`.
  Status Open();
  void CloseListeners();
  void Accept(asio::ip::tcp::acceptor& acceptor);

  Server& server_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  // Closed listeners whose cancelled accepts still refer to them.
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> retired_;
  std::vector<std::weak_ptr<MetricsSession>> sessions_;
  // Shared with the sessions, which may outlive the endpoint inside the io_context.
  std::shared_ptr<size_t> open_sessions_ = std::make_shared<size_t>(0);
  asio::steady_timer retry_timer_;  // accepting again after an error
  uint16_t bound_port_ = 0;
};

}  // namespace tierkv
