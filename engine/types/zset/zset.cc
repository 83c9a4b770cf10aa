#include "engine/types/zset/zset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "engine/number.h"

namespace tierkv {
namespace {

// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GiB.
constexpr size_t kListpackSafetyBytes = size_t{1} << 30;

}  // namespace

double ZSet::ScoreFromText(std::string_view text) {
  double value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec == std::errc() && parsed.ptr == text.data() + text.size()) return value;
  // Anything else (a leading '+', hex, text written by another program) the way
  // Redis's zzlStrtod reads it: strtod over at most 127 bytes.
  char buffer[128];
  const size_t length = text.size() < sizeof(buffer) - 1 ? text.size() : sizeof(buffer) - 1;
  std::memcpy(buffer, text.data(), length);
  buffer[length] = '\0';
  return std::strtod(buffer, nullptr);
}

std::unique_ptr<ZSet> ZSet::Create(size_t size_hint, size_t member_len_hint, const EncodingLimits& limits) {
  std::unique_ptr<ZSet> zset(new ZSet());
  if (size_hint > limits.zset_max_listpack_entries || member_len_hint > limits.zset_max_listpack_value) {
    zset->index_ = std::make_unique<ScoreIndex>();
    zset->index_->Reserve(size_hint);
  }
  return zset;
}

size_t ZSet::MemoryUsage() const {
  return sizeof(*this) + listpack_.MemoryUsage() + (index_ ? index_->MemoryUsage() : 0);
}

size_t ZSet::Length() const { return index_ ? index_->size() : listpack_.size() / 2; }

std::unique_ptr<ValueObject> ZSet::Clone() const {
  if (index_) return std::unique_ptr<ZSet>(new ZSet(index_->Clone()));
  return std::unique_ptr<ZSet>(new ZSet(listpack_));
}

// ---- listpack helpers ----

double ZSet::ListpackScoreAt(Listpack::Pos score_pos) const {
  if (std::optional<int64_t> integer = listpack_.GetInteger(score_pos)) return static_cast<double>(*integer);
  Listpack::IntBuffer scratch;
  return ScoreFromText(listpack_.Get(score_pos, scratch));
}

Listpack::Pos ZSet::FindInListpack(std::string_view member, double* score) const {
  const Listpack::Pos pos = listpack_.Find(member, listpack_.First(), 1);
  if (pos != Listpack::kEnd && score != nullptr) *score = ListpackScoreAt(listpack_.Next(pos));
  return pos;
}

void ZSet::ListpackInsertSorted(std::string_view member, double score) {
  // A zero score is stored as the integer 0, -0 included (what Redis's listpack ends up
  // holding for -0, so ZSCORE answers 0 as it does).
  const std::string score_text = score == 0 ? std::string("0") : FormatDouble(score);
  Listpack::IntBuffer scratch;
  for (Listpack::Pos pos = listpack_.First(); pos != Listpack::kEnd;) {
    const Listpack::Pos score_pos = listpack_.Next(pos);
    const double current = ListpackScoreAt(score_pos);
    if (current > score || (current == score && listpack_.Get(pos, scratch) > member)) {
      const Listpack::Pos inserted = listpack_.Insert(pos, member);
      listpack_.Insert(listpack_.Next(inserted), score_text);
      return;
    }
    pos = listpack_.Next(score_pos);
  }
  listpack_.Append(member);
  listpack_.Append(score_text);
}

bool ZSet::ListpackFits(std::string_view member, size_t extra_members, const EncodingLimits& limits) const {
  return listpack_.size() / 2 + extra_members <= limits.zset_max_listpack_entries &&
         member.size() <= limits.zset_max_listpack_value &&
         listpack_.bytes_size() + member.size() + 64 <= kListpackSafetyBytes;
}

// ---- conversions ----

void ZSet::ConvertIfLargerThanListpack(size_t size_hint, const EncodingLimits& limits) {
  if (!index_ && size_hint > limits.zset_max_listpack_entries) {
    ConvertToIndex();
    index_->Reserve(size_hint);
  }
}

void ZSet::ConvertToIndex() {
  if (index_) return;
  auto index = std::make_unique<ScoreIndex>();
  index->Reserve(Length());
  for (Iterator it = First(); it.valid(); it.Next()) index->Insert(it.member(), it.score());
  index_ = std::move(index);
  listpack_.Clear();
}

