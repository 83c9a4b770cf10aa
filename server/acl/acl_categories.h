// ACL command categories (@read, @write, @dangerous, ...): their names in Redis's
// order, and each command's membership, derived from the command table (flags and
// group) the way Redis sets its implicit categories, plus the few commands Redis
// files by hand beyond what their flags say.
//
// Thread-safety: AttachAclCategories runs while the table is built; the rest are
// pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "server/command.h"

namespace tierkv {

class CommandTable;

// One bit per category, in Redis's ACL CAT order.
enum AclCategory : uint32_t {
  kAclKeyspace, kAclRead, kAclWrite, kAclSet, kAclSortedSet, kAclList, kAclHash, kAclString,
  kAclBitmap, kAclHyperLogLog, kAclGeo, kAclStream, kAclPubSub, kAclAdmin, kAclFast, kAclSlow,
  kAclBlocking, kAclDangerous, kAclConnection, kAclTransaction, kAclScripting, kAclCategoryCount,
};

// "keyspace", "read", ... in AclCategory order.
std::span<const std::string_view> AclCategoryNames();
// The category named `name` (case-insensitive), if there is one.
std::optional<AclCategory> FindAclCategory(std::string_view name);

// The categories of `spec`, named `full_name` ("config|get" for a subcommand, which
// carries its container's group), as a bit set of AclCategory.
uint32_t DeriveAclCategories(const CommandSpec& spec, std::string_view full_name);
// "@keyspace", "@read", ...: the members of `categories` in Redis's order.
std::vector<std::string> AclCategoryLabels(uint32_t categories);

// Gives every command and subcommand its categories and its ACL id (the bit of
// the users' command bitmaps); fails naming a command that would have none.
Status AttachAclCategories(CommandTable& table);

}  // namespace tierkv
