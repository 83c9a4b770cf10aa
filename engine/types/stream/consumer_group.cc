#include "engine/types/stream/consumer_group.h"

namespace tierkv {

ConsumerGroup::ConsumerGroup(const ConsumerGroup& other)
    : last_id(other.last_id), entries_read(other.entries_read), pel(other.pel), consumers(other.consumers) {
  for (auto& [id, entry] : pel) entry.consumer = FindConsumer(entry.consumer->name);
}

StreamConsumer* ConsumerGroup::FindConsumer(std::string_view name) {
  auto found = consumers.find(name);
  return found == consumers.end() ? nullptr : &found->second;
}

const StreamConsumer* ConsumerGroup::FindConsumer(std::string_view name) const {
  auto found = consumers.find(name);
  return found == consumers.end() ? nullptr : &found->second;
}

StreamConsumer* ConsumerGroup::FindOrCreateConsumer(std::string_view name, int64_t now_ms, bool* created) {
  auto [it, inserted] = consumers.try_emplace(std::string(name));
  if (inserted) {
    it->second.name = it->first;
    it->second.seen_time = now_ms;
  }
  if (created != nullptr) *created = inserted;
  return &it->second;
}

size_t ConsumerGroup::DeleteConsumer(std::string_view name) {
  auto found = consumers.find(name);
  if (found == consumers.end()) return 0;
  const size_t pending = found->second.pending.size();
  for (StreamId id : found->second.pending) pel.erase(id);
  consumers.erase(found);
  return pending;
}

PendingEntry* ConsumerGroup::FindPending(StreamId id) {
  auto found = pel.find(id);
  return found == pel.end() ? nullptr : &found->second;
}

PendingEntry& ConsumerGroup::Assign(StreamId id, StreamConsumer* consumer) {
  PendingEntry& entry = pel[id];
  if (entry.consumer != consumer) {
    if (entry.consumer != nullptr) entry.consumer->pending.erase(id);
    consumer->pending.insert(id);
    entry.consumer = consumer;
  }
  return entry;
}

bool ConsumerGroup::Ack(StreamId id) {
  auto found = pel.find(id);
  if (found == pel.end()) return false;
  found->second.consumer->pending.erase(id);
  pel.erase(found);
  return true;
}

}  // namespace tierkv
