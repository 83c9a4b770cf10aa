// The command table is data: one CommandSpec per command (and per subcommand of
// container commands such as CONFIG or CLIENT), validated at start-up. Dispatch,
// arity errors, COMMAND INFO/DOCS/GETKEYS and MULTI queueing are all derived
// from it. A handler parses its arguments, calls engine operations and writes
// the reply (the Cmd*/Op* split: operations live in engine/).
//
// Thread-safety: built once before the server starts; read-only afterwards.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

struct CommandContext;
class LatencyHistogram;

enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,       // modifies the keyspace
  kCmdReadOnly = 1u << 1,    // reads the keyspace only
  kCmdDenyOom = 1u << 2,     // refused when over maxmemory and nothing can be evicted
  kCmdAdmin = 1u << 3,
  kCmdFast = 1u << 4,        // O(1) or O(log N)
  kCmdNoQueue = 1u << 5,     // runs at once even inside MULTI (EXEC, DISCARD, WATCH, ...)
  kCmdLoading = 1u << 6,     // allowed while loading
  kCmdStale = 1u << 7,
  kCmdNoScript = 1u << 8,
  kCmdAllowBusy = 1u << 9,
  kCmdNoAuth = 1u << 10,
  kCmdBlocking = 1u << 11,
  kCmdPubSub = 1u << 12,
  kCmdRandom = 1u << 13,     // output depends on chance or time (affects replay)
  kCmdSkipMonitor = 1u << 14,
  kCmdNoPropagate = 1u << 15,
  kCmdNoMulti = 1u << 16,    // refused inside MULTI (SAVE)
  kCmdSkipSlowlog = 1u << 17,  // never in SLOWLOG (EXEC: its commands are logged one by one)
  kCmdMayReplicate = 1u << 18,  // a read that may write (PFCOUNT caches its count): held by CLIENT PAUSE WRITE
  // Needs its keys' metadata only (existence, type, expiry, access data), never a value:
  // a cold value stays in the tier (server/cold_reads.h).
  kCmdKeysOnly = 1u << 19,
  kCmdNoMandatoryKeys = 1u << 20,  // may name no key at all (EVAL with numkeys 0)
};

using CommandHandler = void (*)(CommandContext&);
// For commands whose keys are not described by first/last/step.
using KeyFinder = std::vector<int> (*)(std::span<const std::string_view> args);

// Redis's key-spec flags: how a command uses the keys a spec finds (RO, RW,
// OW, RM), what it does to their data (access, update, insert, delete), and
// the caveats (not_key, incomplete, variable_flags). In Redis's reply order.
enum KeySpecFlag : uint32_t {
  kKeyRO = 1u << 0,
  kKeyRW = 1u << 1,
  kKeyOW = 1u << 2,
  kKeyRM = 1u << 3,
  kKeyAccess = 1u << 4,
  kKeyUpdate = 1u << 5,
  kKeyInsert = 1u << 6,
  kKeyDelete = 1u << 7,
  kKeyNotKey = 1u << 8,
  kKeyIncomplete = 1u << 9,
  kKeyVariableFlags = 1u << 10,
};

// One of Redis's key specifications: where the search for keys begins (an
// argument index, or after a keyword), then how keys are found from there (a
// range, or a count argument). Written as data: KeySpec{flags}.Index(1).Range(0, 1, 0).
struct KeySpec {
  enum class Begin : uint8_t { kUnknown, kIndex, kKeyword };
  enum class Find : uint8_t { kUnknown, kRange, kKeynum };

  uint32_t flags = 0;
  const char* notes = nullptr;  // Redis's remark on the spec, shown by COMMAND INFO
  Begin begin = Begin::kUnknown;
  int index = 0;                // kIndex: the argument; kKeyword: where the search starts (negative: from the end)
  const char* keyword = nullptr;
  Find find = Find::kUnknown;
  int last_key = 0;   // kRange: the last key relative to the first (negative: from the end)
  int key_step = 1;   // kRange and kKeynum
  int limit = 0;      // kRange with last_key -1: only the first 1/limit of the remaining arguments
  int keynum_index = 0;  // kKeynum: the count argument, relative to where the search began
  int first_key = 0;     // kKeynum: the first key, relative to the count argument

