#include "server/keyspace_events.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "engine/db.h"
#include "engine/number.h"
#include "engine/types/stream/consumer_group.h"
#include "engine/types/stream/stream.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/pubsub.h"

namespace tierkv {
namespace {

struct FlagLetter {
  char letter;
  uint32_t flags;
};
constexpr FlagLetter kLetters[] = {
    {'A', kNotifyAll},     {'g', kNotifyGeneric}, {'$', kNotifyString},   {'l', kNotifyList},
    {'s', kNotifySet},     {'h', kNotifyHash},    {'z', kNotifyZset},     {'x', kNotifyExpired},
    {'e', kNotifyEvicted}, {'K', kNotifyKeyspace}, {'E', kNotifyKeyevent}, {'t', kNotifyStream},
    {'m', kNotifyKeyMiss}, {'d', kNotifyModule},  {'n', kNotifyNew},
};

// What a command does to its key arguments, as Redis names it. `store`: the key is a
// *STORE destination, reported as `del` instead when the result is empty.
struct CommandEvent {
  uint32_t klass;
  const char* event;
  bool store = false;
};

const std::unordered_map<std::string_view, CommandEvent>& CommandEvents() {
  static const std::unordered_map<std::string_view, CommandEvent> events = {
      // Keys of any type.
      {"del", {kNotifyGeneric, "del"}},
      {"unlink", {kNotifyGeneric, "del"}},
      {"getdel", {kNotifyGeneric, "del"}},
      {"expire", {kNotifyGeneric, "expire"}},
      {"pexpire", {kNotifyGeneric, "expire"}},
      {"expireat", {kNotifyGeneric, "expire"}},
      {"pexpireat", {kNotifyGeneric, "expire"}},
      {"persist", {kNotifyGeneric, "persist"}},
      {"restore", {kNotifyGeneric, "restore"}},
      {"sort", {kNotifyGeneric, "sortstore", true}},
      // Strings.
      {"set", {kNotifyString, "set"}},
      {"setnx", {kNotifyString, "set"}},
      {"setex", {kNotifyString, "set"}},
      {"psetex", {kNotifyString, "set"}},
      {"getset", {kNotifyString, "set"}},
      {"mset", {kNotifyString, "set"}},
      {"msetnx", {kNotifyString, "set"}},
      {"append", {kNotifyString, "append"}},
      {"setrange", {kNotifyString, "setrange"}},
      {"incr", {kNotifyString, "incrby"}},
      {"incrby", {kNotifyString, "incrby"}},
      {"decr", {kNotifyString, "incrby"}},  // Redis names both directions incrby
      {"decrby", {kNotifyString, "incrby"}},
      {"incrbyfloat", {kNotifyString, "incrbyfloat"}},
      {"setbit", {kNotifyString, "setbit"}},
      {"bitfield", {kNotifyString, "setbit"}},
      {"bitop", {kNotifyString, "set", true}},
      {"pfadd", {kNotifyString, "pfadd"}},
      {"pfmerge", {kNotifyString, "pfadd"}},
      // Lists.
      {"lpush", {kNotifyList, "lpush"}},
      {"lpushx", {kNotifyList, "lpush"}},
      {"rpush", {kNotifyList, "rpush"}},
      {"rpushx", {kNotifyList, "rpush"}},
      {"lpop", {kNotifyList, "lpop"}},
      {"blpop", {kNotifyList, "lpop"}},
      {"rpop", {kNotifyList, "rpop"}},
      {"brpop", {kNotifyList, "rpop"}},
      {"linsert", {kNotifyList, "linsert"}},
      {"lset", {kNotifyList, "lset"}},
      {"lrem", {kNotifyList, "lrem"}},
      {"ltrim", {kNotifyList, "ltrim"}},
      // Sets.
      {"sadd", {kNotifySet, "sadd"}},
      {"srem", {kNotifySet, "srem"}},
      {"spop", {kNotifySet, "spop"}},
      {"sinterstore", {kNotifySet, "sinterstore", true}},
      {"sunionstore", {kNotifySet, "sunionstore", true}},
      {"sdiffstore", {kNotifySet, "sdiffstore", true}},
      // Hashes.
      {"hset", {kNotifyHash, "hset"}},
      {"hmset", {kNotifyHash, "hset"}},
      {"hsetnx", {kNotifyHash, "hset"}},
      {"hdel", {kNotifyHash, "hdel"}},
      {"hincrby", {kNotifyHash, "hincrby"}},
      {"hincrbyfloat", {kNotifyHash, "hincrbyfloat"}},
      // Sorted sets (GEOADD adds with ZADD).
      {"zadd", {kNotifyZset, "zadd"}},
      {"geoadd", {kNotifyZset, "zadd"}},
      {"zincrby", {kNotifyZset, "zincr"}},
      {"zrem", {kNotifyZset, "zrem"}},
      {"zremrangebyscore", {kNotifyZset, "zremrangebyscore"}},
      {"zremrangebyrank", {kNotifyZset, "zremrangebyrank"}},
      {"zremrangebylex", {kNotifyZset, "zremrangebylex"}},
      {"zpopmin", {kNotifyZset, "zpopmin"}},
      {"bzpopmin", {kNotifyZset, "zpopmin"}},
      {"zpopmax", {kNotifyZset, "zpopmax"}},
      {"bzpopmax", {kNotifyZset, "zpopmax"}},
      {"zunionstore", {kNotifyZset, "zunionstore", true}},
      {"zinterstore", {kNotifyZset, "zinterstore", true}},
      {"zdiffstore", {kNotifyZset, "zdiffstore", true}},
      {"zrangestore", {kNotifyZset, "zrangestore", true}},
      {"georadius", {kNotifyZset, "georadiusstore", true}},
      {"georadiusbymember", {kNotifyZset, "georadiusstore", true}},
      {"geosearchstore", {kNotifyZset, "geosearchstore", true}},
      // Streams.
      {"xadd", {kNotifyStream, "xadd"}},
      {"xtrim", {kNotifyStream, "xtrim"}},
      {"xdel", {kNotifyStream, "xdel"}},
      {"xsetid", {kNotifyStream, "xsetid"}},
      {"xgroup|create", {kNotifyStream, "xgroup-create"}},
      {"xgroup|createconsumer", {kNotifyStream, "xgroup-createconsumer"}},
      {"xgroup|delconsumer", {kNotifyStream, "xgroup-delconsumer"}},
      {"xgroup|destroy", {kNotifyStream, "xgroup-destroy"}},
      {"xgroup|setid", {kNotifyStream, "xgroup-setid"}},
  };
  return events;
}

bool HasOption(const std::vector<std::string>& args, size_t from, std::string_view option) {
  return std::any_of(args.begin() + static_cast<std::ptrdiff_t>(std::min(from, args.size())), args.end(),
                     [&](const std::string& arg) { return EqualsIgnoreCase(arg, option); });
}

// The list end a pop or push names: LMOVE's LEFT/RIGHT, LMPOP's direction.
bool IsLeft(std::string_view word) { return EqualsIgnoreCase(word, "left"); }

}  // namespace

// COPY REPLACE and RESTORE REPLACE delete the key they replace and add it again, so
// Redis reports `new` whether or not it existed.
KeyspaceEvents::KeyArg KeyspaceEvents::AddedAnew(const KeyArg& arg) { return {arg.db, arg.key, false}; }

Result<uint32_t> ParseNotifyFlags(std::string_view text) {
  uint32_t flags = 0;
  for (char c : text) {
    const auto* letter = std::find_if(std::begin(kLetters), std::end(kLetters),
                                      [c](const FlagLetter& l) { return l.letter == c; });
    if (letter == std::end(kLetters)) {
      return Status::Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    }
    flags |= letter->flags;
  }
  return flags;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string text;
  if ((flags & kNotifyAll) == kNotifyAll) {
    text += 'A';  // Redis prints no 'n' after 'A', though the flag is kept
  } else {
    for (const FlagLetter& l : kLetters) {
      const bool is_class = l.flags != kNotifyAll && l.flags != kNotifyKeyspace && l.flags != kNotifyKeyevent &&
                            l.flags != kNotifyKeyMiss;
      if (is_class && (flags & l.flags)) text += l.letter;
    }
  }
  if (flags & kNotifyKeyspace) text += 'K';
  if (flags & kNotifyKeyevent) text += 'E';
  if (flags & kNotifyKeyMiss) text += 'm';
  return text;
}

void KeyspaceEvents::Notify(uint32_t klass, std::string_view event, int db, std::string_view key) {
  if (!(flags_ & klass)) return;
  const std::string db_text = std::to_string(db);
  if (flags_ & kNotifyKeyspace) {
    std::string channel = "__keyspace@" + db_text + "__:";
    channel.append(key);
    pubsub_.Publish(channel, event);
  }
  if (flags_ & kNotifyKeyevent) {
    std::string channel = "__keyevent@" + db_text + "__:";
    channel.append(event);
    pubsub_.Publish(channel, key);
  }
}

void KeyspaceEvents::OnKeyModified(int db, std::string_view key) {
  if (removed_db_ >= 0) {
    // The expiry or eviction just reported: not the command's own change.
    const bool is_removal = removed_db_ == db && removed_key_ == key;
    removed_db_ = -1;
    if (is_removal) return;
  }
  if (in_command_) touched_.insert(Slot(db, key));
}

void KeyspaceEvents::OnKeyMiss(int db, std::string_view key) {
  if (flags_ & kNotifyKeyMiss) Notify(kNotifyKeyMiss, "keymiss", db, key);
}

void KeyspaceEvents::OnKeyRemoved(int db, std::string_view key, RemovalCause cause) {
  if (!active()) return;
  removed_db_ = db;
  removed_key_.assign(key);
  if (cause == RemovalCause::kExpired) {
    Notify(kNotifyExpired, "expired", db, key);
  } else {
    Notify(kNotifyEvicted, "evicted", db, key);
  }
}

bool KeyspaceEvents::Exists(int db, std::string_view key) const {
  Db& target = shard_.db(db);
  const Entry* entry = target.Peek(key);
  return entry != nullptr && !target.IsExpired(entry);
}

size_t KeyspaceEvents::StreamLength(int db, std::string_view key) const {
  Db& target = shard_.db(db);
  const Entry* entry = target.Peek(key);
  if (entry == nullptr || target.IsExpired(entry) || entry->type != ValueType::kStream) return 0;
  return entry->object()->Length();
}

bool KeyspaceEvents::ConsumerExists(const KeyArg& arg) const {
  // XREADGROUP GROUP <group> <consumer> ...; XCLAIM / XAUTOCLAIM <key> <group> <consumer> ...
  const std::string& group_name = args_[2];
  const std::string& consumer = args_[3];
  Db& target = shard_.db(arg.db);
  const Entry* entry = target.Peek(arg.key);
  if (entry == nullptr || target.IsExpired(entry) || entry->type != ValueType::kStream || entry->is_cold()) {
    return false;
  }
  const ConsumerGroup* group = static_cast<const Stream*>(entry->object())->FindGroup(group_name);
  return group != nullptr && group->FindConsumer(consumer) != nullptr;
}

std::string KeyspaceEvents::Slot(int db, std::string_view key) {
  std::string slot = std::to_string(db);
  slot.push_back(':');
  slot.append(key);
  return slot;
}

bool KeyspaceEvents::Touched(int db, std::string_view key) const { return touched_.count(Slot(db, key)) != 0; }

void KeyspaceEvents::BeforeCommand(const CommandSpec& spec, std::string_view full_name, int db,
                                   std::span<const std::string_view> args) {
  in_command_ = true;
  command_ = AsciiLower(full_name);
  args_.assign(args.begin(), args.end());
  keys_.clear();
  touched_.clear();
  std::unordered_set<std::string_view> seen;
  for (int position : spec.KeyPositions(args)) {
    const std::string_view key = args[static_cast<size_t>(position)];
    // A key named twice gets its events once (but see MSET in EmitCommandEvents).
    if (seen.insert(key).second) keys_.push_back({db, std::string(key), Exists(db, key)});
  }
  // XADD reports `xtrim` too when its MAXLEN / MINID removed entries.
  if (command_ == "xadd" && !keys_.empty()) stream_length_before_ = StreamLength(db, keys_[0].key);
  // XREADGROUP, XCLAIM and XAUTOCLAIM report the consumer they create, as
  // `xgroup-createconsumer` on each stream where it did not exist.
  consumers_existed_.clear();
  if ((command_ == "xreadgroup" || command_ == "xclaim" || command_ == "xautoclaim") && args.size() > 3) {
    for (const KeyArg& arg : keys_) consumers_existed_.push_back(ConsumerExists(arg));
  }
  // MOVE and COPY ... DB write the key into another database.
  int64_t other_db = -1;
  if (command_ == "move" && args.size() == 3) {
    ParseInt64(args[2], &other_db);
  } else if (command_ == "copy") {
    for (size_t i = 3; i + 1 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "db")) ParseInt64(args[i + 1], &other_db);
    }
  }
  if (other_db >= 0 && other_db < shard_.db_count() && other_db != db && !keys_.empty()) {
    const std::string key = command_ == "move" ? keys_[0].key : keys_.back().key;
    keys_.push_back({static_cast<int>(other_db), key, Exists(static_cast<int>(other_db), key)});
  }
}

