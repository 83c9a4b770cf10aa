#include "engine/types/set/set_ops.h"

#include <algorithm>
#include <memory>

#include "engine/glob.h"
#include "engine/keyspace_ops.h"
#include "engine/number.h"
#include "engine/types/set/set_random.h"
#include "engine/types/set/set_value.h"

namespace tierkv {
namespace {

// An effect naming a command, a key and members: SADD k m..., SREM k m....
template <typename Members>
Effect MembersEffect(std::string_view command, std::string_view key, const Members& members) {
  Effect effect;
  effect.reserve(2 + members.size());
  effect.emplace_back(command);
  effect.emplace_back(key);
  for (const auto& member : members) effect.emplace_back(member);
  return effect;
}

// The set at `key` for a read (a keyspace hit or miss is counted); nullptr if missing.
Result<const SetValue*> ReadSet(Shard& shard, int db_index, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db_index), key, ValueType::kSet);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return static_cast<const SetValue*>(nullptr);
  return &ValueOf<SetValue>(*found);
}

// The set at `key` for a write (no hit or miss counted, as Redis's lookupKeyWrite).
Result<SetValue*> WriteSet(Shard& shard, int db_index, std::string_view key) {
  auto found = FindTypedForWrite(shard.db(db_index), key, ValueType::kSet);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return static_cast<SetValue*>(nullptr);
  return &ValueOf<SetValue>(*found);
}

// Every key looked up in order, as Redis's multi-key set commands do: a missing key is
// nullptr (an empty set); the first key of another type fails the command, even after
// a missing one.
Result<std::vector<const SetValue*>> ReadSets(Shard& shard, int db_index, std::span<const std::string_view> keys) {
  std::vector<const SetValue*> sets;
  sets.reserve(keys.size());
  for (std::string_view key : keys) {
    auto set = ReadSet(shard, db_index, key);
    if (!set.ok()) return set.status();
    sets.push_back(*set);
  }
  return sets;
}

bool AnyMissing(const std::vector<const SetValue*>& sets) {
  return std::find(sets.begin(), sets.end(), nullptr) != sets.end();
}

// Visits the members of the intersection of `sets` (none missing) in the order of the
// smallest set, as Redis does; `visit` returns false to stop.
template <typename Visit>
void ForEachInIntersection(std::vector<const SetValue*> sets, Visit&& visit) {
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->Length() < b->Length(); });
  const SetValue* smallest = sets.front();
  smallest->ForEachWhile([&](std::string_view member) {
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != smallest && !sets[j]->Contains(member)) return true;
    }
    return visit(member);
  });
}

// The intersection as SINTERSTORE builds it: starting in the smallest set's compact
// encoding (an intset stays one; anything else starts as a listpack), growing as adds
// require, and re-encoded as an intset at the end if every member is an integer.
std::unique_ptr<SetValue> IntersectionValue(const std::vector<const SetValue*>& sets, const EncodingLimits& limits) {
  const SetValue* smallest = *std::min_element(
      sets.begin(), sets.end(), [](const SetValue* a, const SetValue* b) { return a->Length() < b->Length(); });
  auto result = smallest->encoding() == Encoding::kIntset ? std::make_unique<SetValue>()
                                                          : std::make_unique<SetValue>(Listpack());
  bool only_integers = true;
  ForEachInIntersection(sets, [&](std::string_view member) {
    int64_t integer;
    if (only_integers && !ParseInt64(member, &integer)) only_integers = false;
    result->Add(member, limits);
    return true;
  });
  if (only_integers) result->ConvertToIntsetIfFits(limits);
  return result;
}

std::unique_ptr<SetValue> UnionValue(const std::vector<const SetValue*>& sets, const EncodingLimits& limits) {
  auto result = std::make_unique<SetValue>();  // an intset first, as Redis
  for (const SetValue* set : sets) {
    if (set != nullptr) set->ForEach([&](std::string_view member) { result->Add(member, limits); });
  }
  return result;
}

// Redis's two SDIFF algorithms, chosen by the same estimate of their work: (1) test each
// member of the first set against the others (largest first), or (2) copy the first set
// and remove the others' members from it.
std::unique_ptr<SetValue> DifferenceValue(std::vector<const SetValue*> sets, const EncodingLimits& limits) {
  auto result = std::make_unique<SetValue>();
  const SetValue* first = sets.front();
  if (first == nullptr) return result;
  // The first key given again: the difference is empty.
  if (std::find(sets.begin() + 1, sets.end(), first) != sets.end()) return result;
  uint64_t test_work = 0;
  uint64_t copy_work = 0;
  for (const SetValue* set : sets) {
    if (set == nullptr) continue;
    test_work += first->Length();
    copy_work += set->Length();
  }
  test_work /= 2;  // testing does less work per member when members are shared
  if (test_work <= copy_work) {
    std::stable_sort(sets.begin() + 1, sets.end(), [](const SetValue* a, const SetValue* b) {
      return (a == nullptr ? 0 : a->Length()) > (b == nullptr ? 0 : b->Length());
    });
    first->ForEach([&](std::string_view member) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (sets[j] != nullptr && sets[j]->Contains(member)) return;
      }
      result->Add(member, limits);
    });
    return result;
  }
  first->ForEach([&](std::string_view member) { result->Add(member, limits); });
  for (size_t j = 1; j < sets.size() && result->Length() > 0; ++j) {
    if (sets[j] != nullptr) sets[j]->ForEach([&](std::string_view member) { result->Remove(member); });
  }
  return result;
}

