// TlsSession: one server-side OpenSSL connection that reads and writes the
// socket's file descriptor itself (a socket BIO), as Redis's TLS connections do:
// a reply is encrypted straight into the kernel's send buffer, with no copy
// through an intermediate buffer and no extra round through the event loop.
// The socket is non-blocking; a call that cannot progress says which readiness
// (readable or writable) to wait for before calling again. Connection does the
// waiting (asio's async_wait, which arms epoll so that a socket already ready
// completes it at once).
//
// Thread-safety: engine thread only, like its connection.
#pragma once

#include <cstddef>
#include <memory>

#include <asio/ssl/context.hpp>

struct ssl_st;  // OpenSSL's SSL

namespace tierkv {

class TlsSession {
 public:
  enum class Io { kDone, kWantRead, kWantWrite, kClosed };

  // `context` stays alive as long as the session: a reload replaces the
  // server's context, not this one's.
  TlsSession(std::shared_ptr<asio::ssl::context> context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // The server side of the handshake; kClosed when it failed (the reason in
  // *why: no certificate, another CA, not TLS at all).
  Io Handshake(std::string* why);
  // Decrypted bytes into [data, data + len): kDone with *done > 0, or why not.
  Io Read(char* data, size_t len, size_t* done);
  // Encrypts and sends some of [data, data + len): kDone with *done > 0, or why not.
  Io Write(const char* data, size_t len, size_t* done);
  // Decrypted bytes OpenSSL holds that the socket will not signal again.
  bool HasBuffered() const;

 private:
  Io Outcome(int result, std::string* why);

  std::shared_ptr<asio::ssl::context> context_;
  ssl_st* ssl_;
};

}  // namespace tierkv
