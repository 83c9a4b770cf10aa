// Entry codec: an in-DRAM Entry to the tier's serialized form and back.
//
// The value is written in Redis's RDB object encoding (what a DUMP payload holds before
// its footer), with the key's absolute expiry and LSN beside it in the TierEntry; access
// statistics are not stored (a loaded key starts fresh, as after an RDB load).
//
// Thread-safety: free functions; EntryFromTier allocates from the calling thread's entry
// allocator, so call it on the engine thread.
#pragma once

#include "engine/entry.h"
#include "engine/status.h"
#include "engine/types/encoding_limits.h"
#include "tiering/tier.h"

namespace tierkv {

TierEntry EntryToTier(uint32_t db, const Entry& entry);
// The same without the value's bytes (a value serialized later, in steps).
TierEntry EntryMetadataToTier(uint32_t db, const Entry& entry);

// A tombstone for (db, key) deleted at `lsn`.
TierEntry TombstoneToTier(uint32_t db, std::string_view key, uint64_t lsn);

// A new entry (caller owns it) with the stored key, value, expiry and LSN. A value that
// does not decode is Status::Corruption naming db and key. `stored` must not be a
// tombstone. A collection takes the encoding `limits` choose for its size.
Result<Entry*> EntryFromTier(const TierEntry& stored, const EncodingLimits& limits = {});
// The same from a key's metadata and its value bytes read apart (as
// Tier::ForEachKeyWithSmallValues hands them over, checked against each other).
Result<Entry*> EntryFromTier(const TierKeyMetadata& stored, std::string_view value, const EncodingLimits& limits = {});

// A new cold entry (Entry::kCold; caller owns it) for a key whose value stays in the
// tier: the stored key, expiry and LSN, and the type and encoding its stored type byte
// names (StoredShapeOf). A type byte we cannot decode is Status::Corruption naming db
// and key. `stored` must not be a tombstone.
Result<Entry*> ColdEntryFromTier(const TierKeyMetadata& stored, const EncodingLimits& limits = {});

}  // namespace tierkv
