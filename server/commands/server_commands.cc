// Server commands: DBSIZE FLUSHDB FLUSHALL SWAPDB TIME SHUTDOWN.
#include "engine/memory.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"

#include <sys/time.h>

namespace tierkv {
namespace {

void CmdDbSize(CommandContext& ctx) { ctx.reply().Integer(static_cast<int64_t>(ctx.db().size())); }

// FLUSHDB/FLUSHALL [ASYNC|SYNC]: ASYNC hands the emptied tables to the
// lazy-freeing thread, SYNC frees them here, no option follows
// lazyfree-lazy-user-flush. False (after the error reply) on a bad option.
bool ParseFlushLazily(CommandContext& ctx, bool* lazy) {
  *lazy = ctx.shard.options().lazy_free.user_flush;
  if (ctx.argc() == 1) return true;
  if (ctx.argc() == 2 && IsOption(ctx.arg(1), "ASYNC")) {
    *lazy = true;
    return true;
  }
  if (ctx.argc() == 2 && IsOption(ctx.arg(1), "SYNC")) {
    *lazy = false;
    return true;
  }
  ReplyError(ctx.reply(), Status::Syntax());
  return false;
}

void CmdFlushDb(CommandContext& ctx) {
  bool lazy;
  if (!ParseFlushLazily(ctx, &lazy)) return;
  ctx.shard.FlushDb(ctx.client.db, lazy);
  // A synchronous flush hands the freed pages back at once, as Redis does.
  if (!lazy) ReturnFreedMemoryToOs();
  ctx.reply().Ok();
}

void CmdFlushAll(CommandContext& ctx) {
  bool lazy;
  if (!ParseFlushLazily(ctx, &lazy)) return;
  ctx.shard.FlushAll(lazy);
  // A synchronous flush hands the freed pages back at once, as Redis does.
  if (!lazy) ReturnFreedMemoryToOs();
  ctx.reply().Ok();
}

void CmdSwapDb(CommandContext& ctx) {
  auto a = IntArg(ctx.arg(1));
  if (!a.ok()) return ctx.reply().Error("ERR invalid first DB index");
  auto b = IntArg(ctx.arg(2));
  if (!b.ok()) return ctx.reply().Error("ERR invalid second DB index");
  if (*a < 0 || *a >= ctx.shard.db_count() || *b < 0 || *b >= ctx.shard.db_count()) {
    return ctx.reply().Error("ERR DB index is out of range");
  }
  // The tier holds cold values under their db's number until a round writes the swap, so
  // both dbs' values are read back first (Shard::SwapDb would move one it could not read
  // as a cold entry, later read from the other db). A failed read swaps nothing.
  for (const int db : {static_cast<int>(*a), static_cast<int>(*b)}) {
    ctx.shard.db(db).MakeResidentWhere([](const Entry&) { return true; });
    if (ctx.shard.db(db).cold_count() > 0) {
      return ctx.reply().Error("ERR cold read failed: " + ctx.shard.last_load_error());
    }
  }
  ctx.shard.SwapDb(static_cast<int>(*a), static_cast<int>(*b));
  ctx.reply().Ok();
}

void CmdTime(CommandContext& ctx) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.reply().Array(2);
  ctx.reply().Bulk(std::to_string(tv.tv_sec));
  ctx.reply().Bulk(std::to_string(tv.tv_usec));
}

void CmdShutdown(CommandContext& ctx) {
  bool save = true;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view option = ctx.arg(i);
    if (!IsOption(option, "NOSAVE") && !IsOption(option, "SAVE") && !IsOption(option, "NOW") &&
        !IsOption(option, "FORCE") && !IsOption(option, "ABORT")) {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
    if (IsOption(option, "ABORT")) return ctx.reply().Error("ERR No shutdown in progress.");
    if (IsOption(option, "NOSAVE")) save = false;
  }
  // While a script runs past busy-reply-threshold only SHUTDOWN NOSAVE may stop the
  // server (the script's writes so far are then never journaled).
  if (save && ctx.server.scripting().busy()) {
    return ctx.reply().Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
  }
  // No reply on success: the connection closes as the server exits, as in Redis. The
  // client waits (suspended) while the final checkpoint round runs.
  ctx.server.SuspendClient(ctx.client);
  asio::post(ctx.server.io(), [&server = ctx.server, save, id = ctx.client.id] { server.Shutdown(save, id); });
}

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  table.Add({.name = "dbsize", .arity = 1, .flags = kCmdReadOnly | kCmdFast, .handler = CmdDbSize, .group = "server",
             .summary = "Returns the number of keys in the database.", .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "flushdb", .arity = -1, .flags = kCmdWrite, .handler = CmdFlushDb, .group = "server",
             .summary = "Remove all keys from the current database.", .since = "1.0.0",
             .complexity = "O(N) where N is the number of keys in the selected database"});
  table.Add({.name = "flushall", .arity = -1, .flags = kCmdWrite, .handler = CmdFlushAll, .group = "server",
             .summary = "Removes all keys from all databases.", .since = "1.0.0",
             .complexity = "O(N) where N is the total number of keys in all databases"});
  table.Add({.name = "swapdb", .arity = 3, .flags = kCmdWrite | kCmdFast, .handler = CmdSwapDb, .group = "server",
             .summary = "Swaps two Redis databases.", .since = "4.0.0",
             .complexity = "O(N) where N is the count of clients watching or blocking on keys from both databases."});
  table.Add({.name = "time", .arity = 1, .flags = kCmdFast | kCmdLoading | kCmdStale | kCmdRandom, .handler = CmdTime,
             .group = "server", .summary = "Returns the server time.", .since = "2.6.0", .complexity = "O(1)"});
  table.Add({.name = "shutdown", .arity = -1,
             .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoQueue | kCmdAllowBusy,
             .handler = CmdShutdown, .group = "server",
             .summary = "Synchronously saves the database(s) to disk and shuts down the Redis server.",
             .since = "1.0.0",
             .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving "
                           "data, otherwise O(1)"});
}

}  // namespace tierkv
