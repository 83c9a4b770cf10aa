#include "engine/types/stream/stream.h"

#include <array>

namespace tierkv {
namespace {

// Allocation of one node of a std::map keyed by StreamId holding a Listpack (tree links,
// key, value), as the allocator rounds it.
constexpr size_t kIndexNodeBytes = 64;
// A PEL entry in the group's map plus its ID in the owner's set.
constexpr size_t kPendingBytes = 80 + 48;
constexpr size_t kConsumerBytes = 128;
constexpr size_t kGroupBytes = 160;

}  // namespace

Stream::Stream(const Stream& other)
    : ValueObject(),
      nodes_(other.nodes_),
      length_(other.length_),
      last_id_(other.last_id_),
      first_id_(other.first_id_),
      max_deleted_id_(other.max_deleted_id_),
      entries_added_(other.entries_added_),
      groups_(other.groups_ ? std::make_unique<ConsumerGroups>(*other.groups_) : nullptr) {}

std::unique_ptr<ValueObject> Stream::Clone() const { return std::make_unique<Stream>(*this); }

size_t Stream::MemoryUsage() const {
  size_t bytes = sizeof(Stream) + nodes_.size() * kIndexNodeBytes;
  for (const auto& [master_id, node] : nodes_) bytes += node.MemoryUsage();
  if (groups_ != nullptr) {
    for (const auto& [name, group] : *groups_) {
      bytes += kGroupBytes + name.size() + group.pel.size() * kPendingBytes;
      for (const auto& [consumer_name, consumer] : group.consumers) bytes += kConsumerBytes + 2 * consumer_name.size();
    }
  }
  return bytes;
}

void Stream::Append(StreamId id, std::span<const std::string_view> field_values, const EncodingLimits& limits) {
  size_t element_bytes = 0;
  for (std::string_view item : field_values) element_bytes += item.size();
  bool new_node = nodes_.empty();
  if (!new_node) {
    const Listpack& tail = nodes_.rbegin()->second;
    size_t max_bytes = limits.stream_node_max_bytes;
    if (max_bytes == 0 || max_bytes > kStreamNodeMaxSize) max_bytes = kStreamNodeMaxSize;
    if (tail.bytes_size() + element_bytes >= max_bytes) {
      new_node = true;
    } else if (limits.stream_node_max_entries > 0) {
      // Deleted entries still take their room.
      const stream_node::Master master = stream_node::ReadMaster(tail);
      new_node = master.live + master.deleted >= limits.stream_node_max_entries;
    }
  }
  Nodes::iterator node;
  if (new_node) {
    node = nodes_.emplace_hint(nodes_.end(), id, stream_node::NewNode(field_values));
  } else {
    node = std::prev(nodes_.end());
  }
  stream_node::AppendEntry(node->second, node->first, id, field_values);
  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
}

bool Stream::Delete(StreamId id) {
  auto node = nodes_.upper_bound(id);
  if (node == nodes_.begin()) return false;
  --node;
  Listpack& lp = node->second;
  const stream_node::Master master = stream_node::ReadMaster(lp);
  for (stream_node::Pos pos = master.first_entry; pos != Listpack::kEnd;) {
    const stream_node::Entry entry = stream_node::ReadEntry(lp, master, node->first, pos);
    if (entry.id > id) return false;
    if (entry.id == id) {
      if (entry.deleted()) return false;
      if (master.live == 1) {
        nodes_.erase(node);
      } else {
        stream_node::MarkDeleted(lp, entry.flags_pos);
      }
      --length_;
      return true;
    }
    pos = entry.next;
  }
  return false;
}

int64_t Stream::Trim(const StreamTrim& trim) {
  if (trim.strategy == StreamTrim::Strategy::kNone) return 0;
  const bool by_length = trim.strategy == StreamTrim::Strategy::kMaxLen;
  int64_t deleted = 0;
  for (auto node = nodes_.begin(); node != nodes_.end();) {
    if (by_length && length_ <= trim.max_len) break;
    Listpack& lp = node->second;
    const stream_node::Master master = stream_node::ReadMaster(lp);
    const int64_t entries = master.live;
    if (trim.limit > 0 && deleted + entries > trim.limit) break;
    const bool remove_node = by_length ? length_ - static_cast<uint64_t>(entries) >= trim.max_len
                                       : stream_node::LastEntryId(lp, node->first) < trim.min_id;
    if (remove_node) {
      length_ -= static_cast<uint64_t>(entries);
      deleted += entries;
      node = nodes_.erase(node);
      continue;
    }
    if (trim.approximate) break;
    // Exact: flag the entries of this node that still have to go. Flags keep their size
    // (0..3 are one-byte integers), so positions stay valid while marking.
    int64_t deleted_here = 0;
    for (stream_node::Pos pos = master.first_entry; pos != Listpack::kEnd;) {
      const stream_node::Entry entry = stream_node::ReadEntry(lp, master, node->first, pos);
      const bool stop = by_length ? length_ <= trim.max_len : entry.id >= trim.min_id;
      if (stop) break;
      if (!entry.deleted()) {
        char flags = static_cast<char>('0' + (entry.flags | stream_node::kFlagDeleted));
        (void)lp.Replace(entry.flags_pos, std::string_view(&flags, 1));
        --length_;
        ++deleted_here;
      }
      pos = entry.next;
    }
    stream_node::SetCounts(lp, entries - deleted_here, master.deleted + deleted_here);
    deleted += deleted_here;
    break;  // the rest of the stream is kept
  }
  if (deleted > 0) RefreshFirstId();
  return deleted;
}

void Stream::RefreshFirstId() { first_id_ = FirstLiveId().value_or(StreamId::Min()); }

bool Stream::Contains(StreamId id) const {
  StreamIterator it(*this, id, id);
  return it.Next();
}

std::optional<StreamId> Stream::FirstLiveId() const {
  StreamIterator it(*this, StreamId::Min(), StreamId::Max());
  if (!it.Next()) return std::nullopt;
  return it.id();
}

std::optional<StreamId> Stream::LastLiveId() const {
  StreamIterator it(*this, StreamId::Min(), StreamId::Max(), /*reverse=*/true);
  if (!it.Next()) return std::nullopt;
  return it.id();
}

ConsumerGroups& Stream::EnsureGroups() {
  if (groups_ == nullptr) groups_ = std::make_unique<ConsumerGroups>();
  return *groups_;
}

ConsumerGroup* Stream::FindGroup(std::string_view name) {
  if (groups_ == nullptr) return nullptr;
  auto found = groups_->find(name);
  return found == groups_->end() ? nullptr : &found->second;
}

const ConsumerGroup* Stream::FindGroup(std::string_view name) const {
  if (groups_ == nullptr) return nullptr;
  auto found = groups_->find(name);
  return found == groups_->end() ? nullptr : &found->second;
}

int64_t Stream::EstimateEntriesRead(StreamId id) const {
  const auto added = static_cast<int64_t>(entries_added_);
  const auto length = static_cast<int64_t>(length_);
  // A stream that never had an entry: everything reads as 0.
  if (entries_added_ == 0) return 0;
  // In an empty stream, any ID up to the last one has read all.
  if (length_ == 0 && id <= last_id_) return added;
  if (id == last_id_) return added;
  if (id > last_id_) return kEntriesReadUnknown;  // a future ID
  // Without a deletion at or after the first entry, the stream is contiguous from there.
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return added - length;
    if (id == first_id_) return added - length + 1;
  }
  return kEntriesReadUnknown;
}

