// Transactions: MULTI EXEC DISCARD WATCH UNWATCH, with Redis's semantics:
// errors while queueing abort EXEC, errors while running do not, and any
// change to a watched key (expiry included) makes EXEC return nil.
#include <string>
#include <vector>

#include "server/command_context.h"
#include "server/command_table.h"
#include "server/server.h"

namespace tierkv {
namespace {

void EndTransaction(CommandContext& ctx) { EndTransaction(ctx.client, ctx.server.watches()); }

void CmdMulti(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.reply().Error("ERR MULTI calls can not be nested");
  ctx.client.in_multi = true;
  ctx.reply().Ok();
}

void CmdDiscard(CommandContext& ctx) {
  if (!ctx.client.in_multi) return ctx.reply().Error("ERR DISCARD without MULTI");
  EndTransaction(ctx);
  ctx.reply().Ok();
}

void CmdExec(CommandContext& ctx) {
  Client& client = ctx.client;
  if (!client.in_multi) return ctx.reply().Error("ERR EXEC without MULTI");
  if (client.multi_aborted) {
    EndTransaction(ctx);
    return ctx.reply().Error("EXECABORT Transaction discarded because of previous errors.");
  }
  if (client.watch_dirty || ctx.server.watches().AnyWatchedKeyExpired(client)) {
    EndTransaction(ctx);
    return ctx.reply().NullArray();
  }
  std::vector<std::vector<std::string>> queued = std::move(client.queued);
  EndTransaction(ctx);
  ctx.reply().Array(queued.size());
  std::vector<std::string_view> args;
  for (const auto& command : queued) {
    args.assign(command.begin(), command.end());
    ctx.server.Execute(client, args);
  }
}

void CmdWatch(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.reply().Error("ERR WATCH inside MULTI is not allowed");
  for (size_t i = 1; i < ctx.argc(); ++i) ctx.server.watches().Watch(ctx.client, ctx.client.db, ctx.arg(i));
  ctx.reply().Ok();
}

void CmdUnwatch(CommandContext& ctx) {
  ctx.server.watches().UnwatchAll(ctx.client);
  ctx.reply().Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  const uint32_t kTx = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  table.Add({.name = "multi", .arity = 1, .flags = kTx | kCmdNoQueue, .handler = CmdMulti, .group = "transactions",
             .summary = "Starts a transaction.", .since = "1.2.0", .complexity = "O(1)"});
  table.Add({.name = "exec", .arity = 1, .flags = (kTx & ~kCmdFast) | kCmdNoQueue | kCmdSkipSlowlog, .handler = CmdExec,
             .group = "transactions", .summary = "Executes all commands in a transaction.", .since = "1.2.0",
             .complexity = "Depends on commands in the transaction"});
  table.Add({.name = "discard", .arity = 1, .flags = kTx | kCmdNoQueue, .handler = CmdDiscard,
             .group = "transactions", .summary = "Discards a transaction.", .since = "2.0.0",
             .complexity = "O(N), when N is the number of queued commands"});
  table.Add({.name = "watch", .arity = -2, .flags = kTx | kCmdNoQueue, .first_key = 1, .last_key = -1, .key_step = 1,
             .handler = CmdWatch, .group = "transactions",
             .summary = "Monitors changes to keys to determine the execution of a transaction.", .since = "2.2.0",
             .complexity = "O(1) for every key."});
  table.Add({.name = "unwatch", .arity = 1, .flags = kTx, .handler = CmdUnwatch, .group = "transactions",
             .summary = "Forgets about watched keys of a transaction.", .since = "2.2.0", .complexity = "O(1)"});
}

}  // namespace tierkv
