// Operations on string values (the Op* half of the string commands). They take
// parsed arguments, change the Shard, record modifications with their journal
// effects (engine/change_log.h: APPEND k suffix, SETRANGE, SET k <value or result>
// [PXAT t], PEXPIREAT, PERSIST, DEL), and return values; they never see RESP.
//
// Writes modify a value in place when it fits the entry's capacity (INCR,
// APPEND, SETRANGE), so the hot paths do not allocate; growth goes through
// Db::ReserveString, which grows geometrically as Redis's sds does.
// Entry::encoding follows Redis's OBJECT ENCODING: int/embstr/raw for values
// written whole (StringEncodingFor), int for INCR results, embstr/raw for
// INCRBYFLOAT results, raw for strings edited in place (APPEND, SETRANGE,
// SETBIT, BITFIELD).
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// The largest string value an Entry holds (Entry::value_len is 32-bit).
constexpr uint64_t kMaxStringBytes = UINT32_MAX;

// The size limit for strings that commands grow (APPEND, SETRANGE, SETBIT,
// BITFIELD): proto-max-bulk-len, capped by what an Entry can hold.
inline uint64_t StringSizeLimit(uint64_t proto_max_bulk_len) {
  return proto_max_bulk_len < kMaxStringBytes ? proto_max_bulk_len : kMaxStringBytes;
}

// "ERR string exceeds maximum allowed size (proto-max-bulk-len)".
Status StringTooLong();

struct SetOptions {
  enum class Condition { kAlways, kIfMissing, kIfExists };  // NX / XX
  Condition condition = Condition::kAlways;
  int64_t expire_at_ms = kNoExpire;  // absolute; kNoExpire = none
  bool keep_ttl = false;             // KEEPTTL
  bool return_old = false;           // GET
};

struct SetOutcome {
  bool written = false;
  std::optional<std::string> old_value;  // with return_old
};

// What GETEX does to the TTL of the key it reads.
struct GetExOptions {
  enum class Action { kNone, kSetExpire, kPersist };
  Action action = Action::kNone;
  int64_t expire_at_ms = kNoExpire;  // absolute, for kSetExpire (EX/PX/EXAT/PXAT resolved)
};

// The string at `key`, nullopt if missing, WrongType otherwise.
Result<std::optional<std::string_view>> OpGet(Shard& shard, int db, std::string_view key);
// SET and its relatives (SETNX, SETEX, PSETEX, GETSET). An expire time that
// has already passed deletes the key, as Redis does (not during replay: ExpiresOnWrite).
Result<SetOutcome> OpSet(Shard& shard, int db, std::string_view key, std::string_view value, const SetOptions& options);
// GETDEL: the value, and the key deleted.
Result<std::optional<std::string>> OpGetDel(Shard& shard, int db, std::string_view key);
// GETEX: the value, with the TTL changed as `options` say; a past expire time deletes the
// key (not during replay: ExpiresOnWrite).
Result<std::optional<std::string>> OpGetEx(Shard& shard, int db, std::string_view key, const GetExOptions& options);

// MSET: `pairs` is key, value, key, value...; every key loses its TTL.
void OpMSet(Shard& shard, int db, std::span<const std::string_view> pairs);
// MSETNX: sets all pairs only if none of the keys exists; true if it did.
bool OpMSetNx(Shard& shard, int db, std::span<const std::string_view> pairs);

// APPEND: the length after appending. Fails past `max_len` bytes.
Result<int64_t> OpAppend(Shard& shard, int db, std::string_view key, std::string_view suffix, uint64_t max_len);
// STRLEN: 0 for a missing key.
Result<int64_t> OpStrLen(Shard& shard, int db, std::string_view key);

// INCR/DECR/INCRBY/DECRBY: the new value. Keeps the TTL.
Result<int64_t> OpIncrBy(Shard& shard, int db, std::string_view key, int64_t delta);
// INCRBYFLOAT: the new value as stored (Redis's %.17Lf, trailing zeros cut).
// `increment` is parsed here, after the type check, for Redis's error precedence.
Result<std::string> OpIncrByFloat(Shard& shard, int db, std::string_view key, std::string_view increment);

// GETRANGE/SUBSTR with Redis's index rules (negative from the end, clamped).
Result<std::string_view> OpGetRange(Shard& shard, int db, std::string_view key, int64_t start, int64_t end);
// SETRANGE: the length after writing; pads with zero bytes. `offset` >= 0.
Result<int64_t> OpSetRange(Shard& shard, int db, std::string_view key, uint64_t offset, std::string_view value,
                           uint64_t max_len);

// The two values LCS compares (missing keys read as empty strings), copied
// because both are needed at once. Any non-string key fails with Redis's
// "ERR The specified keys must contain string values".
Result<std::pair<std::string, std::string>> OpLcsLoad(Shard& shard, int db, std::string_view key_a,
                                                      std::string_view key_b);

// For the bit operations (engine/types/string/bit_ops.cc): the string entry at `key` for
// writing, created empty if missing and grown with zero bytes to at least
// `min_len` (>= 1) bytes; encoding becomes raw. `old_len` receives the
// length before (0 if the key was missing), so callers can tell whether the
// value changed. WrongType for another type. The pointer is valid until the
// next Db call.
Result<Entry*> LookupStringForWrite(Shard& shard, int db, std::string_view key, size_t min_len, size_t* old_len);

}  // namespace tierkv
