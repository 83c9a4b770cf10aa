#include "engine/types/zset/zset_range.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace tierkv {
namespace {

// One score bound as zslParseRange reads it: strtod over the C string (an embedded NUL
// ends it, as in Redis), the whole of it consumed, not NaN.
bool ParseScoreBound(std::string_view text, double* value, bool* exclusive) {
  *exclusive = !text.empty() && text.front() == '(';
  if (*exclusive) text.remove_prefix(1);
  const std::string terminated(text);
  char* end = nullptr;
  const double parsed = std::strtod(terminated.c_str(), &end);
  if (*end != '\0' || std::isnan(parsed)) return false;
  *value = parsed;
  return true;
}

// The first byte chooses the form; "+" and "-" must stand alone (a C-string test in
// Redis, so an embedded NUL after them still counts as alone).
bool ParseLexBound(std::string_view text, LexBound* bound) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '+':
    case '-':
      if (text.size() > 1 && text[1] != '\0') return false;
      bound->kind = text.front() == '+' ? LexBound::Kind::kPlusInfinity : LexBound::Kind::kMinusInfinity;
      bound->exclusive = true;
      return true;
    case '(':
    case '[':
      bound->kind = LexBound::Kind::kValue;
      bound->exclusive = text.front() == '(';
      bound->value = text.substr(1);
      return true;
    default:
      return false;
  }
}

// A member against a bound, as Redis's sdscmplex with its -inf/+inf sentinels.
int CompareToBound(std::string_view member, const LexBound& bound) {
  switch (bound.kind) {
    case LexBound::Kind::kMinusInfinity: return 1;
    case LexBound::Kind::kPlusInfinity: return -1;
    case LexBound::Kind::kValue: break;
  }
  return CompareMembers(member, bound.value);
}

int CompareBounds(const LexBound& a, const LexBound& b) {
  if (a.kind == b.kind && a.kind != LexBound::Kind::kValue) return 0;
  if (a.kind == LexBound::Kind::kMinusInfinity || b.kind == LexBound::Kind::kPlusInfinity) return -1;
  if (a.kind == LexBound::Kind::kPlusInfinity || b.kind == LexBound::Kind::kMinusInfinity) return 1;
  return CompareMembers(a.value, b.value);
}

}  // namespace

ScoreRange ScoreRange::All() {
  ScoreRange range;
  range.min = -std::numeric_limits<double>::infinity();
  range.max = std::numeric_limits<double>::infinity();
  return range;
}

Result<ScoreRange> ParseScoreRange(std::string_view min, std::string_view max) {
  ScoreRange range;
  if (!ParseScoreBound(min, &range.min, &range.min_exclusive) ||
      !ParseScoreBound(max, &range.max, &range.max_exclusive)) {
    return Status::Error("ERR min or max is not a float");
  }
  return range;
}

bool LexRange::AboveMin(std::string_view member) const {
  const int cmp = CompareToBound(member, min);
  return min.exclusive ? cmp > 0 : cmp >= 0;
}

bool LexRange::BelowMax(std::string_view member) const {
  const int cmp = CompareToBound(member, max);
  return max.exclusive ? cmp < 0 : cmp <= 0;
}

bool LexRange::Empty() const {
  const int cmp = CompareBounds(min, max);
  return cmp > 0 || (cmp == 0 && (min.exclusive || max.exclusive));
}

Result<LexRange> ParseLexRange(std::string_view min, std::string_view max) {
  LexRange range;
  if (!ParseLexBound(min, &range.min) || !ParseLexBound(max, &range.max)) {
    return Status::Error("ERR min or max not valid string range item");
  }
  return range;
}

}  // namespace tierkv
