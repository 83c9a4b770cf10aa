// Streams commands: the Cmd* half (argument parsing and replies).
#include "server/command_table.h"

namespace tierkv {

void RegisterStreamCommands(CommandTable&) {}

}  // namespace tierkv
