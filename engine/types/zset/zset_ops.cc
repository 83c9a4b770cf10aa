#include "engine/types/zset/zset_ops.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "engine/glob.h"
#include "engine/keyspace_ops.h"
#include "engine/number.h"
#include "engine/types/set/set_value.h"

namespace tierkv {
namespace {

// The sorted set at `key` for a read (counts a hit or a miss); nullptr when missing.
Result<ZSet*> ReadZSet(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kZSet);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return static_cast<ZSet*>(nullptr);
  return &ValueOf<ZSet>(*found);
}

// The same for a write's lookup (no hit/miss counting, as Redis's lookupKeyWrite).
Result<ZSet*> WriteZSet(Shard& shard, int db, std::string_view key) {
  auto found = FindTypedForWrite(shard.db(db), key, ValueType::kZSet);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return static_cast<ZSet*>(nullptr);
  return &ValueOf<ZSet>(*found);
}

bool ScoredLess(const ScoredMember& a, const ScoredMember& b) {
  if (a.score != b.score) return a.score < b.score;
  return a.member < b.member;
}

// A sorted set holding `members` (sorted, distinct), in the encoding Redis ends up with
// for a set built up to that size (zsetConvertToListpackIfNeeded).
std::unique_ptr<ZSet> BuildZSet(const std::vector<ScoredMember>& members, const EncodingLimits& limits) {
  size_t longest = 0;
  for (const ScoredMember& item : members) longest = std::max(longest, item.member.size());
  auto zset = ZSet::Create(members.size(), longest, limits);
  for (const ScoredMember& item : members) zset->Insert(item.member, item.score, limits);
  return zset;
}

// Replaces `destination` with `members` (sorted, distinct), or deletes it when there are
// none, as Redis's setKey / dbDelete for the STORE commands; returns the stored size.
size_t StoreSorted(Shard& shard, int db_index, std::string_view destination, const std::vector<ScoredMember>& members) {
  Db& db = shard.db(db_index);
  const bool existed = db.Find(destination) != nullptr;
  if (members.empty()) {
    if (existed) {
      db.Delete(destination);
      shard.KeyModified(db_index, destination);
    }
    return 0;
  }
  std::unique_ptr<ZSet> zset = BuildZSet(members, shard.options().limits);
  if (existed) db.Delete(destination);
  AddCollection(shard, db, destination, ValueType::kZSet, std::move(zset));
  shard.KeyModified(db_index, destination);
  return members.size();
}

// Deletes `key` when the write emptied it.
void DeleteIfEmpty(Shard& shard, int db, std::string_view key, const ZSet& zset) {
  if (zset.size() == 0) shard.db(db).Delete(key);
}

Effect RemovalEffect(std::string_view key, const std::vector<ScoredMember>& removed) {
  Effect effect;
  effect.reserve(removed.size() + 2);
  effect.emplace_back("ZREM");
  effect.emplace_back(key);
  for (const ScoredMember& item : removed) effect.push_back(item.member);
  return effect;
}

std::string ScoreBoundText(double value, bool exclusive) {
  return (exclusive ? "(" : "") + FormatDouble(value);
}

std::string LexBoundText(const LexBound& bound) {
  switch (bound.kind) {
    case LexBound::Kind::kMinusInfinity: return "-";
    case LexBound::Kind::kPlusInfinity: return "+";
    case LexBound::Kind::kValue: break;
  }
  return (bound.exclusive ? "(" : "[") + std::string(bound.value);
}

// Redis's rank normalisation: negative indexes count from the end; false when the
// range selects nothing.
bool NormalizeRanks(int64_t length, int64_t* start, int64_t* stop) {
  if (*start < 0) *start += length;
  if (*stop < 0) *stop += length;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= length) return false;
  if (*stop >= length) *stop = length - 1;
  return true;
}

