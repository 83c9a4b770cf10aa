// RDB encodings of the stream type. See rdb_collections.h.
//
// Written: type 19 (RDB_TYPE_STREAM_LISTPACKS_2, Redis 7.0), laid out as rdbSaveObject:
//   <node count> { <master ID: 16-byte big-endian string> <node listpack as a string> }*
//   <length> <last ID ms> <last ID seq> <first ID ms> <first ID seq>
//   <max deleted ms> <max deleted seq> <entries added>
//   <group count> { <name> <last ID ms> <last ID seq> <entries read (-1 as 2^64-1)>
//                   <PEL count> { <16-byte ID> <delivery time: 8 bytes LE> <delivery count> }*
//                   <consumer count> { <name> <seen time: 8 bytes LE>
//                                      <PEL count> { <16-byte ID> }* }* }*
// The node listpacks are the engine's own (Redis's node format), so they are copied.
// Read: types 15 (Redis 5-6: no first ID, max deleted ID, entries added or entries read,
// which are derived as Redis derives them), 19, and 21 (Redis 7.2: a consumer's active
// time follows its seen time; for older types it is taken to be the seen time, as Redis
// does). Every node is checked in full (stream_node::Validate) and the groups for
// consistency (each PEL entry owned by exactly one consumer): a payload from a client
// must not be able to break the stream's invariants.
#include <string>

#include "engine/rdb/rdb_collections.h"
#include "engine/types/stream/stream.h"

