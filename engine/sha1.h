// SHA-1 (FIPS 180-4), for DEBUG DIGEST and DEBUG DIGEST-VALUE, whose output
// must match Redis's byte for byte. Not for anything security related.
//
// Thread-safety: a Sha1 object belongs to one thread; Sha1Digest is pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv {

using Sha1Hash = std::array<uint8_t, 20>;

class Sha1 {
 public:
  Sha1();
  void Update(const void* data, size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Pads, finishes and returns the hash; the object must not be updated again.
  Sha1Hash Final();

 private:
  void Block(const uint8_t* block);

  uint32_t state_[5];
  uint64_t total_bytes_ = 0;
  uint8_t buffer_[64];
  size_t buffered_ = 0;
};

Sha1Hash Sha1Digest(std::string_view data);
// 40 lowercase hex digits.
std::string HexDigest(const Sha1Hash& hash);

}  // namespace tierkv
