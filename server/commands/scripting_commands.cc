// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP.
// The handlers parse; server/scripting/script_engine.h compiles, caches and runs.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "engine/number.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"

namespace tierkv {
namespace {

// EVAL/EVALSHA script numkeys key... arg...: the keys and args, or false after the error reply.
// FCALL words a bad count differently.
bool ParseScriptArguments(CommandContext& ctx, std::span<const std::string_view>* keys,
                          std::span<const std::string_view>* args,
                          std::string_view bad_count = "ERR value is not an integer or out of range") {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(2), &numkeys)) {
    ctx.reply().Error(bad_count);
    return false;
  }
  const int64_t available = static_cast<int64_t>(ctx.argc()) - 3;
  if (numkeys > available) {
    ctx.reply().Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (numkeys < 0) {
    ctx.reply().Error("ERR Number of keys can't be negative");
    return false;
  }
  *keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  *args = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  return true;
}

void Eval(CommandContext& ctx, bool read_only) {
  std::span<const std::string_view> keys, args;
  if (!ParseScriptArguments(ctx, &keys, &args)) return;
  std::string sha;
  const std::string error = ctx.server.scripting().Load(ctx.arg(1), &sha);
  if (!error.empty()) return ctx.reply().Error(error);
  ctx.server.scripting().Run(ctx.client, sha, keys, args, read_only);
}

void EvalSha(CommandContext& ctx, bool read_only) {
  std::span<const std::string_view> keys, args;
  if (!ParseScriptArguments(ctx, &keys, &args)) return;
  std::string sha(ctx.arg(1));
  if (sha.size() != 40) return ctx.reply().Error("NOSCRIPT No matching script. Please use EVAL.");
  std::transform(sha.begin(), sha.end(), sha.begin(), [](unsigned char c) { return std::tolower(c); });
  ctx.server.scripting().Run(ctx.client, sha, keys, args, read_only);
}

// FCALL / FCALL_RO function numkeys key... arg...
void FCall(CommandContext& ctx, bool read_only) {
  if (ctx.server.scripting().functions().Find(ctx.arg(1)) == nullptr) return ctx.reply().Error("ERR Function not found");
  std::span<const std::string_view> keys, args;
  if (!ParseScriptArguments(ctx, &keys, &args, "ERR Bad number of keys provided")) return;
  ctx.server.scripting().CallFunction(ctx.client, ctx.arg(1), keys, args, read_only, ctx.args);
}

void CmdEval(CommandContext& ctx) { Eval(ctx, false); }
void CmdFCall(CommandContext& ctx) { FCall(ctx, false); }
void CmdFCallRo(CommandContext& ctx) { FCall(ctx, true); }
void CmdEvalRo(CommandContext& ctx) { Eval(ctx, true); }
void CmdEvalSha(CommandContext& ctx) { EvalSha(ctx, false); }
void CmdEvalShaRo(CommandContext& ctx) { EvalSha(ctx, true); }

void CmdScriptLoad(CommandContext& ctx) {
  std::string sha;
  const std::string error = ctx.server.scripting().Load(ctx.arg(2), &sha);
  if (!error.empty()) return ctx.reply().Error(error);
  ctx.reply().Bulk(sha);
}

void CmdScriptExists(CommandContext& ctx) {
  ctx.reply().Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string sha(ctx.arg(i));
    std::transform(sha.begin(), sha.end(), sha.begin(), [](unsigned char c) { return std::tolower(c); });
    ctx.reply().Integer(ctx.server.scripting().Exists(sha) ? 1 : 0);
  }
}

// The cache is small and the functions are Lua's to collect: ASYNC and SYNC both
// forget the scripts at once.
void CmdScriptFlush(CommandContext& ctx) {
  if (ctx.argc() > 3 || (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.arg(2), "sync") &&
                         !EqualsIgnoreCase(ctx.arg(2), "async"))) {
    return ctx.reply().Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  ctx.server.scripting().Flush();
  ctx.reply().Ok();
}

void CmdScriptKill(CommandContext& ctx) {
  const std::string_view refusal = KillRefusal(ctx.server.scripting().Kill(false), false);
  if (!refusal.empty()) return ctx.reply().Error(refusal);
  ctx.reply().Ok();
}

void CmdScriptHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "script",
            {"EXISTS <sha1> [<sha1> ...]",
             "    Return information about the existence of the scripts in the script cache.",
             "FLUSH [ASYNC|SYNC]",
             "    Flush the Lua scripts cache. Very dangerous on replicas.",
             "    When called without the optional mode argument, the behavior is determined by the",
             "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
             "    * ASYNC: Asynchronously flush the scripts cache.",
             "    * SYNC: Synchronously flush the scripts cache.",
             "KILL",
             "    Kill the currently executing Lua script.",
             "LOAD <script>",
             "    Load a script into the scripts cache without executing it."});
}

// EVAL's keys: the numkeys arguments after numkeys (none if it does not parse).
std::vector<int> EvalKeys(std::span<const std::string_view> args) {
  std::vector<int> keys;
  int64_t numkeys = 0;
  if (args.size() < 3 || !ParseInt64(args[2], &numkeys) || numkeys <= 0) return keys;
  for (int64_t i = 0; i < numkeys && 3 + static_cast<size_t>(i) < args.size(); ++i) {
    keys.push_back(static_cast<int>(3 + i));
  }
  return keys;
}

CommandSpec EvalCommand(std::string name, uint32_t flags, CommandHandler handler, std::string summary) {
  return {.name = std::move(name), .arity = -3,
          .flags = flags | kCmdNoScript | kCmdStale | kCmdSkipMonitor | kCmdNoMandatoryKeys, .handler = handler,
          .group = "scripting", .summary = std::move(summary), .since = "", .complexity = "Depends on the script that is executed.",
          .key_finder = EvalKeys};
}

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  CommandSpec eval = EvalCommand("eval", 0, CmdEval, "Executes a server-side Lua script.");
  eval.since = "2.6.0";
  table.Add(std::move(eval));
  CommandSpec evalsha = EvalCommand("evalsha", 0, CmdEvalSha, "Executes a server-side Lua script by SHA1 digest.");
  evalsha.since = "2.6.0";
  table.Add(std::move(evalsha));
  CommandSpec eval_ro = EvalCommand("eval_ro", kCmdReadOnly, CmdEvalRo, "Executes a read-only server-side Lua script.");
  eval_ro.since = "7.0.0";
  table.Add(std::move(eval_ro));
  CommandSpec evalsha_ro =
      EvalCommand("evalsha_ro", kCmdReadOnly, CmdEvalShaRo, "Executes a read-only server-side Lua script by SHA1 digest.");
  evalsha_ro.since = "7.0.0";
  table.Add(std::move(evalsha_ro));

  CommandSpec fcall = EvalCommand("fcall", 0, CmdFCall, "Invokes a function.");
  fcall.since = "7.0.0";
  fcall.complexity = "Depends on the function that is executed.";
  table.Add(std::move(fcall));
  CommandSpec fcall_ro = EvalCommand("fcall_ro", kCmdReadOnly, CmdFCallRo, "Invokes a read-only function.");
  fcall_ro.since = "7.0.0";
  fcall_ro.complexity = "Depends on the function that is executed.";
  table.Add(std::move(fcall_ro));

  const std::string kGroup = "scripting";
  CommandSpec script{.name = "script", .arity = -2, .group = kGroup,
                     .summary = "A container for Lua scripts management commands", .since = "2.6.0",
                     .complexity = "Depends on subcommand."};
  script.subcommands.push_back(Subcommand(kGroup, "exists", -3, kCmdNoScript, CmdScriptExists,
                                          "Determines whether server-side Lua scripts exist in the script cache.",
                                          "2.6.0", "O(N) with N being the number of scripts to check (so checking a "
                                                   "single script is an O(1) operation)."));
  script.subcommands.push_back(Subcommand(kGroup, "flush", -2, kCmdNoScript, CmdScriptFlush,
                                          "Removes all server-side Lua scripts from the script cache.", "2.6.0",
                                          "O(N) with N being the number of scripts in cache"));
  script.subcommands.push_back(Subcommand(kGroup, "help", 2, kCmdLoading | kCmdStale, CmdScriptHelp,
                                          "Returns helpful text about the different subcommands.", "5.0.0"));
  script.subcommands.push_back(Subcommand(kGroup, "kill", 2, kCmdNoScript | kCmdAllowBusy, CmdScriptKill,
                                          "Terminates a server-side Lua script during execution.", "2.6.0"));
  script.subcommands.push_back(Subcommand(kGroup, "load", 3, kCmdNoScript | kCmdStale, CmdScriptLoad,
                                          "Loads a server-side Lua script to the script cache.", "2.6.0",
                                          "O(N) with N being the length in bytes of the script body."));
  table.Add(std::move(script));
}

}  // namespace tierkv
