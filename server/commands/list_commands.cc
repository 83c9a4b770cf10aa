// Lists commands: the Cmd* half (argument parsing and replies).
#include "server/command_table.h"

namespace tierkv {

void RegisterListCommands(CommandTable&) {}

}  // namespace tierkv