// The ZRANGE selection from a sorted set (see OpZRange).
std::vector<ScoredMember> SelectRange(const ZSet& zset, const ZRangeSpec& spec) {
  std::vector<ScoredMember> out;
  const auto length = static_cast<int64_t>(zset.size());
  if (spec.by == ZRangeSpec::By::kRank) {
    int64_t start = spec.start;
    int64_t stop = spec.stop;
    if (!NormalizeRanks(length, &start, &stop)) return out;
    const auto count = static_cast<size_t>(stop - start + 1);
    out.reserve(count);
    ZSet::Iterator it = zset.AtRank(static_cast<size_t>(spec.reverse ? length - 1 - start : start));
    for (size_t i = 0; i < count && it.valid(); ++i) {
      out.push_back({std::string(it.member()), it.score()});
      spec.reverse ? it.Prev() : it.Next();
    }
    return out;
  }
  // LIMIT: an offset past the end selects nothing (Redis checks that first), and so does
  // a negative one (Redis's skip loop runs off the end).
  if (spec.offset < 0 || (spec.offset > 0 && spec.offset >= length)) return out;
  const bool by_score = spec.by == ZRangeSpec::By::kScore;
  ZSet::Iterator it;
  if (by_score) {
    it = spec.reverse ? zset.LastIn(spec.score) : zset.FirstIn(spec.score);
  } else {
    it = spec.reverse ? zset.LastIn(spec.lex) : zset.FirstIn(spec.lex);
  }
  if (!it.valid()) return out;
  if (spec.offset > 0) {
    const auto offset = static_cast<size_t>(spec.offset);
    if (zset.is_listpack()) {
      for (size_t i = 0; i < offset && it.valid(); ++i) spec.reverse ? it.Prev() : it.Next();
    } else {
      // O(log N) instead of walking: jump by rank.
      const size_t rank = zset.RankOf(it);
      if (spec.reverse && offset > rank) return out;
      it = zset.AtRank(spec.reverse ? rank - offset : rank + offset);
    }
  }
  int64_t limit = spec.limit;
  for (; it.valid() && limit != 0; --limit) {
    bool inside;
    if (by_score) {
      inside = spec.reverse ? spec.score.AboveMin(it.score()) : spec.score.BelowMax(it.score());
    } else {
      inside = spec.reverse ? spec.lex.AboveMin(it.member()) : spec.lex.BelowMax(it.member());
    }
    if (!inside) break;
    out.push_back({std::string(it.member()), it.score()});
    spec.reverse ? it.Prev() : it.Next();
  }
  return out;
}

// One input of ZUNION/ZINTER/ZDIFF: a sorted set, a set (members score 1) or nothing.
struct Source {
  const ZSet* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1;

  size_t size() const { return zset != nullptr ? zset->size() : set != nullptr ? set->Length() : 0; }
  bool same_value(const Source& other) const {
    return (zset != nullptr && zset == other.zset) || (set != nullptr && set == other.set);
  }

  template <typename Visit>
  void ForEach(Visit&& visit) const {
    if (zset != nullptr) {
      for (ZSet::Iterator it = zset->First(); it.valid(); it.Next()) {
        if (!visit(it.member(), it.score())) return;
      }
    } else if (set != nullptr) {
      set->ForEachWhile([&](std::string_view member) { return visit(member, 1.0); });
    }
  }

  std::optional<double> Find(std::string_view member) const {
    if (zset != nullptr) return zset->Score(member);
    if (set != nullptr && set->Contains(member)) return 1.0;
    return std::nullopt;
  }
};

// Reads every key as Redis's zunionInterDiffGenericCommand does (lookupKeyRead, so hits
// and misses count), failing on the first that is neither a sorted set nor a set.
Result<std::vector<Source>> LoadSources(Shard& shard, int db_index, std::span<const std::string_view> keys) {
  Db& db = shard.db(db_index);
  std::vector<Source> sources(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const Entry* entry = db.Find(keys[i]);
    shard.NoteLookup(db_index, keys[i], entry != nullptr);
    if (entry == nullptr) continue;
    if (entry->type == ValueType::kZSet) {
      sources[i].zset = &ValueOf<ZSet>(entry);
    } else if (entry->type == ValueType::kSet) {
      sources[i].set = &ValueOf<SetValue>(entry);
    } else {
      return Status::WrongType();
    }
  }
  return sources;
}

void Aggregate(double* target, double value, ZAggregate aggregate) {
  switch (aggregate) {
    case ZAggregate::kSum:
      *target += value;
      // inf + -inf: Redis's convention is 0.
      if (std::isnan(*target)) *target = 0;
      break;
    case ZAggregate::kMin:
      *target = value < *target ? value : *target;
      break;
    case ZAggregate::kMax:
      *target = value > *target ? value : *target;
      break;
  }
}

