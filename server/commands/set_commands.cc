// Set commands: the Cmd* half (argument parsing and replies). The operations are in
// engine/types/set/set_ops.cc. Arguments are checked in the order Redis checks them
// (t_set.c), so a command with several problems reports the same one; RESP3 clients get
// sets ('~') where Redis 7 sends them: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a
// count (SRANDMEMBER with a count may repeat members, so it stays an array).
#include "engine/number.h"
#include "engine/types/set/set_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/scan_args.h"

namespace tierkv {
namespace {

std::span<const std::string_view> ArgsFrom(const CommandContext& ctx, size_t first) {
  return ctx.args.subspan(first);
}

void ReplyMemberSet(ReplyWriter& reply, const std::vector<std::string>& members) {
  reply.Set(members.size());
  for (const std::string& member : members) reply.Bulk(member);
}

void ReplyCount(CommandContext& ctx, const Result<int64_t>& count) {
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  ctx.reply().Integer(*count);
}

void ReplyMembers(CommandContext& ctx, const Result<std::vector<std::string>>& members) {
  if (!members.ok()) return ReplyError(ctx.reply(), members.status());
  ReplyMemberSet(ctx.reply(), *members);
}

void CmdSAdd(CommandContext& ctx) { ReplyCount(ctx, OpSAdd(ctx.shard, ctx.client.db, ctx.arg(1), ArgsFrom(ctx, 2))); }

void CmdSRem(CommandContext& ctx) { ReplyCount(ctx, OpSRem(ctx.shard, ctx.client.db, ctx.arg(1), ArgsFrom(ctx, 2))); }

void CmdSCard(CommandContext& ctx) { ReplyCount(ctx, OpSCard(ctx.shard, ctx.client.db, ctx.arg(1))); }

void CmdSIsMember(CommandContext& ctx) {
  auto member = OpSIsMember(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!member.ok()) return ReplyError(ctx.reply(), member.status());
  ctx.reply().Integer(*member ? 1 : 0);
}

void CmdSMIsMember(CommandContext& ctx) {
  auto answers = OpSMIsMember(ctx.shard, ctx.client.db, ctx.arg(1), ArgsFrom(ctx, 2));
  if (!answers.ok()) return ReplyError(ctx.reply(), answers.status());
  ctx.reply().Array(answers->size());
  for (bool member : *answers) ctx.reply().Integer(member ? 1 : 0);
}

void CmdSMembers(CommandContext& ctx) { ReplyMembers(ctx, OpSMembers(ctx.shard, ctx.client.db, ctx.arg(1))); }

// SPOP key [count]. The count is parsed before the key is looked up; any bad count is
// "must be positive" (Redis's getPositiveLongFromObjectOrReply).
void CmdSPop(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplyError(ctx.reply(), Status::Syntax());
  if (ctx.argc() == 3) {
    int64_t count;
    if (!ParseInt64(ctx.arg(2), &count) || count < 0) {
      return ctx.reply().Error("ERR value is out of range, must be positive");
    }
    return ReplyMembers(ctx, OpSPopCount(ctx.shard, ctx.client.db, ctx.arg(1), static_cast<uint64_t>(count)));
  }
  auto member = OpSPop(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!member.ok()) return ReplyError(ctx.reply(), member.status());
  if (!member->has_value()) return ctx.reply().Null();
  ctx.reply().Bulk(**member);
}

// SRANDMEMBER key [count]: count in [-LONG_MAX, LONG_MAX]; negative may repeat members.
void CmdSRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplyError(ctx.reply(), Status::Syntax());
  if (ctx.argc() == 2) {
    auto member = OpSRandMember(ctx.shard, ctx.client.db, ctx.arg(1));
    if (!member.ok()) return ReplyError(ctx.reply(), member.status());
    if (!member->has_value()) return ctx.reply().Null();
    return ctx.reply().Bulk(**member);
  }
  auto count = IntArg(ctx.arg(2));
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  if (*count == INT64_MIN) {
    return ctx.reply().Error(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  }
  if (*count >= 0) {
    auto members = OpSRandMemberDistinct(ctx.shard, ctx.client.db, ctx.arg(1), static_cast<uint64_t>(*count));
    if (!members.ok()) return ReplyError(ctx.reply(), members.status());
    return ctx.reply().BulkArray(*members);
  }
  // Members go to the reply as they are drawn; the header first, once the key is known
  // to hold a (never empty) set.
  const auto wanted = static_cast<uint64_t>(-*count);
  bool started = false;
  auto found = OpSRandMemberRepeated(ctx.shard, ctx.client.db, ctx.arg(1), wanted, [&](std::string_view member) {
    if (!started) {
      ctx.reply().Array(wanted);
      started = true;
    }
    ctx.reply().Bulk(member);
  });
  if (!found.ok()) return ReplyError(ctx.reply(), found.status());
  if (!*found) ctx.reply().Array(0);
}

void CmdSMove(CommandContext& ctx) {
  auto moved = OpSMove(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), ctx.arg(3));
  if (!moved.ok()) return ReplyError(ctx.reply(), moved.status());
  ctx.reply().Integer(*moved ? 1 : 0);
}

void CmdSInter(CommandContext& ctx) { ReplyMembers(ctx, OpSInter(ctx.shard, ctx.client.db, ArgsFrom(ctx, 1))); }
void CmdSUnion(CommandContext& ctx) { ReplyMembers(ctx, OpSUnion(ctx.shard, ctx.client.db, ArgsFrom(ctx, 1))); }
void CmdSDiff(CommandContext& ctx) { ReplyMembers(ctx, OpSDiff(ctx.shard, ctx.client.db, ArgsFrom(ctx, 1))); }

void CmdSInterStore(CommandContext& ctx) {
  ReplyCount(ctx, OpSInterStore(ctx.shard, ctx.client.db, ctx.arg(1), ArgsFrom(ctx, 2)));
}
void CmdSUnionStore(CommandContext& ctx) {
  ReplyCount(ctx, OpSUnionStore(ctx.shard, ctx.client.db, ctx.arg(1), ArgsFrom(ctx, 2)));
}
void CmdSDiffStore(CommandContext& ctx) {
  ReplyCount(ctx, OpSDiffStore(ctx.shard, ctx.client.db, ctx.arg(1), ArgsFrom(ctx, 2)));
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdSInterCard(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(1), &numkeys) || numkeys < 1) {
    return ctx.reply().Error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > ctx.argc() - 2) {
    return ctx.reply().Error("ERR Number of keys can't be greater than number of args");
  }
  const size_t first_option = 2 + static_cast<size_t>(numkeys);
  uint64_t limit = 0;
  for (size_t i = first_option; i < ctx.argc(); ++i) {
    if (!IsOption(ctx.arg(i), "LIMIT") || i + 1 >= ctx.argc()) return ReplyError(ctx.reply(), Status::Syntax());
    int64_t value;
    if (!ParseInt64(ctx.arg(++i), &value) || value < 0) return ctx.reply().Error("ERR LIMIT can't be negative");
    limit = static_cast<uint64_t>(value);
  }
  ReplyCount(ctx, OpSInterCard(ctx.shard, ctx.client.db, ctx.args.subspan(2, static_cast<size_t>(numkeys)), limit));
}