void ZSet::ConvertToListpackIfFits(const EncodingLimits& limits) {
  if (!index_ || index_->size() > limits.zset_max_listpack_entries) return;
  size_t total = 0;
  for (OrderTree::Cursor it = index_->tree().First(); it.valid(); it.Next()) {
    const size_t length = it.record()->member().size();
    if (length > limits.zset_max_listpack_value) return;
    total += length;
  }
  if (total + 64 * index_->size() > kListpackSafetyBytes) return;
  Listpack listpack;
  for (OrderTree::Cursor it = index_->tree().First(); it.valid(); it.Next()) {
    listpack.Append(it.record()->member());
    listpack.Append(FormatDouble(it.score()));
  }
  listpack_ = std::move(listpack);
  index_.reset();
}

// ---- single members ----

ZAddOutcome ZSet::Add(std::string_view member, double score, const ZAddFlags& flags, const EncodingLimits& limits,
                      double* new_score) {
  if (std::isnan(score)) return ZAddOutcome::kNaN;
  // What an existing member becomes; kUpdated when its score must move.
  auto update = [&](double current) {
    if (flags.nx) return ZAddOutcome::kSkipped;
    if (flags.incr) {
      score += current;
      if (std::isnan(score)) return ZAddOutcome::kNaN;
    }
    if ((flags.lt && score >= current) || (flags.gt && score <= current)) return ZAddOutcome::kSkipped;
    *new_score = score;
    return score != current ? ZAddOutcome::kUpdated : ZAddOutcome::kUnchanged;
  };

  if (!index_) {
    double current = 0;
    const Listpack::Pos pos = FindInListpack(member, &current);
    if (pos != Listpack::kEnd) {
      const ZAddOutcome outcome = update(current);
      if (outcome == ZAddOutcome::kUpdated) {
        listpack_.Erase(pos, 2);
        ListpackInsertSorted(member, score);
      }
      return outcome;
    }
    if (flags.xx) return ZAddOutcome::kSkipped;
    if (ListpackFits(member, 1, limits)) {
      ListpackInsertSorted(member, score);
      *new_score = score;
      return ZAddOutcome::kAdded;
    }
    ConvertToIndex();
  }

  if (const MemberRecord* record = index_->Find(member)) {
    const ZAddOutcome outcome = update(record->score());
    if (outcome == ZAddOutcome::kUpdated) index_->SetScore(record, score);
    return outcome;
  }
  if (flags.xx) return ZAddOutcome::kSkipped;
  index_->Insert(member, score);
  *new_score = score;
  return ZAddOutcome::kAdded;
}

void ZSet::Insert(std::string_view member, double score, const EncodingLimits& limits) {
  if (!index_) {
    if (ListpackFits(member, 1, limits)) return ListpackInsertSorted(member, score);
    ConvertToIndex();
  }
  index_->Insert(member, score);
}

bool ZSet::Remove(std::string_view member) {
  if (index_) return index_->Remove(member);
  const Listpack::Pos pos = FindInListpack(member, nullptr);
  if (pos == Listpack::kEnd) return false;
  listpack_.Erase(pos, 2);
  return true;
}

std::optional<double> ZSet::Score(std::string_view member) const {
  if (index_) {
    const MemberRecord* record = index_->Find(member);
    if (record == nullptr) return std::nullopt;
    return record->score();
  }
  double score = 0;
  if (FindInListpack(member, &score) == Listpack::kEnd) return std::nullopt;
  return score;
}

std::optional<size_t> ZSet::Rank(std::string_view member, double* score) const {
  if (index_) {
    const MemberRecord* record = index_->Find(member);
    if (record == nullptr) return std::nullopt;
    if (score != nullptr) *score = record->score();
    return index_->RankOf(record);
  }
  size_t rank = 0;
  for (Listpack::Pos pos = listpack_.First(); pos != Listpack::kEnd; ++rank) {
    const Listpack::Pos score_pos = listpack_.Next(pos);
    if (listpack_.Equals(pos, member)) {
      if (score != nullptr) *score = ListpackScoreAt(score_pos);
      return rank;
    }
    pos = listpack_.Next(score_pos);
  }
  return std::nullopt;
}

// ---- iteration ----

bool ZSet::Iterator::valid() const {
  if (zset_ == nullptr) return false;
  return zset_->index_ ? cursor_.valid() : pos_ != Listpack::kEnd;
}

std::string_view ZSet::Iterator::member() const {
  if (zset_->index_) return cursor_.record()->member();
  return zset_->listpack_.Get(pos_, scratch_);
}

void ZSet::Iterator::LoadListpackScore() {
  if (pos_ != Listpack::kEnd) score_ = zset_->ListpackScoreAt(zset_->listpack_.Next(pos_));
}

