#include "engine/types/list/list_ops.h"

#include <algorithm>
#include <memory>

#include "engine/keyspace_ops.h"

namespace tierkv {
namespace {

ListNodeLimit LimitOf(const Shard& shard) {
  return ListNodeLimit::FromFill(shard.options().limits.list_max_listpack_size,
                                 shard.options().limits.list_packed_threshold);
}

std::string_view PopCommand(ListEnd end) { return end == ListEnd::kHead ? "LPOP" : "RPOP"; }
std::string_view PushCommand(ListEnd end) { return end == ListEnd::kHead ? "LPUSH" : "RPUSH"; }

// The list at `key` for a write: nullptr if missing, WrongType for another type.
Result<ListValue*> FindListForWrite(Db& db, std::string_view key) {
  auto found = FindTypedForWrite(db, key, ValueType::kList);
  if (!found.ok()) return found.status();
  return *found == nullptr ? nullptr : &ValueOf<ListValue>(*found);
}

// The same for a read, counting a keyspace hit or miss.
Result<const ListValue*> FindListForRead(Shard& shard, int db, std::string_view key) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kList);
  if (!found.ok()) return found.status();
  return *found == nullptr ? nullptr : &ValueOf<ListValue>(*found);
}

// After elements left `list`: an empty list loses its key, a small one its quicklist.
void AfterRemoval(Shard& shard, Db& db, std::string_view key, ListValue& list) {
  if (list.Length() == 0) {
    db.Delete(key);
  } else {
    list.ShrinkIfSmall(LimitOf(shard));
  }
}

// Redis's LRANGE/LTRIM index rules: the first index and the number of elements of
// [start, end] in a list of `length`; count 0 for an empty range.
struct IndexRange {
  size_t first = 0;
  size_t count = 0;
};

IndexRange NormalizeRange(int64_t start, int64_t end, size_t length) {
  const auto len = static_cast<int64_t>(length);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return {};
  if (end >= len) end = len - 1;
  return {static_cast<size_t>(start), static_cast<size_t>(end - start + 1)};
}

// A new empty list under `key`, which must be missing.
ListValue& AddList(Shard& shard, Db& db, std::string_view key) {
  Entry* entry = AddCollection(shard, db, key, ValueType::kList, std::make_unique<ListValue>());
  return ValueOf<ListValue>(entry);
}

}  // namespace

Result<int64_t> OpListPush(Shard& shard, int db_index, std::string_view key, ListEnd end,
                           std::span<const std::string_view> values, bool only_if_exists) {
  Db& db = shard.db(db_index);
  auto found = FindListForWrite(db, key);
  if (!found.ok()) return found.status();
  ListValue* list = *found;
  if (list == nullptr) {
    if (only_if_exists) return int64_t{0};
    list = &AddList(shard, db, key);
  }
  const ListNodeLimit limit = LimitOf(shard);
  list->PrepareToAdd(values, limit);
  for (std::string_view value : values) list->Push(end, value, limit);
  shard.KeyModifiedBy(db_index, key, [&] {
    Effect effect;
    effect.reserve(values.size() + 2);
    effect.emplace_back(PushCommand(end));
    effect.emplace_back(key);
    for (std::string_view value : values) effect.emplace_back(value);
    return effect;
  });
  return static_cast<int64_t>(list->Length());
}

Result<std::optional<std::vector<std::string>>> OpListPop(Shard& shard, int db_index, std::string_view key,
                                                           ListEnd end, size_t count) {
  using Popped = std::optional<std::vector<std::string>>;
  Db& db = shard.db(db_index);
  auto found = FindListForWrite(db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Popped();
  ListValue& list = **found;
  const size_t n = std::min(count, list.Length());
  std::vector<std::string> values;
  if (n == 0) return Popped(std::move(values));
  values.reserve(n);
  // Read the elements walking in from the end, then drop them in one range erase.
  Listpack::IntBuffer scratch;
  ListCursor at = end == ListEnd::kHead ? list.First() : list.Last();
  for (size_t i = 0; i < n; ++i) {
    values.emplace_back(list.Get(at, scratch));
    at = end == ListEnd::kHead ? list.Next(at) : list.Prev(at);
  }
  end == ListEnd::kHead ? list.EraseEnds(n, 0) : list.EraseEnds(0, n);
  AfterRemoval(shard, db, key, list);
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({PopCommand(end), key, std::to_string(n)}); });
  return Popped(std::move(values));
}