// SINTERCARD's keys, for COMMAND GETKEYS and key extraction: none when numkeys is bad.
std::vector<int> SInterCardKeys(std::span<const std::string_view> args) {
  std::vector<int> keys;
  int64_t numkeys;
  if (args.size() < 3 || !ParseInt64(args[1], &numkeys) || numkeys < 1 ||
      static_cast<uint64_t>(numkeys) > args.size() - 2) {
    return keys;
  }
  for (int64_t i = 0; i < numkeys; ++i) keys.push_back(static_cast<int>(2 + i));
  return keys;
}

void ReplyScanPage(ReplyWriter& reply, const SetScanPage& page) {
  reply.Array(2);
  reply.Bulk(std::to_string(page.cursor));
  reply.BulkArray(page.members);
}

// SSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is checked first, the
// options only for an existing set.
void CmdSScan(CommandContext& ctx) {
  auto cursor = ParseScanCursor(ctx.arg(2));
  if (!cursor.ok()) return ReplyError(ctx.reply(), cursor.status());
  auto args = ParseScanArgs(ArgsFrom(ctx, 3));
  if (!args.ok()) {
    auto size = OpSCard(ctx.shard, ctx.client.db, ctx.arg(1));
    if (!size.ok()) return ReplyError(ctx.reply(), size.status());
    if (*size == 0) return ReplyScanPage(ctx.reply(), SetScanPage{});
    return ReplyError(ctx.reply(), args.status());
  }
  SetScanOptions options;
  options.count = args->count;
  options.pattern = std::string(args->pattern);
  auto page = OpSScan(ctx.shard, ctx.client.db, ctx.arg(1), *cursor, options);
  if (!page.ok()) return ReplyError(ctx.reply(), page.status());
  ReplyScanPage(ctx.reply(), *page);
}

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;

