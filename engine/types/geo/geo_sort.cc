#include "engine/types/geo/geo_sort.h"

namespace tierkv {
namespace {

// Redis's sort_gp_asc: written with > and == so that NaN distances compare as Redis's do.
int CompareAscending(const GeoMatch& a, const GeoMatch& b) {
  if (a.distance > b.distance) return 1;
  if (a.distance == b.distance) return 0;
  return -1;
}

int CompareDescending(const GeoMatch& a, const GeoMatch& b) { return -CompareAscending(a, b); }

}  // namespace

void SortGeoMatches(std::vector<GeoMatch>& matches, GeoOrder order, size_t keep) {
  if (order == GeoOrder::kNone || matches.empty()) return;
  const auto cmp = order == GeoOrder::kAscending ? CompareAscending : CompareDescending;
  if (keep >= matches.size()) {
    // glibc's qsort merges, keeping equal items in their order: a stable sort.
    std::stable_sort(matches.begin(), matches.end(),
                     [cmp](const GeoMatch& a, const GeoMatch& b) { return cmp(a, b) < 0; });
    return;
  }
  if (keep == 0) return;
  PartialQuickSort(std::span<GeoMatch>(matches), cmp, 0, keep - 1);
}

}  // namespace tierkv
