// Ordering geo search results by distance exactly as Redis does, ties included.
//
// Redis sorts the whole result with the C library's qsort (glibc's is a merge sort, so
// equal distances keep the order the search found them in: a stable sort), except when
// COUNT keeps fewer items than were found: then it runs its pqsort, the Bentley-McIlroy
// quicksort ("Engineering a Sort Function", 1993) that skips the partitions lying wholly
// outside the kept prefix. That algorithm is not stable, so to return the same members
// among equal distances (points at the same position) we run the same algorithm: the
// same pivot choices (median of three, or of three medians above 40 items), the same
// three-way partition with equal keys gathered at the ends, insertion sort below 7 items.
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/types/geo/geohash.h"

namespace tierkv {

// One member a search found.
struct GeoMatch {
  std::string member;
  double score = 0;     // its sorted-set score (WITHHASH, STORE)
  double distance = 0;  // from the search centre, in metres until the reply converts it
  GeoCoordinates position;
};

enum class GeoOrder { kNone, kAscending, kDescending };

// Orders `matches` by distance so that the first `keep` items are those Redis would
// return, in Redis's order (the rest are left in some order). kNone leaves them as found.
void SortGeoMatches(std::vector<GeoMatch>& matches, GeoOrder order, size_t keep);

// The Bentley-McIlroy partial quicksort over `items` with a three-way comparator
// (cmp(a, b) < 0, == 0, > 0), sorting at least positions first..last (inclusive) into
// place. Exposed for its unit test.
template <typename T, typename Compare>
void PartialQuickSort(std::span<T> items, const Compare& cmp, size_t first, size_t last);

// ---- implementation ----

namespace geo_sort_detail {

template <typename T>
void SwapItems(std::span<T> a, size_t i, size_t j) {
  if (i != j) std::swap(a[i], a[j]);
}

// Swaps the `count` items from i with the `count` items from j (non-overlapping).
template <typename T>
void SwapRuns(std::span<T> a, size_t i, size_t j, size_t count) {
  for (size_t k = 0; k < count; ++k) SwapItems(a, i + k, j + k);
}

template <typename T, typename Compare>
size_t MedianOfThree(std::span<T> a, const Compare& cmp, size_t i, size_t j, size_t k) {
  if (cmp(a[i], a[j]) < 0) {
    if (cmp(a[j], a[k]) < 0) return j;
    return cmp(a[i], a[k]) < 0 ? k : i;
  }
  if (cmp(a[j], a[k]) > 0) return j;
  return cmp(a[i], a[k]) < 0 ? i : k;
}

// Sorts the `n` items of `all` from `start`, skipping sub-ranges outside [first, last].
template <typename T, typename Compare>
void Sort(std::span<T> all, size_t start, size_t n, const Compare& cmp, size_t first, size_t last) {
  for (;;) {
    std::span<T> a = all.subspan(start, n);
    if (n < 7) {
      for (size_t m = 1; m < n; ++m) {
        for (size_t l = m; l > 0 && cmp(a[l - 1], a[l]) > 0; --l) SwapItems(a, l, l - 1);
      }
      return;
    }
    size_t pivot = n / 2;
    if (n > 7) {
      size_t low = 0;
      size_t high = n - 1;
      if (n > 40) {
        const size_t d = n / 8;
        low = MedianOfThree(a, cmp, low, low + d, low + 2 * d);
        pivot = MedianOfThree(a, cmp, pivot - d, pivot, pivot + d);
        high = MedianOfThree(a, cmp, high - 2 * d, high - d, high);
      }
      pivot = MedianOfThree(a, cmp, low, pivot, high);
    }
    SwapItems(a, 0, pivot);  // the pivot sits at a[0] while partitioning

    // a[1, pa) == pivot, a[pa, pb) < pivot, (pc, pd] > pivot, (pd, n) == pivot.
    size_t pa = 1;
    size_t pb = 1;
    size_t pc = n - 1;
    size_t pd = n - 1;
    for (;;) {
      int order;
      while (pb <= pc && (order = cmp(a[pb], a[0])) <= 0) {
        if (order == 0) SwapItems(a, pa++, pb);
        ++pb;
      }
      while (pb <= pc && (order = cmp(a[pc], a[0])) >= 0) {
        if (order == 0) SwapItems(a, pc, pd--);
        --pc;
      }
      if (pb > pc) break;
      SwapItems(a, pb++, pc--);
    }
    // Move the equal runs from the ends to the middle.
    size_t run = std::min(pa, pb - pa);
    SwapRuns(a, 0, pb - run, run);
    run = std::min(pd - pc, n - pd - 1);
    SwapRuns(a, pb, n - run, run);

    const size_t below = pb - pa;  // items less than the pivot, now at the front
    if (below > 1 && !(last < start || first > start + below - 1)) Sort(all, start, below, cmp, first, last);
    const size_t above = pd - pc;  // items greater than the pivot, now at the back
    if (above <= 1) return;
    start = start + n - above;
    n = above;
    if (last < start || first > start + n - 1) return;
  }
}

}  // namespace geo_sort_detail

template <typename T, typename Compare>
void PartialQuickSort(std::span<T> items, const Compare& cmp, size_t first, size_t last) {
  geo_sort_detail::Sort(items, 0, items.size(), cmp, first, last);
}

}  // namespace tierkv