void ZSet::Iterator::Next() {
  if (zset_->index_) {
    cursor_.Next();
    if (cursor_.valid()) score_ = cursor_.score();
    return;
  }
  const Listpack& lp = zset_->listpack_;
  pos_ = lp.Next(lp.Next(pos_));
  LoadListpackScore();
}

void ZSet::Iterator::Prev() {
  if (zset_->index_) {
    cursor_.Prev();
    if (cursor_.valid()) score_ = cursor_.score();
    return;
  }
  const Listpack& lp = zset_->listpack_;
  const Listpack::Pos score_pos = lp.Prev(pos_);
  pos_ = score_pos == Listpack::kEnd ? Listpack::kEnd : lp.Prev(score_pos);
  LoadListpackScore();
}

ZSet::Iterator ZSet::First() const { return AtRank(0); }

ZSet::Iterator ZSet::Last() const {
  const size_t count = size();
  return count == 0 ? Iterator{} : AtRank(count - 1);
}

ZSet::Iterator ZSet::AtRank(size_t rank) const {
  Iterator it;
  it.zset_ = this;
  if (index_) {
    it.cursor_ = index_->tree().AtRank(rank);
    if (it.cursor_.valid()) it.score_ = it.cursor_.score();
  } else if (rank < size()) {
    it.pos_ = listpack_.Seek(static_cast<int64_t>(2 * rank));
    it.LoadListpackScore();
  }
  return it;
}

ZSet::Iterator ZSet::FirstIn(const ScoreRange& range) const {
  Iterator it;
  it.zset_ = this;
  if (range.Empty() || size() == 0) return it;
  if (index_) {
    size_t rank = 0;
    it.cursor_ = index_->tree().Seek([&](const ScoredRef& x) { return !range.AboveMin(x.score); }, &rank);
    if (it.cursor_.valid()) it.score_ = it.cursor_.score();
  } else {
    it = First();
    while (it.valid() && !range.AboveMin(it.score())) it.Next();
  }
  if (it.valid() && !range.BelowMax(it.score())) return Iterator{};
  return it;
}

ZSet::Iterator ZSet::LastIn(const ScoreRange& range) const {
  Iterator it;
  it.zset_ = this;
  if (range.Empty() || size() == 0) return it;
  if (index_) {
    size_t rank = 0;
    index_->tree().Seek([&](const ScoredRef& x) { return range.BelowMax(x.score); }, &rank);
    if (rank == 0) return Iterator{};
    it = AtRank(rank - 1);
  } else {
    it = Last();
    while (it.valid() && !range.BelowMax(it.score())) it.Prev();
  }
  if (it.valid() && !range.AboveMin(it.score())) return Iterator{};
  return it;
}

ZSet::Iterator ZSet::FirstIn(const LexRange& range) const {
  Iterator it;
  it.zset_ = this;
  if (range.Empty() || size() == 0) return it;
  if (index_) {
    size_t rank = 0;
    it.cursor_ =
        index_->tree().Seek([&](const ScoredRef& x) { return !range.AboveMin(x.record->member()); }, &rank);
    if (it.cursor_.valid()) it.score_ = it.cursor_.score();
  } else {
    it = First();
    while (it.valid() && !range.AboveMin(it.member())) it.Next();
  }
  if (it.valid() && !range.BelowMax(it.member())) return Iterator{};
  return it;
}

ZSet::Iterator ZSet::LastIn(const LexRange& range) const {
  Iterator it;
  it.zset_ = this;
  if (range.Empty() || size() == 0) return it;
  if (index_) {
    size_t rank = 0;
    index_->tree().Seek([&](const ScoredRef& x) { return range.BelowMax(x.record->member()); }, &rank);
    if (rank == 0) return Iterator{};
    it = AtRank(rank - 1);
  } else {
    it = Last();
    while (it.valid() && !range.BelowMax(it.member())) it.Prev();
  }
  if (it.valid() && !range.AboveMin(it.member())) return Iterator{};
  return it;
}

size_t ZSet::Count(const ScoreRange& range) const {
  if (range.Empty()) return 0;
  if (index_) {
    size_t below = 0;
    size_t through = 0;
    index_->tree().Seek([&](const ScoredRef& x) { return !range.AboveMin(x.score); }, &below);
    index_->tree().Seek([&](const ScoredRef& x) { return range.BelowMax(x.score); }, &through);
    return through > below ? through - below : 0;
  }
  size_t count = 0;
  for (Iterator it = FirstIn(range); it.valid() && range.BelowMax(it.score()); it.Next()) ++count;
  return count;
}

