// COMMAND, COMMAND COUNT|LIST|INFO|DOCS|GETKEYS|GETKEYSANDFLAGS|HELP: all
// derived from the command table, in Redis 7's reply shapes. ACL categories
// are the table's (server/acl/acl_categories.h); key specs are
// Redis's own (server/command_key_specs.cc), and so are the docs
// (server/command_docs.h).
#include <algorithm>
#include <string>
#include <vector>

#include "engine/glob.h"
#include "server/acl/acl_categories.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_docs.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/error_reply.h"
#include "server/key_specs.h"
#include "server/server.h"

namespace tierkv {
namespace {

// COMMAND INFO flag names, in Redis's order. kCmdNoQueue, kCmdRandom and
// kCmdNoPropagate are tierkv-internal (Redis 7 shows nondeterminism as a tip).
struct FlagName {
  uint32_t flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},       {kCmdReadOnly, "readonly"},   {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},       {kCmdPubSub, "pubsub"},       {kCmdNoScript, "noscript"},
    {kCmdBlocking, "blocking"}, {kCmdLoading, "loading"},     {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"}, {kCmdSkipSlowlog, "skip_slowlog"}, {kCmdFast, "fast"},    {kCmdNoAuth, "no_auth"},
    {kCmdNoMandatoryKeys, "no_mandatory_keys"}, {kCmdNoMulti, "no_multi"},  {kCmdAllowBusy, "allow_busy"},
};

std::vector<std::string> FlagNames(const CommandSpec& spec) {
  std::vector<std::string> names;
  for (const FlagName& f : kFlagNames) {
    if (f.flag == kCmdAllowBusy) continue;
    if (spec.flags & f.flag) names.push_back(f.name);
  }
  if (spec.key_finder != nullptr) names.push_back("movablekeys");
  if (spec.flags & kCmdAllowBusy) names.push_back("allow_busy");
  return names;
}

// Redis's tips that no flag implies: a cluster proxy's request and response policies,
// and nondeterminism of commands whose replay is not at stake. Those of the scripting
// commands so far (FUNCTION and SCRIPT, as Redis 7.0's table files them).
struct CommandTips {
  std::string_view name;  // full name
  std::vector<std::string> tips;
};
const std::vector<CommandTips>& TipsTable() {
  static const std::vector<CommandTips> table = {
      {"function|delete", {"request_policy:all_shards", "response_policy:all_succeeded"}},
      {"function|flush", {"request_policy:all_shards", "response_policy:all_succeeded"}},
      {"function|kill", {"request_policy:all_shards", "response_policy:one_succeeded"}},
      {"function|list", {"nondeterministic_output_order"}},
      {"function|load", {"request_policy:all_shards", "response_policy:all_succeeded"}},
      {"function|restore", {"request_policy:all_shards", "response_policy:all_succeeded"}},
      {"function|stats", {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}},
      {"script|exists", {"request_policy:all_shards", "response_policy:agg_logical_and"}},
      {"script|flush", {"request_policy:all_nodes", "response_policy:all_succeeded"}},
      {"script|kill", {"request_policy:all_shards", "response_policy:one_succeeded"}},
      {"script|load", {"request_policy:all_nodes", "response_policy:all_succeeded"}},
  };
  return table;
}

std::vector<std::string> Tips(const CommandSpec& spec, const CommandSpec* parent) {
  if (parent != nullptr) {
    const std::string full_name = parent->name + "|" + spec.name;
    for (const CommandTips& row : TipsTable()) {
      if (row.name == full_name) return row.tips;
    }
  }
  if (spec.flags & kCmdRandom) return {"nondeterministic_output"};
  return {};
}

void StatusSet(ReplyWriter& reply, const std::vector<std::string>& items) {
  reply.Set(items.size());
  for (const std::string& item : items) reply.SimpleString(item);
}

// One key spec as Redis 7 shows it: {notes, flags, begin_search, find_keys}.
void ReplyKeySpec(ReplyWriter& reply, const KeySpec& spec) {
  reply.Map(spec.notes != nullptr ? 4 : 3);
  if (spec.notes != nullptr) {
    reply.Bulk("notes");
    reply.Bulk(spec.notes);
  }
  reply.Bulk("flags");
  StatusSet(reply, KeySpecFlagNames(spec.flags));
  reply.Bulk("begin_search");
  reply.Map(2);
  reply.Bulk("type");
  switch (spec.begin) {
    case KeySpec::Begin::kIndex:
      reply.Bulk("index");
      reply.Bulk("spec");
      reply.Map(1);
      reply.Bulk("index");
      reply.Integer(spec.index);
      break;
    case KeySpec::Begin::kKeyword:
      reply.Bulk("keyword");
      reply.Bulk("spec");
      reply.Map(2);
      reply.Bulk("keyword");
      reply.Bulk(spec.keyword);
      reply.Bulk("startfrom");
      reply.Integer(spec.index);
      break;
    case KeySpec::Begin::kUnknown:
      reply.Bulk("unknown");
      reply.Bulk("spec");
      reply.Map(0);
      break;
  }
  reply.Bulk("find_keys");
  reply.Map(2);
  reply.Bulk("type");
  switch (spec.find) {
    case KeySpec::Find::kRange:
      reply.Bulk("range");
      reply.Bulk("spec");
      reply.Map(3);
      reply.Bulk("lastkey");
      reply.Integer(spec.last_key);
      reply.Bulk("keystep");
      reply.Integer(spec.key_step);
      reply.Bulk("limit");
      reply.Integer(spec.limit);
      break;
    case KeySpec::Find::kKeynum:
      reply.Bulk("keynum");
      reply.Bulk("spec");
      reply.Map(3);
      reply.Bulk("keynumidx");
      reply.Integer(spec.keynum_index);
      reply.Bulk("firstkey");
      reply.Integer(spec.first_key);
      reply.Bulk("keystep");
      reply.Integer(spec.key_step);
      break;
    case KeySpec::Find::kUnknown:
      reply.Bulk("unknown");
      reply.Bulk("spec");
      reply.Map(0);
      break;
  }
}

void KeySpecs(ReplyWriter& reply, const CommandSpec& spec) {
  // A set of key specs in Redis 7 (hence '~' in RESP3).
  reply.Set(spec.key_specs.size());
  for (const KeySpec& key_spec : spec.key_specs) ReplyKeySpec(reply, key_spec);
}

// The 10-element COMMAND INFO array. `parent` is set for subcommands.
void ReplyCommandInfo(ReplyWriter& reply, const CommandSpec& spec, const CommandSpec* parent) {
  reply.Array(10);
  reply.Bulk(parent ? parent->name + "|" + spec.name : spec.name);
  reply.Integer(spec.arity);
  StatusSet(reply, FlagNames(spec));
  reply.Integer(spec.first_key);
  reply.Integer(spec.last_key);
  reply.Integer(spec.key_step);
  StatusSet(reply, AclCategoryLabels(spec.acl_categories));
  // Tips are bulk strings, unlike flags and categories.
  const std::vector<std::string> tips = Tips(spec, parent);
  reply.Set(tips.size());
  for (const std::string& tip : tips) reply.Bulk(tip);
  KeySpecs(reply, spec);
  // Redis answers an empty set when there are no subcommands, an array otherwise.
  if (spec.subcommands.empty()) return reply.Set(0);
  reply.Array(spec.subcommands.size());
  for (const CommandSpec& sub : spec.subcommands) ReplyCommandInfo(reply, sub, &spec);
}

void ReplyIfSet(ReplyWriter& reply, const char* field, const std::string& value) {
  if (value.empty()) return;
  reply.Bulk(field);
  reply.Bulk(value);
}

// COMMAND DOCS "arguments": an array of maps, nested for oneof and block.
void ReplyArgumentDocs(ReplyWriter& reply, const std::vector<ArgumentDoc>& arguments) {
  reply.Array(arguments.size());
  for (const ArgumentDoc& arg : arguments) {
    const size_t fields = 2 + !arg.display_text.empty() + (arg.key_spec_index >= 0) + !arg.token.empty() +
                          !arg.summary.empty() + !arg.since.empty() + !arg.deprecated_since.empty() +
                          (arg.flags != 0) + !arg.arguments.empty();
    reply.Map(fields);
    reply.Bulk("name");
    reply.Bulk(arg.name);
    reply.Bulk("type");
    reply.Bulk(arg.type);
    ReplyIfSet(reply, "display_text", arg.display_text);
    if (arg.key_spec_index >= 0) {
      reply.Bulk("key_spec_index");
      reply.Integer(arg.key_spec_index);
    }
    ReplyIfSet(reply, "token", arg.token);
    ReplyIfSet(reply, "summary", arg.summary);
    ReplyIfSet(reply, "since", arg.since);
    ReplyIfSet(reply, "deprecated_since", arg.deprecated_since);
    if (arg.flags != 0) {
      reply.Bulk("flags");
      StatusSet(reply, ArgumentFlagNames(arg.flags));
    }
    if (!arg.arguments.empty()) {
      reply.Bulk("arguments");
      ReplyArgumentDocs(reply, arg.arguments);
    }
  }
}

// One command's COMMAND DOCS map, in Redis's field order.
void ReplyCommandDocs(ReplyWriter& reply, const CommandSpec& spec) {
  const CommandDocs& docs = spec.docs;
  const size_t fields = 3 + !spec.complexity.empty() + (docs.flags != 0) + !docs.deprecated_since.empty() +
                        !docs.replaced_by.empty() + !docs.history.empty() + !docs.arguments.empty() +
                        !spec.subcommands.empty();
  reply.Map(fields);
  reply.Bulk("summary");
  reply.Bulk(spec.summary);
  reply.Bulk("since");
  reply.Bulk(spec.since);
  reply.Bulk("group");
  reply.Bulk(spec.group);
  ReplyIfSet(reply, "complexity", spec.complexity);
  if (docs.flags != 0) {
    reply.Bulk("doc_flags");
    StatusSet(reply, DocFlagNames(docs.flags));
  }
  ReplyIfSet(reply, "deprecated_since", docs.deprecated_since);
  ReplyIfSet(reply, "replaced_by", docs.replaced_by);
  if (!docs.history.empty()) {
    // A set of [version, change] pairs in Redis 7 (hence '~' in RESP3).
    reply.Bulk("history");
    reply.Set(docs.history.size());
    for (const CommandDocs::Change& change : docs.history) {
      reply.Array(2);
      reply.Bulk(change.since);
      reply.Bulk(change.what);
    }
  }
  if (!docs.arguments.empty()) {
    reply.Bulk("arguments");
    ReplyArgumentDocs(reply, docs.arguments);
  }
  if (!spec.subcommands.empty()) {
    reply.Bulk("subcommands");
    reply.Map(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) {
      reply.Bulk(spec.name + "|" + sub.name);
      ReplyCommandDocs(reply, sub);
    }
  }
}

// A command named as COMMAND INFO accepts it: "get", or "config|get" for a subcommand.
struct Found {
  const CommandSpec* spec = nullptr;
  const CommandSpec* parent = nullptr;
};

Found LookupByFullName(const CommandTable& table, std::string_view name) {
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) return {table.Find(name), nullptr};
  const CommandSpec* parent = table.Find(name.substr(0, bar));
  if (parent == nullptr) return {};
  const CommandSpec* sub = CommandTable::FindSubcommand(*parent, name.substr(bar + 1));
  return sub ? Found{sub, parent} : Found{};
}

void CmdCommand(CommandContext& ctx) {
  const auto& all = ctx.server.commands().all();
  ctx.reply().Array(all.size());
  for (const auto& spec : all) ReplyCommandInfo(ctx.reply(), *spec, nullptr);
}

void CmdCommandCount(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.commands().all().size()));
}

void CmdCommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) return CmdCommand(ctx);
  ctx.reply().Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const Found found = LookupByFullName(ctx.server.commands(), ctx.arg(i));
    if (found.spec == nullptr) {
      ctx.reply().Null();
    } else {
      ReplyCommandInfo(ctx.reply(), *found.spec, found.parent);
    }
  }
}

void CmdCommandDocs(CommandContext& ctx) {
  std::vector<std::pair<std::string, const CommandSpec*>> specs;
  if (ctx.argc() == 2) {
    for (const auto& spec : ctx.server.commands().all()) specs.emplace_back(spec->name, spec.get());
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const Found found = LookupByFullName(ctx.server.commands(), ctx.arg(i));
      if (found.spec == nullptr) continue;  // unknown names are left out
      specs.emplace_back(found.parent ? found.parent->name + "|" + found.spec->name : found.spec->name, found.spec);
    }
  }
  ctx.reply().Map(specs.size());
  for (const auto& [name, spec] : specs) {
    ctx.reply().Bulk(name);
    ReplyCommandDocs(ctx.reply(), *spec);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
void CmdCommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view value;
  if (ctx.argc() == 5 && IsOption(ctx.arg(2), "filterby")) {
    value = ctx.arg(4);
    if (IsOption(ctx.arg(3), "module")) {
      filter = Filter::kModule;
    } else if (IsOption(ctx.arg(3), "aclcat")) {
      filter = Filter::kAclCat;
    } else if (IsOption(ctx.arg(3), "pattern")) {
      filter = Filter::kPattern;
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  } else if (ctx.argc() != 2) {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  std::vector<std::string> names;
  auto consider = [&](const CommandSpec& spec, const std::string& name) {
    switch (filter) {
      case Filter::kNone:
        break;
      case Filter::kModule:
        return;  // no modules
      case Filter::kAclCat: {
        const auto category = FindAclCategory(value);
        if (!category || !(spec.acl_categories & (1u << *category))) return;
        break;
      }
      case Filter::kPattern:
        if (!GlobMatch(value, name, /*nocase=*/true)) return;
        break;
    }
    names.push_back(name);
  };
  for (const auto& spec : ctx.server.commands().all()) {
    consider(*spec, spec->name);
    for (const CommandSpec& sub : spec->subcommands) consider(sub, spec->name + "|" + sub.name);
  }
  ctx.reply().BulkArray(names);
}

// Shared by GETKEYS and GETKEYSANDFLAGS: the keys of args[2..] with their
// flags, or an error reply (false).
bool FindKeys(CommandContext& ctx, std::vector<KeyReference>* keys) {
  const std::span<const std::string_view> command = ctx.args.subspan(2);
  const CommandSpec* spec = ctx.server.commands().Find(command[0]);
  if (spec != nullptr && !spec->subcommands.empty() && command.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, command[1]);
  }
  if (spec == nullptr) {
    ctx.reply().Error("ERR Invalid command specified");
    return false;
  }
  if (!HasKeyArguments(*spec)) {
    ctx.reply().Error("ERR The command has no key arguments");
    return false;
  }
  if (!ArityMatches(spec->arity, command.size())) {
    ctx.reply().Error("ERR Invalid number of arguments specified for command");
    return false;
  }
  *keys = KeysWithFlags(*spec, command);
  if (keys->empty()) {
    ctx.reply().Error("ERR Invalid arguments specified for command");
    return false;
  }
  return true;
}

void CmdCommandGetKeys(CommandContext& ctx) {
  std::vector<KeyReference> keys;
  if (!FindKeys(ctx, &keys)) return;
  ctx.reply().Array(keys.size());
  for (const KeyReference& key : keys) ctx.reply().Bulk(ctx.arg(2 + static_cast<size_t>(key.position)));
}

void CmdCommandGetKeysAndFlags(CommandContext& ctx) {
  std::vector<KeyReference> keys;
  if (!FindKeys(ctx, &keys)) return;
  ctx.reply().Array(keys.size());
  for (const KeyReference& key : keys) {
    ctx.reply().Array(2);
    ctx.reply().Bulk(ctx.arg(2 + static_cast<size_t>(key.position)));
    StatusSet(ctx.reply(), KeySpecFlagNames(key.flags));
  }
}

void CmdCommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "command",
            {"(no subcommand)",
             "    Return details about all commands.",
             "COUNT",
             "    Return the total number of commands in this server.",
             "LIST",
             "    Return a list of all commands in this server.",
             "INFO [<command-name> ...]",
             "    Return details about multiple commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.",
             "DOCS [<command-name> ...]",
             "    Return documentation details about multiple commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.",
             "GETKEYS <full-command>",
             "    Return the keys from a full command.",
             "GETKEYSANDFLAGS <full-command>",
             "    Return the keys and the access flags from a full command."});
}

}  // namespace

