// Stream commands: the Cmd* half (argument parsing and replies). The operations are in
// engine/types/stream/stream_ops.cc. Arguments are checked in the order Redis 7 checks
// them (some before the key is looked up, some after), so that a command with several
// problems reports the same error, with Redis's text.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "engine/types/stream/stream_ops.h"
#include "server/blocking.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"

namespace tierkv {
namespace {

// ---- Replies ----

void ReplyId(ReplyWriter& reply, StreamId id) { reply.Bulk(id.ToString()); }

void ReplyEntry(ReplyWriter& reply, const StreamEntry& entry) {
  reply.Array(2);
  ReplyId(reply, entry.id);
  if (entry.missing) return reply.NullArray();
  reply.BulkArray(entry.fields);
}

void ReplyEntries(ReplyWriter& reply, const std::vector<StreamEntry>& entries) {
  reply.Array(entries.size());
  for (const StreamEntry& entry : entries) ReplyEntry(reply, entry);
}

// XREAD/XREADGROUP: key -> entries, a map in RESP3 and an array of [key, entries] pairs
// in RESP2.
void ReplyKeyEntries(ReplyWriter& reply, const std::vector<StreamKeyEntries>& served) {
  if (reply.resp3()) {
    reply.Map(served.size());
  } else {
    reply.Array(served.size());
  }
  for (const StreamKeyEntries& key : served) {
    if (!reply.resp3()) reply.Array(2);
    reply.Bulk(key.key);
    ReplyEntries(reply, key.entries);
  }
}

// The first or last live entry (XINFO STREAM), or a null.
void ReplyEdgeEntry(ReplyWriter& reply, const Stream& stream, bool last) {
  StreamIterator it(stream, StreamId::Min(), StreamId::Max(), last);
  if (!it.Next()) return reply.Null();
  StreamEntry entry{it.id(), {}, false};
  it.AppendFields(entry.fields);
  ReplyEntry(reply, entry);
}

// ---- XADD / XTRIM ----

struct AddOrTrimArgs {
  StreamTrim trim;
  bool no_mkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamId id;
  size_t id_index = 0;  // XADD: the ID argument ("*" or an ID); argc when missing
};

// Redis's streamParseAddOrTrimArgsOrReply: the options of XADD (up to its ID) or XTRIM.
Result<AddOrTrimArgs> ParseAddOrTrim(const CommandContext& ctx, bool xadd) {
  AddOrTrimArgs args;
  StreamTrim& trim = args.trim;
  bool limit_given = false;
  size_t i = 2;
  for (; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - 1 - i;
    const std::string_view option = ctx.arg(i);
    const bool max_len = IsOption(option, "MAXLEN");
    if (xadd && option == "*") {
      break;
    } else if ((max_len || IsOption(option, "MINID")) && more > 0) {
      if (trim.strategy != StreamTrim::Strategy::kNone) {
        return Status::Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      }
      trim.approximate = false;
      const std::string_view next = ctx.arg(i + 1);
      if (more >= 2 && (next == "~" || next == "=")) {
        trim.approximate = next == "~";
        ++i;
      }
      if (max_len) {
        auto length = IntArg(ctx.arg(i + 1));
        if (!length.ok()) return length.status();
        if (*length < 0) return Status::Error("ERR The MAXLEN argument must be >= 0.");
        trim.max_len = static_cast<uint64_t>(*length);
        trim.strategy = StreamTrim::Strategy::kMaxLen;
      } else {
        auto id = ParseStreamId(ctx.arg(i + 1), 0, /*strict=*/true);
        if (!id.ok()) return id.status();
        trim.min_id = *id;
        trim.strategy = StreamTrim::Strategy::kMinId;
      }
      ++i;
    } else if (IsOption(option, "LIMIT") && more > 0) {
      auto limit = IntArg(ctx.arg(i + 1));
      if (!limit.ok()) return limit.status();
      if (*limit < 0) return Status::Error("ERR The LIMIT argument must be >= 0.");
      trim.limit = *limit;
      limit_given = true;
      ++i;
    } else if (xadd && IsOption(option, "NOMKSTREAM")) {
      args.no_mkstream = true;
    } else if (xadd) {
      auto id = ParseXAddId(option);
      if (!id.ok()) return id.status();
      args.id_given = true;
      args.id = id->id;
      args.seq_given = id->seq_given;
      break;
    } else {
      return Status::Syntax();
    }
  }
  args.id_index = i;
  if (trim.limit != 0 && trim.strategy == StreamTrim::Strategy::kNone) {
    return Status::Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  }
  if (!xadd && trim.strategy == StreamTrim::Strategy::kNone) {
    return Status::Error("ERR syntax error, XTRIM must be called with a trimming strategy");
  }
  if (limit_given) {
    if (!trim.approximate) return Status::Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
  } else if (trim.approximate) {
    // Without LIMIT, "~" trims at most 100 nodes' worth, so one command cannot stall.
    const int64_t node_entries = ctx.shard.options().limits.stream_node_max_entries;
    trim.limit = node_entries > 0 && node_entries <= 100 ? 100 * node_entries : 10000;
  } else {
    trim.limit = 0;
  }
  return args;
}

void CmdXAdd(CommandContext& ctx) {
  auto args = ParseAddOrTrim(ctx, /*xadd=*/true);
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  const size_t fields = args->id_index + 1;
  if (fields >= ctx.argc() || (ctx.argc() - fields) % 2 != 0) {
    return ctx.reply().Error(WrongArgCountError(ctx.spec.name));
  }
  XAddOptions options;
  options.no_mkstream = args->no_mkstream;
  options.id_given = args->id_given;
  options.seq_given = args->seq_given;
  options.id = args->id;
  options.trim = args->trim;
  auto id = OpXAdd(ctx.shard, ctx.client.db, ctx.arg(1), options, ctx.args.subspan(fields));
  if (!id.ok()) return ReplyError(ctx.reply(), id.status());
  if (!id->has_value()) return ctx.reply().Null();
  ReplyId(ctx.reply(), **id);
}

void CmdXTrim(CommandContext& ctx) {
  auto args = ParseAddOrTrim(ctx, /*xadd=*/false);
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  auto trimmed = OpXTrim(ctx.shard, ctx.client.db, ctx.arg(1), args->trim);
  if (!trimmed.ok()) return ReplyError(ctx.reply(), trimmed.status());
  ctx.reply().Integer(*trimmed);
}

// ---- XLEN / XRANGE / XREVRANGE / XDEL / XSETID ----

void CmdXLen(CommandContext& ctx) {
  auto length = OpXLen(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!length.ok()) return ReplyError(ctx.reply(), length.status());
  ctx.reply().Integer(*length);
}

void XRangeGeneric(CommandContext& ctx, bool reverse) {
  auto start = ParseRangeStart(ctx.arg(reverse ? 3 : 2));
  if (!start.ok()) return ReplyError(ctx.reply(), start.status());
  auto end = ParseRangeEnd(ctx.arg(reverse ? 2 : 3));
  if (!end.ok()) return ReplyError(ctx.reply(), end.status());
  int64_t count = -1;
  for (size_t i = 4; i < ctx.argc(); ++i) {
    if (IsOption(ctx.arg(i), "COUNT") && i + 1 < ctx.argc()) {
      auto value = IntArg(ctx.arg(++i));
      if (!value.ok()) return ReplyError(ctx.reply(), value.status());
      count = std::max<int64_t>(*value, 0);
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  auto entries = OpXRange(ctx.shard, ctx.client.db, ctx.arg(1), *start, *end, count, reverse);
  if (!entries.ok()) return ReplyError(ctx.reply(), entries.status());
  if (!entries->has_value()) return ctx.reply().Array(0);
  if (count == 0) return ctx.reply().NullArray();
  ReplyEntries(ctx.reply(), **entries);
}

void CmdXRange(CommandContext& ctx) { XRangeGeneric(ctx, false); }
void CmdXRevRange(CommandContext& ctx) { XRangeGeneric(ctx, true); }

void CmdXDel(CommandContext& ctx) {
  auto deleted = OpXDel(ctx.shard, ctx.client.db, ctx.arg(1), ctx.args.subspan(2));
  if (!deleted.ok()) return ReplyError(ctx.reply(), deleted.status());
  ctx.reply().Integer(*deleted);
}

void CmdXSetId(CommandContext& ctx) {
  XSetIdOptions options;
  auto id = ParseStreamId(ctx.arg(2), 0, /*strict=*/true);
  if (!id.ok()) return ReplyError(ctx.reply(), id.status());
  options.last_id = *id;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    const bool more = i + 1 < ctx.argc();
    if (IsOption(ctx.arg(i), "ENTRIESADDED") && more) {
      auto added = IntArg(ctx.arg(i + 1));
      if (!added.ok()) return ReplyError(ctx.reply(), added.status());
      if (*added < 0) return ctx.reply().Error("ERR entries_added must be positive");
      options.entries_added = static_cast<uint64_t>(*added);
    } else if (IsOption(ctx.arg(i), "MAXDELETEDID") && more) {
      auto max_deleted = ParseStreamId(ctx.arg(i + 1), 0, /*strict=*/true);
      if (!max_deleted.ok()) return ReplyError(ctx.reply(), max_deleted.status());
      if (options.last_id < *max_deleted) {
        return ctx.reply().Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
      options.max_deleted_id = *max_deleted;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  Status status = OpXSetId(ctx.shard, ctx.client.db, ctx.arg(1), options);
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

// ---- XREAD / XREADGROUP ----

struct ReadArgs {
  int64_t block_ms = -1;  // -1: no BLOCK
  uint64_t count = 0;     // 0: all
  std::string_view group;
  std::string_view consumer;
  bool has_group = false;
  bool noack = false;
  size_t streams = 0;  // index of the first key
  size_t key_count = 0;
};

Result<ReadArgs> ParseReadArgs(const CommandContext& ctx, bool xreadgroup) {
  ReadArgs args;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - i - 1;
    const std::string_view option = ctx.arg(i);
    if (IsOption(option, "BLOCK") && more > 0) {
      int64_t timeout;
      if (!ParseInt64(ctx.arg(++i), &timeout)) return Status::Error("ERR timeout is not an integer or out of range");
      if (timeout < 0) return Status::Error("ERR timeout is negative");
      if (timeout > INT64_MAX - ctx.shard.now_ms()) return Status::Error("ERR timeout is out of range");
      args.block_ms = timeout;
    } else if (IsOption(option, "COUNT") && more > 0) {
      auto count = IntArg(ctx.arg(++i));
      if (!count.ok()) return count.status();
      args.count = static_cast<uint64_t>(std::max<int64_t>(*count, 0));
    } else if (IsOption(option, "STREAMS") && more > 0) {
      args.streams = i + 1;
      const size_t rest = ctx.argc() - args.streams;
      if (rest % 2 != 0) {
        return Status::Error(std::string("ERR Unbalanced ") + (xreadgroup ? "XREADGROUP" : "XREAD") +
                             " list of streams: for each stream key an ID or '" + (xreadgroup ? ">" : "$") +
                             "' must be specified.");
      }
      args.key_count = rest / 2;
      break;
    } else if (IsOption(option, "GROUP") && more >= 2) {
      if (!xreadgroup) {
        return Status::Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      }
      args.has_group = true;
      args.group = ctx.arg(i + 1);
      args.consumer = ctx.arg(i + 2);
      i += 2;
    } else if (IsOption(option, "NOACK")) {
      if (!xreadgroup) {
        return Status::Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      }
      args.noack = true;
    } else {
      return Status::Syntax();
    }
  }
  if (args.streams == 0) return Status::Syntax();
  if (xreadgroup && !args.has_group) return Status::Error("ERR Missing GROUP option for XREADGROUP");
  return args;
}

// Nothing to serve yet: with BLOCK the client waits for the keys (server/blocking.h
// re-runs `command` when one of them is written); without it, the null is the answer.
void ReplyNothingToServe(CommandContext& ctx, const ReadArgs& args, std::vector<std::string> command = {}) {
  if (args.block_ms < 0) return ctx.reply().NullArray();
  std::vector<std::string> keys;
  for (size_t i = 0; i < args.key_count; ++i) keys.emplace_back(ctx.arg(args.streams + i));
  // XREADGROUP's group dies with its key: it is re-run on any change of the key.
  BlockOrAnswerNothing(ctx, std::move(keys), ValueType::kStream, args.block_ms, BlockingNothing::kNullArray,
                       std::move(command), /*wake_when_gone=*/args.has_group);
}

void CmdXRead(CommandContext& ctx) {
  auto args = ParseReadArgs(ctx, /*xreadgroup=*/false);
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  std::vector<StreamReadKey> keys;
  keys.reserve(args->key_count);
  for (size_t i = 0; i < args->key_count; ++i) {
    const std::string_view key = ctx.arg(args->streams + i);
    const std::string_view id_arg = ctx.arg(args->streams + args->key_count + i);
    // The type is checked (and "$" resolved) key by key, before that key's ID is parsed.
    auto last_id = OpXReadResolveLastId(ctx.shard, ctx.client.db, key);
    if (!last_id.ok()) return ReplyError(ctx.reply(), last_id.status());
    StreamId after;
    if (id_arg == "$") {
      after = *last_id;
    } else if (id_arg == ">") {
      return ctx.reply().Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
    } else {
      auto id = ParseStreamId(id_arg, 0, /*strict=*/true);
      if (!id.ok()) return ReplyError(ctx.reply(), id.status());
      after = *id;
    }
    keys.push_back({key, after});
  }
  auto served = OpXRead(ctx.shard, ctx.client.db, keys, args->count);
  if (!served.ok()) return ReplyError(ctx.reply(), served.status());
  if (served->empty()) {
    // A wait re-runs the command with each "$" fixed to the ID it meant now, so that
    // entries added later are new to it.
    std::vector<std::string> command(ctx.args.begin(), ctx.args.end());
    for (size_t i = 0; i < args->key_count; ++i) {
      std::string& id_arg = command[args->streams + args->key_count + i];
      if (id_arg == "$") id_arg = keys[i].after.ToString();
    }
    return ReplyNothingToServe(ctx, *args, std::move(command));
  }
  ReplyKeyEntries(ctx.reply(), *served);
}

void CmdXReadGroup(CommandContext& ctx) {
  auto args = ParseReadArgs(ctx, /*xreadgroup=*/true);
  if (!args.ok()) return ReplyError(ctx.reply(), args.status());
  std::vector<GroupReadKey> keys;
  keys.reserve(args->key_count);
  for (size_t i = 0; i < args->key_count; ++i) {
    const std::string_view key = ctx.arg(args->streams + i);
    const std::string_view id_arg = ctx.arg(args->streams + args->key_count + i);
    Status check = OpXReadGroupCheck(ctx.shard, ctx.client.db, key, args->group);
    if (!check.ok()) return ReplyError(ctx.reply(), check);
    GroupReadKey read{key, true, {}};
    if (id_arg == "$") {
      return ctx.reply().Error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by "
          "specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result "
          "set.");
    }
    if (id_arg != ">") {
      auto id = ParseStreamId(id_arg, 0, /*strict=*/true);
      if (!id.ok()) return ReplyError(ctx.reply(), id.status());
      // Redis marks ">" internally as the largest ID, so that ID given explicitly reads
      // as ">" too.
      read.new_entries = *id == StreamId::Max();
      read.from = *id;
    }
    keys.push_back(read);
  }
  XReadGroupOptions options;
  options.group = args->group;
  options.consumer = args->consumer;
  options.count = args->count;
  options.noack = args->noack;
  auto served = OpXReadGroup(ctx.shard, ctx.client.db, options, keys);
  if (!served.ok()) return ReplyError(ctx.reply(), served.status());
  if (served->empty()) return ReplyNothingToServe(ctx, *args);
  ReplyKeyEntries(ctx.reply(), *served);
}

// Keys of XREAD/XREADGROUP: the first half of the arguments after STREAMS (Redis's
// xreadGetKeys: options before STREAMS are skipped with their values).
std::vector<int> XReadKeys(std::span<const std::string_view> args) {
  std::vector<int> keys;
  const int argc = static_cast<int>(args.size());
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = args[static_cast<size_t>(i)];
    if (IsOption(arg, "BLOCK") || IsOption(arg, "COUNT")) {
      ++i;
    } else if (IsOption(arg, "GROUP")) {
      i += 2;
    } else if (IsOption(arg, "NOACK")) {
      continue;
    } else if (IsOption(arg, "STREAMS")) {
      const int rest = argc - i - 1;
      if (rest % 2 != 0) return keys;
      for (int k = i + 1; k < i + 1 + rest / 2; ++k) keys.push_back(k);
      return keys;
    } else {
      return keys;
    }
  }
  return keys;
}

// ---- XGROUP ----

// ENTRIESREAD's value: an integer, at least 0 or exactly -1.
Result<int64_t> ParseEntriesRead(std::string_view text) {
  auto value = IntArg(text);
  if (!value.ok()) return value.status();
  if (*value < 0 && *value != kEntriesReadUnknown) return Status::Error("ERR value for ENTRIESREAD must be positive or -1");
  return *value;
}

// XGROUP subcommands read their arguments at fixed places: args[1] is the subcommand,
// args[2] the key, args[3] the group.
void CmdXGroupCreate(CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = kEntriesReadUnknown;
  for (size_t i = 5; i < ctx.argc(); ++i) {
    if (IsOption(ctx.arg(i), "MKSTREAM")) {
      mkstream = true;
    } else if (IsOption(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc()) {
      auto value = ParseEntriesRead(ctx.arg(++i));
      if (!value.ok()) return ReplyError(ctx.reply(), value.status());
      entries_read = *value;
    } else {
      return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "xgroup"));
    }
  }
  if (ctx.argc() > 8) return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "xgroup"));
  Status status = OpXGroupCreate(ctx.shard, ctx.client.db, ctx.arg(2), ctx.arg(3), ctx.arg(4), mkstream, entries_read);
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

void CmdXGroupSetId(CommandContext& ctx) {
  int64_t entries_read = kEntriesReadUnknown;
  for (size_t i = 5; i < ctx.argc(); ++i) {
    if (IsOption(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc()) {
      auto value = ParseEntriesRead(ctx.arg(++i));
      if (!value.ok()) return ReplyError(ctx.reply(), value.status());
      entries_read = *value;
    } else {
      return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "xgroup"));
    }
  }
  if (ctx.argc() != 5 && ctx.argc() != 7) return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "xgroup"));
  Status status = OpXGroupSetId(ctx.shard, ctx.client.db, ctx.arg(2), ctx.arg(3), ctx.arg(4), entries_read);
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

