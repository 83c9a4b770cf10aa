// TierSurvey: one read-only pass over DATA/tier: the metadata, every entry decoded the way
// recovery decodes it (DecodeTierValue, then EntryFromTier), and the figures verification
// prints.
//
// Thread-safety: plain values; SurveyTier reads on the calling thread, which must be the
// only one using the tier's entry allocator (EntryFromTier allocates from it).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/status.h"
#include "tiering/rocks_tier.h"

namespace tierkv::check {

// Opens DATA/tier without writing anything (RocksTierOptions::read_only). The caller holds
// the DataDirLock.
Result<std::unique_ptr<RocksTier>> OpenTierReadOnly(const std::string& tier_dir);

struct TierSurvey {
  uint32_t format_version = 0;
  uint64_t checkpoint_lsn = 0;
  uint64_t keys = 0;            // live values, expired ones included
  uint64_t with_ttl = 0;
  uint64_t expired = 0;         // expire time already passed: dropped when loaded
  uint64_t tombstones = 0;
  uint64_t key_bytes = 0;
  uint64_t value_bytes = 0;     // serialized values, as stored
  uint64_t max_lsn = 0;         // over values and tombstones
  uint64_t disk_bytes = 0;
  std::map<uint32_t, uint64_t> keys_by_db;
  // Entries whose LSN is above `lsn_bound` (SurveyTier's argument).
  uint64_t beyond_bound = 0;
  // Entries recovery would refuse; the first kMaxListed messages.
  std::vector<std::string> damaged;
  uint64_t damaged_count = 0;
  // Why the scan stopped early (RocksDB or the key/value framing failed); ok when whole.
  Status scan_error;

  static constexpr size_t kMaxListed = 10;
};

// Reads the metadata, then every entry. `lsn_bound` is the largest LSN the journal and the
// checkpoint account for; `now_ms` decides which keys count as expired.
Result<TierSurvey> SurveyTier(RocksTier& tier, uint64_t lsn_bound, int64_t now_ms);

}  // namespace tierkv::check
