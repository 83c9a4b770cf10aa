#include "server/connection.h"

#include <cstring>

#include "engine/shard.h"
#include "server/log.h"
#include "server/protected_mode.h"
#include "server/server.h"

namespace tierkv {
namespace {

constexpr size_t kInitialReadBuffer = 16 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;
// Past this much unsent output we stop reading from the client until the
// socket drains: a client that never reads cannot make us buffer without bound.
constexpr size_t kReadPauseOutputBytes = 64 * 1024 * 1024;

std::string EndpointText(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls)
    : server_(server),
      socket_(std::move(socket)),
      client_(server.NextClientId()),
      parser_(&server.parser_limits()),
      input_(kInitialReadBuffer) {
  asio::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) client_.address = EndpointText(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) client_.local_address = EndpointText(local);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  client_.created_ms = Shard::WallClockMs();
  client_.last_interaction_ms = client_.created_ms;
  client_.connection = this;
  if (tls != nullptr) tls_ = std::make_unique<TlsSession>(std::move(tls), fd());
}

void Connection::WaitThen(asio::socket_base::wait_type wait, void (Connection::*step)()) {
  socket_.async_wait(wait, [self = shared_from_this(), step](const asio::error_code& error) {
    if (self->closed_) return;
    if (error) {
      self->Close();
      return;
    }
    (self.get()->*step)();
  });
}

Connection::~Connection() {
  // Normally Close() has unregistered us; never leave a dangling pointer behind.
  if (!closed_) server_.RemoveClient(this);
}

void Connection::Start() {
  server_.AddClient(this);
  if (tls_ == nullptr) {
    Admit();
    return;
  }
  TlsHandshake();
}

void Connection::TlsHandshake() {
  std::string why;
  switch (tls_->Handshake(&why)) {
    case TlsSession::Io::kDone:
      tls_read_first_ = true;  // requests may have come right behind the handshake
      Admit();
      return;
    case TlsSession::Io::kWantRead:
      WaitThen(asio::socket_base::wait_read, &Connection::TlsHandshake);
      return;
    case TlsSession::Io::kWantWrite:
      WaitThen(asio::socket_base::wait_write, &Connection::TlsHandshake);
      return;
    case TlsSession::Io::kClosed:
      // No certificate, one from another CA, not TLS at all: this connection only.
      LogVerbose("Error accepting a client connection: " + why + " (addr=" + client_.address + ")");
      Close();
      return;
  }
}

void Connection::TlsRead() {
  // One SSL_read per readiness event, as Redis: draining the socket to EAGAIN would
  // cost a read(2) per request. Waiting without draining is safe because asio arms
  // each wait with epoll_ctl, which reports a socket that is readable already;
  // what OpenSSL holds decrypted is checked before waiting (ReadMore).
  size_t bytes = 0;
  const TlsSession::Io io = tls_->Read(input_.data() + input_len_, input_.size() - input_len_, &bytes);
  tls_read_first_ = false;
  switch (io) {
    case TlsSession::Io::kDone:
      OnRead({}, bytes);
      return;
    case TlsSession::Io::kClosed:
      OnRead(asio::error::eof, 0);
      return;
    case TlsSession::Io::kWantRead:
      WaitThen(asio::socket_base::wait_read, &Connection::TlsRead);
      return;
    case TlsSession::Io::kWantWrite:
      WaitThen(asio::socket_base::wait_write, &Connection::TlsRead);
      return;
  }
}

void Connection::TlsWrite() {
  while (written_ < writing_.size()) {
    size_t bytes = 0;
    const TlsSession::Io io = tls_->Write(writing_.data() + written_, writing_.size() - written_, &bytes);
    if (io == TlsSession::Io::kDone) {
      written_ += bytes;
      server_.stats().net_output_bytes += bytes;
      ++server_.stats().total_writes_processed;
      continue;
    }
    if (io == TlsSession::Io::kClosed) {
      write_in_flight_ = false;
      Close();
      return;
    }
    write_in_flight_ = true;
    WaitThen(io == TlsSession::Io::kWantWrite ? asio::socket_base::wait_write : asio::socket_base::wait_read,
             &Connection::TlsWrite);
    return;
  }
  // All sent: as OnWrite after an asynchronous write (its byte count is already in).
  const bool was_waiting = write_in_flight_;
  write_in_flight_ = false;
  writing_.clear();
  written_ = 0;
  if (!was_waiting) {
    if (client_.close_after_reply) {
      if (client_.output.empty()) Close();
      else Flush();
    }
    return;
  }
  OnWrite({}, 0);
}

void Connection::Admit() {
  asio::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  if (!ec && ProtectedModeRefuses(server_.settings().protected_mode, server_.acl().default_user()->nopass(),
                                  remote.address())) {
    ++server_.stats().rejected_connections;
    client_.output += kProtectedModeDenied;
    CloseAfterReply();
    return;
  }
  ReadMore();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.RemoveClient(this);
  // Let go of a parked self-reference later, not in the middle of this call.
  if (parked_self_ != nullptr) asio::post(socket_.get_executor(), [parked = std::move(parked_self_)] {});
}

void Connection::CloseAfterReply() {
  client_.close_after_reply = true;
  Flush();
}

void Connection::EnsureReadSpace() {
  if (input_pos_ == input_len_) {
    input_pos_ = input_len_ = 0;
  }
  if (input_.size() - input_len_ >= kMinReadSpace) return;
  if (input_pos_ > 0) {
    // Drop consumed bytes before growing.
    std::memmove(input_.data(), input_.data() + input_pos_, input_len_ - input_pos_);
    input_len_ -= input_pos_;
    input_pos_ = 0;
    if (input_.size() - input_len_ >= kMinReadSpace) return;
  }
  input_.resize(input_.size() * 2);
}

void Connection::Resume() {
  auto self = std::move(parked_self_);  // alive until this returns; re-parks if needed
  if (closed_) return;
  if (!client_.suspended) ProcessInput();
  if (closed_) return;
  Flush();
  ReadMore();
}

void Connection::ReadMore() {
  if (closed_ || read_in_flight_ || read_paused_ || client_.close_after_reply) return;
  // A held or suspended client is read again by Resume(): with appendfsync always,
  // what one read brought in shares one fsync. A client blocked on keys is still read
  // (its commands wait in the buffer), so that its disconnection is noticed.
  if ((client_.suspended && !client_.blocked) || server_.RepliesHeld(client_)) {
    parked_self_ = shared_from_this();
    return;
  }
  EnsureReadSpace();
  read_in_flight_ = true;
  // async_read_some costs one read() per request: asio performs the read when
  // epoll reports the socket, and after a read that drained the socket it
  // queues the next one without trying (and failing) a speculative read.
  auto self = shared_from_this();
  if (tls_ != nullptr) {
    if (tls_read_first_ || tls_->HasBuffered()) {
      asio::post(socket_.get_executor(), [self] {
        if (self->closed_) return;
        self->TlsRead();
      });
    } else {
      WaitThen(asio::socket_base::wait_read, &Connection::TlsRead);
    }
    return;
  }
  socket_.async_read_some(asio::buffer(input_.data() + input_len_, input_.size() - input_len_),
                          [self](const asio::error_code& error, size_t bytes) { self->OnRead(error, bytes); });
}

void Connection::OnRead(const asio::error_code& error, size_t bytes) {
  read_in_flight_ = false;
  if (closed_) return;
  if (error) {
    Close();
    return;
  }
  input_len_ += bytes;
  server_.stats().net_input_bytes += bytes;
  ++server_.stats().total_reads_processed;
  client_.last_interaction_ms = Shard::WallClockMs();
  ProcessInput();
  if (closed_) return;
  if (query_buffer_bytes() > server_.settings().client_query_buffer_limit) {
    LogWarning("Closing client that reached max query buffer length: id=" + std::to_string(client_.id) +
               " addr=" + client_.address);
    ++server_.stats().client_query_buffer_limit_disconnections;
    Close();
    return;
  }
  Flush();
  // A client that does not read its replies stops being read from: its unsent
  // output, not our memory, is what grows. OnWrite resumes reading.
  if (pending_output_bytes() >= kReadPauseOutputBytes && write_in_flight_) {
    read_paused_ = true;
    return;
  }
  ReadMore();
}

void Connection::ProcessInput() {
  while (!closed_ && !client_.close_after_reply && !client_.suspended && !client_.postponed &&
         input_pos_ < input_len_) {
    std::string_view unparsed(input_.data() + input_pos_, input_len_ - input_pos_);
    size_t consumed = 0;
    const auto outcome = parser_.Parse(unparsed, &consumed, &args_);
    if (outcome == RespParser::Outcome::kNeedMore) break;
    if (outcome == RespParser::Outcome::kError) {
      client_.reply.Error("ERR " + parser_.error());
      ++server_.stats().total_error_replies;
      LogVerbose("Protocol error (" + parser_.error() + ") from client: id=" + std::to_string(client_.id) +
                 " addr=" + client_.address);
      CloseAfterReply();
      return;
    }
    if (!args_.empty()) {
      const ColdReads::Outcome cold = server_.cold_reads().Prepare(client_, args_);
      if (cold == ColdReads::Outcome::kWaiting) break;  // parsed again once its values are in
      if (cold == ColdReads::Outcome::kReady) server_.Execute(client_, args_);
      if (cold != ColdReads::Outcome::kWaiting) server_.cold_reads().AfterCommand(client_.id);
    }
    if (client_.postponed) break;  // the command stays in the buffer until the pause ends
    input_pos_ += consumed;
    if (client_.kill_requested) {
      Close();
      return;
    }
    if (EnforceOutputLimit(false)) return;
  }
}

bool Connection::EnforceOutputLimit(bool later) {
  // Redis classes a subscribed client as pubsub whatever its protocol.
  const ServerSettings& settings = server_.settings();
  const OutputBufferLimit& limit = client_.pubsub ? settings.output_limit_pubsub : settings.output_limit_normal;
  const size_t pending = pending_output_bytes();
  bool over = limit.hard_bytes > 0 && pending > limit.hard_bytes;
  if (!over && limit.soft_bytes > 0 && pending > limit.soft_bytes) {
    const int64_t now = Shard::WallClockMs();
    if (soft_limit_since_ms_ < 0) soft_limit_since_ms_ = now;
    over = now - soft_limit_since_ms_ > limit.soft_seconds * 1000;
  } else if (pending <= limit.soft_bytes) {
    soft_limit_since_ms_ = -1;
  }
  if (!over) return false;
  LogWarning("Client id=" + std::to_string(client_.id) + " addr=" + client_.address +
             " scheduled to be closed ASAP for overcoming of output buffer limits.");
  ++server_.stats().client_output_limit_disconnections;
  if (!later) {
    Close();
    return true;
  }
  // The command writing to us may be iterating over the clients Close() unregisters.
  close_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Close(); });
  return true;
}

