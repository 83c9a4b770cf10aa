// String commands: the Cmd* half (argument parsing and replies). The
// operations themselves are in engine/types/string/string_ops.cc (and engine/types/string/lcs.cc).
// Argument errors are checked in the order Redis checks them, so that a
// command with several problems reports the same one.
#include "engine/types/string/lcs.h"
#include "engine/types/string/string_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

uint64_t MaxStringLength(CommandContext& ctx) { return StringSizeLimit(ctx.server.settings().proto_max_bulk_len); }

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

// The options SET and GETEX share, parsed with Redis's acceptance rules: an
// option may repeat (the last expire wins) but EX/PX/EXAT/PXAT exclude each
// other and KEEPTTL/PERSIST, NX excludes XX; anything else is a syntax error.
struct ExtendedArgs {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  bool persist = false;
  std::string_view expire_unit;   // "EX", "px"... as sent; empty when none
  std::string_view expire_value;
};

enum class ExtendedFor { kSet, kGetEx };

Result<ExtendedArgs> ParseExtendedArgs(const CommandContext& ctx, size_t first, ExtendedFor command) {
  ExtendedArgs args;
  const bool is_set = command == ExtendedFor::kSet;
  for (size_t i = first; i < ctx.argc(); ++i) {
    const std::string_view option = ctx.arg(i);
    const bool has_next = i + 1 < ctx.argc();
    const bool expire_option =
        IsOption(option, "EX") || IsOption(option, "PX") || IsOption(option, "EXAT") || IsOption(option, "PXAT");
    if (is_set && IsOption(option, "NX") && !args.xx) {
      args.nx = true;
    } else if (is_set && IsOption(option, "XX") && !args.nx) {
      args.xx = true;
    } else if (is_set && IsOption(option, "GET")) {
      args.get = true;
    } else if (is_set && IsOption(option, "KEEPTTL") && args.expire_unit.empty()) {
      args.keep_ttl = true;
    } else if (!is_set && IsOption(option, "PERSIST") && args.expire_unit.empty()) {
      args.persist = true;
    } else if (expire_option && !args.keep_ttl && !args.persist && has_next &&
               (args.expire_unit.empty() || IsOption(args.expire_unit, option))) {
      args.expire_unit = option;
      args.expire_value = ctx.arg(++i);
    } else {
      return Status::Syntax();
    }
  }
  return args;
}

void ReplyOptionalBulk(ReplyWriter& reply, const std::optional<std::string>& value) {
  if (value) return reply.Bulk(*value);
  reply.Null();
}

void CmdGet(CommandContext& ctx) {
  auto value = OpGet(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  if (!value->has_value()) return ctx.reply().Null();
  ctx.reply().Bulk(**value);
}

void CmdSet(CommandContext& ctx) {
  auto args = ParseExtendedArgs(ctx, 3, ExtendedFor::kSet);
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  SetOptions options;
  if (args->nx) options.condition = SetOptions::Condition::kIfMissing;
  if (args->xx) options.condition = SetOptions::Condition::kIfExists;
  options.keep_ttl = args->keep_ttl;
  options.return_old = args->get;
  if (!args->expire_unit.empty()) {
    auto at = ParseExpireOption(args->expire_unit, args->expire_value, ctx.shard.now_ms(), "set");
    if (!at.ok()) return ReplyError(ctx.reply(), at.status());
    options.expire_at_ms = *at;
  }
  auto outcome = OpSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), options);
  if (!outcome.ok()) return ReplyError(ctx.reply(), outcome.status());
  if (options.return_old) return ReplyOptionalBulk(ctx.reply(), outcome->old_value);
  if (!outcome->written) return ctx.reply().Null();
  ctx.reply().Ok();
}

void CmdSetNx(CommandContext& ctx) {
  SetOptions options;
  options.condition = SetOptions::Condition::kIfMissing;
  auto outcome = OpSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), options);
  if (!outcome.ok()) return ReplyError(ctx.reply(), outcome.status());
  ctx.reply().Integer(outcome->written ? 1 : 0);
}

