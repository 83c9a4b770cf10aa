#include "engine/change_log.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "engine/rdb/dump_payload.h"
#include "engine/shard.h"

namespace tierkv {
namespace {

// The effect that recreates `entry` exactly, whatever it was before: SET for a string,
// RESTORE of its DUMP payload (absolute expiry) for any other type.
void AppendStateEffect(const Entry& entry, std::vector<Effect>* effects) {
  if (entry.type == ValueType::kString) {
    effects->push_back(StringStateEffect(entry.key(), entry.string_value(), entry.expire_at()));
    return;
  }
  effects->push_back({"RESTORE", std::string(entry.key()), entry.has_expire() ? std::to_string(entry.expire_at()) : "0",
                      DumpEntry(entry), "REPLACE", "ABSTTL"});
}

bool SetsWholeState(const Effect& effect) { return !effect.empty() && (effect[0] == "SET" || effect[0] == "DEL"); }

std::string EventKey(int db, std::string_view key) {
  std::string id = std::to_string(db);
  id.push_back(':');
  id.append(key);
  return id;
}

}  // namespace

Effect StringStateEffect(std::string_view key, std::string_view value, int64_t expire_at_ms) {
  if (expire_at_ms == kNoExpire) return MakeEffect({"SET", key, value});
  return MakeEffect({"SET", key, value, "PXAT", std::to_string(expire_at_ms)});
}

Effect DeletionEffect(std::string_view key) { return MakeEffect({"DEL", key}); }

void ChangeLog::NoteKey(int db, std::string_view key) {
  if (enabled_) events_.push_back({db, false, std::string(key), {}});
}

void ChangeLog::NoteEffect(int db, std::string_view key, Effect effect) {
  if (enabled_) events_.push_back({db, false, std::string(key), std::move(effect)});
}

void ChangeLog::NoteEmptied(int db) {
  if (enabled_) events_.push_back({db, true, {}, {}});
}

void ChangeLog::NoteTierCopyLeft(int db, std::string_view key) {
  if (enabled_) tier_copies_left_.insert(EventKey(db, key));
}

template <typename Visit>
void ChangeLog::ForEachFinalEvent(Visit&& visit) const {
  if (events_.size() == 1) {
    visit(events_.front());
    return;
  }
  std::unordered_map<std::string, size_t> last_mention;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (!events_[i].emptied) last_mention[EventKey(events_[i].db, events_[i].key)] = i;
  }
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& event = events_[i];
    if (event.emptied || last_mention[EventKey(event.db, event.key)] == i) visit(event);
  }
}

std::optional<EffectRecord> ChangeLog::Commit(Shard& shard, uint64_t lsn) {
  if (events_.empty()) return std::nullopt;
  EffectRecord record;
  record.lsn = lsn;
  record.db = static_cast<uint32_t>(events_.front().db < 0 ? 0 : events_.front().db);
  int current_db = static_cast<int>(record.db);
  const std::vector<std::vector<size_t>> own_effects = OwnEffectsAtFinalMention();
  ForEachFinalEvent([&](const Event& event) {
    if (event.emptied && event.db < 0) {
      record.effects.push_back({"FLUSHALL"});
      return;
    }
    if (event.db != current_db) {
      record.effects.push_back({"SELECT", std::to_string(event.db)});
      current_db = event.db;
    }
    if (event.emptied) {
      record.effects.push_back({"FLUSHDB"});
      return;
    }
    const std::vector<size_t>& own = own_effects[static_cast<size_t>(&event - events_.data())];
    if (!own.empty()) {
      for (size_t index : own) record.effects.push_back(std::move(events_[index].effect));
      return;
    }
    const Entry* entry = shard.db(event.db).Peek(event.key);
    if (entry == nullptr) {
      record.effects.push_back(DeletionEffect(event.key));
    } else {
      AppendStateEffect(*entry, &record.effects);
    }
  });
  StampAndQueue(shard, lsn);
  return record;
}

