// The HELP subcommand's reply, as Redis's addReplyHelp: a status line naming the
// command, the given lines, then HELP itself; one status string per line. And the
// error that sends a client there.
#pragma once

#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "server/reply_writer.h"

namespace tierkv {

inline std::string UpperCommandName(std::string_view command) {
  std::string upper(command);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

inline void ReplyHelp(ReplyWriter& reply, std::string_view command, std::initializer_list<std::string_view> lines) {
  reply.Array(lines.size() + 3);
  reply.SimpleString(UpperCommandName(command) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) reply.SimpleString(line);
  reply.SimpleString("HELP");
  reply.SimpleString("    Prints this help.");
}

// Redis's addReplySubcommandSyntaxError: names the subcommand as the client sent it.
inline Status SubcommandSyntaxError(std::string_view subcommand, std::string_view command) {
  return Status::Error("ERR unknown subcommand or wrong number of arguments for '" +
                       std::string(subcommand.substr(0, 128)) + "'. Try " + UpperCommandName(command) + " HELP.");
}

}  // namespace tierkv
