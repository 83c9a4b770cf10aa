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

WatchedKey& WatchRegistry::WatchOf(Client& client, int db, std::string_view key) {
  return *std::find_if(client.watched.begin(), client.watched.end(),
                       [&](const WatchedKey& w) { return w.db == db && w.key == key; });
}

bool WatchRegistry::ReadsAsMissing(int db, std::string_view key) const {
  const Entry* entry = shard_->db(db).Peek(key);
  return entry == nullptr || shard_->db(db).IsExpired(entry);
}

void WatchRegistry::OnKeyModified(int db, std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(Slot(db, key));
  if (it == watchers_.end()) return;
  // An expiry is reported before the entry goes: an expired key here is being deleted.
  const bool deleted = ReadsAsMissing(db, key);
  for (Client* client : it->second) {
    WatchedKey& watched = WatchOf(*client, db, key);
    if (watched.expired_when_watched && deleted) {
      watched.expired_when_watched = false;
      continue;
    }
    client->watch_dirty = true;
  }
}

void WatchRegistry::OnDbChanged(int db) {
  // Called before a flush: as Redis, only watched keys that are stored are touched, and
  // not those already expired when watched.
  for (auto& [slot, clients] : watchers_) {
    for (Client* client : clients) {
      for (WatchedKey& w : client->watched) {
        if ((db != -1 && w.db != db) || Slot(w.db, w.key) != slot || shard_->db(w.db).Peek(w.key) == nullptr) continue;
        if (w.expired_when_watched) {
          w.expired_when_watched = false;
        } else {
          client->watch_dirty = true;
        }
      }
    }
  }
}

void WatchRegistry::OnDbReplaced(int emptied, int replaced_with) {
  for (auto& [slot, clients] : watchers_) {
    for (Client* client : clients) {
      for (WatchedKey& w : client->watched) {
        if (w.db != emptied || Slot(w.db, w.key) != slot) continue;
        const bool was_stored = shard_->db(emptied).Peek(w.key) != nullptr;
        const Entry* incoming = shard_->db(replaced_with).Peek(w.key);
        if (!was_stored && incoming == nullptr) continue;
        const bool incoming_expired = incoming != nullptr && shard_->db(replaced_with).IsExpired(incoming);
        if (w.expired_when_watched) {
          if (incoming == nullptr) {
            w.expired_when_watched = false;  // the expired key is gone: still missing
            continue;
          }
          if (incoming_expired) continue;  // still an expired key
        } else if (!was_stored && incoming_expired) {
          w.expired_when_watched = true;  // missing before, an expired key now
          continue;
        }
        client->watch_dirty = true;
      }
    }
  }
}

void WatchRegistry::OnDbsSwapped(int a, int b) {
  // Called before the swap, so both sides are judged on the same contents.
  OnDbReplaced(a, b);
  OnDbReplaced(b, a);
}

void EndTransaction(Client& client, WatchRegistry& watches) {
  client.in_multi = false;
  client.multi_aborted = false;
  client.queued.clear();
  watches.UnwatchAll(client);
}

}  // namespace tierkv