Result<std::optional<ListMultiPop>> OpListMultiPop(Shard& shard, int db_index, std::span<const std::string_view> keys,
                                                  ListEnd end, size_t count) {
  for (std::string_view key : keys) {
    auto popped = OpListPop(shard, db_index, key, end, count);
    if (!popped.ok()) return popped.status();
    if (popped->has_value()) return std::optional<ListMultiPop>(ListMultiPop{std::string(key), std::move(**popped)});
  }
  return std::optional<ListMultiPop>();
}

Result<std::optional<std::string>> OpListMove(Shard& shard, int db_index, std::string_view source,
                                              std::string_view destination, ListEnd from, ListEnd to) {
  Db& db = shard.db(db_index);
  auto found_source = FindListForWrite(db, source);
  if (!found_source.ok()) return found_source.status();
  if (*found_source == nullptr) return std::optional<std::string>();
  // Values are separate objects that stay put while entries are added or expire, so the
  // source pointer survives the destination's lookup (and its creation).
  ListValue& from_list = **found_source;
  const bool same_key = source == destination;
  auto found_destination = FindListForWrite(db, destination);
  if (!found_destination.ok()) return found_destination.status();

  const ListNodeLimit limit = LimitOf(shard);
  std::string value = from_list.Pop(from);
  ListValue& to_list = *found_destination != nullptr ? **found_destination : AddList(shard, db, destination);
  to_list.PrepareToAdd(value, limit);
  to_list.Push(to, value, limit);
  if (same_key) {
    from_list.ShrinkIfSmall(limit);
    shard.KeyModifiedBy(db_index, source, [&] {
      return MakeEffect({"LMOVE", source, destination, from == ListEnd::kHead ? "LEFT" : "RIGHT",
                         to == ListEnd::kHead ? "LEFT" : "RIGHT"});
    });
    return std::optional<std::string>(std::move(value));
  }
  AfterRemoval(shard, db, source, from_list);
  shard.KeyModifiedBy(db_index, source, [&] { return MakeEffect({PopCommand(from), source, "1"}); });
  shard.KeyModifiedBy(db_index, destination, [&] { return MakeEffect({PushCommand(to), destination, value}); });
  return std::optional<std::string>(std::move(value));
}

Result<int64_t> OpListLength(Shard& shard, int db, std::string_view key) {
  auto list = FindListForRead(shard, db, key);
  if (!list.ok()) return list.status();
  return *list == nullptr ? int64_t{0} : static_cast<int64_t>((*list)->Length());
}

Status OpListRange(Shard& shard, int db, std::string_view key, int64_t start, int64_t end,
                   const std::function<void(size_t)>& count,
                   const std::function<void(std::string_view)>& element) {
  auto found = FindListForRead(shard, db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) {
    count(0);
    return Status::Ok();
  }
  const ListValue& list = **found;
  const IndexRange range = NormalizeRange(start, end, list.Length());
  count(range.count);
  if (range.count == 0) return Status::Ok();
  Listpack::IntBuffer scratch;
  ListCursor at = list.Seek(static_cast<int64_t>(range.first));
  for (size_t i = 0; i < range.count; ++i, at = list.Next(at)) element(list.Get(at, scratch));
  return Status::Ok();
}