// For each key's final mention: the events whose own effects replace its resulting state,
// which is when every change to the key since its db was last emptied, or since its last
// whole-state effect, brought an effect (the effects then rebuild it from whatever state
// it had before). Empty otherwise.
std::vector<std::vector<size_t>> ChangeLog::OwnEffectsAtFinalMention() const {
  std::vector<std::vector<size_t>> at_final(events_.size());
  if (events_.size() == 1) {
    if (!events_[0].emptied && !events_[0].effect.empty()) at_final[0].push_back(0);
    return at_final;
  }
  struct KeyChanges {
    uint64_t epoch;  // the db's emptying count when these changes began
    bool all_own;
    std::vector<size_t> indexes;
  };
  std::unordered_map<std::string, KeyChanges> keys;
  std::unordered_map<int, uint64_t> db_epoch;
  uint64_t all_epoch = 0;
  std::unordered_map<std::string, size_t> last_mention;
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& event = events_[i];
    if (event.emptied) {
      event.db < 0 ? ++all_epoch : ++db_epoch[event.db];
      continue;
    }
    const std::string id = EventKey(event.db, event.key);
    const uint64_t epoch = all_epoch + db_epoch[event.db];
    auto [it, inserted] = keys.try_emplace(id, KeyChanges{epoch, true, {}});
    if ((!inserted && it->second.epoch != epoch) || SetsWholeState(event.effect)) {
      it->second = KeyChanges{epoch, true, {}};
    }
    it->second.all_own = it->second.all_own && !event.effect.empty();
    it->second.indexes.push_back(i);
    last_mention[id] = i;
  }
  for (auto& [id, changes] : keys) {
    // A key last changed before its db was emptied is gone: DEL says so in fewer bytes.
    const int db = events_[last_mention[id]].db;
    const bool emptied_since = changes.epoch != all_epoch + db_epoch[db];
    if (changes.all_own && !emptied_since) at_final[last_mention[id]] = std::move(changes.indexes);
  }
  return at_final;
}

void ChangeLog::CommitReplayed(Shard& shard, uint64_t lsn) { StampAndQueue(shard, lsn); }

void ChangeLog::StampAndQueue(Shard& shard, uint64_t lsn) {
  ForEachFinalEvent([&](const Event& event) {
    if (event.emptied) {
      const int first = event.db < 0 ? 0 : event.db;
      const int last = event.db < 0 ? shard.db_count() - 1 : event.db;
      for (int db = first; db <= last; ++db) {
        shard.db(db).NoteRemoval(lsn);
        Queue({DirtyItem::Kind::kEraseDb, db, {}});
      }
      return;
    }
    Entry* entry = shard.db(event.db).Peek(event.key);
    const bool tier_copy_left = !tier_copies_left_.empty() && tier_copies_left_.contains(EventKey(event.db, event.key));
    if (entry == nullptr) {
      shard.db(event.db).NoteRemoval(lsn);
      // A key created since the last round wrote it, and gone again, owes the tier nothing.
      if (!tier_copy_left) return;
    } else {
      // Removed and recreated in this command (RENAME onto it after a DEL, a MULTI): the
      // tier still holds the old state, which the new entry's removal must tombstone.
      if (tier_copy_left) entry->flags |= Entry::kInTier;
      entry->lsn = lsn;
      // An entry already queued (and not yet written by a round) needs no second item:
      // the round writes whatever state it has by then.
      if (entry->flags & Entry::kDirty) return;
      entry->flags |= Entry::kDirty;
      if (scan_needed_) return;  // the round's scan finds the mark
      if (++key_items_ > max_key_items_ && key_items_ > shard.KeyCount() / 16) return StopListingKeys(shard);
    }
    Queue({DirtyItem::Kind::kKey, event.db, event.key, /*owes_tombstone=*/entry == nullptr});
  });
  events_.clear();
  tier_copies_left_.clear();
  if (dirty_.size() >= compact_at_) Compact(shard);
}

