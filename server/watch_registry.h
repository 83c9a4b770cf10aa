// WatchRegistry: which clients WATCH which keys, so that any change to a
// watched key (write, expiry, eviction, FLUSHDB, SWAPDB) makes their EXEC fail.
// It is the Shard's KeyspaceObserver.
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
  Shard* shard_;
  std::unordered_map<std::string, std::vector<Client*>> watchers_;  // "db:key" -> clients
};

// Leaves MULTI (queue and error state dropped) and forgets every watched key:
// what EXEC, DISCARD and RESET all end with.
void EndTransaction(Client& client, WatchRegistry& watches);

}  // namespace tierkv
