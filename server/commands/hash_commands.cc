// Hash commands: the Cmd* half (argument parsing and replies). The operations are in
// engine/types/hash/hash_ops.cc. Arguments are checked in the order Redis checks them
// (t_hash.c), so that a command with several problems reports the same one.
#include <cmath>

#include "engine/types/hash/hash_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/scan_args.h"

namespace tierkv {
namespace {

void CmdHSet(CommandContext& ctx) {
  if (ctx.argc() % 2 == 1) return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  auto added = OpHSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!added.ok()) return ReplyError(ctx.reply(), added.status());
  ctx.reply().Integer(*added);
}

void CmdHMSet(CommandContext& ctx) {
  if (ctx.argc() % 2 == 1) return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  auto added = OpHSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!added.ok()) return ReplyError(ctx.reply(), added.status());
  ctx.reply().Ok();
}

void CmdHSetNx(CommandContext& ctx) {
  auto set = OpHSetNx(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), ctx.arg(3));
  if (!set.ok()) return ReplyError(ctx.reply(), set.status());
  ctx.reply().Integer(*set ? 1 : 0);
}

void CmdHGet(CommandContext& ctx) {
  Listpack::IntBuffer scratch;
  auto value = OpHGet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), scratch);
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  if (!value->has_value()) return ctx.reply().Null();
  ctx.reply().Bulk(**value);
}

void CmdHMGet(CommandContext& ctx) {
  auto hash = OpFindHash(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!hash.ok()) return ReplyError(ctx.reply(), hash.status());
  ctx.reply().Array(ctx.argc() - 2);
  Listpack::IntBuffer scratch;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::optional<std::string_view> value;
    if (*hash != nullptr) value = (*hash)->Get(ctx.arg(i), scratch);
    if (value) {
      ctx.reply().Bulk(*value);
    } else {
      ctx.reply().Null();
    }
  }
}

void CmdHDel(CommandContext& ctx) {
  auto removed = OpHDel(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!removed.ok()) return ReplyError(ctx.reply(), removed.status());
  ctx.reply().Integer(*removed);
}

void CmdHLen(CommandContext& ctx) {
  auto length = OpHLen(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void CmdHStrLen(CommandContext& ctx) {
  auto length = OpHStrLen(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void CmdHExists(CommandContext& ctx) {
  auto exists = OpHExists(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!exists.ok()) return ReplyError(ctx.reply(), exists.status());
  ctx.reply().Integer(*exists ? 1 : 0);
}

// HKEYS, HVALS, HGETALL: fields, values or both (a map in RESP3).
enum class Part { kFields, kValues, kBoth };

void ReplyWholeHash(CommandContext& ctx, Part part) {
  auto hash = OpFindHash(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!hash.ok()) return ReplyError(ctx.reply(), hash.status());
  const size_t length = *hash == nullptr ? 0 : (*hash)->Length();
  ReplyWriter& reply = ctx.reply();
  if (part == Part::kBoth) {
    reply.Map(length);
  } else {
    reply.Array(length);
  }
  if (*hash == nullptr) return;
  (*hash)->ForEach([&](std::string_view field, std::string_view value) {
    if (part != Part::kValues) reply.Bulk(field);
    if (part != Part::kFields) reply.Bulk(value);
  });
}

void CmdHKeys(CommandContext& ctx) { ReplyWholeHash(ctx, Part::kFields); }
void CmdHVals(CommandContext& ctx) { ReplyWholeHash(ctx, Part::kValues); }
void CmdHGetAll(CommandContext& ctx) { ReplyWholeHash(ctx, Part::kBoth); }

void CmdHIncrBy(CommandContext& ctx) {
  auto delta = IntArg(ctx.arg(3));
  if (!delta.ok()) return ReplyError(ctx.reply(), delta.status());
  auto value = OpHIncrBy(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), *delta);
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ctx.reply().Integer(*value);
}

void CmdHIncrByFloat(CommandContext& ctx) {
  long double delta;
  if (!ParseLongDouble(ctx.arg(3), &delta)) return ReplyError(ctx.reply(), Status::NotFloat());
  if (std::isnan(delta) || std::isinf(delta)) return ctx.reply().Error("ERR value is NaN or Infinity");
  auto value = OpHIncrByFloat(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), delta);
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ctx.reply().Bulk(*value);
}

// HRANDFIELD key [count [WITHVALUES]]
void CmdHRandField(CommandContext& ctx) {
  ReplyWriter& reply = ctx.reply();
  if (ctx.argc() == 2) {
    auto field = OpHRandField(ctx.shard, ctx.client.db, ctx.arg(1));
    if (!field.ok()) return ReplyError(reply, field.status());
    if (!field->has_value()) return reply.Null();
    return reply.Bulk(**field);
  }
  auto count = IntArg(ctx.arg(2));
  if (!count.ok()) return ReplyError(reply, count.status());
  // Redis reads the count as a long within [-LONG_MAX, LONG_MAX].
  if (*count == INT64_MIN) {
    return reply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  }
  bool with_values = false;
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !IsOption(ctx.arg(3), "WITHVALUES"))) {
    return ReplyError(reply, Status::Syntax());
  }
  if (ctx.argc() == 4) {
    with_values = true;
    // Twice the count is replied in RESP2; it must not overflow.
    if (*count < -(INT64_MAX / 2) || *count > INT64_MAX / 2) return reply.Error("ERR value is out of range");
  }
  auto picks = OpHRandFieldCount(ctx.shard, ctx.client.db, ctx.arg(1), *count, with_values);
  if (!picks.ok()) return ReplyError(reply, picks.status());
  // RESP3 pairs each field with its value; RESP2 replies them flat.
  if (with_values && !reply.resp3()) {
    reply.Array(picks->size() * 2);
  } else {
    reply.Array(picks->size());
  }
  for (const HashPair& pick : *picks) {
    if (with_values && reply.resp3()) reply.Array(2);
    reply.Bulk(pick.field);
    if (with_values) reply.Bulk(pick.value);
  }
}

