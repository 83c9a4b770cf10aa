// Sorted set commands: the Cmd* half (argument parsing and replies). The operations are
// in engine/types/zset/zset_ops.cc. Arguments are checked in the order Redis 7.2's
// t_zset.c checks them, so that a command with several problems reports the same one;
// replies take Redis's RESP2 and RESP3 shapes (scores are doubles in RESP3, pairs are
// nested arrays in RESP3 where Redis nests them).
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "engine/number.h"
#include "engine/types/zset/zset_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/multi_pop_args.h"
#include "server/scan_args.h"
#include "server/zset_reply.h"

namespace tierkv {
namespace {

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;

// "ERR value is out of range, must be positive" (Redis's getPositiveLongFromObjectOrReply
// without a message), also for a non-integer.
Result<int64_t> PositiveArg(std::string_view text) {
  int64_t value;
  if (!ParseInt64(text, &value) || value < 0) return Status::Error("ERR value is out of range, must be positive");
  return value;
}

// A list of (member, score) pairs: RESP2 flat, RESP3 an array of [member, score].
void ReplyScoredPairs(ReplyWriter& reply, const std::vector<ScoredMember>& items) {
  if (reply.resp3()) {
    reply.Array(items.size());
    for (const ScoredMember& item : items) {
      reply.Array(2);
      reply.Bulk(item.member);
      reply.Double(item.score);
    }
    return;
  }
  reply.Array(items.size() * 2);
  for (const ScoredMember& item : items) {
    reply.Bulk(item.member);
    reply.Double(item.score);
  }
}

void ReplyMembers(ReplyWriter& reply, const std::vector<ScoredMember>& items, bool with_scores) {
  if (with_scores) return ReplyScoredPairs(reply, items);
  reply.Array(items.size());
  for (const ScoredMember& item : items) reply.Bulk(item.member);
}

void ReplyOptionalDouble(ReplyWriter& reply, const std::optional<double>& value) {
  if (value) return reply.Double(*value);
  reply.Null();
}

// ---- ZADD / ZINCRBY / ZREM ----

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
void CmdZAdd(CommandContext& ctx) {
  ZAddFlags flags;
  bool ch = false;
  size_t first = 2;
  for (; first < ctx.argc(); ++first) {
    const std::string_view option = ctx.arg(first);
    if (IsOption(option, "NX")) {
      flags.nx = true;
    } else if (IsOption(option, "XX")) {
      flags.xx = true;
    } else if (IsOption(option, "CH")) {
      ch = true;
    } else if (IsOption(option, "INCR")) {
      flags.incr = true;
    } else if (IsOption(option, "GT")) {
      flags.gt = true;
    } else if (IsOption(option, "LT")) {
      flags.lt = true;
    } else {
      break;
    }
  }
  const size_t rest = ctx.argc() - first;
  if (rest == 0 || rest % 2 != 0) return ReplyError(ctx.reply(), Status::Syntax());
  if (flags.nx && flags.xx) return ctx.reply().Error("ERR XX and NX options at the same time are not compatible");
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    return ctx.reply().Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (flags.incr && rest > 2) return ctx.reply().Error("ERR INCR option supports a single increment-element pair");
  // Every score is checked before anything changes.
  std::vector<ZAddElement> elements(rest / 2);
  for (size_t i = 0; i < elements.size(); ++i) {
    auto score = FloatArg(ctx.arg(first + 2 * i));
    if (!score.ok()) return ReplyError(ctx.reply(), score.status());
    elements[i] = {*score, ctx.arg(first + 2 * i + 1)};
  }
  auto result = OpZAdd(ctx.shard, ctx.client.db, ctx.arg(1), flags, elements);
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  if (flags.incr) return ReplyOptionalDouble(ctx.reply(), result->score);
  ctx.reply().Integer(static_cast<int64_t>(ch ? result->added + result->updated : result->added));
}

void CmdZIncrBy(CommandContext& ctx) {
  auto increment = FloatArg(ctx.arg(2));
  if (!increment.ok()) return ReplyError(ctx.reply(), increment.status());
  const ZAddElement element{*increment, ctx.arg(3)};
  auto result = OpZAdd(ctx.shard, ctx.client.db, ctx.arg(1), ZAddFlags{.incr = true}, {&element, 1});
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  ReplyOptionalDouble(ctx.reply(), result->score);
}

void CmdZRem(CommandContext& ctx) {
  auto removed = OpZRem(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!removed.ok()) return ReplyError(ctx.reply(), removed.status());
  ctx.reply().Integer(static_cast<int64_t>(*removed));
}

// ---- Simple reads ----

void CmdZCard(CommandContext& ctx) {
  auto count = OpZCard(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  ctx.reply().Integer(static_cast<int64_t>(*count));
}

void CmdZScore(CommandContext& ctx) {
  auto score = OpZScore(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!score.ok()) return ReplyError(ctx.reply(), score.status());
  ReplyOptionalDouble(ctx.reply(), *score);
}

void CmdZMScore(CommandContext& ctx) {
  auto scores = OpZMScore(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!scores.ok()) return ReplyError(ctx.reply(), scores.status());
  ctx.reply().Array(scores->size());
  for (const std::optional<double>& score : *scores) ReplyOptionalDouble(ctx.reply(), score);
}

// ZRANK / ZREVRANK key member [WITHSCORE]
void RankGeneric(CommandContext& ctx, bool reverse) {
  if (ctx.argc() > 4) return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  const bool with_score = ctx.argc() == 4;
  if (with_score && !IsOption(ctx.arg(3), "WITHSCORE")) return ReplyError(ctx.reply(), Status::Syntax());
  auto rank = OpZRank(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), reverse);
  if (!rank.ok()) return ReplyError(ctx.reply(), rank.status());
  if (!rank->has_value()) return with_score ? ctx.reply().NullArray() : ctx.reply().Null();
  if (!with_score) return ctx.reply().Integer(static_cast<int64_t>((*rank)->rank));
  ctx.reply().Array(2);
  ctx.reply().Integer(static_cast<int64_t>((*rank)->rank));
  ctx.reply().Double((*rank)->score);
}

void CmdZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void CmdZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

void CmdZCount(CommandContext& ctx) {
  auto range = ParseScoreRange(ctx.arg(2), ctx.arg(3));
  if (!range.ok()) return ReplyError(ctx.reply(), range.status());
  auto count = OpZCount(ctx.shard, ctx.client.db, ctx.arg(1), *range);
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  ctx.reply().Integer(static_cast<int64_t>(*count));
}

void CmdZLexCount(CommandContext& ctx) {
  auto range = ParseLexRange(ctx.arg(2), ctx.arg(3));
  if (!range.ok()) return ReplyError(ctx.reply(), range.status());
  auto count = OpZLexCount(ctx.shard, ctx.client.db, ctx.arg(1), *range);
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  ctx.reply().Integer(static_cast<int64_t>(*count));
}

// ---- ZRANGE and its relatives (Redis's zrangeGenericCommand) ----

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// <src> <min> <max> [BYSCORE | BYLEX] [REV] [WITHSCORES] [LIMIT offset count], from
// args[src_index]; `store` for ZRANGESTORE (no WITHSCORES).
void RangeGeneric(CommandContext& ctx, size_t src_index, bool store, RangeType type, Direction direction) {
  bool with_scores = false;
  bool has_limit = false;
  ZRangeSpec spec;
  for (size_t j = src_index + 3; j < ctx.argc(); ++j) {
    const std::string_view option = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (!store && IsOption(option, "WITHSCORES")) {
      with_scores = true;
    } else if (IsOption(option, "LIMIT") && left >= 2) {
      auto offset = IntArg(ctx.arg(j + 1));
      if (!offset.ok()) return ReplyError(ctx.reply(), offset.status());
      auto limit = IntArg(ctx.arg(j + 2));
      if (!limit.ok()) return ReplyError(ctx.reply(), limit.status());
      spec.offset = *offset;
      spec.limit = *limit;
      has_limit = true;
      j += 2;
    } else if (direction == Direction::kAuto && IsOption(option, "REV")) {
      direction = Direction::kReverse;
    } else if (type == RangeType::kAuto && IsOption(option, "BYLEX")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && IsOption(option, "BYSCORE")) {
      type = RangeType::kScore;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  if (type == RangeType::kAuto) type = RangeType::kRank;
  spec.reverse = direction == Direction::kReverse;
  // Redis tells "no limit" by a count of -1, so LIMIT 0 -1 with a rank range passes.
  if (has_limit && spec.limit != -1 && type == RangeType::kRank) {
    return ctx.reply().Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (with_scores && type == RangeType::kLex) {
    return ctx.reply().Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  std::string_view min = ctx.arg(src_index + 1);
  std::string_view max = ctx.arg(src_index + 2);
  // By score or member, a reversed range is given as max, min.
  if (spec.reverse && type != RangeType::kRank) std::swap(min, max);
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank: {
      spec.by = ZRangeSpec::By::kRank;
      auto start = IntArg(min);
      if (!start.ok()) return ReplyError(ctx.reply(), start.status());
      auto stop = IntArg(max);
      if (!stop.ok()) return ReplyError(ctx.reply(), stop.status());
      spec.start = *start;
      spec.stop = *stop;
      break;
    }
    case RangeType::kScore: {
      spec.by = ZRangeSpec::By::kScore;
      auto range = ParseScoreRange(min, max);
      if (!range.ok()) return ReplyError(ctx.reply(), range.status());
      spec.score = *range;
      break;
    }
    case RangeType::kLex: {
      spec.by = ZRangeSpec::By::kLex;
      auto range = ParseLexRange(min, max);
      if (!range.ok()) return ReplyError(ctx.reply(), range.status());
      spec.lex = *range;
      break;
    }
  }
  if (store) {
    auto stored = OpZRangeStore(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(src_index), spec);
    if (!stored.ok()) return ReplyError(ctx.reply(), stored.status());
    return ctx.reply().Integer(static_cast<int64_t>(*stored));
  }
  auto items = OpZRange(ctx.shard, ctx.client.db, ctx.arg(src_index), spec);
  if (!items.ok()) return ReplyError(ctx.reply(), items.status());
  ReplyMembers(ctx.reply(), *items, with_scores);
}

void CmdZRange(CommandContext& ctx) { RangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto); }
void CmdZRangeStore(CommandContext& ctx) { RangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto); }
void CmdZRevRange(CommandContext& ctx) { RangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse); }
void CmdZRangeByScore(CommandContext& ctx) { RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward); }
void CmdZRevRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void CmdZRangeByLex(CommandContext& ctx) { RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward); }
void CmdZRevRangeByLex(CommandContext& ctx) { RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse); }