// A *STORE result replaces `destination` (any type, TTL dropped), or deletes it when
// empty; journaled as the destination's resulting state.
int64_t StoreResult(Shard& shard, int db_index, std::string_view destination, std::unique_ptr<SetValue> result) {
  Db& db = shard.db(db_index);
  const size_t size = result->Length();
  if (size == 0) {
    if (db.Delete(destination)) shard.KeyModified(db_index, destination);
    return 0;
  }
  db.Delete(destination);
  AddCollection(shard, db, destination, ValueType::kSet, std::move(result));
  shard.KeyModified(db_index, destination);
  return static_cast<int64_t>(size);
}

}  // namespace

Result<int64_t> OpSAdd(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> members) {
  auto found = WriteSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  const EncodingLimits& limits = shard.options().limits;
  SetValue* set = *found;
  if (set == nullptr) {
    auto fresh = SetValue::CreateFor(members.front(), members.size(), limits);
    set = fresh.get();
    AddCollection(shard, shard.db(db_index), key, ValueType::kSet, std::move(fresh));
  } else {
    set->ConvertForSizeHint(members.size(), limits);
  }
  int64_t added = 0;
  for (std::string_view member : members) added += set->Add(member, limits) ? 1 : 0;
  // Replayed with the same arguments on the same previous state, SADD converts and adds
  // exactly as it did here.
  if (added > 0) shard.KeyModifiedBy(db_index, key, [&] { return MembersEffect("SADD", key, members); });
  return added;
}

Result<int64_t> OpSRem(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> members) {
  auto found = WriteSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  SetValue* set = *found;
  if (set == nullptr) return int64_t{0};
  std::vector<std::string_view> removed;
  for (std::string_view member : members) {
    if (!set->Remove(member)) continue;
    removed.push_back(member);
    if (set->Length() == 0) break;
  }
  if (removed.empty()) return int64_t{0};
  if (set->Length() == 0) shard.db(db_index).Delete(key);
  shard.KeyModifiedBy(db_index, key, [&] { return MembersEffect("SREM", key, removed); });
  return static_cast<int64_t>(removed.size());
}

Result<int64_t> OpSCard(Shard& shard, int db_index, std::string_view key) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  return static_cast<int64_t>(*set == nullptr ? 0 : (*set)->Length());
}

Result<bool> OpSIsMember(Shard& shard, int db_index, std::string_view key, std::string_view member) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  return *set != nullptr && (*set)->Contains(member);
}

Result<std::vector<bool>> OpSMIsMember(Shard& shard, int db_index, std::string_view key,
                                       std::span<const std::string_view> members) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  std::vector<bool> answers;
  answers.reserve(members.size());
  for (std::string_view member : members) answers.push_back(*set != nullptr && (*set)->Contains(member));
  return answers;
}

Result<std::vector<std::string>> OpSMembers(Shard& shard, int db_index, std::string_view key) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  if (*set == nullptr) return std::vector<std::string>();
  return (*set)->Members();
}

Result<std::optional<std::string>> OpSPop(Shard& shard, int db_index, std::string_view key) {
  auto found = WriteSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  SetValue* set = *found;
  if (set == nullptr) return std::optional<std::string>();
  std::string member = PopRandomMember(*set, shard.rng());
  if (set->Length() == 0) shard.db(db_index).Delete(key);
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"SREM", key, member}); });
  return std::optional<std::string>(std::move(member));
}

Result<std::vector<std::string>> OpSPopCount(Shard& shard, int db_index, std::string_view key, uint64_t count) {
  auto found = WriteSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  SetValue* set = *found;
  if (set == nullptr || count == 0) return std::vector<std::string>();
  if (count >= set->Length()) {
    std::vector<std::string> members = set->Members();
    shard.db(db_index).Delete(key);
    shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"DEL", key}); });
    return members;
  }
  PoppedMembers popped = PopRandomMembers(*set, count, shard.options().limits, shard.rng());
  if (popped.rebuilt) {
    // What remains is under a fifth of what was popped, so its state is the smaller
    // record, and it carries the rebuilt encoding.
    shard.KeyModified(db_index, key);
  } else {
    shard.KeyModifiedBy(db_index, key, [&] { return MembersEffect("SREM", key, popped.members); });
  }
  return std::move(popped.members);
}

Result<std::optional<std::string>> OpSRandMember(Shard& shard, int db_index, std::string_view key) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  if (*set == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(RandomMember(**set, shard.rng()));
}

Result<std::vector<std::string>> OpSRandMemberDistinct(Shard& shard, int db_index, std::string_view key,
                                                       uint64_t count) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  if (*set == nullptr || count == 0) return std::vector<std::string>();
  if (count >= (*set)->Length()) return (*set)->Members();
  return RandomDistinctMembers(**set, count, shard.rng());
}

