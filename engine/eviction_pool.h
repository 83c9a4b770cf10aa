// EvictionPool: the best eviction candidates seen so far, as Redis's eviction
// pool. Each eviction samples a few keys per database and offers them; the
// pool keeps the 16 with the highest score (idle time, inverse LFU counter or
// closeness to expiry), so candidates found in earlier rounds are not lost and
// the approximation of true LRU/LFU/TTL order is much closer than picking the
// best of one sample.
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

class EvictionPool {
 public:
  static constexpr size_t kCapacity = 16;

  // Keeps (db, key) if the pool has room or `score` beats the worst kept.
  void Offer(int db, std::string_view key, double score);
  // Takes the best candidate out of the pool; false when empty.
  bool PopBest(int* db, std::string* key);
  void Clear() { candidates_.clear(); }
  size_t size() const { return candidates_.size(); }

 private:
  struct Candidate {
    double score;
    int db;
    std::string key;
  };
  std::vector<Candidate> candidates_;  // ascending by score: the best is last
};

}  // namespace tierkv
