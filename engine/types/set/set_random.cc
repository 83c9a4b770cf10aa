#include "engine/types/set/set_random.h"

#include <unordered_set>

namespace tierkv {
namespace {

// Redis's SPOP_MOVE_STRATEGY_MUL: pop by draws while what remains is more than a fifth
// of what is popped; past that, keep by draws and return the rest.
constexpr uint64_t kPopByDrawsFactor = 5;
// Redis's SRANDMEMBER_SUB_STRATEGY_MUL: a count above a third of the set is served by
// one pass over it rather than by repeated draws.
constexpr uint64_t kSampleByDrawsFactor = 3;

size_t RandomIndex(size_t bound, std::mt19937_64& rng) {
  return std::uniform_int_distribution<size_t>(0, bound - 1)(rng);
}

// Selection sampling (Knuth's algorithm S): offered the n items in order, `take` says
// whether to keep each so that exactly k are kept and every k-subset is equally likely.
class OrderedSample {
 public:
  OrderedSample(size_t n, size_t k, std::mt19937_64& rng) : unseen_(n), wanted_(k), rng_(rng) {}
  bool take() {
    const bool keep = wanted_ > 0 && RandomIndex(unseen_, rng_) < wanted_;
    --unseen_;
    if (keep) --wanted_;
    return keep;
  }

