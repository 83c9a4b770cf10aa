// Persistence commands: SAVE BGSAVE BGREWRITEAOF LASTSAVE. Each is a checkpoint round
// (tiering/checkpointer.h): SAVE waits for it, the others start it in the background.
// BGREWRITEAOF is a round too: a checkpoint is what lets the journal drop its old
// segments, which is what rewriting an AOF achieves in Redis.
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

constexpr const char* kSaveInProgress = "ERR Background save already in progress";

void CmdSave(CommandContext& ctx) {
  Durability* durability = ctx.server.durability();
  if (durability == nullptr) return ctx.reply().Ok();  // tier none: nothing to save to
  if (durability->round_in_progress()) return ctx.reply().Error(kSaveInProgress);
  // The client waits for the round; everyone else keeps being served.
  ctx.server.SuspendClient(ctx.client);
  durability->StartRound([&server = ctx.server, id = ctx.client.id](const Status& status) {
    server.FinishSuspended(id, status.ok() ? Status::Ok() : Status::Error("ERR"));
  });
}

void CmdBgSave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.argc() == 2) {
    if (!IsOption(ctx.arg(1), "SCHEDULE")) return ReplyError(ctx.reply(), Status::Syntax());
    schedule = true;
  } else if (ctx.argc() > 2) {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  Durability* durability = ctx.server.durability();
  if (durability == nullptr) return ctx.reply().SimpleString("Background saving started");
  if (durability->round_in_progress() && !durability->rewrite_in_progress()) return ctx.reply().Error(kSaveInProgress);
  if (durability->rewrite_in_progress()) {
    if (!schedule) {
      return ctx.reply().Error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to "
          "schedule a BGSAVE whenever possible.");
    }
    durability->ScheduleRound(false);
    return ctx.reply().SimpleString("Background saving scheduled");
  }
  durability->StartRound(nullptr);
  ctx.reply().SimpleString("Background saving started");
}

void CmdBgRewriteAof(CommandContext& ctx) {
  Durability* durability = ctx.server.durability();
  if (durability == nullptr) return ctx.reply().SimpleString("Background append only file rewriting started");
  if (durability->rewrite_in_progress()) {
    return ctx.reply().Error("ERR Background append only file rewriting already in progress");
  }
  if (durability->round_in_progress()) {
    durability->ScheduleRound(true);
    return ctx.reply().SimpleString("Background append only file rewriting scheduled");
  }
  durability->StartRound(nullptr, true);
  ctx.reply().SimpleString("Background append only file rewriting started");
}

void CmdLastSave(CommandContext& ctx) {
  Durability* durability = ctx.server.durability();
  ctx.reply().Integer(durability != nullptr ? durability->info().last_save_unix : ctx.server.start_time_ms() / 1000);
}

}  // namespace

void RegisterPersistenceCommands(CommandTable& table) {
  table.Add({.name = "save", .arity = 1, .flags = kCmdAdmin | kCmdNoScript | kCmdNoMulti, .handler = CmdSave,
             .group = "server", .summary = "Synchronously saves the database(s) to disk.", .since = "1.0.0",
             .complexity = "O(N) where N is the total number of keys in all databases"});
  table.Add({.name = "bgsave", .arity = -1, .flags = kCmdAdmin | kCmdNoScript, .handler = CmdBgSave,
             .group = "server", .summary = "Asynchronously saves the database(s) to disk.", .since = "1.0.0",
             .complexity = "O(1)"});
  table.Add({.name = "bgrewriteaof", .arity = 1, .flags = kCmdAdmin | kCmdNoScript, .handler = CmdBgRewriteAof,
             .group = "server", .summary = "Asynchronously rewrites the append-only file to disk.", .since = "1.0.0",
             .complexity = "O(1)"});
  table.Add({.name = "lastsave", .arity = 1, .flags = kCmdLoading | kCmdStale | kCmdFast | kCmdRandom,
             .handler = CmdLastSave, .group = "server",
             .summary = "Returns the Unix timestamp of the last successful save to disk.", .since = "1.0.0",
             .complexity = "O(1)"});
}

}  // namespace tierkv