size_t ZSet::Count(const LexRange& range) const {
  if (range.Empty()) return 0;
  if (index_) {
    size_t below = 0;
    size_t through = 0;
    index_->tree().Seek([&](const ScoredRef& x) { return !range.AboveMin(x.record->member()); }, &below);
    index_->tree().Seek([&](const ScoredRef& x) { return range.BelowMax(x.record->member()); }, &through);
    return through > below ? through - below : 0;
  }
  size_t count = 0;
  for (Iterator it = FirstIn(range); it.valid() && range.BelowMax(it.member()); it.Next()) ++count;
  return count;
}

size_t ZSet::RankOf(const Iterator& it) const {
  if (index_) return index_->RankOf(it.cursor_.record());
  size_t rank = 0;
  for (Listpack::Pos pos = listpack_.First(); pos != it.pos_; pos = listpack_.Next(listpack_.Next(pos))) ++rank;
  return rank;
}

// ---- range removals ----

size_t ZSet::RemoveRanks(size_t start, size_t end) {
  if (start > end || start >= size()) return 0;
  if (end >= size()) end = size() - 1;
  const size_t count = end - start + 1;
  if (!index_) {
    listpack_.Erase(listpack_.Seek(static_cast<int64_t>(2 * start)), 2 * count);
    return count;
  }
  std::vector<std::string> members;
  members.reserve(count);
  OrderTree::Cursor it = index_->tree().AtRank(start);
  for (size_t i = 0; i < count && it.valid(); ++i, it.Next()) members.emplace_back(it.record()->member());
  for (const std::string& member : members) index_->Remove(member);
  return members.size();
}

size_t ZSet::RemoveRange(const ScoreRange& range) {
  Iterator first = FirstIn(range);
  if (!first.valid()) return 0;
  if (!index_) {
    size_t count = 0;
    for (Iterator it = first; it.valid() && range.BelowMax(it.score()); it.Next()) ++count;
    listpack_.Erase(first.pos_, 2 * count);
    return count;
  }
  std::vector<std::string> members;
  for (Iterator it = first; it.valid() && range.BelowMax(it.score()); it.Next()) members.emplace_back(it.member());
  for (const std::string& member : members) index_->Remove(member);
  return members.size();
}

size_t ZSet::RemoveRange(const LexRange& range) {
  Iterator first = FirstIn(range);
  if (!first.valid()) return 0;
  if (!index_) {
    size_t count = 0;
    for (Iterator it = first; it.valid() && range.BelowMax(it.member()); it.Next()) ++count;
    listpack_.Erase(first.pos_, 2 * count);
    return count;
  }
  std::vector<std::string> members;
  for (Iterator it = first; it.valid() && range.BelowMax(it.member()); it.Next()) members.emplace_back(it.member());
  for (const std::string& member : members) index_->Remove(member);
  return members.size();
}

std::vector<ScoredMember> ZSet::Pop(bool from_max, size_t count) {
  std::vector<ScoredMember> popped;
  const size_t total = size();
  if (count > total) count = total;
  popped.reserve(count);
  if (!index_) {
    for (Iterator it = from_max ? Last() : First(); it.valid() && popped.size() < count;
         from_max ? it.Prev() : it.Next()) {
      popped.push_back({std::string(it.member()), it.score()});
    }
    const int64_t first_element = from_max ? -2 * static_cast<int64_t>(count) : 0;
    if (count > 0) listpack_.Erase(listpack_.Seek(first_element), 2 * count);
    return popped;
  }
  const OrderTree& tree = index_->tree();
  while (popped.size() < count) {
    const OrderTree::Cursor end = from_max ? tree.Last() : tree.First();
    popped.push_back({std::string(end.record()->member()), end.score()});
    index_->Remove(popped.back().member);
  }
  return popped;
}

ScoredMember ZSet::RandomMember(std::mt19937_64& rng) const {
  std::uniform_int_distribution<size_t> pick(0, size() - 1);
  const Iterator it = AtRank(pick(rng));
  return {std::string(it.member()), it.score()};
}

std::vector<ScoredMember> ZSet::ToVector() const {
  std::vector<ScoredMember> all;
  all.reserve(size());
  for (Iterator it = First(); it.valid(); it.Next()) all.push_back({std::string(it.member()), it.score()});
  return all;
}

size_t ZSet::MaxMemberLength() const {
  size_t longest = 0;
  for (Iterator it = First(); it.valid(); it.Next()) longest = std::max(longest, it.member().size());
  return longest;
}

}  // namespace tierkv
