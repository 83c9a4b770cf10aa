// Server::Execute: the path of every command from parsed arguments to handler.
#include <algorithm>

#include "engine/memory.h"
#include "server/command_context.h"
#include "server/connection.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

bool ArityMatches(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

std::string UnknownCommandError(std::span<const std::string_view> args) {
  std::string text = "ERR unknown command '";
  text.append(args[0].substr(0, 128));
  text.append("', with args beginning with: ");
  const size_t listed_start = text.size();
  for (size_t i = 1; i < args.size() && text.size() - listed_start < 128; ++i) {
    text.push_back('\'');
    text.append(args[i].substr(0, 128 - (text.size() - listed_start - 1)));
    text.append("' ");
  }
  return text;
}

}  // namespace

void Server::Execute(Client& client, std::span<const std::string_view> args) {
  ReplyWriter& reply = client.reply;
  shard_.set_now_ms(Shard::WallClockMs());
  ++stats_.total_commands_processed;
  ++client.commands_processed;

  // Every refusal before the command runs also dooms an open MULTI, as in Redis.
  auto reject = [&](const std::string& error) {
    reply.Error(error);
    ++stats_.total_error_replies;
    if (client.in_multi) client.multi_aborted = true;
  };

  const CommandSpec* spec = commands_->Find(args[0]);
  if (spec == nullptr) return reject(UnknownCommandError(args));
  if (!ArityMatches(spec->arity, args.size())) return reject(WrongArgCountError(spec->name));
  if (!spec->subcommands.empty()) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (sub == nullptr) return reject(UnknownSubcommandError(args[1], spec->name));
    if (!ArityMatches(sub->arity, args.size())) return reject(WrongArgCountError(spec->name + "|" + sub->name));
    spec = sub;
  }
  client.last_command = spec->name;

  const bool over_memory = shard_.options().maxmemory > 0 && !shard_.EnforceMaxmemory().ok();
  if (over_memory && (spec->flags & kCmdDenyOom)) return reject(ErrorText(Status::OutOfMemory()));

  if (client.in_multi && !(spec->flags & kCmdNoQueue)) {
    client.queued.emplace_back(args.begin(), args.end());
    reply.SimpleString("QUEUED");
    return;
  }

  CommandContext context{*this, client, shard_, *spec, args};
  spec->handler(context);
}

}  // namespace tierkv
