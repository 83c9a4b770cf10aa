#include "engine/digest.h"

#include <cstring>

#include "engine/number.h"
#include "engine/types/hash/hash_value.h"
#include "engine/types/list/list_value.h"
#include "engine/types/set/set_value.h"
#include "engine/types/stream/stream.h"
#include "engine/types/zset/zset.h"

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
    case ValueType::kHash: {
      // Each field and its value mixed into a fresh digest, the pairs XOR-ed together:
      // the order of the fields does not matter, the field-before-value order does.
      static_cast<const HashValue*>(entry.object())->ForEach([&](std::string_view field, std::string_view value) {
        Sha1Hash pair_digest{};
        MixDigest(pair_digest, field.data(), field.size());
        MixDigest(pair_digest, value.data(), value.size());
        XorDigest(digest, pair_digest.data(), pair_digest.size());
      });
      break;
    }
    case ValueType::kList:
      // Every element as text, head to tail (integers in listpacks are decoded first).
      static_cast<const ListValue*>(entry.object())->ForEach([&](std::string_view element) {
        MixDigest(digest, element.data(), element.size());
      });
      break;
    case ValueType::kSet:
      // Members XOR in, so their order does not matter (debug.c, OBJ_SET).
      static_cast<const SetValue*>(entry.object())->ForEach([&](std::string_view member) {
        XorDigest(digest, member.data(), member.size());
      });
      break;
    case ValueType::kStream: {
      // Each entry's ID as "<ms>.<seq>", then its fields and values in order (debug.c);
      // groups are not part of the digest.
      StreamIterator it(*static_cast<const Stream*>(entry.object()), StreamId::Min(), StreamId::Max());
      while (it.Next()) {
        const std::string id = std::to_string(it.id().ms) + "." + std::to_string(it.id().seq);
        MixDigest(digest, id.data(), id.size());
        it.ForEachField([&](std::string_view field, std::string_view value) {
          MixDigest(digest, field.data(), field.size());
          MixDigest(digest, value.data(), value.size());
        });
      }
      break;
    }
    case ValueType::kZSet:
      // Each member then its score (Redis 7.2's fpconv_dtoa text) mixed into a fresh
      // digest, the elements XOR-ed together (debug.c, OBJ_ZSET).
      for (ZSet::Iterator it = static_cast<const ZSet*>(entry.object())->First(); it.valid(); it.Next()) {
        Sha1Hash element_digest{};
        const std::string_view member = it.member();
        const std::string score = FormatDoubleShortest(it.score());
        MixDigest(element_digest, member.data(), member.size());
        MixDigest(element_digest, score.data(), score.size());
        XorDigest(digest, element_digest.data(), element_digest.size());
      }
      break;
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
