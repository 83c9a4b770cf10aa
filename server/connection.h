// Connection: one client socket. Reads into a growing buffer, feeds the
// RespParser, hands each command to Server::Execute, and writes the replies
// collected in the Client's output buffer. Enforces the query buffer and output
// buffer limits, and closes after a protocol error once the error is written.
//
// A connection accepted on the TLS port reads and writes through a TlsSession
// (OpenSSL on the same socket), after a handshake; a plain one uses the socket
// directly. The choice is one branch per read or write call, never per byte.
//
// Lifetime: owned by shared_ptr; pending asio handlers keep it alive, the
// server's registry holds a raw pointer removed on close.
// Thread-safety: engine thread only.
#pragma once

#include <asio.hpp>
#include <asio/ssl/context.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "server/client.h"
#include "server/resp_parser.h"
#include "server/tls_session.h"

namespace tierkv {

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `tls` (null for a plain connection): the TLS context of the listener that accepted it.
  Connection(Server& server, asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls = nullptr);
  ~Connection();

  void Start();
  // Closes at once, dropping unsent replies (CLIENT KILL, limits, shutdown).
  void Close();
  // Sends what is queued, then closes (QUIT, protocol errors).
  void CloseAfterReply();
  // Goes on after the server held this client (replies waiting for the journal, or a
  // suspended command): runs buffered commands, sends what may go, reads again.
  void Resume();
  // Sends what the client's output holds now (replies written for it by others: MONITOR).
  void SendOutput() { Flush(); }

  // After a pub/sub message was written to this client's output by another client's
  // command: sends it once the current batch of commands has run (one write for all the
  // messages of that batch), or closes the connection soon when the output is over the
  // client's output buffer limit (the pubsub class for a subscriber).
  void OnPushed();
  // Closed, or to be closed once the current command is done.
  bool closing() const { return closed_ || close_scheduled_; }

  Client& client() { return client_; }
  size_t query_buffer_bytes() const { return input_len_ - input_pos_; }
  size_t query_buffer_capacity() const { return input_.size(); }
  size_t pending_output_bytes() const { return client_.output.size() + writing_.size() - written_; }
  bool closed() const { return closed_; }
  int fd() { return static_cast<int>(socket_.native_handle()); }  // CLIENT LIST fd=

 private:
  // After the TLS handshake (or at once): refuses the client in protected mode, or reads.
  void Admit();
  void ReadMore();
  // TLS: each step runs until OpenSSL needs the socket readable or writable,
  // then waits for that (WaitThen) and runs again.
  void TlsHandshake();
  void TlsRead();
  void TlsWrite();
  void WaitThen(asio::socket_base::wait_type wait, void (Connection::*step)());
  void OnRead(const asio::error_code& error, size_t bytes);
  void ProcessInput();
  void Flush();
  void OnWrite(const asio::error_code& error, size_t bytes);
  // Closes the connection (now, or `later` from a posted handler when another client's
  // command is running) if its output is over its class's limit; true if so.
  bool EnforceOutputLimit(bool later);
  void EnsureReadSpace();

  Server& server_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;  // TLS connections only
  // TLS: right after the handshake, requests may be waiting: read before waiting.
  bool tls_read_first_ = false;
  Client client_;
  RespParser parser_;
  std::vector<std::string_view> args_;

  std::vector<char> input_;  // [input_pos_, input_len_) is unparsed
  size_t input_pos_ = 0;
  size_t input_len_ = 0;

  std::string writing_;  // replies handed to the socket
  size_t written_ = 0;
  bool write_in_flight_ = false;
  bool read_in_flight_ = false;
  bool read_paused_ = false;  // stopped reading until the output drains
  bool closed_ = false;
  bool close_scheduled_ = false;  // OnPushed found the output over its limit
  bool flush_scheduled_ = false;  // OnPushed posted a Flush
  int64_t soft_limit_since_ms_ = -1;
  // Pending asio handlers keep a connection alive; a held or suspended one has none, so
  // it keeps itself alive here until Resume() or Close().
  std::shared_ptr<Connection> parked_self_;
};

}  // namespace tierkv
