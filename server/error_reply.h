// The one place a Status becomes RESP error text.
#pragma once

#include <string>

#include "engine/status.h"
#include "server/reply_writer.h"

namespace tierkv {

std::string ErrorText(const Status& status);
void ReplyError(ReplyWriter& reply, const Status& status);

// Frequently used Redis error texts.
std::string WrongArgCountError(std::string_view full_command_name);
std::string UnknownSubcommandError(std::string_view subcommand, std::string_view command);

}  // namespace tierkv
