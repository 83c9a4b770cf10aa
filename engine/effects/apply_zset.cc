// Sorted-set effects: ZADD key <resulting score> member... (every ZADD/ZINCRBY/GEOADD
// change, scores as FormatDouble writes them), ZREM key member... (removed or popped),
// ZREMRANGEBYRANK key <start> <stop> (absolute ranks), ZREMRANGEBYSCORE key <min> <max>,
// ZREMRANGEBYLEX key <min> <max>.
#include <array>
#include <vector>

#include "engine/effects/effect_verbs.h"
#include "engine/types/zset/zset_ops.h"
#include "engine/types/zset/zset_range.h"

namespace tierkv::effects {
namespace {

Result<EffectAction> ParseZAdd(const EffectArgs& args) {
  constexpr std::string_view kForm = "ZADD key score member [score member ...]";
  if (args.size() < 4 || args.size() % 2 != 0) return args.Malformed(kForm);
  std::vector<ZAddElement> elements;
  for (size_t i = 2; i < args.size(); i += 2) {
    ZAddElement& element = elements.emplace_back();
    if (!ParseDouble(args[i], &element.score)) return args.Malformed(kForm);
    element.member = args[i + 1];
  }
  return EffectAction([key = args.key(), elements = std::move(elements)](Shard& shard, int db) {
    return Applied(OpZAdd(shard, db, key, ZAddFlags{}, elements));
  });
}

Result<EffectAction> ParseZRem(const EffectArgs& args) {
  if (args.size() < 3) return args.Malformed("ZREM key member...");
  return EffectAction([key = args.key(), members = args.From(2)](Shard& shard, int db) {
    return Applied(OpZRem(shard, db, key, members));
  });
}

Result<EffectAction> ParseZRemRangeByRank(const EffectArgs& args) {
  int64_t start = 0;
  int64_t stop = 0;
  if (args.size() != 4 || !args.Int(2, &start) || !args.Int(3, &stop)) {
    return args.Malformed("ZREMRANGEBYRANK key start stop");
  }
  return EffectAction([key = args.key(), start, stop](Shard& shard, int db) {
    return Applied(OpZRemRangeByRank(shard, db, key, start, stop));
  });
}

Result<EffectAction> ParseZRemRangeByScore(const EffectArgs& args) {
  if (args.size() != 4) return args.Malformed("ZREMRANGEBYSCORE key min max");
  auto range = ParseScoreRange(args[2], args[3]);
  if (!range.ok()) return args.Malformed("ZREMRANGEBYSCORE key min max");
  return EffectAction([key = args.key(), range = *range](Shard& shard, int db) {
    return Applied(OpZRemRangeByScore(shard, db, key, range));
  });
}

Result<EffectAction> ParseZRemRangeByLex(const EffectArgs& args) {
  if (args.size() != 4) return args.Malformed("ZREMRANGEBYLEX key min max");
  auto range = ParseLexRange(args[2], args[3]);
  if (!range.ok()) return args.Malformed("ZREMRANGEBYLEX key min max");
  return EffectAction([key = args.key(), range = *range](Shard& shard, int db) {
    return Applied(OpZRemRangeByLex(shard, db, key, range));
  });
}

constexpr std::array kVerbs = {
    EffectVerb{"ZADD", ParseZAdd},
    EffectVerb{"ZREM", ParseZRem},
    EffectVerb{"ZREMRANGEBYRANK", ParseZRemRangeByRank},
    EffectVerb{"ZREMRANGEBYSCORE", ParseZRemRangeByScore},
    EffectVerb{"ZREMRANGEBYLEX", ParseZRemRangeByLex},
};

}  // namespace

std::span<const EffectVerb> SortedSetVerbs() { return kVerbs; }

}  // namespace tierkv::effects