void KeyspaceEvents::EmitFor(const KeyArg& arg, uint32_t klass, std::string_view event, bool store) {
  if (!Touched(arg.db, arg.key)) return;
  const bool exists = Exists(arg.db, arg.key);
  if (!arg.existed && exists) Notify(kNotifyNew, "new", arg.db, arg.key);
  if (store && !exists) {
    if (arg.existed) Notify(kNotifyGeneric, "del", arg.db, arg.key);
    return;
  }
  Notify(klass, event, arg.db, arg.key);
  // A type command that emptied its key deleted it.
  if (arg.existed && !exists && klass != kNotifyGeneric) Notify(kNotifyGeneric, "del", arg.db, arg.key);
}

void KeyspaceEvents::AfterCommand() {
  in_command_ = false;
  for (size_t i = 0; i < consumers_existed_.size(); ++i) {
    if (!consumers_existed_[i] && ConsumerExists(keys_[i])) {
      Notify(kNotifyStream, "xgroup-createconsumer", keys_[i].db, keys_[i].key);
    }
  }
  consumers_existed_.clear();
  // EXEC's commands report their own events; EXEC itself (no keys) then finds none.
  if (!touched_.empty() && !keys_.empty()) EmitCommandEvents();
  keys_.clear();
  touched_.clear();
}

