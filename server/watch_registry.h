// WatchRegistry: which clients WATCH which keys, so that any change to a
// watched key (write, expiry, eviction, FLUSHDB, SWAPDB) makes their EXEC fail.
// It is the Shard's KeyspaceObserver.
//
// A key that had already expired when it was watched (but was still stored) reads as
// missing to the client: its later deletion, by lazy or active expiry, a flush or a
// SWAPDB that leaves no key there, changes nothing the client saw, so it does not fail
// EXEC; from then on the key is watched as a missing one. Redis 7's multi.c rules
// (touchWatchedKey, touchAllWatchedKeysInDb).
// Thread-safety: engine thread only.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/shard.h"
#include "server/client.h"

namespace tierkv {

class WatchRegistry : public KeyspaceObserver {
 public:
  explicit WatchRegistry(Shard* shard) : shard_(shard) {}

  void Watch(Client& client, int db, std::string_view key);
  void UnwatchAll(Client& client);
  // True if a key watched by `client` has expired since it was watched.
  bool AnyWatchedKeyExpired(const Client& client) const;

  void OnKeyModified(int db, std::string_view key) override;
  void OnDbChanged(int db) override;
  void OnDbsSwapped(int a, int b) override;

 private:
  static std::string Slot(int db, std::string_view key);
  // `client`'s watch of (db, key); watchers_ lists only clients that have one.
  static WatchedKey& WatchOf(Client& client, int db, std::string_view key);
  // A watched key that reads as missing (absent or expired) in `db`.
  bool ReadsAsMissing(int db, std::string_view key) const;
  // The SWAPDB rule for the watched keys of `emptied`, which gets `replaced_with`'s keys.
  void OnDbReplaced(int emptied, int replaced_with);
  Shard* shard_;
  std::unordered_map<std::string, std::vector<Client*>> watchers_;  // "db:key" -> clients
};

// Leaves MULTI (queue and error state dropped) and forgets every watched key:
// what EXEC, DISCARD and RESET all end with.
void EndTransaction(Client& client, WatchRegistry& watches);

}  // namespace tierkv
