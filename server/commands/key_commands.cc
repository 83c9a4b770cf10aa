// Generic key commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX COPY MOVE KEYS
// SCAN RANDOMKEY TOUCH OBJECT DUMP RESTORE. The Cmd* half: argument parsing
// and replies; the operations are in engine/key_ops.cc, the DUMP payload
// format in engine/rdb/dump_payload.cc.

#include "engine/key_ops.h"
#include "engine/rdb/dump_payload.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/scan_args.h"

namespace tierkv {
namespace {

std::span<const std::string_view> KeyArgs(const CommandContext& ctx) { return ctx.args.subspan(1); }

void CmdDel(CommandContext& ctx) {
  ctx.reply().Integer(OpDel(ctx.shard, ctx.client.db, KeyArgs(ctx), FreeReason::kUserDel));
}

void CmdUnlink(CommandContext& ctx) {
  ctx.reply().Integer(OpDel(ctx.shard, ctx.client.db, KeyArgs(ctx), FreeReason::kUnlink));
}

void CmdExists(CommandContext& ctx) { ctx.reply().Integer(OpExists(ctx.shard, ctx.client.db, KeyArgs(ctx))); }

void CmdTouch(CommandContext& ctx) { ctx.reply().Integer(OpTouch(ctx.shard, ctx.client.db, KeyArgs(ctx))); }

void CmdType(CommandContext& ctx) { ctx.reply().SimpleString(OpType(ctx.shard, ctx.client.db, ctx.arg(1))); }

void RenameGeneric(CommandContext& ctx, bool nx) {
  auto renamed = OpRename(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), nx);
  if (!renamed.ok()) return ReplyError(ctx.reply(), renamed.status());
  if (nx) return ctx.reply().Integer(*renamed ? 1 : 0);
  ctx.reply().Ok();
}

void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void CmdRenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx) {
  int dst_db = ctx.client.db;
  bool replace = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const bool has_value = i + 1 < ctx.argc();
    if (IsOption(ctx.arg(i), "REPLACE")) {
      replace = true;
    } else if (IsOption(ctx.arg(i), "DB") && has_value) {
      auto index = DbIndexArg(ctx.arg(++i), ctx.shard.db_count());
      if (!index.ok()) return ReplyError(ctx.reply(), index.status());
      dst_db = *index;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  if (dst_db == ctx.client.db && ctx.arg(1) == ctx.arg(2)) {
    return ctx.reply().Error("ERR source and destination objects are the same");
  }
  auto copied = OpCopy(ctx.shard, ctx.client.db, ctx.arg(1), dst_db, ctx.arg(2), replace);
  if (!copied.ok()) return ReplyError(ctx.reply(), copied.status());
  ctx.reply().Integer(*copied ? 1 : 0);
}

void CmdMove(CommandContext& ctx) {
  auto dst_db = DbIndexArg(ctx.arg(2), ctx.shard.db_count());
  if (!dst_db.ok()) return ReplyError(ctx.reply(), dst_db.status());
  if (*dst_db == ctx.client.db) return ctx.reply().Error("ERR source and destination objects are the same");
  ctx.reply().Integer(OpMove(ctx.shard, ctx.client.db, *dst_db, ctx.arg(1)) ? 1 : 0);
}

void CmdKeys(CommandContext& ctx) { ctx.reply().BulkArray(OpKeys(ctx.shard, ctx.client.db, ctx.arg(1))); }

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void CmdScan(CommandContext& ctx) {
  auto cursor = ParseScanCursor(ctx.arg(1));
  if (!cursor.ok()) return ReplyError(ctx.reply(), cursor.status());
  ScanOptions options;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (i + 1 >= ctx.argc()) return ReplyError(ctx.reply(), Status::Syntax());
    std::string_view option = ctx.arg(i);
    std::string_view value = ctx.arg(i + 1);
    if (IsOption(option, "COUNT")) {
      auto count = IntArg(value);
      if (!count.ok()) return ReplyError(ctx.reply(), count.status());
      if (*count < 1) return ReplyError(ctx.reply(), Status::Syntax());
      options.count = static_cast<uint64_t>(*count);
    } else if (IsOption(option, "MATCH")) {
      options.pattern = std::string(value);
    } else if (IsOption(option, "TYPE")) {
      options.type_name = std::string(value);
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  ScanPage page = OpScan(ctx.shard, ctx.client.db, *cursor, options);
  ctx.reply().Array(2);
  ctx.reply().Bulk(std::to_string(page.cursor));
  ctx.reply().BulkArray(page.keys);
}

void CmdRandomKey(CommandContext& ctx) {
  auto key = OpRandomKey(ctx.shard, ctx.client.db);
  if (!key) return ctx.reply().Null();
  ctx.reply().Bulk(*key);
}

// OBJECT subcommands: a missing key is a null reply, checked before the
// policy errors of IDLETIME and FREQ, as in Redis.
void CmdObjectEncoding(CommandContext& ctx) {
  auto info = OpObject(ctx.shard, ctx.client.db, ctx.arg(2));
  if (!info) return ctx.reply().Null();
  ctx.reply().Bulk(EncodingName(info->encoding));
}

void CmdObjectRefcount(CommandContext& ctx) {
  auto info = OpObject(ctx.shard, ctx.client.db, ctx.arg(2));
  if (!info) return ctx.reply().Null();
  ctx.reply().Integer(info->refcount);
}

void CmdObjectIdletime(CommandContext& ctx) {
  auto info = OpObject(ctx.shard, ctx.client.db, ctx.arg(2));
  if (!info) return ctx.reply().Null();
  if (Status tracked = IdleTimeTracked(ctx.shard); !tracked.ok()) return ReplyError(ctx.reply(), tracked);
  ctx.reply().Integer(info->idle_seconds);
}

void CmdObjectFreq(CommandContext& ctx) {
  auto info = OpObject(ctx.shard, ctx.client.db, ctx.arg(2));
  if (!info) return ctx.reply().Null();
  if (Status tracked = FrequencyTracked(ctx.shard); !tracked.ok()) return ReplyError(ctx.reply(), tracked);
  ctx.reply().Integer(info->frequency);
}

void CmdObjectHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), ctx.arg(0),
            {
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
            });
}

