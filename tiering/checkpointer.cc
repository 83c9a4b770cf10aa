#include "tiering/checkpointer.h"

#include <chrono>
#include <limits>
#include <memory>

#include "engine/heap_bytes.h"
#include "tiering/entry_codec.h"

namespace tierkv {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

// Frees the values' bytes of a batch written (or failed): on the I/O pool rather than on the
// engine thread, which keeps the batch for its keys until the next slice and would otherwise
// pay for freeing a huge value there.
void FreeValues(TierBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch.ops()[i].kind == TierBatch::Kind::kPut) std::string().swap(batch.put_entry(i).value);
  }
}

int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Checkpointer::Checkpointer(Shard& shard, Tier& tier, TierIoPool& pool, CheckpointerOptions options)
    : shard_(shard), tier_(tier), pool_(pool), options_(std::move(options)), values_(options_.value_step_bytes) {}

Checkpointer::~Checkpointer() {
  if (in_progress_) shard_.set_pre_change_hook(nullptr);
  StopKeeping();
}

bool Checkpointer::Start(Done done, bool point_in_time) {
  if (in_progress_) return false;
  in_progress_ = true;
  done_ = std::move(done);
  round_lsn_ = shard_.last_lsn();
  round_server_state_ = shard_.server_state();
  items_ = shard_.changes().TakeDirty();
  items_dropped_ = 0;
  CountListBytes();
  // The swaps first, every other item naming its db as of S: the first slice carries
  // them all, and what follows is written where the tier has the db after them.
  const std::vector<int> moved = PutSwapsFirst(items_);
  tombstones_.MoveDbs(moved);  // written before these swaps
  last_erase_of_db_.assign(static_cast<size_t>(shard_.db_count()), kNone);
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].kind == DirtyItem::Kind::kEraseDb) last_erase_of_db_[static_cast<size_t>(items_[i].db)] = i;
  }
  next_item_ = 0;
  scanning_ = round_scans_ = shard_.changes().TakeScanNeeded();
  scan_db_ = 0;
  scan_cursor_ = 0;
  result_ = CheckpointResult{};
  result_.lsn = round_lsn_;
  started_ms_ = SteadyMs();
  shard_.set_pre_change_hook(&values_);
  if (point_in_time) KeepStatesFrom(round_lsn_);
  NextSlice();
  return true;
}

void Checkpointer::KeepStatesFrom(uint64_t lsn) {
  if (!in_progress_ || snapshot_ != nullptr) return;
  std::vector<bool> erased_dbs(last_erase_of_db_.size());
  for (size_t db = 0; db < erased_dbs.size(); ++db) erased_dbs[db] = last_erase_of_db_[db] != kNone;
  snapshot_ = std::make_unique<RoundSnapshot>(shard_, lsn, std::move(erased_dbs));
  // Items in a slice in flight may be kept again: their tombstones are only written twice.
  for (size_t i = next_item_; i < ItemsEnd(); ++i) {
    const DirtyItem& item = Item(i);
    if (item.kind != DirtyItem::Kind::kKey || Superseded(item, i)) continue;
    if (item.owes_tombstone && shard_.db(item.db).Peek(item.key) == nullptr) {
      snapshot_->KeepAbsent(static_cast<uint32_t>(item.db), item.key);
    }
  }
  values_.set_next_hook(snapshot_.get());
}

void Checkpointer::CountListBytes() {
  list_bytes_ = items_.capacity() * sizeof(DirtyItem);
  for (const DirtyItem& item : items_) list_bytes_ += StringHeapBytes(item.key);
}

void Checkpointer::DropWrittenItems() {
  const size_t written = next_item_ - items_dropped_;
  if (written < 1024 || written < items_.size() / 2) return;
  items_.erase(items_.begin(), items_.begin() + static_cast<ptrdiff_t>(written));
  items_.shrink_to_fit();
  items_dropped_ = next_item_;
  CountListBytes();
}

void Checkpointer::AddTombstones(std::vector<TombstoneRef> tombstones) {
  for (const TombstoneRef& tombstone : tombstones) tombstones_.Add(tombstone);
}

