#include "server/tls_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

namespace tierkv {

TlsSession::TlsSession(std::shared_ptr<asio::ssl::context> context, int fd)
    : context_(std::move(context)), ssl_(SSL_new(context_->native_handle())) {
  if (ssl_ != nullptr) {
    SSL_set_fd(ssl_, fd);
    SSL_set_accept_state(ssl_);
  }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsSession::Io TlsSession::Outcome(int result, std::string* why) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    default: {
      // Closed by the peer, a failed handshake, a broken record: the connection
      // ends. The queue is per thread, so it is emptied here either way.
      const unsigned long code = ERR_get_error();
      if (why != nullptr) {
        char text[256] = "connection closed";
        if (code != 0) ERR_error_string_n(code, text, sizeof(text));
        *why = text;
      }
      ERR_clear_error();
      return Io::kClosed;
    }
  }
}

TlsSession::Io TlsSession::Handshake(std::string* why) {
  if (ssl_ == nullptr) {
    *why = "out of memory";
    return Io::kClosed;
  }
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  return result == 1 ? Io::kDone : Outcome(result, why);
}

TlsSession::Io TlsSession::Read(char* data, size_t len, size_t* done) {
  ERR_clear_error();
  const int result = SSL_read_ex(ssl_, data, len, done);
  return result == 1 ? Io::kDone : Outcome(result, nullptr);
}

TlsSession::Io TlsSession::Write(const char* data, size_t len, size_t* done) {
  ERR_clear_error();
  const int result = SSL_write_ex(ssl_, data, len, done);
  return result == 1 ? Io::kDone : Outcome(result, nullptr);
}

bool TlsSession::HasBuffered() const { return SSL_has_pending(ssl_) == 1; }

}  // namespace tierkv