// ---- Range removals ----

void CmdZRemRangeByRank(CommandContext& ctx) {
  auto start = IntArg(ctx.arg(2));
  if (!start.ok()) return ReplyError(ctx.reply(), start.status());
  auto stop = IntArg(ctx.arg(3));
  if (!stop.ok()) return ReplyError(ctx.reply(), stop.status());
  auto removed = OpZRemRangeByRank(ctx.shard, ctx.client.db, ctx.arg(1), *start, *stop);
  if (!removed.ok()) return ReplyError(ctx.reply(), removed.status());
  ctx.reply().Integer(static_cast<int64_t>(*removed));
}

void CmdZRemRangeByScore(CommandContext& ctx) {
  auto range = ParseScoreRange(ctx.arg(2), ctx.arg(3));
  if (!range.ok()) return ReplyError(ctx.reply(), range.status());
  auto removed = OpZRemRangeByScore(ctx.shard, ctx.client.db, ctx.arg(1), *range);
  if (!removed.ok()) return ReplyError(ctx.reply(), removed.status());
  ctx.reply().Integer(static_cast<int64_t>(*removed));
}

void CmdZRemRangeByLex(CommandContext& ctx) {
  auto range = ParseLexRange(ctx.arg(2), ctx.arg(3));
  if (!range.ok()) return ReplyError(ctx.reply(), range.status());
  auto removed = OpZRemRangeByLex(ctx.shard, ctx.client.db, ctx.arg(1), *range);
  if (!removed.ok()) return ReplyError(ctx.reply(), removed.status());
  ctx.reply().Integer(static_cast<int64_t>(*removed));
}

