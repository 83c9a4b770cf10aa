// RoundSnapshot: what a point-in-time checkpoint round needs to write the keyspace as it
// was at its start S, without a fork and without copying the dataset.
//
// Without a journal the tier is the only durable copy, so a round that wrote each key as
// it is when its slice runs could leave half of an MSET or a MULTI/EXEC in the tier (the
// keys are written in slices, and commands run in between). With a journal it need not:
// the write-ahead rule puts every record a written state includes in the journal first,
// and recovery replays the records above the checkpoint onto each key, so a state newer
// than S is completed by replay (docs/ARCHITECTURE.md, "Checkpoint rounds").
//
// The round owes the keys dirty at S, and every key of a db it erases (there a key may be
// clean: a round that wrote it with a journal on, before this one, cleared its mark). An
// owed entry (last changed at or before S) that is about to change, to be replaced or to leave the keyspace is kept as
// it is first: this hook serializes it (PreChangeHook, told by the Shard before every
// change), and the round writes that state instead of the current one. A key absent at S
// that the round owes (a deleted key) is kept as a tombstone at the round's start, so
// that recreating it during the round does not reach the tier. A kept state that has been
// written stays as a marker (its key only) until the round ends, so that a second item
// for the key does not write a newer state.
//
// Cost: nothing for entries the round has written or never owed; a lookup of an owed key
// serializes it once (work the round would do anyway: it then writes the kept bytes). The
// kept states are the DRAM a round adds beyond its batch; the checkpointer writes them
// with every slice, so they live about one slice, and they count as memory not counted
// for eviction (Shard::MemoryNotCountedForEvict), as the journal's pending records do.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/pre_change_hook.h"
#include "engine/shard.h"
#include "tiering/tier.h"

namespace tierkv {

class RoundSnapshot final : public PreChangeHook {
 public:
  // `erased_dbs[db]`: the round erases db (and then writes each of its keys).
  RoundSnapshot(Shard& shard, uint64_t start_lsn, std::vector<bool> erased_dbs)
      : shard_(shard), start_lsn_(start_lsn), erased_dbs_(std::move(erased_dbs)) {}

  uint64_t start_lsn() const { return start_lsn_; }
  // The round owes `entry` (in `db`) and it has not changed since the round started. A key
  // of an erased db that the round has written already is kept again if looked up: it is
  // only written twice.
  bool Owes(int db, const Entry& entry) const {
    return entry.lsn <= start_lsn_ && ((entry.flags & Entry::kDirty) || erased_dbs_[static_cast<size_t>(db)]);
  }
  // The round owes the absence of (db, key) at its start: keeps a tombstone for it.
  void KeepAbsent(uint32_t db, std::string_view key);

  enum class Kept : uint8_t {
    kNone,     // nothing kept: the key's current state is its state at the start, if owed
    kWritten,  // the kept state has been written already
    kState,    // `state` is the key's state at the start, to write now
  };
  // The kept state of (db, key), handed over for writing (it becomes kWritten).
  Kept Take(uint32_t db, std::string_view key, TierEntry& state);
  // Hands over kept states not yet written, oldest first, whose db `may_write` accepts,
  // until `write` returns false (it has taken the one it was given).
  void TakePending(const std::function<bool(uint32_t db)>& may_write, const std::function<bool(TierEntry&&)>& write);
  bool has_pending() const { return pending_ != 0; }
  // DRAM the kept states and markers take (roughly: bytes and allocation overheads).
  size_t held_bytes() const { return held_bytes_; }
  size_t peak_bytes() const { return peak_bytes_; }

  // --- PreChangeHook ---
  void BeforeEntryChange(int db, const Entry& entry) override;
  bool KeepsState(int db, const Entry& entry) const override;
  void BeforeDbChange(int db) override;

 private:
  struct KeptState {
    bool written = false;
    TierEntry state;  // emptied once written
  };
  using Table = std::unordered_map<std::string, KeptState>;
  static std::string TableKey(uint32_t db, std::string_view key);
  void Keep(std::string table_key, TierEntry state);
  // The kept state, for writing; its marker stays.
  TierEntry HandOver(Table::value_type& kept);

  Shard& shard_;
  const uint64_t start_lsn_;
  const std::vector<bool> erased_dbs_;
  Table kept_;
  std::vector<Table::value_type*> order_;  // kept states in the order kept (node pointers stay valid)
  size_t next_in_order_ = 0;               // order_ before this is written
  size_t pending_ = 0;                     // kept states not yet written
  size_t held_bytes_ = 0;
  size_t peak_bytes_ = 0;  // the most held_bytes_ has been
};

}  // namespace tierkv
