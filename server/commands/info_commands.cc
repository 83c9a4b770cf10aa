// INFO [section ...]: the text comes from server/info.cc; here only the reply,
// a verbatim string in RESP3 (a bulk string in RESP2), as Redis sends it.
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/info.h"
#include "server/server.h"

namespace tierkv {
namespace {

void CmdInfo(CommandContext& ctx) { ctx.reply().Verbatim(BuildInfo(ctx.server, ctx.args.subspan(1))); }

}  // namespace

void RegisterInfoCommands(CommandTable& table) {
  table.Add({.name = "info", .arity = -1, .flags = kCmdLoading | kCmdStale | kCmdRandom, .handler = CmdInfo,
             .group = "server", .summary = "Returns information and statistics about the server.",
             .since = "1.0.0", .complexity = "O(1)"});
}

}  // namespace tierkv
