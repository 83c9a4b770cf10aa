// Stream nodes: one listpack holding a run of consecutive stream entries, in Redis's
// stream node format byte for byte (t_stream.c), so a stream's RDB form is its nodes
// copied and each entry costs what it costs in Redis.
//
// A node is keyed by its master ID (the ID of the first entry ever added to it) and
// starts with a master entry; each entry follows, delta-encoded against the master:
//
//   master:  <live count> <deleted count> <N master fields> <field 1> ... <field N> <0>
//   entry:   <flags> <ms - master.ms> <seq - master.seq> <N> <f1> <v1> ... <fN> <vN> <lp-count>
//   entry with the master's fields (flag kSameFields):
//            <flags> <ms delta> <seq delta> <v1> ... <vN> <lp-count>
//
// lp-count is the number of elements of the entry before it, so the node can be walked
// backwards; the master's trailing 0 plays that role for the master entry. Deleted
// entries stay in place with kDeleted set until the whole node goes. Deltas are stored
// as int64 of the unsigned difference (the seq delta may be "negative").
//
// Thread-safety: free functions over caller-owned listpacks.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/status.h"
#include "engine/types/listpack.h"
#include "engine/types/stream/stream_id.h"

namespace tierkv::stream_node {

using Pos = Listpack::Pos;

inline constexpr int64_t kFlagNone = 0;
inline constexpr int64_t kFlagDeleted = 1;
inline constexpr int64_t kFlagSameFields = 2;

// An integer element (listpacks keep canonical numbers as integers; a number stored as
// text, which only a foreign writer could produce, is read too: validation checked it).
int64_t ReadInt(const Listpack& lp, Pos pos);

// The master entry.
struct Master {
  int64_t live = 0;
  int64_t deleted = 0;
  int64_t field_count = 0;
  Pos first_field = Listpack::kEnd;  // the first master field (kEnd if none)
  Pos first_entry = Listpack::kEnd;  // flags of the first entry (kEnd if none)
};
Master ReadMaster(const Listpack& lp);

// One entry, read at its flags element.
struct Entry {
  Pos flags_pos = Listpack::kEnd;
  int64_t flags = 0;
  StreamId id;
  int64_t field_count = 0;
  Pos fields = Listpack::kEnd;  // first field (or first value with kSameFields)
  Pos next = Listpack::kEnd;    // flags of the following entry; kEnd after the last

  bool deleted() const { return (flags & kFlagDeleted) != 0; }
  bool same_fields() const { return (flags & kFlagSameFields) != 0; }
};
Entry ReadEntry(const Listpack& lp, const Master& master, StreamId master_id, Pos flags_pos);
// The flags of the last entry / of the entry before the one at `flags_pos`; kEnd if none.
Pos LastEntry(const Listpack& lp);
Pos PreviousEntry(const Listpack& lp, Pos flags_pos);
// The ID of the last entry (deleted or not); the node must hold one.
StreamId LastEntryId(const Listpack& lp, StreamId master_id);

// Calls visit(field, value) for each pair of `entry`. The views are valid during the call.
template <typename Visit>
void ForEachField(const Listpack& lp, const Master& master, const Entry& entry, Visit&& visit) {
  Listpack::IntBuffer field_scratch;
  Listpack::IntBuffer value_scratch;
  Pos master_field = master.first_field;
  Pos pos = entry.fields;
  for (int64_t i = 0; i < entry.field_count; ++i) {
    std::string_view field;
    if (entry.same_fields()) {
      field = lp.Get(master_field, field_scratch);
      master_field = lp.Next(master_field);
    } else {
      field = lp.Get(pos, field_scratch);
      pos = lp.Next(pos);
    }
    const std::string_view value = lp.Get(pos, value_scratch);
    pos = lp.Next(pos);
    visit(field, value);
  }
}

// A new node whose master entry takes the fields of `field_values` (field, value, ...),
// with no entries yet (live count 0; AppendEntry counts the first).
Listpack NewNode(std::span<const std::string_view> field_values);
// Appends an entry with `id` (>= master_id) and bumps the live count.
void AppendEntry(Listpack& lp, StreamId master_id, StreamId id, std::span<const std::string_view> field_values);
// Marks the entry at `flags_pos` deleted and moves it from the live to the deleted count.
// The caller removes the node instead when it held the last live entry.
void MarkDeleted(Listpack& lp, Pos flags_pos);
// Sets the master's counts.
void SetCounts(Listpack& lp, int64_t live, int64_t deleted);

// Checks a node loaded from outside (RDB, RESTORE) in full: the master entry, every
// entry's layout, flags and lp-count, IDs strictly increasing from at least `master_id`,
// counts that match the flags, nothing after the last entry. On success reports the last
// entry's ID and the live count.
struct NodeSummary {
  StreamId last_id;
  int64_t live = 0;
};
Result<NodeSummary> Validate(const Listpack& lp, StreamId master_id);

}  // namespace tierkv::stream_node
