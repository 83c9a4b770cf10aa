// Key specifications at work: attaching Redis's specs to the command table,
// and finding a command line's keys with their flags the way Redis's COMMAND
// GETKEYS and GETKEYSANDFLAGS do.
//
// Thread-safety: AttachKeySpecs runs while the table is built; the rest are
// pure functions of an immutable table.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "server/command.h"

namespace tierkv {

class CommandTable;

// Gives every command and subcommand its row of server/command_key_specs.cc;
// fails on a row naming no command.
Status AttachKeySpecs(CommandTable& table);

// Whether the command takes key arguments at all (a spec that is not
// not_key, or a key extraction of its own): Redis's doesCommandHaveKeys.
bool HasKeyArguments(const CommandSpec& spec);

// Whether the command may read keys that no argument names, so that its key positions do
// not say all it read: a spec that reads (RO or RW) keys it cannot locate (begin search
// unknown, or incomplete), as SORT's BY/GET patterns, whose key names derive from the
// content of the key sorted.
bool ReadsUnnamedKeys(const CommandSpec& spec);

// The keys of `args` (args[0] is the command name) and their flags: from the
// key specs when they find every key with fixed flags, otherwise from the
// command's own extraction (flag-aware for SET, BITFIELD, SORT; flags 0 for
// the positional finders). Empty when the arguments name no keys.
std::vector<KeyReference> KeysWithFlags(const CommandSpec& spec, std::span<const std::string_view> args);

// The (first, last, step) key positions of COMMAND INFO that the specs imply,
// as Redis derives them (its legacy range): the start-up check that a
// command's registered positions agree with its specs.
struct LegacyKeyRange {
  int first = 0;
  int last = 0;  // absolute; negative counts from the end
  int step = 0;
  bool operator==(const LegacyKeyRange&) const = default;
};
LegacyKeyRange LegacyRangeOf(const std::vector<KeySpec>& specs);

// The flags' names in Redis's order: "RW", "access", "update", ...
std::vector<std::string> KeySpecFlagNames(uint32_t flags);

}  // namespace tierkv