namespace tierkv {
namespace {

Status Corrupt(std::string what) { return Status::Corruption("rdb: stream " + std::move(what)); }

void WriteId(RdbWriter& writer, StreamId id) {
  writer.WriteLength(id.ms);
  writer.WriteLength(id.seq);
}

void WriteRawId(RdbWriter& writer, StreamId id) {
  char raw[kEncodedStreamIdSize];
  EncodeStreamId(id, raw);
  writer.WriteBytes(std::string_view(raw, sizeof(raw)));
}

void WriteGroup(RdbWriter& writer, const std::string& name, const ConsumerGroup& group) {
  writer.WriteString(name);
  WriteId(writer, group.last_id);
  writer.WriteLength(static_cast<uint64_t>(group.entries_read));
  writer.WriteLength(group.pel.size());
  for (const auto& [id, pending] : group.pel) {
    WriteRawId(writer, id);
    writer.WriteUint64LE(static_cast<uint64_t>(pending.delivery_time));
    writer.WriteLength(pending.delivery_count);
  }
  writer.WriteLength(group.consumers.size());
  for (const auto& [consumer_name, consumer] : group.consumers) {
    writer.WriteString(consumer_name);
    writer.WriteUint64LE(static_cast<uint64_t>(consumer.seen_time));
    writer.WriteLength(consumer.pending.size());
    for (StreamId id : consumer.pending) WriteRawId(writer, id);
  }
}

Result<StreamId> ReadId(RdbReader& reader) {
  auto ms = reader.ReadLength();
  if (!ms.ok()) return ms.status();
  auto seq = reader.ReadLength();
  if (!seq.ok()) return seq.status();
  return StreamId{*ms, *seq};
}

Result<StreamId> ReadRawId(RdbReader& reader) {
  auto raw = reader.ReadBytes(kEncodedStreamIdSize);
  if (!raw.ok()) return raw.status();
  return DecodeStreamId(raw->data());
}

// A count of items that each take at least `min_bytes`: more than the payload can hold
// is damage, not a reason to loop or allocate.
Result<uint64_t> ReadCount(RdbReader& reader, size_t min_bytes, const char* what) {
  auto count = reader.ReadLength();
  if (!count.ok()) return count.status();
  if (*count > reader.remaining() / min_bytes) return Corrupt(std::string(what) + " count past the payload");
  return count;
}

Status ReadNodes(RdbReader& reader, Stream& stream) {
  auto nodes = ReadCount(reader, 2, "node");
  if (!nodes.ok()) return nodes.status();
  for (uint64_t i = 0; i < *nodes; ++i) {
    auto key = reader.ReadString();
    if (!key.ok()) return key.status();
    if (key->size() != kEncodedStreamIdSize) return Corrupt("node key is not an ID");
    auto blob = reader.ReadString();
    if (!blob.ok()) return blob.status();
    auto listpack = Listpack::FromBytes(*blob);
    if (!listpack.ok()) return listpack.status();
    Status loaded = stream.LoadNode(DecodeStreamId(key->data()), std::move(*listpack));
    if (!loaded.ok()) return loaded;
  }
  return Status::Ok();
}

Status ReadGroup(RdbReader& reader, uint8_t rdb_type, Stream& stream) {
  auto name = reader.ReadString();
  if (!name.ok()) return name.status();
  auto last_id = ReadId(reader);
  if (!last_id.ok()) return last_id.status();
  int64_t entries_read;
  if (rdb_type >= kRdbTypeStreamListpacks2) {
    auto value = reader.ReadLength();
    if (!value.ok()) return value.status();
    entries_read = static_cast<int64_t>(*value);
    if (entries_read < kEntriesReadUnknown) return Corrupt("group with a negative entries-read");
  } else {
    entries_read = stream.EstimateEntriesRead(*last_id);
  }
  auto [slot, inserted] = stream.EnsureGroups().try_emplace(std::move(*name), *last_id, entries_read);
  if (!inserted) return Corrupt("with a duplicate group name");
  ConsumerGroup& group = slot->second;

  auto pel_count = ReadCount(reader, kEncodedStreamIdSize + 9, "PEL");
  if (!pel_count.ok()) return pel_count.status();
  for (uint64_t i = 0; i < *pel_count; ++i) {
    auto id = ReadRawId(reader);
    if (!id.ok()) return id.status();
    auto delivery_time = reader.ReadUint64LE();
    if (!delivery_time.ok()) return delivery_time.status();
    auto delivery_count = reader.ReadLength();
    if (!delivery_count.ok()) return delivery_count.status();
    PendingEntry entry{static_cast<int64_t>(*delivery_time), *delivery_count, nullptr};
    if (!group.pel.emplace(*id, entry).second) return Corrupt("with a duplicate PEL entry");
  }

  auto consumer_count = ReadCount(reader, 10, "consumer");
  if (!consumer_count.ok()) return consumer_count.status();
  for (uint64_t i = 0; i < *consumer_count; ++i) {
    auto consumer_name = reader.ReadString();
    if (!consumer_name.ok()) return consumer_name.status();
    auto seen_time = reader.ReadUint64LE();
    if (!seen_time.ok()) return seen_time.status();
    int64_t active_time = static_cast<int64_t>(*seen_time);  // the best estimate before 7.2
    if (rdb_type >= kRdbTypeStreamListpacks3) {
      auto active = reader.ReadUint64LE();
      if (!active.ok()) return active.status();
      active_time = static_cast<int64_t>(*active);
    }
    if (group.FindConsumer(*consumer_name) != nullptr) return Corrupt("with a duplicate consumer name");
    StreamConsumer* consumer = group.FindOrCreateConsumer(*consumer_name, static_cast<int64_t>(*seen_time), nullptr);
    consumer->active_time = active_time;
    auto owned = ReadCount(reader, kEncodedStreamIdSize, "consumer PEL");
    if (!owned.ok()) return owned.status();
    for (uint64_t j = 0; j < *owned; ++j) {
      auto id = ReadRawId(reader);
      if (!id.ok()) return id.status();
      PendingEntry* pending = group.FindPending(*id);
      if (pending == nullptr) return Corrupt("consumer PEL entry missing from the group PEL");
      if (pending->consumer != nullptr) return Corrupt("PEL entry owned twice");
      pending->consumer = consumer;
      consumer->pending.insert(*id);
    }
  }
  for (const auto& [id, pending] : group.pel) {
    if (pending.consumer == nullptr) return Corrupt("PEL entry without a consumer");
  }
  return Status::Ok();
}

// The header, then a node at a time; the metadata and consumer groups whole at the end.
class StreamRdbCursor final : public RdbCollectionCursor {
 public:
  explicit StreamRdbCursor(const ValueObject& value) : stream_(static_cast<const Stream&>(value)) {}

