// DEBUG: the subcommands test suites and tools rely on (SLEEP, SET-ACTIVE-EXPIRE,
// OBJECT, DIGEST, DIGEST-VALUE, PROTOCOL, CHANGE-REPL-ID, LOG, ERROR, HELP), refused
// unless enable-debug-command allows the caller, with Redis 7's error text.
// As in Redis, DEBUG is one command whose subcommand the handler picks (so
// unknown subcommands get DEBUG's own error, not the container error).
#include <chrono>
#include <thread>

#include "engine/digest.h"
#include "server/client_info.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/info.h"
#include "server/log.h"
#include "server/server.h"
#include "tiering/rdb_format.h"
#include "tiering/rdb_object.h"

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
                std::string(EncodingName(entry->value_encoding())).c_str(), SerializedLength(*entry), entry->access & 0xFFFFFF,
                ctx.shard.IdleSeconds(entry));
  ctx.reply().SimpleString(text);
}

void DebugDigestValue(CommandContext& ctx) {
  ctx.reply().Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const Entry* entry = ctx.db().Peek(ctx.arg(i));
    ctx.reply().SimpleString(HexDigest(entry ? ValueDigest(*entry) : Sha1Hash{}));
  }
}

void DebugSleep(CommandContext& ctx) {
  // Blocks the engine thread on purpose: tests use it to stand for a slow command.
  double seconds = 0;
  (void)ParseDouble(ctx.arg(2), &seconds);  // Redis uses strtod: junk counts as 0
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  ctx.reply().Ok();
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

void DebugHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "debug",
            {"CHANGE-REPL-ID",
             "    Change the replication IDs of the instance.",
             "DIGEST",
             "    Output a hex signature representing the current DB content.",
             "DIGEST-VALUE <key> [<key> ...]",
             "    Output a hex signature of the values of all the specified keys.",
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
             "SET-ACTIVE-EXPIRE <0|1>",
             "    Setting it to 0 disables expiring keys in background when they are not",
             "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
             "    default.",
             "SLEEP <seconds>",
             "    Stop the server for <seconds>. Decimals allowed."});
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
  if (IsOption(sub, "digest") && argc == 2) return ctx.reply().SimpleString(HexDigest(DatasetDigest(ctx.shard)));
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
  ctx.reply().Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub.substr(0, 128)) +
                    "'. Try DEBUG HELP.");
}

}  // namespace

void RegisterDebugCommands(CommandTable& table) {
  table.Add({.name = "debug", .arity = -2, .flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
             .handler = CmdDebug, .group = "server", .summary = "A container for debugging commands.",
             .since = "1.0.0", .complexity = "Depends on subcommand."});
}

}  // namespace tierkv
