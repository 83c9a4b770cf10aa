#include "server/pubsub.h"

#include <algorithm>

#include "engine/glob.h"
#include "server/connection.h"

namespace tierkv {

std::string_view GlobLiteralPrefix(std::string_view pattern) {
  const size_t special = pattern.find_first_of("*?[\\");
  return pattern.substr(0, special == std::string_view::npos ? pattern.size() : special);
}

bool PubSub::Subscribe(Client& client, Kind kind, std::string_view name) {
  ClientSubscriptions& mine = clients_[&client];
  auto& names = mine.names[static_cast<size_t>(kind)];
  if (names.count(name) != 0) return false;
  Table& table = TableOf(kind);
  auto it = table.find(name);
  if (it == table.end()) {
    it = table.emplace(std::string(name), Subscribers{}).first;
    if (kind == Kind::kPattern) IndexPattern(*it);
  }
  it->second.push_back(&client);
  names.insert(it->first);
  client.pubsub = true;
  return true;
}

bool PubSub::Unsubscribe(Client& client, Kind kind, std::string_view name) {
  auto mine = clients_.find(&client);
  if (mine == clients_.end()) return false;
  auto& names = mine->second.names[static_cast<size_t>(kind)];
  if (names.erase(name) == 0) return false;
  RemoveSubscriber(kind, name, &client);
  if (mine->second.total() == 0) {
    clients_.erase(mine);
    client.pubsub = false;
  }
  return true;
}

std::vector<std::string> PubSub::SubscriptionsOf(const Client& client, Kind kind) const {
  auto mine = clients_.find(&client);
  if (mine == clients_.end()) return {};
  const auto& names = mine->second.names[static_cast<size_t>(kind)];
  return {names.begin(), names.end()};
}

size_t PubSub::CountOf(const Client& client, Kind kind) const {
  auto mine = clients_.find(&client);
  return mine == clients_.end() ? 0 : mine->second.names[static_cast<size_t>(kind)].size();
}

void PubSub::UnsubscribeAll(Client& client) {
  auto mine = clients_.find(&client);
  if (mine == clients_.end()) return;
  for (size_t kind = 0; kind < 3; ++kind) {
    for (std::string_view name : mine->second.names[kind]) RemoveSubscriber(static_cast<Kind>(kind), name, &client);
  }
  clients_.erase(mine);
  client.pubsub = false;
}

void PubSub::RemoveSubscriber(Kind kind, std::string_view name, Client* client) {
  Table& table = TableOf(kind);
  auto it = table.find(name);
  if (it == table.end()) return;
  Subscribers& subscribers = it->second;
  subscribers.erase(std::find(subscribers.begin(), subscribers.end(), client));
  if (!subscribers.empty()) return;
  if (kind == Kind::kPattern) UnindexPattern(it->first);
  table.erase(it);  // `name` may view this key: not used after this
}

void PubSub::IndexPattern(const Table::value_type& entry) {
  const std::string_view prefix = GlobLiteralPrefix(entry.first);
  patterns_by_prefix_.insert(&entry);
  ++prefix_lengths_[prefix.size()];
}

void PubSub::UnindexPattern(std::string_view pattern) {
  const std::string_view prefix = GlobLiteralPrefix(pattern);
  auto [first, last] = patterns_by_prefix_.equal_range(prefix);
  patterns_by_prefix_.erase(std::find_if(first, last, [&](const auto& indexed) { return indexed->first == pattern; }));
  auto length = prefix_lengths_.find(prefix.size());
  if (--length->second == 0) prefix_lengths_.erase(length);
}

void PubSub::Deliver(Client& client, std::string_view type, std::string_view pattern, std::string_view channel,
                     std::string_view message) {
  Connection* connection = client.connection;
  if (connection != nullptr && connection->closing()) return;
  ReplyWriter& reply = client.reply;
  reply.Push(pattern.empty() ? 3 : 4);
  reply.Bulk(type);
  if (!pattern.empty()) reply.Bulk(pattern);
  reply.Bulk(channel);
  reply.Bulk(message);
  if (connection != nullptr) connection->OnPushed();
}

size_t PubSub::Publish(std::string_view channel, std::string_view message) {
  size_t receivers = 0;
  const Table& channels = TableOf(Kind::kChannel);
  if (!channels.empty()) {
    auto it = channels.find(channel);
    if (it != channels.end()) {
      for (Client* client : it->second) Deliver(*client, "message", {}, channel, message);
      receivers += it->second.size();
    }
  }
  for (const auto& [length, count] : prefix_lengths_) {
    if (length > channel.size()) break;
    auto [first, last] = patterns_by_prefix_.equal_range(channel.substr(0, length));
    for (auto indexed = first; indexed != last; ++indexed) {
      const auto& [pattern, subscribers] = **indexed;
      if (!GlobMatch(pattern, channel)) continue;
      for (Client* client : subscribers) Deliver(*client, "pmessage", pattern, channel, message);
      receivers += subscribers.size();
    }
  }
  return receivers;
}

size_t PubSub::PublishShard(std::string_view channel, std::string_view message) {
  const Table& channels = TableOf(Kind::kShardChannel);
  auto it = channels.find(channel);
  if (it == channels.end()) return 0;
  for (Client* client : it->second) Deliver(*client, "smessage", {}, channel, message);
  return it->second.size();
}

std::vector<std::string> PubSub::ActiveNames(Kind kind, std::string_view pattern) const {
  std::vector<std::string> names;
  for (const auto& [name, subscribers] : TableOf(kind)) {
    if (pattern.empty() || GlobMatch(pattern, name)) names.push_back(name);
  }
  return names;
}

size_t PubSub::SubscriberCount(Kind kind, std::string_view name) const {
  const Table& table = TableOf(kind);
  auto it = table.find(name);
  return it == table.end() ? 0 : it->second.size();
}

}  // namespace tierkv