void KeyspaceEvents::EmitCommandEvents() {
  const std::string& name = command_;
  const int db = keys_[0].db;
  auto ttl_of = [&](const KeyArg& arg) {
    const Entry* entry = shard_.db(arg.db).Peek(arg.key);
    return entry != nullptr && entry->has_expire();
  };

  if (name == "rename" || name == "renamenx") {
    // Redis deletes a destination that exists and adds the key anew: always `new`.
    if (keys_.size() == 2 && Touched(db, keys_[1].key)) {
      Notify(kNotifyNew, "new", db, keys_[1].key);
      Notify(kNotifyGeneric, "rename_from", db, keys_[0].key);
      Notify(kNotifyGeneric, "rename_to", db, keys_[1].key);
    }
  } else if (name == "move") {
    if (keys_.size() == 2 && Touched(keys_[1].db, keys_[1].key)) {
      Notify(kNotifyNew, "new", keys_[1].db, keys_[1].key);
      Notify(kNotifyGeneric, "move_from", db, keys_[0].key);
      Notify(kNotifyGeneric, "move_to", keys_[1].db, keys_[1].key);
    }
  } else if (name == "copy") {
    if (keys_.size() >= 2) EmitFor(AddedAnew(keys_.back()), kNotifyGeneric, "copy_to", false);
  } else if (name == "lmove" || name == "blmove" || name == "rpoplpush" || name == "brpoplpush") {
    const bool from_left = (name == "lmove" || name == "blmove") && args_.size() > 3 && IsLeft(args_[3]);
    const bool to_left = name == "rpoplpush" || name == "brpoplpush" || (args_.size() > 4 && IsLeft(args_[4]));
    // Redis pushes (and reports) the destination first.
    // (A list rotated onto itself is one key argument with both events.)
    EmitFor(keys_.back(), kNotifyList, to_left ? "lpush" : "rpush", false);
    EmitFor(keys_[0], kNotifyList, from_left ? "lpop" : "rpop", false);
  } else if (name == "smove") {
    EmitFor(keys_[0], kNotifySet, "srem", false);
    if (keys_.size() == 2) EmitFor(keys_[1], kNotifySet, "sadd", false);
  } else if (name == "lmpop" || name == "blmpop") {
    const bool left = std::any_of(args_.begin(), args_.end(), [](const std::string& a) { return IsLeft(a); });
    for (const KeyArg& arg : keys_) EmitFor(arg, kNotifyList, left ? "lpop" : "rpop", false);
  } else if (name == "zmpop" || name == "bzmpop") {
    const bool min = HasOption(args_, 2, "min");
    for (const KeyArg& arg : keys_) EmitFor(arg, kNotifyZset, min ? "zpopmin" : "zpopmax", false);
  } else if (name == "mset" || name == "msetnx") {
    // Redis sets, and reports, a key named twice twice: MSET k 1 k 2 sends `set` twice.
    std::unordered_set<std::string_view> reported;
    for (size_t i = 1; i + 1 < args_.size(); i += 2) {
      const std::string& key = args_[i];
      if (!reported.insert(key).second) {
        if (Touched(db, key)) Notify(kNotifyString, "set", db, key);
        continue;
      }
      auto arg = std::find_if(keys_.begin(), keys_.end(), [&](const KeyArg& k) { return k.key == key; });
      if (arg != keys_.end()) EmitFor(*arg, kNotifyString, "set", false);
    }
  } else if (name == "getex") {
    if (Touched(db, keys_[0].key)) {
      if (HasOption(args_, 2, "persist")) {
        Notify(kNotifyGeneric, "persist", db, keys_[0].key);
      } else if (Exists(db, keys_[0].key)) {
        Notify(kNotifyGeneric, "expire", db, keys_[0].key);
      } else {
        Notify(kNotifyGeneric, "del", db, keys_[0].key);  // a TTL in the past
      }
    }
  } else if (name == "expire" || name == "pexpire" || name == "expireat" || name == "pexpireat") {
    // A time in the past deletes the key: Redis reports that deletion instead.
    if (Touched(db, keys_[0].key)) {
      Notify(kNotifyGeneric, Exists(db, keys_[0].key) ? "expire" : "del", db, keys_[0].key);
    }
  } else {
    auto found = CommandEvents().find(name);
    if (found == CommandEvents().end()) return;
    CommandEvent event = found->second;
    if (name == "xadd") {
      EmitFor(keys_[0], kNotifyStream, "xadd", false);
      if (Touched(db, keys_[0].key) && StreamLength(db, keys_[0].key) <= stream_length_before_) {
        Notify(kNotifyStream, "xtrim", db, keys_[0].key);
      }
      return;
    }
    if (name == "zadd" && HasOption(args_, 2, "incr")) event.event = "zincr";
    const bool sets_ttl = name == "setex" || name == "psetex" ||
                          (name == "set" && (HasOption(args_, 3, "ex") || HasOption(args_, 3, "px") ||
                                             HasOption(args_, 3, "exat") || HasOption(args_, 3, "pxat")));
    // Only the destination of a *STORE is written; its sources are read.
    const size_t written = event.store ? 1 : keys_.size();
    for (size_t i = 0; i < written; ++i) {
      // SORT and GEORADIUS name their STORE key last.
      const bool store_last = name == "sort" || name == "georadius" || name == "georadiusbymember";
      const KeyArg& arg = store_last ? keys_.back() : keys_[i];
      EmitFor(name == "restore" ? AddedAnew(arg) : arg, event.klass, event.event, event.store);
      if (sets_ttl && Touched(arg.db, arg.key) && ttl_of(arg)) Notify(kNotifyGeneric, "expire", arg.db, arg.key);
    }
  }
}

}  // namespace tierkv
