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

}  // namespace

std::string TierDbPrefix(uint32_t db) {
  std::string prefix(kDbPrefixBytes, '\0');
  for (size_t i = 0; i < kDbPrefixBytes; ++i) {
    prefix[i] = static_cast<char>(db >> (8 * (kDbPrefixBytes - 1 - i)));
  }
  return prefix;
}

std::string EncodeTierKey(uint32_t db, std::string_view key) {
  std::string encoded = TierDbPrefix(db);
  encoded.append(key);
  return encoded;
}

std::optional<TierKeyRef> DecodeTierKey(std::string_view encoded) {
  if (encoded.size() < kDbPrefixBytes) return std::nullopt;
  uint32_t db = 0;
  for (size_t i = 0; i < kDbPrefixBytes; ++i) db = (db << 8) | static_cast<uint8_t>(encoded[i]);
  return TierKeyRef{db, encoded.substr(kDbPrefixBytes)};
}

std::string EncodeTierValue(const TierEntry& entry) {
  const bool has_expire = !entry.tombstone && entry.expire_at_ms != kNoExpire;
  std::string out;
  out.reserve(2 + kMaxVarintBytes + 8 + (entry.tombstone ? 0 : entry.value.size()));
  out.push_back(static_cast<char>(kRocksValueFormat));
  out.push_back(static_cast<char>((entry.tombstone ? kFlagTombstone : 0) |
                                  (has_expire ? kFlagExpire : 0)));
  AppendVarint(entry.lsn, &out);
  if (has_expire) {
    const auto bits = static_cast<uint64_t>(entry.expire_at_ms);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
  }
  if (!entry.tombstone) out.append(entry.value);
  return out;
}

Result<TierEntry> DecodeTierValue(uint32_t db, std::string_view key, std::string_view encoded) {
  if (encoded.size() < 2) return Damaged(db, key, "shorter than its header");
  const auto format = static_cast<uint8_t>(encoded[0]);
  const auto flags = static_cast<uint8_t>(encoded[1]);
  if (format != kRocksValueFormat) {
    return Damaged(db, key, "unknown value format " + std::to_string(format));
  }
  if ((flags & ~kKnownFlags) != 0) return Damaged(db, key, "unknown flags");
  encoded.remove_prefix(2);

  TierEntry entry;
  entry.db = db;
  entry.key = std::string(key);
  entry.tombstone = (flags & kFlagTombstone) != 0;
  if (!ReadVarint(&encoded, &entry.lsn)) return Damaged(db, key, "bad LSN");
  if ((flags & kFlagExpire) != 0) {
    if (entry.tombstone) return Damaged(db, key, "tombstone with an expire");
    if (encoded.size() < 8) return Damaged(db, key, "truncated expire");
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<uint8_t>(encoded[i])} << (8 * i);
    entry.expire_at_ms = static_cast<int64_t>(bits);
    if (entry.expire_at_ms == kNoExpire) return Damaged(db, key, "expire flag without an expire");
    encoded.remove_prefix(8);
  }
  if (entry.tombstone && !encoded.empty()) return Damaged(db, key, "tombstone with a value");
  entry.value = std::string(encoded);
  return entry;
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
