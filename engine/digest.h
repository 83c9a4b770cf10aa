// Dataset and value digests as Redis's DEBUG DIGEST / DEBUG DIGEST-VALUE compute
// them (debug.c: xorDigest, mixDigest, xorObjectDigest, computeDatasetDigest),
// so that tierkv and redis-server holding the same data print the same 40 hex
// digits. Keys are XOR-combined, so the result does not depend on iteration order;
// an empty dataset digests to 20 zero bytes.
//
// Thread-safety: engine thread only (reads the keyspace).
#pragma once

#include "engine/sha1.h"
#include "engine/shard.h"

namespace tierkv {

// The digest of one entry's value, type and expire flag (not of its key), as
// Redis's xorObjectDigest into a zeroed buffer. Logically expired entries are
// digested too: DEBUG looks at what is stored, not at what a read would see.
Sha1Hash ValueDigest(const Entry& entry);

// Every key of every database (Redis's computeDatasetDigest).
Sha1Hash DatasetDigest(Shard& shard);

}  // namespace tierkv