// ---- Pops ----

// ZPOPMIN / ZPOPMAX key [count]
void PopGeneric(CommandContext& ctx, bool from_max) {
  if (ctx.argc() > 3) return ReplyError(ctx.reply(), Status::Syntax());
  std::optional<int64_t> count;
  if (ctx.argc() == 3) {
    auto parsed = PositiveArg(ctx.arg(2));
    if (!parsed.ok()) return ReplyError(ctx.reply(), parsed.status());
    count = *parsed;
  }
  auto popped = OpZPop(ctx.shard, ctx.client.db, ctx.arg(1), from_max, count ? static_cast<size_t>(*count) : 1);
  if (!popped.ok()) return ReplyError(ctx.reply(), popped.status());
  // A single pop answers a flat [member, score] in both protocols; with a count, RESP3
  // nests the pairs.
  if (!count && ctx.reply().resp3()) {
    ctx.reply().Array(popped->size() * 2);
    for (const ScoredMember& item : *popped) {
      ctx.reply().Bulk(item.member);
      ctx.reply().Double(item.score);
    }
    return;
  }
  ReplyScoredPairs(ctx.reply(), *popped);
}

void CmdZPopMin(CommandContext& ctx) { PopGeneric(ctx, false); }
void CmdZPopMax(CommandContext& ctx) { PopGeneric(ctx, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
void CmdZMPop(CommandContext& ctx) {
  auto args = ParseMultiPopArgs(ctx.args, 1, "MIN", "MAX");
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  auto result = OpZMPop(ctx.shard, ctx.client.db, ctx.args.subspan(2, args->numkeys), !args->first_end, args->count);
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  if (!result->has_value()) return ctx.reply().NullArray();
  ReplyZMPop(ctx.reply(), **result);
}

// ---- ZRANDMEMBER key [count [WITHSCORES]] ----

void CmdZRandMember(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    auto member = OpZRandMember(ctx.shard, ctx.client.db, ctx.arg(1));
    if (!member.ok()) return ReplyError(ctx.reply(), member.status());
    if (!member->has_value()) return ctx.reply().Null();
    return ctx.reply().Bulk((*member)->member);
  }
  auto count = IntArg(ctx.arg(2));
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  if (*count == std::numeric_limits<int64_t>::min()) {
    return ctx.reply().Error(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  }
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !IsOption(ctx.arg(3), "WITHSCORES"))) {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  const bool with_scores = ctx.argc() == 4;
  constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
  if (with_scores && (*count < -kHalf || *count > kHalf)) return ctx.reply().Error("ERR value is out of range");

  if (*count >= 0) {
    auto items = OpZRandMemberDistinct(ctx.shard, ctx.client.db, ctx.arg(1), static_cast<uint64_t>(*count));
    if (!items.ok()) return ReplyError(ctx.reply(), items.status());
    return ReplyMembers(ctx.reply(), *items, with_scores);
  }
  // Repeated picks are written as drawn; the header goes out with the first one.
  const auto picks = static_cast<uint64_t>(-*count);
  ReplyWriter& reply = ctx.reply();
  bool started = false;
  auto found = OpZRandMemberRepeated(ctx.shard, ctx.client.db, ctx.arg(1), picks,
                                     [&](std::string_view member, double score) {
                                       if (!started) {
                                         reply.Array(with_scores && !reply.resp3() ? picks * 2 : picks);
                                         started = true;
                                       }
                                       if (with_scores && reply.resp3()) reply.Array(2);
                                       reply.Bulk(member);
                                       if (with_scores) reply.Double(score);
                                     });
  if (!found.ok()) return ReplyError(reply, found.status());
  if (!started) reply.Array(0);
}

// ---- ZUNION / ZINTER / ZDIFF, their STORE forms, ZINTERCARD ----

struct SetOperationArgs {
  std::vector<std::string_view> keys;
  ZSetOperationSpec spec;
  bool with_scores = false;
  size_t limit = 0;  // ZINTERCARD
};

// numkeys key [key ...] then the options each command takes, from args[numkeys_index].
// `keys_error` is a problem with numkeys (reported at once); `options_error` one with
// the options, which Redis only reports after checking the keys' types.
void ParseSetOperation(const CommandContext& ctx, size_t numkeys_index, ZSetOperation operation, bool store,
                       bool cardinality, SetOperationArgs* args, Status* keys_error, Status* options_error) {
  auto numkeys = IntArg(ctx.arg(numkeys_index));
  if (!numkeys.ok()) {
    *keys_error = numkeys.status();
    return;
  }
  if (*numkeys < 1) {
    *keys_error = Status::Error("ERR at least 1 input key is needed for '" + ctx.spec.name + "' command");
    return;
  }
  if (static_cast<uint64_t>(*numkeys) > ctx.argc() - numkeys_index - 1) {
    *keys_error = Status::Syntax();
    return;
  }
  const auto count = static_cast<size_t>(*numkeys);
  args->spec.operation = operation;
  for (size_t i = 0; i < count; ++i) args->keys.push_back(ctx.arg(numkeys_index + 1 + i));
  const bool weighted = operation != ZSetOperation::kDiff && !cardinality;
  for (size_t j = numkeys_index + 1 + count; j < ctx.argc();) {
    const size_t remaining = ctx.argc() - j;
    const std::string_view option = ctx.arg(j);
    if (weighted && remaining >= count + 1 && IsOption(option, "WEIGHTS")) {
      ++j;
      args->spec.weights.clear();
      for (size_t i = 0; i < count; ++i, ++j) {
        double weight;
        if (!ParseDouble(ctx.arg(j), &weight)) {
          *options_error = Status::Error("ERR weight value is not a float");
          return;
        }
        args->spec.weights.push_back(weight);
      }
    } else if (weighted && remaining >= 2 && IsOption(option, "AGGREGATE")) {
      const std::string_view how = ctx.arg(j + 1);
      if (IsOption(how, "SUM")) {
        args->spec.aggregate = ZAggregate::kSum;
      } else if (IsOption(how, "MIN")) {
        args->spec.aggregate = ZAggregate::kMin;
      } else if (IsOption(how, "MAX")) {
        args->spec.aggregate = ZAggregate::kMax;
      } else {
        *options_error = Status::Syntax();
        return;
      }
      j += 2;
    } else if (!store && !cardinality && IsOption(option, "WITHSCORES")) {
      args->with_scores = true;
      ++j;
    } else if (cardinality && remaining >= 2 && IsOption(option, "LIMIT")) {
      int64_t limit;
      if (!ParseInt64(ctx.arg(j + 1), &limit) || limit < 0) {
        *options_error = Status::Error("ERR LIMIT can't be negative");
        return;
      }
      args->limit = static_cast<size_t>(limit);
      j += 2;
    } else {
      *options_error = Status::Syntax();
      return;
    }
  }
}

void SetOperationGeneric(CommandContext& ctx, ZSetOperation operation, bool store, bool cardinality = false) {
  const size_t numkeys_index = store ? 2 : 1;
  SetOperationArgs args;
  Status keys_error;
  Status options_error;
  ParseSetOperation(ctx, numkeys_index, operation, store, cardinality, &args, &keys_error, &options_error);
  if (!keys_error.ok()) return ReplyError(ctx.reply(), keys_error);
  if (!options_error.ok()) {
    Status types = OpZCheckSources(ctx.shard, ctx.client.db, args.keys);
    return ReplyError(ctx.reply(), types.ok() ? options_error : types);
  }
  if (cardinality) {
    auto count = OpZInterCard(ctx.shard, ctx.client.db, args.keys, args.limit);
    if (!count.ok()) return ReplyError(ctx.reply(), count.status());
    return ctx.reply().Integer(static_cast<int64_t>(*count));
  }
  if (store) {
    auto stored = OpZSetOperationStore(ctx.shard, ctx.client.db, ctx.arg(1), args.keys, args.spec);
    if (!stored.ok()) return ReplyError(ctx.reply(), stored.status());
    return ctx.reply().Integer(static_cast<int64_t>(*stored));
  }
  auto items = OpZSetOperation(ctx.shard, ctx.client.db, args.keys, args.spec);
  if (!items.ok()) return ReplyError(ctx.reply(), items.status());
  ReplyMembers(ctx.reply(), *items, args.with_scores);
}

void CmdZUnion(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kUnion, false); }
void CmdZInter(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kInter, false); }
void CmdZDiff(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kDiff, false); }
void CmdZUnionStore(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kUnion, true); }
void CmdZInterStore(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kInter, true); }
void CmdZDiffStore(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kDiff, true); }
void CmdZInterCard(CommandContext& ctx) { SetOperationGeneric(ctx, ZSetOperation::kInter, false, true); }

