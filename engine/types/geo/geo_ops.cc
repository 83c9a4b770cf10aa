#include "engine/types/geo/geo_ops.h"

#include "engine/keyspace_ops.h"
#include "engine/types/zset/zset.h"
#include "engine/types/zset/zset_ops.h"

namespace tierkv {

std::optional<double> GeoSet::Score(std::string_view member) const {
  if (zset_ == nullptr) return std::nullopt;
  return zset_->Score(member);
}

std::optional<GeoCoordinates> GeoSet::Position(std::string_view member) const {
  const std::optional<double> score = Score(member);
  if (!score) return std::nullopt;
  return GeoDecodeScore(*score);
}

std::vector<GeoMatch> GeoSet::Search(const GeoShape& shape, size_t limit) const {
  std::vector<GeoMatch> matches;
  if (zset_ == nullptr) return matches;
  const GeoSearchCells search = GeoCellsForShape(shape);
  // At step 1 opposite neighbours are the same cell; Redis skips a cell equal to the last
  // one it read. Its "last read" starts as index 0, which it never compares against, so
  // this does too (harmless: no neighbour equals the centre cell, see geohash_test.cc).
  size_t last_read = 0;
  for (size_t i = 0; i < search.cells.size(); ++i) {
    const GeoHashBits cell = search.cells[i];
    if (cell.IsZero()) continue;
    if (last_read != 0 && cell == search.cells[last_read]) continue;
    if (limit != 0 && matches.size() >= limit) break;
    SearchCell(cell, shape, limit, &matches);
    last_read = i;
  }
  return matches;
}

void GeoSet::SearchCell(GeoHashBits cell, const GeoShape& shape, size_t limit, std::vector<GeoMatch>* matches) const {
  uint64_t min = 0;
  uint64_t max = 0;
  GeoHashScoreRange(cell, &min, &max);
  const ScoreRange range{static_cast<double>(min), static_cast<double>(max), false, true};
  for (ZSet::Iterator it = zset_->FirstIn(range); it.valid() && range.BelowMax(it.score()); it.Next()) {
    GeoMatch match;
    match.position = GeoDecodeScore(it.score());
    if (GeoWithinShape(shape, match.position, &match.distance)) {
      match.member = std::string(it.member());
      match.score = it.score();
      matches->push_back(std::move(match));
    }
    if (limit != 0 && matches->size() >= limit) break;
  }
}

Result<GeoSet> OpGeoLookup(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kZSet);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return GeoSet(nullptr);
  return GeoSet(&ValueOf<ZSet>(*found));
}

size_t OpGeoStore(Shard& shard, int db, std::string_view destination, std::span<const GeoMatch> matches,
                  bool store_distance, double to_meters) {
  std::vector<ScoredMember> members;
  members.reserve(matches.size());
  for (const GeoMatch& match : matches) {
    members.push_back({match.member, store_distance ? match.distance / to_meters : match.score});
  }
  return OpZStore(shard, db, destination, members);
}

}  // namespace tierkv
