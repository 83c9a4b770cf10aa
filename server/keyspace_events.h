// KeyspaceEvents: Redis's keyspace notifications (`notify-keyspace-events`), published
// through the PubSub registry on `__keyspace@<db>__:<key>` (message: the event) and
// `__keyevent@<db>__:<event>` (message: the key).
//
// Every write reaches the Shard's observers (engine/shard.h), so this is one more
// observer: while a command runs it notes the keys the command changed, and when the
// command is done the dispatcher asks it for the command's events. The event names are
// data (keyspace_events.cc, Redis's name per command and key role) applied to what the
// command did to each of its key arguments: a key that was missing and now exists also
// gets `new` (class n) first; a collection a command emptied gets `del` after the
// command's own event; a *STORE whose result is empty reports only `del`; SET with a TTL
// adds `expire`. Keys removed by expiry (lazy or active) and eviction are reported the
// moment they go, as `expired` and `evicted`, whatever command or cron step removed them.
//
// A missed read is `keymiss` (class m), told where the Shard counts it. Differences from Redis
// are in docs/COMPATIBILITY.md (a key named twice by a command other than MSET/MSETNX).
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

class PubSub;
struct CommandSpec;

// Redis's NOTIFY_* classes, as the letters of `notify-keyspace-events`.
enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1u << 0,   // K
  kNotifyKeyevent = 1u << 1,   // E
  kNotifyGeneric = 1u << 2,    // g
  kNotifyString = 1u << 3,     // $
  kNotifyList = 1u << 4,       // l
  kNotifySet = 1u << 5,        // s
  kNotifyHash = 1u << 6,       // h
  kNotifyZset = 1u << 7,       // z
  kNotifyExpired = 1u << 8,    // x
  kNotifyEvicted = 1u << 9,    // e
  kNotifyStream = 1u << 10,    // t
  kNotifyKeyMiss = 1u << 11,   // m
  kNotifyModule = 1u << 12,    // d (no modules: never sent)
  kNotifyNew = 1u << 13,       // n
  // A: every class but m and n.
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash | kNotifyZset |
               kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// "KEA" -> flags, with Redis's error text for an unknown letter.
Result<uint32_t> ParseNotifyFlags(std::string_view text);
// Redis's canonical form for CONFIG GET ("AKE", "gK", ...).
std::string FormatNotifyFlags(uint32_t flags);

class KeyspaceEvents : public KeyspaceObserver {
 public:
  // `flags` is the live `notify-keyspace-events` setting.
  KeyspaceEvents(PubSub& pubsub, Shard& shard, const uint32_t& flags)
      : pubsub_(pubsub), shard_(shard), flags_(flags) {}

  // True when some event may be published (K or E, and a class).
  bool active() const { return (flags_ & (kNotifyKeyspace | kNotifyKeyevent)) != 0 && (flags_ & ~3u) != 0; }

  // The dispatcher's calls around a command's handler, only while active(): what the
  // key arguments held before, then the events of what the command changed.
  void BeforeCommand(const CommandSpec& spec, std::string_view full_name, int db,
                     std::span<const std::string_view> args);
  void AfterCommand();

  // Publishes one event if its class is enabled.
  void Notify(uint32_t klass, std::string_view event, int db, std::string_view key);

  // KeyspaceObserver
  void OnKeyModified(int db, std::string_view key) override;
  void OnKeyRemoved(int db, std::string_view key, RemovalCause cause) override;
  void OnKeyMiss(int db, std::string_view key) override;
  void OnDbChanged(int) override {}
  void OnDbsSwapped(int, int) override {}

 private:
  struct KeyArg {
    int db;
    std::string key;
    bool existed;  // before the command (an expired key counts as missing)
  };
  void EmitCommandEvents();
  static KeyArg AddedAnew(const KeyArg& arg);
  bool Exists(int db, std::string_view key) const;
  size_t StreamLength(int db, std::string_view key) const;
  // XREADGROUP / XCLAIM / XAUTOCLAIM: whether the consumer they name is in `arg`'s group.
  bool ConsumerExists(const KeyArg& arg) const;
  bool Touched(int db, std::string_view key) const;
  // The events of one key argument, given the command's event for it.
  void EmitFor(const KeyArg& arg, uint32_t klass, std::string_view event, bool store);

  PubSub& pubsub_;
  Shard& shard_;
  const uint32_t& flags_;
  bool in_command_ = false;
  std::string command_;  // full name, lowercase ("xgroup|create")
  std::vector<std::string> args_;
  std::vector<KeyArg> keys_;
  static std::string Slot(int db, std::string_view key);  // "db:key"
  std::unordered_set<std::string> touched_;               // slots the command changed
  size_t stream_length_before_ = 0;  // XADD: its stream's length before the command
  std::vector<bool> consumers_existed_;  // by key argument (ConsumerExists before the command)
  // The next OnKeyModified of this key is its expiry or eviction, already reported.
  int removed_db_ = -1;
  std::string removed_key_;
};

}  // namespace tierkv
