// Consumer groups of a stream, as Redis keeps them (t_stream.c, stream.h):
//
// - a group has the last ID it delivered, its entries-read counter (how many entries
//   the group has read since the stream began, used for XINFO's lag; -1 when unknown),
//   its pending entries list (PEL: delivered, not yet acknowledged, ordered by ID, each
//   with its last delivery time, delivery count and owning consumer) and its consumers
//   (ordered by name, as Redis's radix tree orders them: bytewise);
// - a consumer has its seen-time (last attempted interaction: read, claim), active-time
//   (last successful one, Redis 7.2; -1 when never) and the IDs of the PEL it owns.
//
// Every PEL entry has an owner and sits in its owner's list; the group's methods keep
// both sides in step.
//
// Thread-safety: plain values; engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "engine/types/stream/stream_id.h"

namespace tierkv {

struct StreamConsumer;

struct PendingEntry {
  int64_t delivery_time = 0;  // unix ms of the last delivery
  uint64_t delivery_count = 0;
  StreamConsumer* consumer = nullptr;  // the owner
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;
  int64_t active_time = -1;
  std::set<StreamId> pending;  // IDs of the group's PEL this consumer owns
};

// A group's entries-read when it cannot be known (Redis's SCG_INVALID_ENTRIES_READ).
inline constexpr int64_t kEntriesReadUnknown = -1;

class ConsumerGroup {
 public:
  using Pel = std::map<StreamId, PendingEntry>;
  using Consumers = std::map<std::string, StreamConsumer, std::less<>>;

  ConsumerGroup() = default;
  ConsumerGroup(StreamId last_id, int64_t entries_read) : last_id(last_id), entries_read(entries_read) {}
  // A deep copy whose PEL points at the copy's own consumers.
  ConsumerGroup(const ConsumerGroup& other);
  ConsumerGroup& operator=(const ConsumerGroup&) = delete;
  ConsumerGroup(ConsumerGroup&&) noexcept = default;  // map nodes move whole: owners stay valid
  ConsumerGroup& operator=(ConsumerGroup&&) noexcept = default;

  StreamConsumer* FindConsumer(std::string_view name);
  const StreamConsumer* FindConsumer(std::string_view name) const;
  // The consumer named `name`, created (seen now, never active) if missing; `created`
  // says which.
  StreamConsumer* FindOrCreateConsumer(std::string_view name, int64_t now_ms, bool* created);
  // Removes a consumer with its pending entries; returns how many it had (0 if missing).
  size_t DeleteConsumer(std::string_view name);

  PendingEntry* FindPending(StreamId id);
  // Makes `consumer` own the PEL entry `id`, moving it from its previous owner or
  // creating it (delivery time and count for the caller to set).
  PendingEntry& Assign(StreamId id, StreamConsumer* consumer);
  // XACK of one ID: true if it was pending.
  bool Ack(StreamId id);

  StreamId last_id;
  int64_t entries_read = kEntriesReadUnknown;
  Pel pel;
  Consumers consumers;
};

// A stream's groups by name (bytewise order, as Redis lists them).
using ConsumerGroups = std::map<std::string, ConsumerGroup, std::less<>>;

}  // namespace tierkv
