// Sets commands: the Cmd* half (argument parsing and replies).
#include "server/command_table.h"

namespace tierkv {

void RegisterSetCommands(CommandTable&) {}

}  // namespace tierkv
