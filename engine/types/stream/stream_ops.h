// Operations on streams (the Op* half of the stream commands, server/commands/
// stream_commands.cc). They take parsed arguments, change the Shard, journal each change
// as its own effect, and return values; they never see RESP. Errors are Redis's texts.
//
// Effects (engine/change_log.h) rebuild each change from the key's previous state with
// nothing left to chance or the clock:
//   XADD          XADD k [MAXLEN = <length after>] <the ID given or generated> f v ...
//                 (any trimming that happened, exact or "~", as the exact length it left)
//   XTRIM         XTRIM k MAXLEN = <length after>, only when entries went
//   XDEL          XDEL k <the IDs actually deleted>
//   XSETID        as given (ID resolved)
//   XGROUP        TIERKV.XGROUP k CREATE g <resolved ID> [MKSTREAM] ENTRIESREAD <n>;
//                 TIERKV.XGROUP k SETID g <resolved ID> ENTRIESREAD <n>; TIERKV.XGROUP k
//                 DESTROY g / CREATECONSUMER g c / DELCONSUMER g c, when they change
//                 something. TIERKV.XGROUP is XGROUP with the key moved to the second word,
//                 which recovery needs (the key an effect applies to is its second word);
//                 it runs the XGROUP subcommand itself.
//   deliveries    (XREADGROUP, XCLAIM, XAUTOCLAIM) each PEL entry as it ends up:
//                 XCLAIM k g c 0 <id> TIME <delivery ms> RETRYCOUNT <n> FORCE JUSTID;
//                 a consumer they create: TIERKV.XGROUP k CREATECONSUMER g c; a group's
//                 read position: TIERKV.XGROUP k SETID g <last ID> ENTRIESREAD <n>; PEL
//                 entries dropped because their entry is gone: XACK k g <id>
//   XACK          XACK k g <the IDs actually acknowledged>
// Reads journal nothing. A consumer's seen-time and active-time are not journaled: a
// replayed XCLAIM sets them to the time of the replay.
//
// Blocking (XREAD / XREADGROUP BLOCK) is served by re-running the command: OpXRead and
// OpXReadGroup are what a blocked client is served with.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"
#include "engine/types/stream/stream.h"