  KeySpec Index(int position) const {
    KeySpec spec = *this;
    spec.begin = Begin::kIndex;
    spec.index = position;
    return spec;
  }
  KeySpec Keyword(const char* word, int start_from) const {
    KeySpec spec = *this;
    spec.begin = Begin::kKeyword;
    spec.keyword = word;
    spec.index = start_from;
    return spec;
  }
  KeySpec Range(int last, int step, int range_limit) const {
    KeySpec spec = *this;
    spec.find = Find::kRange;
    spec.last_key = last;
    spec.key_step = step;
    spec.limit = range_limit;
    return spec;
  }
  KeySpec Keynum(int count_index, int first, int step) const {
    KeySpec spec = *this;
    spec.find = Find::kKeynum;
    spec.keynum_index = count_index;
    spec.first_key = first;
    spec.key_step = step;
    return spec;
  }
};

// A key argument of a concrete command line and the key-spec flags it is used with.
struct KeyReference {
  int position = 0;
  uint32_t flags = 0;
};
// Redis's key extraction for the commands whose key specs cannot give the
// flags (SET and BITFIELD, whose flags depend on the arguments; SORT, whose
// STORE key the specs cannot locate).
using KeyFlagsFinder = std::vector<KeyReference> (*)(std::span<const std::string_view> args);

// Redis's documentation of one argument (COMMAND DOCS "arguments"), nested
// as Redis nests them: a oneof or a block holds the arguments it groups.
struct ArgumentDoc {
  enum Flag : uint8_t { kOptional = 1u << 0, kMultiple = 1u << 1, kMultipleToken = 1u << 2 };

  std::string name;
  std::string type;          // string, integer, double, key, pattern, unix-time, pure-token, oneof, block
  std::string display_text;
  int key_spec_index = -1;   // key arguments: the key spec that finds them
  std::string token;         // the keyword that introduces the argument
  std::string summary;
  std::string since;
  std::string deprecated_since;
  uint8_t flags = 0;
  std::vector<ArgumentDoc> arguments;  // oneof and block only
};

// What COMMAND DOCS tells beyond summary, since, group and complexity (which
// the spec carries itself): server/command_docs.h attaches it when the table
// is built.
struct CommandDocs {
  enum Flag : uint8_t { kDeprecated = 1u << 0, kSysCmd = 1u << 1 };
  struct Change {
    std::string since;
    std::string what;
  };

  uint8_t flags = 0;  // Redis's doc_flags
  std::string deprecated_since;
  std::string replaced_by;
  std::vector<Change> history;
  std::vector<ArgumentDoc> arguments;
};

// Redis's per-command counters (INFO commandstats), kept beside the spec so
// counting a call costs no lookup.
struct CommandStats {
  uint64_t calls = 0;           // times the handler ran
  uint64_t usec = 0;            // time spent in the handler
  uint64_t rejected_calls = 0;  // refused before running (arity, OOM, auth...)
  uint64_t failed_calls = 0;    // ran and answered an error
  // How long its calls took (latency-tracking), made at the first call counted.
  std::shared_ptr<LatencyHistogram> latency;
};

struct CommandSpec {
  std::string name;         // lowercase; "config|get" style full name is derived
  int arity = 0;            // Redis arity: N exact, -N at least N (name included)
  uint32_t flags = 0;
  int first_key = 0;        // 0 = no keys
  int last_key = 0;         // negative counts from the end (-1 = last argument)
  int key_step = 0;
  CommandHandler handler = nullptr;
  std::string group;        // generic, string, connection, server, transactions, ...
  std::string summary;
  std::string since;
  std::string complexity;
  KeyFinder key_finder = nullptr;
  // Redis's key specifications (server/command_key_specs.cc attaches them by
  // name when the table is built) and, for a few commands, its flag-aware
  // key extraction.
  std::vector<KeySpec> key_specs;
  KeyFlagsFinder key_flags_finder = nullptr;
  CommandDocs docs;
  // ACL (server/acl/acl_categories.h attaches them when the table is built): the
  // categories as a bit set of AclCategory, and the command's bit in users' bitmaps.
  uint32_t acl_categories = 0;
  uint32_t acl_id = 0;
  std::vector<CommandSpec> subcommands;
  // The only mutable part of the table: statistics, engine thread only.
  mutable CommandStats stats;

  // Positions of the key arguments in `args` (args[0] is the command name).
  std::vector<int> KeyPositions(std::span<const std::string_view> args) const;
};

}  // namespace tierkv
