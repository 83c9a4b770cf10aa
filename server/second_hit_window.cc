#include "server/second_hit_window.h"

#include <functional>

namespace tierkv {

uint64_t SecondHitWindow::HashOf(int db, std::string_view key) {
  const uint64_t hash = std::hash<std::string_view>{}(key);
  return hash ^ (static_cast<uint64_t>(db) * 0x9e3779b97f4a7c15ULL);
}

bool SecondHitWindow::Admit(int db, std::string_view key) {
  if (ring_.empty()) return true;
  const uint64_t hash = HashOf(db, key);
  if (in_window_.erase(hash) > 0) return true;  // its ring slot is skipped when overwritten
  if (auto oldest = in_window_.find(ring_[next_]); oldest != in_window_.end() && oldest->second == next_) {
    in_window_.erase(oldest);
  }
  ring_[next_] = hash;
  in_window_[hash] = next_;
  next_ = (next_ + 1) % ring_.size();
  return false;
}

}  // namespace tierkv