void RegisterCommandCommands(CommandTable& table) {
  const uint32_t kFlags = kCmdLoading | kCmdStale;
  table.Add(
      {.name = "command",
       .arity = -1,
       .flags = kFlags,
       .handler = CmdCommand,
       .group = "server",
       .summary = "Returns detailed information about all commands.",
       .since = "2.8.13",
       .complexity = "O(N) where N is the total number of Redis commands",
       .subcommands = {
           Subcommand("server", "count", 2, kFlags, CmdCommandCount, "Returns a count of commands.", "2.8.13", "O(1)"),
           Subcommand("server", "list", -2, kFlags, CmdCommandList, "Returns a list of command names.", "7.0.0",
                      "O(N) where N is the total number of Redis commands"),
           Subcommand("server", "info", -2, kFlags, CmdCommandInfo,
                      "Returns information about one, multiple or all commands.", "2.8.13",
                      "O(N) where N is the number of commands to look up"),
           Subcommand("server", "docs", -2, kFlags, CmdCommandDocs,
                      "Returns documentary information about one, multiple or all commands.", "7.0.0",
                      "O(N) where N is the number of commands to look up"),
           Subcommand("server", "getkeys", -4, kFlags, CmdCommandGetKeys,
                      "Extracts the key names from an arbitrary command.", "2.8.13",
                      "O(N) where N is the number of arguments to the command"),
           Subcommand("server", "getkeysandflags", -4, kFlags, CmdCommandGetKeysAndFlags,
                      "Extracts the key names and access flags for an arbitrary command.", "7.0.0",
                      "O(N) where N is the number of arguments to the command"),
           Subcommand("server", "help", 2, kFlags, CmdCommandHelp,
                      "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"),
       }});
}

}  // namespace tierkv
