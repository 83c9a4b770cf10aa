#include "engine/types/list/list_value.h"

#include <utility>

namespace tierkv {

size_t ListValue::MemoryUsage() const {
  size_t bytes = sizeof(ListValue) + packed_.MemoryUsage();
  if (nodes_) bytes += sizeof(Quicklist) + nodes_->MemoryUsage();
  return bytes;
}

std::unique_ptr<ValueObject> ListValue::Clone() const {
  if (nodes_) return std::make_unique<ListValue>(std::make_unique<Quicklist>(*nodes_));
  return std::make_unique<ListValue>(packed_);
}

void ListValue::PrepareToAdd(std::span<const std::string_view> values, const ListNodeLimit& limit) {
  if (nodes_) return;
  // Redis adds the raw lengths of the new values, not their encoded sizes.
  size_t added = 0;
  for (std::string_view value : values) added += value.size();
  if (limit.Exceeds(packed_.bytes_size() + added, packed_.size() + values.size())) ToQuicklist(limit);
}

void ListValue::FitLimits(const ListNodeLimit& limit) {
  if (nodes_) return MaybeToListpack(limit);
  if (limit.Exceeds(packed_.bytes_size(), packed_.size())) ToQuicklist(limit);
}

void ListValue::ToQuicklist(const ListNodeLimit& limit) {
  nodes_ = std::make_unique<Quicklist>();
  if (!limit.Exceeds(packed_.bytes_size(), packed_.size())) {
    nodes_->AppendPackedNode(std::move(packed_));
  } else {
    // Redis's growth check counts raw lengths, so a listpack can outgrow the node limit
    // (many tiny values in one push); its elements are dealt into nodes within it.
    Listpack::IntBuffer scratch;
    for (Listpack::Pos p = packed_.First(); p != Listpack::kEnd; p = packed_.Next(p)) {
      nodes_->Push(ListEnd::kTail, packed_.Get(p, scratch), limit);
    }
  }
  packed_ = Listpack();
}

void ListValue::MaybeToListpack(const ListNodeLimit& limit) {
  if (!nodes_ || nodes_->node_count() != 1) return;
  const ListNode& only = nodes_->node(0);
  if (only.plain || only.entries.bytes_size() > limit.max_bytes || only.count > limit.max_count) return;
  packed_ = nodes_->TakeOnlyNode();
  nodes_.reset();
}

void ListValue::Push(ListEnd end, std::string_view value, const ListNodeLimit& limit) {
  if (nodes_) return nodes_->Push(end, value, limit);
  end == ListEnd::kHead ? packed_.Prepend(value) : packed_.Append(value);
}

std::string ListValue::Pop(ListEnd end) {
  if (nodes_) return nodes_->Pop(end);
  const Listpack::Pos pos = end == ListEnd::kHead ? packed_.First() : packed_.Last();
  Listpack::IntBuffer scratch;
  std::string value(packed_.Get(pos, scratch));
  packed_.Erase(pos);
  return value;
}

void ListValue::EraseEnds(size_t front, size_t back) {
  if (nodes_) return nodes_->EraseEnds(front, back);
  if (front > 0) packed_.Erase(packed_.First(), front);
  if (back > 0) packed_.Erase(packed_.Seek(-static_cast<int64_t>(back)), back);
}

ListCursor ListValue::Seek(int64_t index) const {
  if (nodes_) return nodes_->Seek(index);
  return {0, packed_.Seek(index)};
}

ListCursor ListValue::First() const { return nodes_ ? nodes_->First() : ListCursor{0, packed_.First()}; }
ListCursor ListValue::Last() const { return nodes_ ? nodes_->Last() : ListCursor{0, packed_.Last()}; }
ListCursor ListValue::Next(ListCursor at) const {
  return nodes_ ? nodes_->Next(at) : ListCursor{0, packed_.Next(at.pos)};
}
ListCursor ListValue::Prev(ListCursor at) const {
  return nodes_ ? nodes_->Prev(at) : ListCursor{0, packed_.Prev(at.pos)};
}

std::string_view ListValue::Get(ListCursor at, Listpack::IntBuffer& scratch) const {
  return nodes_ ? nodes_->Get(at, scratch) : packed_.Get(at.pos, scratch);
}

bool ListValue::Equals(ListCursor at, std::string_view value) const {
  return nodes_ ? nodes_->Equals(at, value) : packed_.Equals(at.pos, value);
}

void ListValue::Insert(ListCursor at, std::string_view value, bool after, const ListNodeLimit& limit) {
  if (nodes_) return nodes_->Insert(at, value, after, limit);
  packed_.Insert(after ? packed_.Next(at.pos) : at.pos, value);
}

void ListValue::Replace(ListCursor at, std::string_view value, const ListNodeLimit& limit) {
  if (nodes_) return nodes_->Replace(at, value, limit);
  packed_.Replace(at.pos, value);
}

ListCursor ListValue::Erase(ListCursor at) {
  if (nodes_) return nodes_->Erase(at);
  return {0, packed_.Erase(at.pos)};
}

}  // namespace tierkv
