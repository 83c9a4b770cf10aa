#include "tools/check/journal_effects.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/bit_ops.h"
#include "engine/expire_ops.h"
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

template <typename Number>
bool ParseNumber(std::string_view text, Number* value) {
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, *value);
  return error == std::errc() && stop == end;
}

bool ParseInt64(std::string_view text, int64_t* value) { return ParseNumber(text, value); }

// "i8", "u63": a bitfield type as BITFIELD effects name it.
bool ParseBitfieldType(std::string_view text, BitfieldType* type) {
  if (text.size() < 2 || (text[0] != 'i' && text[0] != 'u')) return false;
  unsigned bits = 0;
  type->is_signed = text[0] == 'i';
  if (!ParseNumber(text.substr(1), &bits) || bits < 1 || bits > (type->is_signed ? 64u : 63u)) return false;
  type->bits = static_cast<uint8_t>(bits);
  return true;
}

// BITFIELD key (SET <type> <offset> <value>)...: the SETs, or nullopt if malformed.
std::optional<std::vector<BitfieldOp>> BitfieldSets(const Effect& effect) {
  if (effect.size() < 6 || (effect.size() - 2) % 4 != 0) return std::nullopt;
  std::vector<BitfieldOp> ops;
  for (size_t i = 2; i < effect.size(); i += 4) {
    BitfieldOp op;
    op.kind = BitfieldOp::Kind::kSet;
    if (!SameWord(effect[i], "SET") || !ParseBitfieldType(effect[i + 1], &op.type) ||
        !ParseNumber(std::string_view(effect[i + 2]), &op.offset) || !ParseInt64(effect[i + 3], &op.operand)) {
      return std::nullopt;
    }
    ops.push_back(op);
  }
  return ops;
}

// `kind`, with `shape` as the problem unless the effect is well formed.
EffectKind Checked(EffectKind kind, bool well_formed, const char* shape, std::string* problem) {
  if (!well_formed) *problem = std::string(shape);
  return kind;
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
  int64_t number = 0;
  if (SameWord(verb, "APPEND")) {
    return Checked(EffectKind::kAppend, effect.size() == 3, "APPEND is not 'APPEND key suffix'", problem);
  }
  if (SameWord(verb, "SETRANGE")) {
    const bool ok = effect.size() == 4 && ParseInt64(effect[2], &number) && number >= 0;
    return Checked(EffectKind::kSetRange, ok, "SETRANGE is not 'SETRANGE key offset bytes'", problem);
  }
  if (SameWord(verb, "SETBIT")) {
    const bool ok = effect.size() == 4 && ParseInt64(effect[2], &number) && number >= 0 &&
                    (effect[3] == "0" || effect[3] == "1");
    return Checked(EffectKind::kSetBit, ok, "SETBIT is not 'SETBIT key offset 0|1'", problem);
  }
  if (SameWord(verb, "BITFIELD")) {
    return Checked(EffectKind::kBitfield, BitfieldSets(effect).has_value(),
                   "BITFIELD is not 'BITFIELD key (SET type offset value)...'", problem);
  }
  if (SameWord(verb, "PEXPIREAT")) {
    const bool ok = effect.size() == 3 && ParseInt64(effect[2], &number);
    return Checked(EffectKind::kPExpireAt, ok, "PEXPIREAT is not 'PEXPIREAT key ms'", problem);
  }
  if (SameWord(verb, "PERSIST")) {
    return Checked(EffectKind::kPersist, effect.size() == 2, "PERSIST is not 'PERSIST key'", problem);
  }
  if (SameWord(verb, "FLUSHDB") || SameWord(verb, "FLUSHALL")) {
    if (effect.size() != 1) *problem = EffectVerb(effect) + " with arguments";
    return SameWord(verb, "FLUSHDB") ? EffectKind::kFlushDb : EffectKind::kFlushAll;
  }
  if (SameWord(verb, "SWAPDB")) {
    int64_t a = 0;
    int64_t b = 0;
    const bool ok = effect.size() == 3 && ParseInt64(effect[1], &a) && ParseInt64(effect[2], &b) && a >= 0 && b >= 0;
    return Checked(EffectKind::kSwapDb, ok, "SWAPDB is not 'SWAPDB db db'", problem);
  }
  if (SameWord(verb, "SELECT")) {
    int64_t db = 0;
    if (effect.size() != 2 || !ParseInt64(effect[1], &db) || db < 0) *problem = "SELECT without a db number";
    return EffectKind::kSelect;
  }
  return EffectKind::kUnknown;
}

