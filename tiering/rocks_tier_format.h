// How RocksTier (tiering/rocks_tier.h) lays out keys, key metadata and values in RocksDB.
// Kept apart from the RocksDB code so that decoding damaged bytes can be tested directly.
// docs/ARCHITECTURE.md "Tier format" is the reader's reference; this is its code.
//
// Key (in every data family): 4-byte big-endian db, then the key bytes. Big-endian so
//        that RocksDB's bytewise order is (db, key) order and every key of one db lies in
//        [TierDbPrefix(db), TierDbPrefix(db + 1)): EraseDb is one range deletion.
//
// Version 2 (current), family "keys": the key's metadata, never its value bytes.
//        format   1 byte, kRocksKeyMetadataFormat (2)
//        flags    1 byte: bit 0 tombstone, bit 1 has an expire; other bits must be 0
//        lsn      LEB128 varint (at most 10 bytes)
//        expire   8 bytes, little-endian signed unix ms; present only with the expire flag
//        size     LEB128 varint: bytes of the value in "objects"; absent for a tombstone
//        type     1 byte: the value's RDB type byte (its first byte, naming type and
//                 encoding); present only when size > 0
//        Nothing may follow.
//    family "objects": the RDB object encoding alone (type byte + value), for every key
//        whose metadata is not a tombstone.
//
// Version 1 (read only by the converter at Open), family "values": one record per key,
//        format 1 byte (1) | flags | lsn | expire, laid out as above | then the RDB object
//        encoding (empty for a tombstone).
//
// A tombstone carries no expire and no value (the Tier contract leaves them unused), so
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

inline constexpr uint8_t kRocksKeyMetadataFormat = 2;
inline constexpr uint8_t kRocksV1ValueFormat = 1;

// The 4-byte prefix every key of `db` starts with.
std::string TierDbPrefix(uint32_t db);
std::string EncodeTierKey(uint32_t db, std::string_view key);

struct TierKeyRef {
  uint32_t db;
  std::string_view key;  // points into the encoded key
};
// nullopt if `encoded` is shorter than the db prefix.
std::optional<TierKeyRef> DecodeTierKey(std::string_view encoded);

// Version 2 "keys" record: lsn, tombstone, expire_at_ms, value_size and value_type; db
// and key go in the RocksDB key.
std::string EncodeTierKeyMetadata(const TierKeyMetadata& metadata);
Result<TierKeyMetadata> DecodeTierKeyMetadata(uint32_t db, std::string_view key,
                                              std::string_view encoded);

// The whole entry from its metadata and its "objects" value (ignored for a tombstone), or
// Corruption if the value disagrees with the size or type the metadata recorded.
Result<TierEntry> JoinTierEntry(TierKeyMetadata&& metadata, std::string_view object);

// Version 1 "values" record. The encoder exists for the converter's tests only: nothing
// writes version 1 any more.
std::string EncodeV1TierValueForTests(const TierEntry& entry);
Result<TierEntry> DecodeV1TierValue(uint32_t db, std::string_view key, std::string_view encoded);

// `key` for an error message: printable ASCII as is, other bytes as \xNN, cut at 64
// bytes.
std::string PrintableKey(std::string_view key);

}  // namespace tierkv
