// Generic key commands: DEL UNLINK EXISTS.
#include "server/command_context.h"
#include "server/command_table.h"

namespace tierkv {
namespace {

void CmdDel(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().Find(ctx.arg(i), false) != nullptr && ctx.db().Delete(ctx.arg(i))) {
      ++deleted;
      ctx.shard.KeyModified(ctx.client.db, ctx.arg(i));
    }
  }
  ctx.reply().Integer(deleted);
}

void CmdExists(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().Find(ctx.arg(i), !ctx.client.no_touch) != nullptr) ++count;
  }
  ctx.reply().Integer(count);
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  table.Add({.name = "del", .arity = -2, .flags = kCmdWrite, .first_key = 1, .last_key = -1, .key_step = 1,
             .handler = CmdDel, .group = "generic", .summary = "Deletes one or more keys.", .since = "1.0.0",
             .complexity = "O(N) where N is the number of keys that will be removed."});
  table.Add({.name = "unlink", .arity = -2, .flags = kCmdWrite | kCmdFast, .first_key = 1, .last_key = -1,
             .key_step = 1, .handler = CmdDel, .group = "generic",
             .summary = "Asynchronously deletes one or more keys.", .since = "4.0.0",
             .complexity = "O(1) for each key removed regardless of its size."});
  table.Add({.name = "exists", .arity = -2, .flags = kCmdReadOnly | kCmdFast, .first_key = 1, .last_key = -1,
             .key_step = 1, .handler = CmdExists, .group = "generic",
             .summary = "Determines whether one or more keys exist.", .since = "1.0.0",
             .complexity = "O(N) where N is the number of keys to check."});
}

}  // namespace tierkv
