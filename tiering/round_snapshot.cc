#include "tiering/round_snapshot.h"

#include <algorithm>
#include <utility>

#include "tiering/entry_codec.h"

namespace tierkv {
namespace {

// A table node and its slot in order_, beyond the strings' own bytes.
constexpr size_t kKeptOverhead = 64 + sizeof(TierEntry) + sizeof(void*);

size_t StateBytes(const TierEntry& state) { return state.key.capacity() + state.value.capacity(); }

}  // namespace

std::string RoundSnapshot::TableKey(uint32_t db, std::string_view key) {
  std::string table_key(reinterpret_cast<const char*>(&db), sizeof(db));
  table_key.append(key);
  return table_key;
}

void RoundSnapshot::KeepAbsent(uint32_t db, std::string_view key) {
  std::string table_key = TableKey(db, key);
  if (kept_.contains(table_key)) return;
  Keep(std::move(table_key), TombstoneToTier(db, key, start_lsn_));
}

void RoundSnapshot::BeforeEntryChange(int db, const Entry& entry) {
  if (!Owes(db, entry)) return;
  std::string table_key = TableKey(static_cast<uint32_t>(db), entry.key());
  if (kept_.contains(table_key)) return;
  Keep(std::move(table_key), EntryToTier(static_cast<uint32_t>(db), entry));
}

bool RoundSnapshot::KeepsState(int db, const Entry& entry) const {
  return Owes(db, entry) && !kept_.contains(TableKey(static_cast<uint32_t>(db), entry.key()));
}

void RoundSnapshot::BeforeDbChange(int db) {
  shard_.db(db).ForEach([&](Entry* entry) { BeforeEntryChange(db, *entry); });
}

void RoundSnapshot::Keep(std::string table_key, TierEntry state) {
  held_bytes_ += kKeptOverhead + table_key.capacity() + StateBytes(state);
  peak_bytes_ = std::max(peak_bytes_, held_bytes_);
  auto [it, inserted] = kept_.emplace(std::move(table_key), KeptState{false, std::move(state)});
  order_.push_back(&*it);
  ++pending_;
}

TierEntry RoundSnapshot::HandOver(Table::value_type& kept) {
  held_bytes_ -= StateBytes(kept.second.state);
  TierEntry state = std::move(kept.second.state);
  kept.second.state = TierEntry{};
  kept.second.written = true;
  --pending_;
  return state;
}

RoundSnapshot::Kept RoundSnapshot::Take(uint32_t db, std::string_view key, TierEntry& state) {
  auto it = kept_.find(TableKey(db, key));
  if (it == kept_.end()) return Kept::kNone;
  if (it->second.written) return Kept::kWritten;
  state = HandOver(*it);
  return Kept::kState;
}

void RoundSnapshot::TakePending(const std::function<bool(uint32_t db)>& may_write,
                                const std::function<bool(TierEntry&&)>& write) {
  bool all_before_written = true;
  for (size_t i = next_in_order_; i < order_.size(); ++i) {
    Table::value_type& kept = *order_[i];
    if (!kept.second.written) {
      if (!may_write(kept.second.state.db)) {
        all_before_written = false;
        continue;
      }
      const bool more = write(HandOver(kept));
      if (all_before_written) next_in_order_ = i + 1;
      if (!more) return;
      continue;
    }
    if (all_before_written) next_in_order_ = i + 1;
  }
}

}  // namespace tierkv
