#include "server/key_specs.h"

#include <algorithm>
#include <climits>
#include <optional>

#include "engine/number.h"
#include "server/command_table.h"

namespace tierkv {
namespace {

// Where a keyword spec's keys begin: just after the keyword, searched from
// `index` towards the end (or, for a negative index, from that far before the
// end towards the start). 0 when the keyword is absent.
int KeywordSearch(const KeySpec& spec, std::span<const std::string_view> args) {
  const int argc = static_cast<int>(args.size());
  const int start = spec.index > 0 ? spec.index : argc + spec.index;
  const int end = spec.index > 0 ? argc - 1 : 1;
  const int direction = start <= end ? 1 : -1;
  for (int i = start; i != end; i += direction) {
    if (i >= argc || i < 1) break;
    if (EqualsIgnoreCase(args[i], spec.keyword)) return i + 1;
  }
  return 0;
}

// Every key the specs find, or nothing when a spec cannot say (unknown
// search, bad count, positions beyond the arguments, an incomplete spec):
// the caller then falls back on the command's own extraction.
std::optional<std::vector<KeyReference>> KeysFromSpecs(const CommandSpec& command,
                                                       std::span<const std::string_view> args) {
  const int argc = static_cast<int>(args.size());
  std::vector<KeyReference> keys;
  for (const KeySpec& spec : command.key_specs) {
    if (spec.flags & kKeyNotKey) continue;
    int first = 0;
    switch (spec.begin) {
      case KeySpec::Begin::kIndex:
        first = spec.index;
        break;
      case KeySpec::Begin::kKeyword:
        first = KeywordSearch(spec, args);
        if (first == 0) continue;  // the optional keyword is not there: no keys from this spec
        break;
      case KeySpec::Begin::kUnknown:
        return std::nullopt;
    }
    int64_t last = 0;
    switch (spec.find) {
      case KeySpec::Find::kRange:
        if (spec.last_key >= 0) {
          last = first + spec.last_key;
        } else if (spec.limit == 0) {
          last = argc + spec.last_key;
        } else {
          last = first + ((argc - first) / spec.limit + spec.last_key);
        }
        break;
      case KeySpec::Find::kKeynum: {
        const int count_at = first + spec.keynum_index;
        int64_t count;
        if (count_at >= argc || !ParseInt64(args[count_at], &count) || count < 0) return std::nullopt;
        first += spec.first_key;
        last = first + count - 1;
        break;
      }
      case KeySpec::Find::kUnknown:
        return std::nullopt;
    }
    if (last >= argc || last < first || first >= argc) return std::nullopt;
    for (int64_t i = first; i <= last; i += spec.key_step) keys.push_back({static_cast<int>(i), spec.flags});
    if (spec.flags & kKeyIncomplete) return std::nullopt;
  }
  return keys;
}

}  // namespace

bool HasKeyArguments(const CommandSpec& spec) {
  if (spec.key_finder != nullptr || spec.key_flags_finder != nullptr) return true;
  for (const KeySpec& key_spec : spec.key_specs) {
    if (!(key_spec.flags & kKeyNotKey)) return true;
  }
  return false;
}

bool ReadsUnnamedKeys(const CommandSpec& spec) {
  return std::any_of(spec.key_specs.begin(), spec.key_specs.end(), [](const KeySpec& key_spec) {
    const bool reads = key_spec.flags & (kKeyRO | kKeyRW);
    const bool unlocated = key_spec.begin == KeySpec::Begin::kUnknown || (key_spec.flags & kKeyIncomplete);
    return reads && unlocated;
  });
}

std::vector<KeyReference> KeysWithFlags(const CommandSpec& spec, std::span<const std::string_view> args) {
  bool has_real_key = false;
  bool variable_flags = false;
  bool complete = true;  // every key is where the specs say
  for (const KeySpec& key_spec : spec.key_specs) {
    has_real_key = has_real_key || !(key_spec.flags & kKeyNotKey);
    variable_flags = variable_flags || (key_spec.flags & kKeyVariableFlags);
    complete = complete && !(key_spec.flags & kKeyIncomplete) && key_spec.begin != KeySpec::Begin::kUnknown &&
               key_spec.find != KeySpec::Find::kUnknown;
  }
  // The specs are preferred when their flags hold for every call. When they
  // describe every key, arguments they cannot place (a bad count, too few
  // arguments) name no keys, as Redis's own extraction then finds.
  if (has_real_key && !variable_flags) {
    if (auto keys = KeysFromSpecs(spec, args)) return *std::move(keys);
    if (complete) return {};
  }
  if (spec.key_flags_finder != nullptr) return spec.key_flags_finder(args);
  std::vector<KeyReference> keys;
  if (spec.key_finder != nullptr) {
    for (int position : spec.key_finder(args)) keys.push_back({position, 0});
  }
  return keys;
}

LegacyKeyRange LegacyRangeOf(const std::vector<KeySpec>& specs) {
  auto plain_range = [](const KeySpec& spec) {
    return spec.begin == KeySpec::Begin::kIndex && spec.find == KeySpec::Find::kRange;
  };
  auto absolute_last = [](const KeySpec& spec) { return spec.last_key >= 0 ? spec.index + spec.last_key : spec.last_key; };
  if (specs.size() == 1 && plain_range(specs[0])) return {specs[0].index, absolute_last(specs[0]), specs[0].key_step};
  // Several specs: the consecutive step-1 index ranges merge into one; a
  // negative last key (counted from the end) wins over any positive one.
  int first = INT_MAX;
  int last = 0;
  for (const KeySpec& spec : specs) {
    if (!plain_range(spec) || spec.key_step != 1 || (last != 0 && last != spec.index - 1)) continue;
    first = std::min(first, spec.index);
    const int spec_last = absolute_last(spec);
    last = static_cast<int>(std::max(static_cast<unsigned>(last), static_cast<unsigned>(spec_last)));
  }
  if (first == INT_MAX) return {};
  return {first, last, 1};
}

std::vector<std::string> KeySpecFlagNames(uint32_t flags) {
  static constexpr struct {
    uint32_t flag;
    const char* name;
  } kNames[] = {
      {kKeyRO, "RO"},          {kKeyRW, "RW"},         {kKeyOW, "OW"},
      {kKeyRM, "RM"},          {kKeyAccess, "access"}, {kKeyUpdate, "update"},
      {kKeyInsert, "insert"},  {kKeyDelete, "delete"}, {kKeyNotKey, "not_key"},
      {kKeyIncomplete, "incomplete"}, {kKeyVariableFlags, "variable_flags"},
  };
  std::vector<std::string> names;
  for (const auto& entry : kNames) {
    if (flags & entry.flag) names.emplace_back(entry.name);
  }
  return names;
}

}  // namespace tierkv
