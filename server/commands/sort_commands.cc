// SORT and SORT_RO commands: the Cmd* half (argument parsing and replies). The sorting
// is engine/sort_ops.cc. Options are parsed as Redis 7's sortCommandGeneric parses
// them (any order, the last LIMIT/BY/STORE wins, syntax errors before the key's type).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/sort_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"

namespace tierkv {
namespace {

// args[2...] as SORT (read_only false) or SORT_RO reads them.
Result<SortOptions> ParseSortOptions(const CommandContext& ctx, bool read_only) {
  SortOptions options;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const std::string_view option = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (IsOption(option, "ASC")) {
      options.desc = false;
    } else if (IsOption(option, "DESC")) {
      options.desc = true;
    } else if (IsOption(option, "ALPHA")) {
      options.alpha = true;
    } else if (IsOption(option, "LIMIT") && left >= 2) {
      auto offset = IntArg(ctx.arg(j + 1));
      if (!offset.ok()) return offset.status();
      auto count = IntArg(ctx.arg(j + 2));
      if (!count.ok()) return count.status();
      options.limit_offset = *offset;
      options.limit_count = *count;
      j += 2;
    } else if (!read_only && IsOption(option, "STORE") && left >= 1) {
      options.store = std::string(ctx.arg(++j));
    } else if (IsOption(option, "BY") && left >= 1) {
      options.by = std::string(ctx.arg(++j));
      // A pattern without '*' (as a C string) names no per-element key: do not sort.
      const std::string_view pattern = *options.by;
      if (pattern.substr(0, pattern.find('\0')).find('*') == std::string_view::npos) options.dont_sort = true;
    } else if (IsOption(option, "GET") && left >= 1) {
      options.gets.emplace_back(ctx.arg(++j));
    } else {
      return Status::Syntax();
    }
  }
  return options;
}

void SortGeneric(CommandContext& ctx, bool read_only) {
  auto options = ParseSortOptions(ctx, read_only);
  if (!options.ok()) return ReplyError(ctx.reply(), options.status());
  if (options->store) {
    auto stored = OpSortStore(ctx.shard, ctx.client.db, ctx.arg(1), *options);
    if (!stored.ok()) return ReplyError(ctx.reply(), stored.status());
    return ctx.reply().Integer(*stored);
  }
  auto items = OpSort(ctx.shard, ctx.client.db, ctx.arg(1), *options);
  if (!items.ok()) return ReplyError(ctx.reply(), items.status());
  ctx.reply().Array(items->size());
  for (const std::optional<std::string>& item : *items) {
    if (item) {
      ctx.reply().Bulk(*item);
    } else {
      ctx.reply().Null();
    }
  }
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
// [STORE destination]
void CmdSort(CommandContext& ctx) { SortGeneric(ctx, false); }
// SORT_RO: the same without STORE.
void CmdSortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

// Redis's sortGetKeys: the sorted key, plus the argument after the last STORE, skipping
// the arguments of LIMIT, GET and BY (STORE's own argument is not skipped, as in Redis).
std::vector<int> SortKeys(std::span<const std::string_view> args) {
  std::vector<int> keys{1};
  std::optional<int> store;
  for (size_t i = 2; i < args.size(); ++i) {
    if (IsOption(args[i], "LIMIT")) {
      i += 2;
    } else if (IsOption(args[i], "GET") || IsOption(args[i], "BY")) {
      i += 1;
    } else if (IsOption(args[i], "STORE") && i + 1 < args.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store) keys.push_back(*store);
  return keys;
}

// SORT_RO's only key is the sorted one; BY/GET keys are unknown to key specs, which is
// why Redis marks it movablekeys too.
std::vector<int> SortRoKeys(std::span<const std::string_view>) { return {1}; }

constexpr const char* kSortComplexity =
    "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned "
    "elements. When the elements are not sorted, complexity is O(N).";

CommandSpec SortCommand(std::string name, uint32_t flags, CommandHandler handler, KeyFinder finder,
                        std::string summary, std::string since) {
  return {.name = std::move(name), .arity = -2, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "generic", .summary = std::move(summary), .since = std::move(since),
          .complexity = kSortComplexity, .key_finder = finder};
}

}  // namespace

void RegisterSortCommands(CommandTable& table) {
  table.Add(SortCommand("sort", kCmdWrite | kCmdDenyOom, CmdSort, SortKeys,
                        "Sort the elements in a list, set or sorted set",
                        "1.0.0"));
  table.Add(SortCommand("sort_ro", kCmdReadOnly, CmdSortRo, SortRoKeys,
                        "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "7.0.0"));
}

}  // namespace tierkv