// SETEX key seconds value / PSETEX key milliseconds value.
void SetWithTtl(CommandContext& ctx, std::string_view unit, std::string_view command) {
  auto at = ParseExpireOption(unit, ctx.arg(2), ctx.shard.now_ms(), command);
  if (!at.ok()) return ReplyError(ctx.reply(), at.status());
  SetOptions options;
  options.expire_at_ms = *at;
  auto outcome = OpSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(3), options);
  if (!outcome.ok()) return ReplyError(ctx.reply(), outcome.status());
  ctx.reply().Ok();
}

void CmdSetEx(CommandContext& ctx) { SetWithTtl(ctx, "EX", "setex"); }
void CmdPSetEx(CommandContext& ctx) { SetWithTtl(ctx, "PX", "psetex"); }

void CmdGetSet(CommandContext& ctx) {
  SetOptions options;
  options.return_old = true;
  auto outcome = OpSet(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), options);
  if (!outcome.ok()) return ReplyError(ctx.reply(), outcome.status());
  ReplyOptionalBulk(ctx.reply(), outcome->old_value);
}

void CmdGetDel(CommandContext& ctx) {
  auto value = OpGetDel(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ReplyOptionalBulk(ctx.reply(), *value);
}

void CmdGetEx(CommandContext& ctx) {
  auto args = ParseExtendedArgs(ctx, 2, ExtendedFor::kGetEx);
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  GetExOptions options;
  if (!args->expire_unit.empty()) {
    auto at = ParseExpireOption(args->expire_unit, args->expire_value, ctx.shard.now_ms(), "getex");
    if (!at.ok()) {
      // Redis validates the time only once it knows the key is a string:
      // a missing key still answers nil, another type WRONGTYPE.
      auto current = OpGet(ctx.shard, ctx.client.db, ctx.arg(1));
      if (!current.ok()) return ReplyError(ctx.reply(), current.status());
      if (!current->has_value()) return ctx.reply().Null();
      return ReplyError(ctx.reply(), at.status());
    }
    options.action = GetExOptions::Action::kSetExpire;
    options.expire_at_ms = *at;
  } else if (args->persist) {
    options.action = GetExOptions::Action::kPersist;
  }
  auto value = OpGetEx(ctx.shard, ctx.client.db, ctx.arg(1), options);
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ReplyOptionalBulk(ctx.reply(), *value);
}

void CmdMGet(CommandContext& ctx) {
  ctx.reply().Array(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    auto value = OpGet(ctx.shard, ctx.client.db, ctx.arg(i));
    // A key of another type reads as nil, not as an error.
    if (!value.ok() || !value->has_value()) {
      ctx.reply().Null();
    } else {
      ctx.reply().Bulk(**value);
    }
  }
}

void CmdMSet(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  OpMSet(ctx.shard, ctx.client.db, ctx.args.subspan(1));
  ctx.reply().Ok();
}

void CmdMSetNx(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  ctx.reply().Integer(OpMSetNx(ctx.shard, ctx.client.db, ctx.args.subspan(1)) ? 1 : 0);
}

void CmdAppend(CommandContext& ctx) {
  auto length = OpAppend(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), MaxStringLength(ctx));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void CmdStrLen(CommandContext& ctx) {
  auto length = OpStrLen(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void IncrBy(CommandContext& ctx, int64_t delta) {
  auto value = OpIncrBy(ctx.shard, ctx.client.db, ctx.arg(1), delta);
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ctx.reply().Integer(*value);
}

void CmdIncr(CommandContext& ctx) { IncrBy(ctx, 1); }
void CmdDecr(CommandContext& ctx) { IncrBy(ctx, -1); }

void CmdIncrBy(CommandContext& ctx) {
  auto delta = IntArg(ctx.arg(2));
  if (!delta.ok()) return ReplyError(ctx.reply(), delta.status());
  IncrBy(ctx, *delta);
}

void CmdDecrBy(CommandContext& ctx) {
  auto delta = IntArg(ctx.arg(2));
  if (!delta.ok()) return ReplyError(ctx.reply(), delta.status());
  // -INT64_MIN does not exist.
  if (*delta == INT64_MIN) return ctx.reply().Error("ERR decrement would overflow");
  IncrBy(ctx, -*delta);
}

void CmdIncrByFloat(CommandContext& ctx) {
  auto value = OpIncrByFloat(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ctx.reply().Bulk(*value);
}

void CmdGetRange(CommandContext& ctx) {
  auto start = IntArg(ctx.arg(2));
  if (!start.ok()) return ReplyError(ctx.reply(), start.status());
  auto end = IntArg(ctx.arg(3));
  if (!end.ok()) return ReplyError(ctx.reply(), end.status());
  auto range = OpGetRange(ctx.shard, ctx.client.db, ctx.arg(1), *start, *end);
  if (!range.ok()) return ReplyError(ctx.reply(), range.status());
  ctx.reply().Bulk(*range);
}

void CmdSetRange(CommandContext& ctx) {
  auto offset = IntArg(ctx.arg(2));
  if (!offset.ok()) return ReplyError(ctx.reply(), offset.status());
  if (*offset < 0) return ctx.reply().Error("ERR offset is out of range");
  auto length = OpSetRange(ctx.shard, ctx.client.db, ctx.arg(1), static_cast<uint64_t>(*offset), ctx.arg(3),
                           MaxStringLength(ctx));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void ReplyLcsMatches(ReplyWriter& reply, const LcsResult& result, bool with_match_len) {
  reply.Map(2);
  reply.Bulk("matches");
  reply.Array(result.matches.size());
  for (const LcsMatch& match : result.matches) {
    reply.Array(with_match_len ? 3 : 2);
    reply.Array(2);
    reply.Integer(match.a_start);
    reply.Integer(match.a_end);
    reply.Array(2);
    reply.Integer(match.b_start);
    reply.Integer(match.b_end);
    if (with_match_len) reply.Integer(match.length());
  }
  reply.Bulk("len");
  reply.Integer(result.length);
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
void CmdLcs(CommandContext& ctx) {
  // Redis checks the keys' types before the options.
  auto values = OpLcsLoad(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!values.ok()) return ReplyError(ctx.reply(), values.status());
  bool want_len = false;
  bool want_idx = false;
  bool with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const std::string_view option = ctx.arg(i);
    if (IsOption(option, "IDX")) {
      want_idx = true;
    } else if (IsOption(option, "LEN")) {
      want_len = true;
    } else if (IsOption(option, "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (IsOption(option, "MINMATCHLEN") && i + 1 < ctx.argc()) {
      auto length = IntArg(ctx.arg(++i));
      if (!length.ok()) return ReplyError(ctx.reply(), length.status());
      min_match_len = *length < 0 ? 0 : *length;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  if (want_idx && want_len) {
    return ctx.reply().Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  LcsOptions options;
  options.want_matches = want_idx;
  options.want_sequence = !want_idx && !want_len;
  options.min_match_len = static_cast<uint64_t>(min_match_len);
  auto result = ComputeLcs(values->first, values->second, options, ctx.server.settings().proto_max_bulk_len);
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  if (want_idx) return ReplyLcsMatches(ctx.reply(), *result, with_match_len);
  if (want_len) return ctx.reply().Integer(result->length);
  ctx.reply().Bulk(result->sequence);
}

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;

CommandSpec StringCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                          std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "string", .summary = std::move(summary), .since = std::move(since),
          .complexity = std::move(complexity)};
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  table.Add(StringCommand("get", 2, kCmdReadOnly | kCmdFast, CmdGet, "Returns the string value of a key.", "1.0.0",
                          "O(1)"));
  table.Add(StringCommand("set", -3, kWriteOom, CmdSet,
                          "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                          "1.0.0", "O(1)"));
  table.Add(StringCommand("setnx", 3, kWriteOom | kCmdFast, CmdSetNx,
                          "Set the string value of a key only when the key doesn't exist.", "1.0.0", "O(1)"));
  table.Add(StringCommand("setex", 4, kWriteOom, CmdSetEx,
                          "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
                          "2.0.0", "O(1)"));
  table.Add(StringCommand("psetex", 4, kWriteOom, CmdPSetEx,
                          "Sets both string value and expiration time in milliseconds of a key. The key is created if "
                          "it doesn't exist.",
                          "2.6.0", "O(1)"));
  table.Add(StringCommand("getset", 3, kWriteOom | kCmdFast, CmdGetSet,
                          "Returns the previous string value of a key after setting it to a new value.", "1.0.0",
                          "O(1)"));
  table.Add(StringCommand("getdel", 2, kCmdWrite | kCmdFast, CmdGetDel,
                          "Returns the string value of a key after deleting the key.", "6.2.0", "O(1)"));
  table.Add(StringCommand("getex", -2, kCmdWrite | kCmdFast, CmdGetEx,
                          "Returns the string value of a key after setting its expiration time.", "6.2.0", "O(1)"));
  CommandSpec mget = StringCommand("mget", -2, kCmdReadOnly | kCmdFast, CmdMGet,
                                   "Atomically returns the string values of one or more keys.", "1.0.0",
                                   "O(N) where N is the number of keys to retrieve.");
  mget.last_key = -1;
  table.Add(std::move(mget));
  CommandSpec mset = StringCommand("mset", -3, kWriteOom, CmdMSet,
                                   "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
                                   "O(N) where N is the number of keys to set.");
  mset.last_key = -1;
  mset.key_step = 2;
  table.Add(std::move(mset));
  CommandSpec msetnx = StringCommand(
      "msetnx", -3, kWriteOom, CmdMSetNx,
      "Atomically modifies the string values of one or more keys only when all keys don't exist.", "1.0.1",
      "O(N) where N is the number of keys to set.");
  msetnx.last_key = -1;
  msetnx.key_step = 2;
  table.Add(std::move(msetnx));
  table.Add(StringCommand("append", 3, kWriteOom | kCmdFast, CmdAppend,
                          "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0",
                          "O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
                          "already present value is of any size, since the dynamic string library used by Redis will "
                          "double the free space available on every reallocation."));
  table.Add(StringCommand("strlen", 2, kCmdReadOnly | kCmdFast, CmdStrLen, "Returns the length of a string value.",
                          "2.2.0", "O(1)"));
  table.Add(StringCommand("incr", 2, kWriteOom | kCmdFast, CmdIncr,
                          "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
                          "exist.",
                          "1.0.0", "O(1)"));
  table.Add(StringCommand("decr", 2, kWriteOom | kCmdFast, CmdDecr,
                          "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
                          "exist.",
                          "1.0.0", "O(1)"));
  table.Add(StringCommand("incrby", 3, kWriteOom | kCmdFast, CmdIncrBy,
                          "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
                          "doesn't exist.",
                          "1.0.0", "O(1)"));
  table.Add(StringCommand("decrby", 3, kWriteOom | kCmdFast, CmdDecrBy,
                          "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
                          "doesn't exist.",
                          "1.0.0", "O(1)"));
  table.Add(StringCommand("incrbyfloat", 3, kWriteOom | kCmdFast, CmdIncrByFloat,
                          "Increment the floating point value of a key by a number. Uses 0 as initial value if the "
                          "key doesn't exist.",
                          "2.6.0", "O(1)"));
  table.Add(StringCommand("getrange", 4, kCmdReadOnly, CmdGetRange,
                          "Returns a substring of the string stored at a key.", "2.4.0",
                          "O(N) where N is the length of the returned string. The complexity is ultimately "
                          "determined by the returned length, but because creating a substring from an existing "
                          "string is very cheap, it can be considered O(1) for small strings."));
  table.Add(StringCommand("substr", 4, kCmdReadOnly, CmdGetRange, "Returns a substring from a string value.",
                          "1.0.0",
                          "O(N) where N is the length of the returned string. The complexity is ultimately "
                          "determined by the returned length, but because creating a substring from an existing "
                          "string is very cheap, it can be considered O(1) for small strings."));
  table.Add(StringCommand("setrange", 4, kWriteOom, CmdSetRange,
                          "Overwrites a part of a string value with another by an offset. Creates the key if it "
                          "doesn't exist.",
                          "2.2.0",
                          "O(1), not counting the time taken to copy the new string in place. Usually, this string "
                          "is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M "
                          "being the length of the value argument."));
  CommandSpec lcs = StringCommand("lcs", -3, kCmdReadOnly, CmdLcs, "Finds the longest common substring.", "7.0.0",
                                  "O(N*M) where N and M are the lengths of s1 and s2, respectively");
  lcs.last_key = 2;
  table.Add(std::move(lcs));
}

}  // namespace tierkv