// A key item before the last erase of its db is moot: the erase wipes whatever it wrote,
// and the key's state after the erase is queued behind it.
bool Checkpointer::Superseded(const DirtyItem& item, size_t index) const {
  const size_t last_erase = last_erase_of_db_[static_cast<size_t>(item.db)];
  return last_erase != kNone && index < last_erase;
}

void Checkpointer::NoteLatency(const char* event, int64_t started_ms) const {
  if (options_.on_latency) options_.on_latency(event, static_cast<uint64_t>(SteadyMs() - started_ms));
}

void Checkpointer::NextSlice() {
  if (options_.before_slice) options_.before_slice(next_item_);
  const int64_t started = SteadyMs();
  batch_ = std::make_shared<TierBatch>();
  slice_bytes_ = 0;
  slice_keys_ = 0;
  slice_end_ = next_item_;
  if (snapshot_ != nullptr) AddPendingKept(*batch_, slice_bytes_, slice_keys_);
  FillSlice();
  NoteLatency("checkpoint-slice", started);
}

void Checkpointer::FillSlice() {
  TierBatch& batch = *batch_;
  slice_bytes_ += CollectEncoded();  // values finished since the last call
  // Swaps do not count against the slice's limits: they all go in the first one, so a
  // failed slice gives back either all of them or none. A value still being serialized
  // stops the slice until it is done (ContinueValues).
  for (; slice_end_ < ItemsEnd() && !values_.busy() &&
         (Item(slice_end_).kind == DirtyItem::Kind::kSwapDb || !Full(batch, slice_bytes_));
       ++slice_end_) {
    const DirtyItem& item = Item(slice_end_);
    const auto db = static_cast<uint32_t>(item.db);
    if (item.kind == DirtyItem::Kind::kEraseDb) {
      batch.EraseDb(db);
      continue;
    }
    if (item.kind == DirtyItem::Kind::kSwapDb) {
      batch.SwapDb(db, static_cast<uint32_t>(item.other_db));
      continue;
    }
    if (Superseded(item, slice_end_)) continue;
    // The key as of now, in the db that holds what `item.db` held at S (a SWAPDB since
    // may have moved it); written under item.db, where the tier has it after this round.
    Entry* entry = shard_.db(CurrentDb(db)).Peek(item.key);
    if (AddOwed(db, item.key, entry, item.owes_tombstone, batch, slice_bytes_)) ++slice_keys_;
  }
  if (!values_.busy() && slice_end_ == ItemsEnd() && scanning_ && !Full(batch, slice_bytes_)) {
    scanning_ = ScanInto(batch, slice_bytes_, slice_keys_);
  }
  if (values_.busy()) {
    // Other clients run before the next step.
    options_.post_to_engine([this] { ContinueValues(); });
    return;
  }
  if (batch.empty() && slice_end_ == ItemsEnd() && !scanning_) {
    next_item_ = slice_end_;
    Finish();
    return;
  }
  WriteSlice();
}

void Checkpointer::ContinueValues() {
  const int64_t started = SteadyMs();
  values_.Step();
  if (values_.busy()) {
    options_.post_to_engine([this] { ContinueValues(); });
  } else {
    FillSlice();
  }
  NoteLatency("checkpoint-slice", started);
}

size_t Checkpointer::CollectEncoded() {
  size_t bytes = 0;
  for (SlicedValues::Encoded& value : values_.TakeEncoded()) {
    bytes += value.pieces.size();
    encoded_.push_back(std::move(value));
  }
  return bytes;
}

void Checkpointer::WriteSlice() {
  std::shared_ptr<TierBatch> batch = std::move(batch_);
  auto encoded = std::make_shared<std::vector<SlicedValues::Encoded>>(std::exchange(encoded_, {}));
  in_flight_ = batch;
  in_flight_bytes_ = slice_bytes_ + batch->size() * sizeof(TierBatch::Op);
  const uint64_t durable_needed = shard_.last_lsn();
  // A point-in-time round stages its batches: without a journal nothing would complete
  // or undo a part of the round that RocksDB flushed before the commit.
  const bool staged = snapshot_ != nullptr;
  if (staged) stage_open_ = true;
  pool_.Submit([this, batch, encoded, durable_needed, index = slice_end_, keys = slice_keys_, bytes = slice_bytes_,
                staged] {
    // As stored: a string set aside was counted by its raw bytes.
    const int64_t size_change = SlicedValues::Assemble(*encoded, *batch);
    const auto written_bytes = static_cast<uint64_t>(static_cast<int64_t>(bytes) + size_change);
    const int64_t started = SteadyMs();
    Status status = options_.make_journal_durable ? options_.make_journal_durable(durable_needed) : Status::Ok();
    if (status.ok()) status = staged ? tier_.WriteStaged(*batch) : tier_.Write(*batch);
    NoteLatency("checkpoint-write", started);
    FreeValues(*batch);
    options_.post_to_engine(
        [this, status, index, keys, written_bytes] { OnSliceWritten(status, index, keys, written_bytes, stage_open_); });
  });
}

