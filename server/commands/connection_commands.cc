// Connection commands: PING ECHO QUIT SELECT HELLO RESET.
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/error_reply.h"
#include "server/server.h"
#include "server/version.h"

namespace tierkv {
namespace {

void CmdPing(CommandContext& ctx) {
  if (ctx.argc() > 2) return ctx.reply().Error(WrongArgCountError("ping"));
  // A RESP2 subscriber reads every reply as a message: Redis answers ["pong", arg or ""].
  if (ctx.client.pubsub && !ctx.reply().resp3()) {
    ctx.reply().Array(2);
    ctx.reply().Bulk("pong");
    return ctx.reply().Bulk(ctx.argc() == 2 ? ctx.arg(1) : "");
  }
  if (ctx.argc() == 2) return ctx.reply().Bulk(ctx.arg(1));
  ctx.reply().SimpleString("PONG");
}

void CmdEcho(CommandContext& ctx) { ctx.reply().Bulk(ctx.arg(1)); }

void CmdQuit(CommandContext& ctx) {
  ctx.reply().Ok();
  ctx.client.close_after_reply = true;
}

void CmdSelect(CommandContext& ctx) {
  auto index = DbIndexArg(ctx.arg(1), ctx.shard.db_count());
  if (!index.ok()) return ReplyError(ctx.reply(), index.status());
  ctx.client.db = *index;
  ctx.reply().Ok();
}

void ReplyHelloMap(CommandContext& ctx) {
  ReplyWriter& r = ctx.reply();
  r.Map(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisCompatVersion);
  r.Bulk("proto");
  r.Integer(r.protocol());
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(ctx.client.id));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("modules");
  r.Array(0);
}


void CmdHello(CommandContext& ctx) {
  int64_t protocol = ctx.reply().protocol();
  size_t i = 1;
  if (ctx.argc() >= 2) {
    auto version = IntArg(ctx.arg(1));
    if (!version.ok()) return ctx.reply().Error("ERR Protocol version is not an integer or out of range");
    if (*version < 2 || *version > 3) return ctx.reply().Error("NOPROTO unsupported protocol version");
    protocol = *version;
    i = 2;
  }
  std::string_view new_name;
  bool set_name = false;
  for (; i < ctx.argc(); ++i) {
    const bool has_more = i + 1 < ctx.argc();
    if (IsOption(ctx.arg(i), "AUTH") && i + 2 < ctx.argc()) {
      if (!ctx.server.AuthenticateClient(ctx.client, ctx.arg(i + 1), ctx.arg(i + 2), ctx.arg(0))) {
        return ctx.reply().Error(kWrongPassError);
      }
      i += 2;
    } else if (IsOption(ctx.arg(i), "SETNAME") && has_more) {
      new_name = ctx.arg(i + 1);
      if (!ValidClientName(new_name)) {
        return ctx.reply().Error(kInvalidClientNameError);
      }
      set_name = true;
      ++i;
    } else {
      return ctx.reply().Error("ERR Syntax error in HELLO option '" + std::string(ctx.arg(i)) + "'");
    }
  }
  if (set_name) ctx.client.name = std::string(new_name);
  ctx.reply().set_protocol(static_cast<int>(protocol));
  ReplyHelloMap(ctx);
}

void CmdReset(CommandContext& ctx) {
  Client& client = ctx.client;
  EndTransaction(client, ctx.server.watches());
  ctx.server.pubsub().UnsubscribeAll(client);
  ctx.server.tracking().Disable(client);
  client.db = 0;
  client.name.clear();
  client.no_evict = false;
  client.no_touch = false;
  if (client.monitor) {
    ctx.server.monitors().Remove(client.id);
    client.monitor = false;
  }
  client.reply.set_protocol(2);
  client.reply_mode = Client::ReplyMode::kOn;
  // As in Redis, a reset client is the default user again, and must authenticate
  // again when that user has a password.
  client.user = nullptr;
  client.authenticated = ctx.server.acl().default_user_open();
  ctx.reply().SimpleString("RESET");
}

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  const uint32_t kConn = kCmdFast | kCmdLoading | kCmdStale;
  table.Add({.name = "ping", .arity = -1, .flags = kCmdFast, .handler = CmdPing, .group = "connection",
             .summary = "Returns the server's liveliness response.", .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "echo", .arity = 2, .flags = kConn, .handler = CmdEcho, .group = "connection",
             .summary = "Returns the given string.", .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "quit", .arity = -1, .flags = kConn | kCmdNoQueue | kCmdNoAuth, .handler = CmdQuit,
             .group = "connection", .summary = "Closes the connection.", .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "select", .arity = 2, .flags = kConn, .handler = CmdSelect, .group = "connection",
             .summary = "Changes the selected database.", .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "hello", .arity = -1, .flags = kConn | kCmdNoAuth, .handler = CmdHello, .group = "connection",
             .summary = "Handshakes with the Redis server.", .since = "6.0.0", .complexity = "O(1)"});
  table.Add({.name = "reset", .arity = 1, .flags = kConn | kCmdNoQueue | kCmdNoAuth, .handler = CmdReset,
             .group = "connection", .summary = "Resets the connection.", .since = "6.2.0", .complexity = "O(1)"});
}

}  // namespace tierkv
