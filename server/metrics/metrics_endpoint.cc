#include "server/metrics/metrics_endpoint.h"

#include <algorithm>

#include "server/log.h"
#include "server/metrics/exposition.h"
#include "server/metrics/http_request.h"
#include "server/server.h"

namespace tierkv {
namespace {

constexpr size_t kMaxHeadBytes = 8192;
constexpr size_t kReadChunk = 4096;

struct HttpResponse {
  int status = 200;
  std::string_view reason = "OK";
  std::string body;
  std::string_view content_type = "text/plain; charset=utf-8";
  std::string extra_headers;  // whole "Name: value\r\n" lines
  bool close = false;
};

HttpResponse Plain(int status, std::string_view reason, bool close) {
  HttpResponse response;
  response.status = status;
  response.reason = reason;
  response.body = std::string(reason) + "\n";
  response.close = close;
  return response;
}

std::string Serialize(const HttpResponse& response, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(response.reason) + "\r\n";
  out += "Content-Type: " + std::string(response.content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += response.extra_headers;
  if (response.close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

// The user of HTTP basic credentials ("Basic base64(user:password)"), or nullptr.
// A name left empty means the default user, as AUTH with a password alone.
std::shared_ptr<AclUser> BasicAuthUser(const Acl& acl, std::string_view authorization) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size() || !EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return nullptr;
  }
  std::string credentials;
  if (!DecodeBase64(authorization.substr(kScheme.size()), &credentials)) return nullptr;
  const size_t colon = credentials.find(':');
  if (colon == std::string::npos) return nullptr;
  const std::string_view name = std::string_view(credentials).substr(0, colon);
  return acl.Authenticate(name.empty() ? "default" : name, std::string_view(credentials).substr(colon + 1));
}

bool IsLoopback(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

}  // namespace

// One HTTP connection: reads request heads, answers each, until the client closes,
// asks to, sends something bad, or stays idle past the timeout.
class MetricsSession : public std::enable_shared_from_this<MetricsSession> {
 public:
  MetricsSession(Server& server, asio::ip::tcp::socket socket, std::shared_ptr<size_t> open_sessions)
      : server_(server), socket_(std::move(socket)), idle_timer_(server.io()), open_sessions_(std::move(open_sessions)) {
    ++*open_sessions_;
    asio::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    remote_loopback_ = !ec && IsLoopback(remote.address());
  }
  ~MetricsSession() { --*open_sessions_; }

  void Start() {
    ArmIdleTimer();
    Read();
  }

  void Close() {
    asio::error_code ec;
    idle_timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  // The head must arrive within the timeout from the connection's start or the last
  // answer: partial bytes do not extend it, so a slow sender is closed too.
  void ArmIdleTimer() {
    idle_timer_.expires_after(MetricsEndpoint::kIdleTimeout);
    idle_timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->Close();
    });
  }

  void Read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const asio::error_code& error, size_t n) {
      if (error) {
        self->Close();
        return;
      }
      self->input_.append(self->chunk_.data(), n);
      self->Process();
    });
  }

  void Process() {
    HttpRequest request;
    size_t consumed = 0;
    const HttpRequestParser parser(kMaxHeadBytes);
    switch (parser.Parse(input_, &request, &consumed)) {
      case HttpRequestParser::State::kIncomplete:
        Read();
        return;
      case HttpRequestParser::State::kBad:
        Send(Plain(400, "Bad Request", true), false);
        return;
      case HttpRequestParser::State::kComplete:
        break;
    }
    input_.erase(0, consumed);
    const bool head_only = request.method == "HEAD";
    HttpResponse response = Answer(request);
    if (!request.keep_alive) response.close = true;
    Send(std::move(response), head_only);
  }

  HttpResponse Answer(const HttpRequest& request) {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse response = Plain(405, "Method Not Allowed", true);
      response.extra_headers = "Allow: GET, HEAD\r\n";
      return response;
    }
    // A GET carries no body: one we would have to skip is refused instead.
    if (request.content_length != 0) return Plain(400, "Bad Request", true);
    if (request.path != "/metrics") return Plain(404, "Not Found", false);
    const Acl& acl = server_.acl();
    if (!acl.default_user_open()) {
      const std::shared_ptr<AclUser> user = BasicAuthUser(acl, request.authorization);
      if (user == nullptr) {
        HttpResponse response = Plain(401, "Unauthorized", false);
        response.extra_headers = "WWW-Authenticate: Basic realm=\"tierkv\", charset=\"UTF-8\"\r\n";
        return response;
      }
      // The page shows what INFO shows: a user denied INFO may not read it.
      const CommandSpec* info = server_.commands().Find("info");
      const std::string_view args[] = {"info"};
      if (!user->unrestricted() && info != nullptr && user->Check(*info, nullptr, args).denial != AclDenial::kNone) {
        return Plain(403, "Forbidden", false);
      }
    } else if (!remote_loopback_ && !server_.settings().metrics.allow_unauthenticated) {
      // No password (perhaps removed since the listener opened): only local scrapers.
      return Plain(403, "Forbidden", false);
    }
    HttpResponse response;
    response.body = BuildMetricsPage(server_);
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  }

  void Send(HttpResponse response, bool head_only) {
    output_ = Serialize(response, head_only);
    const bool close = response.close;
    asio::async_write(socket_, asio::buffer(output_),
                      [self = shared_from_this(), close](const asio::error_code& error, size_t) {
                        if (error || close) {
                          self->Close();
                          return;
                        }
                        self->ArmIdleTimer();
                        // A pipelined request may already be buffered.
                        if (self->input_.empty()) {
                          self->Read();
                        } else {
                          self->Process();
                        }
                      });
  }

  Server& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer idle_timer_;
  std::shared_ptr<size_t> open_sessions_;
  bool remote_loopback_ = false;
  std::array<char, kReadChunk> chunk_{};
  std::string input_;
  std::string output_;
};

