// Operations on hash values (the Op* half of the hash commands). They take parsed
// arguments, change the Shard, journal each change as its own effect, and return values;
// they never see RESP.
//
// Encodings follow Redis 7: a hash stays a listpack while it has at most
// hash-max-listpack-entries fields and no field or value longer than
// hash-max-listpack-value bytes, and converts to a hashtable for good otherwise — before
// a write whose arguments break a limit (hashTypeTryConversion: more new pairs than the
// entry limit, or a long argument), or after a write that takes it past the entry limit.
//
// Effects (engine/change_log.h): HSET/HMSET/HSETNX journal "HSET k f v...", HDEL "HDEL k
// f..." with the fields it removed, HINCRBY and HINCRBYFLOAT "HSET k f <result as
// replied>", so replay never redoes arithmetic. A write that empties a hash deletes its
// key, as Redis does, and HDEL's effect replays to the same deletion.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"
#include "engine/types/hash/hash_value.h"

namespace tierkv {

struct HashPair {
  std::string field;
  std::string value;

  bool operator==(const HashPair&) const = default;
};

// The hash at `key` for reading (nullptr when the key is missing; WrongType for another
// type), counting a keyspace hit or miss. Valid until the next write.
Result<const HashValue*> OpFindHash(Shard& shard, int db, std::string_view key);

// HGET: the value (a view valid until the next write, or into `scratch`), nullopt when
// the key or the field is missing.
Result<std::optional<std::string_view>> OpHGet(Shard& shard, int db, std::string_view key, std::string_view field,
                                               Listpack::IntBuffer& scratch);
Result<int64_t> OpHLen(Shard& shard, int db, std::string_view key);
// HSTRLEN: the value's length in bytes (integers in a listpack count as their text).
Result<int64_t> OpHStrLen(Shard& shard, int db, std::string_view key, std::string_view field);
Result<bool> OpHExists(Shard& shard, int db, std::string_view key, std::string_view field);

// HSET/HMSET: `pairs` is field, value, field, value... (even, non-empty). Returns how
// many fields were added (not overwritten).
Result<int64_t> OpHSet(Shard& shard, int db, std::string_view key, std::span<const std::string_view> pairs);
// HSETNX: true if the field was missing and is now set.
Result<bool> OpHSetNx(Shard& shard, int db, std::string_view key, std::string_view field, std::string_view value);
// HDEL: how many of `fields` were removed; the key goes with its last field.
Result<int64_t> OpHDel(Shard& shard, int db, std::string_view key, std::span<const std::string_view> fields);
// HINCRBY: the new value. "ERR hash value is not an integer" when the field's value is not
// an integer, Overflow past int64.
Result<int64_t> OpHIncrBy(Shard& shard, int db, std::string_view key, std::string_view field, int64_t delta);
// HINCRBYFLOAT: the new value as Redis prints it (%.17Lf, trailing zeros cut). `delta`
// is finite (the caller rejects NaN and infinities). "ERR hash value is not a float",
// "ERR increment would produce NaN or Infinity".
Result<std::string> OpHIncrByFloat(Shard& shard, int db, std::string_view key, std::string_view field,
                                   long double delta);

struct HashScanOptions {
  std::optional<std::string> pattern;  // MATCH, on fields
  uint64_t count = 10;                 // COUNT (>= 1)
};

struct HashScanPage {
  uint64_t cursor = 0;
  std::vector<HashPair> pairs;
};

// HSCAN: one page from `cursor`. A listpack hash returns everything with cursor 0 (COUNT
// is ignored), as Redis does; a hashtable walks Redis's reverse-binary cursor, at most
// COUNT*10 home slots a call, stopping once about COUNT items (fields and values, as
// Redis counts them) were gathered. A missing key is an empty page with cursor 0.
Result<HashScanPage> OpHScan(Shard& shard, int db, std::string_view key, uint64_t cursor,
                             const HashScanOptions& options);

// HRANDFIELD key: a random field, nullopt when the key is missing.
Result<std::optional<std::string>> OpHRandField(Shard& shard, int db, std::string_view key);
// HRANDFIELD key count [WITHVALUES]: count >= 0 gives min(count, size) distinct fields;
// count < 0 gives -count fields drawn independently (repeats possible). Values are filled
// only `with_values`. A missing key gives nothing.
Result<std::vector<HashPair>> OpHRandFieldCount(Shard& shard, int db, std::string_view key, int64_t count,
                                                bool with_values);

}  // namespace tierkv
