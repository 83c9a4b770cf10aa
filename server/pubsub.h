// PubSub: every subscription of every client (channels, patterns and shard channels) and
// the delivery of published messages, in one object the server owns.
//
// A channel (or pattern, or shard channel) maps to its subscribers in the order they
// subscribed, which is the order messages reach them, as in Redis 7.0. Each client's own
// subscriptions are kept beside it (views of the registry's keys, so a name is stored once)
// for UNSUBSCRIBE without arguments, CLIENT LIST's sub/psub/ssub and the cleanup when the
// client goes. A message is written into each subscriber's output as a push (a plain array
// in RESP2) and the subscriber's connection is told (Connection::OnPushed), which sends
// it once the current batch of commands is done and disconnects a subscriber over the
// `client-output-buffer-limit pubsub`.
//
// Patterns are indexed by their literal prefix (the bytes before the first glob
// character): PUBLISH looks up the channel's own prefixes of the lengths some pattern has
// and matches only the patterns found there, so patterns that cannot match (another
// prefix) cost nothing per message.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/client.h"

namespace tierkv {

// The bytes of a glob pattern before its first special character ('*', '?', '[', '\'):
// every string the pattern matches starts with them.
std::string_view GlobLiteralPrefix(std::string_view pattern);

class PubSub {
 public:
  enum class Kind : uint8_t { kChannel, kPattern, kShardChannel };

  PubSub() = default;
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // False when `client` was already subscribed to `name`.
  bool Subscribe(Client& client, Kind kind, std::string_view name);
  // False when `client` was not subscribed to `name`.
  bool Unsubscribe(Client& client, Kind kind, std::string_view name);
  // `client`'s subscriptions of one kind (copies: unsubscribing invalidates views).
  std::vector<std::string> SubscriptionsOf(const Client& client, Kind kind) const;
  size_t CountOf(const Client& client, Kind kind) const;
  // Channels and patterns together: the count SUBSCRIBE and PSUBSCRIBE replies carry.
  size_t ChannelAndPatternCountOf(const Client& client) const {
    return CountOf(client, Kind::kChannel) + CountOf(client, Kind::kPattern);
  }
  // Drops every subscription of `client` without a reply (RESET, disconnection).
  void UnsubscribeAll(Client& client);

  // Delivers `message` to the subscribers of `channel` and of every matching pattern;
  // returns how many received it (PUBLISH's reply).
  size_t Publish(std::string_view channel, std::string_view message);
  // SPUBLISH: to the subscribers of the shard channel only.
  size_t PublishShard(std::string_view channel, std::string_view message);

  // PUBSUB CHANNELS / SHARDCHANNELS: the active names matching `pattern` (all when empty).
  std::vector<std::string> ActiveNames(Kind kind, std::string_view pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB.
  size_t SubscriberCount(Kind kind, std::string_view name) const;
  // INFO pubsub_channels, pubsub_patterns, pubsubshard_channels; PUBSUB NUMPAT.
  size_t NameCount(Kind kind) const { return TableOf(kind).size(); }

 private:
  using Subscribers = std::vector<Client*>;  // in subscription order
  // Hashes names as string views, so a lookup by a command's argument allocates nothing.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  using Table = std::unordered_map<std::string, Subscribers, NameHash, std::equal_to<>>;
  struct ClientSubscriptions {
    // Views of the keys of the tables, which outlive them (node-based maps keep keys in place).
    std::unordered_set<std::string_view> names[3];
    size_t total() const { return names[0].size() + names[1].size() + names[2].size(); }
  };

  Table& TableOf(Kind kind) { return tables_[static_cast<size_t>(kind)]; }
  const Table& TableOf(Kind kind) const { return tables_[static_cast<size_t>(kind)]; }
  // Removes `client` from `name`'s subscribers, and the entry once it has none.
  void RemoveSubscriber(Kind kind, std::string_view name, Client* client);
  void IndexPattern(const Table::value_type& entry);
  void UnindexPattern(std::string_view pattern);
  // One message to one subscriber, as Redis writes it ("message" / "smessage" with the
  // channel, or "pmessage" with the pattern too).
  static void Deliver(Client& client, std::string_view type, std::string_view pattern, std::string_view channel,
                      std::string_view message);

  Table tables_[3];  // by Kind
  // The pattern table's entries (node-based: they stay in place), hashed and compared by
  // their pattern's literal prefix and looked up by a prefix: one pointer per pattern, so
  // the index adds what a pattern costs Redis in all.
  using PatternEntry = const Table::value_type*;
  struct ByLiteralPrefix {
    using is_transparent = void;
    static std::string_view PrefixOf(std::string_view prefix) { return prefix; }
    static std::string_view PrefixOf(PatternEntry entry) { return GlobLiteralPrefix(entry->first); }
    size_t operator()(auto key) const { return std::hash<std::string_view>{}(PrefixOf(key)); }
    bool operator()(auto a, auto b) const { return PrefixOf(a) == PrefixOf(b); }
  };
  std::unordered_multiset<PatternEntry, ByLiteralPrefix, ByLiteralPrefix> patterns_by_prefix_;
  std::map<size_t, size_t> prefix_lengths_;  // literal prefix length -> patterns with it
  std::unordered_map<const Client*, ClientSubscriptions> clients_;
};

}  // namespace tierkv