// Walks the intersection of `sources` (sorted smallest first), calling emit(member,
// score) for each member in all of them until emit returns false.
template <typename Emit>
void Intersect(const std::vector<Source>& sources, ZAggregate aggregate, Emit&& emit) {
  if (sources.empty() || sources[0].size() == 0) return;
  const Source& first = sources[0];
  first.ForEach([&](std::string_view member, double element_score) {
    double score = first.weight * element_score;
    if (std::isnan(score)) score = 0;
    for (size_t j = 1; j < sources.size(); ++j) {
      std::optional<double> found = sources[j].same_value(first) ? element_score : sources[j].Find(member);
      if (!found) return true;
      Aggregate(&score, *found * sources[j].weight, aggregate);
    }
    return emit(member, score);
  });
}

std::vector<ScoredMember> ComputeSetOperation(std::vector<Source> sources, const ZSetOperationSpec& spec) {
  for (size_t i = 0; i < sources.size() && i < spec.weights.size(); ++i) sources[i].weight = spec.weights[i];
  std::vector<ScoredMember> out;
  if (spec.operation != ZSetOperation::kDiff) {
    std::stable_sort(sources.begin(), sources.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }
  switch (spec.operation) {
    case ZSetOperation::kInter:
      Intersect(sources, spec.aggregate, [&](std::string_view member, double score) {
        out.push_back({std::string(member), score});
        return true;
      });
      break;
    case ZSetOperation::kUnion: {
      std::unordered_map<std::string, double> scores;
      if (!sources.empty()) scores.reserve(sources.back().size());
      for (const Source& source : sources) {
        source.ForEach([&](std::string_view member, double element_score) {
          double score = source.weight * element_score;
          if (std::isnan(score)) score = 0;
          auto [slot, fresh] = scores.try_emplace(std::string(member), score);
          if (!fresh) Aggregate(&slot->second, score, spec.aggregate);
          return true;
        });
      }
      out.reserve(scores.size());
      for (auto& [member, score] : scores) out.push_back({member, score});
      break;
    }
    case ZSetOperation::kDiff: {
      if (sources.empty() || sources[0].size() == 0) break;
      for (size_t j = 1; j < sources.size(); ++j) {
        if (sources[j].same_value(sources[0])) return out;  // everything is removed
      }
      sources[0].ForEach([&](std::string_view member, double score) {
        for (size_t j = 1; j < sources.size(); ++j) {
          if (sources[j].Find(member)) return true;
        }
        out.push_back({std::string(member), score});
        return true;
      });
      break;
    }
  }
  std::sort(out.begin(), out.end(), ScoredLess);
  return out;
}

// Floyd's algorithm: `count` distinct values in [0, size), count <= size.
std::vector<size_t> DistinctRanks(size_t size, size_t count, std::mt19937_64& rng) {
  std::unordered_set<size_t> chosen;
  chosen.reserve(count);
  std::vector<size_t> ranks;
  ranks.reserve(count);
  for (size_t j = size - count; j < size; ++j) {
    const size_t pick = std::uniform_int_distribution<size_t>(0, j)(rng);
    const size_t value = chosen.insert(pick).second ? pick : j;
    if (value == j) chosen.insert(j);
    ranks.push_back(value);
  }
  return ranks;
}

}  // namespace

Status ZScoreNaN() { return Status::Error("ERR resulting score is not a number (NaN)"); }

// ---- Adding and removing ----

Result<ZAddResult> OpZAdd(Shard& shard, int db_index, std::string_view key, const ZAddFlags& flags,
                          std::span<const ZAddElement> elements) {
  ZAddResult result;
  if (elements.empty()) return result;
  auto found = WriteZSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  const EncodingLimits& limits = shard.options().limits;
  ZSet* zset = *found;
  if (zset == nullptr) {
    if (flags.xx) return result;  // no key + XX: nothing to do
    Entry* entry = AddCollection(shard, shard.db(db_index), key, ValueType::kZSet,
                                 ZSet::Create(elements.size(), elements[0].member.size(), limits));
    zset = &ValueOf<ZSet>(entry);
  } else {
    zset->ConvertIfLargerThanListpack(elements.size(), limits);
  }

  // Elements that changed the set, with their resulting scores, for the effect.
  std::vector<std::pair<size_t, double>> changed;
  Status failure;
  for (size_t i = 0; i < elements.size(); ++i) {
    double score = 0;
    switch (zset->Add(elements[i].member, elements[i].score, flags, limits, &score)) {
      case ZAddOutcome::kAdded:
        ++result.added;
        changed.emplace_back(i, score);
        result.score = score;
        break;
      case ZAddOutcome::kUpdated:
        ++result.updated;
        changed.emplace_back(i, score);
        result.score = score;
        break;
      case ZAddOutcome::kUnchanged:
        result.score = score;
        break;
      case ZAddOutcome::kSkipped:
        break;
      case ZAddOutcome::kNaN:
        failure = ZScoreNaN();
        break;
    }
    if (!failure.ok()) break;
  }
  if (zset->size() == 0) shard.db(db_index).Delete(key);  // created, then nothing went in
  if (!changed.empty()) {
    shard.KeyModifiedBy(db_index, key, [&] {
      Effect effect{"ZADD", std::string(key)};
      effect.reserve(2 + 2 * changed.size());
      for (const auto& [index, score] : changed) {
        effect.push_back(FormatDouble(score));
        effect.emplace_back(elements[index].member);
      }
      return effect;
    });
  }
  if (!failure.ok()) return failure;
  return result;
}

