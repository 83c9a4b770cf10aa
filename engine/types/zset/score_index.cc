#include "engine/types/zset/score_index.h"

#include <memory>
#include <vector>

namespace tierkv {

ScoreIndex::~ScoreIndex() {
  std::vector<MemberRecord*> records;
  records.reserve(tree_.size());
  for (OrderTree::Cursor it = tree_.First(); it.valid(); it.Next()) records.push_back(it.record());
  tree_.Clear();
  for (MemberRecord* record : records) MemberRecord::Free(record);
}

size_t ScoreIndex::MemoryUsage() const {
  return sizeof(*this) + table_.MemoryUsage() + tree_.MemoryUsage() + record_bytes_;
}

void ScoreIndex::Insert(std::string_view member, double score) {
  MemberRecord* record = MemberRecord::New(member, score);
  table_.Insert(record, ZSetMemberTable::Hash(member));
  tree_.Insert({score, record});
  record_bytes_ += record->AllocatedBytes();
}

void ScoreIndex::SetScore(const MemberRecord* record, double score) {
  // The index owns every record it hands out (read-only) through Find.
  auto* mutable_record = const_cast<MemberRecord*>(record);
  tree_.Erase(record->score(), record->member());
  mutable_record->set_score(score);
  tree_.Insert({score, mutable_record});
}

bool ScoreIndex::Remove(std::string_view member) {
  MemberRecord* record = table_.Remove(member, ZSetMemberTable::Hash(member));
  if (record == nullptr) return false;
  tree_.Erase(record->score(), record->member());
  record_bytes_ -= record->AllocatedBytes();
  MemberRecord::Free(record);
  return true;
}

std::unique_ptr<ScoreIndex> ScoreIndex::Clone() const {
  auto copy = std::make_unique<ScoreIndex>();
  copy->Reserve(size());
  for (OrderTree::Cursor it = tree_.First(); it.valid(); it.Next()) {
    copy->Insert(it.record()->member(), it.score());
  }
  return copy;
}

bool ScoreIndex::CheckInvariants(std::string* why) const {
  if (!table_.CheckInvariants(why) || !tree_.CheckInvariants(why)) return false;
  if (table_.size() != tree_.size()) {
    *why = "table and tree sizes differ";
    return false;
  }
  size_t bytes = 0;
  for (OrderTree::Cursor it = tree_.First(); it.valid(); it.Next()) {
    if (table_.Find(it.record()->member()) != it.record()) {
      *why = "tree item missing from the table";
      return false;
    }
    bytes += it.record()->AllocatedBytes();
  }
  if (bytes != record_bytes_) {
    *why = "record byte count is off";
    return false;
  }
  return true;
}

}  // namespace tierkv
