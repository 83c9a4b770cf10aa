// FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/DUMP/RESTORE/HELP. The handlers parse;
// server/scripting/function_libraries.h keeps the libraries, and every change that
// succeeds is handed to the server to journal (Server::FunctionsChanged).
#include <chrono>
#include <iterator>
#include <string>
#include <vector>

#include "engine/glob.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"

namespace tierkv {
namespace {

constexpr const char* kFlagNames[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"};
constexpr uint32_t kFlagBits[] = {kScriptNoWrites, kScriptAllowOom, kScriptAllowStale, kScriptNoCluster,
                                  kScriptAllowCrossSlotKeys};

FunctionLibraries& Libraries(CommandContext& ctx) { return ctx.server.scripting().functions(); }

void CmdFunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t next = 2;
  for (; next + 1 < ctx.argc(); ++next) {
    if (!EqualsIgnoreCase(ctx.arg(next), "replace")) {
      return ctx.reply().Error("ERR Unknown option given: " + std::string(ctx.arg(next)));
    }
    replace = true;
  }
  std::string name;
  const std::string error = Libraries(ctx).Load(ctx.arg(next), replace, &name);
  if (!error.empty()) return ctx.reply().Error(error);
  ctx.server.FunctionsChanged();
  ctx.reply().Bulk(name);
}

void CmdFunctionDelete(CommandContext& ctx) {
  if (!Libraries(ctx).Delete(ctx.arg(2))) return ctx.reply().Error("ERR Library not found");
  ctx.server.FunctionsChanged();
  ctx.reply().Ok();
}

// The libraries are small: ASYNC and SYNC both drop them at once.
void CmdFunctionFlush(CommandContext& ctx) {
  if (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.arg(2), "sync") && !EqualsIgnoreCase(ctx.arg(2), "async")) {
    return ctx.reply().Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  Libraries(ctx).Flush();
  ctx.server.FunctionsChanged();
  ctx.reply().Ok();
}

void ReplyFunction(ReplyWriter& reply, const LuaFunction& function) {
  reply.Map(3);
  reply.Bulk("name");
  reply.Bulk(function.name);
  reply.Bulk("description");
  if (function.has_description) {
    reply.Bulk(function.description);
  } else {
    reply.Null();
  }
  reply.Bulk("flags");
  size_t count = 0;
  for (uint32_t bit : kFlagBits) count += (function.flags & bit) ? 1 : 0;
  reply.Set(count);
  for (size_t i = 0; i < std::size(kFlagBits); ++i) {
    if (function.flags & kFlagBits[i]) reply.Bulk(kFlagNames[i]);
  }
}

void CmdFunctionList(CommandContext& ctx) {
  bool with_code = false;
  bool filtered = false;
  std::string_view pattern;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (!with_code && EqualsIgnoreCase(ctx.arg(i), "withcode")) {
      with_code = true;
      continue;
    }
    if (!filtered && EqualsIgnoreCase(ctx.arg(i), "libraryname")) {
      if (i + 1 >= ctx.argc()) return ctx.reply().Error("ERR library name argument was not given");
      filtered = true;
      pattern = ctx.arg(++i);
      continue;
    }
    return ctx.reply().Error("ERR Unknown argument " + std::string(ctx.arg(i)));
  }
  std::vector<const FunctionLibrary*> listed;
  for (const auto& [name, library] : Libraries(ctx).libraries()) {
    if (!filtered || GlobMatch(pattern, name, true)) listed.push_back(&library);
  }
  ReplyWriter& reply = ctx.reply();
  reply.Array(listed.size());
  for (const FunctionLibrary* library : listed) {
    reply.Map(with_code ? 4 : 3);
    reply.Bulk("library_name");
    reply.Bulk(library->name);
    reply.Bulk("engine");
    reply.Bulk("LUA");
    reply.Bulk("functions");
    reply.Array(library->functions.size());
    for (const auto& [name, function] : library->functions) ReplyFunction(reply, function);
    if (with_code) {
      reply.Bulk("library_code");
      reply.Bulk(library->code);
    }
  }
}

void CmdFunctionStats(CommandContext& ctx) {
  ReplyWriter& reply = ctx.reply();
  const ScriptEngine& scripting = ctx.server.scripting();
  reply.Map(2);
  reply.Bulk("running_script");
  const ScriptEngine::RunState* run = scripting.run();
  if (run == nullptr || !run->function) {
    reply.Null();
  } else {
    reply.Map(3);
    reply.Bulk("name");
    reply.Bulk(run->name);
    reply.Bulk("command");
    reply.BulkArray(run->command);
    reply.Bulk("duration_ms");
    reply.Integer(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - run->started)
                      .count());
  }
  reply.Bulk("engines");
  reply.Map(1);
  reply.Bulk("LUA");
  reply.Map(2);
  reply.Bulk("libraries_count");
  reply.Integer(static_cast<int64_t>(scripting.functions().libraries().size()));
  reply.Bulk("functions_count");
  reply.Integer(static_cast<int64_t>(scripting.functions().function_count()));
}