bool Checkpointer::AddOwed(uint32_t db, std::string_view key, Entry* entry, bool owes_tombstone, TierBatch& batch,
                           size_t& bytes) {
  if (snapshot_ != nullptr) {
    TierEntry kept;
    switch (snapshot_->Take(db, key, kept)) {
      case RoundSnapshot::Kept::kWritten:
        return false;
      case RoundSnapshot::Kept::kState:
        bytes += AddKept(std::move(kept), entry, batch);
        return true;
      case RoundSnapshot::Kept::kNone:
        break;
    }
    // Nothing kept: an owed key absent at the start was kept as a tombstone then, and an
    // owed entry was kept before it changed, so one changed since is not this round's.
    if (entry == nullptr || entry->lsn > snapshot_->start_lsn()) return false;
  } else if (entry == nullptr) {
    if (!owes_tombstone) return false;  // the tier never held it
    // Stamped with the newest LSN: no record before it can bring the key back.
    TierEntry tombstone = TombstoneToTier(db, key, shard_.last_lsn());
    tombstones_.Add(db, key, tombstone.lsn);
    bytes += key.size();
    batch.Put(std::move(tombstone));
    return true;
  }
  // Written already in this round and not changed since (a duplicate item). The mark
  // cannot say so in a db this round erases: the previous round, still running when the
  // flush or swap queued that erase, may have written the key created after it and
  // cleared the mark, and the erase wipes that copy. There every item after the erase is
  // written (a duplicate twice, which is only redundant).
  const bool db_erased_this_round = last_erase_of_db_[db] != kNone;
  if (!(entry->flags & Entry::kDirty) && !db_erased_this_round) return false;
  bytes += AddEntry(db, entry, db_erased_this_round, batch);
  return true;
}

size_t Checkpointer::AddKept(TierEntry state, Entry* current, TierBatch& batch) {
  if (current != nullptr && current->lsn <= snapshot_->start_lsn()) {
    // Unchanged since the start (kept by a lookup that only read it): now written.
    current->flags &= static_cast<uint8_t>(~Entry::kDirty);
  } else if (current != nullptr && (current->flags & Entry::kDirty)) {
    // Changed since: its commit found it marked and queued nothing, so queue it for the
    // next round here.
    shard_.changes().QueueDirty({.kind = DirtyItem::Kind::kKey, .db = CurrentDb(state.db), .key = state.key});
  }
  if (state.tombstone) {
    tombstones_.Add(state.db, state.key, state.lsn);
  } else if (current != nullptr) {
    current->flags |= Entry::kInTier;  // the tier now holds a state of its key
  } else {
    // Gone since the start, before the tier held it, so its removal owed nothing; now the
    // tier will hold its kept state, which the next round must tombstone.
    shard_.changes().QueueDirty(
        {.kind = DirtyItem::Kind::kKey, .db = CurrentDb(state.db), .key = state.key, .owes_tombstone = true});
  }
  const size_t bytes = state.key.size() + state.value.size();
  batch.Put(std::move(state));
  return bytes;
}

void Checkpointer::AddPendingKept(TierBatch& batch, size_t& bytes, uint64_t& keys) {
  // An erase still to be written would wipe a state written before it.
  auto no_erase_left = [this](uint32_t db) {
    const size_t last_erase = last_erase_of_db_[db];
    return last_erase == kNone || last_erase < next_item_;
  };
  snapshot_->TakePending(no_erase_left, [&](TierEntry&& state) {
    const uint32_t db = state.db;
    Entry* current = shard_.db(CurrentDb(db)).Peek(state.key);
    bytes += AddKept(std::move(state), current, batch);
    ++keys;
    return !Full(batch, bytes);
  });
}

