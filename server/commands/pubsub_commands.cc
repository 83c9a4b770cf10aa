// Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the shard
// variants SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB's introspection. The
// subscriptions live in the server's PubSub registry (server/pubsub.h); the RESP2
// subscribed-mode rule is the dispatcher's (server/dispatch.cc).
#include <string>
#include <vector>

#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

using Kind = PubSub::Kind;

// Redis's confirmation of one (un)subscription: a push (an array in RESP2) of the verb,
// the name (null when UNSUBSCRIBE had nothing to drop) and the client's count afterwards:
// channels and patterns together, shard channels on their own.
void ReplySubscription(CommandContext& ctx, std::string_view verb, const std::string* name, Kind kind) {
  ReplyWriter& reply = ctx.reply();
  reply.Push(3);
  reply.Bulk(verb);
  name != nullptr ? reply.Bulk(*name) : reply.Null();
  const PubSub& pubsub = ctx.server.pubsub();
  reply.Integer(static_cast<int64_t>(kind == Kind::kShardChannel ? pubsub.CountOf(ctx.client, kind)
                                                                   : pubsub.ChannelAndPatternCountOf(ctx.client)));
}

void SubscribeTo(CommandContext& ctx, Kind kind, std::string_view verb) {
  for (size_t i = 1; i < ctx.argc(); ++i) {
    const std::string name(ctx.arg(i));
    ctx.server.pubsub().Subscribe(ctx.client, kind, name);
    ReplySubscription(ctx, verb, &name, kind);
  }
}

// Without names, every subscription of the kind goes; with none left, one reply with a
// null name.
void UnsubscribeFrom(CommandContext& ctx, Kind kind, std::string_view verb) {
  PubSub& pubsub = ctx.server.pubsub();
  std::vector<std::string> names;
  if (ctx.argc() > 1) {
    names.assign(ctx.args.begin() + 1, ctx.args.end());
  } else {
    names = pubsub.SubscriptionsOf(ctx.client, kind);
    if (names.empty()) return ReplySubscription(ctx, verb, nullptr, kind);
  }
  for (const std::string& name : names) {
    pubsub.Unsubscribe(ctx.client, kind, name);
    ReplySubscription(ctx, verb, &name, kind);
  }
}

void CmdSubscribe(CommandContext& ctx) { SubscribeTo(ctx, Kind::kChannel, "subscribe"); }
void CmdPsubscribe(CommandContext& ctx) { SubscribeTo(ctx, Kind::kPattern, "psubscribe"); }
void CmdUnsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, Kind::kChannel, "unsubscribe"); }
void CmdPunsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, Kind::kPattern, "punsubscribe"); }
void CmdSunsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, Kind::kShardChannel, "sunsubscribe"); }

void CmdSsubscribe(CommandContext& ctx) {
  // Redis refuses it inside MULTI (a client that expects one reply per command), though
  // it lets SUBSCRIBE through there for backward compatibility.
  if (ctx.client.in_multi || ctx.server.running_transaction()) {
    return ctx.reply().Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  }
  SubscribeTo(ctx, Kind::kShardChannel, "ssubscribe");
}

void CmdPublish(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.pubsub().Publish(ctx.arg(1), ctx.arg(2))));
}

void CmdSpublish(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.pubsub().PublishShard(ctx.arg(1), ctx.arg(2))));
}

void ReplyActiveNames(CommandContext& ctx, Kind kind) {
  if (ctx.argc() > 3) return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "pubsub"));
  ctx.reply().BulkArray(ctx.server.pubsub().ActiveNames(kind, ctx.argc() == 3 ? ctx.arg(2) : ""));
}

// NUMSUB's reply is a flat array of name, count in both protocols, as Redis's.
void ReplySubscriberCounts(CommandContext& ctx, Kind kind) {
  ReplyWriter& reply = ctx.reply();
  reply.Array((ctx.argc() - 2) * 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    reply.Bulk(ctx.arg(i));
    reply.Integer(static_cast<int64_t>(ctx.server.pubsub().SubscriberCount(kind, ctx.arg(i))));
  }
}

void CmdPubsubChannels(CommandContext& ctx) { ReplyActiveNames(ctx, Kind::kChannel); }
void CmdPubsubShardChannels(CommandContext& ctx) { ReplyActiveNames(ctx, Kind::kShardChannel); }
void CmdPubsubNumsub(CommandContext& ctx) { ReplySubscriberCounts(ctx, Kind::kChannel); }
void CmdPubsubShardNumsub(CommandContext& ctx) { ReplySubscriberCounts(ctx, Kind::kShardChannel); }
void CmdPubsubNumpat(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.pubsub().NameCount(Kind::kPattern)));
}

void CmdPubsubHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "pubsub",
            {"CHANNELS [<pattern>]",
             "    Return the currently active channels matching a <pattern> (default: '*').",
             "NUMPAT",
             "    Return number of subscriptions to patterns.",
             "NUMSUB [<channel> ...]",
             "    Return the number of subscribers for the specified channels, excluding",
             "    pattern subscriptions(default: no channels).",
             "SHARDCHANNELS [<pattern>]",
             "    Return the currently active shard level channels matching a <pattern> (default: '*').",
             "SHARDNUMSUB [<shardchannel> ...]",
             "    Return the number of subscribers for the specified shard level channel(s)"});
}

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  const uint32_t kSubscribe = kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale;
  const uint32_t kPublish = kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast;
  const uint32_t kIntrospect = kCmdPubSub | kCmdLoading | kCmdStale;
  table.Add({.name = "subscribe", .arity = -2, .flags = kSubscribe, .handler = CmdSubscribe, .group = "pubsub",
             .summary = "Listens for messages published to channels.", .since = "2.0.0",
             .complexity = "O(N) where N is the number of channels to subscribe to."});
  table.Add({.name = "unsubscribe", .arity = -1, .flags = kSubscribe, .handler = CmdUnsubscribe, .group = "pubsub",
             .summary = "Stops listening to messages posted to channels.", .since = "2.0.0",
             .complexity = "O(N) where N is the number of clients already subscribed to a channel."});
  table.Add({.name = "psubscribe", .arity = -2, .flags = kSubscribe, .handler = CmdPsubscribe, .group = "pubsub",
             .summary = "Listens for messages published to channels that match one or more patterns.",
             .since = "2.0.0", .complexity = "O(N) where N is the number of patterns the client is already subscribed to."});
  table.Add({.name = "punsubscribe", .arity = -1, .flags = kSubscribe, .handler = CmdPunsubscribe,
             .group = "pubsub",
             .summary = "Stops listening to messages published to channels that match one or more patterns.",
             .since = "2.0.0",
             .complexity = "O(N+M) where N is the number of patterns the client is already subscribed and M is "
                           "the number of total patterns subscribed in the system (by any client)."});
  table.Add({.name = "publish", .arity = 3, .flags = kPublish, .handler = CmdPublish, .group = "pubsub",
             .summary = "Posts a message to a channel.", .since = "2.0.0",
             .complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel and M is "
                           "the total number of subscribed patterns (by any client)."});
  table.Add({.name = "ssubscribe", .arity = -2, .flags = kSubscribe, .first_key = 1, .last_key = -1, .key_step = 1,
             .handler = CmdSsubscribe, .group = "pubsub", .summary = "Listens for messages published to shard channels.",
             .since = "7.0.0", .complexity = "O(N) where N is the number of shard channels to subscribe to."});
  table.Add({.name = "sunsubscribe", .arity = -1, .flags = kSubscribe, .first_key = 1, .last_key = -1,
             .key_step = 1, .handler = CmdSunsubscribe, .group = "pubsub",
             .summary = "Stops listening to messages posted to shard channels.", .since = "7.0.0",
             .complexity = "O(N) where N is the number of clients already subscribed to a shard channel."});
  table.Add({.name = "spublish", .arity = 3, .flags = kPublish, .first_key = 1, .last_key = 1, .key_step = 1,
             .handler = CmdSpublish, .group = "pubsub", .summary = "Post a message to a shard channel",
             .since = "7.0.0",
             .complexity = "O(N) where N is the number of clients subscribed to the receiving shard channel."});
  table.Add({.name = "pubsub",
             .arity = -2,
             .group = "pubsub",
             .summary = "A container for Pub/Sub commands.",
             .since = "2.8.0",
             .complexity = "Depends on subcommand.",
             .subcommands = {
                 Subcommand("pubsub", "channels", -2, kIntrospect, CmdPubsubChannels, "Returns the active channels.",
                            "2.8.0",
                            "O(N) where N is the number of active channels, and assuming constant time pattern "
                            "matching (relatively short channels and patterns)"),
                 Subcommand("pubsub", "numpat", 2, kIntrospect, CmdPubsubNumpat,
                            "Returns a count of unique pattern subscriptions.", "2.8.0", "O(1)"),
                 Subcommand("pubsub", "numsub", -2, kIntrospect, CmdPubsubNumsub,
                            "Returns a count of subscribers to channels.", "2.8.0",
                            "O(N) for the NUMSUB subcommand, where N is the number of requested channels"),
                 Subcommand("pubsub", "shardchannels", -2, kIntrospect, CmdPubsubShardChannels,
                            "Returns the active shard channels.", "7.0.0",
                            "O(N) where N is the number of active shard channels, and assuming constant time "
                            "pattern matching (relatively short shard channels)."),
                 Subcommand("pubsub", "shardnumsub", -2, kIntrospect, CmdPubsubShardNumsub,
                            "Returns the count of subscribers of shard channels.", "7.0.0",
                            "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"),
                 Subcommand("pubsub", "help", 2, kCmdLoading | kCmdStale, CmdPubsubHelp,
                            "Returns helpful text about the different subcommands.", "6.2.0", "O(1)"),
             }});
}

}  // namespace tierkv
