// HyperLogLog commands: the Cmd* half (argument parsing and replies).
#include "server/command_table.h"

namespace tierkv {

void RegisterHyperLogLogCommands(CommandTable&) {}

}  // namespace tierkv
