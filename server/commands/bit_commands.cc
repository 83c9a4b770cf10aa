// Bit commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, the
// Cmd* half (argument parsing and replies). The operations are in
// engine/types/string/bit_ops.cc. Arguments are parsed before the key is looked up, as
// Redis 7.2 does, with Redis's error texts.
#include <vector>

#include "engine/types/string/bit_ops.h"
#include "engine/types/string/string_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

// Bit offsets address at most proto-max-bulk-len bytes.
Result<uint64_t> BitOffsetArg(CommandContext& ctx, std::string_view text, int hash_multiplier = 0) {
  const Status invalid = Status::Error("ERR bit offset is not an integer or out of range");
  // BITFIELD's "#N" form means N fields of the op's width.
  const bool by_fields = hash_multiplier > 0 && !text.empty() && text[0] == '#';
  if (by_fields) text.remove_prefix(1);
  int64_t offset;
  if (!ParseInt64(text, &offset)) return invalid;
  if (by_fields && __builtin_mul_overflow(offset, hash_multiplier, &offset)) return invalid;
  const uint64_t max_bytes = StringSizeLimit(ctx.server.settings().proto_max_bulk_len);
  if (offset < 0 || static_cast<uint64_t>(offset >> 3) >= max_bytes) return invalid;
  return static_cast<uint64_t>(offset);
}

// "BYTE" or "BIT" (case-insensitive); anything else is a syntax error.
Result<BitUnit> BitUnitArg(std::string_view text) {
  if (IsOption(text, "BIT")) return BitUnit::kBit;
  if (IsOption(text, "BYTE")) return BitUnit::kByte;
  return Status::Syntax();
}

void ReplyInteger(CommandContext& ctx, const Result<int64_t>& value) {
  if (!value.ok()) return ReplyError(ctx.reply(), value.status());
  ctx.reply().Integer(*value);
}

// SETBIT key offset value
void CmdSetBit(CommandContext& ctx) {
  auto offset = BitOffsetArg(ctx, ctx.arg(2));
  if (!offset.ok()) return ReplyError(ctx.reply(), offset.status());
  int64_t bit;
  if (!ParseInt64(ctx.arg(3), &bit) || (bit != 0 && bit != 1)) {
    return ctx.reply().Error("ERR bit is not an integer or out of range");
  }
  ReplyInteger(ctx, OpSetBit(ctx.shard, ctx.client.db, ctx.arg(1), *offset, bit == 1));
}

// GETBIT key offset
void CmdGetBit(CommandContext& ctx) {
  auto offset = BitOffsetArg(ctx, ctx.arg(2));
  if (!offset.ok()) return ReplyError(ctx.reply(), offset.status());
  ReplyInteger(ctx, OpGetBit(ctx.shard, ctx.client.db, ctx.arg(1), *offset));
}