void CmdXGroupDestroy(CommandContext& ctx) {
  auto destroyed = OpXGroupDestroy(ctx.shard, ctx.client.db, ctx.arg(2), ctx.arg(3));
  if (!destroyed.ok()) return ReplyError(ctx.reply(), destroyed.status());
  ctx.reply().Integer(*destroyed);
}

void CmdXGroupCreateConsumer(CommandContext& ctx) {
  auto created = OpXGroupCreateConsumer(ctx.shard, ctx.client.db, ctx.arg(2), ctx.arg(3), ctx.arg(4));
  if (!created.ok()) return ReplyError(ctx.reply(), created.status());
  ctx.reply().Integer(*created);
}

void CmdXGroupDelConsumer(CommandContext& ctx) {
  auto pending = OpXGroupDelConsumer(ctx.shard, ctx.client.db, ctx.arg(2), ctx.arg(3), ctx.arg(4));
  if (!pending.ok()) return ReplyError(ctx.reply(), pending.status());
  ctx.reply().Integer(*pending);
}

void CmdXGroupHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "xgroup",
            {"CREATE <key> <groupname> <id|$> [option]",
             "    Create a new consumer group. Options are:",
             "    * MKSTREAM",
             "      Create the empty stream if it does not exist.",
             "    * ENTRIESREAD entries_read",
             "      Set the group's entries_read counter (internal use).",
             "CREATECONSUMER <key> <groupname> <consumer>",
             "    Create a new consumer in the specified group.",
             "DELCONSUMER <key> <groupname> <consumer>",
             "    Remove the specified consumer.",
             "DESTROY <key> <groupname>",
             "    Remove the specified group.",
             "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
             "    Set the current group ID and entries_read counter."});
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ----

