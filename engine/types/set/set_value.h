// SetValue: a Redis set, in the encoding Redis 7.2 would give the same data, converting
// itself at the same thresholds (t_set.c):
//   intset     every member a canonical int64 and at most set-max-intset-entries of them
//              (engine/types/set/intset.h, Redis's byte layout);
//   listpack   at most set-max-listpack-entries members of at most set-max-listpack-value
//              bytes each (engine/types/listpack.h, Redis's byte layout);
//   hashtable  anything larger (engine/types/set/member_table.h).
// An intset that receives a non-integer becomes a listpack if the result stays inside the
// listpack limits, else a hashtable; an intset past its entry limit and a listpack past
// either limit become hashtables. Sets never convert back on removals, as in Redis; only
// SINTERSTORE's all-integer results are re-encoded as intsets (ConvertToIntsetIfFits) and
// SPOP with a large count rebuilds what remains (engine/types/set/set_random.h).
//
// Members are byte strings; an intset or listpack stores canonical integers as integers
// and gives them back as the same text.
//
// Thread-safety: a plain value owned by its Entry; engine thread only.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/entry.h"
#include "engine/types/encoding_limits.h"
#include "engine/types/listpack.h"
#include "engine/types/set/intset.h"
#include "engine/types/set/member_table.h"

namespace tierkv {

class SetValue final : public ValueObject {
 public:
  // Redis's setTypeCreate: an empty set in the encoding a new set starts with, given its
  // first member and how many members the creating command brings (SADD's argument count,
  // 1 for SMOVE): intset for an integer if the hint fits one, else listpack if the hint
  // fits one, else a hashtable sized for the hint.
  static std::unique_ptr<SetValue> CreateFor(std::string_view first_member, size_t size_hint,
                                             const EncodingLimits& limits);

  SetValue() = default;  // an empty intset
  explicit SetValue(IntSet members) : repr_(std::move(members)) {}
  explicit SetValue(Listpack members) : repr_(std::move(members)) {}
  explicit SetValue(MemberTable members) : repr_(std::move(members)) {}

  // ValueObject
  size_t MemoryUsage() const override;
  size_t SampledMemoryUsage(size_t samples) const override;
  Encoding encoding() const override;
  size_t Length() const override;
  std::unique_ptr<ValueObject> Clone() const override;

  bool Contains(std::string_view member) const;
  // True when added, false when already a member; converts as described above.
  bool Add(std::string_view member, const EncodingLimits& limits);
  // True when removed.
  bool Remove(std::string_view member);

  // Redis's setTypeMaybeConvert: before a command adds `size_hint` members, a compact
  // encoding that could not hold that many becomes a hashtable sized for them.
  void ConvertForSizeHint(size_t size_hint, const EncodingLimits& limits);
  // To a hashtable sized for at least `expected` members (no-op if already one).
  void ConvertToHashtable(size_t expected);
  // An intset to a listpack holding the same members.
  void ConvertToListpack();
  // Redis's maybeConvertToIntset, for a set whose members are all canonical integers:
  // becomes an intset unless it is one or holds more than an intset may.
  void ConvertToIntsetIfFits(const EncodingLimits& limits);

  // Calls visit(std::string_view) for every member (integers as their text, valid for
  // the call only), in the encoding's order. `visit` must not change the set.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    ForEachWhile([&](std::string_view member) {
      visit(member);
      return true;
    });
  }
  // The same, stopping when visit returns false; false if it did.
  template <typename Visit>
  bool ForEachWhile(Visit&& visit) const;
  std::vector<std::string> Members() const;

  // The encodings, for the algorithms that differ per encoding (set_random.cc, the RDB
  // writer, SSCAN). Each must only be called when encoding() names it.
  const IntSet& intset() const { return std::get<IntSet>(repr_); }
  IntSet& intset() { return std::get<IntSet>(repr_); }
  const Listpack& listpack() const { return std::get<Listpack>(repr_); }
  Listpack& listpack() { return std::get<Listpack>(repr_); }
  const MemberTable& table() const { return std::get<MemberTable>(repr_); }
  MemberTable& table() { return std::get<MemberTable>(repr_); }

  // The most members an intset may hold: set-max-intset-entries, capped at 2^30 as in
  // Redis (intsetMaxEntries).
  static size_t MaxIntsetEntries(const EncodingLimits& limits);

 private:
  // Whether an intset that receives the non-integer `member` may become a listpack
  // (Redis's estimate: every member as long as the widest of min and max).
  bool IntsetFitsListpackWith(std::string_view member, const EncodingLimits& limits) const;

  std::variant<IntSet, Listpack, MemberTable> repr_;
};

// The decimal text of an integer member, into a caller's buffer.
using IntTextBuffer = char[24];
inline std::string_view IntegerText(int64_t value, IntTextBuffer& buffer) {
  const auto result = std::to_chars(buffer, buffer + sizeof(IntTextBuffer), value);
  return {buffer, static_cast<size_t>(result.ptr - buffer)};
}

template <typename Visit>
bool SetValue::ForEachWhile(Visit&& visit) const {
  if (const auto* members = std::get_if<IntSet>(&repr_)) {
    IntTextBuffer text;
    const size_t count = members->size();
    for (size_t i = 0; i < count; ++i) {
      if (!visit(IntegerText(members->At(i), text))) return false;
    }
  } else if (const auto* packed = std::get_if<Listpack>(&repr_)) {
    Listpack::IntBuffer scratch;
    for (Listpack::Pos pos = packed->First(); pos != Listpack::kEnd; pos = packed->Next(pos)) {
      if (!visit(packed->Get(pos, scratch))) return false;
    }
  } else {
    const MemberTable& table = std::get<MemberTable>(repr_);
    const size_t slots = table.slot_count();
    for (size_t slot = 0; slot < slots; ++slot) {
      if (table.occupied(slot) && !visit(table.MemberAt(slot))) return false;
    }
  }
  return true;
}

}  // namespace tierkv