bool Stream::RangeHasTombstones(StreamId start, StreamId end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;  // the latest deletion is before the first entry
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

void Stream::AdvanceGroup(ConsumerGroup& group, StreamId id) const {
  if (id <= group.last_id) return;
  if (group.entries_read != kEntriesReadUnknown && !RangeHasTombstones(id)) {
    ++group.entries_read;
  } else if (entries_added_ != 0) {
    group.entries_read = EstimateEntriesRead(id);
  }
  group.last_id = id;
}

std::optional<int64_t> Stream::GroupLag(const ConsumerGroup& group) const {
  const auto added = static_cast<int64_t>(entries_added_);
  if (entries_added_ == 0) return 0;
  if (group.entries_read != kEntriesReadUnknown && !RangeHasTombstones(group.last_id)) {
    return added - group.entries_read;
  }
  const int64_t entries_read = EstimateEntriesRead(group.last_id);
  if (entries_read == kEntriesReadUnknown) return std::nullopt;
  return added - entries_read;
}

namespace {

using RaxKey = std::array<unsigned char, kEncodedStreamIdSize>;

// Nodes of a compressed radix tree over keys[lo, hi) (sorted, distinct, all sharing
// their first `depth` bytes): a run of bytes every key shares is one compressed node, a
// byte where they differ is one branching node with a child per distinct byte, and each
// key ends in a leaf node.
size_t CountRaxNodes(const std::vector<RaxKey>& keys, size_t lo, size_t hi, size_t depth) {
  if (depth == kEncodedStreamIdSize) return 1;  // the leaf (keys are distinct: hi - lo == 1)
  const RaxKey& first = keys[lo];
  const RaxKey& last = keys[hi - 1];
  size_t common = depth;
  while (common < kEncodedStreamIdSize && first[common] == last[common]) ++common;
  if (common > depth) return 1 + CountRaxNodes(keys, lo, hi, common);
  size_t nodes = 1;
  for (size_t begin = lo; begin < hi;) {
    size_t end = begin + 1;
    while (end < hi && keys[end][depth] == keys[begin][depth]) ++end;
    nodes += CountRaxNodes(keys, begin, end, depth + 1);
    begin = end;
  }
  return nodes;
}

}  // namespace

size_t Stream::RadixTreeNodes() const {
  if (nodes_.empty()) return 1;  // the empty root
  std::vector<RaxKey> keys;
  keys.reserve(nodes_.size());
  for (const auto& [master_id, node] : nodes_) {
    RaxKey key;
    EncodeStreamId(master_id, reinterpret_cast<char*>(key.data()));
    keys.push_back(key);
  }
  return CountRaxNodes(keys, 0, keys.size(), 0);
}

Status Stream::LoadNode(StreamId master_id, Listpack node) {
  if (node.empty()) return Status::Corruption("stream: empty node listpack");
  auto summary = stream_node::Validate(node, master_id);
  if (!summary.ok()) return summary.status();
  if (!nodes_.emplace(master_id, std::move(node)).second) return Status::Corruption("stream: duplicate node key");
  loaded_live_ += static_cast<uint64_t>(summary->live);
  return Status::Ok();
}

Status Stream::FinishLoading(uint64_t length) {
  std::optional<StreamId> previous_last;
  for (const auto& [master_id, node] : nodes_) {
    if (previous_last && master_id <= *previous_last) return Status::Corruption("stream: nodes overlap");
    previous_last = stream_node::LastEntryId(node, master_id);
  }
  if (previous_last && *previous_last > last_id_) return Status::Corruption("stream: entry above the last ID");
  if (length != loaded_live_) return Status::Corruption("stream: length does not match the entries");
  length_ = length;
  return Status::Ok();
}

StreamIterator::StreamIterator(const Stream& stream, StreamId start, StreamId end, bool reverse)
    : stream_(stream), start_(start), end_(end), reverse_(reverse) {
  const Stream::Nodes& nodes = stream_.nodes_;
  if (nodes.empty() || start_ > end_) {
    done_ = true;
    return;
  }
  // The node that may hold the first ID to visit: the last one whose master ID is not
  // above it (forwards, if none then the first node).
  node_ = nodes.upper_bound(reverse_ ? end_ : start_);
  if (node_ == nodes.begin()) {
    if (reverse_) {
      done_ = true;
      return;
    }
  } else {
    --node_;
  }
}

bool StreamIterator::EnterNode() {
  master_ = stream_node::ReadMaster(node_->second);
  pos_ = reverse_ ? stream_node::LastEntry(node_->second) : master_.first_entry;
  return true;
}

bool StreamIterator::AdvanceNode() {
  if (reverse_) {
    if (node_ == stream_.nodes_.begin()) return false;
    --node_;
  } else {
    if (++node_ == stream_.nodes_.end()) return false;
  }
  return EnterNode();
}

bool StreamIterator::Next() {
  if (done_) return false;
  if (!started_) {
    started_ = true;
    EnterNode();
  }
  for (;;) {
    while (pos_ == Listpack::kEnd) {
      if (!AdvanceNode()) {
        done_ = true;
        return false;
      }
    }
    const Listpack& lp = node_->second;
    entry_ = stream_node::ReadEntry(lp, master_, node_->first, pos_);
    pos_ = reverse_ ? stream_node::PreviousEntry(lp, entry_.flags_pos) : entry_.next;
    if (reverse_) {
      if (entry_.id < start_) break;
      if (entry_.id > end_) continue;
    } else {
      if (entry_.id > end_) break;
      if (entry_.id < start_) continue;
    }
    if (!entry_.deleted()) return true;
  }
  done_ = true;
  return false;
}

void StreamIterator::AppendFields(std::vector<std::string>& out) const {
  out.reserve(out.size() + static_cast<size_t>(2 * entry_.field_count));
  ForEachField([&](std::string_view field, std::string_view value) {
    out.emplace_back(field);
    out.emplace_back(value);
  });
}

}  // namespace tierkv
