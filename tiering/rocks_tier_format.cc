#include "tiering/rocks_tier_format.h"

#include <cstdio>

namespace tierkv {
namespace {

constexpr uint8_t kFlagTombstone = 1;
constexpr uint8_t kFlagExpire = 2;
constexpr uint8_t kKnownFlags = kFlagTombstone | kFlagExpire;
constexpr size_t kDbPrefixBytes = 4;
constexpr size_t kMaxVarintBytes = 10;  // ceil(64 / 7)

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Consumes a varint from the front of `in`; false if truncated or longer than 64 bits.
bool ReadVarint(std::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes && i < in->size(); ++i) {
    const uint64_t group = static_cast<uint8_t>((*in)[i]);
    // The tenth byte holds the 64th bit only.
    if (i == kMaxVarintBytes - 1 && (group & 0x7f) > 1) return false;
    result |= (group & 0x7f) << (7 * i);
    if ((group & 0x80) == 0) {
      in->remove_prefix(i + 1);
      *value = result;
      return true;
    }
  }
  return false;
}

Status Damaged(uint32_t db, std::string_view key, std::string_view what) {
  return Status::Corruption("tier value of db " + std::to_string(db) + " key '" +
                            PrintableKey(key) + "' is damaged: " + std::string(what));
}

// The part both versions share: format byte, flags, lsn, [expire].
void AppendHeader(uint8_t format, bool tombstone, uint64_t lsn, int64_t expire_at_ms,
                  std::string* out) {
  const bool has_expire = !tombstone && expire_at_ms != kNoExpire;
  out->push_back(static_cast<char>(format));
  out->push_back(static_cast<char>((tombstone ? kFlagTombstone : 0) | (has_expire ? kFlagExpire : 0)));
  AppendVarint(lsn, out);
  if (has_expire) {
    const auto bits = static_cast<uint64_t>(expire_at_ms);
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
  }
}

struct Header {
  bool tombstone = false;
  uint64_t lsn = 0;
  int64_t expire_at_ms = kNoExpire;
};

// Consumes the header from the front of `in`, checking its format byte is `format`.
Result<Header> ReadHeader(uint8_t format, uint32_t db, std::string_view key, std::string_view* in) {
  if (in->size() < 2) return Damaged(db, key, "shorter than its header");
  const auto stored_format = static_cast<uint8_t>((*in)[0]);
  const auto flags = static_cast<uint8_t>((*in)[1]);
  if (stored_format != format) {
    return Damaged(db, key, "unknown record format " + std::to_string(stored_format));
  }
  if ((flags & ~kKnownFlags) != 0) return Damaged(db, key, "unknown flags");
  in->remove_prefix(2);

  Header header;
  header.tombstone = (flags & kFlagTombstone) != 0;
  if (!ReadVarint(in, &header.lsn)) return Damaged(db, key, "bad LSN");
  if ((flags & kFlagExpire) != 0) {
    if (header.tombstone) return Damaged(db, key, "tombstone with an expire");
    if (in->size() < 8) return Damaged(db, key, "truncated expire");
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
    header.expire_at_ms = static_cast<int64_t>(bits);
    if (header.expire_at_ms == kNoExpire) return Damaged(db, key, "expire flag without an expire");
    in->remove_prefix(8);
  }
  return header;
}

}  // namespace

std::string TierDbPrefix(uint32_t prefix) {
  std::string encoded(kDbPrefixBytes, '\0');
  for (size_t i = 0; i < kDbPrefixBytes; ++i) {
    encoded[i] = static_cast<char>(prefix >> (8 * (kDbPrefixBytes - 1 - i)));
  }
  return encoded;
}

std::string EncodeTierKey(uint32_t prefix, std::string_view key) {
  std::string encoded = TierDbPrefix(prefix);
  encoded.append(key);
  return encoded;
}

std::optional<TierKeyRef> DecodeTierKey(std::string_view encoded) {
  if (encoded.size() < kDbPrefixBytes) return std::nullopt;
  uint32_t prefix = 0;
  for (size_t i = 0; i < kDbPrefixBytes; ++i) prefix = (prefix << 8) | static_cast<uint8_t>(encoded[i]);
  return TierKeyRef{prefix, encoded.substr(kDbPrefixBytes)};
}

std::string EncodeTierKeyMetadata(const TierKeyMetadata& metadata) {
  std::string out;
  out.reserve(2 + 2 * kMaxVarintBytes + 8 + 1);
  AppendHeader(kRocksKeyMetadataFormat, metadata.tombstone, metadata.lsn, metadata.expire_at_ms, &out);
  if (metadata.tombstone) return out;
  AppendVarint(metadata.value_size, &out);
  if (metadata.value_size > 0) out.push_back(static_cast<char>(metadata.value_type));
  return out;
}

