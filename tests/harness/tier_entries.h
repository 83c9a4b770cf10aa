// Tier entries for tier tests: a value entry built in one call.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "tiering/tier.h"

namespace tierkv::testing {

inline TierEntry Value(uint32_t db, std::string key, uint64_t lsn, std::string value,
                       int64_t expire_at_ms = kNoExpire) {
  TierEntry entry;
  entry.db = db;
  entry.key = std::move(key);
  entry.lsn = lsn;
  entry.expire_at_ms = expire_at_ms;
  entry.value = std::move(value);
  return entry;
}

}  // namespace tierkv::testing
