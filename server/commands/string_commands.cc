// String commands: the Cmd* half (argument parsing and replies). The
// operations themselves are in engine/string_ops.cc.
#include "engine/string_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"

namespace tierkv {
namespace {

// Parses "EX s | PX ms | EXAT s | PXAT ms" into an absolute time, with Redis's
// errors ("invalid expire time in '<cmd>' command" for <= 0 or overflow).
Result<int64_t> ParseExpireOption(std::string_view unit, std::string_view value, int64_t now_ms,
                                  std::string_view command) {
  auto number = IntArg(value);
  if (!number.ok()) return number.status();
  const Status invalid = Status::Error("ERR invalid expire time in '" + std::string(command) + "' command");
  int64_t amount = *number;
  if (amount <= 0) return invalid;
  const bool seconds = IsOption(unit, "EX") || IsOption(unit, "EXAT");
  const bool relative = IsOption(unit, "EX") || IsOption(unit, "PX");
  if (seconds) {
    if (amount > INT64_MAX / 1000) return invalid;
    amount *= 1000;
  }
  if (relative) {
    if (amount > INT64_MAX - now_ms) return invalid;
    amount += now_ms;
  }
  return amount;
}

void CmdGet(CommandContext& ctx) {
  auto value = OpGet(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  if (!value->has_value()) return ctx.reply().Null();
  ctx.reply().Bulk(**value);
}

void CmdSet(CommandContext& ctx) {
  SetOptions options;
  bool have_expire = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view option = ctx.arg(i);
    const bool has_next = i + 1 < ctx.argc();
    if (IsOption(option, "NX") && options.condition != SetOptions::Condition::kIfExists) {
      options.condition = SetOptions::Condition::kIfMissing;
    } else if (IsOption(option, "XX") && options.condition != SetOptions::Condition::kIfMissing) {
      options.condition = SetOptions::Condition::kIfExists;
    } else if (IsOption(option, "GET")) {
      options.return_old = true;
    } else if (IsOption(option, "KEEPTTL") && !have_expire) {
      options.keep_ttl = true;
    } else if ((IsOption(option, "EX") || IsOption(option, "PX") || IsOption(option, "EXAT") ||
                IsOption(option, "PXAT")) &&
               !have_expire && !options.keep_ttl && has_next) {
      auto at = ParseExpireOption(option, ctx.arg(i + 1), ctx.shard.now_ms(), "set");
      if (!at.ok()) return ReplyError(ctx.reply(), at.status());
      options.expire_at_ms = *at;
      have_expire = true;
      ++i;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  auto outcome = OpSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), options);
  if (!outcome.ok()) return ReplyError(ctx.reply(), outcome.status());
  if (options.return_old) {
    if (outcome->old_value) return ctx.reply().Bulk(*outcome->old_value);
    return ctx.reply().Null();
  }
  if (!outcome->written) return ctx.reply().Null();
  ctx.reply().Ok();
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  table.Add({.name = "get", .arity = 2, .flags = kCmdReadOnly | kCmdFast, .first_key = 1, .last_key = 1, .key_step = 1,
             .handler = CmdGet, .group = "string", .summary = "Returns the string value of a key.", .since = "1.0.0",
             .complexity = "O(1)"});
  table.Add({.name = "set", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .first_key = 1, .last_key = 1, .key_step = 1,
             .handler = CmdSet, .group = "string",
             .summary = "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
             .since = "1.0.0", .complexity = "O(1)"});
}

}  // namespace tierkv
