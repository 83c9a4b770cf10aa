#include "tools/check/tier_survey.h"

#include <algorithm>

#include "engine/entry.h"
#include "tiering/entry_codec.h"
#include "tiering/rocks_tier_format.h"

namespace tierkv::check {

Result<std::unique_ptr<RocksTier>> OpenTierReadOnly(const std::string& tier_dir) {
  RocksTierOptions options;
  options.path = tier_dir;
  options.read_only = true;
  options.block_cache_bytes = 8u << 20;  // a scan does not fill the cache (RocksTier::ForEach)
  return RocksTier::Open(options);
}

Result<TierSurvey> SurveyTier(RocksTier& tier, uint64_t lsn_bound, int64_t now_ms) {
  TierSurvey survey;
  auto metadata = tier.ReadMetadata();
  if (!metadata.ok()) return metadata.status();
  survey.format_version = metadata->format_version;
  survey.checkpoint_lsn = metadata->checkpoint_lsn;
  survey.disk_bytes = tier.stats().disk_bytes;
  survey.scan_error = tier.ForEach([&](TierEntry&& stored) -> Status {
    survey.max_lsn = std::max(survey.max_lsn, stored.lsn);
    if (stored.lsn > lsn_bound) ++survey.beyond_bound;
    survey.key_bytes += stored.key.size();
    survey.value_bytes += stored.value.size();
    if (stored.tombstone) {
      ++survey.tombstones;
      return Status::Ok();
    }
    // Decoded exactly as recovery decodes it, so "verified" means "a server loads it".
    auto entry = EntryFromTier(stored);
    if (!entry.ok()) {
      if (survey.damaged.size() < TierSurvey::kMaxListed) survey.damaged.push_back(entry.status().message());
      ++survey.damaged_count;
      return Status::Ok();
    }
    Entry::Free(*entry);
    ++survey.keys;
    ++survey.keys_by_db[stored.db];
    if (stored.expire_at_ms != kNoExpire) {
      ++survey.with_ttl;
      if (stored.expire_at_ms <= now_ms) ++survey.expired;
    }
    return Status::Ok();
  });
  return survey;
}

}  // namespace tierkv::check
