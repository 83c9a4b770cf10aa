// ACL CAT DELUSER DRYRUN GENPASS GETUSER LIST LOAD LOG SAVE SETUSER USERS WHOAMI HELP.
#include <cstdio>
#include <random>

#include "server/acl/acl_categories.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

constexpr const char* kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL "
    "SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order "
    "to store users in the Redis configuration.";

void CmdAclSetUser(CommandContext& ctx) {
  const std::string_view name = ctx.arg(2);
  if (name.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string_view::npos) {
    return ctx.reply().Error("ERR Usernames can't contain spaces or null characters");
  }
  Status status = ctx.server.acl().SetUser(name, ctx.args.subspan(3));
  if (!status.ok()) return ctx.reply().Error(status.message());
  ctx.server.DisconnectSubscribersWithoutAccess(*ctx.server.acl().Find(name), ctx.client);
  ctx.reply().Ok();
}

// A selector's commands, keys and channels, as ACL GETUSER shows them.
void ReplySelector(ReplyWriter& reply, const AclSelector& selector) {
  reply.Bulk("commands");
  reply.Bulk(selector.CommandsText());
  reply.Bulk("keys");
  reply.Bulk(selector.KeysText());
  reply.Bulk("channels");
  reply.Bulk(selector.ChannelsText());
}

void CmdAclGetUser(CommandContext& ctx) {
  const std::shared_ptr<AclUser> user = ctx.server.acl().Find(ctx.arg(2));
  if (user == nullptr) return ctx.reply().Null();
  ReplyWriter& reply = ctx.reply();
  reply.Map(6);
  reply.Bulk("flags");
  reply.BulkArray(user->Flags());
  reply.Bulk("passwords");
  reply.BulkArray(user->password_hashes());
  ReplySelector(reply, user->root());
  reply.Bulk("selectors");
  reply.Array(user->extra_selectors().size());
  for (const AclSelector& selector : user->extra_selectors()) {
    reply.Map(3);
    ReplySelector(reply, selector);
  }
}

void CmdAclDelUser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (ctx.arg(i) == "default") return ctx.reply().Error("ERR The 'default' user cannot be removed");
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const std::shared_ptr<AclUser> user = ctx.server.acl().DeleteUser(ctx.arg(i));
    if (user == nullptr) continue;
    ++deleted;
    ctx.server.DisconnectUser(user.get(), ctx.client);
  }
  ctx.reply().Integer(deleted);
}

void CmdAclList(CommandContext& ctx) {
  std::vector<std::string> lines;
  for (const auto& [name, user] : ctx.server.acl().users()) lines.push_back("user " + name + " " + user->Describe());
  ctx.reply().BulkArray(lines);
}

void CmdAclUsers(CommandContext& ctx) {
  std::vector<std::string> names;
  for (const auto& [name, user] : ctx.server.acl().users()) names.push_back(name);
  ctx.reply().BulkArray(names);
}

void CmdAclWhoami(CommandContext& ctx) { ctx.reply().Bulk(ctx.server.UserOf(ctx.client).name()); }

void CmdAclCat(CommandContext& ctx) {
  std::vector<std::string> names;
  if (ctx.argc() == 2) {
    for (std::string_view name : AclCategoryNames()) names.emplace_back(name);
    return ctx.reply().BulkArray(names);
  }
  const auto category = FindAclCategory(ctx.arg(2));
  if (!category) return ctx.reply().Error("ERR Unknown category '" + std::string(ctx.arg(2)) + "'");
  const uint32_t bit = 1u << *category;
  for (const auto& command : ctx.server.commands().all()) {
    if (command->acl_categories & bit) names.push_back(command->name);
    for (const CommandSpec& sub : command->subcommands) {
      if (sub.acl_categories & bit) names.push_back(command->name + "|" + sub.name);
    }
  }
  ctx.reply().BulkArray(names);
}

