// HyperLogLog commands: the Cmd* half (argument parsing and replies). The operations
// are in engine/types/hyperloglog/hll_ops.cc, the representation beside them.
#include "engine/types/hyperloglog/hll_ops.h"
#include "engine/types/hyperloglog/hll_selftest.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"

namespace tierkv {
namespace {

void CmdPfAdd(CommandContext& ctx) {
  auto updated = OpPfAdd(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!updated.ok()) return ReplyError(ctx.reply(), updated.status());
  ctx.reply().Integer(*updated ? 1 : 0);
}

void CmdPfCount(CommandContext& ctx) {
  auto cardinality = OpPfCount(ctx.shard, ctx.client.db, ctx.args.subspan(1));
  if (!cardinality.ok()) return ReplyError(ctx.reply(), cardinality.status());
  // Redis replies with the estimate as a signed long long.
  ctx.reply().Integer(static_cast<int64_t>(*cardinality));
}

void CmdPfMerge(CommandContext& ctx) {
  Status status = OpPfMerge(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

// PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key
void CmdPfDebug(CommandContext& ctx) {
  const std::string_view name = ctx.arg(1);
  PfDebugCommand command = PfDebugCommand::kNone;
  if (IsOption(name, "GETREG")) {
    command = PfDebugCommand::kGetReg;
  } else if (IsOption(name, "DECODE")) {
    command = PfDebugCommand::kDecode;
  } else if (IsOption(name, "ENCODING")) {
    command = PfDebugCommand::kEncoding;
  } else if (IsOption(name, "TODENSE")) {
    command = PfDebugCommand::kToDense;
  }
  auto result = OpPfDebug(ctx.shard, ctx.client.db, ctx.arg(2), command);
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  switch (command) {
    case PfDebugCommand::kGetReg:
      ctx.reply().Array(result->registers.size());
      for (uint8_t value : result->registers) ctx.reply().Integer(value);
      return;
    case PfDebugCommand::kDecode:
      return ctx.reply().Bulk(result->text);
    case PfDebugCommand::kEncoding:
      return ctx.reply().SimpleString(result->text);
    case PfDebugCommand::kToDense:
      return ctx.reply().Integer(result->converted ? 1 : 0);
    case PfDebugCommand::kNone:
      return ctx.reply().Error("ERR Unknown PFDEBUG subcommand '" + std::string(name) + "'");
  }
}

void CmdPfSelfTest(CommandContext& ctx) {
  Status status = hll::SelfTest(ctx.shard.rng(), ctx.shard.options().limits.hll_sparse_max_bytes);
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

CommandSpec HllCommand(std::string name, int arity, uint32_t flags, int first_key, int last_key,
                       CommandHandler handler, std::string summary, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = first_key, .last_key = last_key,
          .key_step = first_key == 0 ? 0 : 1, .handler = handler, .group = "hyperloglog",
          .summary = std::move(summary), .since = "2.8.9", .complexity = std::move(complexity)};
}

}  // namespace

void RegisterHyperLogLogCommands(CommandTable& table) {
  table.Add(HllCommand("pfadd", -2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, CmdPfAdd,
                       "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
                       "O(1) to add every element."));
  table.Add(HllCommand("pfcount", -2, kCmdReadOnly | kCmdMayReplicate, 1, -1, CmdPfCount,
                       "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
                       "O(1) with a very small average constant time when called with a single key. O(N) with N "
                       "being the number of keys, and much bigger constant times, when called with multiple keys."));
  table.Add(HllCommand("pfmerge", -2, kCmdWrite | kCmdDenyOom, 1, -1, CmdPfMerge,
                       "Merges one or more HyperLogLog values into a single key.",
                       "O(N) to merge N HyperLogLogs, but with high constant times."));
  table.Add(HllCommand("pfdebug", 3, kCmdWrite | kCmdDenyOom | kCmdAdmin, 2, 2, CmdPfDebug,
                       "Internal commands for debugging HyperLogLog values.", "N/A"));
  table.Add(HllCommand("pfselftest", 1, kCmdAdmin, 0, 0, CmdPfSelfTest,
                       "An internal command for testing HyperLogLog values.", "N/A"));
}

}  // namespace tierkv
