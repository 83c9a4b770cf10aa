// Stream: the value of a stream key, laid out as Redis lays it out so that DRAM per entry
// and the RDB form match Redis's:
//
// - entries live in nodes (engine/types/stream/stream_node.h): listpacks in Redis's
//   stream node format, indexed by master ID in an ordered map (Redis uses a radix tree
//   keyed by the same 128-bit big-endian IDs; both iterate in ID order). A new entry goes
//   to the last node unless that node has reached stream-node-max-bytes (counting the
//   new entry's field and value bytes) or stream-node-max-entries (live plus deleted);
//   then a new node starts with it as master.
// - metadata: length (live entries), last ID (the largest ever added or set), first ID
//   (the first live entry; 0-0 when empty), the largest deleted ID, entries added ever.
// - consumer groups (engine/types/stream/consumer_group.h), allocated on first use.
//
// Deleting an entry flags it inside its node; a node goes when its last live entry does.
// Trimming (XTRIM, XADD MAXLEN/MINID) removes whole nodes from the head, and in exact
// mode then flags entries inside the first remaining node, as Redis's streamTrim does.
// Unlike the other collections, a stream may be empty and stays in the keyspace.
//
// Thread-safety: a plain value; engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"
#include "engine/types/encoding_limits.h"
#include "engine/types/listpack.h"
#include "engine/types/stream/consumer_group.h"
#include "engine/types/stream/stream_id.h"
#include "engine/types/stream/stream_node.h"

namespace tierkv {

// Redis's STREAM_LISTPACK_MAX_SIZE: a node never grows past 1 GiB by choice, and an
// entry whose fields and values exceed it is refused.
inline constexpr size_t kStreamNodeMaxSize = size_t{1} << 30;

// How to trim (XTRIM's arguments, XADD's trimming options).
struct StreamTrim {
  enum class Strategy : uint8_t { kNone, kMaxLen, kMinId };
  Strategy strategy = Strategy::kNone;
  uint64_t max_len = 0;  // kMaxLen: keep at most this many entries
  StreamId min_id;       // kMinId: drop entries below this ID
  bool approximate = false;  // "~": only whole nodes
  int64_t limit = 0;         // approximate only: at most this many entries (0: no limit)
};

class Stream final : public ValueObject {
 public:
  using Nodes = std::map<StreamId, Listpack>;

  Stream() = default;
  Stream(const Stream& other);
  Stream& operator=(const Stream&) = delete;

  // ValueObject
  size_t MemoryUsage() const override;
  Encoding encoding() const override { return Encoding::kStream; }
  size_t Length() const override { return length_; }
  std::unique_ptr<ValueObject> Clone() const override;

  uint64_t length() const { return length_; }
  StreamId last_id() const { return last_id_; }
  StreamId first_id() const { return first_id_; }
  StreamId max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  const Nodes& nodes() const { return nodes_; }

  // XSETID and loading set the metadata directly.
  void set_last_id(StreamId id) { last_id_ = id; }
  void set_max_deleted_id(StreamId id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t count) { entries_added_ = count; }
  void set_first_id(StreamId id) { first_id_ = id; }

  // Appends an entry with `id` (which must be above last_id()); `field_values` holds
  // field, value, ... (even, at least one pair).
  void Append(StreamId id, std::span<const std::string_view> field_values, const EncodingLimits& limits);
  // Deletes a live entry (XDEL of one ID, which the caller books as the max deleted ID);
  // false if there is none with that ID. Leaves first_id() for the caller (RefreshFirstId).
  bool Delete(StreamId id);
  // Trims as `trim` says; returns how many entries went. Updates first_id().
  int64_t Trim(const StreamTrim& trim);
  // Recomputes first_id() from the entries (0-0 when empty).
  void RefreshFirstId();

  bool Contains(StreamId id) const;  // a live entry with this ID exists
  // The first / last live entry's ID; nullopt when the stream is empty.
  std::optional<StreamId> FirstLiveId() const;
  std::optional<StreamId> LastLiveId() const;

  // Consumer groups; groups() is null until the first group is created.
  ConsumerGroups* groups() { return groups_.get(); }
  const ConsumerGroups* groups() const { return groups_.get(); }
  ConsumerGroups& EnsureGroups();
  ConsumerGroup* FindGroup(std::string_view name);
  const ConsumerGroup* FindGroup(std::string_view name) const;
  size_t group_count() const { return groups_ ? groups_->size() : 0; }

  // Redis's streamEstimateDistanceFromFirstEverEntry: the entries-read figure of a group
  // that has read up to `id`, when it can be told from the metadata; kEntriesReadUnknown
  // otherwise.
  int64_t EstimateEntriesRead(StreamId id) const;
  // Redis's streamRangeHasTombstones: whether the latest deletion may lie in [start, end].
  bool RangeHasTombstones(StreamId start, StreamId end = StreamId::Max()) const;
  // A group delivering `id` (XREADGROUP ">"): moves its last ID there if that is ahead and
  // keeps entries-read in step, as Redis's streamReplyWithRange does.
  void AdvanceGroup(ConsumerGroup& group, StreamId id) const;
  // XINFO's lag of a group (entries added and not yet read by it); nullopt when unknown.
  std::optional<int64_t> GroupLag(const ConsumerGroup& group) const;
  // Redis's count of radix tree nodes (XINFO STREAM's radix-tree-nodes) for these node
  // keys, as a radix tree of the 16-byte big-endian keys would have them.
  size_t RadixTreeNodes() const;

  // Loading (RDB, RESTORE): adds a node after checking it in full (stream_node::Validate);
  // Corruption for a damaged node, an empty one or a duplicate master ID. FinishLoading
  // checks what spans nodes (IDs ascending across nodes and not above last_id(), length()
  // equal to the live entries) once the metadata is set.
  Status LoadNode(StreamId master_id, Listpack node);
  Status FinishLoading(uint64_t length);

 private:
  friend class StreamIterator;

  Nodes nodes_;
  uint64_t length_ = 0;
  StreamId last_id_;
  StreamId first_id_;
  StreamId max_deleted_id_;
  uint64_t entries_added_ = 0;
  std::unique_ptr<ConsumerGroups> groups_;
  uint64_t loaded_live_ = 0;  // live entries seen by LoadNode
};

// Walks the live entries of a stream whose IDs lie in [start, end], forwards or
// backwards. Invalid once the stream changes.
class StreamIterator {
 public:
  StreamIterator(const Stream& stream, StreamId start, StreamId end, bool reverse = false);

  // Moves to the next live entry in range; false when there is none.
  bool Next();
  StreamId id() const { return entry_.id; }
  int64_t field_count() const { return entry_.field_count; }
  // visit(field, value) for each pair of the current entry; views valid during the call.
  template <typename Visit>
  void ForEachField(Visit&& visit) const {
    stream_node::ForEachField(node_->second, master_, entry_, visit);
  }
  // Appends field, value, ... of the current entry to `out`.
  void AppendFields(std::vector<std::string>& out) const;

 private:
  bool EnterNode();   // loads the current node's master entry and its first/last entry
  bool AdvanceNode();

  const Stream& stream_;
  StreamId start_;
  StreamId end_;
  bool reverse_;
  bool done_ = false;
  bool started_ = false;
  Stream::Nodes::const_iterator node_;
  stream_node::Master master_;
  stream_node::Pos pos_ = Listpack::kEnd;  // flags of the entry to read next
  stream_node::Entry entry_;
};

}  // namespace tierkv
