// SORT and SORT_RO commands: the Cmd* half (argument parsing and replies).
#include "server/command_table.h"

namespace tierkv {

void RegisterSortCommands(CommandTable&) {}

}  // namespace tierkv
