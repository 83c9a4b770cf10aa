// String effects: SET key value [PXAT <abs ms>] (a string's whole state), APPEND key
// suffix, SETRANGE key offset bytes, SETBIT key offset 0|1, BITFIELD key (SET <type>
// <bit offset> <resolved value>)..., and PFADD key element... (a HyperLogLog is a string).
// Strings grow to what the original write made them, so replay allows any size an Entry
// holds rather than today's proto-max-bulk-len.
#include <array>
#include <vector>

#include "engine/effects/effect_verbs.h"
#include "engine/types/hyperloglog/hll_ops.h"
#include "engine/types/string/bit_ops.h"
#include "engine/types/string/string_ops.h"

namespace tierkv::effects {
namespace {

Result<EffectAction> ParseSet(const EffectArgs& args) {
  SetOptions options;
  const bool plain = args.size() == 3;
  const bool with_expiry = args.size() == 5 && args.Is(3, "PXAT") && args.Int(4, &options.expire_at_ms) &&
                           options.expire_at_ms > 0;
  if (!plain && !with_expiry) return args.Malformed("SET key value [PXAT <absolute unix ms>]");
  return EffectAction([key = args.key(), value = args[2], options](Shard& shard, int db) {
    return Applied(OpSet(shard, db, key, value, options));
  });
}

Result<EffectAction> ParseAppend(const EffectArgs& args) {
  if (args.size() != 3) return args.Malformed("APPEND key suffix");
  return EffectAction([key = args.key(), suffix = args[2]](Shard& shard, int db) {
    return Applied(OpAppend(shard, db, key, suffix, kMaxStringBytes));
  });
}

Result<EffectAction> ParseSetRange(const EffectArgs& args) {
  uint64_t offset = 0;
  if (args.size() != 4 || !args.Uint(2, &offset)) return args.Malformed("SETRANGE key offset bytes");
  return EffectAction([key = args.key(), offset, bytes = args[3]](Shard& shard, int db) {
    return Applied(OpSetRange(shard, db, key, offset, bytes, kMaxStringBytes));
  });
}

Result<EffectAction> ParseSetBit(const EffectArgs& args) {
  uint64_t offset = 0;
  if (args.size() != 4 || !args.Uint(2, &offset) || !(args.Is(3, "0") || args.Is(3, "1"))) {
    return args.Malformed("SETBIT key offset 0|1");
  }
  return EffectAction([key = args.key(), offset, on = args.Is(3, "1")](Shard& shard, int db) {
    return Applied(OpSetBit(shard, db, key, offset, on));
  });
}

// "i8", "u63": a bitfield type as BITFIELD effects name it.
bool ParseBitfieldType(std::string_view text, BitfieldType* type) {
  uint64_t bits = 0;
  if (text.size() < 2 || (text[0] != 'i' && text[0] != 'u') || !ParseUint64(text.substr(1), &bits)) return false;
  type->is_signed = text[0] == 'i';
  if (bits < 1 || bits > (type->is_signed ? 64u : 63u)) return false;
  type->bits = static_cast<uint8_t>(bits);
  return true;
}

Result<EffectAction> ParseBitfield(const EffectArgs& args) {
  constexpr std::string_view kForm = "BITFIELD key (SET <type> <bit offset> <value>)...";
  if (args.size() < 6 || (args.size() - 2) % 4 != 0) return args.Malformed(kForm);
  std::vector<BitfieldOp> sets;
  for (size_t i = 2; i < args.size(); i += 4) {
    BitfieldOp& op = sets.emplace_back();
    op.kind = BitfieldOp::Kind::kSet;
    if (!args.Is(i, "SET") || !ParseBitfieldType(args[i + 1], &op.type) || !args.Uint(i + 2, &op.offset) ||
        !args.Int(i + 3, &op.operand)) {
      return args.Malformed(kForm);
    }
  }
  return EffectAction([key = args.key(), sets = std::move(sets)](Shard& shard, int db) {
    return Applied(OpBitfield(shard, db, key, sets));
  });
}

Result<EffectAction> ParsePfAdd(const EffectArgs& args) {
  return EffectAction([key = args.key(), elements = args.From(2)](Shard& shard, int db) {
    return Applied(OpPfAdd(shard, db, key, elements));
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"SET", ParseSet},           EffectVerb{"APPEND", ParseAppend}, EffectVerb{"SETRANGE", ParseSetRange},
    EffectVerb{"SETBIT", ParseSetBit},     EffectVerb{"BITFIELD", ParseBitfield},
    EffectVerb{"PFADD", ParsePfAdd},
};

}  // namespace

std::span<const EffectVerb> StringVerbs() { return kVerbs; }

}  // namespace tierkv::effects