Result<std::optional<std::string>> OpListIndex(Shard& shard, int db, std::string_view key, int64_t index) {
  auto found = FindListForRead(shard, db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::optional<std::string>();
  const ListCursor at = (*found)->Seek(index);
  if (!at.valid()) return std::optional<std::string>();
  Listpack::IntBuffer scratch;
  return std::optional<std::string>((*found)->Get(at, scratch));
}

Status OpListSet(Shard& shard, int db_index, std::string_view key, int64_t index, std::string_view value) {
  Db& db = shard.db(db_index);
  auto found = FindListForWrite(db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::NoSuchKey();
  ListValue& list = **found;
  const ListNodeLimit limit = LimitOf(shard);
  // Redis converts for the new value before it knows the index is good.
  list.PrepareToAdd(value, limit);
  const ListCursor at = list.Seek(index);
  if (!at.valid()) return Status::OutOfRange();
  const int64_t from_head = index < 0 ? index + static_cast<int64_t>(list.Length()) : index;
  list.Replace(at, value, limit);
  // A small value may have replaced a big one.
  list.ShrinkIfSmall(limit);
  shard.KeyModifiedBy(db_index, key, [&] { return MakeEffect({"LSET", key, std::to_string(from_head), value}); });
  return Status::Ok();
}

Result<int64_t> OpListInsert(Shard& shard, int db_index, std::string_view key, bool after, std::string_view pivot,
                             std::string_view value) {
  Db& db = shard.db(db_index);
  auto found = FindListForWrite(db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  ListValue& list = **found;
  const ListNodeLimit limit = LimitOf(shard);
  // As Redis: converted for the value first, even if the pivot turns out to be missing.
  list.PrepareToAdd(value, limit);
  ListCursor at = list.First();
  while (at.valid() && !list.Equals(at, pivot)) at = list.Next(at);
  if (!at.valid()) return int64_t{-1};
  list.Insert(at, value, after, limit);
  shard.KeyModifiedBy(db_index, key,
                      [&] { return MakeEffect({"LINSERT", key, after ? "AFTER" : "BEFORE", pivot, value}); });
  return static_cast<int64_t>(list.Length());
}

Result<int64_t> OpListRemove(Shard& shard, int db_index, std::string_view key, int64_t count,
                             std::string_view value) {
  Db& db = shard.db(db_index);
  auto found = FindListForWrite(db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  ListValue& list = **found;
  const bool from_tail = count < 0;
  // |count| without overflowing at INT64_MIN; 0 = every occurrence.
  const uint64_t wanted = from_tail ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  uint64_t removed = 0;
  ListCursor at = from_tail ? list.Last() : list.First();
  while (at.valid() && (wanted == 0 || removed < wanted)) {
    if (!list.Equals(at, value)) {
      at = from_tail ? list.Prev(at) : list.Next(at);
      continue;
    }
    ++removed;
    if (from_tail) {
      // Elements before the erased one keep their cursors.
      const ListCursor before = list.Prev(at);
      list.Erase(at);
      at = before;
    } else {
      at = list.Erase(at);
    }
  }
  if (removed == 0) return int64_t{0};
  AfterRemoval(shard, db, key, list);
  const auto signed_removed = static_cast<int64_t>(removed);
  shard.KeyModifiedBy(db_index, key, [&] {
    return MakeEffect({"LREM", key, std::to_string(from_tail ? -signed_removed : signed_removed), value});
  });
  return signed_removed;
}

Status OpListTrim(Shard& shard, int db_index, std::string_view key, int64_t start, int64_t end) {
  Db& db = shard.db(db_index);
  auto found = FindListForWrite(db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  ListValue& list = **found;
  const size_t length = list.Length();
  const IndexRange keep = NormalizeRange(start, end, length);
  const size_t front = keep.count == 0 ? length : keep.first;
  const size_t back = length - front - keep.count;
  list.EraseEnds(front, back);
  AfterRemoval(shard, db, key, list);
  // Redis signals the key even when nothing was trimmed (WATCH sees it).
  shard.KeyModifiedBy(db_index, key, [&] {
    if (keep.count == 0) return MakeEffect({"DEL", key});
    return MakeEffect({"LTRIM", key, std::to_string(front), std::to_string(-static_cast<int64_t>(back) - 1)});
  });
  return Status::Ok();
}

Result<std::vector<int64_t>> OpListPos(Shard& shard, int db, std::string_view key, std::string_view element,
                                       const ListPosOptions& options) {
  std::vector<int64_t> matches;
  auto found = FindListForRead(shard, db, key);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return matches;
  const ListValue& list = **found;
  const bool from_tail = options.rank < 0;
  const uint64_t skip = (from_tail ? uint64_t{0} - static_cast<uint64_t>(options.rank)
                                   : static_cast<uint64_t>(options.rank)) - 1;
  const auto length = static_cast<int64_t>(list.Length());
  uint64_t seen = 0;
  int64_t scanned = 0;
  for (ListCursor at = from_tail ? list.Last() : list.First(); at.valid();
       at = from_tail ? list.Prev(at) : list.Next(at), ++scanned) {
    if (options.max_len != 0 && static_cast<uint64_t>(scanned) >= options.max_len) break;
    if (!list.Equals(at, element)) continue;
    if (seen++ < skip) continue;
    matches.push_back(from_tail ? length - scanned - 1 : scanned);
    if (options.max_matches != 0 && matches.size() >= options.max_matches) break;
  }
  return matches;
}

}  // namespace tierkv
