#include "server/acl/acl_user.h"

#include <openssl/sha.h>

#include <algorithm>

#include "engine/glob.h"
#include "server/acl/acl_categories.h"
#include "server/command_table.h"
#include "server/key_specs.h"

namespace tierkv {
namespace {

// Redis's reasons for a rule it refuses (ACLSetUserStringError).
constexpr const char* kUnknownName = "Unknown command or category name in ACL";
constexpr const char* kSyntax = "Syntax error";
constexpr const char* kAfterAllKeys =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try "
    "'resetkeys' to start with an empty list of patterns";
constexpr const char* kAfterAllChannels =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. "
    "Try 'resetchannels' to start with an empty list of channels";
constexpr const char* kNoSuchPassword = "The password you are trying to remove from the user does not exist";
constexpr const char* kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";

bool HasSpace(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

bool ValidHash(std::string_view hash) {
  return hash.size() == 64 &&
         std::all_of(hash.begin(), hash.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A command or "container|subcommand" by name; nullptr when unknown.
const CommandSpec* LookupCommand(const CommandTable& commands, std::string_view name) {
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) return commands.Find(name);
  const CommandSpec* parent = commands.Find(name.substr(0, bar));
  if (parent == nullptr || name.find('|', bar + 1) != std::string_view::npos) return nullptr;
  return CommandTable::FindSubcommand(*parent, name.substr(bar + 1));
}

// The channels a command names and whether they are patterns (PSUBSCRIBE): Redis checks
// publishing and subscribing, not unsubscribing.
struct ChannelArgument {
  int position;
  bool pattern;
};
std::vector<ChannelArgument> ChannelArguments(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::vector<ChannelArgument> channels;
  const std::string& name = spec.name;
  if (name == "publish" || name == "spublish") {
    channels.push_back({1, false});
  } else if (name == "subscribe" || name == "ssubscribe" || name == "psubscribe") {
    for (size_t i = 1; i < args.size(); ++i) channels.push_back({static_cast<int>(i), name == "psubscribe"});
  }
  return channels;
}

}  // namespace

std::string AclPasswordHash(std::string_view password) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof(digest));
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

AclSelector::AclSelector(const CommandTable& commands)
    : commands_(&commands), allowed_((commands.acl_id_count() + 63) / 64, 0) {}

void AclSelector::SetAllowed(uint32_t id, bool allow) {
  const uint64_t bit = uint64_t{1} << (id % 64);
  if (allow) {
    allowed_[id / 64] |= bit;
  } else {
    allowed_[id / 64] &= ~bit;
  }
  first_args_.erase(id);
}

void AclSelector::ChangePermission(const CommandSpec& spec, bool allow) {
  SetAllowed(spec.acl_id, allow);
  for (const CommandSpec& sub : spec.subcommands) SetAllowed(sub.acl_id, allow);
}

void AclSelector::SetAll(bool allow) {
  std::fill(allowed_.begin(), allowed_.end(), allow ? ~uint64_t{0} : 0);
  first_args_.clear();
  command_rules_.clear();
  all_commands_ = allow;
  future_commands_ = allow;
}

void AclSelector::SetCategory(uint32_t category_bit, bool allow) {
  for (const auto& command : commands_->all()) {
    if (command->acl_categories & category_bit) ChangePermission(*command, allow);
    for (const CommandSpec& sub : command->subcommands) {
      if (sub.acl_categories & category_bit) SetAllowed(sub.acl_id, allow);
    }
  }
}

void AclSelector::RecordRule(std::string_view rule, bool allow) {
  const std::string lower = AsciiLower(rule);
  std::erase_if(command_rules_, [&](const std::string& existing) {
    const std::string_view body = std::string_view(existing).substr(1);
    return body == lower || (body.size() > lower.size() && body.starts_with(lower) && body[lower.size()] == '|');
  });
  command_rules_.push_back((allow ? "+" : "-") + lower);
}

Status AclSelector::ApplyCommandRule(std::string_view rule, bool allow) {
  const std::string_view name = rule.substr(1);
  if (!allow) all_commands_ = false;
  if (name.starts_with("@")) {
    const auto category = FindAclCategory(name.substr(1));
    if (!category) return Status::Error(kUnknownName);
    SetCategory(1u << *category, allow);
    RecordRule(name, allow);
    return Status::Ok();
  }
  const size_t bar = name.find('|');
  if (!allow || bar == std::string_view::npos) {
    const CommandSpec* spec = LookupCommand(*commands_, name);
    if (spec == nullptr) return Status::Error(kUnknownName);
    ChangePermission(*spec, allow);
    RecordRule(name, allow);
    return Status::Ok();
  }
  // +command|subcommand, or +command|first-argument for a command without subcommands.
  const CommandSpec* parent = commands_->Find(name.substr(0, bar));
  if (parent == nullptr) return Status::Error(kUnknownName);
  const std::string_view rest = name.substr(bar + 1);
  if (rest.empty()) return Status::Error(kSyntax);
  if (!parent->subcommands.empty()) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*parent, rest);
    if (sub == nullptr) return Status::Error(kUnknownName);
    ChangePermission(*sub, true);
  } else {
    std::vector<std::string>& args = first_args_[parent->acl_id];
    const std::string lower = AsciiLower(rest);
    if (std::find(args.begin(), args.end(), lower) == args.end()) args.push_back(lower);
  }
  RecordRule(name, true);
  return Status::Ok();
}

