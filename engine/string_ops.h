// Operations on string values (the Op* half of the string commands). They take
// parsed arguments, change the Shard, record modifications, and return values;
// they never see RESP.
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

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

// The string at `key`, nullopt if missing, WrongType otherwise.
Result<std::optional<std::string_view>> OpGet(Shard& shard, int db, std::string_view key);
Result<SetOutcome> OpSet(Shard& shard, int db, std::string_view key, std::string_view value, const SetOptions& options);

}  // namespace tierkv
