#include "server/acl/acl_categories.h"

#include <algorithm>

#include "server/command_table.h"

namespace tierkv {
namespace {

constexpr std::string_view kNames[kAclCategoryCount] = {
    "keyspace", "read",  "write",    "set",       "sortedset", "list",       "hash",
    "string",   "bitmap", "hyperloglog", "geo",   "stream",    "pubsub",     "admin",
    "fast",     "slow",  "blocking", "dangerous", "connection", "transaction", "scripting",
};

constexpr uint32_t Bit(AclCategory category) { return 1u << category; }

// The category a command's group implies (none for groups such as server).
uint32_t GroupCategories(std::string_view group) {
  struct GroupCategory {
    std::string_view group;
    AclCategory category;
  };
  static constexpr GroupCategory kGroups[] = {
      {"generic", kAclKeyspace},     {"string", kAclString},          {"list", kAclList},
      {"set", kAclSet},              {"sorted-set", kAclSortedSet},   {"sorted_set", kAclSortedSet},
      {"hash", kAclHash},            {"bitmap", kAclBitmap},          {"hyperloglog", kAclHyperLogLog},
      {"geo", kAclGeo},              {"stream", kAclStream},          {"pubsub", kAclPubSub},
      {"connection", kAclConnection}, {"transactions", kAclTransaction}, {"scripting", kAclScripting},
  };
  for (const GroupCategory& g : kGroups) {
    if (g.group == group) return Bit(g.category);
  }
  return 0;
}

// What Redis's command table files by hand, beyond its flags and group: the
// categories it adds (chiefly @dangerous on commands that are slow or reveal
// the whole server without being admin) and the group categories it leaves
// out. Checked against Redis 7.0's ACL CAT by tests/integration/test_acl.py.
struct CategoryException {
  std::string_view name;  // "config|get" for a subcommand
  uint32_t add;
  uint32_t remove;
};
constexpr uint32_t kConnection = Bit(kAclConnection);
constexpr uint32_t kDangerous = Bit(kAclDangerous);
constexpr uint32_t kKeyspace = Bit(kAclKeyspace);
constexpr uint32_t kSortable = Bit(kAclList) | Bit(kAclSet) | Bit(kAclSortedSet);
constexpr CategoryException kExceptions[] = {
    // COMMAND is in the server group, yet Redis files it and its subcommands as @connection.
    {"command", kConnection, 0},
    {"command|count", kConnection, 0},
    {"command|docs", kConnection, 0},
    {"command|getkeys", kConnection, 0},
    {"command|getkeysandflags", kConnection, 0},
    {"command|help", kConnection, 0},
    {"command|info", kConnection, 0},
    {"command|list", kConnection, 0},
    {"dbsize", kKeyspace, 0},
    {"flushall", kKeyspace | kDangerous, 0},
    {"flushdb", kKeyspace | kDangerous, 0},
    {"swapdb", kKeyspace | kDangerous, 0},
    {"info", kDangerous, 0},
    {"keys", kDangerous, 0},
    {"lastsave", Bit(kAclAdmin) | kDangerous, 0},
    {"restore", kDangerous, 0},
    {"sort", kSortable | kDangerous, kKeyspace},
    {"sort_ro", kSortable | kDangerous, kKeyspace},
    {"pubsub|help", 0, Bit(kAclPubSub)},
};

}  // namespace

std::span<const std::string_view> AclCategoryNames() { return kNames; }

std::optional<AclCategory> FindAclCategory(std::string_view name) {
  for (uint32_t i = 0; i < kAclCategoryCount; ++i) {
    if (EqualsIgnoreCase(kNames[i], name)) return static_cast<AclCategory>(i);
  }
  return std::nullopt;
}

uint32_t DeriveAclCategories(const CommandSpec& spec, std::string_view full_name) {
  const uint32_t f = spec.flags;
  // A container (CONFIG, CLIENT...) has only what its flags imply: its group's category
  // belongs to its subcommands.
  uint32_t categories = spec.subcommands.empty() ? GroupCategories(spec.group) : 0;
  // Redis's setImplicitACLCategories.
  if (f & kCmdWrite) categories |= Bit(kAclWrite);
  if ((f & kCmdReadOnly) && !(categories & Bit(kAclScripting))) categories |= Bit(kAclRead);
  if (f & kCmdAdmin) categories |= Bit(kAclAdmin) | Bit(kAclDangerous);
  if (f & kCmdPubSub) categories |= Bit(kAclPubSub);
  if (f & kCmdFast) categories |= Bit(kAclFast);
  if (f & kCmdBlocking) categories |= Bit(kAclBlocking);
  if (!(categories & Bit(kAclFast))) categories |= Bit(kAclSlow);
  for (const CategoryException& e : kExceptions) {
    if (e.name == full_name) categories = (categories | e.add) & ~e.remove;
  }
  return categories;
}

std::vector<std::string> AclCategoryLabels(uint32_t categories) {
  std::vector<std::string> labels;
  for (uint32_t i = 0; i < kAclCategoryCount; ++i) {
    if (categories & (1u << i)) labels.push_back("@" + std::string(kNames[i]));
  }
  return labels;
}

Status AttachAclCategories(CommandTable& table) {
  uint32_t next_id = 0;
  auto attach = [&](CommandSpec& spec, const std::string& full_name) {
    spec.acl_id = next_id++;
    spec.acl_categories = DeriveAclCategories(spec, full_name);
    return spec.acl_categories != 0;
  };
  for (const auto& command : table.all()) {
    CommandSpec& spec = *command;
    if (!attach(spec, spec.name)) return Status::Error("command table: '" + spec.name + "' has no ACL category");
    for (CommandSpec& sub : spec.subcommands) {
      const std::string full_name = spec.name + "|" + sub.name;
      if (!attach(sub, full_name)) return Status::Error("command table: '" + full_name + "' has no ACL category");
    }
  }
  table.set_acl_id_count(next_id);
  return Status::Ok();
}

}  // namespace tierkv