namespace {

Status ApplyKeyEffect(Shard& shard, int db, const Effect& effect, EffectKind kind) {
  auto failed = [&](const Status& status) {
    return Status::Error(EffectVerb(effect) + " failed: " + status.message());
  };
  int64_t number = 0;
  switch (kind) {
    case EffectKind::kSet: {
      SetOptions options;
      if (effect.size() == 5) (void)ParseInt64(effect[4], &options.expire_at_ms);  // checked above
      auto outcome = OpSet(shard, db, effect[1], effect[2], options);
      return outcome.ok() ? Status::Ok() : failed(outcome.status());
    }
    case EffectKind::kAppend: {
      auto length = OpAppend(shard, db, effect[1], effect[2], kMaxStringBytes);
      return length.ok() ? Status::Ok() : failed(length.status());
    }
    case EffectKind::kSetRange: {
      (void)ParseInt64(effect[2], &number);  // checked above
      auto length = OpSetRange(shard, db, effect[1], static_cast<uint64_t>(number), effect[3], kMaxStringBytes);
      return length.ok() ? Status::Ok() : failed(length.status());
    }
    case EffectKind::kSetBit: {
      (void)ParseInt64(effect[2], &number);  // checked above
      auto previous = OpSetBit(shard, db, effect[1], static_cast<uint64_t>(number), effect[3] == "1");
      return previous.ok() ? Status::Ok() : failed(previous.status());
    }
    case EffectKind::kBitfield: {
      const std::vector<BitfieldOp> ops = *BitfieldSets(effect);  // checked above
      auto replies = OpBitfield(shard, db, effect[1], ops);
      return replies.ok() ? Status::Ok() : failed(replies.status());
    }
    case EffectKind::kPExpireAt:
      (void)ParseInt64(effect[2], &number);  // checked above
      (void)OpExpire(shard, db, effect[1], number, 0);
      return Status::Ok();
    case EffectKind::kPersist:
      (void)OpPersist(shard, db, effect[1]);
      return Status::Ok();
    case EffectKind::kDel: {
      std::vector<std::string_view> keys(effect.begin() + 1, effect.end());
      (void)OpDel(shard, db, keys, FreeReason::kUserDel);
      return Status::Ok();
    }
    case EffectKind::kFlushDb:
    case EffectKind::kFlushAll:
    case EffectKind::kSwapDb:
    case EffectKind::kSelect:
      return Status::Error(EffectVerb(effect) + " is applied by recovery itself, not per key");
    case EffectKind::kUnknown:
      break;
  }
  return Status::Error("effect '" + EffectVerb(effect) +
                       "' is not known to tierkv-check (a newer server wrote it); see tools/check/journal_effects.h");
}

}  // namespace

Status ApplyEffect(Shard& shard, int db, const Effect& effect) {
  std::string problem;
  const EffectKind kind = ClassifyEffect(effect, &problem);
  if (!problem.empty()) return Status::Corruption("malformed effect: " + problem);
  // The handlers' clock, with expiry off as the server replays: a key whose expiry has
  // passed still takes the effects recorded before it expired.
  shard.set_now_ms(Shard::WallClockMs());
  shard.set_expiry_enabled(false);
  Status applied = ApplyKeyEffect(shard, db, effect, kind);
  shard.set_expiry_enabled(true);
  return applied;
}

}  // namespace tierkv::check
