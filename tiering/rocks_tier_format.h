// How RocksTier (tiering/rocks_tier.h) lays out keys, key metadata and values in RocksDB.
// Kept apart from the RocksDB code so that decoding damaged bytes can be tested directly.
// docs/ARCHITECTURE.md "Tier format" is the reader's reference; this is its code.
//
// Key (in every data family): a 4-byte big-endian prefix, then the key bytes. Version 3
//        prefixes with the key's generation: every db's keys live under one generation,
//        and "meta" maps db -> generation (TierGenerations below), so erasing a db maps
//        it to no generation and swapping two exchanges their generations, whatever they
//        hold. Versions 1 and 2 prefixed with the db itself. Big-endian so that RocksDB's
//        bytewise order is (prefix, key) order and every key of one generation lies in
//        [TierDbPrefix(g), TierDbPrefix(g + 1)): dropping a dead one is one range deletion.
//
// Versions 2 and 3, family "keys": the key's metadata, never its value bytes.
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
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "tiering/tier.h"

namespace tierkv {

inline constexpr uint8_t kRocksKeyMetadataFormat = 2;
inline constexpr uint8_t kRocksV1ValueFormat = 1;

// The 4-byte prefix every key of generation (version 3) or db (versions 1, 2) `prefix`
// starts with.
std::string TierDbPrefix(uint32_t prefix);
std::string EncodeTierKey(uint32_t prefix, std::string_view key);

struct TierKeyRef {
  uint32_t prefix;       // the generation (version 3) or the db (versions 1, 2)
  std::string_view key;  // points into the encoded key
};
// nullopt if `encoded` is shorter than the db prefix.
std::optional<TierKeyRef> DecodeTierKey(std::string_view encoded);

// Version 2 "keys" record: lsn, tombstone, expire_at_ms, value_size and value_type; db
// and key go in the RocksDB key.
std::string EncodeTierKeyMetadata(const TierKeyMetadata& metadata);
Result<TierKeyMetadata> DecodeTierKeyMetadata(uint32_t db, std::string_view key,
                                              std::string_view encoded);

// Corruption if an "objects" value disagrees with the size or type its (non-tombstone)
// metadata recorded.
Status CheckObjectAgainstMetadata(const TierKeyMetadata& metadata, std::string_view object);
// The whole entry from its metadata and its "objects" value (ignored for a tombstone), or
// Corruption as CheckObjectAgainstMetadata.
Result<TierEntry> JoinTierEntry(TierKeyMetadata&& metadata, std::string_view object);

// Version 1 "values" record. The encoder exists for the converter's tests only: nothing
// writes version 1 any more.
std::string EncodeV1TierValueForTests(const TierEntry& entry);
Result<TierEntry> DecodeV1TierValue(uint32_t db, std::string_view key, std::string_view encoded);

// Version 3 "meta" record "generations": which generation holds each db's keys, and
// which generations are dead (their keys wait for cleanup). Written with checkpoint_lsn
// in one batch at each commit, so a crash shows the db -> generation map of the last
// checkpoint. Layout, every number a LEB128 varint:
//        next | db_count | db_count x (db | generation) | dead_count | dead_count x (first | end)
// `next` is above every generation allocated by a commit; the db pairs are in db order,
// each generation at most once; dead ranges are [first, end), first < end <= next.
struct TierGenerations {
  std::map<uint32_t, uint32_t> of_db;                     // db -> generation; absent: empty db
  std::vector<std::pair<uint32_t, uint32_t>> dead;        // [first, end) ranges to clean up
  uint32_t next = 0;

  bool operator==(const TierGenerations&) const = default;
};
std::string EncodeTierGenerations(const TierGenerations& generations);
Result<TierGenerations> DecodeTierGenerations(std::string_view encoded);

// `key` for an error message: printable ASCII as is, other bytes as \xNN, cut at 64
// bytes.
std::string PrintableKey(std::string_view key);

}  // namespace tierkv
