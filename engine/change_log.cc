#include "engine/change_log.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/heap_bytes.h"
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

// An expiry change only: the value stays what the tier may already hold.
bool ChangesOnlyMetadata(const Effect& effect) {
  return !effect.empty() && (effect[0] == "PEXPIREAT" || effect[0] == "PERSIST");
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

std::vector<int> PutSwapsFirst(std::vector<DirtyItem>& items) {
  int dbs = 0;
  for (const DirtyItem& item : items) dbs = std::max({dbs, item.db + 1, item.other_db + 1});
  // Backwards: ends_in[d] is where the contents of db d at this point of the list are
  // once the list ends.
  std::vector<int> ends_in(static_cast<size_t>(dbs));
  for (int db = 0; db < dbs; ++db) ends_in[static_cast<size_t>(db)] = db;
  bool any_swap = false;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->kind == DirtyItem::Kind::kSwapDb) {
      std::swap(ends_in[static_cast<size_t>(it->db)], ends_in[static_cast<size_t>(it->other_db)]);
      any_swap = true;
    } else if (it->db >= 0) {
      it->db = ends_in[static_cast<size_t>(it->db)];
    }
  }
  if (!any_swap) return {};
  // The same exchange as a few swaps: place, db after db, the contents that end there.
  std::vector<DirtyItem> reordered;
  std::vector<int> holds(ends_in.size());  // holds[d]: whose start contents db d holds
  for (size_t db = 0; db < holds.size(); ++db) holds[db] = static_cast<int>(db);
  for (int db = 0; db < dbs; ++db) {
    const auto wanted = static_cast<int>(std::find(ends_in.begin(), ends_in.end(), db) - ends_in.begin());
    if (holds[static_cast<size_t>(db)] == wanted) continue;
    const auto from = static_cast<int>(std::find(holds.begin(), holds.end(), wanted) - holds.begin());
    std::swap(holds[static_cast<size_t>(db)], holds[static_cast<size_t>(from)]);
    reordered.push_back({DirtyItem::Kind::kSwapDb, db, {}, from});
  }
  for (DirtyItem& item : items) {
    if (item.kind != DirtyItem::Kind::kSwapDb) reordered.push_back(std::move(item));
  }
  items = std::move(reordered);
  return ends_in;
}

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
  if (enabled_) tier_copies_left_.emplace(db, std::string(key));
}

void ChangeLog::NoteSwapped(int a, int b) {
  if (!enabled_) return;
  const size_t size = static_cast<size_t>(std::max({a, b, static_cast<int>(moved_since_take_.size()) - 1})) + 1;
  for (size_t db = moved_since_take_.size(); db < size; ++db) moved_since_take_.push_back(static_cast<int>(db));
  for (int& now : moved_since_take_) now = now == a ? b : now == b ? a : now;
  // A key changed earlier in this command now lives in the other db: its earlier
  // mentions follow it there, and it is mentioned again after the swap, so that its
  // final state is journaled after the SWAPDB, under the db that holds it.
  std::vector<std::pair<int, std::string>> moved;
  for (Event& event : events_) {
    if (event.keyless() || (event.db != a && event.db != b)) continue;
    event.db = event.db == a ? b : a;
    moved.emplace_back(event.db, event.key);
  }
  // A tier copy the command removed moved with its db too.
  std::set<std::pair<int, std::string>> copies;
  for (const auto& [db, key] : tier_copies_left_) copies.emplace(db == a ? b : db == b ? a : db, key);
  tier_copies_left_ = std::move(copies);
  events_.push_back({a, false, {}, {}, b});
  std::sort(moved.begin(), moved.end());
  moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
  for (auto& [db, key] : moved) events_.push_back({db, false, std::move(key), {}});
}

