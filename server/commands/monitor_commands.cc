// MONITOR. What a monitor sees is server/monitor.h and Server::FeedMonitors.
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/server.h"

namespace tierkv {
namespace {

void CmdMonitor(CommandContext& ctx) {
  // Queued by MULTI, it would turn the client into a monitor in the middle of EXEC's reply.
  if (ctx.server.running_transaction()) return ctx.reply().Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (ctx.client.monitor) return;  // as Redis: a second MONITOR is ignored, without a reply
  ctx.client.monitor = true;
  ctx.server.monitors().Add(ctx.client.id);
  ctx.reply().Ok();
}

}  // namespace

void RegisterMonitorCommands(CommandTable& table) {
  table.Add({.name = "monitor",
             .arity = 1,
             .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
             .handler = CmdMonitor,
             .group = "server",
             .summary = "Listens for all requests received by the server in real-time.",
             .since = "1.0.0",
             .complexity = ""});
}

}  // namespace tierkv
