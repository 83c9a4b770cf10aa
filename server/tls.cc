#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sstream>
#include <string>
#include <vector>

#include "server/command_table.h"

namespace tierkv {
namespace {

// The reasons OpenSSL queued for the last failure, oldest first (the first
// often says why a file could not be read); empties the queue.
std::string OpenSslError() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    out += (out.empty() ? "" : "; ") + std::string(text);
  }
  return out.empty() ? "unknown error" : out;
}

// tls-protocols: space-separated TLSv1, TLSv1.1, TLSv1.2, TLSv1.3; "" means
// TLSv1.2 and TLSv1.3, as in Redis. Returns the SSL_OP_NO_* options that turn
// the others off, or false for an unknown word.
bool ProtocolOptions(const std::string& protocols, uint64_t* options) {
  struct Version {
    const char* name;
    uint64_t disable;
  };
  static constexpr Version kVersions[] = {
      {"tlsv1", SSL_OP_NO_TLSv1},
      {"tlsv1.1", SSL_OP_NO_TLSv1_1},
      {"tlsv1.2", SSL_OP_NO_TLSv1_2},
      {"tlsv1.3", SSL_OP_NO_TLSv1_3},
  };
  std::vector<std::string> enabled;
  std::istringstream in(protocols);
  for (std::string word; in >> word;) enabled.push_back(AsciiLower(word));
  if (enabled.empty()) enabled = {"tlsv1.2", "tlsv1.3"};
  *options = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;
  for (const Version& version : kVersions) *options |= version.disable;
  for (const std::string& word : enabled) {
    bool known = false;
    for (const Version& version : kVersions) {
      if (word == version.name) {
        *options &= ~version.disable;
        known = true;
      }
    }
    if (!known) return false;
  }
  return true;
}

// tls-key-file-pass for an encrypted key ("" fails the load, never prompts).
int PassphraseCallback(char* buffer, int size, int /*rwflag*/, void* userdata) {
  const std::string_view passphrase(static_cast<const char*>(userdata));
  if (passphrase.empty() || passphrase.size() > static_cast<size_t>(size)) return 0;
  passphrase.copy(buffer, passphrase.size());
  return static_cast<int>(passphrase.size());
}

}  // namespace

int TlsVerifyMode(const TlsSettings& settings) {
  if (settings.auth_clients == "no") return SSL_VERIFY_NONE;
  if (settings.auth_clients == "optional") return SSL_VERIFY_PEER;
  return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
}

Result<std::shared_ptr<TlsContext>> MakeTlsContext(const TlsSettings& settings) {
  if (settings.cert_file.empty()) return Status::Error("No tls-cert-file configured!");
  if (settings.key_file.empty()) return Status::Error("No tls-key-file configured!");
  if (settings.auth_clients != "no" && settings.ca_cert_file.empty() && settings.ca_cert_dir.empty()) {
    return Status::Error(
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or "
        "tls-auth-clients are enabled!");
  }
  uint64_t protocol_options = 0;
  if (!ProtocolOptions(settings.protocols, &protocol_options)) {
    return Status::Error("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and "
                         "'TLSv1.3'.");
  }
  ERR_clear_error();
  auto context = std::make_shared<TlsContext>(TlsContext::tls_server);
  SSL_CTX* ctx = context->native_handle();
  // OpenSSL 3 refuses client-initiated renegotiation by default, as Redis wants.
  SSL_CTX_set_options(ctx, protocol_options | SSL_OP_NO_COMPRESSION);
  if (settings.prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // asio's stream writes from its own buffer, which may move between retries.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (settings.session_caching) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, settings.session_cache_size);
    SSL_CTX_set_timeout(ctx, settings.session_cache_timeout);
    static constexpr unsigned char kSessionContext[] = "tierkv";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  SSL_CTX_set_verify(ctx, TlsVerifyMode(settings), nullptr);
  SSL_CTX_set_ecdh_auto(ctx, 1);

  // The passphrase is read while the key loads; OpenSSL keeps only the pointer. The
  // callback also keeps OpenSSL from prompting on a terminal when none is set.
  std::string passphrase = settings.key_file_pass;
  SSL_CTX_set_default_passwd_cb(ctx, PassphraseCallback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, passphrase.data());
  const bool cert_ok = SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) > 0;
  const std::string cert_error = cert_ok ? "" : OpenSslError();
  const bool key_ok = cert_ok && SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) > 0;
  const std::string key_error = key_ok ? "" : OpenSslError();
  SSL_CTX_set_default_passwd_cb(ctx, nullptr);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  if (!cert_ok) return Status::Error("Failed to load certificate: " + settings.cert_file + ": " + cert_error);
  if (!key_ok) return Status::Error("Failed to load private key: " + settings.key_file + ": " + key_error);
  if (SSL_CTX_check_private_key(ctx) <= 0) {
    return Status::Error("Private key does not match the certificate: " + OpenSslError());
  }
  if (!settings.ca_cert_file.empty() || !settings.ca_cert_dir.empty()) {
    const char* file = settings.ca_cert_file.empty() ? nullptr : settings.ca_cert_file.c_str();
    const char* dir = settings.ca_cert_dir.empty() ? nullptr : settings.ca_cert_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) <= 0) {
      return Status::Error("Failed to configure CA certificate(s) file/directory: " + OpenSslError());
    }
  }
  if (!settings.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) <= 0) {
    return Status::Error("Failed to configure ciphers: " + settings.ciphers);
  }
  if (!settings.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) <= 0) {
    return Status::Error("Failed to configure ciphersuites: " + settings.ciphersuites);
  }
  ERR_clear_error();
  return context;
}

}  // namespace tierkv
