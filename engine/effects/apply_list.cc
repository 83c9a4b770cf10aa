// List effects: LPUSH|RPUSH key value..., LPOP|RPOP key <count popped>, LMOVE key key
// LEFT|RIGHT LEFT|RIGHT (a rotation within one list), LSET key <index from the head>
// value, LINSERT key BEFORE|AFTER pivot value, LREM key <+-count removed> value, LTRIM key
// <start> <-(trimmed at the tail + 1)>.
#include <array>
#include <optional>

#include "engine/effects/effect_verbs.h"
#include "engine/types/list/list_ops.h"

namespace tierkv::effects {
namespace {

template <ListEnd kEnd>
Result<EffectAction> ParsePush(const EffectArgs& args) {
  if (args.size() < 3) return args.Malformed(std::string(args.verb()) + " key value...");
  return EffectAction([key = args.key(), values = args.From(2)](Shard& shard, int db) {
    return Applied(OpListPush(shard, db, key, kEnd, values, /*only_if_exists=*/false));
  });
}

template <ListEnd kEnd>
Result<EffectAction> ParsePop(const EffectArgs& args) {
  uint64_t count = 0;
  if (args.size() != 3 || !args.Uint(2, &count) || count == 0) {
    return args.Malformed(std::string(args.verb()) + " key <count>");
  }
  return EffectAction([key = args.key(), count](Shard& shard, int db) {
    return Applied(OpListPop(shard, db, key, kEnd, count));
  });
}

std::optional<ListEnd> EndNamed(std::string_view word) {
  if (word == "LEFT") return ListEnd::kHead;
  if (word == "RIGHT") return ListEnd::kTail;
  return std::nullopt;
}

Result<EffectAction> ParseMove(const EffectArgs& args) {
  const std::optional<ListEnd> from = args.size() == 5 ? EndNamed(args[3]) : std::nullopt;
  const std::optional<ListEnd> to = args.size() == 5 ? EndNamed(args[4]) : std::nullopt;
  if (!from || !to) return args.Malformed("LMOVE source destination LEFT|RIGHT LEFT|RIGHT");
  return EffectAction([source = args.key(), destination = args[2], from = *from, to = *to](Shard& shard, int db) {
    return Applied(OpListMove(shard, db, source, destination, from, to));
  });
}

Result<EffectAction> ParseSet(const EffectArgs& args) {
  int64_t index = 0;
  if (args.size() != 4 || !args.Int(2, &index)) return args.Malformed("LSET key index value");
  return EffectAction([key = args.key(), index, value = args[3]](Shard& shard, int db) {
    return Applied(OpListSet(shard, db, key, index, value));
  });
}

Result<EffectAction> ParseInsert(const EffectArgs& args) {
  if (args.size() != 5 || !(args.Is(2, "BEFORE") || args.Is(2, "AFTER"))) {
    return args.Malformed("LINSERT key BEFORE|AFTER pivot value");
  }
  return EffectAction([key = args.key(), after = args.Is(2, "AFTER"), pivot = args[3], value = args[4]](Shard& shard,
                                                                                                        int db) {
    return Applied(OpListInsert(shard, db, key, after, pivot, value));
  });
}

Result<EffectAction> ParseRemove(const EffectArgs& args) {
  int64_t count = 0;
  if (args.size() != 4 || !args.Int(2, &count)) return args.Malformed("LREM key count value");
  return EffectAction([key = args.key(), count, value = args[3]](Shard& shard, int db) {
    return Applied(OpListRemove(shard, db, key, count, value));
  });
}

Result<EffectAction> ParseTrim(const EffectArgs& args) {
  int64_t start = 0;
  int64_t stop = 0;
  if (args.size() != 4 || !args.Int(2, &start) || !args.Int(3, &stop)) return args.Malformed("LTRIM key start stop");
  return EffectAction([key = args.key(), start, stop](Shard& shard, int db) {
    return Applied(OpListTrim(shard, db, key, start, stop));
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"LPUSH", ParsePush<ListEnd::kHead>}, EffectVerb{"RPUSH", ParsePush<ListEnd::kTail>},
    EffectVerb{"LPOP", ParsePop<ListEnd::kHead>},   EffectVerb{"RPOP", ParsePop<ListEnd::kTail>},
    EffectVerb{"LMOVE", ParseMove},                 EffectVerb{"LSET", ParseSet},
    EffectVerb{"LINSERT", ParseInsert},             EffectVerb{"LREM", ParseRemove},
    EffectVerb{"LTRIM", ParseTrim},
};

}  // namespace

std::span<const EffectVerb> ListVerbs() { return kVerbs; }

}  // namespace tierkv::effects