void ReplyScanPage(ReplyWriter& reply, const HashScanPage& page) {
  reply.Array(2);
  reply.Bulk(std::to_string(page.cursor));
  reply.Array(page.pairs.size() * 2);
  for (const HashPair& pair : page.pairs) {
    reply.Bulk(pair.field);
    reply.Bulk(pair.value);
  }
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
void CmdHScan(CommandContext& ctx) {
  auto cursor = ParseScanCursor(ctx.arg(2));
  if (!cursor.ok()) return ReplyError(ctx.reply(), cursor.status());
  auto args = ParseScanArgs(ctx.args.subspan(3));
  if (!args.ok()) {
    // Redis looks the key up before it reads the options: a missing key is an empty
    // page and another type WRONGTYPE, whatever the options say.
    auto hash = OpFindHash(ctx.shard, ctx.client.db, ctx.arg(1));
    if (!hash.ok()) return ReplyError(ctx.reply(), hash.status());
    if (*hash == nullptr) return ReplyScanPage(ctx.reply(), HashScanPage{});
    return ReplyError(ctx.reply(), args.status());
  }
  HashScanOptions options;
  options.count = args->count;
  if (!args->pattern.empty()) options.pattern = std::string(args->pattern);
  auto page = OpHScan(ctx.shard, ctx.client.db, ctx.arg(1), *cursor, options);
  if (!page.ok()) return ReplyError(ctx.reply(), page.status());
  ReplyScanPage(ctx.reply(), *page);
}

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;

CommandSpec HashCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                        std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "hash", .summary = std::move(summary), .since = std::move(since),
          .complexity = std::move(complexity)};
}

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  table.Add(HashCommand("hset", -4, kWriteOom | kCmdFast, CmdHSet, "Creates or modifies the value of a field in a hash.",
                        "2.0.0",
                        "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is "
                        "called with multiple field/value pairs."));
  table.Add(HashCommand("hsetnx", 4, kWriteOom | kCmdFast, CmdHSetNx,
                        "Sets the value of a field in a hash only when the field doesn't exist.", "2.0.0", "O(1)"));
  table.Add(HashCommand("hmset", -4, kWriteOom | kCmdFast, CmdHMSet, "Sets the values of multiple fields.", "2.0.0",
                        "O(N) where N is the number of fields being set."));
  table.Add(HashCommand("hget", 3, kCmdReadOnly | kCmdFast, CmdHGet, "Returns the value of a field in a hash.",
                        "2.0.0", "O(1)"));
  table.Add(HashCommand("hmget", -3, kCmdReadOnly | kCmdFast, CmdHMGet, "Returns the values of all fields in a hash.",
                        "2.0.0", "O(N) where N is the number of fields being requested."));
  table.Add(HashCommand("hdel", -3, kCmdWrite | kCmdFast, CmdHDel,
                        "Deletes one or more fields and their values from a hash. Deletes the hash if no fields "
                        "remain.",
                        "2.0.0", "O(N) where N is the number of fields to be removed."));
  table.Add(HashCommand("hlen", 2, kCmdReadOnly | kCmdFast, CmdHLen, "Returns the number of fields in a hash.",
                        "2.0.0", "O(1)"));
  table.Add(HashCommand("hstrlen", 3, kCmdReadOnly | kCmdFast, CmdHStrLen,
                        "Returns the length of the value of a field.", "3.2.0", "O(1)"));
  table.Add(HashCommand("hexists", 3, kCmdReadOnly | kCmdFast, CmdHExists,
                        "Determines whether a field exists in a hash.", "2.0.0", "O(1)"));
  table.Add(HashCommand("hkeys", 2, kCmdReadOnly, CmdHKeys, "Returns all fields in a hash.", "2.0.0",
                        "O(N) where N is the size of the hash."));
  table.Add(HashCommand("hvals", 2, kCmdReadOnly, CmdHVals, "Returns all values in a hash.", "2.0.0",
                        "O(N) where N is the size of the hash."));
  table.Add(HashCommand("hgetall", 2, kCmdReadOnly, CmdHGetAll, "Returns all fields and values in a hash.", "2.0.0",
                        "O(N) where N is the size of the hash."));
  table.Add(HashCommand("hincrby", 4, kWriteOom | kCmdFast, CmdHIncrBy,
                        "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if "
                        "the field doesn't exist.",
                        "2.0.0", "O(1)"));
  table.Add(HashCommand("hincrbyfloat", 4, kWriteOom | kCmdFast, CmdHIncrByFloat,
                        "Increments the floating point value of a field by a number. Uses 0 as initial value if the "
                        "field doesn't exist.",
                        "2.6.0", "O(1)"));
  table.Add(HashCommand("hrandfield", -2, kCmdReadOnly | kCmdRandom, CmdHRandField,
                        "Returns one or more random fields from a hash.", "6.2.0",
                        "O(N) where N is the number of fields returned"));
  table.Add(HashCommand("hscan", -3, kCmdReadOnly | kCmdRandom, CmdHScan, "Iterates over fields and values of a hash.",
                        "2.8.0",
                        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                        "cursor to return back to 0. N is the number of elements inside the collection."));
}

}  // namespace tierkv
