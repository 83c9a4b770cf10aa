// CONFIG GET SET RESETSTAT REWRITE HELP. The parameters themselves, their
// parsing and validation live in the Config table (server/config.cc).
#include <utility>
#include <vector>

#include "server/client_info.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/info.h"
#include "server/server.h"

namespace tierkv {
namespace {

// A map (RESP3) of name -> value; a flat array in RESP2.
void CmdConfigGet(CommandContext& ctx) {
  const auto pairs = ctx.server.config().Get(ctx.args.subspan(2));
  ctx.reply().Map(pairs.size());
  for (const auto& [name, value] : pairs) {
    ctx.reply().Bulk(name);
    ctx.reply().Bulk(value);
  }
}

void CmdConfigSet(CommandContext& ctx) {
  if ((ctx.argc() - 2) % 2 != 0) return ctx.reply().Error(WrongArgCountError("config|set"));
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) pairs.emplace_back(ctx.arg(i), ctx.arg(i + 1));
  const bool allow_protected = AllowProtectedAction(ctx.server.settings().enable_protected_configs, ctx.client);
  Status status = ctx.server.config().SetAtRuntime(pairs, allow_protected);
  if (!status.ok()) return ReplyError(ctx.reply(), status);
  ctx.reply().Ok();
}

void CmdConfigResetStat(CommandContext& ctx) {
  ResetStats(ctx.server);
  ctx.reply().Ok();
}

void CmdConfigRewrite(CommandContext& ctx) {
  const std::string& path = ctx.server.config().config_file();
  if (path.empty()) return ctx.reply().Error("ERR The server is running without a config file");
  Status status = ctx.server.config().Rewrite();
  if (!status.ok()) return ctx.reply().Error("ERR Rewriting config file: " + status.message());
  ctx.reply().Ok();
}

void CmdConfigHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "config",
            {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
             "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT",
             "    Reset statistics reported by the INFO command.", "REWRITE",
             "    Rewrite the configuration file."});
}

}  // namespace

void RegisterConfigCommands(CommandTable& table) {
  const uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  table.Add(
      {.name = "config",
       .arity = -2,
       .group = "server",
       .summary = "A container for server configuration commands.",
       .since = "2.0.0",
       .complexity = "Depends on subcommand.",
       .subcommands = {
           Subcommand("server", "get", -3, kAdmin, CmdConfigGet,
                      "Returns the effective values of configuration parameters.", "2.0.0",
                      "O(N) when N is the number of configuration parameters provided"),
           Subcommand("server", "set", -4, kAdmin, CmdConfigSet, "Sets configuration parameters in-flight.", "2.0.0",
                      "O(N) when N is the number of configuration parameters provided"),
           Subcommand("server", "resetstat", 2, kAdmin, CmdConfigResetStat, "Resets the server's statistics.", "2.0.0"),
           Subcommand("server", "rewrite", 2, kAdmin, CmdConfigRewrite, "Persists the effective configuration to file.",
                      "2.8.0"),
           Subcommand("server", "help", 2, kCmdLoading | kCmdStale, CmdConfigHelp,
                      "Returns helpful text about the different subcommands.", "5.0.0"),
       }});
}

}  // namespace tierkv
