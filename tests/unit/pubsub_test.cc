// PubSub, the subscription registry: counts, delivery into subscribers' outputs, and the
// literal-prefix index of patterns (whose names are views of the registry's own keys, so
// adding and dropping patterns that share a prefix must never leave a dangling view).
#include "server/pubsub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tierkv {
namespace {

using Kind = PubSub::Kind;

TEST(GlobLiteralPrefix, StopsAtTheFirstGlobCharacter) {
  EXPECT_EQ(GlobLiteralPrefix("news.*"), "news.");
  EXPECT_EQ(GlobLiteralPrefix("h?llo"), "h");
  EXPECT_EQ(GlobLiteralPrefix("h[ae]llo"), "h");
  EXPECT_EQ(GlobLiteralPrefix("a\\*b"), "a");
  EXPECT_EQ(GlobLiteralPrefix("*"), "");
  EXPECT_EQ(GlobLiteralPrefix("plain"), "plain");
}

TEST(PubSub, CountsSubscriptionsPerKindAndFlagsTheClient) {
  PubSub pubsub;
  Client client(1);
  EXPECT_TRUE(pubsub.Subscribe(client, Kind::kChannel, "a"));
  EXPECT_FALSE(pubsub.Subscribe(client, Kind::kChannel, "a"));
  EXPECT_TRUE(pubsub.Subscribe(client, Kind::kPattern, "a*"));
  EXPECT_TRUE(pubsub.Subscribe(client, Kind::kShardChannel, "a"));
  EXPECT_TRUE(client.pubsub);
  EXPECT_EQ(pubsub.ChannelAndPatternCountOf(client), 2u);
  EXPECT_EQ(pubsub.CountOf(client, Kind::kShardChannel), 1u);
  EXPECT_EQ(pubsub.NameCount(Kind::kChannel), 1u);
  EXPECT_FALSE(pubsub.Unsubscribe(client, Kind::kChannel, "b"));
  EXPECT_TRUE(pubsub.Unsubscribe(client, Kind::kChannel, "a"));
  EXPECT_TRUE(pubsub.Unsubscribe(client, Kind::kPattern, "a*"));
  EXPECT_TRUE(client.pubsub);  // the shard channel is left
  EXPECT_TRUE(pubsub.Unsubscribe(client, Kind::kShardChannel, "a"));
  EXPECT_FALSE(client.pubsub);
  EXPECT_EQ(pubsub.NameCount(Kind::kChannel) + pubsub.NameCount(Kind::kPattern) +
                pubsub.NameCount(Kind::kShardChannel),
            0u);
}

TEST(PubSub, DeliversInSubscriptionOrderIntoEachOutput) {
  PubSub pubsub;
  Client first(1);
  Client second(2);
  Client third(3);
  third.reply.set_protocol(3);
  pubsub.Subscribe(second, Kind::kChannel, "ch");
  pubsub.Subscribe(first, Kind::kChannel, "ch");
  pubsub.Subscribe(third, Kind::kPattern, "c*");
  EXPECT_EQ(pubsub.Publish("ch", "hi"), 3u);
  EXPECT_EQ(second.output, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_EQ(first.output, second.output);
  EXPECT_EQ(third.output, ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_EQ(pubsub.PublishShard("ch", "x"), 0u);
  EXPECT_EQ(pubsub.SubscriberCount(Kind::kChannel, "ch"), 2u);
}

TEST(PubSub, PatternsSharingAPrefixSurviveEachOthersRemoval) {
  PubSub pubsub;
  Client a(1);
  Client b(2);
  // The prefix bucket "news." is created by the first pattern; dropping that one must
  // leave the bucket usable for the second.
  pubsub.Subscribe(a, Kind::kPattern, "news.*");
  pubsub.Subscribe(b, Kind::kPattern, "news.?");
  pubsub.Subscribe(b, Kind::kPattern, "*");
  pubsub.Subscribe(b, Kind::kPattern, "n[e]ws.x");
  EXPECT_EQ(pubsub.Publish("news.x", "1"), 4u);
  EXPECT_TRUE(pubsub.Unsubscribe(a, Kind::kPattern, "news.*"));
  EXPECT_EQ(pubsub.Publish("news.x", "2"), 3u);
  EXPECT_EQ(pubsub.Publish("news.xy", "3"), 1u);
  EXPECT_EQ(pubsub.Publish("", "4"), 0u);  // Redis's matcher never matches an empty channel
  pubsub.UnsubscribeAll(b);
  EXPECT_EQ(pubsub.NameCount(Kind::kPattern), 0u);
  EXPECT_EQ(pubsub.Publish("news.x", "5"), 0u);
  // And the index is usable again from empty.
  pubsub.Subscribe(a, Kind::kPattern, "news.*");
  EXPECT_EQ(pubsub.Publish("news.x", "6"), 1u);
}

TEST(PubSub, ActiveNamesFilterByPattern) {
  PubSub pubsub;
  Client client(1);
  for (const char* name : {"news.art", "news.tech", "sport"}) pubsub.Subscribe(client, Kind::kChannel, name);
  std::vector<std::string> names = pubsub.ActiveNames(Kind::kChannel, "news.*");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"news.art", "news.tech"}));
  EXPECT_EQ(pubsub.ActiveNames(Kind::kChannel, "").size(), 3u);
  EXPECT_TRUE(pubsub.ActiveNames(Kind::kShardChannel, "").empty());
}

}  // namespace
}  // namespace tierkv