void CmdXAck(CommandContext& ctx) {
  auto acked = OpXAck(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), ctx.args.subspan(3));
  if (!acked.ok()) return ReplyError(ctx.reply(), acked.status());
  ctx.reply().Integer(*acked);
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
void CmdXPending(CommandContext& ctx) {
  const size_t argc = ctx.argc();
  if (argc != 3 && (argc < 6 || argc > 9)) return ReplyError(ctx.reply(), Status::Syntax());
  XPendingRange range;
  if (argc >= 6) {
    size_t first = 3;
    if (IsOption(ctx.arg(3), "IDLE")) {
      auto idle = IntArg(ctx.arg(4));
      if (!idle.ok()) return ReplyError(ctx.reply(), idle.status());
      if (argc < 8) return ReplyError(ctx.reply(), Status::Syntax());
      range.min_idle = *idle;
      first += 2;
    }
    auto count = IntArg(ctx.arg(first + 2));
    if (!count.ok()) return ReplyError(ctx.reply(), count.status());
    range.count = std::max<int64_t>(*count, 0);
    auto start = ParseRangeStart(ctx.arg(first));
    if (!start.ok()) return ReplyError(ctx.reply(), start.status());
    auto end = ParseRangeEnd(ctx.arg(first + 1));
    if (!end.ok()) return ReplyError(ctx.reply(), end.status());
    range.start = *start;
    range.end = *end;
    if (first + 3 < argc) range.consumer = ctx.arg(first + 3);
  }
  ReplyWriter& reply = ctx.reply();
  if (argc == 3) {
    auto summary = OpXPendingSummary(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
    if (!summary.ok()) return ReplyError(reply, summary.status());
    reply.Array(4);
    reply.Integer(static_cast<int64_t>(summary->count));
    if (summary->count == 0) {
      reply.Null();
      reply.Null();
      return reply.NullArray();
    }
    ReplyId(reply, summary->smallest);
    ReplyId(reply, summary->largest);
    reply.Array(summary->consumers.size());
    for (const auto& [name, pending] : summary->consumers) {
      reply.Array(2);
      reply.Bulk(name);
      reply.Bulk(std::to_string(pending));
    }
    return;
  }
  auto rows = OpXPendingRange(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), range);
  if (!rows.ok()) return ReplyError(reply, rows.status());
  reply.Array(rows->size());
  for (const PendingRow& row : *rows) {
    reply.Array(4);
    ReplyId(reply, row.id);
    reply.Bulk(row.consumer);
    reply.Integer(row.idle_ms);
    reply.Integer(static_cast<int64_t>(row.delivery_count));
  }
}

