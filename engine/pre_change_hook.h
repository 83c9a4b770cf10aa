// PreChangeHook: told before the keyspace changes, for a checkpoint round: it finishes
// serializing a value it serializes in steps before the value changes
// (tiering/sliced_values.h), and a point-in-time round keeps the state of an entry it
// still owes (tiering/round_snapshot.h).
//
// The Shard calls it, when one is set, from the few points every change passes before it
// applies: a lookup that finds a live entry (Db::Find: writes look their key up first,
// and change the entry in place afterwards), an entry leaving its key (Db::Unlink: DEL,
// expiry, eviction, RENAME, MOVE), an entry replaced by another (Db::ReplaceAt: SET over
// an existing key), and a whole db emptied or swapped (Shard::FlushDb, FlushAll, SwapDb).
// A lookup cannot tell a read from a write, so reads call it too.
//
// Thread-safety: engine thread only.
#pragma once

#include "engine/entry.h"

namespace tierkv {

class PreChangeHook {
 public:
  virtual ~PreChangeHook() = default;
  // `entry`, in `db`, may be about to change, be replaced or leave the keyspace.
  virtual void BeforeEntryChange(int db, const Entry& entry) = 0;
  // Whether BeforeEntryChange would keep `entry`'s state, value included: a cold entry
  // (engine/cold_values.h) is then brought back to DRAM first.
  virtual bool KeepsState(int db, const Entry& entry) const = 0;
  // Every entry of `db` is about to leave it (FLUSHDB, FLUSHALL, SWAPDB).
  virtual void BeforeDbChange(int db) = 0;
};

}  // namespace tierkv
