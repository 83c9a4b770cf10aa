#include "engine/sha1.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace tierkv {

// EVP calls fail only when OpenSSL cannot allocate or has no SHA-1 at all (a
// broken installation); a wrong digest would be worse than stopping.
Sha1::Sha1() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha1(), nullptr) != 1) std::abort();
}

Sha1::~Sha1() { EVP_MD_CTX_free(context_); }

void Sha1::Update(const void* data, size_t len) {
  if (EVP_DigestUpdate(context_, data, len) != 1) std::abort();
}

Sha1Hash Sha1::Final() {
  Sha1Hash hash;
  if (EVP_DigestFinal_ex(context_, hash.data(), nullptr) != 1) std::abort();
  return hash;
}

Sha1Hash Sha1Digest(std::string_view data) {
  Sha1Hash hash;
  if (EVP_Digest(data.data(), data.size(), hash.data(), nullptr, EVP_sha1(), nullptr) != 1) std::abort();
  return hash;
}

std::string HexDigest(const Sha1Hash& hash) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (uint8_t byte : hash) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

}  // namespace tierkv
