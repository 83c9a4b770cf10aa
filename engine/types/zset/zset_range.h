// Sorted-set ranges as the commands give them, parsed with Redis's exact rules:
//   by score  "1.5", "(1.5" (exclusive), "-inf", "+inf"   -> ScoreRange
//   by member "[abc", "(abc" (exclusive), "-", "+"        -> LexRange
// and the tests an element's score or member passes against them. Score bounds are
// read with strtod as Redis's zslParseRange does (so leading spaces, an empty bound
// meaning 0 and overflow to +/-inf are accepted, NaN is not); anything else is "ERR min
// or max is not a float" / "ERR min or max not valid string range item".
//
// Thread-safety: plain values and pure functions. A LexRange views the argument text it
// was parsed from.
#pragma once

#include <string_view>

#include "engine/status.h"

namespace tierkv {

struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool AboveMin(double score) const { return min_exclusive ? score > min : score >= min; }
  bool BelowMax(double score) const { return max_exclusive ? score < max : score <= max; }
  bool Contains(double score) const { return AboveMin(score) && BelowMax(score); }
  // True when no score can be in the range (min > max, or min == max with an open end).
  bool Empty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }

  // Every score.
  static ScoreRange All();
};

// "ERR min or max is not a float" when either bound does not parse.
Result<ScoreRange> ParseScoreRange(std::string_view min, std::string_view max);

struct LexBound {
  enum class Kind : unsigned char { kMinusInfinity, kPlusInfinity, kValue };
  Kind kind = Kind::kMinusInfinity;
  bool exclusive = false;
  std::string_view value;  // for kValue
};

struct LexRange {
  LexBound min;
  LexBound max;

  bool AboveMin(std::string_view member) const;
  bool BelowMax(std::string_view member) const;
  bool Contains(std::string_view member) const { return AboveMin(member) && BelowMax(member); }
  // True when no member can be in the range.
  bool Empty() const;
};

// "ERR min or max not valid string range item" when either bound is malformed.
Result<LexRange> ParseLexRange(std::string_view min, std::string_view max);

// Byte-wise comparison of members (memcmp, then the shorter first), the order of equal
// scores: < 0, 0, > 0.
inline int CompareMembers(std::string_view a, std::string_view b) { return a.compare(b); }

}  // namespace tierkv