void CmdAclLog(CommandContext& ctx) {
  Acl& acl = ctx.server.acl();
  size_t count = 10;
  if (ctx.argc() == 3) {
    if (IsOption(ctx.arg(2), "reset")) {
      acl.ResetLog();
      return ctx.reply().Ok();
    }
    auto n = IntArg(ctx.arg(2));
    if (!n.ok()) return ReplyError(ctx.reply(), n.status());
    count = *n < 0 ? 0 : static_cast<size_t>(*n);  // Redis answers a negative count with no entries
  }
  const int64_t now = Shard::WallClockMs();
  ReplyWriter& reply = ctx.reply();
  const size_t shown = std::min(count, acl.log().size());
  reply.Array(shown);
  for (size_t i = 0; i < shown; ++i) {
    const AclLogEntry& entry = acl.log()[i];
    reply.Map(10);
    reply.Bulk("count");
    reply.Integer(static_cast<int64_t>(entry.count));
    reply.Bulk("reason");
    reply.Bulk(entry.reason);
    reply.Bulk("context");
    reply.Bulk(entry.context);
    reply.Bulk("object");
    reply.Bulk(entry.object);
    reply.Bulk("username");
    reply.Bulk(entry.username);
    reply.Bulk("age-seconds");
    reply.Double(static_cast<double>(now - entry.updated_ms) / 1000.0);
    reply.Bulk("client-info");
    reply.Bulk(entry.client_info);
    reply.Bulk("entry-id");
    reply.Integer(static_cast<int64_t>(entry.entry_id));
    reply.Bulk("timestamp-created");
    reply.Integer(entry.created_ms);
    reply.Bulk("timestamp-last-updated");
    reply.Integer(entry.updated_ms);
  }
}

void CmdAclSave(CommandContext& ctx) {
  const std::string& path = ctx.server.settings().aclfile;
  if (path.empty()) return ctx.reply().Error(kNoAclFile);
  if (!ctx.server.acl().SaveFile(path).ok()) {
    return ctx.reply().Error("ERR There was an error trying to save the ACLs. Please check the server logs for more "
                             "information");
  }
  ctx.reply().Ok();
}

void CmdAclLoad(CommandContext& ctx) {
  const std::string& path = ctx.server.settings().aclfile;
  if (path.empty()) return ctx.reply().Error(kNoAclFile);
  Acl& acl = ctx.server.acl();
  // The users before the load: clients of a user that is gone, or replaced, disconnect.
  const auto before = acl.users();
  Status status = acl.LoadFile(path);
  if (!status.ok()) return ctx.reply().Error("ERR " + status.message());
  for (const auto& [name, user] : before) {
    if (user != acl.default_user()) ctx.server.DisconnectUser(user.get(), ctx.client);
  }
  ctx.server.DisconnectSubscribersWithoutAccess(*acl.default_user(), ctx.client);
  ctx.reply().Ok();
}

void CmdAclGenPass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.argc() == 3) {
    auto n = IntArg(ctx.arg(2));
    if (!n.ok() || *n <= 0 || *n > 4096) {
      return ctx.reply().Error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to "
          "4096");
    }
    bits = *n;
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::random_device device;  // the kernel's entropy: a password must not be guessable
  static constexpr char kHex[] = "0123456789abcdef";
  std::string password;
  while (password.size() < chars) {
    uint32_t word = device();
    for (int i = 0; i < 8 && password.size() < chars; ++i, word >>= 4) password.push_back(kHex[word & 15]);
  }
  ctx.reply().Bulk(password);
}

void CmdAclDryRun(CommandContext& ctx) {
  const std::shared_ptr<AclUser> user = ctx.server.acl().Find(ctx.arg(2));
  if (user == nullptr) return ctx.reply().Error("ERR User '" + std::string(ctx.arg(2)) + "' not found");
  const std::span<const std::string_view> command = ctx.args.subspan(3);
  const CommandSpec* spec = ctx.server.commands().Find(command[0]);
  const CommandSpec* parent = nullptr;
  if (spec != nullptr && !spec->subcommands.empty() && command.size() >= 2) {
    parent = spec;
    spec = CommandTable::FindSubcommand(*parent, command[1]);
  }
  if (spec == nullptr) return ctx.reply().Error("ERR Command '" + std::string(command[0]) + "' not found");
  const std::string full_name = parent != nullptr ? parent->name + "|" + spec->name : spec->name;
  if (!ArityMatches(spec->arity, command.size())) return ctx.reply().Error(WrongArgCountError(full_name));
  const AclVerdict verdict = user->Check(*spec, parent, command);
  switch (verdict.denial) {
    case AclDenial::kNone:
      return ctx.reply().Ok();
    case AclDenial::kCommand:
      return ctx.reply().Bulk("This user has no permissions to run the '" + full_name + "' command");
    case AclDenial::kKey:
      return ctx.reply().Bulk("This user has no permissions to access the '" + std::string(command[verdict.position]) +
                              "' key");
    case AclDenial::kChannel:
      return ctx.reply().Bulk("This user has no permissions to access the '" +
                              std::string(command[verdict.position]) + "' channel");
    case AclDenial::kAuth:
      break;
  }
  ctx.reply().Ok();
}

void CmdAclHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "acl",
            {"CAT [<category>]",
             "    List all commands that belong to <category>, or all command categories",
             "    when no category is specified.",
             "DELUSER <username> [<username> ...]",
             "    Delete a list of users.",
             "DRYRUN <username> <command> [<arg> ...]",
             "    Returns whether the user can execute the given command without executing the command.",
             "GETUSER <username>",
             "    Get the user's details.",
             "GENPASS [<bits>]",
             "    Generate a secure 256-bit user password. The optional `bits` argument can",
             "    be used to specify a different size.",
             "LIST",
             "    Show users details in config file format.",
             "LOAD",
             "    Reload users from the ACL file.",
             "LOG [<count> | RESET]",
             "    Show the ACL log entries.",
             "SAVE",
             "    Save the current config to the ACL file.",
             "SETUSER <username> <attribute> [<attribute> ...]",
             "    Create or modify a user with the specified attributes.",
             "USERS",
             "    List all the registered usernames.",
             "WHOAMI",
             "    Return the current connection username."});
}

}  // namespace

void RegisterAclCommands(CommandTable& table) {
  const uint32_t kPlain = kCmdNoScript | kCmdLoading | kCmdStale;
  const uint32_t kAdmin = kCmdAdmin | kPlain;
  table.Add({.name = "acl",
             .arity = -2,
             .group = "server",
             .summary = "A container for Access List Control commands.",
             .since = "6.0.0",
             .complexity = "Depends on subcommand.",
             .subcommands = {
                 Subcommand("server", "cat", -2, kPlain, CmdAclCat,
                            "Lists the ACL categories, or the commands inside a category.", "6.0.0",
                            "O(1) since the categories and commands are a fixed set."),
                 Subcommand("server", "deluser", -3, kAdmin, CmdAclDelUser,
                            "Deletes ACL users, and terminates their connections.", "6.0.0",
                            "O(1) amortized time considering the typical user."),
                 Subcommand("server", "dryrun", -4, kAdmin, CmdAclDryRun,
                            "Simulates the execution of a command by a user, without executing the command.", "7.0.0",
                            "O(1)."),
                 Subcommand("server", "genpass", -2, kPlain, CmdAclGenPass,
                            "Generates a pseudorandom, secure password that can be used to identify ACL users.",
                            "6.0.0", "O(1)"),
                 Subcommand("server", "getuser", 3, kAdmin, CmdAclGetUser, "Lists the ACL rules of a user.", "6.0.0",
                            "O(N). Where N is the number of password, command and pattern rules that the user has."),
                 Subcommand("server", "help", 2, kCmdLoading | kCmdStale, CmdAclHelp,
                            "Returns helpful text about the different subcommands.", "6.0.0", "O(1)"),
                 Subcommand("server", "list", 2, kAdmin, CmdAclList,
                            "Dumps the effective rules in ACL file format.", "6.0.0",
                            "O(N). Where N is the number of configured users."),
                 Subcommand("server", "load", 2, kAdmin, CmdAclLoad, "Reloads the rules from the configured ACL file.",
                            "6.0.0", "O(N). Where N is the number of configured users."),
                 Subcommand("server", "log", -2, kAdmin, CmdAclLog,
                            "Lists recent security events generated due to ACL rules.", "6.0.0",
                            "O(N) with N being the number of entries shown."),
                 Subcommand("server", "save", 2, kAdmin, CmdAclSave,
                            "Saves the effective ACL rules in the configured ACL file.", "6.0.0",
                            "O(N). Where N is the number of configured users."),
                 Subcommand("server", "setuser", -3, kAdmin, CmdAclSetUser,
                            "Creates and modifies an ACL user and its rules.", "6.0.0",
                            "O(N). Where N is the number of rules provided."),
                 Subcommand("server", "users", 2, kAdmin, CmdAclUsers, "Lists all ACL users.", "6.0.0",
                            "O(N). Where N is the number of configured users."),
                 Subcommand("server", "whoami", 2, kPlain, CmdAclWhoami,
                            "Returns the authenticated username of the current connection.", "6.0.0", "O(1)"),
             }});
}

}  // namespace tierkv
