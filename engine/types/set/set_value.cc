#include "engine/types/set/set_value.h"

#include <algorithm>

#include "engine/number.h"

namespace tierkv {

// One 32-byte allocation per set, whatever its encoding (jemalloc's 32-byte class).
static_assert(sizeof(SetValue) <= 32);

namespace {

// Redis's LISTPACK_MAX_SAFETY_SIZE: no listpack grows past 1 GiB.
constexpr size_t kListpackSafetyBytes = size_t{1} << 30;
constexpr size_t kListpackHeaderAndEnd = 7;

// Decimal digits of `value`, sign included (Redis's sdigits10).
size_t SignedDigits(int64_t value) {
  IntTextBuffer text;
  return IntegerText(value, text).size();
}

// Bytes of a listpack holding `count` copies of `value` (lpEstimateBytesRepeatedInteger).
size_t ListpackBytesOfRepeated(int64_t value, size_t count) {
  IntTextBuffer text;
  return kListpackHeaderAndEnd + count * Listpack::EncodedSize(IntegerText(value, text));
}

}  // namespace

size_t SetValue::MaxIntsetEntries(const EncodingLimits& limits) {
  return std::min(limits.set_max_intset_entries, size_t{1} << 30);
}

std::unique_ptr<SetValue> SetValue::CreateFor(std::string_view first_member, size_t size_hint,
                                              const EncodingLimits& limits) {
  int64_t integer;
  if (ParseInt64(first_member, &integer) && size_hint <= limits.set_max_intset_entries) {
    return std::make_unique<SetValue>();
  }
  if (size_hint <= limits.set_max_listpack_entries) return std::make_unique<SetValue>(Listpack());
  // The hint may overstate (repeated arguments); Redis accepts that too.
  MemberTable table;
  table.Reserve(size_hint);
  return std::make_unique<SetValue>(std::move(table));
}

size_t SetValue::MemoryUsage() const {
  const size_t own = sizeof(*this);
  if (const auto* members = std::get_if<IntSet>(&repr_)) return own + members->MemoryUsage();
  if (const auto* packed = std::get_if<Listpack>(&repr_)) return own + packed->MemoryUsage();
  return own + std::get<MemberTable>(repr_).MemoryUsage();
}

size_t SetValue::SampledMemoryUsage(size_t samples) const {
  const auto* table = std::get_if<MemberTable>(&repr_);
  if (table == nullptr) return MemoryUsage();
  return sizeof(*this) + table->MemoryUsage(samples);
}

Encoding SetValue::encoding() const {
  if (std::holds_alternative<IntSet>(repr_)) return Encoding::kIntset;
  if (std::holds_alternative<Listpack>(repr_)) return Encoding::kListpack;
  return Encoding::kHashtable;
}

size_t SetValue::Length() const {
  if (const auto* members = std::get_if<IntSet>(&repr_)) return members->size();
  if (const auto* packed = std::get_if<Listpack>(&repr_)) return packed->size();
  return std::get<MemberTable>(repr_).size();
}

std::unique_ptr<ValueObject> SetValue::Clone() const { return std::make_unique<SetValue>(*this); }

bool SetValue::Contains(std::string_view member) const {
  if (const auto* members = std::get_if<IntSet>(&repr_)) {
    int64_t integer;
    return ParseInt64(member, &integer) && members->Contains(integer);
  }
  if (const auto* packed = std::get_if<Listpack>(&repr_)) {
    return packed->Find(member, packed->First()) != Listpack::kEnd;
  }
  return std::get<MemberTable>(repr_).Contains(member);
}

bool SetValue::IntsetFitsListpackWith(std::string_view member, const EncodingLimits& limits) const {
  const IntSet& members = intset();
  const size_t count = members.size();
  size_t widest = 0;
  size_t estimated_bytes = 0;
  if (count != 0) {
    widest = std::max(SignedDigits(members.Min()), SignedDigits(members.Max()));
    estimated_bytes =
        std::max(ListpackBytesOfRepeated(members.Min(), count), ListpackBytesOfRepeated(members.Max(), count));
  }
  return count < limits.set_max_listpack_entries && member.size() <= limits.set_max_listpack_value &&
         widest <= limits.set_max_listpack_value && estimated_bytes + member.size() <= kListpackSafetyBytes;
}

bool SetValue::Add(std::string_view member, const EncodingLimits& limits) {
  if (auto* members = std::get_if<IntSet>(&repr_)) {
    int64_t integer;
    if (ParseInt64(member, &integer)) {
      if (!members->Add(integer)) return false;
      if (members->size() > MaxIntsetEntries(limits)) ConvertToHashtable(members->size());
      return true;
    }
    // A non-integer: the set is no intset any more.
    if (IntsetFitsListpackWith(member, limits)) {
      ConvertToListpack();
      listpack().Append(member);
    } else {
      ConvertToHashtable(members->size() + 1);
      table().Insert(member);
    }
    return true;
  }
  if (auto* packed = std::get_if<Listpack>(&repr_)) {
    if (packed->Find(member, packed->First()) != Listpack::kEnd) return false;
    if (packed->size() < limits.set_max_listpack_entries && member.size() <= limits.set_max_listpack_value &&
        packed->bytes_size() + member.size() <= kListpackSafetyBytes) {
      packed->Append(member);
    } else {
      ConvertToHashtable(packed->size() + 1);
      table().Insert(member);
    }
    return true;
  }
  return std::get<MemberTable>(repr_).Insert(member);
}

bool SetValue::Remove(std::string_view member) {
  if (auto* members = std::get_if<IntSet>(&repr_)) {
    int64_t integer;
    return ParseInt64(member, &integer) && members->Remove(integer);
  }
  if (auto* packed = std::get_if<Listpack>(&repr_)) {
    const Listpack::Pos pos = packed->Find(member, packed->First());
    if (pos == Listpack::kEnd) return false;
    packed->Erase(pos);
    return true;
  }
  return std::get<MemberTable>(repr_).Erase(member);
}

void SetValue::ConvertForSizeHint(size_t size_hint, const EncodingLimits& limits) {
  const Encoding current = encoding();
  if ((current == Encoding::kListpack && size_hint > limits.set_max_listpack_entries) ||
      (current == Encoding::kIntset && size_hint > limits.set_max_intset_entries)) {
    ConvertToHashtable(size_hint);
  }
}

void SetValue::ConvertToHashtable(size_t expected) {
  if (std::holds_alternative<MemberTable>(repr_)) return;
  MemberTable table;
  table.Reserve(std::max(expected, Length()));
  ForEach([&](std::string_view member) { table.Insert(member); });
  repr_ = std::move(table);
}

void SetValue::ConvertToListpack() {
  const IntSet& members = intset();
  Listpack packed;
  const size_t count = members.size();
  for (size_t i = 0; i < count; ++i) packed.AppendInteger(members.At(i));
  repr_ = std::move(packed);
}

void SetValue::ConvertToIntsetIfFits(const EncodingLimits& limits) {
  if (std::holds_alternative<IntSet>(repr_) || Length() > MaxIntsetEntries(limits)) return;
  IntSet members;
  bool all_integers = true;
  ForEach([&](std::string_view member) {
    int64_t integer;
    if (ParseInt64(member, &integer)) {
      members.Add(integer);
    } else {
      all_integers = false;
    }
  });
  if (all_integers) repr_ = std::move(members);
}

std::vector<std::string> SetValue::Members() const {
  std::vector<std::string> members;
  members.reserve(Length());
  ForEach([&](std::string_view member) { members.emplace_back(member); });
  return members;
}

}  // namespace tierkv
