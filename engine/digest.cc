#include "engine/digest.h"

#include <cstring>

namespace tierkv {
namespace {

// digest ^= SHA1(data)
void XorDigest(Sha1Hash& digest, const void* data, size_t len) {
  Sha1 sha;
  sha.Update(data, len);
  const Sha1Hash hash = sha.Final();
  for (size_t i = 0; i < digest.size(); ++i) digest[i] ^= hash[i];
}

// digest = SHA1(digest ^ SHA1(data)): unlike a plain XOR, the order of the
// mixed items matters (the key before its value, a hash field before its value).
void MixDigest(Sha1Hash& digest, const void* data, size_t len) {
  XorDigest(digest, data, len);
  Sha1 sha;
  sha.Update(digest.data(), digest.size());
  digest = sha.Final();
}

void MixBigEndian32(Sha1Hash& digest, uint32_t value) {
  const uint8_t bytes[4] = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                            static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
  MixDigest(digest, bytes, sizeof(bytes));
}

void AddValueDigest(Sha1Hash& digest, const Entry& entry) {
  MixBigEndian32(digest, static_cast<uint32_t>(entry.type));
  switch (entry.type) {
    case ValueType::kString: {
      // Strings are stored as their text whatever the encoding, which is what
      // Redis digests after decoding an int-encoded object.
      const std::string_view value = entry.string_value();
      MixDigest(digest, value.data(), value.size());
      break;
    }
    default:
      // The collection types add their elements here as they are built, in
      // Redis's order (debug.c xorObjectDigest) so digests keep matching.
      break;
  }
  if (entry.has_expire()) XorDigest(digest, "!!expire!!", 10);
}

}  // namespace

Sha1Hash ValueDigest(const Entry& entry) {
  Sha1Hash digest{};
  AddValueDigest(digest, entry);
  return digest;
}

Sha1Hash DatasetDigest(Shard& shard) {
  Sha1Hash final_digest{};
  for (int index = 0; index < shard.db_count(); ++index) {
    Db& db = shard.db(index);
    if (db.size() == 0) continue;
    // The db number goes in, so the same data in another db digests differently.
    MixBigEndian32(final_digest, static_cast<uint32_t>(index));
    db.ForEach([&](Entry* entry) {
      Sha1Hash key_digest{};
      const std::string_view key = entry->key();
      MixDigest(key_digest, key.data(), key.size());
      AddValueDigest(key_digest, *entry);
      XorDigest(final_digest, key_digest.data(), key_digest.size());
    });
  }
  return final_digest;
}

}  // namespace tierkv
