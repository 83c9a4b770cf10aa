// Random members of a set: SRANDMEMBER and SPOP, with Redis 7.2's strategies (t_set.c)
// so that counts, repeats and encodings after a pop behave as documented:
//   - a single draw is uniform over the members (every encoding picks a uniformly random
//     position: intset index, listpack index, occupied hashtable slot);
//   - a positive count never repeats a member: small sets and counts near the size use
//     selection sampling (Knuth's algorithm S, one ordered pass, uniform over subsets),
//     large sets with small counts draw until enough distinct positions;
//   - a negative count draws each member independently (repeats allowed, random order);
//   - SPOP of count members removes them one draw at a time while what remains is at
//     least a fifth of the count, else it picks what remains, rebuilds the set from those
//     as a new set would be built (intset or listpack first), and returns the rest.
//
// Thread-safety: engine thread only (the set and the generator are the caller's).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/types/encoding_limits.h"
#include "engine/types/set/set_value.h"

namespace tierkv {

// One uniformly random member of a non-empty set.
std::string RandomMember(const SetValue& set, std::mt19937_64& rng);

// `count` distinct members drawn uniformly, count < set.Length() (SRANDMEMBER k count).
std::vector<std::string> RandomDistinctMembers(const SetValue& set, uint64_t count, std::mt19937_64& rng);

// `count` independent uniform draws from a non-empty set, each passed to `emit` as it is
// made, so that a huge count costs no buffer here (SRANDMEMBER k -count).
void RandomMembersWithRepeats(const SetValue& set, uint64_t count, std::mt19937_64& rng,
                              const std::function<void(std::string_view)>& emit);

// Removes one uniformly random member of a non-empty set and returns it (SPOP k).
std::string PopRandomMember(SetValue& set, std::mt19937_64& rng);

struct PoppedMembers {
  std::vector<std::string> members;
  // The set was rebuilt from the members that remain (the large-count strategy); its
  // encoding may have changed.
  bool rebuilt = false;
};

// Removes `count` distinct uniformly random members, 0 < count < set.Length() (SPOP k
// count; popping everything is the caller's shortcut).
PoppedMembers PopRandomMembers(SetValue& set, uint64_t count, const EncodingLimits& limits, std::mt19937_64& rng);

}  // namespace tierkv
