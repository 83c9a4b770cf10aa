// The blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP (lists) and BZPOPMIN BZPOPMAX
// BZMPOP (sorted sets); XREAD/XREADGROUP BLOCK live with the stream commands. Each serves at once when it can, through the same operations as
// its non-blocking twin; otherwise it blocks the client (server/blocking.h), which re-runs
// this same handler when a key it waits on changes. Inside MULTI/EXEC a command that
// would block answers its timeout reply at once, as Redis does.
#include <optional>
#include <string>
#include <vector>

#include "engine/types/list/list_ops.h"
#include "engine/types/zset/zset_ops.h"
#include "server/blocking.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/multi_pop_args.h"
#include "server/server.h"
#include "server/zset_reply.h"

namespace tierkv {
namespace {

std::vector<std::string> KeysOf(std::span<const std::string_view> keys) { return {keys.begin(), keys.end()}; }

Result<ListEnd> ListEndArg(std::string_view text) {
  if (IsOption(text, "LEFT")) return ListEnd::kHead;
  if (IsOption(text, "RIGHT")) return ListEnd::kTail;
  return Status::Syntax();
}

// BLPOP / BRPOP key [key ...] timeout: [key, element] from the first non-empty list.
void BlockingListPop(CommandContext& ctx, ListEnd end) {
  auto timeout = ParseBlockTimeout(ctx.arg(ctx.argc() - 1));
  if (!timeout.ok()) return ReplyError(ctx.reply(), timeout.status());
  const std::span<const std::string_view> keys = ctx.args.subspan(1, ctx.argc() - 2);
  auto popped = OpListMultiPop(ctx.shard, ctx.client.db, keys, end, 1);
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  if (!popped->has_value()) return BlockOrAnswerNothing(ctx, KeysOf(keys), ValueType::kList, *timeout, BlockingNothing::kNullArray);
  ctx.reply().Array(2);
  ctx.reply().Bulk((*popped)->key);
  ctx.reply().Bulk((*popped)->values.front());
}

void CmdBLPop(CommandContext& ctx) { BlockingListPop(ctx, ListEnd::kHead); }
void CmdBRPop(CommandContext& ctx) { BlockingListPop(ctx, ListEnd::kTail); }

void BlockingListMove(CommandContext& ctx, ListEnd from, ListEnd to, std::string_view timeout_text) {
  auto timeout = ParseBlockTimeout(timeout_text);
  if (!timeout.ok()) return ReplyError(ctx.reply(), timeout.status());
  auto moved = OpListMove(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), from, to);
  if (!moved.ok()) return ReplyError(ctx.reply(), moved.status());
  if (!moved->has_value()) {
    return BlockOrAnswerNothing(ctx, {std::string(ctx.arg(1))}, ValueType::kList, *timeout, BlockingNothing::kNull);
  }
  ctx.reply().Bulk(**moved);
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void CmdBLMove(CommandContext& ctx) {
  auto from = ListEndArg(ctx.arg(3));
  if (!from.ok()) return ReplyError(ctx.reply(), from.status());
  auto to = ListEndArg(ctx.arg(4));
  if (!to.ok()) return ReplyError(ctx.reply(), to.status());
  BlockingListMove(ctx, *from, *to, ctx.arg(5));
}

// BRPOPLPUSH source destination timeout
void CmdBRPopLPush(CommandContext& ctx) { BlockingListMove(ctx, ListEnd::kTail, ListEnd::kHead, ctx.arg(3)); }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdBLMPop(CommandContext& ctx) {
  auto args = ParseMultiPopArgs(ctx.args, 2, "LEFT", "RIGHT");
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  const ListEnd end = args->first_end ? ListEnd::kHead : ListEnd::kTail;
  auto timeout = ParseBlockTimeout(ctx.arg(1));
  if (!timeout.ok()) return ReplyError(ctx.reply(), timeout.status());
  const std::span<const std::string_view> keys = ctx.args.subspan(3, args->numkeys);
  auto popped = OpListMultiPop(ctx.shard, ctx.client.db, keys, end, args->count);
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  if (!popped->has_value()) return BlockOrAnswerNothing(ctx, KeysOf(keys), ValueType::kList, *timeout, BlockingNothing::kNullArray);
  ctx.reply().Array(2);
  ctx.reply().Bulk((*popped)->key);
  ctx.reply().Array((*popped)->values.size());
  for (const std::string& value : (*popped)->values) ctx.reply().Bulk(value);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] from the first
// non-empty sorted set.
void BlockingZSetPop(CommandContext& ctx, bool from_max) {
  auto timeout = ParseBlockTimeout(ctx.arg(ctx.argc() - 1));
  if (!timeout.ok()) return ReplyError(ctx.reply(), timeout.status());
  const std::span<const std::string_view> keys = ctx.args.subspan(1, ctx.argc() - 2);
  auto popped = OpZMPop(ctx.shard, ctx.client.db, keys, from_max, 1);
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  if (!popped->has_value()) {
    return BlockOrAnswerNothing(ctx, KeysOf(keys), ValueType::kZSet, *timeout, BlockingNothing::kNullArray);
  }
  ctx.reply().Array(3);
  ctx.reply().Bulk((*popped)->key);
  ctx.reply().Bulk((*popped)->popped.front().member);
  ctx.reply().Double((*popped)->popped.front().score);
}

void CmdBZPopMin(CommandContext& ctx) { BlockingZSetPop(ctx, false); }
void CmdBZPopMax(CommandContext& ctx) { BlockingZSetPop(ctx, true); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score]...]].
void CmdBZMPop(CommandContext& ctx) {
  auto args = ParseMultiPopArgs(ctx.args, 2, "MIN", "MAX");
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  auto timeout = ParseBlockTimeout(ctx.arg(1));
  if (!timeout.ok()) return ReplyError(ctx.reply(), timeout.status());
  const std::span<const std::string_view> keys = ctx.args.subspan(3, args->numkeys);
  auto popped = OpZMPop(ctx.shard, ctx.client.db, keys, !args->first_end, args->count);
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  if (!popped->has_value()) {
    return BlockOrAnswerNothing(ctx, KeysOf(keys), ValueType::kZSet, *timeout, BlockingNothing::kNullArray);
  }
  ReplyZMPop(ctx.reply(), **popped);
}

}  // namespace

