// TLS: builds the OpenSSL server context that the TLS listener's connections
// use, from the tls-* parameters (ServerSettings::tls), as Redis's tlsConfigure
// does: certificate chain and key (with its passphrase), the CA that verifies
// client certificates, protocols, ciphers, session caching.
//
// The context is shared by pointer: a connection keeps the one it was accepted
// with, so CONFIG SET of a tls-* parameter (a certificate reload) changes what
// new connections get without disturbing the connected ones.
//
// Thread-safety: pure functions; the context is used on the engine thread.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>

#include "engine/status.h"
#include "server/config.h"

namespace tierkv {

using TlsContext = asio::ssl::context;

// A new server context from `settings`, or the reason it could not be built
// (Redis's log text: a missing file, a key that does not match, a bad cipher list).
Result<std::shared_ptr<TlsContext>> MakeTlsContext(const TlsSettings& settings);

// How a TLS connection asks for its client's certificate (tls-auth-clients):
// "no" asks for none, "optional" verifies one if sent, "yes" requires one.
int TlsVerifyMode(const TlsSettings& settings);

}  // namespace tierkv