void Checkpointer::StopKeeping() {
  if (snapshot_ == nullptr) return;
  values_.set_next_hook(nullptr);
  snapshot_.reset();
}

size_t Checkpointer::AddEntry(uint32_t db, Entry* entry, bool db_erased, TierBatch& batch) {
  // The tier has the value already unless this round erases the db first.
  const bool metadata_only = (entry->flags & Entry::kTierValueCurrent) && !db_erased;
  // From here on the key's removal owes the tier a tombstone (also if this batch fails:
  // an extra tombstone is harmless, a missing one would bring the key back).
  entry->flags = static_cast<uint8_t>((entry->flags & ~Entry::kDirty) | Entry::kTierValueCurrent | Entry::kInTier);
  if (metadata_only) {
    batch.SetMetadata(db, std::string(entry->key()), entry->lsn, entry->expire_at());
    return entry->key().size();
  }
  // The value's bytes are filled in when its serialization is done (SlicedValues): its
  // LSN and expiry are those it has now, and the value cannot change before then.
  // Until the batch has landed the tier may not hold this value: it must stay in DRAM.
  entry->flags |= Entry::kWriteInFlight;
  TierEntry stored = EntryMetadataToTier(db, *entry);
  const size_t key_bytes = stored.key.size();
  batch.Put(std::move(stored));
  values_.Start(*entry, batch.size() - 1);
  return key_bytes + CollectEncoded();
}

bool Checkpointer::ScanInto(TierBatch& batch, size_t& bytes, uint64_t& keys) {
  while (scan_db_ < shard_.db_count()) {
    Db& db = shard_.db(shard_.changes().CurrentDbOf(scan_db_));  // scan_db_ names the db as of S
    const bool erased = last_erase_of_db_[static_cast<size_t>(scan_db_)] != kNone;
    const auto db_index = static_cast<uint32_t>(scan_db_);
    do {
      scan_cursor_ = db.ScanForUpdate(scan_cursor_, [&](Entry* entry) {
        if (!(entry->flags & Entry::kDirty) && !erased) return;
        if (AddOwed(db_index, entry->key(), entry, /*owes_tombstone=*/false, batch, bytes)) ++keys;
      });
      if (Full(batch, bytes) || values_.busy()) {
        if (scan_cursor_ == 0) ++scan_db_;
        return scan_db_ < shard_.db_count();
      }
    } while (scan_cursor_ != 0);
    ++scan_db_;
  }
  return false;
}

void Checkpointer::OnSliceWritten(const Status& status, size_t slice_end, uint64_t keys, uint64_t bytes,
                                  bool staged) {
  for (const TierBatch::Op& op : in_flight_->ops()) {
    if (op.kind != TierBatch::Kind::kPut || op.entry.tombstone) continue;
    const int db = shard_.changes().CurrentDbOf(static_cast<int>(op.entry.db));
    Entry* entry = shard_.db(db).Peek(op.entry.key);
    if (entry == nullptr) continue;
    if (status.ok() && staged) {
      // In the stage, which no read sees before the commit: demoted now, the value would
      // be read from the last commit, which does not hold it (or holds an older state).
      NoteStagedValue(db, op.entry.key);
    } else {
      entry->flags &= static_cast<uint8_t>(~Entry::kWriteInFlight);
    }
  }
  if (!status.ok()) {
    // The tier may not hold the values this slice carried.
    for (const TierBatch::Op& op : in_flight_->ops()) {
      if (op.kind != TierBatch::Kind::kPut || op.entry.tombstone) continue;
      const int db = shard_.changes().CurrentDbOf(static_cast<int>(op.entry.db));
      if (Entry* entry = shard_.db(db).Peek(op.entry.key)) {
        entry->flags &= static_cast<uint8_t>(~Entry::kTierValueCurrent);
      }
    }
    // The failed slice and everything after it go back to the ChangeLog.
    std::vector<DirtyItem> unwritten(std::make_move_iterator(items_.begin() + static_cast<ptrdiff_t>(next_item_ - items_dropped_)),
                                     std::make_move_iterator(items_.end()));
    shard_.changes().GiveBackDirty(shard_, std::move(unwritten));
    // Entries the scan wrote have no item to give back: the failed slice's get their marks
    // again, and the next round scans for them and for those the scan had not reached.
    if (round_scans_) {
      for (const TierBatch::Op& op : in_flight_->ops()) {
        if (op.kind != TierBatch::Kind::kPut || op.entry.tombstone) continue;
        const int db = shard_.changes().CurrentDbOf(static_cast<int>(op.entry.db));
        if (Entry* entry = shard_.db(db).Peek(op.entry.key)) entry->flags |= Entry::kDirty;
      }
      shard_.changes().RequestScan();
    }
    CheckpointResult failed = result_;
    failed.status = status;
    End(std::move(failed));
    return;
  }
  shard_.NoteValuesClean();  // the slice's values may leave DRAM now
  next_item_ = slice_end;
  DropWrittenItems();
  result_.keys += keys;
  result_.bytes += bytes;
  NextSlice();
}