namespace tierkv {

// One entry as replied: its ID and field, value, ...; `missing` marks a PEL entry whose
// stream entry was deleted (XREADGROUP history replies it as [id, nil]).
struct StreamEntry {
  StreamId id;
  std::vector<std::string> fields;
  bool missing = false;
};

// The stream at `key` for reading (nullptr when missing; WrongType for another type),
// counting a keyspace hit or miss. Valid until the next write.
Result<const Stream*> OpFindStream(Shard& shard, int db, std::string_view key);

// ---- XADD / XTRIM / XDEL / XLEN / XRANGE / XSETID ----

struct XAddOptions {
  bool no_mkstream = false;
  bool id_given = false;   // false: "*"
  bool seq_given = true;   // false: "<ms>-*"
  StreamId id;
  StreamTrim trim;
};
// The ID of the new entry; nullopt when NOMKSTREAM finds no key.
Result<std::optional<StreamId>> OpXAdd(Shard& shard, int db, std::string_view key, const XAddOptions& options,
                                       std::span<const std::string_view> field_values);
Result<int64_t> OpXTrim(Shard& shard, int db, std::string_view key, const StreamTrim& trim);
// Parses `ids` after finding the key (a missing key answers 0 whatever they are).
Result<int64_t> OpXDel(Shard& shard, int db, std::string_view key, std::span<const std::string_view> ids);
Result<int64_t> OpXLen(Shard& shard, int db, std::string_view key);
// XRANGE / XREVRANGE over [start, end]; `count` < 0: no limit. nullopt for a missing key.
Result<std::optional<std::vector<StreamEntry>>> OpXRange(Shard& shard, int db, std::string_view key, StreamId start,
                                                         StreamId end, int64_t count, bool reverse);
struct XSetIdOptions {
  StreamId last_id;
  std::optional<uint64_t> entries_added;
  std::optional<StreamId> max_deleted_id;
};
Status OpXSetId(Shard& shard, int db, std::string_view key, const XSetIdOptions& options);

// ---- XREAD ----

// What XREAD's "$" means for `key` now: its last ID, 0-0 when missing (WrongType for
// another type). Used while parsing, so a blocked client keeps the resolved ID.
Result<StreamId> OpXReadResolveLastId(Shard& shard, int db, std::string_view key);

struct StreamReadKey {
  std::string_view key;
  StreamId after;  // entries with a greater ID
};
struct StreamKeyEntries {
  std::string key;
  std::vector<StreamEntry> entries;
};
// XREAD: for each key that has entries after its ID, up to `count` of them (0: all), in
// the order of `keys`; keys with nothing are left out (an empty result: nothing to serve
// yet, so a BLOCK waits).
Result<std::vector<StreamKeyEntries>> OpXRead(Shard& shard, int db, std::span<const StreamReadKey> keys,
                                              uint64_t count);

// ---- Consumer groups ----

// XREADGROUP's check of one key while parsing: WrongType, or "NOGROUP No such key 'k' or
// consumer group 'g' in XREADGROUP with GROUP option" when the key or group is missing.
Status OpXReadGroupCheck(Shard& shard, int db, std::string_view key, std::string_view group);

struct GroupReadKey {
  std::string_view key;
  bool new_entries = true;  // ">": entries never delivered to the group
  StreamId from;            // otherwise: the consumer's pending entries after this ID
};
struct XReadGroupOptions {
  std::string_view group;
  std::string_view consumer;
  uint64_t count = 0;  // 0: all
  bool noack = false;
};
// XREADGROUP: for each key (which must exist and have the group: OpXReadGroupCheck),
// ">" delivers the entries after the group's last ID (up to `count`), moving it and
// adding them to the consumer's PEL unless NOACK; a history ID re-delivers the
// consumer's pending entries after it (deleted ones as missing), counting the delivery.
// The consumer is created on first use. Keys served with ">" and nothing new are left
// out; history keys are always in. An empty result means nothing to serve yet.
Result<std::vector<StreamKeyEntries>> OpXReadGroup(Shard& shard, int db, const XReadGroupOptions& options,
                                                   std::span<const GroupReadKey> keys);

// XGROUP CREATE: `id_arg` is an ID or "$"; `entries_read` kEntriesReadUnknown when not
// given. Errors: the key-must-exist error (without MKSTREAM), BUSYGROUP, a bad ID.
Status OpXGroupCreate(Shard& shard, int db, std::string_view key, std::string_view group, std::string_view id_arg,
                      bool mkstream, int64_t entries_read);
// XGROUP SETID (any ID form, or "$").
Status OpXGroupSetId(Shard& shard, int db, std::string_view key, std::string_view group, std::string_view id_arg,
                     int64_t entries_read);
Result<int64_t> OpXGroupDestroy(Shard& shard, int db, std::string_view key, std::string_view group);
Result<int64_t> OpXGroupCreateConsumer(Shard& shard, int db, std::string_view key, std::string_view group,
                                       std::string_view consumer);
// Returns how many pending entries the consumer had.
Result<int64_t> OpXGroupDelConsumer(Shard& shard, int db, std::string_view key, std::string_view group,
                                    std::string_view consumer);

// XACK: `ids` are parsed once the key and group are known (else 0 whatever they are).
Result<int64_t> OpXAck(Shard& shard, int db, std::string_view key, std::string_view group,
                       std::span<const std::string_view> ids);

struct PendingSummary {
  uint64_t count = 0;
  StreamId smallest;
  StreamId largest;
  std::vector<std::pair<std::string, uint64_t>> consumers;  // with pending entries, by name
};
Result<PendingSummary> OpXPendingSummary(Shard& shard, int db, std::string_view key, std::string_view group);

struct XPendingRange {
  StreamId start;
  StreamId end;
  int64_t count = 0;
  int64_t min_idle = 0;  // ms; 0: any
  std::optional<std::string_view> consumer;
};
struct PendingRow {
  StreamId id;
  std::string consumer;
  int64_t idle_ms = 0;
  uint64_t delivery_count = 0;
};
Result<std::vector<PendingRow>> OpXPendingRange(Shard& shard, int db, std::string_view key, std::string_view group,
                                                const XPendingRange& range);

struct XClaimOptions {
  int64_t min_idle = 0;
  std::vector<StreamId> ids;
  int64_t delivery_time = -1;  // absolute ms from IDLE/TIME; -1: now
  int64_t retry_count = -1;    // -1: not given
  bool force = false;
  bool just_id = false;
  StreamId last_id;  // LASTID (0-0: not given)
};
// XCLAIM: the claimed entries (just their IDs with JUSTID).
Result<std::vector<StreamEntry>> OpXClaim(Shard& shard, int db, std::string_view key, std::string_view group,
                                          std::string_view consumer, const XClaimOptions& options);

struct XAutoClaimResult {
  StreamId next;  // cursor for the next call; 0-0 when the scan is complete
  std::vector<StreamEntry> claimed;
  std::vector<StreamId> deleted;  // PEL entries dropped because their entry is gone
};
Result<XAutoClaimResult> OpXAutoClaim(Shard& shard, int db, std::string_view key, std::string_view group,
                                      std::string_view consumer, int64_t min_idle, StreamId start, int64_t count,
                                      bool just_id);

// "NOGROUP No such key 'k' or consumer group 'g'" (XPENDING, XCLAIM, XAUTOCLAIM).
Status NoGroupError(std::string_view key, std::string_view group);
// XCLAIM's first check, before its arguments are parsed: WrongType, or NoGroupError when
// the key or the group is missing.
Status OpCheckGroup(Shard& shard, int db, std::string_view key, std::string_view group);

// The name of the journal-only command that carries XGROUP effects (see the top).
inline constexpr std::string_view kXGroupEffectCommand = "TIERKV.XGROUP";

}  // namespace tierkv
