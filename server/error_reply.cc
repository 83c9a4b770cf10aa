#include "server/error_reply.h"

#include <cctype>

#include "server/command_table.h"

namespace tierkv {

std::string ErrorText(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return "";
    case Code::kWrongType: return "WRONGTYPE Operation against a key holding the wrong kind of value";
    case Code::kNotInteger: return "ERR value is not an integer or out of range";
    case Code::kNotFloat: return "ERR value is not a valid float";
    case Code::kSyntax: return "ERR syntax error";
    case Code::kNoSuchKey: return "ERR no such key";
    case Code::kOutOfRange: return "ERR index out of range";
    case Code::kOverflow: return "ERR increment or decrement would overflow";
    case Code::kOutOfMemory: return "OOM command not allowed when used memory > 'maxmemory'.";
    case Code::kBusyKey: return "BUSYKEY Target key name already exists.";
    case Code::kError: return status.message();
    case Code::kIoError: return "ERR I/O error: " + status.message();
    case Code::kCorruption: return "ERR data corruption: " + status.message();
  }
  return "ERR unknown error";
}

void ReplyError(ReplyWriter& reply, const Status& status) { reply.Error(ErrorText(status)); }

std::string WrongArgCountError(std::string_view full_command_name) {
  return "ERR wrong number of arguments for '" + AsciiLower(full_command_name) + "' command";
}

std::string UnknownSubcommandError(std::string_view subcommand, std::string_view command) {
  std::string upper(command);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "ERR unknown subcommand '" + std::string(subcommand.substr(0, 128)) + "'. Try " + upper + " HELP.";
}

}  // namespace tierkv