 private:
  size_t unseen_;
  size_t wanted_;
  std::mt19937_64& rng_;
};

std::vector<Listpack::Pos> Positions(const Listpack& packed) {
  std::vector<Listpack::Pos> positions;
  positions.reserve(packed.size());
  for (Listpack::Pos pos = packed.First(); pos != Listpack::kEnd; pos = packed.Next(pos)) positions.push_back(pos);
  return positions;
}

// The positions of k members of a listpack chosen by selection sampling, ascending.
std::vector<Listpack::Pos> SamplePositions(const Listpack& packed, size_t k, std::mt19937_64& rng) {
  const std::vector<Listpack::Pos> all = Positions(packed);
  std::vector<Listpack::Pos> chosen;
  chosen.reserve(k);
  OrderedSample sample(all.size(), k, rng);
  for (Listpack::Pos pos : all) {
    if (sample.take()) chosen.push_back(pos);
  }
  return chosen;
}

// Erases listpack elements at ascending `positions`, last first, so that the earlier
// positions stay valid.
void ErasePositions(Listpack& packed, const std::vector<Listpack::Pos>& positions) {
  for (size_t i = positions.size(); i-- > 0;) packed.Erase(positions[i]);
}

std::string MemberText(const Listpack& packed, Listpack::Pos pos) {
  Listpack::IntBuffer scratch;
  return std::string(packed.Get(pos, scratch));
}

std::string IntsetMemberText(const IntSet& members, size_t index) {
  IntTextBuffer text;
  return std::string(IntegerText(members.At(index), text));
}

}  // namespace

std::string RandomMember(const SetValue& set, std::mt19937_64& rng) {
  switch (set.encoding()) {
    case Encoding::kIntset:
      return IntsetMemberText(set.intset(), RandomIndex(set.intset().size(), rng));
    case Encoding::kListpack: {
      const Listpack& packed = set.listpack();
      return MemberText(packed, packed.Seek(static_cast<int64_t>(RandomIndex(packed.size(), rng))));
    }
    default:
      return std::string(set.table().MemberAt(set.table().RandomSlot(rng)));
  }
}

std::vector<std::string> RandomDistinctMembers(const SetValue& set, uint64_t count, std::mt19937_64& rng) {
  const size_t size = set.Length();
  std::vector<std::string> chosen;
  chosen.reserve(count);
  if (set.encoding() == Encoding::kListpack || count * kSampleByDrawsFactor > size) {
    OrderedSample sample(size, count, rng);
    set.ForEach([&](std::string_view member) {
      if (sample.take()) chosen.emplace_back(member);
    });
    return chosen;
  }
  // Few members of a big set: draw positions until enough distinct ones came up, in
  // the order drawn.
  std::unordered_set<size_t> seen;
  seen.reserve(count);
  while (chosen.size() < count) {
    if (set.encoding() == Encoding::kIntset) {
      const size_t index = RandomIndex(size, rng);
      if (seen.insert(index).second) chosen.push_back(IntsetMemberText(set.intset(), index));
    } else {
      const size_t slot = set.table().RandomSlot(rng);
      if (seen.insert(slot).second) chosen.emplace_back(set.table().MemberAt(slot));
    }
  }
  return chosen;
}

void RandomMembersWithRepeats(const SetValue& set, uint64_t count, std::mt19937_64& rng,
                              const std::function<void(std::string_view)>& emit) {
  switch (set.encoding()) {
    case Encoding::kIntset: {
      const IntSet& members = set.intset();
      IntTextBuffer text;
      for (uint64_t i = 0; i < count; ++i) emit(IntegerText(members.At(RandomIndex(members.size(), rng)), text));
      break;
    }
    case Encoding::kListpack: {
      // One walk to index the elements, then each draw is O(1).
      const Listpack& packed = set.listpack();
      const std::vector<Listpack::Pos> positions = Positions(packed);
      Listpack::IntBuffer scratch;
      for (uint64_t i = 0; i < count; ++i) emit(packed.Get(positions[RandomIndex(positions.size(), rng)], scratch));
      break;
    }
    default: {
      const MemberTable& table = set.table();
      for (uint64_t i = 0; i < count; ++i) emit(table.MemberAt(table.RandomSlot(rng)));
      break;
    }
  }
}

std::string PopRandomMember(SetValue& set, std::mt19937_64& rng) {
  switch (set.encoding()) {
    case Encoding::kIntset: {
      IntSet& members = set.intset();
      const int64_t member = members.At(RandomIndex(members.size(), rng));
      members.Remove(member);
      IntTextBuffer text;
      return std::string(IntegerText(member, text));
    }
    case Encoding::kListpack: {
      Listpack& packed = set.listpack();
      const Listpack::Pos pos = packed.Seek(static_cast<int64_t>(RandomIndex(packed.size(), rng)));
      std::string member = MemberText(packed, pos);
      packed.Erase(pos);
      return member;
    }
    default: {
      MemberTable& table = set.table();
      const size_t slot = table.RandomSlot(rng);
      std::string member(table.MemberAt(slot));
      table.EraseAt(slot);
      return member;
    }
  }
}

PoppedMembers PopRandomMembers(SetValue& set, uint64_t count, const EncodingLimits& limits, std::mt19937_64& rng) {
  PoppedMembers popped;
  const uint64_t remaining = set.Length() - count;
  if (remaining * kPopByDrawsFactor > count) {
    popped.members.reserve(count);
    if (set.encoding() == Encoding::kListpack) {
      // One pass picks them all, then they go in one sweep from the back.
      Listpack& packed = set.listpack();
      const std::vector<Listpack::Pos> chosen = SamplePositions(packed, count, rng);
      for (Listpack::Pos pos : chosen) popped.members.push_back(MemberText(packed, pos));
      ErasePositions(packed, chosen);
    } else {
      for (uint64_t i = 0; i < count; ++i) popped.members.push_back(PopRandomMember(set, rng));
    }
    return popped;
  }
  // Most of the set goes: choose what stays, build a new set of it as a new set would be
  // built (a listpack or an intset first, converting as it grows), and hand out the rest.
  SetValue kept = set.encoding() == Encoding::kIntset ? SetValue() : SetValue(Listpack());
  if (set.encoding() == Encoding::kListpack) {
    Listpack& packed = set.listpack();
    const std::vector<Listpack::Pos> chosen = SamplePositions(packed, remaining, rng);
    for (Listpack::Pos pos : chosen) kept.Add(MemberText(packed, pos), limits);
    ErasePositions(packed, chosen);
  } else {
    for (uint64_t i = 0; i < remaining; ++i) kept.Add(PopRandomMember(set, rng), limits);
  }
  popped.members = set.Members();
  popped.rebuilt = true;
  set = std::move(kept);
  return popped;
}

}  // namespace tierkv
