// DEBUG subcommands that report how values are laid out: HTSTATS, HTSTATS-KEY, LISTPACK,
// QUICKLIST. They keep Redis's reply types, errors and the outline of its text; the
// figures are tierkv's own structures (docs/COMPATIBILITY.md).
#pragma once

namespace tierkv {

struct CommandContext;

// DEBUG HTSTATS <dbid> [full]: the key table and the TTL index of a database.
void DebugHtStats(CommandContext& ctx);
// DEBUG HTSTATS-KEY <key> [full]: the hash table of a hashtable/skiplist-encoded value.
void DebugHtStatsKey(CommandContext& ctx);
// DEBUG LISTPACK <key> / DEBUG QUICKLIST <key> [<0|1>]: Redis prints the structure on
// its stdout and answers a status; tierkv logs a summary and answers the same status.
void DebugListpack(CommandContext& ctx);
void DebugQuicklist(CommandContext& ctx);

}  // namespace tierkv
