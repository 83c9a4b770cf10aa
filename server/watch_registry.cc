#include "server/watch_registry.h"

#include <algorithm>

namespace tierkv {

std::string WatchRegistry::Slot(int db, std::string_view key) {
  std::string slot = std::to_string(db);
  slot.push_back(':');
  slot.append(key);
  return slot;
}

void WatchRegistry::Watch(Client& client, int db, std::string_view key) {
  for (const WatchedKey& w : client.watched) {
    if (w.db == db && w.key == key) return;
  }
  const Entry* entry = shard_->db(db).Peek(key);
  const bool expired = entry != nullptr && shard_->db(db).IsExpired(entry);
  client.watched.push_back({db, std::string(key), expired});
  watchers_[Slot(db, key)].push_back(&client);
}

void WatchRegistry::UnwatchAll(Client& client) {
  for (const WatchedKey& w : client.watched) {
    auto it = watchers_.find(Slot(w.db, w.key));
    if (it == watchers_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), &client), list.end());
    if (list.empty()) watchers_.erase(it);
  }
  client.watched.clear();
  client.watch_dirty = false;
}

bool WatchRegistry::AnyWatchedKeyExpired(const Client& client) const {
  for (const WatchedKey& w : client.watched) {
    if (w.expired_when_watched) continue;
    const Entry* entry = shard_->db(w.db).Peek(w.key);
    if (entry != nullptr && shard_->db(w.db).IsExpired(entry)) return true;
  }
  return false;
}

void WatchRegistry::OnKeyModified(int db, std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(Slot(db, key));
  if (it == watchers_.end()) return;
  for (Client* client : it->second) client->watch_dirty = true;
}

void WatchRegistry::OnDbChanged(int db) {
  // Called before a flush: as Redis, only watched keys that exist are touched.
  for (auto& [slot, clients] : watchers_) {
    for (Client* client : clients) {
      for (const WatchedKey& w : client->watched) {
        if ((db == -1 || w.db == db) && shard_->db(w.db).Peek(w.key) != nullptr) client->watch_dirty = true;
      }
    }
  }
}

void WatchRegistry::OnDbsSwapped(int a, int b) {
  // Called before the swap: a watched key is touched if it exists on either side.
  for (auto& [slot, clients] : watchers_) {
    for (Client* client : clients) {
      for (const WatchedKey& w : client->watched) {
        if (w.db != a && w.db != b) continue;
        if (shard_->db(a).Peek(w.key) != nullptr || shard_->db(b).Peek(w.key) != nullptr) client->watch_dirty = true;
      }
    }
  }
}

void EndTransaction(Client& client, WatchRegistry& watches) {
  client.in_multi = false;
  client.multi_aborted = false;
  client.queued.clear();
  watches.UnwatchAll(client);
}

}  // namespace tierkv
