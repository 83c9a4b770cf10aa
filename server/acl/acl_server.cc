// The Server's side of ACL: loading users at start-up, refusing and logging
// denied commands, and disconnecting the clients of a removed user.
#include "server/client_info.h"
#include "server/connection.h"
#include "server/server.h"

namespace tierkv {

Status Server::LoadUsers() {
  if (!settings_.acl_user_lines.empty() && !settings_.aclfile.empty()) {
    return Status::Error(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. "
        "This setup is very likely to lead to configuration errors and security holes, please define either an "
        "ACL file or declare users directly in your redis.conf, but not both.");
  }
  if (!settings_.acl_user_lines.empty()) {
    Status status = acl_.LoadUsers(settings_.acl_user_lines, "config file");
    if (!status.ok()) return Status::Error("Error in user declaration: " + status.message());
  }
  if (!settings_.aclfile.empty()) {
    Status status = acl_.LoadFile(settings_.aclfile);
    if (!status.ok()) return status;
  }
  // requirepass, when set, is the default user's password (as in Redis, it wins).
  if (!settings_.requirepass.empty()) acl_.SetDefaultPassword(settings_.requirepass);
  return Status::Ok();
}

bool Server::AuthenticateClient(Client& client, std::string_view username, std::string_view password,
                                std::string_view command) {
  std::shared_ptr<AclUser> user = acl_.Authenticate(username, password);
  if (user == nullptr) {
    LogAclDenial(client, "auth", command, username);
    return false;
  }
  client.user = user == acl_.default_user() ? nullptr : std::move(user);
  client.authenticated = true;
  return true;
}

void Server::LogAclDenial(const Client& client, std::string_view reason, std::string_view object,
                          std::string_view username) {
  const std::string_view context = client.script ? "lua" : (client.in_multi || execute_depth_ > 1) ? "multi" : "toplevel";
  // A script's commands are logged with the client that called the script.
  const Client* shown = &client;
  if (client.script) {
    if (Connection* caller = FindConnection(client.id)) shown = &caller->client();
  }
  acl_.Log(reason, context, object, username, ClientInfoLine(*shown, pubsub_, Shard::WallClockMs()),
           Shard::WallClockMs(), static_cast<size_t>(settings_.acllog_max_len));
}

std::string Server::AclDenialError(const Client& client, const CommandSpec& spec, const CommandSpec* parent,
                                   std::span<const std::string_view> args, AclVerdict verdict) {
  const std::string& username = UserOf(client).name();
  std::string reason;
  switch (verdict.denial) {
    case AclDenial::kCommand: {
      const std::string full_name = parent != nullptr ? parent->name + "|" + spec.name : spec.name;
      LogAclDenial(client, "command", full_name, username);
      reason = "this user has no permissions to run the '" + full_name + "' command";
      break;
    }
    case AclDenial::kKey:
      LogAclDenial(client, "key", args[verdict.position], username);
      reason = "this user has no permissions to access one of the keys used as arguments";
      break;
    case AclDenial::kChannel:
      LogAclDenial(client, "channel", args[verdict.position], username);
      reason = "this user has no permissions to access one of the channels used as arguments";
      break;
    case AclDenial::kAuth:
    case AclDenial::kNone:
      break;
  }
  // A script sees Redis's error for scripts; a client, NOPERM.
  return client.script ? "ERR ACL failure in script: " + reason : "NOPERM " + reason;
}

void Server::DisconnectUser(const AclUser* user, Client& self) {
  std::vector<Connection*> victims;
  for (const auto& [id, connection] : clients_) {
    Client& client = connection->client();
    if (client.user.get() != user) continue;
    // Back to the default user, unauthenticated, until the connection closes.
    client.user = nullptr;
    client.authenticated = false;
    if (&client == &self) {
      client.close_after_reply = true;
    } else {
      victims.push_back(connection);
    }
  }
  for (Connection* victim : victims) victim->Close();
}

void Server::DisconnectSubscribersWithoutAccess(const AclUser& user, Client& self) {
  std::vector<Connection*> victims;
  for (const auto& [id, connection] : clients_) {
    Client& client = connection->client();
    if (!client.pubsub || &UserOf(client) != &user) continue;
    bool lost = false;
    for (PubSub::Kind kind : {PubSub::Kind::kChannel, PubSub::Kind::kPattern, PubSub::Kind::kShardChannel}) {
      for (const std::string& name : pubsub_.SubscriptionsOf(client, kind)) {
        lost = lost || !user.ChannelAllowed(name, kind == PubSub::Kind::kPattern);
      }
    }
    if (!lost) continue;
    if (&client == &self) {
      client.close_after_reply = true;
    } else {
      victims.push_back(connection);
    }
  }
  for (Connection* victim : victims) victim->Close();
}

}  // namespace tierkv
