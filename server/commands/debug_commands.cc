// DEBUG: the subcommands test suites and tools rely on (SLEEP, SET-ACTIVE-EXPIRE,
// OBJECT, DIGEST, DIGEST-VALUE, PROTOCOL, CHANGE-REPL-ID, LOG, ERROR, POPULATE,
// QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-LEN, the layout reports of
// server/commands/debug_structure.h, HELP, and tierkv's TIER-READS fault hook), refused
// unless enable-debug-command allows the caller, with Redis 7's error text.
// As in Redis, DEBUG is one command whose subcommand the handler picks (so
// unknown subcommands get DEBUG's own error, not the container error).
#include <chrono>
#include <climits>
#include <cstdlib>
#include <random>
#include <thread>

#include "engine/debug_ops.h"
#include "engine/digest.h"
#include "engine/glob.h"
#include "engine/rdb/rdb_format.h"
#include "engine/rdb/rdb_object.h"
#include "server/client_info.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/debug_structure.h"
#include "server/commands/help.h"
#include "server/config.h"
#include "server/error_reply.h"
#include "server/info.h"
#include "server/log.h"
#include "server/server.h"
#include "tiering/durability.h"

namespace tierkv {
namespace {

// Redis shares the integer objects 0..9999 (refcount INT_MAX) unless an
// LRU/LFU maxmemory policy needs per-object access times.
constexpr int64_t kSharedIntegers = 10000;
constexpr int kSharedRefcount = 2147483647;

int Refcount(const Shard& shard, const Entry& entry) {
  if (entry.type != ValueType::kString || entry.encoding != Encoding::kInt) return 1;
  const EvictionPolicy policy = shard.options().policy;
  const bool per_object_access = shard.options().maxmemory > 0 &&
                                 (policy == EvictionPolicy::kAllKeysLru || policy == EvictionPolicy::kAllKeysLfu ||
                                  policy == EvictionPolicy::kVolatileLru || policy == EvictionPolicy::kVolatileLfu);
  int64_t value;
  if (per_object_access || !ParseInt64(entry.string_value(), &value)) return 1;
  return value >= 0 && value < kSharedIntegers ? kSharedRefcount : 1;
}

// Bytes the value takes in an RDB file (rdbSavedObjectLen), type byte excluded.
size_t SerializedLength(const Entry& entry) {
  std::string bytes;
  RdbWriter writer(&bytes);
  WriteRdbObject(writer, entry);
  return bytes.size() - 1;
}

void DebugObject(CommandContext& ctx) {
  // Peek: DEBUG shows what is stored, without expiring or touching it.
  const Entry* entry = ctx.db().Peek(ctx.arg(2));
  if (entry == nullptr) return ReplyError(ctx.reply(), Status::NoSuchKey());
  char text[256];
  std::snprintf(text, sizeof(text),
                "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u lru_seconds_idle:%u",
                static_cast<const void*>(entry), Refcount(ctx.shard, *entry),
                std::string(EncodingName(entry->value_encoding())).c_str(),
                entry->is_cold() ? 0 : SerializedLength(*entry), entry->access & 0xFFFFFF, ctx.shard.IdleSeconds(entry));
  // A value only in the tier is shown as such, without reading it back.
  ctx.reply().SimpleString(entry->is_cold() ? std::string(text) + " tier:cold" : std::string(text));
}

void DebugDigestValue(CommandContext& ctx) {
  ctx.reply().Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    Entry* entry = ctx.db().Peek(ctx.arg(i));
    if (entry != nullptr && entry->is_cold()) entry = ctx.db().Load(entry);  // DEBUG: may block
    ctx.reply().SimpleString(HexDigest(entry ? ValueDigest(*entry) : Sha1Hash{}));
  }
}

void DebugSleep(CommandContext& ctx) {
  // Blocks the engine thread on purpose: tests use it to stand for a slow command.
  // Redis reads the seconds with strtod: a number prefix counts ("0.5s" sleeps 0.5 s),
  // junk counts as 0.
  const std::string text(ctx.arg(2));
  const double seconds = std::strtod(text.c_str(), nullptr);
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
  ctx.reply().Ok();
}

// Redis's getPositiveLongFromObjectOrReply: an integer from 0 to LONG_MAX, with one
// error for a non-integer and a negative one alike.
Result<int64_t> NonNegativeArg(std::string_view text) {
  int64_t value;
  if (!ParseInt64(text, &value) || value < 0) return Status::Error("ERR value is out of range, must be positive");
  return value;
}

// DEBUG POPULATE <count> [<prefix>] [<size>]
void DebugPopulate(CommandContext& ctx) {
  auto count = NonNegativeArg(ctx.arg(2));
  if (!count.ok()) return ReplyError(ctx.reply(), count.status());
  auto size = ctx.argc() == 5 ? NonNegativeArg(ctx.arg(4)) : Result<int64_t>(int64_t{0});
  if (!size.ok()) return ReplyError(ctx.reply(), size.status());
  const std::string_view prefix = ctx.argc() >= 4 ? ctx.arg(3) : "key";
  (void)OpPopulate(ctx.shard, ctx.client.db, static_cast<uint64_t>(*count), prefix, static_cast<size_t>(*size));
  ctx.reply().Ok();
}

// DEBUG QUICKLIST-PACKED-THRESHOLD <size>: list elements of at least <size> bytes get a
// plain node (0 restores the default rule).
void DebugQuicklistPackedThreshold(CommandContext& ctx) {
  // Redis refuses sizes up to 1 MiB short of 4 GiB and above.
  constexpr uint64_t kLimit = (uint64_t{1} << 32) - (uint64_t{1} << 20);
  uint64_t bytes;
  if (!ParseMemory(ctx.arg(2), &bytes) || bytes > kLimit) {
    return ctx.reply().Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
  }
  ctx.shard.options().limits.list_packed_threshold = static_cast<size_t>(bytes);
  ctx.reply().Ok();
}

// DEBUG STRINGMATCH-LEN: matches random patterns against random strings, as Redis's
// stringmatchlen_fuzz_test, to show that no pattern makes the matcher crash or run away.
void DebugStringMatchLen(CommandContext& ctx) {
  constexpr int kCycles = 100000;
  constexpr size_t kMaxLength = 32;
  std::mt19937 random(std::random_device{}());
  std::string pattern;
  std::string text;
  auto fill = [&](std::string& bytes) {
    bytes.resize(random() % kMaxLength);
    for (char& c : bytes) c = static_cast<char>(random() % 128);
  };
  uint64_t matches = 0;
  for (int i = 0; i < kCycles; ++i) {
    fill(pattern);
    fill(text);
    matches += GlobMatch(pattern, text) ? 1 : 0;
  }
  LogVerbose("DEBUG STRINGMATCH-LEN: " + std::to_string(matches) + " matches");
  ctx.reply().SimpleString("Apparently Redis did not crash: test passed");
}

// DEBUG PROTOCOL <type>: one reply of each RESP3 type, for client library tests.
void DebugProtocol(CommandContext& ctx) {
  ReplyWriter& r = ctx.reply();
  std::string_view type = ctx.arg(2);
  if (IsOption(type, "string")) return r.Bulk("Hello World");
  if (IsOption(type, "integer")) return r.Integer(12345);
  if (IsOption(type, "double")) return r.Double(3.141);
  if (IsOption(type, "bignum")) return r.BigNumber("1234567999999999999999999999999999999");
  if (IsOption(type, "null")) return r.Null();
  if (IsOption(type, "array") || IsOption(type, "set")) {
    IsOption(type, "set") ? r.Set(3) : r.Array(3);
    for (int i = 0; i < 3; ++i) r.Integer(i);
    return;
  }
  if (IsOption(type, "map")) {
    r.Map(3);
    for (int i = 0; i < 3; ++i) {
      r.Integer(i);
      r.Boolean(i == 1);
    }
    return;
  }
  if (IsOption(type, "attrib")) {
    if (r.resp3()) {
      r.Attribute(1);
      r.Bulk("key-popularity");
      r.Array(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    // An attribute is not a reply: a real one follows.
    return r.Bulk("Some real reply following the attribute");
  }
  if (IsOption(type, "push")) {
    if (!r.resp3()) return r.Error("ERR RESP2 is not supported by this command");
    r.Push(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    return r.Bulk("Some real reply following the push reply");
  }
  if (IsOption(type, "verbatim")) return r.Verbatim("This is a verbatim\nstring");
  if (IsOption(type, "true")) return r.Boolean(true);
  if (IsOption(type, "false")) return r.Boolean(false);
  r.Error(
      "ERR Wrong protocol type name. Please use one of the following: "
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
}

// DEBUG TIER-READS FAIL <count> | PAUSE | RESUME (tierkv): faults in reads of cold values,
// for tests of the paths a failing or slow disk takes (tiering/tier_read_faults.h).
void DebugTierReads(CommandContext& ctx) {
  if (ctx.server.durability() == nullptr) return ctx.reply().Error("ERR no tier is configured");
  TierReadFaults& faults = ctx.server.durability()->read_faults();
  const std::string_view action = ctx.arg(2);
  int64_t count = 0;
  if (IsOption(action, "fail") && ctx.argc() == 4) {
    if (!ParseInt64(ctx.arg(3), &count) || count < 0) return ReplyError(ctx.reply(), Status::NotInteger());
    faults.Fail(static_cast<uint64_t>(count));
  } else if (IsOption(action, "pause") && ctx.argc() == 3) {
    faults.Pause();
  } else if (IsOption(action, "resume") && ctx.argc() == 3) {
    faults.Resume();
  } else {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  ctx.reply().Ok();
}

void DebugHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "debug",
            {"CHANGE-REPL-ID",
             "    Change the replication IDs of the instance.",
             "DIGEST",
             "    Output a hex signature representing the current DB content.",
             "DIGEST-VALUE <key> [<key> ...]",
             "    Output a hex signature of the values of all the specified keys.",
             "HTSTATS <dbid> [full]",
             "    Return hash table statistics of the specified Redis database.",
             "HTSTATS-KEY <key> [full]",
             "    Like HTSTATS but for the hash table stored at <key>'s value.",
             "LISTPACK <key>",
             "    Show low level info about the listpack encoding of <key>.",
             "ERROR <string>",
             "    Return a Redis protocol error with <string> as message. Useful for clients",
             "    unit tests to simulate Redis errors.",
             "LOG <message>",
             "    Write <message> to the server log.",
             "PROTOCOL <type>",
             "    Reply with a test value of the specified type. <type> can be: string,",
             "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
             "    true, false.",
             "OBJECT <key>",
             "    Show low level info about the value at <key>.",
             "POPULATE <count> [<prefix>] [<size>]",
             "    Create <count> string keys named key:<num>. If <prefix> is specified then",
             "    it is used instead of the 'key' prefix. These are not propagated to",
             "    replicas. Cluster slots are not respected so keys not belonging to the",
             "    current node can be created in cluster mode.",
             "QUICKLIST <key> [<0|1>]",
             "    Show low level info about the quicklist encoding of <key>.",
             "    The 0 option prints only the quicklist nodes' size; 1 prints every node.",
             "QUICKLIST-PACKED-THRESHOLD <size>",
             "    Sets the threshold for elements to be inserted as plain vs packed nodes",
             "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
             "SET-ACTIVE-EXPIRE <0|1>",
             "    Setting it to 0 disables expiring keys in background when they are not",
             "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
             "    default.",
             "SLEEP <seconds>",
             "    Stop the server for <seconds>. Decimals allowed.",
             "STRINGMATCH-LEN",
             "    Run a fuzz tester against the stringmatchlen() function.",
             "TIER-READS FAIL <count> | PAUSE | RESUME",
             "    Make the next <count> reads of cold values fail, or hold reads on the",
             "    tier's read thread until RESUME (reads on the engine thread never wait)."});
}

void CmdDebug(CommandContext& ctx) {
  if (!AllowProtectedAction(ctx.server.settings().enable_debug_command, ctx.client)) {
    return ctx.reply().Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it "
        "from a local connection, otherwise you need to set this option in the configuration file, and then "
        "restart the server.");
  }
  std::string_view sub = ctx.arg(1);
  const size_t argc = ctx.argc();
  if (IsOption(sub, "help") && argc == 2) return DebugHelp(ctx);
  if (IsOption(sub, "sleep") && argc == 3) return DebugSleep(ctx);
  if (IsOption(sub, "object") && argc == 3) return DebugObject(ctx);
  if (IsOption(sub, "digest") && argc == 2) {
    // Every value takes part: cold ones are read back first (DEBUG: may block).
    for (int db = 0; db < ctx.shard.db_count(); ++db) ctx.shard.db(db).MakeResidentWhere([](const Entry&) { return true; });
    return ctx.reply().SimpleString(HexDigest(DatasetDigest(ctx.shard)));
  }
  if (IsOption(sub, "digest-value") && argc >= 2) return DebugDigestValue(ctx);
  if (IsOption(sub, "set-active-expire") && argc == 3) {
    // Redis reads the flag with atoi: anything but a non-zero number disables.
    int64_t flag = 0;
    (void)ParseInt64(ctx.arg(2), &flag);
    ctx.shard.set_active_expire_enabled(flag != 0);
    return ctx.reply().Ok();
  }
  if (IsOption(sub, "change-repl-id") && argc == 2) {
    ctx.server.info_counters().replid = RandomHex40();
    return ctx.reply().Ok();
  }
  if (IsOption(sub, "log") && argc == 3) {
    LogWarning("DEBUG LOG: " + std::string(ctx.arg(2)));
    return ctx.reply().Ok();
  }
  if (IsOption(sub, "protocol") && argc == 3) return DebugProtocol(ctx);
  if (IsOption(sub, "reload") && argc == 2) {
    // A checkpoint round, then the keyspace is dropped and recovered from disk.
    if (ctx.server.durability() == nullptr) return ctx.reply().Ok();
    ctx.server.SuspendClient(ctx.client);
    return ctx.server.ReloadFromDisk(ctx.client.id);
  }
  if (IsOption(sub, "error") && argc == 3) return ctx.reply().Error(ctx.arg(2));
  if (IsOption(sub, "populate") && argc >= 3 && argc <= 5) return DebugPopulate(ctx);
  if (IsOption(sub, "quicklist-packed-threshold") && argc == 3) return DebugQuicklistPackedThreshold(ctx);
  if (IsOption(sub, "stringmatch-len") && argc == 2) return DebugStringMatchLen(ctx);
  if (IsOption(sub, "htstats") && argc >= 3) return DebugHtStats(ctx);
  if (IsOption(sub, "htstats-key") && argc >= 3) return DebugHtStatsKey(ctx);
  if (IsOption(sub, "listpack") && argc == 3) return DebugListpack(ctx);
  if (IsOption(sub, "quicklist") && (argc == 3 || argc == 4)) return DebugQuicklist(ctx);
  if (IsOption(sub, "tier-reads") && argc >= 3) return DebugTierReads(ctx);
  ReplyError(ctx.reply(), SubcommandSyntaxError(sub, "debug"));
}

}  // namespace

void RegisterDebugCommands(CommandTable& table) {
  table.Add({.name = "debug", .arity = -2, .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
             .handler = CmdDebug, .group = "server", .summary = "A container for debugging commands.",
             .since = "1.0.0", .complexity = "Depends on subcommand."});
}

}  // namespace tierkv
