// Sorted sets commands: the Cmd* half (argument parsing and replies).
#include "server/command_table.h"

namespace tierkv {

void RegisterSortedSetCommands(CommandTable&) {}

}  // namespace tierkv
