#include "engine/cold_values.h"

namespace tierkv {
namespace {

// A value expiring sooner than this is left to expire in DRAM.
constexpr int64_t kExpiringSoonMs = 10'000;

}  // namespace

bool IsDemotable(const Entry& entry, const TieringOptions& options, int64_t now_ms) {
  if (entry.is_cold()) return false;
  // Integers stay: Redis shares the small ones (OBJECT REFCOUNT), and none is worth it.
  if (entry.type == ValueType::kString && entry.encoding == Encoding::kInt) return false;
  constexpr uint8_t kClean = Entry::kInTier | Entry::kTierValueCurrent;
  if ((entry.flags & kClean) != kClean) return false;
  if (entry.flags & (Entry::kDirty | Entry::kWriteInFlight)) return false;
  if (entry.has_expire() && entry.expire_at() - now_ms < kExpiringSoonMs) return false;
  return entry.MemoryUsage() >= options.min_value_size + entry.key_len + sizeof(Entry);
}

}  // namespace tierkv
