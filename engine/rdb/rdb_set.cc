// RDB encodings of the set type. See rdb_collections.h.
//
// Written: an intset as its blob (type 11, what Redis 7.0 writes for it); a listpack or
// hashtable as a plain list of members (type 2), because Redis 7.0 cannot read the
// listpack set type (20) that 7.2 writes. Read: types 2, 11 and 20, converting on load as
// Redis 7.2's rdbLoadObject does, and refusing duplicates and empty sets as corrupt.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/number.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/types/set/set_value.h"

namespace tierkv {
namespace {

Status DuplicateMember() { return Status::Corruption("rdb: duplicate set member"); }

// Type 2: a count, then each member as a string. The set starts as an intset (or a
// hashtable when the count alone rules an intset out) and converts as members arrive.
Result<std::unique_ptr<ValueObject>> ReadMemberList(RdbReader& reader, const EncodingLimits& limits) {
  auto count = reader.ReadLength();
  if (!count.ok()) return count.status();
  if (*count == 0) return Status::Corruption("rdb: empty set");
  // Every member takes at least one byte: a count past the input is damage, and must
  // not size a table.
  if (*count > reader.remaining()) return Status::Corruption("rdb: set count exceeds the payload");
  auto set = std::make_unique<SetValue>();
  if (*count > SetValue::MaxIntsetEntries(limits)) set->ConvertToHashtable(*count);
  size_t longest = 0;
  size_t total_bytes = 0;
  for (uint64_t i = 0; i < *count; ++i) {
    auto member = reader.ReadString();
    if (!member.ok()) return member.status();
    longest = std::max(longest, member->size());
    total_bytes += member->size();
    if (set->encoding() == Encoding::kIntset) {
      int64_t integer;
      if (ParseInt64(*member, &integer)) {
        if (!set->intset().Add(integer)) return DuplicateMember();
        continue;
      }
      if (set->Length() < limits.set_max_listpack_entries && longest <= limits.set_max_listpack_value &&
          total_bytes <= (size_t{1} << 30)) {
        set->ConvertToListpack();
      } else {
        set->ConvertToHashtable(*count);
      }
    }
    if (set->encoding() == Encoding::kListpack) {
      Listpack& packed = set->listpack();
      if (packed.size() < limits.set_max_listpack_entries && member->size() <= limits.set_max_listpack_value &&
          packed.bytes_size() + member->size() <= (size_t{1} << 30)) {
        if (packed.Find(*member, packed.First()) != Listpack::kEnd) return DuplicateMember();
        packed.Append(*member);
        continue;
      }
      set->ConvertToHashtable(*count);
    }
    if (!set->table().Insert(*member)) return DuplicateMember();
  }
  return std::unique_ptr<ValueObject>(std::move(set));
}

// Type 11: an intset blob.
Result<std::unique_ptr<ValueObject>> ReadIntset(RdbReader& reader, const EncodingLimits& limits) {
  auto blob = reader.ReadString();
  if (!blob.ok()) return blob.status();
  auto members = IntSet::FromBytes(*blob);
  if (!members.ok()) return members.status();
  auto set = std::make_unique<SetValue>(std::move(*members));
  if (set->Length() > limits.set_max_intset_entries) set->ConvertToHashtable(set->Length());
  return std::unique_ptr<ValueObject>(std::move(set));
}

// Type 20 (Redis 7.2): a listpack blob of members.
Result<std::unique_ptr<ValueObject>> ReadListpack(RdbReader& reader, const EncodingLimits& limits) {
  auto blob = reader.ReadString();
  if (!blob.ok()) return blob.status();
  auto packed = Listpack::FromBytes(*blob);
  if (!packed.ok()) return packed.status();
  if (packed->empty()) return Status::Corruption("rdb: empty set");
  auto set = std::make_unique<SetValue>(std::move(*packed));
  if (set->Length() > limits.set_max_listpack_entries) {
    // The hashtable refuses duplicates as they are inserted.
    MemberTable table;
    table.Reserve(set->Length());
    bool unique = set->ForEachWhile([&](std::string_view member) { return table.Insert(member); });
    if (!unique) return DuplicateMember();
    return std::unique_ptr<ValueObject>(std::make_unique<SetValue>(std::move(table)));
  }
  std::vector<std::string> members = set->Members();
  std::sort(members.begin(), members.end());
  if (std::adjacent_find(members.begin(), members.end()) != members.end()) return DuplicateMember();
  return std::unique_ptr<ValueObject>(std::move(set));
}

// An intset whole; otherwise the header, then a member at a time (listpack position or
// hashtable slot).
class SetRdbCursor final : public RdbCollectionCursor {
 public:
  explicit SetRdbCursor(const ValueObject& value) : set_(static_cast<const SetValue&>(value)) {}

  bool WriteStart(RdbEncodeSink& sink) override {
    if (set_.encoding() == Encoding::kIntset) {
      sink.writer().WriteByte(kRdbTypeSetIntset);
      sink.String(set_.intset().bytes());
      return true;
    }
    sink.writer().WriteByte(kRdbTypeSet);
    sink.writer().WriteLength(set_.Length());
    if (set_.encoding() == Encoding::kListpack) next_ = set_.listpack().First();
    return false;
  }

  bool WriteElements(RdbEncodeSink& sink) override {
    if (set_.encoding() == Encoding::kListpack) {
      const Listpack& packed = set_.listpack();
      Listpack::IntBuffer scratch;
      for (; next_ != Listpack::kEnd; next_ = packed.Next(next_)) {
        if (sink.full()) return false;
        sink.String(packed.Get(next_, scratch));
      }
      return true;
    }
    const MemberTable& table = set_.table();
    for (; next_ < table.slot_count(); ++next_) {
      if (sink.full()) return false;
      if (table.occupied(next_)) sink.String(table.MemberAt(next_));
    }
    return true;
  }

 private:
  const SetValue& set_;
  size_t next_ = 0;  // the next listpack position or table slot
};

}  // namespace

std::unique_ptr<RdbValueCursor> NewRdbSetCursor(const ValueObject& set) {
  return std::make_unique<SetRdbCursor>(set);
}

void WriteRdbSet(RdbWriter& writer, const ValueObject& set) { WriteWhole(writer, SetRdbCursor(set)); }

Result<std::unique_ptr<ValueObject>> ReadRdbSet(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits) {
  switch (rdb_type) {
    case kRdbTypeSet:
      return ReadMemberList(reader, limits);
    case kRdbTypeSetIntset:
      return ReadIntset(reader, limits);
    case kRdbTypeSetListpack:
      return ReadListpack(reader, limits);
    default:
      return Status::Corruption("rdb: unsupported set encoding (type " + std::to_string(rdb_type) + ")");
  }
}

}  // namespace tierkv
