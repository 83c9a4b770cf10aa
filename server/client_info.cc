#include "server/acl/acl_user.h"
#include "server/client_info.h"

#include "server/command.h"
#include "server/connection.h"

namespace tierkv {
namespace {

// Redis's flag letters, in the order catClientInfoString prints them.
std::string FlagLetters(const Client& client) {
  std::string flags;
  if (client.monitor) flags += 'O';
  if (client.pubsub) flags += 'P';
  if (client.in_multi) flags += 'x';
  if (client.blocked || client.postponed) flags += 'b';
  if (client.tracking.on) flags += 't';
  if (client.tracking.broken_redirect) flags += 'R';
  if (client.tracking.bcast) flags += 'B';
  if (client.watch_dirty) flags += 'd';
  if (client.close_after_reply) flags += 'c';
  if (client.no_evict) flags += 'e';
  if (client.no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  return flags;
}

size_t QueuedBytes(const Client& client) {
  size_t bytes = 0;
  for (const auto& command : client.queued) {
    bytes += sizeof(command) + command.capacity() * sizeof(std::string);
    for (const std::string& arg : command) bytes += arg.capacity();
  }
  return bytes;
}

}  // namespace

std::string ClientInfoLine(const Client& client, const PubSub& pubsub, int64_t now_ms) {
  Connection* connection = client.connection;
  const size_t qbuf = connection ? connection->query_buffer_bytes() : 0;
  const size_t qbuf_capacity = connection ? connection->query_buffer_capacity() : 0;
  const size_t pending = connection ? connection->pending_output_bytes() : client.output.size();
  // obl: replies still in the client's buffer; omem: replies handed to the
  // socket but not yet written (Redis's reply list is the closest match).
  const size_t obl = std::min(client.output.size(), pending);
  const size_t omem = pending - obl;
  const size_t multi_mem = QueuedBytes(client);
  const size_t rbs = client.output.capacity();
  const size_t tot_mem = sizeof(Client) + qbuf_capacity + rbs + omem + multi_mem;

  std::string line;
  line.reserve(384);
  auto field = [&](std::string_view name, std::string_view value) {
    if (!line.empty()) line += ' ';
    line.append(name).append("=").append(value);
  };
  auto number = [&](std::string_view name, int64_t value) { field(name, std::to_string(value)); };
  number("id", static_cast<int64_t>(client.id));
  field("addr", client.address);
  field("laddr", client.local_address);
  number("fd", connection ? connection->fd() : -1);
  field("name", client.name);
  number("age", (now_ms - client.created_ms) / 1000);
  number("idle", (now_ms - client.last_interaction_ms) / 1000);
  field("flags", FlagLetters(client));
  number("db", client.db);
  number("sub", static_cast<int64_t>(pubsub.CountOf(client, PubSub::Kind::kChannel)));
  number("psub", static_cast<int64_t>(pubsub.CountOf(client, PubSub::Kind::kPattern)));
  number("ssub", static_cast<int64_t>(pubsub.CountOf(client, PubSub::Kind::kShardChannel)));
  number("multi", client.in_multi ? static_cast<int64_t>(client.queued.size()) : -1);
  number("qbuf", static_cast<int64_t>(qbuf));
  number("qbuf-free", static_cast<int64_t>(qbuf_capacity - qbuf));
  number("argv-mem", 0);
  number("multi-mem", static_cast<int64_t>(multi_mem));
  number("rbs", static_cast<int64_t>(rbs));
  number("rbp", static_cast<int64_t>(rbs));
  number("obl", static_cast<int64_t>(obl));
  number("oll", omem > 0 ? 1 : 0);
  number("omem", static_cast<int64_t>(omem));
  number("tot-mem", static_cast<int64_t>(tot_mem));
  field("events", pending > 0 ? "rw" : "r");
  if (client.last_command == nullptr) {
    field("cmd", "NULL");
  } else if (client.last_command_parent != nullptr) {
    field("cmd", client.last_command_parent->name + "|" + client.last_command->name);
  } else {
    field("cmd", client.last_command->name);
  }
  field("user", client.user != nullptr ? client.user->name() : "default");
  number("redir", client.tracking.on ? static_cast<int64_t>(client.tracking.redirect) : -1);
  number("resp", client.reply.protocol());
  field("lib-name", client.lib_name);
  field("lib-ver", client.lib_version);
  return line;
}

bool IsLocalClient(const Client& client) {
  const size_t colon = client.address.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string_view ip = std::string_view(client.address).substr(0, colon);
  return ip == "127.0.0.1" || ip == "::1" || ip == "[::1]";
}

bool AllowProtectedAction(std::string_view setting, const Client& client) {
  return setting == "yes" || (setting == "local" && IsLocalClient(client));
}

}  // namespace tierkv