void CmdFunctionKill(CommandContext& ctx) {
  const std::string_view refusal = KillRefusal(ctx.server.scripting().Kill(true), true);
  if (!refusal.empty()) return ctx.reply().Error(refusal);
  ctx.reply().Ok();
}

void CmdFunctionDump(CommandContext& ctx) { ctx.reply().Bulk(Libraries(ctx).Dump()); }

void CmdFunctionRestore(CommandContext& ctx) {
  if (ctx.argc() > 4) {
    return ctx.reply().Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(ctx.arg(1)) +
                             "'. Try FUNCTION HELP.");
  }
  RestorePolicy policy = RestorePolicy::kAppend;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "append")) {
      policy = RestorePolicy::kAppend;
    } else if (EqualsIgnoreCase(ctx.arg(3), "replace")) {
      policy = RestorePolicy::kReplace;
    } else if (EqualsIgnoreCase(ctx.arg(3), "flush")) {
      policy = RestorePolicy::kFlush;
    } else {
      return ctx.reply().Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  const std::string error = Libraries(ctx).Restore(ctx.arg(2), policy);
  if (!error.empty()) return ctx.reply().Error(error);
  ctx.server.FunctionsChanged();
  ctx.reply().Ok();
}

void CmdFunctionHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "function",
            {"LOAD [REPLACE] <FUNCTION CODE>",
             "    Create a new library with the given library name and code.",
             "DELETE <LIBRARY NAME>",
             "    Delete the given library.",
             "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
             "    Return general information on all the libraries:",
             "    * Library name",
             "    * The engine used to run the Library",
             "    * Library description",
             "    * Functions list",
             "    * Library code (if WITHCODE is given)",
             "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
             "STATS",
             "    Return information about the current function running:",
             "    * Function name",
             "    * Command used to run the function",
             "    * Duration in MS that the function is running",
             "    If no function is running, return nil",
             "    In addition, returns a list of available engines.",
             "KILL",
             "    Kill the current running function.",
             "FLUSH [ASYNC|SYNC]",
             "    Delete all the libraries.",
             "    When called without the optional mode argument, the behavior is determined by the",
             "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
             "    * ASYNC: Asynchronously flush the libraries.",
             "    * SYNC: Synchronously flush the libraries.",
             "DUMP",
             "    Return a serialized payload representing the current libraries, can be restored using FUNCTION "
             "RESTORE command",
             "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
             "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
             "    control how to handle existing libraries (default APPEND):",
             "    * FLUSH: delete all existing libraries.",
             "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
             "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
             "      libraries with the new libraries (notice that even on this option there is a chance of failure",
             "      in case of functions name collision with another library)."});
}

}  // namespace

void RegisterFunctionCommands(CommandTable& table) {
  const std::string kGroup = "scripting";
  CommandSpec function{.name = "function", .arity = -2, .group = kGroup,
                       .summary = "A container for function commands", .since = "7.0.0",
                       .complexity = "Depends on subcommand."};
  auto add = [&](std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                 std::string complexity) {
    function.subcommands.push_back(
        Subcommand(kGroup, std::move(name), arity, flags, handler, std::move(summary), "7.0.0", std::move(complexity)));
  };
  add("delete", 3, kCmdWrite | kCmdNoScript, CmdFunctionDelete, "Deletes a library and its functions.", "O(1)");
  add("dump", 2, kCmdNoScript, CmdFunctionDump, "Dumps all libraries into a serialized binary payload.",
      "O(N) where N is the number of functions");
  add("flush", -2, kCmdWrite | kCmdNoScript, CmdFunctionFlush, "Deletes all libraries and functions.",
      "O(N) where N is the number of functions deleted");
  add("help", 2, kCmdLoading | kCmdStale, CmdFunctionHelp, "Returns helpful text about the different subcommands.",
      "O(1)");
  add("kill", 2, kCmdNoScript | kCmdAllowBusy, CmdFunctionKill, "Terminates a function during execution.", "O(1)");
  add("list", -2, kCmdNoScript, CmdFunctionList, "Returns information about all libraries.",
      "O(N) where N is the number of functions");
  add("load", -3, kCmdWrite | kCmdDenyOom | kCmdNoScript, CmdFunctionLoad, "Creates a library.",
      "O(1) (considering compilation time is redundant)");
  add("restore", -3, kCmdWrite | kCmdDenyOom | kCmdNoScript, CmdFunctionRestore,
      "Restores all libraries from a payload.", "O(N) where N is the number of functions on the payload");
  add("stats", 2, kCmdNoScript | kCmdAllowBusy, CmdFunctionStats,
      "Returns information about a function during execution.", "O(1)");
  table.Add(std::move(function));
}

}  // namespace tierkv