Result<bool> OpSRandMemberRepeated(Shard& shard, int db_index, std::string_view key, uint64_t count,
                                   const std::function<void(std::string_view)>& emit) {
  auto set = ReadSet(shard, db_index, key);
  if (!set.ok()) return set.status();
  if (*set == nullptr) return false;
  RandomMembersWithRepeats(**set, count, shard.rng(), emit);
  return true;
}

Result<bool> OpSMove(Shard& shard, int db_index, std::string_view source, std::string_view destination,
                     std::string_view member) {
  Db& db = shard.db(db_index);
  Entry* from = db.Find(source);
  Entry* to = db.Find(destination);
  if (from == nullptr) return false;  // before any type check, as Redis
  if (from->type != ValueType::kSet || (to != nullptr && to->type != ValueType::kSet)) return Status::WrongType();
  SetValue& source_set = ValueOf<SetValue>(from);
  if (from == to) return source_set.Contains(member);
  if (!source_set.Remove(member)) return false;
  if (source_set.Length() == 0) db.Delete(source);
  shard.KeyModifiedBy(db_index, source, [&] { return MakeEffect({"SREM", source, member}); });
  const EncodingLimits& limits = shard.options().limits;
  to = db.Peek(destination);  // still live: it was looked up above
  SetValue* destination_set;
  if (to == nullptr) {
    auto fresh = SetValue::CreateFor(member, 1, limits);
    destination_set = fresh.get();
    AddCollection(shard, db, destination, ValueType::kSet, std::move(fresh));
  } else {
    destination_set = &ValueOf<SetValue>(to);
  }
  if (destination_set->Add(member, limits)) {
    shard.KeyModifiedBy(db_index, destination, [&] { return MakeEffect({"SADD", destination, member}); });
  }
  return true;
}

Result<std::vector<std::string>> OpSInter(Shard& shard, int db_index, std::span<const std::string_view> keys) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  std::vector<std::string> members;
  if (AnyMissing(*sets)) return members;
  ForEachInIntersection(*sets, [&](std::string_view member) {
    members.emplace_back(member);
    return true;
  });
  return members;
}

Result<int64_t> OpSInterCard(Shard& shard, int db_index, std::span<const std::string_view> keys, uint64_t limit) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  if (AnyMissing(*sets)) return int64_t{0};
  uint64_t count = 0;
  ForEachInIntersection(*sets, [&](std::string_view) { return ++count != limit; });
  return static_cast<int64_t>(count);
}

Result<std::vector<std::string>> OpSUnion(Shard& shard, int db_index, std::span<const std::string_view> keys) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  return UnionValue(*sets, shard.options().limits)->Members();
}

Result<std::vector<std::string>> OpSDiff(Shard& shard, int db_index, std::span<const std::string_view> keys) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  return DifferenceValue(std::move(*sets), shard.options().limits)->Members();
}

Result<int64_t> OpSInterStore(Shard& shard, int db_index, std::string_view destination,
                              std::span<const std::string_view> keys) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  if (AnyMissing(*sets)) return StoreResult(shard, db_index, destination, std::make_unique<SetValue>());
  return StoreResult(shard, db_index, destination, IntersectionValue(*sets, shard.options().limits));
}

Result<int64_t> OpSUnionStore(Shard& shard, int db_index, std::string_view destination,
                              std::span<const std::string_view> keys) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  return StoreResult(shard, db_index, destination, UnionValue(*sets, shard.options().limits));
}

Result<int64_t> OpSDiffStore(Shard& shard, int db_index, std::string_view destination,
                             std::span<const std::string_view> keys) {
  auto sets = ReadSets(shard, db_index, keys);
  if (!sets.ok()) return sets.status();
  return StoreResult(shard, db_index, destination, DifferenceValue(std::move(*sets), shard.options().limits));
}

Result<SetScanPage> OpSScan(Shard& shard, int db_index, std::string_view key, uint64_t cursor,
                            const SetScanOptions& options) {
  auto found = ReadSet(shard, db_index, key);
  if (!found.ok()) return found.status();
  SetScanPage page;
  const SetValue* set = *found;
  if (set == nullptr) return page;
  if (set->encoding() != Encoding::kHashtable) {
    page.members = set->Members();  // whole, cursor 0
  } else {
    // As Redis's scanGenericCommand: buckets until COUNT members were gathered, or ten
    // buckets per COUNT were visited, or the scan ended.
    const MemberTable& table = set->table();
    uint64_t buckets_left = options.count > UINT64_MAX / 10 ? UINT64_MAX : options.count * 10;
    do {
      cursor = table.Scan(cursor, [&](std::string_view member) { page.members.emplace_back(member); });
    } while (cursor != 0 && buckets_left-- > 0 && page.members.size() < options.count);
    page.cursor = cursor;
  }
  if (!options.pattern.empty() && options.pattern != "*") {
    std::erase_if(page.members, [&](const std::string& member) { return !GlobMatch(options.pattern, member); });
  }
  return page;
}

}  // namespace tierkv
