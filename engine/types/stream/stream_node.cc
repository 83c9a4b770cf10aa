#include "engine/types/stream/stream_node.h"

#include <charconv>
#include <string>

#include "engine/number.h"

namespace tierkv::stream_node {
namespace {

bool TryReadInt(const Listpack& lp, Pos pos, int64_t* out) {
  if (pos == Listpack::kEnd) return false;
  if (auto value = lp.GetInteger(pos)) {
    *out = *value;
    return true;
  }
  Listpack::IntBuffer scratch;
  return ParseInt64(lp.Get(pos, scratch), out);
}

Pos ReplaceInt(Listpack& lp, Pos pos, int64_t value) {
  char text[24];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  (void)ec;  // 24 bytes hold any int64
  return lp.Replace(pos, std::string_view(text, static_cast<size_t>(end - text)));
}

Pos Skip(const Listpack& lp, Pos pos, int64_t count) {
  for (int64_t i = 0; i < count && pos != Listpack::kEnd; ++i) pos = lp.Next(pos);
  return pos;
}

StreamId AddDelta(StreamId master_id, int64_t ms_delta, int64_t seq_delta) {
  return {master_id.ms + static_cast<uint64_t>(ms_delta), master_id.seq + static_cast<uint64_t>(seq_delta)};
}

}  // namespace

int64_t ReadInt(const Listpack& lp, Pos pos) {
  int64_t value = 0;
  (void)TryReadInt(lp, pos, &value);
  return value;
}

Master ReadMaster(const Listpack& lp) {
  Master master;
  Pos pos = lp.First();
  master.live = ReadInt(lp, pos);
  pos = lp.Next(pos);
  master.deleted = ReadInt(lp, pos);
  pos = lp.Next(pos);
  master.field_count = ReadInt(lp, pos);
  pos = lp.Next(pos);
  master.first_field = master.field_count > 0 ? pos : Listpack::kEnd;
  pos = Skip(lp, pos, master.field_count);  // now at the master's terminating 0
  master.first_entry = lp.Next(pos);
  return master;
}

Entry ReadEntry(const Listpack& lp, const Master& master, StreamId master_id, Pos flags_pos) {
  Entry entry;
  entry.flags_pos = flags_pos;
  entry.flags = ReadInt(lp, flags_pos);
  Pos pos = lp.Next(flags_pos);
  const int64_t ms_delta = ReadInt(lp, pos);
  pos = lp.Next(pos);
  const int64_t seq_delta = ReadInt(lp, pos);
  pos = lp.Next(pos);
  entry.id = AddDelta(master_id, ms_delta, seq_delta);
  if (entry.same_fields()) {
    entry.field_count = master.field_count;
    entry.fields = pos;
    pos = Skip(lp, pos, entry.field_count);
  } else {
    entry.field_count = ReadInt(lp, pos);
    pos = lp.Next(pos);
    entry.fields = pos;
    pos = Skip(lp, pos, entry.field_count * 2);
  }
  entry.next = lp.Next(pos);  // past lp-count
  return entry;
}

namespace {

// From an entry's lp-count element (or the master's terminator) back to its flags.
Pos BackToFlags(const Listpack& lp, Pos lp_count_pos) {
  if (lp_count_pos == Listpack::kEnd) return Listpack::kEnd;
  const int64_t elements = ReadInt(lp, lp_count_pos);
  if (elements <= 0) return Listpack::kEnd;  // the master entry's 0
  Pos pos = lp_count_pos;
  for (int64_t i = 0; i < elements && pos != Listpack::kEnd; ++i) pos = lp.Prev(pos);
  return pos;
}

}  // namespace

Pos LastEntry(const Listpack& lp) { return BackToFlags(lp, lp.Last()); }

Pos PreviousEntry(const Listpack& lp, Pos flags_pos) { return BackToFlags(lp, lp.Prev(flags_pos)); }

StreamId LastEntryId(const Listpack& lp, StreamId master_id) {
  const Pos flags = LastEntry(lp);
  const Pos ms = lp.Next(flags);
  return AddDelta(master_id, ReadInt(lp, ms), ReadInt(lp, lp.Next(ms)));
}

Listpack NewNode(std::span<const std::string_view> field_values) {
  Listpack lp;
  const int64_t field_count = static_cast<int64_t>(field_values.size() / 2);
  lp.AppendInteger(0);  // live: AppendEntry counts the first entry
  lp.AppendInteger(0);  // deleted
  lp.AppendInteger(field_count);
  for (size_t i = 0; i < field_values.size(); i += 2) lp.Append(field_values[i]);
  lp.AppendInteger(0);  // the master entry's terminator
  return lp;
}

void AppendEntry(Listpack& lp, StreamId master_id, StreamId id, std::span<const std::string_view> field_values) {
  const int64_t field_count = static_cast<int64_t>(field_values.size() / 2);
  Pos pos = lp.First();
  pos = ReplaceInt(lp, pos, ReadInt(lp, pos) + 1);
  pos = lp.Next(lp.Next(pos));  // past the deleted count, at the master field count
  bool same_fields = ReadInt(lp, pos) == field_count;
  pos = lp.Next(pos);
  for (int64_t i = 0; same_fields && i < field_count; ++i) {
    same_fields = lp.Equals(pos, field_values[static_cast<size_t>(2 * i)]);
    pos = lp.Next(pos);
  }
  lp.AppendInteger(same_fields ? kFlagSameFields : kFlagNone);
  lp.AppendInteger(static_cast<int64_t>(id.ms - master_id.ms));
  lp.AppendInteger(static_cast<int64_t>(id.seq - master_id.seq));
  if (!same_fields) lp.AppendInteger(field_count);
  for (size_t i = 0; i < field_values.size(); i += 2) {
    if (!same_fields) lp.Append(field_values[i]);
    lp.Append(field_values[i + 1]);
  }
  // Elements of the entry before lp-count: flags, two deltas, the values, and unless
  // compressed the field count and the fields.
  lp.AppendInteger(same_fields ? field_count + 3 : 2 * field_count + 4);
}

void MarkDeleted(Listpack& lp, Pos flags_pos) {
  (void)ReplaceInt(lp, flags_pos, ReadInt(lp, flags_pos) | kFlagDeleted);
  Pos pos = lp.First();
  const int64_t live = ReadInt(lp, pos);
  const int64_t deleted = ReadInt(lp, lp.Next(pos));
  SetCounts(lp, live - 1, deleted + 1);
}

void SetCounts(Listpack& lp, int64_t live, int64_t deleted) {
  Pos pos = ReplaceInt(lp, lp.First(), live);
  (void)ReplaceInt(lp, lp.Next(pos), deleted);
}

Result<NodeSummary> Validate(const Listpack& lp, StreamId master_id) {
  auto bad = [](const std::string& why) { return Status::Corruption("stream node: " + why); };
  int64_t live;
  int64_t deleted;
  int64_t master_fields;
  Pos pos = lp.First();
  if (!TryReadInt(lp, pos, &live) || live < 0) return bad("bad live count");
  pos = lp.Next(pos);
  if (!TryReadInt(lp, pos, &deleted) || deleted < 0) return bad("bad deleted count");
  pos = lp.Next(pos);
  // Every element takes at least two bytes: a larger count cannot be honest.
  const int64_t max_count = static_cast<int64_t>(lp.bytes_size());
  if (!TryReadInt(lp, pos, &master_fields) || master_fields < 0 || master_fields > max_count) {
    return bad("bad master field count");
  }
  pos = lp.Next(pos);
  for (int64_t i = 0; i < master_fields; ++i) {
    if (pos == Listpack::kEnd) return bad("master fields missing");
    pos = lp.Next(pos);
  }
  int64_t terminator;
  if (!TryReadInt(lp, pos, &terminator) || terminator != 0) return bad("master entry not terminated");
  pos = lp.Next(pos);

  NodeSummary summary;
  int64_t entries = 0;
  int64_t deleted_seen = 0;
  while (pos != Listpack::kEnd) {
    int64_t flags;
    int64_t ms_delta;
    int64_t seq_delta;
    if (!TryReadInt(lp, pos, &flags) || (flags & ~(kFlagDeleted | kFlagSameFields)) != 0) return bad("bad flags");
    pos = lp.Next(pos);
    if (!TryReadInt(lp, pos, &ms_delta)) return bad("bad ms delta");
    pos = lp.Next(pos);
    if (!TryReadInt(lp, pos, &seq_delta)) return bad("bad seq delta");
    pos = lp.Next(pos);
    const StreamId id = AddDelta(master_id, ms_delta, seq_delta);
    if (id < master_id || (entries > 0 && id <= summary.last_id)) return bad("entry IDs out of order");
    int64_t elements;
    if (flags & kFlagSameFields) {
      elements = master_fields;
      for (int64_t i = 0; i < master_fields; ++i) {
        if (pos == Listpack::kEnd) return bad("entry values missing");
        pos = lp.Next(pos);
      }
      elements += 3;
    } else {
      int64_t fields;
      if (!TryReadInt(lp, pos, &fields) || fields < 0 || fields > max_count) return bad("bad entry field count");
      pos = lp.Next(pos);
      for (int64_t i = 0; i < 2 * fields; ++i) {
        if (pos == Listpack::kEnd) return bad("entry fields missing");
        pos = lp.Next(pos);
      }
      elements = 2 * fields + 4;
    }
    int64_t lp_count;
    if (!TryReadInt(lp, pos, &lp_count) || lp_count != elements) return bad("bad lp-count");
    pos = lp.Next(pos);
    summary.last_id = id;
    ++entries;
    if (flags & kFlagDeleted) ++deleted_seen;
  }
  if (entries == 0) return bad("no entries");
  if (deleted_seen != deleted || entries - deleted_seen != live) return bad("counts do not match the entries");
  summary.live = live;
  return summary;
}

}  // namespace tierkv::stream_node