Result<TierKeyMetadata> DecodeTierKeyMetadata(uint32_t db, std::string_view key,
                                              std::string_view encoded) {
  Result<Header> header = ReadHeader(kRocksKeyMetadataFormat, db, key, &encoded);
  if (!header.ok()) return header.status();
  TierKeyMetadata metadata;
  metadata.db = db;
  metadata.key = std::string(key);
  metadata.lsn = header->lsn;
  metadata.tombstone = header->tombstone;
  metadata.expire_at_ms = header->expire_at_ms;
  if (!metadata.tombstone) {
    if (!ReadVarint(&encoded, &metadata.value_size)) return Damaged(db, key, "bad value size");
    if (metadata.value_size > 0) {
      if (encoded.empty()) return Damaged(db, key, "no value type");
      metadata.value_type = static_cast<uint8_t>(encoded[0]);
      encoded.remove_prefix(1);
    }
  }
  if (!encoded.empty()) return Damaged(db, key, "bytes after the metadata");
  return metadata;
}

Status CheckObjectAgainstMetadata(const TierKeyMetadata& metadata, std::string_view object) {
  if (object.size() != metadata.value_size) {
    return Damaged(metadata.db, metadata.key, "value of " + std::to_string(object.size()) +
                                                  " bytes where the metadata says " +
                                                  std::to_string(metadata.value_size));
  }
  if (!object.empty() && static_cast<uint8_t>(object[0]) != metadata.value_type) {
    return Damaged(metadata.db, metadata.key, "value type differs from the metadata's");
  }
  return Status::Ok();
}

Result<TierEntry> JoinTierEntry(TierKeyMetadata&& metadata, std::string_view object) {
  if (!metadata.tombstone) {
    if (Status agrees = CheckObjectAgainstMetadata(metadata, object); !agrees.ok()) return agrees;
  }
  TierEntry entry;
  entry.db = metadata.db;
  entry.key = std::move(metadata.key);
  entry.lsn = metadata.lsn;
  entry.tombstone = metadata.tombstone;
  if (entry.tombstone) return entry;
  entry.expire_at_ms = metadata.expire_at_ms;
  entry.value = std::string(object);
  return entry;
}

std::string EncodeV1TierValueForTests(const TierEntry& entry) {
  std::string out;
  AppendHeader(kRocksV1ValueFormat, entry.tombstone, entry.lsn, entry.expire_at_ms, &out);
  if (!entry.tombstone) out.append(entry.value);
  return out;
}

Result<TierEntry> DecodeV1TierValue(uint32_t db, std::string_view key, std::string_view encoded) {
  Result<Header> header = ReadHeader(kRocksV1ValueFormat, db, key, &encoded);
  if (!header.ok()) return header.status();
  TierEntry entry;
  entry.db = db;
  entry.key = std::string(key);
  entry.tombstone = header->tombstone;
  entry.lsn = header->lsn;
  entry.expire_at_ms = header->expire_at_ms;
  if (entry.tombstone && !encoded.empty()) return Damaged(db, key, "tombstone with a value");
  entry.value = std::string(encoded);
  return entry;
}

std::string EncodeTierGenerations(const TierGenerations& generations) {
  std::string out;
  AppendVarint(generations.next, &out);
  AppendVarint(generations.of_db.size(), &out);
  for (const auto& [db, generation] : generations.of_db) {
    AppendVarint(db, &out);
    AppendVarint(generation, &out);
  }
  AppendVarint(generations.dead.size(), &out);
  for (const auto& [first, end] : generations.dead) {
    AppendVarint(first, &out);
    AppendVarint(end, &out);
  }
  return out;
}

Result<TierGenerations> DecodeTierGenerations(std::string_view encoded) {
  const auto damaged = [](std::string_view what) {
    return Status::Corruption("tier generations record is damaged: " + std::string(what));
  };
  const auto read32 = [&](uint32_t* value) {
    uint64_t wide = 0;
    if (!ReadVarint(&encoded, &wide) || wide > UINT32_MAX) return false;
    *value = static_cast<uint32_t>(wide);
    return true;
  };
  TierGenerations generations;
  uint32_t count = 0;
  if (!read32(&generations.next) || !read32(&count)) return damaged("truncated header");
  std::vector<bool> seen;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t db = 0;
    uint32_t generation = 0;
    if (!read32(&db) || !read32(&generation)) return damaged("truncated db map");
    if (generation >= generations.next) return damaged("generation at or above next");
    if (!generations.of_db.empty() && db <= generations.of_db.rbegin()->first) return damaged("dbs out of order");
    generations.of_db.emplace(db, generation);
  }
  if (!read32(&count)) return damaged("truncated dead list");
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t first = 0;
    uint32_t end = 0;
    if (!read32(&first) || !read32(&end)) return damaged("truncated dead list");
    if (first >= end || end > generations.next) return damaged("bad dead range");
    generations.dead.emplace_back(first, end);
  }
  if (!encoded.empty()) return damaged("bytes after the record");
  return generations;
}

std::string PrintableKey(std::string_view key) {
  constexpr size_t kMaxShown = 64;
  std::string out;
  for (size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out.append(escaped);
    }
  }
  if (key.size() > kMaxShown) out.append("...");
  return out;
}

}  // namespace tierkv