void ReplyClaimed(ReplyWriter& reply, const std::vector<StreamEntry>& claimed, bool just_id) {
  reply.Array(claimed.size());
  for (const StreamEntry& entry : claimed) {
    if (just_id) {
      ReplyId(reply, entry.id);
    } else {
      ReplyEntry(reply, entry);
    }
  }
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
//        [FORCE] [JUSTID] [LASTID id]
void CmdXClaim(CommandContext& ctx) {
  Status group = OpCheckGroup(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
  if (!group.ok()) return ReplyError(ctx.reply(), group);
  int64_t min_idle;
  if (!ParseInt64(ctx.arg(4), &min_idle)) return ctx.reply().Error("ERR Invalid min-idle-time argument for XCLAIM");
  XClaimOptions options;
  options.min_idle = std::max<int64_t>(min_idle, 0);
  // IDs until the first argument that is not one; the rest are options.
  size_t i = 5;
  for (; i < ctx.argc(); ++i) {
    auto id = ParseStreamId(ctx.arg(i), 0, /*strict=*/true);
    if (!id.ok()) break;
    options.ids.push_back(*id);
  }
  const int64_t now = ctx.shard.now_ms();
  for (; i < ctx.argc(); ++i) {
    const bool more = i + 1 < ctx.argc();
    const std::string_view option = ctx.arg(i);
    if (IsOption(option, "FORCE")) {
      options.force = true;
    } else if (IsOption(option, "JUSTID")) {
      options.just_id = true;
    } else if (IsOption(option, "IDLE") && more) {
      int64_t idle;
      if (!ParseInt64(ctx.arg(++i), &idle)) return ctx.reply().Error("ERR Invalid IDLE option argument for XCLAIM");
      // now - idle; a result outside the clock's range is "now" anyway.
      if (__builtin_sub_overflow(now, idle, &options.delivery_time)) options.delivery_time = now;
    } else if (IsOption(option, "TIME") && more) {
      if (!ParseInt64(ctx.arg(++i), &options.delivery_time)) {
        return ctx.reply().Error("ERR Invalid TIME option argument for XCLAIM");
      }
    } else if (IsOption(option, "RETRYCOUNT") && more) {
      if (!ParseInt64(ctx.arg(++i), &options.retry_count)) {
        return ctx.reply().Error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      }
    } else if (IsOption(option, "LASTID") && more) {
      auto id = ParseStreamId(ctx.arg(++i), 0, /*strict=*/true);
      if (!id.ok()) return ReplyError(ctx.reply(), id.status());
      options.last_id = *id;
    } else {
      return ctx.reply().Error("ERR Unrecognized XCLAIM option '" + std::string(option) + "'");
    }
  }
  auto claimed = OpXClaim(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), ctx.arg(3), options);
  if (!claimed.ok()) return ReplyError(ctx.reply(), claimed.status());
  ReplyClaimed(ctx.reply(), *claimed, options.just_id);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void CmdXAutoClaim(CommandContext& ctx) {
  int64_t min_idle;
  if (!ParseInt64(ctx.arg(4), &min_idle)) return ctx.reply().Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
  auto start = ParseRangeStart(ctx.arg(5));
  if (!start.ok()) return ReplyError(ctx.reply(), start.status());
  int64_t count = 100;
  bool just_id = false;
  // COUNT times ten PEL entries may be examined; the product must fit.
  constexpr int64_t kMaxCount = INT64_MAX / 16;
  for (size_t i = 6; i < ctx.argc(); ++i) {
    if (IsOption(ctx.arg(i), "COUNT") && i + 1 < ctx.argc()) {
      if (!ParseInt64(ctx.arg(++i), &count) || count < 1 || count > kMaxCount) {
        return ctx.reply().Error("ERR COUNT must be > 0");
      }
    } else if (IsOption(ctx.arg(i), "JUSTID")) {
      just_id = true;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  // Redis allocates room for COUNT deleted IDs up front and refuses a COUNT whose
  // allocation fails; no machine has a terabyte to spare for it.
  constexpr int64_t kMaxTransientBytes = int64_t{1} << 40;
  if (count > kMaxTransientBytes / static_cast<int64_t>(kEncodedStreamIdSize)) {
    Status group = OpCheckGroup(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2));
    if (!group.ok()) return ReplyError(ctx.reply(), group);
    return ctx.reply().Error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
  }
  auto result = OpXAutoClaim(ctx.shard, ctx.client.db, ctx.arg(1), ctx.arg(2), ctx.arg(3),
                             std::max<int64_t>(min_idle, 0), *start, count, just_id);
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  ReplyWriter& reply = ctx.reply();
  reply.Array(3);
  ReplyId(reply, result->next);
  ReplyClaimed(reply, result->claimed, just_id);
  reply.Array(result->deleted.size());
  for (StreamId id : result->deleted) ReplyId(reply, id);
}

// ---- XINFO ----

Result<const Stream*> FindStreamForInfo(CommandContext& ctx) {
  auto stream = OpFindStream(ctx.shard, ctx.client.db, ctx.arg(2));
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return Status::NoSuchKey();
  return stream;
}

void ReplyOptionalInteger(ReplyWriter& reply, std::optional<int64_t> value) {
  if (value) return reply.Integer(*value);
  reply.Null();
}

std::optional<int64_t> KnownEntriesRead(const ConsumerGroup& group) {
  if (group.entries_read == kEntriesReadUnknown) return std::nullopt;
  return group.entries_read;
}

// The fields XINFO STREAM starts with, with or without FULL.
void ReplyStreamHeader(ReplyWriter& reply, const Stream& stream) {
  reply.Bulk("length");
  reply.Integer(static_cast<int64_t>(stream.length()));
  reply.Bulk("radix-tree-keys");
  reply.Integer(static_cast<int64_t>(stream.nodes().size()));
  reply.Bulk("radix-tree-nodes");
  reply.Integer(static_cast<int64_t>(stream.RadixTreeNodes()));
  reply.Bulk("last-generated-id");
  ReplyId(reply, stream.last_id());
  reply.Bulk("max-deleted-entry-id");
  ReplyId(reply, stream.max_deleted_id());
  reply.Bulk("entries-added");
  reply.Integer(static_cast<int64_t>(stream.entries_added()));
  reply.Bulk("recorded-first-entry-id");
  ReplyId(reply, stream.first_id());
}

// XINFO STREAM key FULL [COUNT n]: the entries, PELs and consumers, `count` of each
// list (0: all).
void ReplyStreamFull(ReplyWriter& reply, const Stream& stream, int64_t count) {
  const auto limit = static_cast<uint64_t>(count);
  reply.Map(9);
  ReplyStreamHeader(reply, stream);
  reply.Bulk("entries");
  std::vector<StreamEntry> entries;
  StreamIterator it(stream, StreamId::Min(), StreamId::Max());
  while ((limit == 0 || entries.size() < limit) && it.Next()) {
    StreamEntry& entry = entries.emplace_back();
    entry.id = it.id();
    it.AppendFields(entry.fields);
  }
  ReplyEntries(reply, entries);
  reply.Bulk("groups");
  reply.Array(stream.group_count());
  if (stream.groups() == nullptr) return;
  for (const auto& [name, group] : *stream.groups()) {
    reply.Map(7);
    reply.Bulk("name");
    reply.Bulk(name);
    reply.Bulk("last-delivered-id");
    ReplyId(reply, group.last_id);
    reply.Bulk("entries-read");
    ReplyOptionalInteger(reply, KnownEntriesRead(group));
    reply.Bulk("lag");
    ReplyOptionalInteger(reply, stream.GroupLag(group));
    reply.Bulk("pel-count");
    reply.Integer(static_cast<int64_t>(group.pel.size()));
    reply.Bulk("pending");
    const size_t pel_shown = limit == 0 ? group.pel.size() : std::min<size_t>(group.pel.size(), limit);
    reply.Array(pel_shown);
    size_t shown = 0;
    for (auto pel = group.pel.begin(); shown < pel_shown; ++pel, ++shown) {
      reply.Array(4);
      ReplyId(reply, pel->first);
      reply.Bulk(pel->second.consumer->name);
      reply.Integer(pel->second.delivery_time);
      reply.Integer(static_cast<int64_t>(pel->second.delivery_count));
    }
    reply.Bulk("consumers");
    reply.Array(group.consumers.size());
    for (const auto& [consumer_name, consumer] : group.consumers) {
      reply.Map(5);
      reply.Bulk("name");
      reply.Bulk(consumer_name);
      reply.Bulk("seen-time");
      reply.Integer(consumer.seen_time);
      reply.Bulk("active-time");  // Redis 7.2
      reply.Integer(consumer.active_time);
      reply.Bulk("pel-count");
      reply.Integer(static_cast<int64_t>(consumer.pending.size()));
      reply.Bulk("pending");
      const size_t own_shown = limit == 0 ? consumer.pending.size() : std::min<size_t>(consumer.pending.size(), limit);
      reply.Array(own_shown);
      size_t own = 0;
      for (auto id = consumer.pending.begin(); own < own_shown; ++id, ++own) {
        const PendingEntry& pending = group.pel.at(*id);
        reply.Array(3);
        ReplyId(reply, *id);
        reply.Integer(pending.delivery_time);
        reply.Integer(static_cast<int64_t>(pending.delivery_count));
      }
    }
  }
}

void CmdXInfoStream(CommandContext& ctx) {
  auto stream = FindStreamForInfo(ctx);
  if (!stream.ok()) return ReplyError(ctx.reply(), stream.status());
  const Stream& s = **stream;
  ReplyWriter& reply = ctx.reply();
  if (ctx.argc() == 3) {
    reply.Map(10);
    ReplyStreamHeader(reply, s);
    reply.Bulk("groups");
    reply.Integer(static_cast<int64_t>(s.group_count()));
    reply.Bulk("first-entry");
    ReplyEdgeEntry(reply, s, false);
    reply.Bulk("last-entry");
    ReplyEdgeEntry(reply, s, true);
    return;
  }
  int64_t count = 10;  // FULL's default keeps one call from walking a huge stream
  if (!IsOption(ctx.arg(3), "FULL") || (ctx.argc() != 4 && (ctx.argc() != 6 || !IsOption(ctx.arg(4), "COUNT")))) {
    return ReplyError(reply, SubcommandSyntaxError(ctx.arg(1), "xinfo"));
  }
  if (ctx.argc() == 6) {
    auto value = IntArg(ctx.arg(5));
    if (!value.ok()) return ReplyError(reply, value.status());
    count = *value < 0 ? 10 : *value;
  }
  ReplyStreamFull(reply, s, count);
}

void CmdXInfoGroups(CommandContext& ctx) {
  auto stream = FindStreamForInfo(ctx);
  if (!stream.ok()) return ReplyError(ctx.reply(), stream.status());
  const Stream& s = **stream;
  ReplyWriter& reply = ctx.reply();
  reply.Array(s.group_count());
  if (s.groups() == nullptr) return;
  for (const auto& [name, group] : *s.groups()) {
    reply.Map(6);
    reply.Bulk("name");
    reply.Bulk(name);
    reply.Bulk("consumers");
    reply.Integer(static_cast<int64_t>(group.consumers.size()));
    reply.Bulk("pending");
    reply.Integer(static_cast<int64_t>(group.pel.size()));
    reply.Bulk("last-delivered-id");
    ReplyId(reply, group.last_id);
    reply.Bulk("entries-read");
    ReplyOptionalInteger(reply, KnownEntriesRead(group));
    reply.Bulk("lag");
    ReplyOptionalInteger(reply, s.GroupLag(group));
  }
}

void CmdXInfoConsumers(CommandContext& ctx) {
  auto stream = FindStreamForInfo(ctx);
  if (!stream.ok()) return ReplyError(ctx.reply(), stream.status());
  const ConsumerGroup* group = (*stream)->FindGroup(ctx.arg(3));
  if (group == nullptr) {
    return ctx.reply().Error("NOGROUP No such consumer group '" + std::string(ctx.arg(3)) + "' for key name '" +
                             std::string(ctx.arg(2)) + "'");
  }
  const int64_t now = ctx.shard.now_ms();
  ReplyWriter& reply = ctx.reply();
  reply.Array(group->consumers.size());
  for (const auto& [name, consumer] : group->consumers) {
    reply.Map(4);
    reply.Bulk("name");
    reply.Bulk(name);
    reply.Bulk("pending");
    reply.Integer(static_cast<int64_t>(consumer.pending.size()));
    reply.Bulk("idle");
    reply.Integer(std::max<int64_t>(0, now - consumer.seen_time));
    reply.Bulk("inactive");  // Redis 7.2: since the last successful read or claim; -1 if none
    reply.Integer(consumer.active_time < 0 ? -1 : std::max<int64_t>(0, now - consumer.active_time));
  }
}

void CmdXInfoHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "xinfo",
            {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.", "GROUPS <key>",
             "    Show the stream consumer groups.", "STREAM <key> [FULL [COUNT <count>]",
             "    Show information about the stream."});
}

// ---- Registration ----

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;

CommandSpec StreamCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                          std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "stream", .summary = std::move(summary), .since = std::move(since),
          .complexity = std::move(complexity)};
}