CommandSpec SetCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                       std::string since, std::string complexity, int first_key = 1, int last_key = 1) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = first_key, .last_key = last_key,
          .key_step = 1, .handler = handler, .group = "set", .summary = std::move(summary),
          .since = std::move(since), .complexity = std::move(complexity)};
}

constexpr const char* kIntersectComplexity =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
constexpr const char* kAllMembersComplexity = "O(N) where N is the total number of elements in all given sets.";

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  table.Add(SetCommand("sadd", -3, kWriteOom | kCmdFast, CmdSAdd,
                       "Adds one or more members to a set. Creates the key if it doesn't exist.", "1.0.0",
                       "O(1) for each element added, so O(N) to add N elements when the command is called with "
                       "multiple arguments."));
  table.Add(SetCommand("srem", -3, kCmdWrite | kCmdFast, CmdSRem,
                       "Removes one or more members from a set. Deletes the set if the last member was removed.",
                       "1.0.0", "O(N) where N is the number of members to be removed."));
  table.Add(SetCommand("scard", 2, kCmdReadOnly | kCmdFast, CmdSCard, "Returns the number of members in a set.",
                       "1.0.0", "O(1)"));
  table.Add(SetCommand("sismember", 3, kCmdReadOnly | kCmdFast, CmdSIsMember,
                       "Determines whether a member belongs to a set.", "1.0.0", "O(1)"));
  table.Add(SetCommand("smismember", -3, kCmdReadOnly | kCmdFast, CmdSMIsMember,
                       "Determines whether multiple members belong to a set.", "6.2.0",
                       "O(N) where N is the number of elements being checked for membership"));
  table.Add(SetCommand("smembers", 2, kCmdReadOnly, CmdSMembers, "Returns all members of a set.", "1.0.0",
                       "O(N) where N is the set cardinality."));
  table.Add(SetCommand("spop", -2, kCmdWrite | kCmdFast | kCmdRandom, CmdSPop,
                       "Returns one or more random members from a set after removing them. Deletes the set if the "
                       "last member was popped.",
                       "1.0.0",
                       "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."));
  table.Add(SetCommand("srandmember", -2, kCmdReadOnly | kCmdRandom, CmdSRandMember,
                       "Get one or multiple random members from a set", "1.0.0",
                       "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed "
                       "count."));
  table.Add(SetCommand("smove", 4, kCmdWrite | kCmdFast, CmdSMove, "Moves a member from one set to another.", "1.0.0",
                       "O(1)", 1, 2));
  table.Add(SetCommand("sinter", -2, kCmdReadOnly, CmdSInter, "Returns the intersect of multiple sets.", "1.0.0",
                       kIntersectComplexity, 1, -1));
  CommandSpec sintercard = SetCommand("sintercard", -3, kCmdReadOnly, CmdSInterCard,
                                      "Returns the number of members of the intersect of multiple sets.", "7.0.0",
                                      kIntersectComplexity, 0, 0);
  sintercard.key_step = 0;
  sintercard.key_finder = SInterCardKeys;
  table.Add(std::move(sintercard));
  table.Add(SetCommand("sinterstore", -3, kWriteOom, CmdSInterStore, "Stores the intersect of multiple sets in a key.",
                       "1.0.0", kIntersectComplexity, 1, -1));
  table.Add(SetCommand("sunion", -2, kCmdReadOnly, CmdSUnion, "Returns the union of multiple sets.", "1.0.0",
                       kAllMembersComplexity, 1, -1));
  table.Add(SetCommand("sunionstore", -3, kWriteOom, CmdSUnionStore, "Stores the union of multiple sets in a key.",
                       "1.0.0", kAllMembersComplexity, 1, -1));
  table.Add(SetCommand("sdiff", -2, kCmdReadOnly, CmdSDiff, "Returns the difference of multiple sets.", "1.0.0",
                       kAllMembersComplexity, 1, -1));
  table.Add(SetCommand("sdiffstore", -3, kWriteOom, CmdSDiffStore, "Stores the difference of multiple sets in a key.",
                       "1.0.0", kAllMembersComplexity, 1, -1));
  table.Add(SetCommand("sscan", -3, kCmdReadOnly | kCmdRandom, CmdSScan, "Iterates over members of a set.", "2.8.0",
                       "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                       "cursor to return back to 0. N is the number of elements inside the collection."));
}

}  // namespace tierkv
