// The command table is data: one CommandSpec per command (and per subcommand of
// container commands such as CONFIG or CLIENT), validated at start-up. Dispatch,
// arity errors, COMMAND INFO/DOCS/GETKEYS and MULTI queueing are all derived
// from it. A handler parses its arguments, calls engine operations and writes
// the reply (the Cmd*/Op* split: operations live in engine/).
//
// Thread-safety: built once before the server starts; read-only afterwards.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

struct CommandContext;

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
};

using CommandHandler = void (*)(CommandContext&);
// For commands whose keys are not described by first/last/step.
using KeyFinder = std::vector<int> (*)(std::span<const std::string_view> args);

// Redis's per-command counters (INFO commandstats), kept beside the spec so
// counting a call costs no lookup.
struct CommandStats {
  uint64_t calls = 0;           // times the handler ran
  uint64_t usec = 0;            // time spent in the handler
  uint64_t rejected_calls = 0;  // refused before running (arity, OOM, auth...)
  uint64_t failed_calls = 0;    // ran and answered an error
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
  std::vector<CommandSpec> subcommands;
  // The only mutable part of the table: statistics, engine thread only.
  mutable CommandStats stats;

  // Positions of the key arguments in `args` (args[0] is the command name).
  std::vector<int> KeyPositions(std::span<const std::string_view> args) const;
};

}  // namespace tierkv