Result<size_t> OpZRem(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> members) {
  auto found = WriteZSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  ZSet* zset = *found;
  if (zset == nullptr) return size_t{0};
  std::vector<std::string_view> removed;
  for (std::string_view member : members) {
    if (zset->Remove(member)) removed.push_back(member);
    if (zset->size() == 0) break;
  }
  if (removed.empty()) return size_t{0};
  DeleteIfEmpty(shard, db_index, key, *zset);
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect{"ZREM", std::string(key)};
    for (std::string_view member : removed) effect.emplace_back(member);
    return effect;
  });
  return removed.size();
}

Result<std::vector<ScoredMember>> OpZPop(Shard& shard, int db_index, std::string_view key, bool from_max,
                                         size_t count) {
  auto found = WriteZSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  ZSet* zset = *found;
  if (zset == nullptr || count == 0) return std::vector<ScoredMember>();
  std::vector<ScoredMember> popped = zset->Pop(from_max, count);
  DeleteIfEmpty(shard, db_index, key, *zset);
  shard.KeyModifiedBy(db_index, key, [&] { return RemovalEffect(key, popped); });
  return popped;
}

Result<std::optional<ZMPopResult>> OpZMPop(Shard& shard, int db, std::span<const std::string_view> keys,
                                           bool from_max, size_t count) {
  for (std::string_view key : keys) {
    auto popped = OpZPop(shard, db, key, from_max, count);
    if (!popped.ok()) return popped.status();
    // An existing sorted set is never empty, so nothing popped means a missing key.
    if (!popped->empty()) return std::optional<ZMPopResult>(ZMPopResult{key, std::move(*popped)});
  }
  return std::optional<ZMPopResult>();
}

Result<size_t> OpZRemRangeByRank(Shard& shard, int db_index, std::string_view key, int64_t start, int64_t stop) {
  auto found = WriteZSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  ZSet* zset = *found;
  if (zset == nullptr || !NormalizeRanks(static_cast<int64_t>(zset->size()), &start, &stop)) return size_t{0};
  const size_t removed = zset->RemoveRanks(static_cast<size_t>(start), static_cast<size_t>(stop));
  if (removed == 0) return removed;
  DeleteIfEmpty(shard, db_index, key, *zset);
  shard.KeyModifiedBy(db_index, key, [&] {
    return Effect{"ZREMRANGEBYRANK", std::string(key), FormatInt64(start), FormatInt64(stop)};
  });
  return removed;
}

Result<size_t> OpZRemRangeByScore(Shard& shard, int db_index, std::string_view key, const ScoreRange& range) {
  auto found = WriteZSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  ZSet* zset = *found;
  if (zset == nullptr) return size_t{0};
  const size_t removed = zset->RemoveRange(range);
  if (removed == 0) return removed;
  DeleteIfEmpty(shard, db_index, key, *zset);
  shard.KeyModifiedBy(db_index, key, [&] {
    return Effect{"ZREMRANGEBYSCORE", std::string(key), ScoreBoundText(range.min, range.min_exclusive),
                  ScoreBoundText(range.max, range.max_exclusive)};
  });
  return removed;
}

Result<size_t> OpZRemRangeByLex(Shard& shard, int db_index, std::string_view key, const LexRange& range) {
  auto found = WriteZSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  ZSet* zset = *found;
  if (zset == nullptr) return size_t{0};
  const size_t removed = zset->RemoveRange(range);
  if (removed == 0) return removed;
  DeleteIfEmpty(shard, db_index, key, *zset);
  shard.KeyModifiedBy(db_index, key, [&] {
    return Effect{"ZREMRANGEBYLEX", std::string(key), LexBoundText(range.min), LexBoundText(range.max)};
  });
  return removed;
}

