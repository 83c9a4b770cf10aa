// CommandContext: everything a handler may use while it runs one command.
// Thread-safety: lives for one command on the engine thread.
#pragma once

#include <span>
#include <string_view>

#include "engine/db.h"
#include "engine/shard.h"
#include "server/client.h"
#include "server/command.h"
#include "server/reply_writer.h"

namespace tierkv {

class Server;

struct CommandContext {
  Server& server;
  Client& client;
  Shard& shard;
  const CommandSpec& spec;
  std::span<const std::string_view> args;  // args[0] is the command name as sent

  Db& db() { return shard.db(client.db); }
  ReplyWriter& reply() { return client.reply; }
  std::string_view arg(size_t i) const { return args[i]; }
  size_t argc() const { return args.size(); }
};

}  // namespace tierkv
