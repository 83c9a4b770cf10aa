// ACL users: passwords (SHA-256 hashes), on/off, and selectors, each a set of
// permissions over commands (a bitmap by ACL id, plus allowed first arguments),
// key patterns with read/write rights, and channel patterns. Rules are applied in
// Redis's syntax ("+@read", "~cache:*", "%R~log:*", "&news.*", "(+set ~tmp:*)")
// and described back the way ACL LIST prints them.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/status.h"
#include "server/command.h"

namespace tierkv {

class CommandTable;

// Why a command is refused, ordered as Redis ranks them: when no selector allows a
// command, the highest denial (then the latest argument) is the one reported.
enum class AclDenial : uint8_t { kNone = 0, kCommand = 1, kKey = 2, kAuth = 3, kChannel = 4 };

struct AclVerdict {
  AclDenial denial = AclDenial::kNone;
  int position = 0;  // the argument refused (a key or a channel)
};

enum AclKeyRight : uint8_t { kAclKeyRead = 1, kAclKeyWrite = 2, kAclKeyAll = 3 };

// The hex SHA-256 of `password`, as ACL stores and shows passwords.
std::string AclPasswordHash(std::string_view password);

class AclSelector {
 public:
  explicit AclSelector(const CommandTable& commands);

  // Applies one selector rule; the error message is Redis's reason.
  Status Apply(std::string_view rule);
  AclVerdict Check(const CommandSpec& spec, const CommandSpec* parent, std::span<const std::string_view> args) const;
  // Everything allowed: the dispatcher then skips all checks.
  bool unrestricted() const { return all_commands_ && all_keys_ && all_channels_; }
  // Whether `channel` may be published or subscribed to (`is_pattern`: a PSUBSCRIBE
  // pattern, which must be granted as such).
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;

  // What ACL GETUSER shows: "~a* %R~b*", "&* " or "&a &b", "-@all +get".
  std::string KeysText() const;
  std::string ChannelsText() const;
  std::string CommandsText() const;
  // ACL LIST's form: keys, channels, then commands.
  std::string Describe() const;

 private:
  struct KeyPattern {
    std::string pattern;
    uint8_t rights;
  };
  bool Allowed(uint32_t id) const { return (allowed_[id / 64] >> (id % 64)) & 1; }
  void SetAllowed(uint32_t id, bool allow);
  // A command and, for a container, all its subcommands (Redis's ACLChangeSelectorPerm).
  void ChangePermission(const CommandSpec& spec, bool allow);
  void SetAll(bool allow);
  void SetCategory(uint32_t category_bit, bool allow);
  // Keeps the command rules as Redis does: a new rule replaces an earlier rule for
  // the same command (or one of its subcommands).
  void RecordRule(std::string_view rule, bool allow);
  Status ApplyCommandRule(std::string_view rule, bool allow);
  Status ApplyKeyPattern(std::string_view rule);
  bool KeyAllowed(std::string_view key, uint32_t key_flags) const;

  const CommandTable* commands_;
  std::vector<uint64_t> allowed_;  // one bit per ACL id
  std::unordered_map<uint32_t, std::vector<std::string>> first_args_;  // +select|0
  bool all_commands_ = false;     // every bit set and nothing removed since +@all
  bool future_commands_ = false;  // +@all was the base (described as "+@all ...")
  std::vector<std::string> command_rules_;
  bool all_keys_ = false;
  std::vector<KeyPattern> keys_;
  bool all_channels_ = false;
  std::vector<std::string> channels_;
};

class AclUser {
 public:
  AclUser(std::string name, const CommandTable& commands);

  // Applies one rule of ACL SETUSER; the error message is Redis's reason.
  Status Apply(std::string_view rule);
  AclVerdict Check(const CommandSpec& spec, const CommandSpec* parent, std::span<const std::string_view> args) const;
  // AUTH: on, and nopass or one of its passwords.
  bool Accepts(std::string_view password) const;
  // Some selector grants the channel (or the pattern).
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  bool unrestricted() const { return unrestricted_; }
  const std::vector<std::string>& password_hashes() const { return password_hashes_; }
  const AclSelector& root() const { return selectors_.front(); }
  // The selectors after the root one.
  std::span<const AclSelector> extra_selectors() const { return std::span(selectors_).subspan(1); }
  // ACL GETUSER's flags: on/off, nopass, sanitize-payload...
  std::vector<std::string> Flags() const;
  // The rules ACL LIST and ACL SAVE write after "user <name> ".
  std::string Describe() const;
  // acl-pubsub-default as the rules about to be applied see it: `reset` and a new
  // selector start with every channel (allchannels) or none (resetchannels).
  void set_default_all_channels(bool all) { default_all_channels_ = all; }

 private:
  const CommandTable* commands_;
  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  enum class Sanitize : uint8_t { kDefault, kYes, kNo } sanitize_ = Sanitize::kDefault;
  std::vector<std::string> password_hashes_;
  std::vector<AclSelector> selectors_;  // the root one first
  bool unrestricted_ = false;
  bool default_all_channels_ = false;
};

// ACL SETUSER's arguments with selectors rejoined: "(+get" "~k*)" is one rule
// "(+get ~k*)". Fails (Redis's text) on a selector left open.
Result<std::vector<std::string>> MergeSelectorArguments(std::span<const std::string_view> rules);

}  // namespace tierkv
