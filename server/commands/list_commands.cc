// List commands: the Cmd* half (argument parsing and replies). The operations are in
// engine/types/list/list_ops.cc. Arguments are checked in the order Redis 7.2 checks
// them (some before the key lookup, some after), so that a command with several
// problems reports the same one. The blocking variants are in the blocking family.
#include "engine/types/list/list_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/multi_pop_args.h"

namespace tierkv {
namespace {

constexpr const char* kMustBePositive = "ERR value is out of range, must be positive";

// Redis's getRangeLongFromObjectOrReply with a message: an argument that is not an
// integer, or is outside [min, max], gets `message`.
Result<int64_t> RangeArg(std::string_view text, int64_t min, int64_t max, const char* message) {
  int64_t value;
  if (!ParseInt64(text, &value) || value < min || value > max) return Status::Error(message);
  return value;
}

Result<ListEnd> EndArg(std::string_view text) {
  if (IsOption(text, "LEFT")) return ListEnd::kHead;
  if (IsOption(text, "RIGHT")) return ListEnd::kTail;
  return Status::Syntax();
}

void Push(CommandContext& ctx, ListEnd end, bool only_if_exists) {
  auto length = OpListPush(ctx.shard, ctx.client.db, ctx.arg(1), end, ctx.args.subspan(2), only_if_exists);
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void CmdLPush(CommandContext& ctx) { Push(ctx, ListEnd::kHead, false); }
void CmdRPush(CommandContext& ctx) { Push(ctx, ListEnd::kTail, false); }
void CmdLPushX(CommandContext& ctx) { Push(ctx, ListEnd::kHead, true); }
void CmdRPushX(CommandContext& ctx) { Push(ctx, ListEnd::kTail, true); }

// LPOP/RPOP key [count]: without a count a bulk string (nil if missing); with one an
// array (a null array if missing, empty for count 0).
void Pop(CommandContext& ctx, ListEnd end) {
  if (ctx.argc() > 3) return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  const bool has_count = ctx.argc() == 3;
  int64_t count = 1;
  if (has_count) {
    auto parsed = RangeArg(ctx.arg(2), 0, INT64_MAX, kMustBePositive);
    if (!parsed.ok()) return ReplyError(ctx.reply(), parsed.status());
    count = *parsed;
  }
  auto popped = OpListPop(ctx.shard, ctx.client.db, ctx.arg(1), end, static_cast<size_t>(count));
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  if (!popped->has_value()) return has_count ? ctx.reply().NullArray() : ctx.reply().Null();
  if (has_count) return ctx.reply().BulkArray(**popped);
  ctx.reply().Bulk((**popped)[0]);
}

void CmdLPop(CommandContext& ctx) { Pop(ctx, ListEnd::kHead); }
void CmdRPop(CommandContext& ctx) { Pop(ctx, ListEnd::kTail); }

void CmdLLen(CommandContext& ctx) {
  auto length = OpListLength(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void CmdLRange(CommandContext& ctx) {
  auto start = IntArg(ctx.arg(2));
  if (!start.ok()) return ReplyError(ctx.reply(), start.status());
  auto end = IntArg(ctx.arg(3));
  if (!end.ok()) return ReplyError(ctx.reply(), end.status());
  ReplyWriter& reply = ctx.reply();
  Status status = OpListRange(
      ctx.shard, ctx.client.db, ctx.arg(1), *start, *end, [&](size_t count) { reply.Array(count); },
      [&](std::string_view element) { reply.Bulk(element); });
  if (!status.ok()) ReplyError(reply, status);
}

// Redis looks the key up before it parses the index (LINDEX, LSET): a missing or
// wrong-typed key answers first. Called with the index that failed to parse.
void ReplyBadIndex(CommandContext& ctx, const Status& bad_index, bool missing_is_error) {
  auto length = OpListLength(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  if (*length == 0) return missing_is_error ? ReplyError(ctx.reply(), Status::NoSuchKey()) : ctx.reply().Null();
  ReplyError(ctx.reply(), bad_index);
}

void CmdLIndex(CommandContext& ctx) {
  auto index = IntArg(ctx.arg(2));
  if (!index.ok()) return ReplyBadIndex(ctx, index.status(), /*missing_is_error=*/false);
  auto value = OpListIndex(ctx.shard, ctx.client.db, ctx.arg(1), *index);
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  if (!value->has_value()) return ctx.reply().Null();
  ctx.reply().Bulk(**value);
}

void CmdLSet(CommandContext& ctx) {
  auto index = IntArg(ctx.arg(2));
  if (!index.ok()) return ReplyBadIndex(ctx, index.status(), /*missing_is_error=*/true);
  Status status = OpListSet(ctx.shard, ctx.client.db, ctx.arg(1), *index, ctx.arg(3));
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

// LINSERT key BEFORE|AFTER pivot element
void CmdLInsert(CommandContext& ctx) {
  bool after;
  if (IsOption(ctx.arg(2), "AFTER")) {
    after = true;
  } else if (IsOption(ctx.arg(2), "BEFORE")) {
    after = false;
  } else {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  auto length = OpListInsert(ctx.shard, ctx.client.db, ctx.arg(1), after, ctx.arg(3), ctx.arg(4));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void CmdLRem(CommandContext& ctx) {
  auto count = IntArg(ctx.arg(2));
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  auto removed = OpListRemove(ctx.shard, ctx.client.db, ctx.arg(1), *count, ctx.arg(3));
  if (!removed.ok()) return ReplyError(ctx.reply(), removed.status());
  ctx.reply().Integer(*removed);
}

void CmdLTrim(CommandContext& ctx) {
  auto start = IntArg(ctx.arg(2));
  if (!start.ok()) return ReplyError(ctx.reply(), start.status());
  auto end = IntArg(ctx.arg(3));
  if (!end.ok()) return ReplyError(ctx.reply(), end.status());
  Status status = OpListTrim(ctx.shard, ctx.client.db, ctx.arg(1), *start, *end);
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLPos(CommandContext& ctx) {
  ListPosOptions options;
  bool has_count = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const std::string_view option = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (IsOption(option, "RANK") && has_value) {
      // Redis 7.2 refuses INT64_MIN, whose magnitude does not fit (7.0 misbehaved on it).
      auto rank = IntArg(ctx.arg(++i));
      if (!rank.ok()) return ReplyError(ctx.reply(), rank.status());
      if (*rank == INT64_MIN) {
        return ctx.reply().Error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
      }
      if (*rank == 0) {
        return ctx.reply().Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative "
            "to start from the end of the list");
      }
      options.rank = *rank;
    } else if (IsOption(option, "COUNT") && has_value) {
      auto count = RangeArg(ctx.arg(++i), 0, INT64_MAX, "ERR COUNT can't be negative");
      if (!count.ok()) return ReplyError(ctx.reply(), count.status());
      options.max_matches = static_cast<size_t>(*count);
      has_count = true;
    } else if (IsOption(option, "MAXLEN") && has_value) {
      auto max_len = RangeArg(ctx.arg(++i), 0, INT64_MAX, "ERR MAXLEN can't be negative");
      if (!max_len.ok()) return ReplyError(ctx.reply(), max_len.status());
      options.max_len = static_cast<size_t>(*max_len);
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  if (!has_count) options.max_matches = 1;
  auto matches = OpListPos(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), options);
  if (!matches.ok()) return ReplyError(ctx.reply(), matches.status());
  if (has_count) {
    ctx.reply().Array(matches->size());
    for (int64_t index : *matches) ctx.reply().Integer(index);
    return;
  }
  if (matches->empty()) return ctx.reply().Null();
  ctx.reply().Integer(matches->front());
}

void Move(CommandContext& ctx, ListEnd from, ListEnd to) {
  auto moved = OpListMove(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), from, to);
  if (!moved.ok()) return ReplyError(ctx.reply(), moved.status());
  if (!moved->has_value()) return ctx.reply().Null();
  ctx.reply().Bulk(**moved);
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void CmdLMove(CommandContext& ctx) {
  auto from = EndArg(ctx.arg(3));
  if (!from.ok()) return ReplyError(ctx.reply(), from.status());
  auto to = EndArg(ctx.arg(4));
  if (!to.ok()) return ReplyError(ctx.reply(), to.status());
  Move(ctx, *from, *to);
}

void CmdRPopLPush(CommandContext& ctx) { Move(ctx, ListEnd::kTail, ListEnd::kHead); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdLMPop(CommandContext& ctx) {
  auto args = ParseMultiPopArgs(ctx.args, 1, "LEFT", "RIGHT");
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  auto popped = OpListMultiPop(ctx.shard, ctx.client.db, ctx.args.subspan(2, args->numkeys),
                               args->first_end ? ListEnd::kHead : ListEnd::kTail, args->count);
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  if (!popped->has_value()) return ctx.reply().NullArray();
  ctx.reply().Array(2);
  ctx.reply().Bulk((*popped)->key);
  ctx.reply().BulkArray((*popped)->values);
}

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;

CommandSpec ListCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                        std::string since, std::string complexity, int last_key = 1) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = last_key,
          .key_step = 1, .handler = handler, .group = "list", .summary = std::move(summary),
          .since = std::move(since), .complexity = std::move(complexity)};
}

constexpr const char* kPushComplexity =
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

}  // namespace

void RegisterListCommands(CommandTable& table) {
  table.Add(ListCommand("lpush", -3, kWriteOom | kCmdFast, CmdLPush,
                        "Prepends one or more elements to a list. Creates the key if it doesn't exist.", "1.0.0",
                        kPushComplexity));
  table.Add(ListCommand("rpush", -3, kWriteOom | kCmdFast, CmdRPush,
                        "Appends one or more elements to a list. Creates the key if it doesn't exist.", "1.0.0",
                        kPushComplexity));
  table.Add(ListCommand("lpushx", -3, kWriteOom | kCmdFast, CmdLPushX,
                        "Prepends one or more elements to a list only when the list exists.", "2.2.0",
                        kPushComplexity));
  table.Add(ListCommand("rpushx", -3, kWriteOom | kCmdFast, CmdRPushX,
                        "Appends an element to a list only when the list exists.", "2.2.0", kPushComplexity));
  table.Add(ListCommand("lpop", -2, kCmdWrite | kCmdFast, CmdLPop,
                        "Returns the first elements in a list after removing it. Deletes the list if the last "
                        "element was popped.",
                        "1.0.0", "O(N) where N is the number of elements returned"));
  table.Add(ListCommand("rpop", -2, kCmdWrite | kCmdFast, CmdRPop,
                        "Returns and removes the last elements of a list. Deletes the list if the last element was "
                        "popped.",
                        "1.0.0", "O(N) where N is the number of elements returned"));
  table.Add(ListCommand("llen", 2, kCmdReadOnly | kCmdFast, CmdLLen, "Returns the length of a list.", "1.0.0",
                        "O(1)"));
  table.Add(ListCommand("lrange", 4, kCmdReadOnly, CmdLRange, "Returns a range of elements from a list.", "1.0.0",
                        "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end "
                        "(HEAD or TAIL) for large lists; and N is the number of elements in the specified range."));
  table.Add(ListCommand("lindex", 3, kCmdReadOnly, CmdLIndex, "Returns an element from a list by its index.",
                        "1.0.0",
                        "O(N) where N is the number of elements to traverse to get to the element at index. This "
                        "makes asking for the first or the last element of the list O(1)."));
  table.Add(ListCommand("lset", 4, kWriteOom, CmdLSet, "Sets the value of an element in a list by its index.",
                        "1.0.0",
                        "O(N) where N is the length of the list. Setting either the first or the last element of "
                        "the list is O(1)."));
  table.Add(ListCommand("linsert", 5, kWriteOom, CmdLInsert,
                        "Inserts an element before or after another element in a list.", "2.2.0",
                        "O(N) where N is the number of elements to traverse before seeing the value pivot. This "
                        "means that inserting somewhere on the left end on the list (head) can be considered O(1) "
                        "and inserting somewhere on the right end (tail) is O(N)."));
  table.Add(ListCommand("lrem", 4, kCmdWrite, CmdLRem,
                        "Removes elements from a list. Deletes the list if the last element was removed.", "1.0.0",
                        "O(N+M) where N is the length of the list and M is the number of elements removed."));
  table.Add(ListCommand("ltrim", 4, kCmdWrite, CmdLTrim,
                        "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
                        "1.0.0", "O(N) where N is the number of elements to be removed by the operation."));
  table.Add(ListCommand("lpos", -3, kCmdReadOnly, CmdLPos, "Returns the index of matching elements in a list.",
                        "6.0.6",
                        "O(N) where N is the number of elements in the list, for the average case. When searching "
                        "for elements near the head or the tail of the list, or when the MAXLEN option is provided, "
                        "the command may run in constant time."));
  table.Add(ListCommand("lmove", 5, kWriteOom, CmdLMove,
                        "Returns an element after popping it from one list and pushing it to another. Deletes the "
                        "list if the last element was moved.",
                        "6.2.0", "O(1)", /*last_key=*/2));
  table.Add(ListCommand("rpoplpush", 3, kWriteOom, CmdRPopLPush,
                        "Returns the last element of a list after removing and pushing it to another list. Deletes "
                        "the list if the last element was popped.",
                        "1.2.0", "O(1)", /*last_key=*/2));
  CommandSpec lmpop = ListCommand("lmpop", -4, kCmdWrite, CmdLMPop,
                                  "Returns multiple elements from a list after removing them. Deletes the list if "
                                  "the last element was popped.",
                                  "7.0.0",
                                  "O(N+M) where N is the number of provided keys and M is the number of elements "
                                  "returned.");
  lmpop.first_key = 0;
  lmpop.last_key = 0;
  lmpop.key_step = 0;
  lmpop.key_finder = MultiPopKeys<1>;
  table.Add(std::move(lmpop));
}

}  // namespace tierkv