void ChangeLog::Queue(DirtyItem item) {
  dirty_key_bytes_ += item.key.size();
  dirty_.push_back(std::move(item));
}

// Keeps, per db, only what follows its last erase, and each key once, at its last
// mention, which inherits a tombstone an earlier mention owed; drops the items of keys
// that are gone and owe nothing (a cache's evictions of keys no round wrote). What a
// round would write from the list is unchanged.
void ChangeLog::Compact(Shard& shard) {
  std::unordered_map<int, size_t> last_erase;
  for (size_t i = 0; i < dirty_.size(); ++i) {
    if (dirty_[i].kind == DirtyItem::Kind::kEraseDb) last_erase[dirty_[i].db] = i;
  }
  std::unordered_map<std::string, size_t> last_mention;
  for (size_t i = 0; i < dirty_.size(); ++i) {
    if (dirty_[i].kind == DirtyItem::Kind::kKey) last_mention[EventKey(dirty_[i].db, dirty_[i].key)] = i;
  }
  std::vector<DirtyItem> kept;
  for (size_t i = 0; i < dirty_.size(); ++i) {
    DirtyItem& item = dirty_[i];
    auto erase = last_erase.find(item.db);
    const bool after_last_erase = erase == last_erase.end() || i >= erase->second;
    const bool final_mention =
        item.kind == DirtyItem::Kind::kEraseDb || last_mention[EventKey(item.db, item.key)] == i;
    if (after_last_erase && final_mention) {
      const bool moot = item.kind == DirtyItem::Kind::kKey && !item.owes_tombstone &&
                        shard.db(item.db).Peek(item.key) == nullptr;
      if (!moot) kept.push_back(std::move(item));
    } else if (after_last_erase && item.owes_tombstone) {
      dirty_[last_mention[EventKey(item.db, item.key)]].owes_tombstone = true;
    }
  }
  dirty_ = std::move(kept);
  CountKeyBytes();
  compact_at_ = std::max<size_t>(1024, dirty_.size() * 2);
}

void ChangeLog::CountKeyBytes() {
  dirty_key_bytes_ = 0;
  for (const DirtyItem& item : dirty_) dirty_key_bytes_ += item.key.size();
}

// Keeps the items a scan cannot find (deleted keys, emptied dbs); present keys keep only
// their marks, and a tombstone their item owed moves to the entry (Entry::kInTier).
void ChangeLog::StopListingKeys(Shard& shard) {
  std::erase_if(dirty_, [&](const DirtyItem& item) {
    if (item.kind != DirtyItem::Kind::kKey) return false;
    Entry* entry = shard.db(item.db).Peek(item.key);
    if (entry != nullptr && item.owes_tombstone) entry->flags |= Entry::kInTier;
    return entry != nullptr;
  });
  dirty_.shrink_to_fit();
  CountKeyBytes();
  scan_needed_ = true;
  key_items_ = 0;
  compact_at_ = std::max<size_t>(1024, dirty_.size() * 2);
}

std::vector<DirtyItem> ChangeLog::TakeDirty() {
  key_items_ = 0;
  dirty_key_bytes_ = 0;
  std::vector<DirtyItem> taken;
  taken.swap(dirty_);
  return taken;
}

void ChangeLog::GiveBackDirty(Shard& shard, std::vector<DirtyItem> items) {
  for (const DirtyItem& item : items) {
    if (item.kind != DirtyItem::Kind::kKey) continue;
    if (Entry* entry = shard.db(item.db).Peek(item.key)) entry->flags |= Entry::kDirty;
  }
  items.insert(items.end(), std::make_move_iterator(dirty_.begin()), std::make_move_iterator(dirty_.end()));
  dirty_ = std::move(items);
  CountKeyBytes();
}

}  // namespace tierkv
