#include "engine/types/stream/stream_ops.h"

#include <algorithm>
#include <initializer_list>

#include "engine/keyspace_ops.h"

namespace tierkv {
namespace {

constexpr const char* kKeyMustExist =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM "
    "option to create an empty stream automatically.";

Status GroupMissingError(std::string_view key, std::string_view group) {
  return Status::Error("NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
                       std::string(key) + "'");
}

Stream& StreamOf(Entry* entry) { return ValueOf<Stream>(entry); }

Effect Words(std::initializer_list<std::string_view> words) { return MakeEffect(words); }

// TIERKV.XGROUP <key> <subcommand> <group> <rest...>: XGROUP with the key second.
Effect GroupEffect(std::string_view key, std::string_view subcommand, std::string_view group,
                   std::initializer_list<std::string_view> rest = {}) {
  Effect effect = Words({kXGroupEffectCommand, key, subcommand, group});
  for (std::string_view word : rest) effect.emplace_back(word);
  return effect;
}

// The PEL entry `id` as it now is, for its consumer: replaying this XCLAIM recreates it
// whatever it was before (FORCE creates it, JUSTID leaves the count to RETRYCOUNT).
Effect ClaimEffect(std::string_view key, std::string_view group, const StreamConsumer& consumer, StreamId id,
                   const PendingEntry& pending) {
  return Words({"XCLAIM", key, group, consumer.name, "0", id.ToString(), "TIME", std::to_string(pending.delivery_time),
                "RETRYCOUNT", std::to_string(pending.delivery_count), "FORCE", "JUSTID"});
}

Effect GroupPositionEffect(std::string_view key, std::string_view group_name, const ConsumerGroup& group) {
  return GroupEffect(key, "SETID", group_name, {group.last_id.ToString(), "ENTRIESREAD", std::to_string(group.entries_read)});
}

// Journals `effects` (in order) as changes of `key`.
void NoteEffects(Shard& shard, int db, std::string_view key, std::vector<Effect>& effects) {
  for (Effect& effect : effects) shard.KeyModifiedBy(db, key, [&] { return std::move(effect); });
}

// The entry with `id` (which must be live), with its fields unless `just_id`.
StreamEntry ReadEntry(const Stream& stream, StreamId id, bool just_id) {
  StreamEntry entry{id, {}, false};
  if (just_id) return entry;
  StreamIterator it(stream, id, id);
  if (it.Next()) it.AppendFields(entry.fields);
  return entry;
}

std::vector<StreamEntry> ReadRange(const Stream& stream, StreamId start, StreamId end, uint64_t count, bool reverse) {
  std::vector<StreamEntry> entries;
  StreamIterator it(stream, start, end, reverse);
  while ((count == 0 || entries.size() < count) && it.Next()) {
    StreamEntry& entry = entries.emplace_back();
    entry.id = it.id();
    it.AppendFields(entry.fields);
  }
  return entries;
}

// The group for a write of a group command, with Redis's XGROUP errors.
Result<ConsumerGroup*> FindGroupForXGroup(Db& db, std::string_view key, std::string_view group, Stream** stream) {
  auto found = FindTypedForWrite(db, key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Error(kKeyMustExist);
  *stream = &StreamOf(*found);
  ConsumerGroup* result = (*stream)->FindGroup(group);
  if (result == nullptr) return GroupMissingError(key, group);
  return result;
}

// Key and group for XCLAIM/XAUTOCLAIM/XPENDING (Redis looks the key up for reading).
Result<std::pair<Stream*, ConsumerGroup*>> FindClaimGroup(Shard& shard, int db, std::string_view key,
                                                          std::string_view group) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return NoGroupError(key, group);
  Stream& stream = StreamOf(*found);
  ConsumerGroup* result = stream.FindGroup(group);
  if (result == nullptr) return NoGroupError(key, group);
  return std::make_pair(&stream, result);
}

}  // namespace

Status NoGroupError(std::string_view key, std::string_view group) {
  return Status::Error("NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
                       "'");
}

Result<const Stream*> OpFindStream(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return static_cast<const Stream*>(nullptr);
  return static_cast<const Stream*>(&StreamOf(*found));
}

Result<std::optional<StreamId>> OpXAdd(Shard& shard, int db_index, std::string_view key, const XAddOptions& options,
                                       std::span<const std::string_view> field_values) {
  // Checked before the key is looked up, so that no empty stream is left behind.
  if (options.id_given && options.seq_given && options.id.IsZero()) {
    return Status::Error("ERR The ID specified in XADD must be greater than 0-0");
  }
  Db& db = shard.db(db_index);
  auto found = FindTypedForWrite(db, key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr && options.no_mkstream) return std::optional<StreamId>();
  const StreamId last_id = *found != nullptr ? StreamOf(*found).last_id() : StreamId::Min();
  if (last_id == StreamId::Max()) {
    return Status::Error("ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  size_t element_bytes = 0;
  for (std::string_view item : field_values) element_bytes += item.size();
  const Status too_large = Status::Error("ERR Elements are too large to be stored");
  if (element_bytes > kStreamNodeMaxSize) return too_large;

  StreamId id;
  if (!options.id_given) {
    const auto now = static_cast<uint64_t>(shard.now_ms());
    id = now > last_id.ms ? StreamId{now, 0} : last_id;
    if (now <= last_id.ms) (void)IncrementStreamId(id);  // last_id is not the largest ID (checked above)
  } else if (options.seq_given) {
    id = options.id;
  } else if (options.id.ms == last_id.ms) {
    // "<ms>-*" in the last ID's millisecond: its next sequence. Redis 7.0 answers an
    // exhausted sequence with this error text.
    if (last_id.seq == UINT64_MAX) return too_large;
    id = {last_id.ms, last_id.seq + 1};
  } else {
    id = {options.id.ms, 0};
  }
  if (id <= last_id) return Status::Error("ERR The ID specified in XADD is equal or smaller than the target stream top item");

  Entry* entry = *found;
  if (entry == nullptr) entry = AddCollection(shard, db, key, ValueType::kStream, std::make_unique<Stream>());
  Stream& stream = StreamOf(entry);
  stream.Append(id, field_values, shard.options().limits);
  const int64_t trimmed = stream.Trim(options.trim);
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect = Words({"XADD", key});
    if (trimmed > 0) {
      // Whatever the trimming asked (exact or "~", MAXLEN or MINID, LIMIT), the exact
      // length it left trims the same entries on replay.
      for (std::string_view word : {"MAXLEN", "="}) effect.emplace_back(word);
      effect.push_back(std::to_string(stream.length()));
    }
    effect.push_back(id.ToString());
    for (std::string_view item : field_values) effect.emplace_back(item);
    return effect;
  });
  return std::optional<StreamId>(id);
}

Result<int64_t> OpXTrim(Shard& shard, int db_index, std::string_view key, const StreamTrim& trim) {
  auto found = FindTypedForWrite(shard.db(db_index), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  Stream& stream = StreamOf(*found);
  const int64_t trimmed = stream.Trim(trim);
  if (trimmed > 0) {
    shard.KeyModifiedBy(db_index, key,
                        [&] { return Words({"XTRIM", key, "MAXLEN", "=", std::to_string(stream.length())}); });
  }
  return trimmed;
}

Result<int64_t> OpXDel(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> ids) {
  auto found = FindTypedForWrite(shard.db(db_index), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  // Every ID is checked before any is deleted, so the command is all or nothing.
  std::vector<StreamId> parsed;
  parsed.reserve(ids.size());
  for (std::string_view text : ids) {
    auto id = ParseStreamId(text, 0, /*strict=*/true);
    if (!id.ok()) return id.status();
    parsed.push_back(*id);
  }
  Stream& stream = StreamOf(*found);
  std::vector<StreamId> deleted;
  bool first_deleted = false;
  for (StreamId id : parsed) {
    if (!stream.Delete(id)) continue;
    if (id == stream.first_id()) first_deleted = true;
    if (id > stream.max_deleted_id()) stream.set_max_deleted_id(id);
    deleted.push_back(id);
  }
  if (deleted.empty()) return int64_t{0};
  if (stream.length() == 0) {
    stream.set_first_id(StreamId::Min());
  } else if (first_deleted) {
    stream.RefreshFirstId();
  }
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect = Words({"XDEL", key});
    for (StreamId id : deleted) effect.push_back(id.ToString());
    return effect;
  });
  return static_cast<int64_t>(deleted.size());
}

Result<int64_t> OpXLen(Shard& shard, int db, std::string_view key) {
  auto stream = OpFindStream(shard, db, key);
  if (!stream.ok()) return stream.status();
  return *stream == nullptr ? int64_t{0} : static_cast<int64_t>((*stream)->length());
}

Result<std::optional<std::vector<StreamEntry>>> OpXRange(Shard& shard, int db, std::string_view key, StreamId start,
                                                         StreamId end, int64_t count, bool reverse) {
  auto stream = OpFindStream(shard, db, key);
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return std::optional<std::vector<StreamEntry>>();
  if (count == 0) return std::optional<std::vector<StreamEntry>>(std::vector<StreamEntry>());
  return std::optional<std::vector<StreamEntry>>(
      ReadRange(**stream, start, end, count < 0 ? 0 : static_cast<uint64_t>(count), reverse));
}

Status OpXSetId(Shard& shard, int db_index, std::string_view key, const XSetIdOptions& options) {
  auto found = FindTypedForWrite(shard.db(db_index), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::NoSuchKey();
  Stream& stream = StreamOf(*found);
  if (stream.length() > 0) {
    if (options.last_id < stream.LastLiveId().value_or(StreamId::Min())) {
      return Status::Error("ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (options.entries_added && stream.length() > *options.entries_added) {
      return Status::Error("ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  stream.set_last_id(options.last_id);
  if (options.entries_added) stream.set_entries_added(*options.entries_added);
  if (options.max_deleted_id && !options.max_deleted_id->IsZero()) stream.set_max_deleted_id(*options.max_deleted_id);
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect = Words({"XSETID", key, options.last_id.ToString()});
    if (options.entries_added) {
      effect.emplace_back("ENTRIESADDED");
      effect.push_back(std::to_string(*options.entries_added));
    }
    if (options.max_deleted_id) {
      effect.emplace_back("MAXDELETEDID");
      effect.push_back(options.max_deleted_id->ToString());
    }
    return effect;
  });
  return Status::Ok();
}

Result<StreamId> OpXReadResolveLastId(Shard& shard, int db, std::string_view key) {
  auto stream = OpFindStream(shard, db, key);
  if (!stream.ok()) return stream.status();
  return *stream == nullptr ? StreamId::Min() : (*stream)->last_id();
}

Result<std::vector<StreamKeyEntries>> OpXRead(Shard& shard, int db, std::span<const StreamReadKey> keys,
                                              uint64_t count) {
  std::vector<StreamKeyEntries> served;
  for (const StreamReadKey& read : keys) {
    auto stream = OpFindStream(shard, db, read.key);
    if (!stream.ok()) return stream.status();
    if (*stream == nullptr || (*stream)->length() == 0) continue;
    // Served only if some live entry lies after the ID.
    if ((*stream)->LastLiveId().value_or(StreamId::Min()) <= read.after) continue;
    StreamId start = read.after;
    (void)IncrementStreamId(start);  // `after` is below a live ID, so not the largest
    served.push_back({std::string(read.key), ReadRange(**stream, start, StreamId::Max(), count, false)});
  }
  return served;
}

Status OpXReadGroupCheck(Shard& shard, int db, std::string_view key, std::string_view group) {
  auto stream = OpFindStream(shard, db, key);
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr || (*stream)->FindGroup(group) == nullptr) {
    return Status::Error("NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
                         "' in XREADGROUP with GROUP option");
  }
  return Status::Ok();
}

Result<std::vector<StreamKeyEntries>> OpXReadGroup(Shard& shard, int db, const XReadGroupOptions& options,
                                                   std::span<const GroupReadKey> keys) {
  const int64_t now = shard.now_ms();
  std::vector<StreamKeyEntries> served;
  for (const GroupReadKey& read : keys) {
    auto found = FindTyped(shard, shard.db(db), read.key, ValueType::kStream);
    if (!found.ok()) return found.status();
    if (*found == nullptr) continue;
    Stream& stream = StreamOf(*found);
    ConsumerGroup* group = stream.FindGroup(options.group);
    if (group == nullptr) return OpXReadGroupCheck(shard, db, read.key, options.group);
    std::vector<Effect> effects;
    // Redis 7.2 creates the consumer for every key it looks at, served or not.
    bool created = false;
    StreamConsumer* consumer = group->FindOrCreateConsumer(options.consumer, now, &created);
    consumer->seen_time = now;
    if (created) effects.push_back(GroupEffect(read.key, "CREATECONSUMER", options.group, {options.consumer}));

    if (!read.new_entries) {
      // History: the consumer's own pending entries from the ID on, each delivery counted.
      StreamKeyEntries& reply = served.emplace_back();
      reply.key = std::string(read.key);
      // Entries after the ID, as for ">" (the ID itself was already seen).
      StreamId from = read.from;
      const bool past_end = !IncrementStreamId(from);
      for (auto it = past_end ? consumer->pending.end() : consumer->pending.lower_bound(from);
           it != consumer->pending.end() && (options.count == 0 || reply.entries.size() < options.count); ++it) {
        const StreamId id = *it;
        if (!stream.Contains(id)) {
          reply.entries.push_back({id, {}, true});
          continue;
        }
        reply.entries.push_back(ReadEntry(stream, id, false));
        PendingEntry& pending = group->pel[id];
        pending.delivery_time = now;
        ++pending.delivery_count;
        effects.push_back(ClaimEffect(read.key, options.group, *consumer, id, pending));
      }
      NoteEffects(shard, db, read.key, effects);
      continue;
    }

    const std::optional<StreamId> last_live = stream.LastLiveId();
    if (last_live && *last_live > group->last_id) {
      StreamKeyEntries& reply = served.emplace_back();
      reply.key = std::string(read.key);
      StreamId start = group->last_id;
      (void)IncrementStreamId(start);  // below a live ID, so not the largest
      reply.entries = ReadRange(stream, start, StreamId::Max(), options.count, false);
      for (const StreamEntry& entry : reply.entries) {
        stream.AdvanceGroup(*group, entry.id);
        if (options.noack) continue;
        // A fresh delivery; an entry still pending for someone (the group's ID was set
        // back) moves to this consumer with its count restarted, as in Redis.
        PendingEntry& pending = group->Assign(entry.id, consumer);
        pending.delivery_time = now;
        pending.delivery_count = 1;
        effects.push_back(ClaimEffect(read.key, options.group, *consumer, entry.id, pending));
      }
      if (!options.noack && !reply.entries.empty()) consumer->active_time = now;
      effects.push_back(GroupPositionEffect(read.key, options.group, *group));
    }
    NoteEffects(shard, db, read.key, effects);
  }
  return served;
}

Status OpXGroupCreate(Shard& shard, int db_index, std::string_view key, std::string_view group_name,
                      std::string_view id_arg, bool mkstream, int64_t entries_read) {
  Db& db = shard.db(db_index);
  auto found = FindTypedForWrite(db, key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr && !mkstream) return Status::Error(kKeyMustExist);
  StreamId id;
  if (id_arg == "$") {
    id = *found != nullptr ? StreamOf(*found).last_id() : StreamId::Min();
  } else {
    auto parsed = ParseStreamId(id_arg, 0, /*strict=*/true);
    if (!parsed.ok()) return parsed.status();
    id = *parsed;
  }
  const bool create_key = *found == nullptr;
  Entry* entry = *found;
  if (create_key) entry = AddCollection(shard, db, key, ValueType::kStream, std::make_unique<Stream>());
  Stream& stream = StreamOf(entry);
  if (stream.FindGroup(group_name) != nullptr) return Status::Error("BUSYGROUP Consumer Group name already exists");
  stream.EnsureGroups().try_emplace(std::string(group_name), id, entries_read);
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect = GroupEffect(key, "CREATE", group_name, {id.ToString()});
    if (create_key) effect.emplace_back("MKSTREAM");
    effect.emplace_back("ENTRIESREAD");
    effect.push_back(std::to_string(entries_read));
    return effect;
  });
  return Status::Ok();
}

Status OpXGroupSetId(Shard& shard, int db_index, std::string_view key, std::string_view group_name,
                     std::string_view id_arg, int64_t entries_read) {
  Stream* stream = nullptr;
  auto group = FindGroupForXGroup(shard.db(db_index), key, group_name, &stream);
  if (!group.ok()) return group.status();
  StreamId id;
  if (id_arg == "$") {
    id = stream->last_id();
  } else {
    auto parsed = ParseStreamId(id_arg, 0, /*strict=*/false);
    if (!parsed.ok()) return parsed.status();
    id = *parsed;
  }
  (*group)->last_id = id;
  (*group)->entries_read = entries_read;
  shard.KeyModifiedBy(db_index, key, [&] { return GroupPositionEffect(key, group_name, **group); });
  return Status::Ok();
}

Result<int64_t> OpXGroupDestroy(Shard& shard, int db_index, std::string_view key, std::string_view group_name) {
  auto found = FindTypedForWrite(shard.db(db_index), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Error(kKeyMustExist);
  Stream& stream = StreamOf(*found);
  ConsumerGroups* groups = stream.groups();
  auto group = groups != nullptr ? groups->find(group_name) : ConsumerGroups::iterator();
  if (groups == nullptr || group == groups->end()) return int64_t{0};
  groups->erase(group);
  shard.KeyModifiedBy(db_index, key, [&] { return GroupEffect(key, "DESTROY", group_name); });
  return int64_t{1};
}

Result<int64_t> OpXGroupCreateConsumer(Shard& shard, int db_index, std::string_view key, std::string_view group_name,
                                       std::string_view consumer) {
  Stream* stream = nullptr;
  auto group = FindGroupForXGroup(shard.db(db_index), key, group_name, &stream);
  if (!group.ok()) return group.status();
  bool created = false;
  (void)(*group)->FindOrCreateConsumer(consumer, shard.now_ms(), &created);
  if (!created) return int64_t{0};
  shard.KeyModifiedBy(db_index, key, [&] { return GroupEffect(key, "CREATECONSUMER", group_name, {consumer}); });
  return int64_t{1};
}

Result<int64_t> OpXGroupDelConsumer(Shard& shard, int db_index, std::string_view key, std::string_view group_name,
                                    std::string_view consumer) {
  Stream* stream = nullptr;
  auto group = FindGroupForXGroup(shard.db(db_index), key, group_name, &stream);
  if (!group.ok()) return group.status();
  if ((*group)->FindConsumer(consumer) == nullptr) return int64_t{0};
  const size_t pending = (*group)->DeleteConsumer(consumer);
  shard.KeyModifiedBy(db_index, key, [&] { return GroupEffect(key, "DELCONSUMER", group_name, {consumer}); });
  return static_cast<int64_t>(pending);
}

Result<int64_t> OpXAck(Shard& shard, int db_index, std::string_view key, std::string_view group_name,
                       std::span<const std::string_view> ids) {
  auto found = FindTyped(shard, shard.db(db_index), key, ValueType::kStream);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  ConsumerGroup* group = StreamOf(*found).FindGroup(group_name);
  if (group == nullptr) return int64_t{0};
  std::vector<StreamId> parsed;
  parsed.reserve(ids.size());
  for (std::string_view text : ids) {
    auto id = ParseStreamId(text, 0, /*strict=*/true);
    if (!id.ok()) return id.status();
    parsed.push_back(*id);
  }
  std::vector<StreamId> acked;
  for (StreamId id : parsed) {
    if (group->Ack(id)) acked.push_back(id);
  }
  if (!acked.empty()) {
    shard.KeyModifiedBy(db_index, key, [&] {
      Effect effect = Words({"XACK", key, group_name});
      for (StreamId id : acked) effect.push_back(id.ToString());
      return effect;
    });
  }
  return static_cast<int64_t>(acked.size());
}

Status OpCheckGroup(Shard& shard, int db, std::string_view key, std::string_view group) {
  auto found = FindClaimGroup(shard, db, key, group);
  return found.ok() ? Status::Ok() : found.status();
}

Result<PendingSummary> OpXPendingSummary(Shard& shard, int db, std::string_view key, std::string_view group_name) {
  auto found = FindClaimGroup(shard, db, key, group_name);
  if (!found.ok()) return found.status();
  const ConsumerGroup& group = *found->second;
  PendingSummary summary;
  summary.count = group.pel.size();
  if (group.pel.empty()) return summary;
  summary.smallest = group.pel.begin()->first;
  summary.largest = group.pel.rbegin()->first;
  for (const auto& [name, consumer] : group.consumers) {
    if (!consumer.pending.empty()) summary.consumers.emplace_back(name, consumer.pending.size());
  }
  return summary;
}

Result<std::vector<PendingRow>> OpXPendingRange(Shard& shard, int db, std::string_view key,
                                                std::string_view group_name, const XPendingRange& range) {
  auto found = FindClaimGroup(shard, db, key, group_name);
  if (!found.ok()) return found.status();
  const ConsumerGroup& group = *found->second;
  std::vector<PendingRow> rows;
  const StreamConsumer* consumer = nullptr;
  if (range.consumer) {
    consumer = group.FindConsumer(*range.consumer);
    if (consumer == nullptr) return rows;
  }
  const int64_t now = shard.now_ms();
  int64_t count = range.count;
  auto add = [&](StreamId id, const PendingEntry& pending) {
    if (range.min_idle != 0 && now - pending.delivery_time < range.min_idle) return;
    rows.push_back({id, pending.consumer->name, std::max<int64_t>(0, now - pending.delivery_time),
                    pending.delivery_count});
    --count;
  };
  if (consumer != nullptr) {
    for (auto it = consumer->pending.lower_bound(range.start); count > 0 && it != consumer->pending.end() && *it <= range.end;
         ++it) {
      add(*it, group.pel.at(*it));
    }
  } else {
    for (auto it = group.pel.lower_bound(range.start); count > 0 && it != group.pel.end() && it->first <= range.end;
         ++it) {
      add(it->first, it->second);
    }
  }
  return rows;
}

Result<std::vector<StreamEntry>> OpXClaim(Shard& shard, int db_index, std::string_view key,
                                          std::string_view group_name, std::string_view consumer_name,
                                          const XClaimOptions& options) {
  auto found = FindClaimGroup(shard, db_index, key, group_name);
  if (!found.ok()) return found.status();
  Stream& stream = *found->first;
  ConsumerGroup& group = *found->second;
  const int64_t now = shard.now_ms();
  std::vector<Effect> effects;
  bool position_moved = false;
  if (options.last_id > group.last_id) {
    group.last_id = options.last_id;
    position_moved = true;
  }
  // A time from IDLE/TIME that lies in the future or before the epoch becomes now: a
  // client's clock may be a little ahead (Redis does the same).
  int64_t delivery_time = options.delivery_time;
  if (delivery_time < 0 || delivery_time > now) delivery_time = now;

  // Redis 7.2 creates the consumer even when nothing gets claimed.
  bool created = false;
  StreamConsumer* consumer = group.FindOrCreateConsumer(consumer_name, now, &created);
  consumer->seen_time = now;
  if (created) effects.push_back(GroupEffect(key, "CREATECONSUMER", group_name, {consumer_name}));
  std::vector<StreamEntry> claimed;
  for (StreamId id : options.ids) {
    PendingEntry* pending = group.FindPending(id);
    if (!stream.Contains(id)) {
      // The entry is gone: its PEL entry goes too.
      if (pending != nullptr) {
        (void)group.Ack(id);
        effects.push_back(Words({"XACK", key, group_name, id.ToString()}));
      }
      continue;
    }
    const bool forced = pending == nullptr && options.force;
    if (pending == nullptr && !forced) continue;
    // An entry created by FORCE has no owner yet, so no idle time to respect.
    if (!forced && options.min_idle != 0 && now - pending->delivery_time < options.min_idle) continue;
    PendingEntry& entry = group.Assign(id, consumer);
    if (forced) entry.delivery_count = 1;  // as a fresh delivery, then counted below
    entry.delivery_time = delivery_time;
    if (options.retry_count >= 0) {
      entry.delivery_count = static_cast<uint64_t>(options.retry_count);
    } else if (!options.just_id) {
      ++entry.delivery_count;
    }
    claimed.push_back(ReadEntry(stream, id, options.just_id));
    consumer->active_time = now;
    effects.push_back(ClaimEffect(key, group_name, *consumer, id, entry));
  }
  if (position_moved) effects.push_back(GroupPositionEffect(key, group_name, group));
  NoteEffects(shard, db_index, key, effects);
  return claimed;
}

Result<XAutoClaimResult> OpXAutoClaim(Shard& shard, int db_index, std::string_view key, std::string_view group_name,
                                      std::string_view consumer_name, int64_t min_idle, StreamId start, int64_t count,
                                      bool just_id) {
  auto found = FindClaimGroup(shard, db_index, key, group_name);
  if (!found.ok()) return found.status();
  Stream& stream = *found->first;
  ConsumerGroup& group = *found->second;
  const int64_t now = shard.now_ms();
  std::vector<Effect> effects;
  // Redis 7.2 creates the consumer even when nothing gets claimed.
  bool created = false;
  StreamConsumer* consumer = group.FindOrCreateConsumer(consumer_name, now, &created);
  consumer->seen_time = now;
  if (created) effects.push_back(GroupEffect(key, "CREATECONSUMER", group_name, {consumer_name}));

  XAutoClaimResult result;
  // At most ten PEL entries are examined per entry asked for.
  int64_t attempts = count * 10;
  auto it = group.pel.lower_bound(start);
  while (attempts-- > 0 && count > 0 && it != group.pel.end()) {
    const StreamId id = it->first;
    if (!stream.Contains(id)) {
      ++it;
      (void)group.Ack(id);
      result.deleted.push_back(id);
      effects.push_back(Words({"XACK", key, group_name, id.ToString()}));
      --count;  // deleted IDs count towards the reply's size
      continue;
    }
    if (min_idle != 0 && now - it->second.delivery_time < min_idle) {
      ++it;
      continue;
    }
    PendingEntry& entry = group.Assign(id, consumer);
    entry.delivery_time = now;
    if (!just_id) ++entry.delivery_count;
    result.claimed.push_back(ReadEntry(stream, id, just_id));
    consumer->active_time = now;
    effects.push_back(ClaimEffect(key, group_name, *consumer, id, entry));
    --count;
    ++it;
  }
  result.next = it == group.pel.end() ? StreamId::Min() : it->first;
  NoteEffects(shard, db_index, key, effects);
  return result;
}

}  // namespace tierkv