// ---- ZSCAN key cursor [MATCH pattern] [COUNT count] ----

void CmdZScan(CommandContext& ctx) {
  auto cursor = ParseScanCursor(ctx.arg(2));
  if (!cursor.ok()) return ReplyError(ctx.reply(), cursor.status());
  auto options = ParseScanArgs(ctx.args.subspan(3));
  if (!options.ok()) {
    // Redis reads the options only after finding the key with the right type: a
    // missing key is an empty, finished scan and another type WRONGTYPE, whatever the
    // options say.
    auto card = OpZCard(ctx.shard, ctx.client.db, ctx.arg(1));
    if (!card.ok()) return ReplyError(ctx.reply(), card.status());
    if (*card > 0) return ReplyError(ctx.reply(), options.status());
    options = ScanArgs{};
  }
  auto page = OpZScan(ctx.shard, ctx.client.db, ctx.arg(1), *cursor, options->count, options->pattern);
  if (!page.ok()) return ReplyError(ctx.reply(), page.status());
  ctx.reply().Array(2);
  ctx.reply().Bulk(std::to_string(page->cursor));
  ctx.reply().Array(page->items.size() * 2);
  for (const auto& [member, score] : page->items) {
    ctx.reply().Bulk(member);
    ctx.reply().Bulk(score);
  }
}