// ---- Reads ----

Result<size_t> OpZCard(Shard& shard, int db, std::string_view key) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  return *zset == nullptr ? size_t{0} : (*zset)->size();
}

Result<std::optional<double>> OpZScore(Shard& shard, int db, std::string_view key, std::string_view member) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  if (*zset == nullptr) return std::optional<double>();
  return (*zset)->Score(member);
}

Result<std::vector<std::optional<double>>> OpZMScore(Shard& shard, int db, std::string_view key,
                                                     std::span<const std::string_view> members) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  std::vector<std::optional<double>> scores;
  scores.reserve(members.size());
  for (std::string_view member : members) {
    scores.push_back(*zset == nullptr ? std::nullopt : (*zset)->Score(member));
  }
  return scores;
}

Result<std::optional<ZRankResult>> OpZRank(Shard& shard, int db, std::string_view key, std::string_view member,
                                           bool reverse) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  if (*zset == nullptr) return std::optional<ZRankResult>();
  ZRankResult result;
  std::optional<size_t> rank = (*zset)->Rank(member, &result.score);
  if (!rank) return std::optional<ZRankResult>();
  result.rank = reverse ? (*zset)->size() - 1 - *rank : *rank;
  return std::optional<ZRankResult>(result);
}

Result<size_t> OpZCount(Shard& shard, int db, std::string_view key, const ScoreRange& range) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  return *zset == nullptr ? size_t{0} : (*zset)->Count(range);
}

Result<size_t> OpZLexCount(Shard& shard, int db, std::string_view key, const LexRange& range) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  return *zset == nullptr ? size_t{0} : (*zset)->Count(range);
}

Result<std::vector<ScoredMember>> OpZRange(Shard& shard, int db, std::string_view key, const ZRangeSpec& spec) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  if (*zset == nullptr) return std::vector<ScoredMember>();
  return SelectRange(**zset, spec);
}

Result<size_t> OpZRangeStore(Shard& shard, int db, std::string_view destination, std::string_view source,
                             const ZRangeSpec& spec) {
  auto zset = ReadZSet(shard, db, source);
  if (!zset.ok()) return zset.status();
  std::vector<ScoredMember> selected;
  if (*zset != nullptr) selected = SelectRange(**zset, spec);
  if (spec.reverse) std::reverse(selected.begin(), selected.end());
  return StoreSorted(shard, db, destination, selected);
}

Result<std::optional<ScoredMember>> OpZRandMember(Shard& shard, int db, std::string_view key) {
  auto zset = ReadZSet(shard, db, key);
  if (!zset.ok()) return zset.status();
  if (*zset == nullptr) return std::optional<ScoredMember>();
  return std::optional<ScoredMember>((*zset)->RandomMember(shard.rng()));
}

Result<std::vector<ScoredMember>> OpZRandMemberDistinct(Shard& shard, int db, std::string_view key, uint64_t count) {
  auto found = ReadZSet(shard, db, key);
  if (!found.ok()) return found.status();
  std::vector<ScoredMember> out;
  const ZSet* zset = *found;
  if (zset == nullptr || count == 0) return out;
  const size_t size = zset->size();
  if (count >= size) {
    // The whole set, highest score first (Redis walks it from the tail).
    out.reserve(size);
    for (ZSet::Iterator it = zset->Last(); it.valid(); it.Prev()) out.push_back({std::string(it.member()), it.score()});
    return out;
  }
  std::vector<size_t> ranks = DistinctRanks(size, static_cast<size_t>(count), shard.rng());
  // A listpack answers in its own order (Redis samples it in place), the index in a
  // random one (Redis answers in its dict's order).
  if (zset->is_listpack()) {
    std::sort(ranks.begin(), ranks.end());
  } else {
    std::shuffle(ranks.begin(), ranks.end(), shard.rng());
  }
  out.reserve(ranks.size());
  for (size_t rank : ranks) {
    const ZSet::Iterator it = zset->AtRank(rank);
    out.push_back({std::string(it.member()), it.score()});
  }
  return out;
}