Status AclSelector::ApplyKeyPattern(std::string_view rule) {
  if (all_keys_) return Status::Error(kAfterAllKeys);
  uint8_t rights = kAclKeyAll;
  size_t offset = 1;
  if (rule[0] == '%') {
    rights = 0;
    for (; offset < rule.size(); ++offset) {
      const char c = static_cast<char>(rule[offset] & ~0x20);
      if (c == 'R' && !(rights & kAclKeyRead)) {
        rights |= kAclKeyRead;
      } else if (c == 'W' && !(rights & kAclKeyWrite)) {
        rights |= kAclKeyWrite;
      } else if (rule[offset] == '~') {
        ++offset;
        break;
      } else {
        return Status::Error(kSyntax);
      }
    }
    // Without '~' the pattern is empty, as Redis takes it.
    if (rights == 0) return Status::Error(kSyntax);
  }
  const std::string_view pattern = rule.substr(offset);
  if (HasSpace(pattern)) return Status::Error(kSyntax);
  if (pattern == "*" && rights == kAclKeyAll) {
    all_keys_ = true;
    keys_.clear();
    return Status::Ok();
  }
  for (KeyPattern& existing : keys_) {
    if (existing.pattern == pattern) {
      existing.rights |= rights;
      return Status::Ok();
    }
  }
  keys_.push_back({std::string(pattern), rights});
  return Status::Ok();
}

Status AclSelector::Apply(std::string_view rule) {
  if (rule.empty()) return Status::Error(kSyntax);
  if (EqualsIgnoreCase(rule, "allkeys") || rule == "~*") {
    all_keys_ = true;
    keys_.clear();
  } else if (EqualsIgnoreCase(rule, "resetkeys")) {
    all_keys_ = false;
    keys_.clear();
  } else if (EqualsIgnoreCase(rule, "allchannels") || rule == "&*") {
    all_channels_ = true;
    channels_.clear();
  } else if (EqualsIgnoreCase(rule, "resetchannels")) {
    all_channels_ = false;
    channels_.clear();
  } else if (EqualsIgnoreCase(rule, "allcommands") || EqualsIgnoreCase(rule, "+@all")) {
    SetAll(true);
  } else if (EqualsIgnoreCase(rule, "nocommands") || EqualsIgnoreCase(rule, "-@all")) {
    SetAll(false);
  } else if (rule[0] == '~' || rule[0] == '%') {
    return ApplyKeyPattern(rule);
  } else if (rule[0] == '&') {
    if (all_channels_) return Status::Error(kAfterAllChannels);
    const std::string_view pattern = rule.substr(1);
    if (HasSpace(pattern)) return Status::Error(kSyntax);
    if (std::find(channels_.begin(), channels_.end(), pattern) == channels_.end()) {
      channels_.emplace_back(pattern);
    }
  } else if ((rule[0] == '+' || rule[0] == '-') && rule.size() > 1) {
    return ApplyCommandRule(rule, rule[0] == '+');
  } else {
    return Status::Error(kSyntax);
  }
  return Status::Ok();
}

bool AclSelector::KeyAllowed(std::string_view key, uint32_t key_flags) const {
  uint8_t needed = 0;
  if (key_flags & kKeyAccess) needed |= kAclKeyRead;
  if (key_flags & (kKeyInsert | kKeyDelete | kKeyUpdate)) needed |= kAclKeyWrite;
  return std::any_of(keys_.begin(), keys_.end(), [&](const KeyPattern& p) {
    return (p.rights & needed) == needed && GlobMatch(p.pattern, key);
  });
}

