// ClientTracking: server-assisted client-side caching (CLIENT TRACKING), as Redis does it.
//
// Default mode: the keys a tracking client reads with a read-only command (its key
// arguments, found from the command table's key specs) are remembered in one table, key
// name -> ids of the clients that read it (the db is not part of the key, as in Redis). The
// first change of such a key sends each of those clients one invalidation message and
// forgets the key, so a key costs nothing more until it is read again. BCAST mode: no
// table; a client registers key prefixes, the keys changed under a prefix are collected,
// and once the current batch of commands is done each client of the prefix gets them in one
// message. FLUSHALL/FLUSHDB send every tracking client a null invalidation and empty the
// table; `tracking-table-max-keys` bounds the table, forgetting random keys (with their
// invalidations) before a command runs while it is over.
//
// Every key change reaches this object as a KeyspaceObserver (engine/shard.h), the path
// WATCH and keyspace notifications use: commands, scripts, EXEC, expiry (lazy or active)
// and eviction alike, whatever tier the value is on.
//
// Messages: a RESP3 push `invalidate [keys]` (or null), or, for a client that redirects to a
// RESP2 client subscribed to something, a pub/sub message on `__redis__:invalidate`; a RESP2
// client without redirection gets nothing (it can only be told over another connection). A
// redirect to a client that is gone marks the tracking client (flag R) and, in RESP3, sends it
// `tracking-redir-broken <id>`. A message due to the client whose command is running waits
// until that command (EXEC, a script) has replied, so it never lands inside a reply.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/shard.h"
#include "server/client.h"
#include "server/command.h"
#include "server/reply_writer.h"

namespace tierkv {

// The ids of the clients that read one key. Almost always a single client: its id is kept
// inline (a key then costs one hash node of 48 bytes and a bucket); more spill to a sorted
// vector on the heap.
class ReaderIds {
 public:
  ReaderIds() = default;
  ReaderIds(const ReaderIds&) = delete;
  ReaderIds& operator=(const ReaderIds&) = delete;
  ReaderIds(ReaderIds&& other) noexcept : word_(std::exchange(other.word_, 0)) {}
  ReaderIds& operator=(ReaderIds&& other) noexcept {
    std::swap(word_, other.word_);
    return *this;
  }
  ~ReaderIds() { delete many(); }

  // False when `id` was already there.
  bool Insert(uint64_t id);
  size_t size() const;
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    if (word_ & 1) return visit(word_ >> 1);
    if (const std::vector<uint64_t>* ids = many()) {
      for (uint64_t id : *ids) visit(id);
    }
  }

 private:
  std::vector<uint64_t>* many() const {
    return (word_ & 1) == 0 ? reinterpret_cast<std::vector<uint64_t>*>(word_) : nullptr;
  }
  // 0: none; odd: one id (id << 1 | 1); even: a std::vector<uint64_t>*.
  uintptr_t word_ = 0;
};

class ClientTracking : public KeyspaceObserver {
 public:
  // `find` returns a connected client by id (nullptr when gone); `schedule_broadcast` asks
  // for Broadcast() once the current batch of commands is done; `max_keys` is the live
  // `tracking-table-max-keys` (0: unbounded).
  ClientTracking(std::function<Client*(uint64_t)> find, std::function<void()> schedule_broadcast,
                 const int64_t& max_keys)
      : find_(std::move(find)), schedule_broadcast_(std::move(schedule_broadcast)), max_keys_(max_keys) {}
  ClientTracking(const ClientTracking&) = delete;
  ClientTracking& operator=(const ClientTracking&) = delete;

  struct Options {
    uint64_t redirect = 0;
    bool bcast = false;
    bool optin = false;
    bool optout = false;
    bool noloop = false;
    std::vector<std::string_view> prefixes;
  };
  // CLIENT TRACKING ON: Redis's error text when the options do not fit together or with the
  // client's current mode, else enables them and returns nullopt.
  std::optional<std::string> Enable(Client& client, const Options& options);
  // CLIENT TRACKING OFF, RESET, disconnection. The client's keys stay in the table until
  // they change (they are then skipped), as in Redis.
  void Disable(Client& client);
  // The client disconnects.
  void ClientGone(Client& client);