void Checkpointer::Finish() {
  // Every state the round owes is in the tier: later changes belong to the next round.
  if (snapshot_ != nullptr) result_.kept_peak_bytes = snapshot_->peak_bytes();
  StopKeeping();
  // Tombstones at or below S: every journal record that could need them is covered.
  auto purge = std::make_shared<TombstoneList>(tombstones_.TakeUpTo(round_lsn_));
  purging_bytes_ = purge->memory_bytes();
  const uint64_t lsn = round_lsn_;
  pool_.Submit([this, lsn, purge, state = std::move(round_server_state_)]() mutable {
    tier_.SetServerState(std::move(state));
    Status status = tier_.Commit(lsn);
    if (status.ok()) {
      if (options_.drop_journal_below) options_.drop_journal_below(lsn);
      // Purge only what is still that tombstone: a later round may have written the key
      // again. Losing a purge to a crash only leaves a tombstone behind for the next round.
      // In batches of a slice's key count: one batch of every tombstone (a round's length
      // of evictions in a cache) took DRAM by the tens of megabytes all at once.
      TierBatch erase;
      purge->ForEach([&](uint32_t db, std::string_view key, uint64_t tombstone_lsn) {
        auto stored = tier_.Get(db, key);
        if (stored.ok() && stored->has_value() && (*stored)->tombstone && (*stored)->lsn == tombstone_lsn) {
          erase.Erase(db, std::string(key));
        }
        if (erase.size() >= options_.batch_keys) {
          (void)tier_.Write(erase);
          erase = TierBatch();
        }
      });
      if (!erase.empty()) (void)tier_.Write(erase);
    }
    options_.post_to_engine([this, status, purge] {
      purging_bytes_ = 0;
      if (status.ok()) StagedValuesReadable();
      if (!status.ok()) {
        // Nothing is lost: the entries are in the tier, just not yet declared durable.
        // The next round's commit covers them; its tombstones come back for purging.
        tombstones_.Append(*purge);
      }
      CheckpointResult finished = result_;
      finished.status = status;
      End(std::move(finished));
    });
  });
}

void Checkpointer::NoteStagedValue(int db, std::string_view key) {
  staged_values_bytes_ += sizeof(staged_values_.front()) + key.size();
  staged_values_.emplace_back(db, std::string(key));
}

void Checkpointer::StagedValuesReadable() {
  stage_open_ = false;
  // By name: an entry of that name that is not the one written has no batch in flight
  // (none is, between rounds), so clearing its mark changes nothing.
  for (const auto& [db, key] : staged_values_) {
    if (Entry* entry = shard_.db(db).Peek(key)) entry->flags &= static_cast<uint8_t>(~Entry::kWriteInFlight);
  }
  staged_values_ = {};
  staged_values_bytes_ = 0;
  shard_.NoteValuesClean();
}

void Checkpointer::End(CheckpointResult result) {
  result.duration_ms = SteadyMs() - started_ms_;
  if (snapshot_ != nullptr) result.kept_peak_bytes = snapshot_->peak_bytes();
  StopKeeping();
  shard_.set_pre_change_hook(nullptr);
  in_progress_ = false;
  in_flight_.reset();
  in_flight_bytes_ = 0;
  items_ = {};
  items_dropped_ = 0;
  list_bytes_ = 0;
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(result);
}

}  // namespace tierkv
