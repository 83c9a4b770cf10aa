// Operations for the geo commands (the Op* half of server/commands/geo_commands.cc). A
// geo index is an ordinary sorted set whose scores are 52-bit geohashes (geohash.h), so
// writes go through the sorted-set operations: GEOADD is OpZAdd with computed scores
// (journaled as ZADD k <score> m ...), and the STORE forms are OpZStore (journaled as the
// destination's resulting state). Reads look the set up once, as Redis's lookupKeyRead
// (one keyspace hit or miss per command), and then read it through GeoSet.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"
#include "engine/types/geo/geo_area.h"
#include "engine/types/geo/geo_sort.h"
#include "engine/types/geo/geohash.h"

namespace tierkv {

class ZSet;

// A sorted set read as a geo index, or a missing key. A view: valid until the keyspace
// next changes, so a handler uses it before it writes anything.
class GeoSet {
 public:
  explicit GeoSet(const ZSet* zset) : zset_(zset) {}

  bool exists() const { return zset_ != nullptr; }
  // A member's score; nullopt for a missing member or key.
  std::optional<double> Score(std::string_view member) const;
  // A member's position decoded from its score (any score decodes, as in Redis).
  std::optional<GeoCoordinates> Position(std::string_view member) const;

  // Redis's membersOfAllNeighbors: the members inside `shape`, read cell by cell from the
  // cells GeoCellsForShape gives (skipping a cell equal to the one read just before it),
  // each cell in score order. With `limit` > 0 (ANY) the search stops once it has found
  // that many. Distances are in metres. A missing key finds nothing.
  std::vector<GeoMatch> Search(const GeoShape& shape, size_t limit) const;

 private:
  void SearchCell(GeoHashBits cell, const GeoShape& shape, size_t limit, std::vector<GeoMatch>* matches) const;

  const ZSet* zset_;
};

// The sorted set at `key` for a geo read (counts a keyspace hit or miss); WrongType for
// another type.
Result<GeoSet> OpGeoLookup(Shard& shard, int db, std::string_view key);

// GEORADIUS ... STORE / STOREDIST and GEOSEARCHSTORE: replaces `destination` with the
// matches (scored by their geohash, or with `store_distance` by their distance divided by
// `to_meters`), or deletes it when there are none. Returns the stored size.
size_t OpGeoStore(Shard& shard, int db, std::string_view destination, std::span<const GeoMatch> matches,
                  bool store_distance, double to_meters);

}  // namespace tierkv
