#include "server/command_table.h"

#include "server/acl/acl_categories.h"
#include "server/command_docs.h"
#include "server/key_specs.h"


namespace tierkv {
namespace {

// ASCII-only case folding, inline: libc's tolower is a locale-aware call per
// byte, and command lookup runs for every request.
inline unsigned char FoldAscii(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte >= 'A' && byte <= 'Z') ? static_cast<unsigned char>(byte | 0x20) : byte;
}

}  // namespace

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(FoldAscii(c));
  return out;
}

bool ArityMatches(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (FoldAscii(a[i]) != FoldAscii(b[i])) return false;
  }
  return true;
}

std::vector<int> CommandSpec::KeyPositions(std::span<const std::string_view> args) const {
  if (key_finder != nullptr) return key_finder(args);
  std::vector<int> keys;
  if (first_key <= 0) return keys;
  const int argc = static_cast<int>(args.size());
  const int last = last_key < 0 ? argc + last_key : last_key;
  for (int i = first_key; i <= last && i < argc; i += std::max(key_step, 1)) keys.push_back(i);
  return keys;
}

Result<std::unique_ptr<CommandTable>> CommandTable::Build() {
  auto table = std::make_unique<CommandTable>();
  RegisterConnectionCommands(*table);
  RegisterServerCommands(*table);
  RegisterPersistenceCommands(*table);
  RegisterStringCommands(*table);
  RegisterBitCommands(*table);
  RegisterKeyCommands(*table);
  RegisterExpireCommands(*table);
  RegisterTransactionCommands(*table);
  RegisterInfoCommands(*table);
  RegisterConfigCommands(*table);
  RegisterSlowlogCommands(*table);
  RegisterMemoryCommands(*table);
  RegisterLatencyCommands(*table);
  RegisterMonitorCommands(*table);
  RegisterClientCommands(*table);
  RegisterCommandCommands(*table);
  RegisterDebugCommands(*table);
  RegisterHashCommands(*table);
  RegisterListCommands(*table);
  RegisterSetCommands(*table);
  RegisterSortedSetCommands(*table);
  RegisterStreamCommands(*table);
  RegisterHyperLogLogCommands(*table);
  RegisterGeoCommands(*table);
  RegisterSortCommands(*table);
  RegisterBlockingCommands(*table);
  RegisterScriptingCommands(*table);
  RegisterFunctionCommands(*table);
  RegisterPubSubCommands(*table);
  RegisterAclCommands(*table);
  Status status = AttachKeySpecs(*table);
  if (!status.ok()) return status;
  // After the key specs: the docs' key arguments are checked against them.
  status = AttachCommandDocs(*table);
  if (!status.ok()) return status;
  status = AttachAclCategories(*table);
  if (!status.ok()) return status;
  status = table->Validate();
  if (!status.ok()) return status;
  return table;
}

void CommandTable::Add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  commands_.push_back(std::move(owned));
  BuildIndex();
}

namespace {

Status ValidateSpec(const CommandSpec& spec, const std::string& full_name) {
  auto bad = [&](const std::string& why) { return Status::Error("command table: '" + full_name + "' " + why); };
  if (spec.name.empty() || spec.name != AsciiLower(spec.name)) return bad("needs a lowercase name");
  if (spec.arity == 0) return bad("has arity 0");
  if (spec.handler == nullptr && spec.subcommands.empty()) return bad("has no handler");
  if (spec.first_key < 0 || (spec.first_key > 0 && spec.key_step <= 0)) return bad("has bad key positions");
  if (spec.first_key > 0 && spec.last_key > 0 && spec.last_key < spec.first_key) return bad("has last key before first");
  // Key positions (used for GETKEYS fallbacks and later for routing) and Redis's key specs
  // describe the same keys: one without the other is a missing row in command_key_specs.cc.
  // Shard channels (SPUBLISH, SSUBSCRIBE) have key positions and not_key specs, as in Redis.
  const bool has_positions = spec.first_key > 0 || spec.key_finder != nullptr;
  const bool only_not_keys = !spec.key_specs.empty() && !HasKeyArguments(spec);
  if (has_positions != (HasKeyArguments(spec) || only_not_keys)) {
    return bad(has_positions ? "has no key specs" : "has no key positions");
  }
  if (LegacyRangeOf(spec.key_specs) != LegacyKeyRange{spec.first_key, spec.last_key, spec.key_step}) {
    return bad("has key positions its key specs do not imply");
  }
  if (spec.summary.empty()) return bad("has no summary");
  if (spec.group.empty()) return bad("has no group");
  if ((spec.flags & kCmdWrite) && (spec.flags & kCmdReadOnly)) return bad("is both write and readonly");
  for (const CommandSpec& sub : spec.subcommands) {
    if (!sub.subcommands.empty()) return bad("nests subcommands twice");
    Status status = ValidateSpec(sub, full_name + "|" + sub.name);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Status CommandTable::Validate() const {
  for (const auto& spec : commands_) {
    Status status = ValidateSpec(*spec, spec->name);
    if (!status.ok()) return status;
  }
  for (const auto& spec : commands_) {
    if (Find(spec->name) != spec.get()) return Status::Error("command table: duplicate command name '" + spec->name + "'");
  }
  return Status::Ok();
}

namespace {

// FNV-1a over the lowercased name: computed while folding case, so a lookup
// allocates nothing and hashes each byte once.
uint64_t HashCommandName(std::string_view name) {
  uint64_t hash = 1469598103934665603ULL;
  for (char c : name) {
    hash ^= FoldAscii(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

void CommandTable::BuildIndex() {
  size_t slots = 64;
  while (slots < commands_.size() * 4) slots *= 2;
  slots_.assign(slots, nullptr);
  for (const auto& spec : commands_) {
    size_t i = HashCommandName(spec->name) & (slots - 1);
    while (slots_[i] != nullptr) i = (i + 1) & (slots - 1);
    slots_[i] = spec.get();
  }
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = HashCommandName(name) & mask; slots_[i] != nullptr; i = (i + 1) & mask) {
    if (EqualsIgnoreCase(slots_[i]->name, name)) return slots_[i];
  }
  return nullptr;
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& parent, std::string_view name) {
  for (const CommandSpec& sub : parent.subcommands) {
    if (EqualsIgnoreCase(sub.name, name)) return &sub;
  }
  return nullptr;
}

CommandSpec Subcommand(std::string group, std::string name, int arity, uint32_t flags, CommandHandler handler,
                       std::string summary, std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .handler = handler, .group = std::move(group),
          .summary = std::move(summary), .since = std::move(since), .complexity = std::move(complexity)};
}

}  // namespace tierkv