// A subcommand of XGROUP/XINFO: the key is args[2]; HELP has none.
CommandSpec StreamSubcommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                             std::string since, std::string complexity = "O(1)") {
  const bool keyed = name != "help";
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = keyed ? 2 : 0,
          .last_key = keyed ? 2 : 0, .key_step = keyed ? 1 : 0, .handler = handler, .group = "stream",
          .summary = std::move(summary), .since = std::move(since), .complexity = std::move(complexity)};
}

}  // namespace

void RegisterStreamCommands(CommandTable& table) {
  table.Add(StreamCommand("xadd", -5, kWriteOom | kCmdFast, CmdXAdd,
                          "Appends a new message to a stream. Creates the key if it doesn't exist.", "5.0.0",
                          "O(1) when adding a new entry, O(N) when trimming where N being the number of entries "
                          "evicted."));
  table.Add(StreamCommand("xlen", 2, kCmdReadOnly | kCmdFast, CmdXLen, "Return the number of messages in a stream.",
                          "5.0.0", "O(1)"));
  table.Add(StreamCommand("xrange", -4, kCmdReadOnly, CmdXRange,
                          "Returns the messages from a stream within a range of IDs.", "5.0.0",
                          "O(N) with N being the number of elements being returned. If N is constant (e.g. always "
                          "asking for the first 10 elements with COUNT), you can consider it O(1)."));
  table.Add(StreamCommand("xrevrange", -4, kCmdReadOnly, CmdXRevRange,
                          "Returns the messages from a stream within a range of IDs in reverse order.", "5.0.0",
                          "O(N) with N being the number of elements returned. If N is constant (e.g. always asking "
                          "for the first 10 elements with COUNT), you can consider it O(1)."));
  table.Add(StreamCommand("xdel", -3, kCmdWrite | kCmdFast, CmdXDel,
                          "Returns the number of messages after removing them from a stream.", "5.0.0",
                          "O(1) for each single item to delete in the stream, regardless of the stream size."));
  table.Add(StreamCommand("xtrim", -4, kCmdWrite, CmdXTrim, "Deletes messages from the beginning of a stream.",
                          "5.0.0",
                          "O(N), with N being the number of evicted entries. Constant times are very small however, "
                          "since entries are organized in macro nodes containing multiple entries that can be "
                          "released with a single deallocation."));
  CommandSpec xread = StreamCommand(
      "xread", -4, kCmdReadOnly | kCmdBlocking, CmdXRead,
      "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is "
      "available otherwise.",
      "5.0.0",
      "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing "
      "with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve "
      "the M clients blocked on the stream getting new data.");
  xread.first_key = xread.last_key = xread.key_step = 0;
  xread.key_finder = XReadKeys;
  table.Add(std::move(xread));
  CommandSpec xreadgroup = StreamCommand(
      "xreadgroup", -7, kCmdWrite | kCmdBlocking, CmdXReadGroup,
      "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is "
      "available otherwise.",
      "5.0.0",
      "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always "
      "asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP "
      "blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.");
  xreadgroup.first_key = xreadgroup.last_key = xreadgroup.key_step = 0;
  xreadgroup.key_finder = XReadKeys;
  table.Add(std::move(xreadgroup));
  table.Add({.name = "xgroup", .arity = -2, .group = "stream", .summary = "A container for consumer groups commands.",
             .since = "5.0.0", .complexity = "Depends on subcommand.",
             .subcommands = {
                 StreamSubcommand("create", -5, kWriteOom, CmdXGroupCreate, "Creates a consumer group.", "5.0.0"),
                 StreamSubcommand("createconsumer", 5, kWriteOom, CmdXGroupCreateConsumer,
                                  "Creates a consumer in a consumer group.", "6.2.0"),
                 StreamSubcommand("delconsumer", 5, kCmdWrite, CmdXGroupDelConsumer,
                                  "Deletes a consumer from a consumer group.", "5.0.0"),
                 StreamSubcommand("destroy", 4, kCmdWrite, CmdXGroupDestroy, "Destroys a consumer group.", "5.0.0",
                                  "O(N) where N is the number of entries in the group's pending entries list (PEL)."),
                 StreamSubcommand("setid", -5, kCmdWrite, CmdXGroupSetId,
                                  "Sets the last-delivered ID of a consumer group.", "5.0.0"),
                 StreamSubcommand("help", 2, kCmdLoading | kCmdStale, CmdXGroupHelp,
                                  "Returns helpful text about the different subcommands.", "5.0.0"),
             }});
  table.Add(StreamCommand("xack", -4, kCmdWrite | kCmdFast, CmdXAck,
                          "Returns the number of messages that were successfully acknowledged by the consumer group "
                          "member of a stream.",
                          "5.0.0", "O(1) for each message ID processed."));
  table.Add(StreamCommand("xpending", -3, kCmdReadOnly, CmdXPending,
                          "Returns the information and entries from a stream consumer group's pending entries list.",
                          "5.0.0",
                          "O(N) with N being the number of elements returned, so asking for a small fixed number of "
                          "entries per call is O(1). O(M), where M is the total number of entries scanned when used "
                          "with the IDLE filter. When the command returns just the summary and the list of consumers "
                          "is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every "
                          "consumer."));
  table.Add(StreamCommand("xclaim", -6, kCmdWrite | kCmdFast, CmdXClaim,
                          "Changes, or acquires, ownership of a message in a consumer group, as if the message was "
                          "delivered a consumer group member.",
                          "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group."));
  table.Add(StreamCommand("xautoclaim", -6, kCmdWrite | kCmdFast, CmdXAutoClaim,
                          "Changes, or acquires, ownership of messages in a consumer group, as if the messages were "
                          "delivered to as consumer group member.",
                          "6.2.0", "O(1) if COUNT is small."));
  table.Add({.name = "xinfo", .arity = -2, .group = "stream", .summary = "A container for stream introspection commands.",
             .since = "5.0.0", .complexity = "Depends on subcommand.",
             .subcommands = {
                 StreamSubcommand("consumers", 4, kCmdReadOnly, CmdXInfoConsumers,
                                  "Returns a list of the consumers in a consumer group.", "5.0.0"),
                 StreamSubcommand("groups", 3, kCmdReadOnly, CmdXInfoGroups,
                                  "Returns a list of the consumer groups of a stream.", "5.0.0"),
                 StreamSubcommand("stream", -3, kCmdReadOnly, CmdXInfoStream, "Returns information about a stream.",
                                  "5.0.0"),
                 StreamSubcommand("help", 2, kCmdLoading | kCmdStale, CmdXInfoHelp,
                                  "Returns helpful text about the different subcommands.", "5.0.0"),
             }});
  table.Add(StreamCommand("xsetid", -3, kWriteOom | kCmdFast, CmdXSetId,
                          "An internal command for replicating stream values.", "5.0.0", "O(1)"));
}

}  // namespace tierkv
