#include "tools/check/journal_effects.h"

#include <cctype>
#include <charconv>
#include <span>
#include <string_view>
#include <vector>

#include "engine/key_ops.h"
#include "engine/string_ops.h"

namespace tierkv::check {
namespace {

bool SameWord(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i]) return false;
  }
  return true;
}

bool ParseInt64(std::string_view text, int64_t* value) {
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, *value);
  return error == std::errc() && stop == end;
}

}  // namespace

std::string EffectVerb(const Effect& effect) {
  if (effect.empty()) return "(empty)";
  std::string verb = effect[0];
  for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return verb;
}

EffectKind ClassifyEffect(const Effect& effect, std::string* problem) {
  problem->clear();
  if (effect.empty()) {
    *problem = "an empty effect";
    return EffectKind::kUnknown;
  }
  const std::string& verb = effect[0];
  if (SameWord(verb, "SET")) {
    int64_t at = 0;
    if (effect.size() == 3) return EffectKind::kSet;
    if (effect.size() == 5 && SameWord(effect[3], "PXAT") && ParseInt64(effect[4], &at) && at > 0) {
      return EffectKind::kSet;
    }
    *problem = "SET is not 'SET key value [PXAT ms]'";
    return EffectKind::kSet;
  }
  if (SameWord(verb, "DEL")) {
    if (effect.size() < 2) *problem = "DEL without a key";
    return EffectKind::kDel;
  }
  if (SameWord(verb, "FLUSHDB") || SameWord(verb, "FLUSHALL")) {
    if (effect.size() != 1) *problem = EffectVerb(effect) + " with arguments";
    return SameWord(verb, "FLUSHDB") ? EffectKind::kFlushDb : EffectKind::kFlushAll;
  }
  if (SameWord(verb, "SELECT")) {
    int64_t db = 0;
    if (effect.size() != 2 || !ParseInt64(effect[1], &db) || db < 0) *problem = "SELECT without a db number";
    return EffectKind::kSelect;
  }
  return EffectKind::kUnknown;
}

Status ApplyEffect(Shard& shard, int db, const Effect& effect) {
  std::string problem;
  const EffectKind kind = ClassifyEffect(effect, &problem);
  if (!problem.empty()) return Status::Corruption("malformed effect: " + problem);
  switch (kind) {
    case EffectKind::kSet: {
      SetOptions options;
      if (effect.size() == 5) (void)ParseInt64(effect[4], &options.expire_at_ms);  // checked above
      // The SET handler's clock: a PXAT that has passed deletes the key, as in Redis.
      shard.set_now_ms(Shard::WallClockMs());
      auto outcome = OpSet(shard, db, effect[1], effect[2], options);
      if (!outcome.ok()) return Status::Error("SET failed: " + outcome.status().message());
      return Status::Ok();
    }
    case EffectKind::kDel: {
      std::vector<std::string_view> keys(effect.begin() + 1, effect.end());
      (void)OpDel(shard, db, keys, FreeReason::kUserDel);
      return Status::Ok();
    }
    case EffectKind::kFlushDb:
    case EffectKind::kFlushAll:
    case EffectKind::kSelect:
      return Status::Error(EffectVerb(effect) + " is applied by recovery itself, not per key");
    case EffectKind::kUnknown:
      break;
  }
  return Status::Error("effect '" + EffectVerb(effect) +
                       "' is not known to tierkv-check (a newer server wrote it); see tools/check/journal_effects.h");
}

}  // namespace tierkv::check
