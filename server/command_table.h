// CommandTable: lookup of CommandSpecs by case-insensitive name, built from the
// per-family registration functions in server/commands/.
// Thread-safety: immutable after Build().
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "server/command.h"

namespace tierkv {

class CommandTable {
 public:
  // Every command tierkv implements, validated.
  static Result<std::unique_ptr<CommandTable>> Build();

  void Add(CommandSpec spec);
  // Checks arities, key positions and subcommand shapes; names the first bad spec.
  Status Validate() const;

  const CommandSpec* Find(std::string_view name) const;
  // The subcommand spec for args[1] of a container command, or nullptr.
  static const CommandSpec* FindSubcommand(const CommandSpec& parent, std::string_view name);
  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return commands_; }
  // How many ACL ids commands and subcommands use (ids are 0 .. count-1).
  uint32_t acl_id_count() const { return acl_id_count_; }
  void set_acl_id_count(uint32_t count) { acl_id_count_ = count; }

 private:
  std::vector<std::unique_ptr<CommandSpec>> commands_;
  void BuildIndex();
  // Open-addressed index by case-insensitive name (4x oversized, linear probing).
  std::vector<const CommandSpec*> slots_;
  uint32_t acl_id_count_ = 0;
};

// Registration functions, one per command family (server/commands/*.cc).
void RegisterConnectionCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterPersistenceCommands(CommandTable& table);
void RegisterStringCommands(CommandTable& table);
void RegisterBitCommands(CommandTable& table);
void RegisterKeyCommands(CommandTable& table);
void RegisterExpireCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterInfoCommands(CommandTable& table);
void RegisterConfigCommands(CommandTable& table);
void RegisterSlowlogCommands(CommandTable& table);
void RegisterMemoryCommands(CommandTable& table);
void RegisterLatencyCommands(CommandTable& table);
void RegisterMonitorCommands(CommandTable& table);
void RegisterClientCommands(CommandTable& table);
void RegisterCommandCommands(CommandTable& table);
void RegisterDebugCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterSortedSetCommands(CommandTable& table);
void RegisterStreamCommands(CommandTable& table);
void RegisterHyperLogLogCommands(CommandTable& table);
void RegisterGeoCommands(CommandTable& table);
void RegisterSortCommands(CommandTable& table);
void RegisterBlockingCommands(CommandTable& table);
void RegisterScriptingCommands(CommandTable& table);
void RegisterFunctionCommands(CommandTable& table);
void RegisterPubSubCommands(CommandTable& table);
void RegisterAclCommands(CommandTable& table);

// A subcommand's spec (CONFIG GET, CLIENT LIST ...): its group is the container's.
CommandSpec Subcommand(std::string group, std::string name, int arity, uint32_t flags, CommandHandler handler,
                       std::string summary, std::string since, std::string complexity = "O(1)");

// Lowercases ASCII into a new string (command names are ASCII).
std::string AsciiLower(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Whether `argc` arguments (the name included) fit Redis's arity: exactly `arity` when
// positive, at least -arity when negative.
bool ArityMatches(int arity, size_t argc);

}  // namespace tierkv