// BITCOUNT key [start end [BYTE|BIT]]
void CmdBitCount(CommandContext& ctx) {
  std::optional<BitRange> range;
  if (ctx.argc() == 4 || ctx.argc() == 5) {
    auto start = IntArg(ctx.arg(2));
    if (!start.ok()) return ReplyError(ctx.reply(), start.status());
    auto end = IntArg(ctx.arg(3));
    if (!end.ok()) return ReplyError(ctx.reply(), end.status());
    range = BitRange{*start, *end, BitUnit::kByte};
    if (ctx.argc() == 5) {
      auto unit = BitUnitArg(ctx.arg(4));
      if (!unit.ok()) return ReplyError(ctx.reply(), unit.status());
      range->unit = *unit;
    }
  } else if (ctx.argc() != 2) {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  ReplyInteger(ctx, OpBitCount(ctx.shard, ctx.client.db, ctx.arg(1), range));
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void CmdBitPos(CommandContext& ctx) {
  auto bit = IntArg(ctx.arg(2));
  if (!bit.ok()) return ReplyError(ctx.reply(), bit.status());
  if (*bit != 0 && *bit != 1) return ctx.reply().Error("ERR The bit argument must be 1 or 0.");
  if (ctx.argc() > 6) return ReplyError(ctx.reply(), Status::Syntax());
  std::optional<int64_t> start;
  std::optional<int64_t> end;
  BitUnit unit = BitUnit::kByte;
  if (ctx.argc() >= 4) {
    auto value = IntArg(ctx.arg(3));
    if (!value.ok()) return ReplyError(ctx.reply(), value.status());
    start = *value;
  }
  // The unit is checked before the end, as Redis does.
  if (ctx.argc() == 6) {
    auto parsed = BitUnitArg(ctx.arg(5));
    if (!parsed.ok()) return ReplyError(ctx.reply(), parsed.status());
    unit = *parsed;
  }
  if (ctx.argc() >= 5) {
    auto value = IntArg(ctx.arg(4));
    if (!value.ok()) return ReplyError(ctx.reply(), value.status());
    end = *value;
  }
  ReplyInteger(ctx, OpBitPos(ctx.shard, ctx.client.db, ctx.arg(1), *bit == 1, start, end, unit));
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
void CmdBitOp(CommandContext& ctx) {
  const std::string_view name = ctx.arg(1);
  BitOpKind kind;
  if (IsOption(name, "AND")) {
    kind = BitOpKind::kAnd;
  } else if (IsOption(name, "OR")) {
    kind = BitOpKind::kOr;
  } else if (IsOption(name, "XOR")) {
    kind = BitOpKind::kXor;
  } else if (IsOption(name, "NOT")) {
    kind = BitOpKind::kNot;
  } else {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  if (kind == BitOpKind::kNot && ctx.argc() != 4) {
    return ctx.reply().Error("ERR BITOP NOT must be called with a single source key.");
  }
  ReplyInteger(ctx, OpBitOp(ctx.shard, ctx.client.db, kind, ctx.arg(2), ctx.args.subspan(3)));
}

// "i1".."i64" or "u1".."u63"; the prefix is lowercase only, as in Redis.
Result<BitfieldType> BitfieldTypeArg(std::string_view text) {
  const Status invalid = Status::Error(
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
  if (text.empty()) return invalid;
  BitfieldType type;
  if (text[0] == 'i') {
    type.is_signed = true;
  } else if (text[0] != 'u') {
    return invalid;
  }
  int64_t bits;
  if (!ParseInt64(text.substr(1), &bits) || bits < 1 || bits > (type.is_signed ? 64 : 63)) return invalid;
  type.bits = static_cast<uint8_t>(bits);
  return type;
}

// Parses the GET/SET/INCRBY/OVERFLOW list; every error is reported before
// the key is touched.
Result<std::vector<BitfieldOp>> ParseBitfieldOps(CommandContext& ctx) {
  std::vector<BitfieldOp> ops;
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const std::string_view name = ctx.arg(i);
    const size_t remaining = ctx.argc() - i - 1;
    BitfieldOp op;
    if (IsOption(name, "GET") && remaining >= 2) {
      op.kind = BitfieldOp::Kind::kGet;
    } else if (IsOption(name, "SET") && remaining >= 3) {
      op.kind = BitfieldOp::Kind::kSet;
    } else if (IsOption(name, "INCRBY") && remaining >= 3) {
      op.kind = BitfieldOp::Kind::kIncrBy;
    } else if (IsOption(name, "OVERFLOW") && remaining >= 1) {
      const std::string_view behaviour = ctx.arg(++i);
      if (IsOption(behaviour, "WRAP")) {
        overflow = BitfieldOverflow::kWrap;
      } else if (IsOption(behaviour, "SAT")) {
        overflow = BitfieldOverflow::kSat;
      } else if (IsOption(behaviour, "FAIL")) {
        overflow = BitfieldOverflow::kFail;
      } else {
        return Status::Error("ERR Invalid OVERFLOW type specified");
      }
      continue;
    } else {
      return Status::Syntax();
    }
    auto type = BitfieldTypeArg(ctx.arg(i + 1));
    if (!type.ok()) return type.status();
    auto offset = BitOffsetArg(ctx, ctx.arg(i + 2), type->bits);
    if (!offset.ok()) return offset.status();
    op.type = *type;
    op.offset = *offset;
    op.overflow = overflow;
    if (op.kind != BitfieldOp::Kind::kGet) {
      auto operand = IntArg(ctx.arg(i + 3));
      if (!operand.ok()) return operand.status();
      op.operand = *operand;
    }
    ops.push_back(op);
    i += op.kind == BitfieldOp::Kind::kGet ? 2 : 3;
  }
  return ops;
}

void RunBitfield(CommandContext& ctx, bool read_only) {
  auto ops = ParseBitfieldOps(ctx);
  if (!ops.ok()) return ReplyError(ctx.reply(), ops.status());
  if (read_only) {
    for (const BitfieldOp& op : *ops) {
      if (op.kind != BitfieldOp::Kind::kGet) {
        return ctx.reply().Error("ERR BITFIELD_RO only supports the GET subcommand");
      }
    }
  }
  auto replies = OpBitfield(ctx.shard, ctx.client.db, ctx.arg(1), *ops);
  if (!replies.ok()) return ReplyError(ctx.reply(), replies.status());
  ctx.reply().Array(replies->size());
  for (const std::optional<int64_t>& value : *replies) {
    if (value) {
      ctx.reply().Integer(*value);
    } else {
      ctx.reply().Null();
    }
  }
}

void CmdBitfield(CommandContext& ctx) { RunBitfield(ctx, false); }
void CmdBitfieldRo(CommandContext& ctx) { RunBitfield(ctx, true); }

CommandSpec BitCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                       std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "bitmap", .summary = std::move(summary), .since = std::move(since),
          .complexity = std::move(complexity)};
}

}  // namespace

void RegisterBitCommands(CommandTable& table) {
  table.Add(BitCommand("setbit", 4, kCmdWrite | kCmdDenyOom, CmdSetBit,
                       "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
                       "2.2.0", "O(1)"));
  table.Add(BitCommand("getbit", 3, kCmdReadOnly | kCmdFast, CmdGetBit, "Returns a bit value by offset.", "2.2.0",
                       "O(1)"));
  table.Add(BitCommand("bitcount", -2, kCmdReadOnly, CmdBitCount,
                       "Counts the number of set bits (population counting) in a string.", "2.6.0", "O(N)"));
  table.Add(BitCommand("bitpos", -3, kCmdReadOnly, CmdBitPos, "Finds the first set (1) or clear (0) bit in a string.",
                       "2.8.7", "O(N)"));
  CommandSpec bitop = BitCommand("bitop", -4, kCmdWrite | kCmdDenyOom, CmdBitOp,
                                 "Performs bitwise operations on multiple strings, and stores the result.", "2.6.0",
                                 "O(N)");
  bitop.first_key = 2;
  bitop.last_key = -1;
  table.Add(std::move(bitop));
  table.Add(BitCommand("bitfield", -2, kCmdWrite | kCmdDenyOom, CmdBitfield,
                       "Performs arbitrary bitfield integer operations on strings.", "3.2.0",
                       "O(1) for each subcommand specified"));
  table.Add(BitCommand("bitfield_ro", -2, kCmdReadOnly | kCmdFast, CmdBitfieldRo,
                       "Performs arbitrary read-only bitfield integer operations on strings.", "6.0.0",
                       "O(1) for each subcommand specified"));
}

}  // namespace tierkv