void Connection::OnPushed() {
  if (closing() || EnforceOutputLimit(true) || flush_scheduled_) return;
  flush_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->Flush();
  });
}

void Connection::Flush() {
  if (closed_ || write_in_flight_) return;
  if (server_.RepliesHeld(client_)) {
    server_.HoldUntilDurable(client_);
    return;
  }
  // The journal thread gets this client's records before its replies leave, so a reply
  // never describes a write the journal has not been handed (everysec: a crash of the
  // process then loses at most what the journal thread had not yet written).
  server_.HandJournalOver();
  if (client_.output.empty()) {
    if (client_.close_after_reply) Close();
    return;
  }
  writing_.clear();
  writing_.swap(client_.output);
  written_ = 0;
  // TLS encrypts straight into the socket until it would block (TlsWrite).
  if (tls_ != nullptr) {
    TlsWrite();
    return;
  }
  // Try the socket at once: most replies fit in the kernel buffer, which saves
  // a round through the reactor.
  {
    asio::error_code ec;
    const size_t sent = socket_.write_some(asio::buffer(writing_), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      Close();
      return;
    }
    if (!ec) {
      written_ = sent;
      server_.stats().net_output_bytes += sent;
      ++server_.stats().total_writes_processed;
    }
  }
  if (written_ == writing_.size()) {
    writing_.clear();
    written_ = 0;
    if (client_.close_after_reply) {
      if (client_.output.empty()) Close();
      else Flush();
    }
    return;
  }
  write_in_flight_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(writing_.data() + written_, writing_.size() - written_),
                    [self](const asio::error_code& error, size_t bytes) { self->OnWrite(error, bytes); });
}

void Connection::OnWrite(const asio::error_code& error, size_t bytes) {
  write_in_flight_ = false;
  if (closed_) return;
  if (error) {
    Close();
    return;
  }
  server_.stats().net_output_bytes += bytes;
  ++server_.stats().total_writes_processed;
  writing_.clear();
  written_ = 0;
  if (!client_.output.empty() || client_.close_after_reply) Flush();
  // Reading pauses while a big reply is stuck (see OnRead); resume it now.
  if (read_paused_ && pending_output_bytes() < kReadPauseOutputBytes) {
    read_paused_ = false;
    ReadMore();
  }
}

}  // namespace tierkv
