// SLOWLOG GET LEN RESET HELP. What is logged, and when, is server/slowlog.h and
// Server::CountCall.
#include "engine/number.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

constexpr int64_t kDefaultGetCount = 10;

void CmdSlowlogGet(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "slowlog"));
  const auto& entries = ctx.server.slowlog().entries();
  int64_t count = kDefaultGetCount;
  if (ctx.argc() == 3 && (!ParseInt64(ctx.arg(2), &count) || count < -1)) {
    return ctx.reply().Error("ERR count should be greater than or equal to -1");
  }
  const size_t shown = count == -1 ? entries.size() : std::min(entries.size(), static_cast<size_t>(count));
  ctx.reply().Array(shown);
  for (size_t i = 0; i < shown; ++i) {
    const SlowLogEntry& entry = entries[i];
    ctx.reply().Array(6);
    ctx.reply().Integer(static_cast<int64_t>(entry.id));
    ctx.reply().Integer(entry.unix_seconds);
    ctx.reply().Integer(static_cast<int64_t>(entry.usec));
    ctx.reply().BulkArray(entry.args);
    ctx.reply().Bulk(entry.client_address);
    ctx.reply().Bulk(entry.client_name);
  }
}

void CmdSlowlogLen(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.slowlog().entries().size()));
}

void CmdSlowlogReset(CommandContext& ctx) {
  ctx.server.slowlog().Reset();
  ctx.reply().Ok();
}

void CmdSlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "slowlog",
            {"GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, client IP and port,",
             "    client name",
             "LEN",
             "    Return the length of the slowlog.",
             "RESET",
             "    Reset the slowlog."});
}

}  // namespace

void RegisterSlowlogCommands(CommandTable& table) {
  const uint32_t kAdmin = kCmdAdmin | kCmdLoading | kCmdStale;
  table.Add({.name = "slowlog",
             .arity = -2,
             .group = "server",
             .summary = "A container for slow log commands.",
             .since = "2.2.12",
             .complexity = "Depends on subcommand.",
             .subcommands = {
                 Subcommand("server", "get", -2, kAdmin | kCmdRandom, CmdSlowlogGet, "Returns the slow log's entries.",
                            "2.2.12", "O(N) where N is the number of entries returned"),
                 Subcommand("server", "len", 2, kAdmin | kCmdRandom, CmdSlowlogLen,
                            "Returns the number of entries in the slow log.", "2.2.12", "O(1)"),
                 Subcommand("server", "reset", 2, kAdmin, CmdSlowlogReset, "Clears all entries from the slow log.",
                            "2.2.12", "O(N) where N is the number of entries in the slowlog"),
                 Subcommand("server", "help", 2, kCmdLoading | kCmdStale, CmdSlowlogHelp,
                            "Show helpful text about the different subcommands.", "6.2.0", "O(1)"),
             }});
}

}  // namespace tierkv
