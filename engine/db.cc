#include "engine/db.h"

#include <string>
#include <utility>
#include <vector>

#include "engine/hash.h"
#include "engine/shard.h"

namespace tierkv {

Db::~Db() { Clear(); }

Entry* Db::Peek(std::string_view key) const { return dict_.Find(key, HashKey(key)); }

bool Db::IsExpired(const Entry* entry) const {
  return entry->has_expire() && entry->expire_at() <= shard_->now_ms() && shard_->expiry_enabled();
}

Entry* Db::Find(std::string_view key, bool touch) {
  Entry* entry = FindMetadata(key, /*touch=*/false);
  if (entry == nullptr) return nullptr;
  if (entry->is_cold()) {
    entry = Load(entry);
    if (entry == nullptr) return nullptr;
  }
  shard_->BeforeEntryChange(index_, *entry);
  if (touch) shard_->TouchAccess(entry);
  return entry;
}

Entry* Db::FindMetadata(std::string_view key, bool touch) {
  Entry* entry = dict_.Find(key, HashKey(key));
  if (entry == nullptr) return nullptr;
  if (IsExpired(entry)) {
    if (!shard_->expired_deletion_paused()) DeleteExpired(entry);
    return nullptr;
  }
  if (touch) shard_->TouchAccess(entry);
  return entry;
}

Entry* Db::Load(Entry* cold) {
  Entry* loaded = shard_->LoadColdValue(index_, *cold);
  if (loaded == nullptr) return nullptr;
  return Install(cold, loaded);
}

Entry* Db::Install(Entry* cold, Entry* loaded) {
  // The value comes back under the entry's own metadata: its expiry and LSN may be newer
  // than the tier's copy (an EXPIRE of a cold key writes no value).
  KeepEncoding(loaded, cold->encoding);
  Entry* fresh = loaded;
  if (loaded->expire_at() != cold->expire_at()) {
    fresh = Entry::Reshape(loaded, cold->key(), cold->expire_at(), 0);
    Entry::Free(loaded, /*keep_object=*/true);
  }
  fresh->lsn = cold->lsn;
  // Not an access of its own: the command that needs the value touches it when it runs
  // (unless its client is CLIENT NO-TOUCH), and until then the server keeps the value
  // from being demoted again (Shard::PinResident, or no demotion pass in between).
  fresh->access = cold->access;
  fresh->flags = static_cast<uint8_t>(fresh->flags & ~Entry::kCold);
  ReplaceAt(dict_.FindLink(cold->key(), HashKey(cold->key())), fresh, /*keep_object=*/false,
            /*notify=*/false);
  return fresh;
}

Entry* Db::Demote(Entry* entry, uint64_t resident_bytes) {
  Entry* cold = Entry::NewCold(*entry, resident_bytes);
  // Nothing changes for a reader or a round: the same state, its value elsewhere.
  ReplaceAt(dict_.FindLink(entry->key(), HashKey(entry->key())), cold, /*keep_object=*/false,
            /*notify=*/false);
  return cold;
}

Entry* Db::ResidentForChange(Entry* entry) {
  // A point-in-time round keeps the pre-change state of what it has not written yet,
  // value included, so a cold entry comes back first (the rare case of a cold key whose
  // metadata changed before the round and changes again during it).
  if (entry->is_cold() && shard_->ChangeKeepsState(index_, *entry)) {
    Entry* loaded = Load(entry);
    if (loaded != nullptr) return loaded;
  }
  return entry;
}

void Db::DeleteExpired(Entry* entry) {
  std::string key(entry->key());
  shard_->NoteExpired(index_, key);
  Delete(key, FreeReason::kExpire);
}

void Db::Set(Entry* fresh) {
  const uint64_t hash = HashKey(fresh->key());
  Entry** link = dict_.FindLink(fresh->key(), hash);
  if (link == nullptr) {
    if (fresh->has_expire()) TrackVolatile(fresh);
    if (fresh->is_cold()) ++cold_count_;
    dict_.Insert(fresh, hash);
    return;
  }
  ReplaceAt(link, fresh, false);
}

void Db::Relink(Entry* old, Entry* fresh, bool keep_object) {
  ReplaceAt(dict_.FindLink(old->key(), HashKey(old->key())), fresh, keep_object);
}

void Db::ReplaceAt(Entry** link, Entry* fresh, bool keep_object, bool notify) {
  if (notify && (*link)->is_cold() && shard_->ChangeKeepsState(index_, **link)) {
    const std::string key((*link)->key());
    ResidentForChange(*link);
    link = dict_.FindLink(key, HashKey(key));
  }
  Entry* old = *link;
  if (notify) shard_->BeforeEntryChange(index_, *old);
  fresh->next = old->next;
  fresh->flags |= old->flags & kSlotMarks;
  *link = fresh;
  cold_count_ += static_cast<size_t>(fresh->is_cold()) - static_cast<size_t>(old->is_cold());
  if (old->has_expire() && fresh->has_expire()) {
    const uint32_t index = old->expire_block()->volatile_index;
    fresh->expire_block()->volatile_index = index;
    volatile_[index] = fresh;
  } else {
    if (old->has_expire()) UntrackVolatile(old);
    if (fresh->has_expire()) TrackVolatile(fresh);
  }
  if (keep_object) {
    Entry::Free(old, /*keep_object=*/true);
  } else {
    FreeEntry(old, FreeReason::kServerDel);  // an overwrite
  }
}

void Db::FreeEntry(Entry* entry, FreeReason reason) {
  if (!LazyFreer::ShouldDefer(*entry, reason, shard_->options().lazy_free)) return Entry::Free(entry);
  std::unique_ptr<ValueObject> object(entry->object());
  Entry::Free(entry, /*keep_object=*/true);
  shard_->lazy_free().FreeObject(std::move(object));
}

Entry* Db::Unlink(std::string_view key) {
  if (Entry* present = Peek(key); present != nullptr && present->is_cold()) ResidentForChange(present);
  Entry* entry = dict_.Remove(key, HashKey(key));
  if (entry == nullptr) return nullptr;
  if (entry->is_cold()) --cold_count_;
  shard_->BeforeEntryChange(index_, *entry);  // still as it was: only the table let it go
  if (entry->has_expire()) UntrackVolatile(entry);
  if (entry->flags & Entry::kInTier) shard_->changes().NoteTierCopyLeft(index_, key);
  entry->flags &= static_cast<uint8_t>(~kSlotMarks);
  return entry;
}

bool Db::Delete(std::string_view key, FreeReason reason) {
  Entry* entry = Unlink(key);
  if (entry == nullptr) return false;
  FreeEntry(entry, reason);
  return true;
}

Entry* Db::SetExpire(Entry* entry, int64_t expire_at_ms) {
  if (expire_at_ms != kNoExpire && entry->has_expire()) {
    entry->expire_block()->expire_at_ms = expire_at_ms;
    return entry;
  }
  if (expire_at_ms == kNoExpire && !entry->has_expire()) return entry;
  Entry* fresh = Entry::Reshape(entry, entry->key(), expire_at_ms, 0);
  Relink(entry, fresh, /*keep_object=*/true);
  return fresh;
}

Entry* Db::ReserveString(Entry* entry, size_t capacity) {
  if (entry->value_capacity() >= capacity) return entry;
  // Grow geometrically, as Redis's sdsMakeRoomFor, so repeated APPENDs are amortised.
  constexpr size_t kMaxPrealloc = 1024 * 1024;
  const size_t grown = capacity < kMaxPrealloc ? capacity * 2 : capacity + kMaxPrealloc;
  Entry* fresh = Entry::Reshape(entry, entry->key(), entry->expire_at(), grown);
  Relink(entry, fresh, /*keep_object=*/false);
  return fresh;
}

Entry* Db::RandomVolatileEntry(std::mt19937_64& rng) const {
  if (volatile_.empty()) return nullptr;
  return volatile_[rng() % volatile_.size()];
}

void Db::Clear(bool lazy) {
  if (lazy && dict_.size() > 0) {
    shard_->lazy_free().FreeDict(std::move(dict_));  // leaves dict_ empty
  } else {
    dict_.Clear([](Entry* e) { Entry::Free(e); });
  }
  volatile_.clear();
  volatile_.shrink_to_fit();
  cold_count_ = 0;
}

void Db::Swap(Db& other) {
  std::swap(dict_, other.dict_);
  std::swap(volatile_, other.volatile_);
  std::swap(cold_count_, other.cold_count_);
}

size_t Db::MakeResidentWhere(const std::function<bool(const Entry&)>& wanted) {
  if (cold_count_ == 0) return 0;
  std::vector<std::string> cold_keys;
  dict_.ForEach([&](Entry* entry) {
    if (entry->is_cold() && wanted(*entry)) cold_keys.emplace_back(entry->key());
  });
  size_t loaded = 0;
  for (const std::string& key : cold_keys) {
    Entry* entry = Peek(key);
    if (entry != nullptr && entry->is_cold() && Load(entry) != nullptr) ++loaded;
  }
  return loaded;
}

std::pair<size_t, size_t> Db::ExpireSample(size_t max_checks, int64_t now_ms, std::mt19937_64& rng) {
  size_t checked = 0;
  size_t expired = 0;
  while (checked < max_checks && !volatile_.empty()) {
    Entry* entry = volatile_[rng() % volatile_.size()];
    ++checked;
    if (entry->expire_at() <= now_ms) {
      DeleteExpired(entry);
      ++expired;
    }
  }
  return {checked, expired};
}

void Db::TrackVolatile(Entry* entry) {
  entry->expire_block()->volatile_index = static_cast<uint32_t>(volatile_.size());
  volatile_.push_back(entry);
}

void Db::UntrackVolatile(Entry* entry) {
  const uint32_t index = entry->expire_block()->volatile_index;
  Entry* last = volatile_.back();
  volatile_[index] = last;
  last->expire_block()->volatile_index = index;
  volatile_.pop_back();
}

}  // namespace tierkv
