#include "engine/sort_ops.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>

#include "engine/keyspace_ops.h"
#include "engine/types/hash/hash_ops.h"
#include "engine/types/list/list_ops.h"
#include "engine/types/list/list_value.h"
#include "engine/types/set/set_ops.h"
#include "engine/types/string/string_ops.h"
#include "engine/types/zset/zset_ops.h"

namespace tierkv {
namespace {

// One element being sorted, with what it sorts by.
struct SortItem {
  std::string element;
  double score = 0;                   // numeric sort
  std::optional<std::string> by_value;  // ALPHA with BY: nullopt when the lookup found nothing
};

// The elements to output, [start, end] of `items` (end < start: none).
struct SortedItems {
  std::vector<SortItem> items;
  int64_t start = 0;
  int64_t end = -1;
};

// Redis's numeric conversion: strtod over the whole value (leading blanks, hex and
// "inf" accepted; "" reads as 0, as strtod leaves the end at the terminator), refusing
// trailing bytes, out-of-range results and NaN. The value is copied to give strtod its
// terminator; an embedded NUL ends the number, as it ends Redis's C string.
bool ParseSortScore(std::string_view value, double* score) {
  const std::string text(value);
  char* end = nullptr;
  errno = 0;
  *score = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

// strcmp order (what strcoll is in the C locale): bytes as unsigned, up to the first NUL.
int CompareCString(std::string_view a, std::string_view b) {
  a = a.substr(0, a.find('\0'));
  b = b.substr(0, b.find('\0'));
  return a.compare(b);
}

int CompareBytes(std::string_view a, std::string_view b) { return a.compare(b); }

// sort.c sortCompare, with the flags it reads from the server made explicit.
struct SortOrder {
  bool desc = false;
  bool alpha = false;
  bool by_pattern = false;
  bool storing = false;  // STORE compares binary where the reply collates

  int Compare(const SortItem& a, const SortItem& b) const {
    int cmp;
    if (!alpha) {
      if (a.score != b.score) {
        cmp = a.score > b.score ? 1 : -1;
      } else {
        cmp = CompareBytes(a.element, b.element);  // equal scores: deterministic order
      }
    } else if (by_pattern) {
      if (!a.by_value || !b.by_value) {
        cmp = a.by_value.has_value() == b.by_value.has_value() ? 0 : (a.by_value ? 1 : -1);
      } else {
        cmp = storing ? CompareBytes(*a.by_value, *b.by_value) : CompareCString(*a.by_value, *b.by_value);
      }
    } else {
      cmp = storing ? CompareBytes(a.element, b.element) : CompareCString(a.element, b.element);
    }
    return desc ? -cmp : cmp;
  }
};

Result<std::vector<SortItem>> ListRange(Shard& shard, int db, std::string_view key, int64_t start, int64_t end) {
  std::vector<SortItem> items;
  Status status = OpListRange(
      shard, db, key, start, end, [&](size_t count) { items.reserve(count); },
      [&](std::string_view element) { items.push_back({.element = std::string(element)}); });
  if (!status.ok()) return status;
  return items;
}

Result<std::vector<SortItem>> ZSetRange(Shard& shard, int db, std::string_view key, int64_t start, int64_t end,
                                        bool reverse) {
  ZRangeSpec spec;
  spec.start = start;
  spec.stop = end;
  spec.reverse = reverse;
  auto members = OpZRange(shard, db, key, spec);
  if (!members.ok()) return members.status();
  std::vector<SortItem> items;
  items.reserve(members->size());
  for (ScoredMember& member : *members) items.push_back({.element = std::move(member.member)});
  return items;
}

Result<std::vector<SortItem>> SetMembers(Shard& shard, int db, std::string_view key) {
  auto members = OpSMembers(shard, db, key);
  if (!members.ok()) return members.status();
  std::vector<SortItem> items;
  items.reserve(members->size());
  for (std::string& member : *members) items.push_back({.element = std::move(member)});
  return items;
}

// start + count - 1 without overflowing (Redis clamps the result to the length next).
int64_t LimitEnd(int64_t start, int64_t count) {
  if (count > std::numeric_limits<int64_t>::max() - start) return std::numeric_limits<int64_t>::max();
  return start + count - 1;
}

// sortCommandGeneric up to the output: loads, scores and sorts the elements.
Result<SortedItems> SortElements(Shard& shard, int db_index, std::string_view key, const SortOptions& options) {
  const bool storing = options.store.has_value();
  Entry* entry = shard.db(db_index).Find(key, /*touch=*/false);
  // A missing key sorts as an empty list. The typed reads below count the hit.
  const ValueType type = entry == nullptr ? ValueType::kList : entry->type;
  if (entry == nullptr) shard.NoteLookup(db_index, key, false);
  if (type != ValueType::kList && type != ValueType::kSet && type != ValueType::kZSet) {
    shard.NoteHit(true);
    return Status::WrongType();
  }
  const int64_t length = entry == nullptr ? 0 : static_cast<int64_t>(entry->object()->Length());

  bool dont_sort = options.dont_sort;
  bool alpha = options.alpha;
  const std::string* by = options.by ? &*options.by : nullptr;
  if (dont_sort && type == ValueType::kSet && storing) {
    // A set's iteration order is not the same everywhere: sort what gets stored.
    dont_sort = false;
    alpha = true;
    by = nullptr;
  }

  SortedItems out;
  out.start = std::max<int64_t>(options.limit_offset, 0);
  out.end = options.limit_count < 0 ? length - 1 : LimitEnd(out.start, options.limit_count);
  if (out.start >= length) {
    out.start = length - 1;
    out.end = length - 2;
  }
  if (out.end >= length) out.end = length - 1;

  if (dont_sort && (type == ValueType::kList || type == ValueType::kZSet)) {
    // The value's own order (backwards for DESC): read only the LIMIT range.
    if (out.end >= out.start && entry != nullptr) {
      Result<std::vector<SortItem>> range = std::vector<SortItem>();
      if (type == ValueType::kList) {
        range = options.desc ? ListRange(shard, db_index, key, length - 1 - out.end, length - 1 - out.start)
                             : ListRange(shard, db_index, key, out.start, out.end);
        if (range.ok() && options.desc) std::reverse(range->begin(), range->end());
      } else {
        range = ZSetRange(shard, db_index, key, out.start, out.end, options.desc);
      }
      if (!range.ok()) return range.status();
      out.items = std::move(*range);
    } else if (entry != nullptr) {
      shard.NoteHit(true);  // an empty range reads nothing, but the key was found
    }
    out.end = static_cast<int64_t>(out.items.size()) - 1;
    out.start = 0;
    return out;
  }

  if (entry != nullptr) {
    Result<std::vector<SortItem>> all = std::vector<SortItem>();
    if (type == ValueType::kList) {
      all = ListRange(shard, db_index, key, 0, -1);
    } else if (type == ValueType::kSet) {
      all = SetMembers(shard, db_index, key);
    } else {
      all = ZSetRange(shard, db_index, key, 0, -1, false);
    }
    if (!all.ok()) return all.status();
    out.items = std::move(*all);
  }
  if (dont_sort) return out;  // a set in its iteration order

  bool convertible = true;
  for (SortItem& item : out.items) {
    std::optional<std::string> by_value;
    std::string_view value = item.element;
    if (by != nullptr) {
      by_value = SortLookupByPattern(shard, db_index, *by, item.element);
      if (!by_value) continue;  // scores 0, or sorts first with ALPHA
      value = *by_value;
    }
    if (alpha) {
      if (by != nullptr) item.by_value = std::move(by_value);
    } else if (!ParseSortScore(value, &item.score)) {
      convertible = false;  // Redis still looks up the rest before answering
    }
  }
  if (!convertible) return SortScoreNotDouble();
  const SortOrder order{.desc = options.desc, .alpha = alpha, .by_pattern = by != nullptr, .storing = storing};
  std::stable_sort(out.items.begin(), out.items.end(),
                   [&](const SortItem& a, const SortItem& b) { return order.Compare(a, b) < 0; });
  return out;
}

}  // namespace

Status SortScoreNotDouble() { return Status::Error("ERR One or more scores can't be converted into double"); }

std::optional<std::string> SortLookupByPattern(Shard& shard, int db, std::string_view pattern,
                                               std::string_view element) {
  if (pattern == "#") return std::string(element);
  // Redis searches the pattern as a C string: an embedded NUL ends the search.
  const std::string_view searched = pattern.substr(0, pattern.find('\0'));
  const size_t star = searched.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  const size_t arrow = searched.find("->", star + 1);
  const bool has_field = arrow != std::string_view::npos && arrow + 2 < searched.size();
  const std::string_view field = has_field ? pattern.substr(arrow + 2) : std::string_view();
  const size_t postfix_len = pattern.size() - (star + 1) - (has_field ? field.size() + 2 : 0);

  std::string lookup_key;
  lookup_key.reserve(star + element.size() + postfix_len);
  lookup_key.append(pattern.substr(0, star));
  lookup_key.append(element);
  lookup_key.append(pattern.substr(star + 1, postfix_len));

  // A key of the wrong type reads as missing.
  if (has_field) {
    Listpack::IntBuffer scratch;
    auto value = OpHGet(shard, db, lookup_key, field, scratch);
    if (!value.ok() || !*value) return std::nullopt;
    return std::string(**value);
  }
  auto value = OpGet(shard, db, lookup_key);
  if (!value.ok() || !*value) return std::nullopt;
  return std::string(**value);
}

Result<std::vector<std::optional<std::string>>> OpSort(Shard& shard, int db, std::string_view key,
                                                      const SortOptions& options) {
  auto sorted = SortElements(shard, db, key, options);
  if (!sorted.ok()) return sorted.status();
  std::vector<std::optional<std::string>> out;
  if (sorted->end < sorted->start) return out;
  const auto count = static_cast<size_t>(sorted->end - sorted->start + 1);
  out.reserve(options.gets.empty() ? count : count * options.gets.size());
  for (int64_t j = sorted->start; j <= sorted->end; ++j) {
    std::string& element = sorted->items[static_cast<size_t>(j)].element;
    if (options.gets.empty()) {
      out.emplace_back(std::move(element));
      continue;
    }
    for (const std::string& pattern : options.gets) out.push_back(SortLookupByPattern(shard, db, pattern, element));
  }
  return out;
}

Result<int64_t> OpSortStore(Shard& shard, int db_index, std::string_view key, const SortOptions& options) {
  auto sorted = SortElements(shard, db_index, key, options);
  if (!sorted.ok()) return sorted.status();
  std::vector<std::string> values;
  for (int64_t j = sorted->start; j <= sorted->end; ++j) {
    std::string& element = sorted->items[static_cast<size_t>(j)].element;
    if (options.gets.empty()) {
      values.push_back(std::move(element));
      continue;
    }
    for (const std::string& pattern : options.gets) {
      values.push_back(SortLookupByPattern(shard, db_index, pattern, element).value_or(std::string()));
    }
  }

  const std::string_view destination = *options.store;
  Db& db = shard.db(db_index);
  const bool existed = db.Find(destination) != nullptr;
  if (values.empty()) {
    if (existed) {
      db.Delete(destination);
      shard.KeyModified(db_index, destination);
    }
    return int64_t{0};
  }
  // Built whole, then given the encoding its size calls for, as Redis's SORT does.
  const ListNodeLimit limit = ListNodeLimit::FromFill(shard.options().limits.list_max_listpack_size,
                                                             shard.options().limits.list_packed_threshold);
  auto list = std::make_unique<ListValue>();
  const std::vector<std::string_view> views(values.begin(), values.end());
  list->PrepareToAdd(views, limit);
  for (std::string_view value : views) list->Push(ListEnd::kTail, value, limit);
  list->FitLimits(limit);
  if (existed) db.Delete(destination);
  AddCollection(shard, db, destination, ValueType::kList, std::move(list));
  shard.KeyModified(db_index, destination);
  return static_cast<int64_t>(values.size());
}

}  // namespace tierkv
