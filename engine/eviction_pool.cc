#include "engine/eviction_pool.h"

#include <algorithm>

namespace tierkv {

void EvictionPool::Offer(int db, std::string_view key, double score) {
  for (Candidate& c : candidates_) {
    if (c.db == db && c.key == key) {
      c.score = score;  // sampled again: refresh its score
      std::sort(candidates_.begin(), candidates_.end(),
                [](const Candidate& a, const Candidate& b) { return a.score < b.score; });
      return;
    }
  }
  if (candidates_.size() >= kCapacity) {
    if (score <= candidates_.front().score) return;
    candidates_.erase(candidates_.begin());
  }
  auto at = std::upper_bound(candidates_.begin(), candidates_.end(), score,
                             [](double s, const Candidate& c) { return s < c.score; });
  candidates_.insert(at, Candidate{score, db, std::string(key)});
}

bool EvictionPool::PopBest(int* db, std::string* key) {
  if (candidates_.empty()) return false;
  *db = candidates_.back().db;
  *key = std::move(candidates_.back().key);
  candidates_.pop_back();
  return true;
}

}  // namespace tierkv