// ---- Registration ----

CommandSpec ZSetCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                        std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "sorted-set", .summary = std::move(summary), .since = std::move(since),
          .complexity = std::move(complexity)};
}

// ZUNIONSTORE and friends: the destination, then numkeys keys after args[2].
std::vector<int> StoreOperationKeys(std::span<const std::string_view> args) {
  std::vector<int> keys{1};
  const std::vector<int> sources = MultiPopKeys<2>(args);
  keys.insert(keys.end(), sources.begin(), sources.end());
  return keys;
}

CommandSpec MovableKeys(CommandSpec spec, KeyFinder finder, bool first_key_fixed) {
  spec.key_finder = finder;
  if (!first_key_fixed) spec.first_key = spec.last_key = spec.key_step = 0;
  return spec;
}

constexpr const char* kRangeComplexity =
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being "
    "returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it "
    "O(log(N)).";
constexpr const char* kRemoveRangeComplexity =
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by "
    "the operation.";

}  // namespace

void RegisterSortedSetCommands(CommandTable& table) {
  table.Add(ZSetCommand("zadd", -4, kWriteOom | kCmdFast, CmdZAdd,
                        "Adds one or more members to a sorted set, or updates their scores. Creates the key if it "
                        "doesn't exist.",
                        "1.2.0",
                        "O(log(N)) for each item added, where N is the number of elements in the sorted set."));
  table.Add(ZSetCommand("zincrby", 4, kWriteOom | kCmdFast, CmdZIncrBy,
                        "Increments the score of a member in a sorted set.", "1.2.0",
                        "O(log(N)) where N is the number of elements in the sorted set."));
  table.Add(ZSetCommand("zrem", -3, kCmdWrite | kCmdFast, CmdZRem,
                        "Removes one or more members from a sorted set. Deletes the sorted set if all members were "
                        "removed.",
                        "1.2.0",
                        "O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
                        "elements to be removed."));
  table.Add(ZSetCommand("zcard", 2, kCmdReadOnly | kCmdFast, CmdZCard, "Returns the number of members in a sorted set.",
                        "1.2.0", "O(1)"));
  table.Add(ZSetCommand("zscore", 3, kCmdReadOnly | kCmdFast, CmdZScore,
                        "Returns the score of a member in a sorted set.", "1.2.0", "O(1)"));
  table.Add(ZSetCommand("zmscore", -3, kCmdReadOnly | kCmdFast, CmdZMScore,
                        "Returns the score of one or more members in a sorted set.", "6.2.0",
                        "O(N) where N is the number of members being requested."));
  table.Add(ZSetCommand("zrank", -3, kCmdReadOnly | kCmdFast, CmdZRank,
                        "Returns the index of a member in a sorted set ordered by ascending scores.", "2.0.0",
                        "O(log(N))"));
  table.Add(ZSetCommand("zrevrank", -3, kCmdReadOnly | kCmdFast, CmdZRevRank,
                        "Returns the index of a member in a sorted set ordered by descending scores.", "2.0.0",
                        "O(log(N))"));
  table.Add(ZSetCommand("zcount", 4, kCmdReadOnly | kCmdFast, CmdZCount,
                        "Returns the count of members in a sorted set that have scores within a range.", "2.0.0",
                        "O(log(N)) with N being the number of elements in the sorted set."));
  table.Add(ZSetCommand("zlexcount", 4, kCmdReadOnly | kCmdFast, CmdZLexCount,
                        "Returns the number of members in a sorted set within a lexicographical range.", "2.8.9",
                        "O(log(N)) with N being the number of elements in the sorted set."));
  table.Add(ZSetCommand("zrange", -4, kCmdReadOnly, CmdZRange,
                        "Returns members in a sorted set within a range of indexes.", "1.2.0",
                        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                        "elements returned."));
  CommandSpec zrangestore =
      ZSetCommand("zrangestore", -5, kWriteOom, CmdZRangeStore, "Stores a range of members from sorted set in a key.",
                  "6.2.0",
                  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
                  "stored into the destination key.");
  zrangestore.last_key = 2;
  table.Add(std::move(zrangestore));
  table.Add(ZSetCommand("zrangebyscore", -4, kCmdReadOnly, CmdZRangeByScore,
                        "Returns members in a sorted set within a range of scores.", "1.0.5", kRangeComplexity));
  table.Add(ZSetCommand("zrevrangebyscore", -4, kCmdReadOnly, CmdZRevRangeByScore,
                        "Returns members in a sorted set within a range of scores in reverse order.", "2.2.0",
                        kRangeComplexity));
  table.Add(ZSetCommand("zrangebylex", -4, kCmdReadOnly, CmdZRangeByLex,
                        "Returns members in a sorted set within a lexicographical range.", "2.8.9", kRangeComplexity));
  table.Add(ZSetCommand("zrevrangebylex", -4, kCmdReadOnly, CmdZRevRangeByLex,
                        "Returns members in a sorted set within a lexicographical range in reverse order.", "2.8.9",
                        kRangeComplexity));
  table.Add(ZSetCommand("zrevrange", -4, kCmdReadOnly, CmdZRevRange,
                        "Returns members in a sorted set within a range of indexes in reverse order.", "1.2.0",
                        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                        "elements returned."));
  table.Add(ZSetCommand("zremrangebyrank", 4, kCmdWrite, CmdZRemRangeByRank,
                        "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all "
                        "members were removed.",
                        "2.0.0", kRemoveRangeComplexity));
  table.Add(ZSetCommand("zremrangebyscore", 4, kCmdWrite, CmdZRemRangeByScore,
                        "Removes members in a sorted set within a range of scores. Deletes the sorted set if all "
                        "members were removed.",
                        "1.2.0", kRemoveRangeComplexity));
  table.Add(ZSetCommand("zremrangebylex", 4, kCmdWrite, CmdZRemRangeByLex,
                        "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if "
                        "all members were removed.",
                        "2.8.9", kRemoveRangeComplexity));
  table.Add(ZSetCommand("zpopmin", -2, kCmdWrite | kCmdFast, CmdZPopMin,
                        "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted "
                        "set if the last member was popped.",
                        "5.0.0",
                        "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number "
                        "of elements popped."));
  table.Add(ZSetCommand("zpopmax", -2, kCmdWrite | kCmdFast, CmdZPopMax,
                        "Returns the highest-scoring members from a sorted set after removing them. Deletes the "
                        "sorted set if the last member was popped.",
                        "5.0.0",
                        "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number "
                        "of elements popped."));
  table.Add(MovableKeys(ZSetCommand("zmpop", -4, kCmdWrite, CmdZMPop,
                                    "Returns the highest- or lowest-scoring members from one or more sorted sets "
                                    "after removing them. Deletes the sorted set if the last member was popped.",
                                    "7.0.0",
                                    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number "
                                    "of elements in the sorted set, and M being the number of elements popped."),
                        MultiPopKeys<1>, false));
  table.Add(ZSetCommand("zrandmember", -2, kCmdReadOnly | kCmdRandom, CmdZRandMember,
                        "Returns one or more random members from a sorted set.", "6.2.0",
                        "O(N) where N is the number of elements returned"));
  table.Add(MovableKeys(ZSetCommand("zunion", -3, kCmdReadOnly, CmdZUnion, "Returns the union of multiple sorted sets.",
                                    "6.2.0",
                                    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and "
                                    "M being the number of elements in the resulting sorted set."),
                        MultiPopKeys<1>, false));
  table.Add(MovableKeys(ZSetCommand("zinter", -3, kCmdReadOnly, CmdZInter,
                                    "Returns the intersect of multiple sorted sets.", "6.2.0",
                                    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K "
                                    "being the number of input sorted sets and M being the number of elements in "
                                    "the resulting sorted set."),
                        MultiPopKeys<1>, false));
  table.Add(MovableKeys(ZSetCommand("zdiff", -3, kCmdReadOnly, CmdZDiff,
                                    "Returns the difference between multiple sorted sets.", "6.2.0",
                                    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all "
                                    "the sets, N is the size of the first set, and K is the size of the result set."),
                        MultiPopKeys<1>, false));
  table.Add(MovableKeys(ZSetCommand("zintercard", -3, kCmdReadOnly, CmdZInterCard,
                                    "Returns the number of members of the intersect of multiple sorted sets.", "7.0.0",
                                    "O(N*K) worst case with N being the smallest input sorted set, K being the "
                                    "number of input sorted sets."),
                        MultiPopKeys<1>, false));
  table.Add(MovableKeys(ZSetCommand("zunionstore", -4, kWriteOom, CmdZUnionStore,
                                    "Stores the union of multiple sorted sets in a key.", "2.0.0",
                                    "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, "
                                    "and M being the number of elements in the resulting sorted set."),
                        StoreOperationKeys, true));
  table.Add(MovableKeys(ZSetCommand("zinterstore", -4, kWriteOom, CmdZInterStore,
                                    "Stores the intersect of multiple sorted sets in a key.", "2.0.0",
                                    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K "
                                    "being the number of input sorted sets and M being the number of elements in "
                                    "the resulting sorted set."),
                        StoreOperationKeys, true));
  table.Add(MovableKeys(ZSetCommand("zdiffstore", -4, kWriteOom, CmdZDiffStore,
                                    "Stores the difference of multiple sorted sets in a key.", "6.2.0",
                                    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all "
                                    "the sets, N is the size of the first set, and K is the size of the result set."),
                        StoreOperationKeys, true));
  table.Add(ZSetCommand("zscan", -3, kCmdReadOnly, CmdZScan, "Iterates over members and scores of a sorted set.",
                        "2.8.0",
                        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                        "cursor to return back to 0. N is the number of elements inside the collection."));
}

}  // namespace tierkv
