#include "tiering/sliced_values.h"

#include <cstdint>
#include <utility>

namespace tierkv {

bool SlicedValues::Start(const Entry& entry, size_t op_index) {
  in_progress_.push_back({&entry, op_index, std::make_unique<RdbSteppedEncoder>(entry, step_bytes_)});
  auto value = std::prev(in_progress_.end());
  if (!value->encoder->Step(step_bytes_)) return false;
  Done(value);
  return true;
}

void SlicedValues::Step() {
  if (in_progress_.empty()) return;
  if (in_progress_.front().encoder->Step(step_bytes_)) Done(in_progress_.begin());
}

void SlicedValues::FinishAll() {
  while (!in_progress_.empty()) {
    in_progress_.front().encoder->Step(SIZE_MAX);
    Done(in_progress_.begin());
  }
}

void SlicedValues::Done(std::list<InProgress>::iterator value) {
  encoded_.push_back({value->op_index, value->encoder->Take()});
  in_progress_.erase(value);
}

int64_t SlicedValues::Assemble(std::vector<Encoded>& encoded, TierBatch& batch) {
  int64_t change = 0;
  for (Encoded& value : encoded) {
    const auto counted = static_cast<int64_t>(value.pieces.size());
    std::string& bytes = batch.put_entry(value.op_index).value;
    bytes = std::move(value.pieces).Assemble();
    change += static_cast<int64_t>(bytes.size()) - counted;
  }
  encoded.clear();
  return change;
}

void SlicedValues::BeforeEntryChange(int db, const Entry& entry) {
  for (auto value = in_progress_.begin(); value != in_progress_.end(); ++value) {
    if (value->entry != &entry) continue;
    value->encoder->Step(SIZE_MAX);
    Done(value);
    break;  // an entry is encoded once at a time
  }
  if (next_ != nullptr) next_->BeforeEntryChange(db, entry);
}

bool SlicedValues::KeepsState(int db, const Entry& entry) const {
  // A value in the middle of its serialization is never cold (Entry::kWriteInFlight).
  return next_ != nullptr && next_->KeepsState(db, entry);
}

void SlicedValues::BeforeDbChange(int db) {
  FinishAll();  // rare (FLUSHDB, FLUSHALL, SWAPDB): not worth telling the dbs apart
  if (next_ != nullptr) next_->BeforeDbChange(db);
}

}  // namespace tierkv