Result<bool> OpZRandMemberRepeated(Shard& shard, int db, std::string_view key, uint64_t count,
                                   const std::function<void(std::string_view member, double score)>& emit) {
  auto found = ReadZSet(shard, db, key);
  if (!found.ok()) return found.status();
  const ZSet* zset = *found;
  if (zset == nullptr) return false;
  std::uniform_int_distribution<size_t> pick(0, zset->size() - 1);
  for (uint64_t i = 0; i < count; ++i) {
    const ZSet::Iterator it = zset->AtRank(pick(shard.rng()));
    emit(it.member(), it.score());
  }
  return true;
}

// ---- Set operations ----

Status OpZCheckSources(Shard& shard, int db, std::span<const std::string_view> keys) {
  auto sources = LoadSources(shard, db, keys);
  return sources.ok() ? Status::Ok() : sources.status();
}

Result<std::vector<ScoredMember>> OpZSetOperation(Shard& shard, int db, std::span<const std::string_view> keys,
                                                  const ZSetOperationSpec& spec) {
  auto sources = LoadSources(shard, db, keys);
  if (!sources.ok()) return sources.status();
  return ComputeSetOperation(std::move(*sources), spec);
}

Result<size_t> OpZSetOperationStore(Shard& shard, int db, std::string_view destination,
                                    std::span<const std::string_view> keys, const ZSetOperationSpec& spec) {
  auto sources = LoadSources(shard, db, keys);
  if (!sources.ok()) return sources.status();
  const std::vector<ScoredMember> result = ComputeSetOperation(std::move(*sources), spec);
  return StoreSorted(shard, db, destination, result);
}

Result<size_t> OpZInterCard(Shard& shard, int db, std::span<const std::string_view> keys, size_t limit) {
  auto sources = LoadSources(shard, db, keys);
  if (!sources.ok()) return sources.status();
  std::stable_sort(sources->begin(), sources->end(),
                   [](const Source& a, const Source& b) { return a.size() < b.size(); });
  size_t count = 0;
  Intersect(*sources, ZAggregate::kSum, [&](std::string_view, double) {
    ++count;
    return limit == 0 || count < limit;
  });
  return count;
}

// ---- ZSCAN ----

Result<ZScanPage> OpZScan(Shard& shard, int db, std::string_view key, uint64_t cursor, uint64_t count,
                          std::string_view pattern) {
  auto found = ReadZSet(shard, db, key);
  if (!found.ok()) return found.status();
  ZScanPage page;
  const ZSet* zset = *found;
  if (zset == nullptr) return page;
  auto matches = [&](std::string_view member) { return pattern.empty() || GlobMatch(pattern, member); };
  if (zset->is_listpack()) {
    // A listpack is returned whole in one step, its score text as stored.
    const Listpack& lp = zset->listpack();
    Listpack::IntBuffer member_scratch;
    Listpack::IntBuffer score_scratch;
    for (Listpack::Pos pos = lp.First(); pos != Listpack::kEnd; pos = lp.Next(lp.Next(pos))) {
      const std::string_view member = lp.Get(pos, member_scratch);
      if (!matches(member)) continue;
      page.items.emplace_back(member, lp.Get(lp.Next(pos), score_scratch));
    }
    return page;
  }
  page.cursor = zset->index().table().Scan(cursor, static_cast<size_t>(std::min<uint64_t>(count, SIZE_MAX)),
                                           [&](const MemberRecord* record) {
                                             if (matches(record->member())) {
                                               page.items.emplace_back(record->member(), FormatDouble(record->score()));
                                             }
                                           });
  return page;
}

// ---- Geo helpers ----

Status OpZVisitScoreRange(Shard& shard, int db, std::string_view key, const ScoreRange& range,
                          const std::function<bool(std::string_view member, double score)>& visit) {
  auto found = ReadZSet(shard, db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  for (ZSet::Iterator it = (*found)->FirstIn(range); it.valid() && range.BelowMax(it.score()); it.Next()) {
    if (!visit(it.member(), it.score())) break;
  }
  return Status::Ok();
}

size_t OpZStore(Shard& shard, int db, std::string_view destination, std::span<const ScoredMember> members) {
  // The last score of a repeated member wins: keep each member's last occurrence.
  std::vector<size_t> order(members.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return members[a].member < members[b].member; });
  std::vector<ScoredMember> distinct;
  distinct.reserve(members.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const bool last_of_member = i + 1 == order.size() || members[order[i + 1]].member != members[order[i]].member;
    if (last_of_member) distinct.push_back(members[order[i]]);
  }
  std::sort(distinct.begin(), distinct.end(), ScoredLess);
  return StoreSorted(shard, db, destination, distinct);
}

}  // namespace tierkv
