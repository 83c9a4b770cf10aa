// Operations of the expiry commands (the Op* half of EXPIRE PEXPIRE EXPIREAT
// PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST). Times are absolute Unix
// milliseconds; "now" is the shard's command clock, so one command sees one
// instant. A key whose expire time is reached is gone for every command at
// once (Db::Find deletes it lazily) and the active cycle removes the rest.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// EXPIRE's NX XX GT LT options, combinable as bit flags.
enum ExpireFlag : unsigned {
  kExpireNx = 1u << 0,  // only if the key has no TTL
  kExpireXx = 1u << 1,  // only if the key has a TTL
  kExpireGt = 1u << 2,  // only if later than the current TTL (none counts as infinite)
  kExpireLt = 1u << 3,  // only if earlier than the current TTL (none counts as infinite)
};

// Rejects the combinations Redis rejects, with its error texts.
Status CheckExpireFlags(unsigned flags);

// The absolute expire time for `amount` (seconds if `seconds`, else ms) added
// to `base_ms` (now for EXPIRE/PEXPIRE, 0 for EXPIREAT/PEXPIREAT). Negative
// amounts are allowed (they mean "in the past"); an overflow is Redis's
// "ERR invalid expire time in '<command>' command".
Result<int64_t> ExpireTimeMs(int64_t amount, bool seconds, int64_t base_ms, std::string_view command);

// Whether a write that gives its key the expire time `expire_at_ms` deletes the key
// instead (a time not in the future, as Redis does). Never while journal effects are
// replayed (Shard::expiry_enabled() off): the key is then stored with its past expiry,
// so that effects recorded before it expired still land on it, and it expires once
// replay is over, as it did before the crash.
bool ExpiresOnWrite(const Shard& shard, int64_t expire_at_ms);

// The journal effect of a TTL change that leaves the value alone: PEXPIREAT key <abs ms>,
// or PERSIST key for kNoExpire. It never needs the value, so it applies as well to a key
// whose value is only in the tier.
Effect ExpiryEffect(std::string_view key, int64_t expire_at_ms);

// Sets `key`'s expire time to `when_ms` if `flags` allow. A time not in the
// future deletes the key (a modification, not an expiry; see ExpiresOnWrite).
// Returns whether the TTL was set or the key deleted; false for a missing key.
bool OpExpire(Shard& shard, int db, std::string_view key, int64_t when_ms, unsigned flags);

enum class TtlUnit { kSeconds, kMilliseconds };

// TTL/PTTL (absolute = false) and EXPIRETIME/PEXPIRETIME (absolute = true):
// -2 for a missing key, -1 for a key without TTL, else the remaining time (or
// the expire time) in `unit`, seconds rounded to nearest as Redis does.
int64_t OpTtl(Shard& shard, int db, std::string_view key, TtlUnit unit, bool absolute);

// PERSIST: removes the TTL; false if the key is missing or has none.
bool OpPersist(Shard& shard, int db, std::string_view key);

}  // namespace tierkv