void CmdDump(CommandContext& ctx) {
  const Entry* entry = OpLookupRead(ctx.shard, ctx.client.db, ctx.arg(1));
  if (entry == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(DumpEntry(*entry));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
// Checked in Redis's order: options, then BUSYKEY, then the TTL, then the payload.
void CmdRestore(CommandContext& ctx) {
  RestoreOptions options;
  for (size_t i = 4; i < ctx.argc(); ++i) {
    const bool has_value = i + 1 < ctx.argc();
    std::string_view option = ctx.arg(i);
    if (IsOption(option, "REPLACE")) {
      options.replace = true;
    } else if (IsOption(option, "ABSTTL")) {
      options.absolute_ttl = true;
    } else if (IsOption(option, "IDLETIME") && has_value && options.frequency == -1) {
      auto idle = IntArg(ctx.arg(++i));
      if (!idle.ok()) return ReplyError(ctx.reply(), idle.status());
      if (*idle < 0) return ctx.reply().Error("ERR Invalid IDLETIME value, must be >= 0");
      options.idle_seconds = *idle;
    } else if (IsOption(option, "FREQ") && has_value && options.idle_seconds == -1) {
      auto frequency = IntArg(ctx.arg(++i));
      if (!frequency.ok()) return ReplyError(ctx.reply(), frequency.status());
      if (*frequency < 0 || *frequency > 255) return ctx.reply().Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      options.frequency = static_cast<int>(*frequency);
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  if (!options.replace && OpLookupWrite(ctx.shard, ctx.client.db, ctx.arg(1)) != nullptr) {
    return ReplyError(ctx.reply(), Status::BusyKey());
  }
  auto ttl = IntArg(ctx.arg(2));
  if (!ttl.ok()) return ReplyError(ctx.reply(), ttl.status());
  if (*ttl < 0) return ctx.reply().Error("ERR Invalid TTL value, must be >= 0");
  options.ttl_ms = *ttl;
  auto object = ParseDumpPayload(ctx.arg(3), ctx.shard.options().limits);
  if (!object.ok()) return ReplyError(ctx.reply(), object.status());
  Entry* fresh = NewEntryFromRdb(ctx.arg(1), std::move(*object), kNoExpire);
  Status restored = OpRestore(ctx.shard, ctx.client.db, ctx.arg(1), fresh, options);
  if (!restored.ok()) return ReplyError(ctx.reply(), restored);
  ctx.reply().Ok();
}

CommandSpec ObjectSubcommand(std::string name, CommandHandler handler, std::string summary) {
  // A value OBJECT would read (REFCOUNT's small integers) never leaves DRAM.
  return {.name = std::move(name), .arity = 3, .flags = kCmdReadOnly | kCmdKeysOnly, .first_key = 2, .last_key = 2,
          .key_step = 1, .handler = handler, .group = "generic", .summary = std::move(summary), .since = "2.2.3",
          .complexity = "O(1)"};
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  table.Add({.name = "del", .arity = -2, .flags = kCmdWrite | kCmdKeysOnly, .first_key = 1, .last_key = -1, .key_step = 1,
             .handler = CmdDel, .group = "generic", .summary = "Deletes one or more keys.", .since = "1.0.0",
             .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a "
                           "value other than a string, the individual complexity for this key is O(M) where M is "
                           "the number of elements in the list, set, sorted set or hash. Removing a single key that "
                           "holds a string value is O(1)."});
  table.Add({.name = "unlink", .arity = -2, .flags = kCmdWrite | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = -1,
             .key_step = 1, .handler = CmdUnlink, .group = "generic",
             .summary = "Asynchronously deletes one or more keys.", .since = "4.0.0",
             .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
                           "different thread in order to reclaim memory, where N is the number of allocations the "
                           "deleted objects where composed of."});
  table.Add({.name = "exists", .arity = -2, .flags = kCmdReadOnly | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = -1,
             .key_step = 1, .handler = CmdExists, .group = "generic",
             .summary = "Determines whether one or more keys exist.", .since = "1.0.0",
             .complexity = "O(N) where N is the number of keys to check."});
  table.Add({.name = "touch", .arity = -2, .flags = kCmdReadOnly | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = -1,
             .key_step = 1, .handler = CmdTouch, .group = "generic",
             .summary = "Returns the number of existing keys out of those specified after updating the time they "
                        "were last accessed.",
             .since = "3.2.1", .complexity = "O(N) where N is the number of keys that will be touched."});
  table.Add({.name = "type", .arity = 2, .flags = kCmdReadOnly | kCmdFast | kCmdKeysOnly, .first_key = 1, .last_key = 1,
             .key_step = 1, .handler = CmdType, .group = "generic",
             .summary = "Determines the type of value stored at a key.", .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "rename", .arity = 3, .flags = kCmdWrite, .first_key = 1, .last_key = 2, .key_step = 1,
             .handler = CmdRename, .group = "generic", .summary = "Renames a key and overwrites the destination.",
             .since = "1.0.0", .complexity = "O(1)"});
  table.Add({.name = "renamenx", .arity = 3, .flags = kCmdWrite | kCmdFast, .first_key = 1, .last_key = 2,
             .key_step = 1, .handler = CmdRenameNx, .group = "generic",
             .summary = "Renames a key only when the target key name doesn't exist.", .since = "1.0.0",
             .complexity = "O(1)"});
  table.Add({.name = "copy", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .first_key = 1, .last_key = 2,
             .key_step = 1, .handler = CmdCopy, .group = "generic",
             .summary = "Copies the value of a key to a new key.", .since = "6.2.0",
             .complexity = "O(N) worst case for collections, where N is the number of nested items. O(1) for string "
                           "values."});
  table.Add({.name = "move", .arity = 3, .flags = kCmdWrite | kCmdFast, .first_key = 1, .last_key = 1, .key_step = 1,
             .handler = CmdMove, .group = "generic", .summary = "Moves a key to another database.", .since = "1.0.0",
             .complexity = "O(1)"});
  table.Add({.name = "keys", .arity = 2, .flags = kCmdReadOnly, .handler = CmdKeys, .group = "generic",
             .summary = "Returns all key names that match a pattern.", .since = "1.0.0",
             .complexity = "O(N) with N being the number of keys in the database, under the assumption that the key "
                           "names in the database and the given pattern have limited length."});
  table.Add({.name = "scan", .arity = -2, .flags = kCmdReadOnly, .handler = CmdScan, .group = "generic",
             .summary = "Iterates over the key names in the database.", .since = "2.8.0",
             .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
                           "the cursor to return back to 0. N is the number of elements inside the collection."});
  table.Add({.name = "randomkey", .arity = 1, .flags = kCmdReadOnly | kCmdRandom, .handler = CmdRandomKey,
             .group = "generic", .summary = "Returns a random key name from the database.", .since = "1.0.0",
             .complexity = "O(1)"});
  CommandSpec object{.name = "object", .arity = -2, .group = "generic",
                     .summary = "A container for object introspection commands.", .since = "2.2.3",
                     .complexity = "Depends on subcommand."};
  object.subcommands.push_back(
      ObjectSubcommand("encoding", CmdObjectEncoding, "Returns the internal encoding of a Redis object."));
  CommandSpec freq =
      ObjectSubcommand("freq", CmdObjectFreq, "Returns the logarithmic access frequency counter of a Redis object.");
  freq.since = "4.0.0";
  object.subcommands.push_back(std::move(freq));
  object.subcommands.push_back(
      ObjectSubcommand("idletime", CmdObjectIdletime, "Returns the time since the last access to a Redis object."));
  object.subcommands.push_back(
      ObjectSubcommand("refcount", CmdObjectRefcount, "Returns the reference count of a value of a key."));
  object.subcommands.push_back({.name = "help", .arity = 2, .flags = kCmdLoading | kCmdStale,
                                .handler = CmdObjectHelp, .group = "generic",
                                .summary = "Returns helpful text about the different subcommands.", .since = "6.2.0",
                                .complexity = "O(1)"});
  table.Add(std::move(object));
  table.Add({.name = "dump", .arity = 2, .flags = kCmdReadOnly, .first_key = 1, .last_key = 1, .key_step = 1,
             .handler = CmdDump, .group = "generic",
             .summary = "Returns a serialized representation of the value stored at a key.", .since = "2.6.0",
             .complexity = "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
                           "Redis objects composing the value and M their average size. For small string values the "
                           "time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."});
  table.Add({.name = "restore", .arity = -4, .flags = kCmdWrite | kCmdDenyOom, .first_key = 1, .last_key = 1,
             .key_step = 1, .handler = CmdRestore, .group = "generic",
             .summary = "Creates a key from the serialized representation of a value.", .since = "2.6.0",
             .complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
                           "where N is the number of Redis objects composing the value and M their average size. For "
                           "small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply "
                           "O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting "
                           "values into sorted sets is O(log(N))."});
}

}  // namespace tierkv
