// ZSet: the sorted-set value, in Redis's two encodings.
//
//   listpack  member, score, member, score... in (score, member) order, in one Listpack
//             (Redis's exact bytes, so DUMP copies it), while the set has at most
//             zset-max-listpack-entries members of at most zset-max-listpack-value bytes;
//             scores are written as FormatDouble text (integers as listpack integers).
//   skiplist  a ScoreIndex (member table + B+tree with counts; see score_index.h), once
//             either limit is passed. The name is what OBJECT ENCODING says, as Redis.
//
// A set converts from listpack to the index when an insert would pass a limit (and
// never back on removals, as Redis); RDB loading and the STORE commands choose the
// encoding from the final size (Redis's zsetConvertToListpackIfNeeded).
//
// Elements are ordered by score, then by member bytes (memcmp, shorter first). Ranks
// are 0-based in ascending order. Scores are never NaN.
//
// Thread-safety: a plain value; engine thread only (see score_index.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/types/encoding_limits.h"
#include "engine/types/listpack.h"
#include "engine/types/zset/score_index.h"
#include "engine/types/zset/zset_range.h"

namespace tierkv {

// A member and its score, owned (replies, results of pops and set operations).
struct ScoredMember {
  std::string member;
  double score = 0;

  bool operator==(const ScoredMember&) const = default;
};

// ZADD's conditions (Redis's ZADD_IN_*).
struct ZAddFlags {
  bool incr = false;  // add the score to the current one (missing member: to 0)
  bool nx = false;    // only add new members
  bool xx = false;    // only update existing members
  bool gt = false;    // only update when the new score is greater
  bool lt = false;    // only update when the new score is less
};

// What one ZADD element did (Redis's ZADD_OUT_*): kUnchanged is a processed element
// whose score stayed the same; kSkipped one that NX/XX/GT/LT excluded.
enum class ZAddOutcome { kAdded, kUpdated, kUnchanged, kSkipped, kNaN };

class ZSet final : public ValueObject {
 public:
  // An empty set in the encoding Redis's zsetTypeCreate picks for `size_hint` members,
  // the first of `member_len_hint` bytes.
  static std::unique_ptr<ZSet> Create(size_t size_hint, size_t member_len_hint, const EncodingLimits& limits);
  // Adopts a listpack of member/score pairs in order (RDB's listpack blob, validated).
  explicit ZSet(Listpack listpack) : listpack_(std::move(listpack)) {}
  explicit ZSet(std::unique_ptr<ScoreIndex> index) : index_(std::move(index)) {}
  ~ZSet() override = default;

  // ValueObject
  size_t MemoryUsage() const override;
  Encoding encoding() const override { return index_ ? Encoding::kSkiplist : Encoding::kListpack; }
  size_t Length() const override;
  std::unique_ptr<ValueObject> Clone() const override;

  size_t size() const { return Length(); }
  bool is_listpack() const { return index_ == nullptr; }
  const Listpack& listpack() const { return listpack_; }
  const ScoreIndex& index() const { return *index_; }

  // ZADD/ZINCRBY for one element, with Redis's zsetAdd rules; *new_score gets the
  // resulting score when the element was processed (not kSkipped/kNaN). May convert to
  // the index encoding.
  ZAddOutcome Add(std::string_view member, double score, const ZAddFlags& flags, const EncodingLimits& limits,
                  double* new_score);
  // Adds a member known to be absent (bulk loads and set operations).
  void Insert(std::string_view member, double score, const EncodingLimits& limits);
  bool Remove(std::string_view member);
  std::optional<double> Score(std::string_view member) const;
  // 0-based ascending rank and score of `member`.
  std::optional<size_t> Rank(std::string_view member, double* score) const;

  // Redis's zsetTypeMaybeConvert: a listpack set about to receive `size_hint` elements
  // converts at once when that passes the entry limit.
  void ConvertIfLargerThanListpack(size_t size_hint, const EncodingLimits& limits);
  void ConvertToIndex();
  // Back to a listpack when the whole set fits the limits (STORE results, RDB loads).
  void ConvertToListpackIfFits(const EncodingLimits& limits);

  // A read position: a member and its score in order. Views stay valid until the set
  // changes or the iterator moves.
  class Iterator {
   public:
    bool valid() const;
    std::string_view member() const;
    double score() const { return score_; }
    void Next();
    void Prev();

   private:
    friend class ZSet;
    void LoadListpackScore();
    const ZSet* zset_ = nullptr;
    Listpack::Pos pos_ = Listpack::kEnd;  // listpack: the member element
    OrderTree::Cursor cursor_;            // index
    double score_ = 0;
    mutable Listpack::IntBuffer scratch_{};
  };

  Iterator First() const;
  Iterator Last() const;
  // The element at ascending `rank`; invalid when rank >= size().
  Iterator AtRank(size_t rank) const;
  // First / last element within the range; invalid when none.
  Iterator FirstIn(const ScoreRange& range) const;
  Iterator LastIn(const ScoreRange& range) const;
  Iterator FirstIn(const LexRange& range) const;
  Iterator LastIn(const LexRange& range) const;
  size_t Count(const ScoreRange& range) const;
  size_t Count(const LexRange& range) const;
  // The ascending rank of a valid iterator's element (O(log N) in the index).
  size_t RankOf(const Iterator& it) const;

  // Removals of whole ranges; each returns how many members went.
  size_t RemoveRanks(size_t start, size_t end);  // inclusive, within [0, size)
  size_t RemoveRange(const ScoreRange& range);
  size_t RemoveRange(const LexRange& range);
  // Removes and returns up to `count` members from the low (from_max false) or high end.
  std::vector<ScoredMember> Pop(bool from_max, size_t count);

  // A uniformly chosen element (the set must not be empty).
  ScoredMember RandomMember(std::mt19937_64& rng) const;

  // Every element in order.
  std::vector<ScoredMember> ToVector() const;
  // Length of the longest member (for the listpack limit checks of STORE results).
  size_t MaxMemberLength() const;

  // Score text as stored in a listpack (what ZSCAN of a listpack set returns).
  static double ScoreFromText(std::string_view text);

 private:
  ZSet() = default;
  // listpack helpers
  Listpack::Pos FindInListpack(std::string_view member, double* score) const;
  double ListpackScoreAt(Listpack::Pos score_pos) const;
  void ListpackInsertSorted(std::string_view member, double score);
  bool ListpackFits(std::string_view member, size_t extra_members, const EncodingLimits& limits) const;

  Listpack listpack_;
  std::unique_ptr<ScoreIndex> index_;  // set: the skiplist encoding
};

}  // namespace tierkv