void RegisterBlockingCommands(CommandTable& table) {
  const uint32_t kBlockingWrite = kCmdWrite | kCmdBlocking;
  table.Add({.name = "blpop", .arity = -3, .flags = kBlockingWrite, .first_key = 1, .last_key = -2, .key_step = 1,
             .handler = CmdBLPop, .group = "list",
             .summary = "Removes and returns the first element in a list. Blocks until an element is available "
                        "otherwise. Deletes the list if the last element was popped.",
             .since = "2.0.0", .complexity = "O(N) where N is the number of provided keys."});
  table.Add({.name = "brpop", .arity = -3, .flags = kBlockingWrite, .first_key = 1, .last_key = -2, .key_step = 1,
             .handler = CmdBRPop, .group = "list",
             .summary = "Removes and returns the last element in a list. Blocks until an element is available "
                        "otherwise. Deletes the list if the last element was popped.",
             .since = "2.0.0", .complexity = "O(N) where N is the number of provided keys."});
  table.Add({.name = "blmove", .arity = 6, .flags = kBlockingWrite | kCmdDenyOom, .first_key = 1, .last_key = 2,
             .key_step = 1, .handler = CmdBLMove, .group = "list",
             .summary = "Pops an element from a list, pushes it to another list and returns it. Blocks until an "
                        "element is available otherwise. Deletes the list if the last element was moved.",
             .since = "6.2.0", .complexity = "O(1)"});
  table.Add({.name = "brpoplpush", .arity = 4, .flags = kBlockingWrite | kCmdDenyOom, .first_key = 1, .last_key = 2,
             .key_step = 1, .handler = CmdBRPopLPush, .group = "list",
             .summary = "Pops an element from a list, pushes it to another list and returns it. Block until an "
                        "element is available otherwise. Deletes the list if the last element was popped.",
             .since = "2.2.0", .complexity = "O(1)"});
  table.Add({.name = "blmpop", .arity = -5, .flags = kBlockingWrite, .handler = CmdBLMPop, .group = "list",
             .summary = "Pops the first element from one of multiple lists. Blocks until an element is available "
                        "otherwise. Deletes the list if the last element was popped.",
             .since = "7.0.0",
             .complexity = "O(N+M) where N is the number of provided keys and M is the number of elements "
                           "returned.",
             .key_finder = MultiPopKeys<2>});
  table.Add({.name = "bzpopmin", .arity = -3, .flags = kBlockingWrite | kCmdFast, .first_key = 1, .last_key = -2,
             .key_step = 1, .handler = CmdBZPopMin, .group = "sorted-set",
             .summary = "Removes and returns the member with the lowest score from one or more sorted sets. Blocks "
                        "until a member is available otherwise. Deletes the sorted set if the last element was "
                        "popped.",
             .since = "5.0.0", .complexity = "O(log(N)) with N being the number of elements in the sorted set."});
  table.Add({.name = "bzpopmax", .arity = -3, .flags = kBlockingWrite | kCmdFast, .first_key = 1, .last_key = -2,
             .key_step = 1, .handler = CmdBZPopMax, .group = "sorted-set",
             .summary = "Removes and returns the member with the highest score from one or more sorted sets. Blocks "
                        "until a member available otherwise.  Deletes the sorted set if the last element was "
                        "popped.",
             .since = "5.0.0", .complexity = "O(log(N)) with N being the number of elements in the sorted set."});
  table.Add({.name = "bzmpop", .arity = -5, .flags = kBlockingWrite, .handler = CmdBZMPop, .group = "sorted-set",
             .summary = "Removes and returns a member by score from one or more sorted sets. Blocks until a member "
                        "is available otherwise. Deletes the sorted set if the last element was popped.",
             .since = "7.0.0",
             .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
                           "elements in the sorted set, and M being the number of elements popped.",
             .key_finder = MultiPopKeys<2>});
}

}  // namespace tierkv
