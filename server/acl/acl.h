// Acl: the users (the "default" user always exists), the ACL LOG of refusals,
// and the ACL file. Users are shared with the clients authenticated as them, so
// that ACL SETUSER changes what those clients may do at once, as in Redis.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "server/acl/acl_user.h"

namespace tierkv {

class CommandTable;

// One ACL LOG entry: refusals of the same reason, context, object and user
// within a minute are counted in one entry, as in Redis.
struct AclLogEntry {
  uint64_t entry_id = 0;
  uint64_t count = 1;
  std::string reason;   // command, key, channel, auth
  std::string context;  // toplevel, multi, lua
  std::string object;   // the command, key or channel refused ("AUTH" for a failed login)
  std::string username;
  std::string client_info;  // CLIENT INFO of the client refused, at the last refusal
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

class Acl {
 public:
  explicit Acl(const CommandTable& commands);

  const std::shared_ptr<AclUser>& default_user() const { return default_user_; }
  // nullptr when there is no such user.
  std::shared_ptr<AclUser> Find(std::string_view name) const;
  const std::map<std::string, std::shared_ptr<AclUser>, std::less<>>& users() const { return users_; }
  // ACL SETUSER: creates the user if needed and applies `rules` all or nothing. The
  // error is Redis's full reply text.
  Status SetUser(std::string_view name, std::span<const std::string_view> rules);
  // Removes the user (never "default"); the removed user, or nullptr.
  std::shared_ptr<AclUser> DeleteUser(std::string_view name);
  // acl-pubsub-default: users created from now on (and `reset`, and new selectors) get
  // every channel (true: allchannels) or none (false: resetchannels, Redis 7's default).
  void set_pubsub_default_all(bool all) { pubsub_default_all_ = all; }
  // requirepass: the default user's only password ("" = nopass).
  void SetDefaultPassword(std::string_view password);
  // Clients need not AUTH while the default user is on and nopass.
  bool default_user_open() const { return default_user_->enabled() && default_user_->nopass(); }
  // The user `name` if it is on and `password` is one of its passwords.
  std::shared_ptr<AclUser> Authenticate(std::string_view name, std::string_view password) const;

  // `user <name> <rules...>` lines (config file or ACL file; an empty line is skipped
  // but counted). Replaces every user but keeps the default user's object (its clients
  // stay); nothing changes on error. The error lists every bad line, as Redis's.
  Status LoadUsers(const std::vector<std::vector<std::string>>& lines, std::string_view origin);
  // Reads an ACL file (Redis's syntax: one "user" line per user, '#' comments).
  Status LoadFile(const std::string& path);
  // Writes every user to `path` (through a temporary file and a rename).
  Status SaveFile(const std::string& path) const;

  // ACL LOG.
  void Log(std::string_view reason, std::string_view context, std::string_view object, std::string_view username,
           std::string client_info, int64_t now_ms, size_t max_len);
  const std::deque<AclLogEntry>& log() const { return log_; }
  void ResetLog() { log_.clear(); }
  void TrimLog(size_t max_len);
  // INFO stats: acl_access_denied_auth, _cmd, _key, _channel.
  struct DenialCounts {
    uint64_t auth = 0, command = 0, key = 0, channel = 0;
  };
  const DenialCounts& denials() const { return denials_; }

 private:
  // A user as ACL SETUSER and the ACL file create one: off, no permissions, the
  // channels of acl-pubsub-default.
  AclUser NewUser(std::string name) const;

  const CommandTable* commands_;
  bool pubsub_default_all_ = false;
  std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users_;
  std::shared_ptr<AclUser> default_user_;
  std::deque<AclLogEntry> log_;  // newest first
  uint64_t next_entry_id_ = 0;
  DenialCounts denials_;
};

}  // namespace tierkv
