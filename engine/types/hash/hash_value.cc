#include "engine/types/hash/hash_value.h"

#include <algorithm>

namespace tierkv {

std::optional<std::string_view> ListpackHash::Get(std::string_view field, Listpack::IntBuffer& scratch) const {
  const Listpack::Pos position = pairs_.Find(field, pairs_.First(), /*skip=*/1);
  if (position == Listpack::kEnd) return std::nullopt;
  return pairs_.Get(pairs_.Next(position), scratch);
}

bool ListpackHash::Set(std::string_view field, std::string_view value) {
  const Listpack::Pos position = pairs_.Find(field, pairs_.First(), /*skip=*/1);
  if (position != Listpack::kEnd) {
    (void)pairs_.Replace(pairs_.Next(position), value);
    return false;
  }
  pairs_.Append(field);
  pairs_.Append(value);
  return true;
}

bool ListpackHash::Delete(std::string_view field) {
  const Listpack::Pos position = pairs_.Find(field, pairs_.First(), /*skip=*/1);
  if (position == Listpack::kEnd) return false;
  (void)pairs_.Erase(position, 2);
  return true;
}

void ListpackHash::ForEach(const Visitor& visit) const {
  HashScratch scratch;
  for (Listpack::Pos pos = pairs_.First(); pos != Listpack::kEnd;) {
    const Listpack::Pos value_pos = pairs_.Next(pos);
    visit(pairs_.Get(pos, scratch.field), pairs_.Get(value_pos, scratch.value));
    pos = pairs_.Next(value_pos);
  }
}

uint64_t ListpackHash::ScanStep(uint64_t, const Visitor& visit) const {
  ForEach(visit);
  return 0;
}

std::pair<std::string_view, std::string_view> ListpackHash::Random(std::mt19937_64& rng, HashScratch& scratch) const {
  const size_t index = rng() % Length();
  const Listpack::Pos field_pos = pairs_.Seek(static_cast<int64_t>(index * 2));
  return {pairs_.Get(field_pos, scratch.field), pairs_.Get(pairs_.Next(field_pos), scratch.value)};
}

std::optional<std::string_view> TableHash::Get(std::string_view field, Listpack::IntBuffer&) const {
  return table_.Find(field);
}

std::pair<std::string_view, std::string_view> TableHash::Random(std::mt19937_64& rng, HashScratch&) const {
  return table_.Random(rng);
}

std::unique_ptr<TableHash> ConvertToTable(const HashValue& hash, size_t reserve) {
  FieldTable table;
  table.Reserve(std::max(reserve, hash.Length()));
  // A hash's fields are distinct, so they go in without a lookup each.
  hash.ForEach([&](std::string_view field, std::string_view value) { table.Add(field, value); });
  return std::make_unique<TableHash>(std::move(table));
}

}  // namespace tierkv
