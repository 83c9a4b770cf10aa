// The HELP subcommand's reply, as Redis's addReplyHelp: a status line naming the
// command, the given lines, then HELP itself; one status string per line.
#pragma once

#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>

#include "server/reply_writer.h"

namespace tierkv {

inline void ReplyHelp(ReplyWriter& reply, std::string_view command, std::initializer_list<std::string_view> lines) {
  std::string upper(command);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  reply.Array(lines.size() + 3);
  reply.SimpleString(upper + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) reply.SimpleString(line);
  reply.SimpleString("HELP");
  reply.SimpleString("    Prints this help.");
}

}  // namespace tierkv
