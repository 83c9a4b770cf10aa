// SHA-1, for DEBUG DIGEST and DEBUG DIGEST-VALUE (whose output must match
// Redis's byte for byte) and script names (EVALSHA, redis.sha1hex). Not for
// anything security related. OpenSSL's libcrypto computes it (Debian's, already
// linked for TLS); this header keeps OpenSSL out of its users.
//
// Thread-safety: a Sha1 object belongs to one thread; Sha1Digest is pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace tierkv {

using Sha1Hash = std::array<uint8_t, 20>;

class Sha1 {
 public:
  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void Update(const void* data, size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Pads, finishes and returns the hash; the object must not be updated again.
  Sha1Hash Final();

 private:
  evp_md_ctx_st* context_;
};

Sha1Hash Sha1Digest(std::string_view data);
// 40 lowercase hex digits.
std::string HexDigest(const Sha1Hash& hash);

}  // namespace tierkv
