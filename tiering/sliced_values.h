// SlicedValues: the values a checkpoint slice serializes a bounded step at a time, so that
// one huge value never holds the engine thread for longer than a step (docs/ARCHITECTURE.md,
// "Checkpoint rounds").
//
// The checkpointer starts a value's encoding where its slice reaches the key (the value's
// Put is already in the batch, its bytes still empty), runs one step, and if the value is
// not done, lets other commands run and steps again from a task it posts to the engine
// thread. The slice is written once every value it started is done.
//
// Between steps the value must not change: the encoding holds positions into it
// (engine/rdb/rdb_value_cursor.h). This is the round's pre-change hook (engine/
// pre_change_hook.h), told before every lookup, replacement or removal of an entry and
// before a db is emptied or swapped: it finishes the encoding of that entry (of every
// entry, for a db change) at once, then passes the call on to the next hook (a
// point-in-time round's RoundSnapshot). So the encoded state is the one the entry had when
// its encoding started, with the LSN written beside it, and it is never lost or mixed with
// a later one. The price is today's stall, paid only by a command that looks up the very
// key being encoded (a lookup cannot tell a read from a write, so a read pays it too).
//
// A value's strings of at least a step's size are copied in steps and encoded with the
// rest of its pieces on the tier I/O pool (Assemble): LZF over one huge string cannot be
// cut into steps.
//
// Thread-safety: engine thread only, except Assemble (the I/O pool, on a batch the
// engine no longer touches).
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <utility>
#include <vector>

#include "engine/pre_change_hook.h"
#include "engine/rdb/rdb_value_cursor.h"
#include "tiering/tier.h"

namespace tierkv {

class SlicedValues final : public PreChangeHook {
 public:
  // A value encoded, waiting to be assembled into its Put.
  struct Encoded {
    size_t op_index = 0;
    RdbEncodedPieces pieces;
  };

  explicit SlicedValues(size_t step_bytes) : step_bytes_(step_bytes) {}

  // Calls go on to `next` (nullptr: none) after this hook has done its part.
  void set_next_hook(PreChangeHook* next) { next_ = next; }

  // Starts encoding `entry` (in db `db`) for the Put at `op_index` of the slice's batch
  // and takes its first step; true if it is done already.
  bool Start(const Entry& entry, size_t op_index);
  // A value is still being encoded: the slice must wait for it.
  bool busy() const { return !in_progress_.empty(); }
  // One step of the value started first.
  void Step();
  // Finishes every value now.
  void FinishAll();
  // The values encoded since the last call, for the batch they belong to.
  std::vector<Encoded> TakeEncoded() { return std::exchange(encoded_, {}); }

  // Any thread: the encoded values' bytes into their Puts in `batch`. Returns how many
  // bytes that changes the values' count by (RdbEncodedPieces::size() counted a string
  // set aside by its raw bytes; its encoding may be shorter, or a few bytes longer).
  static int64_t Assemble(std::vector<Encoded>& encoded, TierBatch& batch);

  // --- PreChangeHook ---
  void BeforeEntryChange(int db, const Entry& entry) override;
  bool KeepsState(int db, const Entry& entry) const override;
  void BeforeDbChange(int db) override;

 private:
  struct InProgress {
    const Entry* entry;
    size_t op_index;
    std::unique_ptr<RdbSteppedEncoder> encoder;  // holds a sink that must not move
  };
  void Done(std::list<InProgress>::iterator value);

  const size_t step_bytes_;
  PreChangeHook* next_ = nullptr;
  std::list<InProgress> in_progress_;  // in the order started
  std::vector<Encoded> encoded_;
};

}  // namespace tierkv