template <typename Visit>
void ChangeLog::ForEachFinalEvent(Visit&& visit) const {
  if (events_.size() == 1) {
    visit(events_.front());
    return;
  }
  std::unordered_map<std::string, size_t> last_mention;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (!events_[i].keyless()) last_mention[EventKey(events_[i].db, events_[i].key)] = i;
  }
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& event = events_[i];
    if (event.keyless() || last_mention[EventKey(event.db, event.key)] == i) visit(event);
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
    if (event.swapped()) {
      record.effects.push_back({"SWAPDB", std::to_string(event.db), std::to_string(event.other_db)});
      return;
    }
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
      for (size_t index : own) {
        Effect& effect = events_[index].effect;
        std::string verb = effect.empty() ? std::string() : effect[0];
        record.effects.push_back(std::move(effect));
        effect = {std::move(verb)};  // StampAndQueue tells an expiry change by it
      }
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
    if (!events_[0].keyless() && !events_[0].effect.empty()) at_final[0].push_back(0);
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
    if (event.swapped()) continue;  // the keys it moved are mentioned again after it
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
  // Keys with a change other than their expiry in this record (most records hold one
  // event: no set for them).
  // (Commit has moved the effects into the record, leaving each one's verb.)
  std::unordered_set<std::string> value_changed;
  if (events_.size() > 1) {
    for (const Event& event : events_) {
      if (!event.keyless() && !ChangesOnlyMetadata(event.effect)) value_changed.insert(EventKey(event.db, event.key));
    }
  }
  const auto changes_value = [&](const Event& event) {
    return events_.size() == 1 ? !ChangesOnlyMetadata(event.effect)
                               : value_changed.contains(EventKey(event.db, event.key));
  };
  ForEachFinalEvent([&](const Event& event) {
    if (event.swapped()) {
      Queue({DirtyItem::Kind::kSwapDb, event.db, {}, event.other_db});
      return;
    }
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
    const bool tier_copy_left =
        !tier_copies_left_.empty() && tier_copies_left_.contains(std::pair<int, std::string>(event.db, event.key));
    if (entry == nullptr) {
      shard.db(event.db).NoteRemoval(lsn);
      // A key created since the last round wrote it, and gone again, owes the tier nothing.
      if (!tier_copy_left) return;
    } else {
      // Removed and recreated in this command (RENAME onto it after a DEL, a MULTI): the
      // tier still holds the old state, which the new entry's removal must tombstone.
      if (tier_copy_left) entry->flags |= Entry::kInTier;
      entry->lsn = lsn;
      if (changes_value(event)) entry->flags &= static_cast<uint8_t>(~Entry::kTierValueCurrent);
      // An entry already queued (and not yet written by a round) needs no second item:
      // the round writes whatever state it has by then.
      if (entry->flags & Entry::kDirty) return;
      entry->flags |= Entry::kDirty;
      if (scan_needed_) return;  // the round's scan finds the mark
      if (++key_items_ > max_key_items_ && key_items_ > shard.KeyCount() / 16) return StopListingKeys(shard);
    }
    Queue({.kind = DirtyItem::Kind::kKey, .db = event.db, .key = event.key, .owes_tombstone = entry == nullptr});
  });
  events_.clear();
  tier_copies_left_.clear();
  if (dirty_.size() >= compact_at_) Compact(shard);
}

void ChangeLog::Queue(DirtyItem item) {
  dirty_key_bytes_ += StringHeapBytes(item.key);
  dirty_.push_back(std::move(item));
}

// Keeps, per db, only what follows its last erase, and each key once, at its last
// mention, which inherits a tombstone an earlier mention owed; drops the items of keys
// that are gone and owe nothing (a cache's evictions of keys no round wrote). What a
// round would write from the list is unchanged.
void ChangeLog::Compact(Shard& shard) {
  PutSwapsFirst(dirty_);  // every item then names the db that holds its key now
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
    // The swaps come first and move whole dbs: an erase after them does not undo them.
    if (item.kind == DirtyItem::Kind::kSwapDb) {
      kept.push_back(std::move(item));
    } else if (after_last_erase && final_mention) {
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
  for (const DirtyItem& item : dirty_) dirty_key_bytes_ += StringHeapBytes(item.key);
}

// Keeps the items a scan cannot find (deleted keys, emptied dbs); present keys keep only
// their marks, and a tombstone their item owed moves to the entry (Entry::kInTier).
void ChangeLog::StopListingKeys(Shard& shard) {
  PutSwapsFirst(dirty_);  // every item then names the db that holds its key now
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
  moved_since_take_.clear();
  key_items_ = 0;
  dirty_key_bytes_ = 0;
  std::vector<DirtyItem> taken;
  taken.swap(dirty_);
  return taken;
}

void ChangeLog::GiveBackDirty(Shard& shard, std::vector<DirtyItem> items) {
  for (const DirtyItem& item : items) {
    if (item.kind != DirtyItem::Kind::kKey) continue;
    if (Entry* entry = shard.db(CurrentDbOf(item.db)).Peek(item.key)) entry->flags |= Entry::kDirty;
  }
  items.insert(items.end(), std::make_move_iterator(dirty_.begin()), std::make_move_iterator(dirty_.end()));
  dirty_ = std::move(items);
  CountKeyBytes();
}

}  // namespace tierkv