  bool WriteStart(RdbEncodeSink& sink) override {
    sink.writer().WriteByte(kRdbTypeStreamListpacks2);
    sink.writer().WriteLength(stream_.nodes().size());
    next_node_ = stream_.nodes().begin();
    return false;
  }

  bool WriteElements(RdbEncodeSink& sink) override {
    for (; next_node_ != stream_.nodes().end(); ++next_node_) {
      if (sink.full()) return false;
      sink.String(EncodeStreamId(next_node_->first));
      sink.String(next_node_->second.bytes());
    }
    RdbWriter& writer = sink.writer();
    writer.WriteLength(stream_.length());
    WriteId(writer, stream_.last_id());
    WriteId(writer, stream_.first_id());
    WriteId(writer, stream_.max_deleted_id());
    writer.WriteLength(stream_.entries_added());
    writer.WriteLength(stream_.group_count());
    if (stream_.groups() == nullptr) return true;
    for (const auto& [name, group] : *stream_.groups()) WriteGroup(writer, name, group);
    return true;
  }

 private:
  const Stream& stream_;
  Stream::Nodes::const_iterator next_node_;
};

}  // namespace

std::unique_ptr<RdbValueCursor> NewRdbStreamCursor(const ValueObject& stream) {
  return std::make_unique<StreamRdbCursor>(stream);
}

void WriteRdbStream(RdbWriter& writer, const ValueObject& stream) { WriteWhole(writer, StreamRdbCursor(stream)); }

Result<std::unique_ptr<ValueObject>> ReadRdbStream(RdbReader& reader, uint8_t rdb_type, const EncodingLimits&) {
  if (rdb_type != kRdbTypeStreamListpacks && rdb_type != kRdbTypeStreamListpacks2 &&
      rdb_type != kRdbTypeStreamListpacks3) {
    return Corrupt("type " + std::to_string(rdb_type) + " is not a stream encoding");
  }
  auto stream = std::make_unique<Stream>();
  if (Status nodes = ReadNodes(reader, *stream); !nodes.ok()) return nodes;
  auto length = reader.ReadLength();
  if (!length.ok()) return length.status();
  auto last_id = ReadId(reader);
  if (!last_id.ok()) return last_id.status();
  stream->set_last_id(*last_id);
  if (rdb_type >= kRdbTypeStreamListpacks2) {
    auto first_id = ReadId(reader);
    if (!first_id.ok()) return first_id.status();
    auto max_deleted = ReadId(reader);
    if (!max_deleted.ok()) return max_deleted.status();
    auto entries_added = reader.ReadLength();
    if (!entries_added.ok()) return entries_added.status();
    stream->set_first_id(*first_id);
    stream->set_max_deleted_id(*max_deleted);
    stream->set_entries_added(*entries_added);
  }
  if (Status finished = stream->FinishLoading(*length); !finished.ok()) return finished;
  if (rdb_type == kRdbTypeStreamListpacks) {
    // Before 7.0 these were not kept: what Redis 7 assumes for such a stream.
    stream->RefreshFirstId();
    stream->set_entries_added(*length);
  }
  auto groups = ReadCount(reader, 3, "group");
  if (!groups.ok()) return groups.status();
  for (uint64_t i = 0; i < *groups; ++i) {
    if (Status group = ReadGroup(reader, rdb_type, *stream); !group.ok()) return group;
  }
  return std::unique_ptr<ValueObject>(std::move(stream));
}

}  // namespace tierkv
