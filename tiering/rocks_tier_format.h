// How RocksTier (tiering/rocks_tier.h) lays out keys and values in RocksDB. Kept apart
// from the RocksDB code so that decoding damaged bytes can be tested directly.
//
// Key:   4-byte big-endian db, then the key bytes. Big-endian so that RocksDB's bytewise
//        order is (db, key) order and every key of one db lies in
//        [TierDbPrefix(db), TierDbPrefix(db + 1)): EraseDb is one range deletion.
// Value: format   1 byte, kRocksValueFormat
//        flags    1 byte: bit 0 tombstone, bit 1 has an expire; other bits must be 0
//        lsn      LEB128 varint (at most 10 bytes)
//        expire   8 bytes, little-endian signed unix ms; present only with the expire flag
//        object   the rest: RDB object encoding; empty for a tombstone
// A tombstone carries no expire and no object (the Tier contract leaves them unused), so
// encoding drops them and decoding returns kNoExpire and an empty value.
//
// Decoding never trusts its input: anything malformed is Status::Corruption naming the
// db and key.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "tiering/tier.h"

namespace tierkv {

inline constexpr uint8_t kRocksValueFormat = 1;

// The 4-byte prefix every key of `db` starts with.
std::string TierDbPrefix(uint32_t db);
std::string EncodeTierKey(uint32_t db, std::string_view key);

struct TierKeyRef {
  uint32_t db;
  std::string_view key;  // points into the encoded key
};
// nullopt if `encoded` is shorter than the db prefix.
std::optional<TierKeyRef> DecodeTierKey(std::string_view encoded);

// Encodes lsn, tombstone, expire_at_ms and value; db and key go in the RocksDB key.
std::string EncodeTierValue(const TierEntry& entry);
// The entry stored under (db, key), or Corruption naming them.
Result<TierEntry> DecodeTierValue(uint32_t db, std::string_view key, std::string_view encoded);

// `key` for an error message: printable ASCII as is, other bytes as \xNN, cut at 64
// bytes.
std::string PrintableKey(std::string_view key);

}  // namespace tierkv
