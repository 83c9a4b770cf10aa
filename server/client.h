// Client: the state Redis keeps per connection (selected db, protocol version,
// name, MULTI queue, watched keys, flags) plus the reply buffer. The connection
// owns the socket; the client owns what commands read and write.
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/reply_writer.h"

namespace tierkv {

class AclUser;
class Connection;
struct CommandSpec;

struct WatchedKey {
  int db;
  std::string key;
  bool expired_when_watched;  // already expired at WATCH: its deletion is no change (server/watch_registry.h)
};

// CLIENT TRACKING's state of one client (server/client_tracking.h keeps the tables).
struct TrackingMode {
  bool on = false;
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  // CLIENT CACHING YES (optin) or NO (optout) was given for the next command (or for the
  // commands of the MULTI it is in), as Redis's CLIENT_TRACKING_CACHING.
  bool caching = false;
  bool broken_redirect = false;  // the redirect client was gone when a message was due
  uint64_t redirect = 0;          // 0: messages go to the client itself
  std::vector<std::string> prefixes;  // BCAST prefixes, sorted ("" for all keys)
};

struct Client {
  explicit Client(uint64_t client_id) : id(client_id), reply(&output) {}

  uint64_t id;
  std::string name;
  std::string lib_name;
  std::string lib_version;
  std::string address;        // "127.0.0.1:54321"
  std::string local_address;  // "127.0.0.1:6379"
  int db = 0;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // The last command run, for CLIENT LIST's cmd= ("client|info" for subcommands).
  const CommandSpec* last_command = nullptr;
  const CommandSpec* last_command_parent = nullptr;

  std::string output;   // replies not yet handed to the socket
  ReplyWriter reply;

  // MULTI/EXEC state.
  bool in_multi = false;
  bool multi_aborted = false;  // a queued command failed to queue: EXEC answers EXECABORT
  bool watch_dirty = false;    // a watched key changed: EXEC answers nil
  std::vector<std::vector<std::string>> queued;
  std::vector<WatchedKey> watched;

  bool no_evict = false;   // CLIENT NO-EVICT
  bool no_touch = false;   // CLIENT NO-TOUCH
  // AUTH state. Server::Execute marks a client authenticated when it runs a
  // command while no password is required, so clients already talking when
  // requirepass is set keep working, as in Redis (which decides at connect time).
  bool authenticated = false;
  // The ACL user it runs as; null for the default user. Shared with the ACL, so that
  // ACL SETUSER applies to clients already authenticated.
  std::shared_ptr<AclUser> user;
  // CLIENT REPLY ON|OFF|SKIP. kSkipNext is the CLIENT REPLY SKIP command itself;
  // it becomes kSkip for the next command, whose reply is dropped.
  enum class ReplyMode : uint8_t { kOn, kOff, kSkipNext, kSkip };
  ReplyMode reply_mode = ReplyMode::kOn;
  bool close_after_reply = false;
  bool suspended = false;  // runs no more commands until the server resumes it
  bool monitor = false;  // MONITOR: sees every command the server runs
  // Its next command waits in the query buffer for CLIENT PAUSE to end (Server::Unpause).
  bool postponed = false;
  bool blocked = false;    // waiting in a blocking command (server/blocking.h)
  bool kill_requested = false;
  // The client scripts run their commands as (server/scripting/): the script engine
  // applies Redis's script rules (OOM, read-only) itself, and it is never BUSY.
  bool script = false;
  // Subscribed to a channel, pattern or shard channel (Redis's CLIENT_PUBSUB): RESP2 then
  // allows only the subscription commands, and the pubsub output limit applies. Kept by
  // PubSub (server/pubsub.h), which owns the subscriptions themselves.
  bool pubsub = false;
  TrackingMode tracking;
  uint64_t commands_processed = 0;
  // reply.errors_written() when the last command was counted: errors written after it
  // belong to the command counted next (EXEC's own, after the commands it ran).
  uint64_t errors_accounted = 0;
  Connection* connection = nullptr;
};

}  // namespace tierkv
