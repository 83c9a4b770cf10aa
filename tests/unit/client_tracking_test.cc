// ClientTracking without sockets: the reader table (ReaderIds inline and spilled), the
// messages written into clients' outputs, messages to the running client held until its
// command is done, redirection (broken too), BCAST batching, flushes and the table bound.
#include "server/client_tracking.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {
namespace {

constexpr std::string_view kInvalidateK = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";

struct Fixture {
  int64_t max_keys = 0;
  std::map<uint64_t, Client*> clients;
  int broadcasts_scheduled = 0;
  ClientTracking tracking{[this](uint64_t id) -> Client* {
                            auto it = clients.find(id);
                            return it == clients.end() ? nullptr : it->second;
                          },
                          [this] { ++broadcasts_scheduled; }, max_keys};

  Client& Add(Client& client, int protocol = 3) {
    client.reply.set_protocol(protocol);
    clients[client.id] = &client;
    return client;
  }
  void Read(Client& reader, std::vector<std::string_view> args) {
    std::vector<KeyReference> keys;
    for (size_t i = 1; i < args.size(); ++i) keys.push_back({static_cast<int>(i), 0});
    tracking.RememberKeys(reader, keys, args);
  }
};

TEST(ReaderIds, KeepsOneIdInlineAndMoreSortedWithoutDuplicates) {
  ReaderIds ids;
  EXPECT_EQ(ids.size(), 0u);
  EXPECT_TRUE(ids.Insert(7));
  EXPECT_FALSE(ids.Insert(7));
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids.Insert(3));
  EXPECT_TRUE(ids.Insert(5));
  EXPECT_FALSE(ids.Insert(3));
  std::vector<uint64_t> seen;
  ids.ForEach([&](uint64_t id) { seen.push_back(id); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 5, 7}));
  ReaderIds moved = std::move(ids);
  EXPECT_EQ(moved.size(), 3u);
  EXPECT_EQ(ids.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
}

TEST(ClientTracking, AKeyReadIsInvalidatedOnceAndForgotten) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ASSERT_FALSE(f.tracking.Enable(a, {}).has_value());
  f.Read(a, {"GET", "k"});
  EXPECT_EQ(f.tracking.key_count(), 1u);
  f.tracking.OnKeyModified(0, "k");
  EXPECT_EQ(a.output, kInvalidateK);
  EXPECT_EQ(f.tracking.key_count(), 0u);
  f.tracking.OnKeyModified(0, "k");
  EXPECT_EQ(a.output, kInvalidateK);
}

TEST(ClientTracking, TheRunningClientGetsItsMessagesAfterItsCommand) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ASSERT_FALSE(f.tracking.Enable(a, {}).has_value());
  f.Read(a, {"GET", "k"});
  f.tracking.BeginCommand(a);
  a.output = "+OK\r\n";  // the command's reply
  f.tracking.OnKeyModified(0, "k");
  EXPECT_EQ(a.output, "+OK\r\n");
  f.tracking.EndCommand(a, false);
  EXPECT_EQ(a.output, "+OK\r\n" + std::string(kInvalidateK));
}

TEST(ClientTracking, NoloopSkipsTheClientsOwnChanges) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ASSERT_FALSE(f.tracking.Enable(a, {.noloop = true}).has_value());
  f.Read(a, {"GET", "k"});
  f.tracking.BeginCommand(a);
  f.tracking.OnKeyModified(0, "k");
  f.tracking.EndCommand(a, false);
  EXPECT_EQ(a.output, "");
  EXPECT_EQ(f.tracking.key_count(), 0u);
}

TEST(ClientTracking, RedirectsToASubscribedResp2ClientAndReportsABrokenRedirect) {
  Fixture f;
  Client a(1);
  Client target(2);
  f.Add(a, 2);
  f.Add(target, 2);
  target.pubsub = true;
  ASSERT_FALSE(f.tracking.Enable(a, {.redirect = 2}).has_value());
  f.Read(a, {"GET", "k"});
  f.tracking.OnKeyModified(0, "k");
  EXPECT_EQ(a.output, "");
  EXPECT_EQ(target.output, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n");

  f.clients.erase(2);
  a.reply.set_protocol(3);
  f.Read(a, {"GET", "k"});
  f.tracking.OnKeyModified(0, "k");
  EXPECT_EQ(a.output, ">2\r\n$21\r\ntracking-redir-broken\r\n:2\r\n");
  EXPECT_TRUE(a.tracking.broken_redirect);
}

TEST(ClientTracking, BroadcastSendsEachPrefixsChangedKeysSorted) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ClientTracking::Options options{.bcast = true, .prefixes = {"b", "a"}};
  ASSERT_FALSE(f.tracking.Enable(a, options).has_value());
  EXPECT_EQ(f.tracking.prefix_count(), 2u);
  f.tracking.OnKeyModified(0, "ab");
  f.tracking.OnKeyModified(0, "c");
  f.tracking.OnKeyModified(0, "aa");
  f.tracking.OnKeyModified(0, "b1");
  EXPECT_EQ(f.broadcasts_scheduled, 1);
  EXPECT_EQ(a.output, "");
  f.tracking.Broadcast();
  EXPECT_EQ(a.output,
            ">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\naa\r\n$2\r\nab\r\n"
            ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nb1\r\n");
  f.tracking.Disable(a);
  EXPECT_EQ(f.tracking.prefix_count(), 0u);
}

TEST(ClientTracking, PrefixesOfOneClientMustNotOverlap) {
  Fixture f;
  Client a(1);
  f.Add(a);
  auto error = f.tracking.Enable(a, {.bcast = true, .prefixes = {"ab", "a"}});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error,
            "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not "
            "overlap.");
  EXPECT_FALSE(a.tracking.on);
}

TEST(ClientTracking, AFlushSendsNullAndEmptiesTheTable) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ASSERT_FALSE(f.tracking.Enable(a, {}).has_value());
  f.Read(a, {"MGET", "k", "j"});
  EXPECT_EQ(f.tracking.item_count(), 2u);
  f.tracking.OnDbChanged(-1);
  EXPECT_EQ(a.output, ">2\r\n$10\r\ninvalidate\r\n_\r\n");
  EXPECT_EQ(f.tracking.key_count(), 0u);
  EXPECT_EQ(f.tracking.item_count(), 0u);
}

TEST(ClientTracking, TheTableIsBroughtUnderItsBoundWithInvalidations) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ASSERT_FALSE(f.tracking.Enable(a, {}).has_value());
  f.Read(a, {"MGET", "a", "b", "c", "d", "e"});
  f.max_keys = 2;
  f.tracking.LimitTableSize();
  EXPECT_EQ(f.tracking.key_count(), 2u);
  size_t messages = 0;
  for (size_t at = a.output.find(">2"); at != std::string::npos; at = a.output.find(">2", at + 1)) ++messages;
  EXPECT_EQ(messages, 3u);
}

TEST(ClientTracking, OptinTracksOnlyAfterCachingYes) {
  Fixture f;
  Client a(1);
  f.Add(a);
  ASSERT_FALSE(f.tracking.Enable(a, {.optin = true}).has_value());
  f.Read(a, {"GET", "k"});
  EXPECT_EQ(f.tracking.key_count(), 0u);
  a.tracking.caching = true;
  f.Read(a, {"GET", "k"});
  EXPECT_EQ(f.tracking.key_count(), 1u);
  f.tracking.BeginCommand(a);
  f.tracking.EndCommand(a, false);
  EXPECT_FALSE(a.tracking.caching);
}

}  // namespace
}  // namespace tierkv
