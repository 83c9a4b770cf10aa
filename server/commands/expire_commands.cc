// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
// PEXPIRETIME PERSIST. The Cmd* half; the operations are in engine/expire_ops.cc.
#include "engine/expire_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"

namespace tierkv {
namespace {

// EXPIRE key amount [NX | XX | GT | LT]... in `seconds` or ms, relative to now
// or (absolute) to the epoch. Options are checked before the amount, as Redis.
void ExpireGeneric(CommandContext& ctx, bool seconds, bool absolute) {
  unsigned flags = 0;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view option = ctx.arg(i);
    if (IsOption(option, "NX")) {
      flags |= kExpireNx;
    } else if (IsOption(option, "XX")) {
      flags |= kExpireXx;
    } else if (IsOption(option, "GT")) {
      flags |= kExpireGt;
    } else if (IsOption(option, "LT")) {
      flags |= kExpireLt;
    } else {
      return ctx.reply().Error("ERR Unsupported option " + std::string(option));
    }
  }
  if (Status valid = CheckExpireFlags(flags); !valid.ok()) return ReplyError(ctx.reply(), valid);
  auto amount = IntArg(ctx.arg(2));
  if (!amount.ok()) return ReplyError(ctx.reply(), amount.status());
  auto when = ExpireTimeMs(*amount, seconds, absolute ? 0 : ctx.shard.now_ms(), ctx.spec.name);
  if (!when.ok()) return ReplyError(ctx.reply(), when.status());
  const bool applied = OpExpire(ctx.shard, ctx.client.db, ctx.arg(1), *when, flags);
  ctx.reply().Integer(applied ? 1 : 0);
}

void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, /*seconds=*/true, /*absolute=*/false); }
void CmdPExpire(CommandContext& ctx) { ExpireGeneric(ctx, /*seconds=*/false, /*absolute=*/false); }
void CmdExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, /*seconds=*/true, /*absolute=*/true); }
void CmdPExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, /*seconds=*/false, /*absolute=*/true); }

void CmdTtl(CommandContext& ctx) {
  ctx.reply().Integer(OpTtl(ctx.shard, ctx.client.db, ctx.arg(1), TtlUnit::kSeconds, /*absolute=*/false));
}
void CmdPTtl(CommandContext& ctx) {
  ctx.reply().Integer(OpTtl(ctx.shard, ctx.client.db, ctx.arg(1), TtlUnit::kMilliseconds, /*absolute=*/false));
}
void CmdExpireTime(CommandContext& ctx) {
  ctx.reply().Integer(OpTtl(ctx.shard, ctx.client.db, ctx.arg(1), TtlUnit::kSeconds, /*absolute=*/true));
}
void CmdPExpireTime(CommandContext& ctx) {
  ctx.reply().Integer(OpTtl(ctx.shard, ctx.client.db, ctx.arg(1), TtlUnit::kMilliseconds, /*absolute=*/true));
}

void CmdPersist(CommandContext& ctx) {
  ctx.reply().Integer(OpPersist(ctx.shard, ctx.client.db, ctx.arg(1)) ? 1 : 0);
}

CommandSpec ExpireSpec(std::string name, CommandHandler handler, std::string summary, std::string since) {
  return {.name = std::move(name), .arity = -3, .flags = kCmdWrite | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = 1,
          .key_step = 1, .handler = handler, .group = "generic", .summary = std::move(summary),
          .since = std::move(since), .complexity = "O(1)"};
}

CommandSpec TtlSpec(std::string name, CommandHandler handler, std::string summary, std::string since) {
  return {.name = std::move(name), .arity = 2, .flags = kCmdReadOnly | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = 1,
          .key_step = 1, .handler = handler, .group = "generic", .summary = std::move(summary),
          .since = std::move(since), .complexity = "O(1)"};
}

}  // namespace

void RegisterExpireCommands(CommandTable& table) {
  table.Add(ExpireSpec("expire", CmdExpire, "Sets the expiration time of a key in seconds.", "1.0.0"));
  table.Add(ExpireSpec("pexpire", CmdPExpire, "Sets the expiration time of a key in milliseconds.", "2.6.0"));
  table.Add(ExpireSpec("expireat", CmdExpireAt, "Sets the expiration time of a key to a Unix timestamp.", "1.2.0"));
  table.Add(ExpireSpec("pexpireat", CmdPExpireAt,
                       "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0"));
  table.Add(TtlSpec("ttl", CmdTtl, "Returns the expiration time in seconds of a key.", "1.0.0"));
  table.Add(TtlSpec("pttl", CmdPTtl, "Returns the expiration time in milliseconds of a key.", "2.6.0"));
  table.Add(TtlSpec("expiretime", CmdExpireTime, "Returns the expiration time of a key as a Unix timestamp.",
                    "7.0.0"));
  table.Add(TtlSpec("pexpiretime", CmdPExpireTime,
                    "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0"));
  table.Add({.name = "persist", .arity = 2, .flags = kCmdWrite | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = 1,
             .key_step = 1, .handler = CmdPersist, .group = "generic",
             .summary = "Removes the expiration time of a key.", .since = "2.2.0", .complexity = "O(1)"});
}

}  // namespace tierkv
