#include "server/acl/acl.h"

#include <fstream>
#include <sstream>

#include "server/command_table.h"
#include "tiering/file_io.h"

namespace tierkv {
namespace {

// Redis groups a refusal with an earlier entry alike for this long.
constexpr int64_t kLogGroupingMs = 60000;

// The default user as a server without users configured has it.
void MakeDefaultUser(AclUser& user) {
  for (std::string_view rule : {"+@all", "~*", "&*", "on", "nopass"}) (void)user.Apply(rule);
}

}  // namespace

Acl::Acl(const CommandTable& commands) : commands_(&commands) {
  default_user_ = std::make_shared<AclUser>("default", commands);
  MakeDefaultUser(*default_user_);
  users_.emplace("default", default_user_);
}

AclUser Acl::NewUser(std::string name) const {
  AclUser user(std::move(name), *commands_);
  user.set_default_all_channels(pubsub_default_all_);
  if (pubsub_default_all_) (void)user.Apply("allchannels");
  return user;
}

std::shared_ptr<AclUser> Acl::Find(std::string_view name) const {
  const auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

Status Acl::SetUser(std::string_view name, std::span<const std::string_view> rules) {
  auto merged = MergeSelectorArguments(rules);
  if (!merged.ok()) return merged.status();
  std::shared_ptr<AclUser> existing = Find(name);
  // Applied to a copy first: a bad rule leaves the user as it was.
  AclUser updated = existing != nullptr ? *existing : NewUser(std::string(name));
  updated.set_default_all_channels(pubsub_default_all_);
  for (const std::string& rule : *merged) {
    Status status = updated.Apply(rule);
    if (!status.ok()) return Status::Error("ERR Error in ACL SETUSER modifier '" + rule + "': " + status.message());
  }
  if (existing != nullptr) {
    *existing = std::move(updated);
  } else {
    users_.emplace(std::string(name), std::make_shared<AclUser>(std::move(updated)));
  }
  return Status::Ok();
}

std::shared_ptr<AclUser> Acl::DeleteUser(std::string_view name) {
  const auto it = users_.find(name);
  if (it == users_.end() || it->second == default_user_) return nullptr;
  std::shared_ptr<AclUser> removed = std::move(it->second);
  users_.erase(it);
  return removed;
}

void Acl::SetDefaultPassword(std::string_view password) {
  (void)default_user_->Apply("resetpass");
  if (password.empty()) {
    (void)default_user_->Apply("nopass");
  } else {
    (void)default_user_->Apply(">" + std::string(password));
  }
}

std::shared_ptr<AclUser> Acl::Authenticate(std::string_view name, std::string_view password) const {
  std::shared_ptr<AclUser> user = Find(name);
  if (user == nullptr || !user->Accepts(password)) return nullptr;
  return user;
}

Status Acl::LoadUsers(const std::vector<std::vector<std::string>>& lines, std::string_view origin) {
  // Built apart, then swapped in: a bad line changes nothing. Every error is reported,
  // in Redis's words.
  Acl loaded(*commands_);
  loaded.pubsub_default_all_ = pubsub_default_all_;
  loaded.users_.clear();
  std::string errors;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::vector<std::string>& line = lines[i];
    if (line.empty()) continue;  // a comment or a blank line
    const std::string at = std::string(origin) + ":" + std::to_string(i + 1);
    if (line.size() < 2 || line[0] != "user") {
      errors += at + " should start with user keyword followed by the username. ";
      continue;
    }
    const std::string& name = line[1];
    if (name.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string::npos) {
      errors += at + ": username '" + name + "' contains invalid characters. ";
      continue;
    }
    if (loaded.Find(name) != nullptr) {
      errors += "WARNING: Duplicate user '" + name + "' found on line " + std::to_string(i + 1) + ". ";
      continue;
    }
    auto user = std::make_shared<AclUser>(loaded.NewUser(name));
    loaded.users_.emplace(name, user);
    std::vector<std::string_view> words(line.begin() + 2, line.end());
    auto rules = MergeSelectorArguments(words);
    if (!rules.ok()) {
      errors += at + ": Unmatched parenthesis in selector definition.";  // no space after it in Redis either
      continue;
    }
    for (const std::string& rule : *rules) {
      Status status = user->Apply(rule);
      if (!status.ok()) {
        errors += at + ": Error in applying operation '" + rule + "': " + status.message() + ". ";
        break;
      }
    }
  }
  if (!errors.empty()) {
    return Status::Error(errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
  }
  // The default user keeps its object (clients refer to it), with the loaded rules; a
  // file without it leaves it as a server without users has it.
  if (std::shared_ptr<AclUser> loaded_default = loaded.Find("default")) {
    *default_user_ = *loaded_default;
  } else {
    *default_user_ = AclUser("default", *commands_);
    MakeDefaultUser(*default_user_);
  }
  loaded.users_["default"] = default_user_;
  users_ = std::move(loaded.users_);
  return Status::Ok();
}

Status Acl::LoadFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::Error("Error loading ACLs, opening file '" + path + "': No such file or directory");
  // One entry per line, empty for comments and blank lines, so errors name the line.
  // Words are separated by spaces, as Redis reads the file (no quoting).
  std::vector<std::vector<std::string>> lines;
  std::string text;
  while (std::getline(file, text)) {
    std::vector<std::string>& words = lines.emplace_back();
    const size_t start = text.find_first_not_of(" \t\r");
    if (start == std::string::npos || text[start] == '#') continue;
    std::istringstream in(text);
    for (std::string word; in >> word;) words.push_back(std::move(word));
  }
  return LoadUsers(lines, path);
}

Status Acl::SaveFile(const std::string& path) const {
  std::string content;
  for (const auto& [name, user] : users_) content += "user " + name + " " + user->Describe() + "\n";
  return WriteFileAtomically(path, content);
}

void Acl::Log(std::string_view reason, std::string_view context, std::string_view object, std::string_view username,
              std::string client_info, int64_t now_ms, size_t max_len) {
  if (reason == "auth") ++denials_.auth;
  if (reason == "command") ++denials_.command;
  if (reason == "key") ++denials_.key;
  if (reason == "channel") ++denials_.channel;
  for (auto it = log_.begin(); it != log_.end(); ++it) {
    if (it->reason == reason && it->context == context && it->object == object && it->username == username &&
        now_ms - it->updated_ms < kLogGroupingMs) {
      AclLogEntry entry = std::move(*it);
      log_.erase(it);
      ++entry.count;
      entry.updated_ms = now_ms;
      entry.client_info = std::move(client_info);
      log_.push_front(std::move(entry));
      return;
    }
  }
  log_.push_front({.entry_id = next_entry_id_++,
                   .reason = std::string(reason),
                   .context = std::string(context),
                   .object = std::string(object),
                   .username = std::string(username),
                   .client_info = std::move(client_info),
                   .created_ms = now_ms,
                   .updated_ms = now_ms});
  TrimLog(max_len);
}

void Acl::TrimLog(size_t max_len) {
  while (log_.size() > max_len) log_.pop_back();
}

}  // namespace tierkv