  // Around each top-level command: first the table is brought under its bound (before the
  // command, so those messages precede its reply), then `client` is the one running. After
  // it, the messages kept for it go out, and its CLIENT CACHING choice ends (unless it is in
  // MULTI, or the command was a CLIENT subcommand, as Redis).
  void BeginCommand(Client& client);
  void EndCommand(Client& client, bool client_command);
  // The client whose top-level command is running (the caller, while a script runs).
  Client* current() const { return current_; }

  // After a read-only command run for `reader` (a script's commands: for its caller):
  // remembers `keys` (positions in `args`) unless its OPTIN/OPTOUT choice says otherwise.
  void RememberKeys(Client& reader, std::span<const KeyReference> keys, std::span<const std::string_view> args);
  // Sends the BCAST messages collected since the last call.
  void Broadcast();
  // Over `tracking-table-max-keys`: forgets random keys (sending their invalidations) until
  // under it, or until this call's effort is spent (more on each call that stays over).
  void LimitTableSize();

  // INFO.
  size_t client_count() const { return tracking_ids_.size(); }
  size_t key_count() const { return table_.size(); }
  size_t item_count() const { return items_; }
  size_t prefix_count() const { return prefixes_.size(); }
  bool active() const { return !tracking_ids_.empty(); }

  // KeyspaceObserver
  void OnKeyModified(int db, std::string_view key) override;
  void OnKeyRemoved(int db, std::string_view key, RemovalCause cause) override;
  void OnDbChanged(int db) override;
  void OnDbsSwapped(int, int) override {}

 private:
  struct NameHash {
    using is_transparent = void;
    // noexcept and declared fast, so nodes keep no cached hash (see ReaderIds).
    size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>{}(name); }
  };
  using Table = std::unordered_map<std::string, ReaderIds, NameHash, std::equal_to<>>;
  // One BCAST prefix: its clients, and the keys changed under it since the last broadcast
  // with the id of the client that changed each last (0: expiry, eviction), for NOLOOP.
  struct Prefix {
    std::vector<uint64_t> clients;
    std::map<std::string, uint64_t, std::less<>> changed;
  };

  Client* Find(uint64_t id);
  // One message to `client` (or its redirect): `keys`, or null when `keys` is nullptr.
  void Send(Client& client, const std::vector<std::string_view>* keys);
  // Where a message to `client` is written: its output, or, while its command runs, the
  // bytes kept for after its reply.
  ReplyWriter& WriterFor(Client& client);
  // Tells `client`'s connection a message waits (not while its command runs).
  void Pushed(Client& client);
  // Forgets `key` and tells its readers; `changer`: the client whose command changed it.
  void InvalidateKey(std::string_view key, const Client* changer);

  std::function<Client*(uint64_t)> find_;
  std::function<void()> schedule_broadcast_;
  const int64_t& max_keys_;
  Table table_;
  size_t items_ = 0;    // client ids over all keys (tracking_total_items)
  std::set<uint64_t> tracking_ids_;  // clients with tracking on, in connection order
  std::map<std::string, Prefix, std::less<>> prefixes_;  // sorted: messages go out in this order
  bool broadcast_scheduled_ = false;
  // OnKeyRemoved's key: its next OnKeyModified is that expiry or eviction.
  std::string removed_key_;
  bool removal_pending_ = false;
  Client* current_ = nullptr;
  // Messages due to `current_`, appended to its output after its command.
  std::string deferred_;
  ReplyWriter deferred_writer_{&deferred_};
  unsigned limit_rounds_ = 0;  // LimitTableSize calls in a row that stayed over the bound
  uint64_t random_state_ = 0x9e3779b97f4a7c15ull;
};

}  // namespace tierkv