bool AclSelector::ChannelAllowed(std::string_view channel, bool is_pattern) const {
  if (all_channels_) return true;
  // A pattern subscription must be granted that very pattern, as in Redis.
  return std::any_of(channels_.begin(), channels_.end(), [&](const std::string& p) {
    return is_pattern ? p == channel : GlobMatch(p, channel);
  });
}

AclVerdict AclSelector::Check(const CommandSpec& spec, const CommandSpec* parent,
                              std::span<const std::string_view> args) const {
  if (!all_commands_ && !(spec.flags & kCmdNoAuth) && !Allowed(spec.acl_id)) {
    // Allowed only with some first arguments (+select|0)?
    const size_t index = parent != nullptr ? 2 : 1;
    const auto it = first_args_.find(spec.acl_id);
    if (it == first_args_.end() || args.size() <= index ||
        std::none_of(it->second.begin(), it->second.end(),
                     [&](const std::string& arg) { return EqualsIgnoreCase(arg, args[index]); })) {
      return {AclDenial::kCommand, 0};
    }
  }
  if (!all_keys_ && HasKeyArguments(spec)) {
    for (const KeyReference& key : KeysWithFlags(spec, args)) {
      if (!KeyAllowed(args[key.position], key.flags)) return {AclDenial::kKey, key.position};
    }
  }
  if (!all_channels_) {
    for (const ChannelArgument& channel : ChannelArguments(spec, args)) {
      if (!ChannelAllowed(args[channel.position], channel.pattern)) return {AclDenial::kChannel, channel.position};
    }
  }
  return {};
}

std::string AclSelector::KeysText() const {
  if (all_keys_) return "~*";
  std::string text;
  for (const KeyPattern& p : keys_) {
    if (!text.empty()) text += ' ';
    if (p.rights == kAclKeyRead) text += "%R";
    if (p.rights == kAclKeyWrite) text += "%W";
    text += '~';
    text += p.pattern;
  }
  return text;
}

std::string AclSelector::ChannelsText() const {
  if (all_channels_) return "&*";
  std::string text;
  for (const std::string& p : channels_) {
    if (!text.empty()) text += ' ';
    text += '&' + p;
  }
  return text;
}

std::string AclSelector::CommandsText() const {
  std::string text = future_commands_ ? "+@all" : "-@all";
  for (const std::string& rule : command_rules_) text += ' ' + rule;
  return text;
}

std::string AclSelector::Describe() const {
  std::string text = KeysText();
  if (!text.empty()) text += ' ';
  text += all_channels_ ? "&*" : (channels_.empty() ? "resetchannels" : "resetchannels " + ChannelsText());
  return text + ' ' + CommandsText();
}

AclUser::AclUser(std::string name, const CommandTable& commands) : commands_(&commands), name_(std::move(name)) {
  selectors_.emplace_back(commands);
}