MetricsEndpoint::MetricsEndpoint(Server& server) : server_(server), retry_timer_(server.io()) {}

MetricsEndpoint::~MetricsEndpoint() = default;

Status MetricsEndpoint::Apply() {
  std::vector<asio::ip::tcp::endpoint> previous;
  for (auto& acceptor : acceptors_) {
    asio::error_code ec;
    previous.push_back(acceptor->local_endpoint(ec));
  }
  const uint16_t previous_port = bound_port_;
  Close();
  Status status = Open();
  if (status.ok()) return status;
  LogWarning("Metrics listener: " + status.message() + "; listening on the previous addresses again");
  CloseListeners();
  for (const auto& endpoint : previous) {
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
    if (!Server::OpenAcceptor(server_.io(), endpoint, server_.settings().tcp_backlog, &acceptor).ok()) continue;
    Accept(*acceptor);
    acceptors_.push_back(std::move(acceptor));
  }
  bound_port_ = acceptors_.empty() ? 0 : previous_port;
  return status;
}

Status MetricsEndpoint::Open() {
  const MetricsSettings& settings = server_.settings().metrics;
  if (settings.port == 0) return Status::Ok();
  std::vector<std::pair<std::string, asio::ip::address>> addresses;
  for (const std::string& host : settings.bind) {
    const std::string address = !host.empty() && host[0] == '-' ? host.substr(1) : host;
    asio::error_code ec;
    const asio::ip::address ip = asio::ip::make_address(address, ec);
    if (ec) return Status::Error("invalid metrics-bind address '" + host + "'");
    addresses.emplace_back(host, ip);
  }
  // Refused before anything opens: the page shows what INFO shows, to anyone who
  // can reach it unless a password guards it.
  if (server_.acl().default_user_open() && !settings.allow_unauthenticated) {
    for (const auto& [host, ip] : addresses) {
      if (!IsLoopback(ip)) {
        return Status::Error("metrics-bind " + host +
                             " is not a loopback address and no password is set (requirepass or the default "
                             "user's); set one, or metrics-allow-unauthenticated yes");
      }
    }
  }
  for (const auto& [host, ip] : addresses) {
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
    Status status = Server::OpenAcceptor(server_.io(), {ip, static_cast<uint16_t>(settings.port)},
                                         server_.settings().tcp_backlog, &acceptor);
    if (!status.ok()) {
      if (host[0] == '-') continue;  // an optional address, as in `bind`
      CloseListeners();
      return Status::Error("Could not create the metrics listening socket " + ip.to_string() + ":" +
                           std::to_string(settings.port) + ": " + status.message());
    }
    bound_port_ = acceptor->local_endpoint().port();
    Accept(*acceptor);
    acceptors_.push_back(std::move(acceptor));
  }
  if (acceptors_.empty()) return Status::Error("no metrics listening address");
  return Status::Ok();
}

void MetricsEndpoint::CloseListeners() {
  asio::error_code ec;
  for (auto& acceptor : acceptors_) {
    acceptor->close(ec);
    retired_.push_back(std::move(acceptor));
  }
  acceptors_.clear();
  bound_port_ = 0;
}

void MetricsEndpoint::Close() {
  CloseListeners();
  retry_timer_.cancel();
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) session->Close();
  }
  sessions_.clear();
}

void MetricsEndpoint::Accept(asio::ip::tcp::acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error) {
      if (error == asio::error::operation_aborted || server_.stopping()) return;
      LogWarning("Accepting a metrics connection: " + error.message());
      // Out of descriptors (or similar): retrying at once would spin on the same error.
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this, &acceptor](const asio::error_code& wait_error) {
        if (!wait_error && acceptor.is_open()) Accept(acceptor);
      });
      return;
    }
    if (*open_sessions_ >= kMaxConnections) {
      asio::error_code ec;
      socket.close(ec);
    } else {
      std::erase_if(sessions_, [](const std::weak_ptr<MetricsSession>& weak) { return weak.expired(); });
      auto session = std::make_shared<MetricsSession>(server_, std::move(socket), open_sessions_);
      sessions_.push_back(session);
      session->Start();
    }
    if (acceptor.is_open()) Accept(acceptor);
  });
}

}  // namespace tierkv