Status AclUser::Apply(std::string_view rule) {
  if (EqualsIgnoreCase(rule, "on")) {
    enabled_ = true;
  } else if (EqualsIgnoreCase(rule, "off")) {
    enabled_ = false;
  } else if (EqualsIgnoreCase(rule, "nopass")) {
    nopass_ = true;
    password_hashes_.clear();
  } else if (EqualsIgnoreCase(rule, "resetpass")) {
    nopass_ = false;
    password_hashes_.clear();
  } else if (EqualsIgnoreCase(rule, "sanitize-payload")) {
    sanitize_ = Sanitize::kYes;
  } else if (EqualsIgnoreCase(rule, "skip-sanitize-payload")) {
    sanitize_ = Sanitize::kNo;
  } else if (!rule.empty() && (rule[0] == '>' || rule[0] == '#')) {
    std::string hash = rule[0] == '>' ? AclPasswordHash(rule.substr(1)) : std::string(rule.substr(1));
    if (!ValidHash(hash)) return Status::Error(kBadHash);
    if (std::find(password_hashes_.begin(), password_hashes_.end(), hash) == password_hashes_.end()) {
      password_hashes_.push_back(std::move(hash));
    }
    nopass_ = false;
  } else if (!rule.empty() && (rule[0] == '<' || rule[0] == '!')) {
    const std::string hash = rule[0] == '<' ? AclPasswordHash(rule.substr(1)) : std::string(rule.substr(1));
    if (!ValidHash(hash)) return Status::Error(kBadHash);
    const auto it = std::find(password_hashes_.begin(), password_hashes_.end(), hash);
    if (it == password_hashes_.end()) return Status::Error(kNoSuchPassword);
    password_hashes_.erase(it);
    nopass_ = false;
  } else if (rule.size() >= 2 && rule.front() == '(' && rule.back() == ')') {
    AclSelector selector(*commands_);
    if (default_all_channels_) (void)selector.Apply("allchannels");
    std::string_view body = rule.substr(1, rule.size() - 2);
    while (!body.empty()) {
      const size_t start = body.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      body.remove_prefix(start);
      const size_t end = std::min(body.find(' '), body.size());
      Status status = selector.Apply(body.substr(0, end));
      if (!status.ok()) return status;
      body.remove_prefix(end);
    }
    selectors_.push_back(std::move(selector));
  } else if (EqualsIgnoreCase(rule, "clearselectors")) {
    selectors_.resize(1, AclSelector(*commands_));
  } else if (EqualsIgnoreCase(rule, "reset")) {
    for (std::string_view step : {"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload",
                                  "clearselectors", "-@all"}) {
      (void)Apply(step);
      if (step == "resetchannels" && default_all_channels_) (void)Apply("allchannels");
    }
  } else {
    Status status = selectors_.front().Apply(rule);
    if (!status.ok()) return status;
  }
  unrestricted_ = selectors_.front().unrestricted();
  return Status::Ok();
}

AclVerdict AclUser::Check(const CommandSpec& spec, const CommandSpec* parent,
                          std::span<const std::string_view> args) const {
  AclVerdict relevant;
  for (const AclSelector& selector : selectors_) {
    const AclVerdict verdict = selector.Check(spec, parent, args);
    if (verdict.denial == AclDenial::kNone) return verdict;
    if (verdict.denial > relevant.denial ||
        (verdict.denial == relevant.denial && verdict.position > relevant.position)) {
      relevant = verdict;
    }
  }
  return relevant;
}

bool AclUser::ChannelAllowed(std::string_view channel, bool is_pattern) const {
  return std::any_of(selectors_.begin(), selectors_.end(),
                     [&](const AclSelector& selector) { return selector.ChannelAllowed(channel, is_pattern); });
}

bool AclUser::Accepts(std::string_view password) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  const std::string hash = AclPasswordHash(password);
  // Compared in full whatever matches, so the time taken tells nothing.
  bool match = false;
  for (const std::string& stored : password_hashes_) {
    unsigned char diff = 0;
    for (size_t i = 0; i < hash.size(); ++i) diff |= static_cast<unsigned char>(stored[i] ^ hash[i]);
    match = match || diff == 0;
  }
  return match;
}

std::vector<std::string> AclUser::Flags() const {
  std::vector<std::string> flags{enabled_ ? "on" : "off"};
  if (nopass_) flags.emplace_back("nopass");
  if (sanitize_ == Sanitize::kNo) flags.emplace_back("skip-sanitize-payload");
  if (sanitize_ == Sanitize::kYes) flags.emplace_back("sanitize-payload");
  return flags;
}

std::string AclUser::Describe() const {
  std::string text;
  for (const std::string& flag : Flags()) text += flag + ' ';
  for (const std::string& hash : password_hashes_) text += '#' + hash + ' ';
  text += root().Describe();
  for (const AclSelector& selector : extra_selectors()) text += " (" + selector.Describe() + ')';
  return text;
}

Result<std::vector<std::string>> MergeSelectorArguments(std::span<const std::string_view> rules) {
  std::vector<std::string> merged;
  std::string open;
  bool in_selector = false;
  for (std::string_view rule : rules) {
    if (!in_selector && rule.starts_with("(") && !rule.ends_with(")")) {
      open = std::string(rule);
      in_selector = true;
    } else if (in_selector) {
      open += ' ';
      open += rule;
      if (rule.ends_with(")")) {
        merged.push_back(std::move(open));
        in_selector = false;
      }
    } else {
      merged.emplace_back(rule);
    }
  }
  if (in_selector) return Status::Error("ERR Unmatched parenthesis in acl selector starting at '" + open + "'.");
  return merged;
}

}  // namespace tierkv
