// Redis's command documentation as data: the COMMAND DOCS of every command
// and subcommand, kept as text in two places and attached to the command
// table when it is built, the way key specs are (server/key_specs.h).
//   server/generated/command_docs.cc  Redis's own docs, written by
//                                     tools/command-docs/generate.py
//   server/command_docs_tierkv.cc     written by hand: commands the reference
//                                     lacks, and what Redis 7.2 added to docs
// Every command is documented exactly once across the two (and may have
// additions); a command without docs, docs naming no command, or text that
// does not parse stops start-up.
//
// The text format: one line per fact, nesting by two-space indentation, blank
// lines and lines starting with '#' ignored.
//   <full name>                       a command ("get") or subcommand ("config|set"),
//                                     at column 0; its facts follow, indented
//   +<full name>                      facts added to that command's docs: doc flags,
//                                     deprecation, history lines and arguments appended
//     doc_flags <deprecated|syscmd>...
//     deprecated_since <version>
//     replaced_by <text>
//     history <version> <text>        one line per change, in order
//     arg <name> <type>               an argument, in order; its facts follow, indented:
//       display_text <text>
//       key_spec_index <n>            key arguments: index into the command's key specs
//       token <text>
//       summary <text>
//       since <version>
//       deprecated_since <version>
//       flags <optional|multiple|multiple_token>...
//       arg <name> <type>             the arguments of a oneof or a block
// Values run to the end of the line. Summary, since, group and complexity are
// the command table's own fields and are not repeated here.
//
// Thread-safety: AttachCommandDocs runs while the table is built.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace tierkv {

class CommandTable;

// One text of docs, and the name its errors give it (its file).
struct CommandDocsText {
  std::string_view origin;
  std::string_view text;
};

// The texts the server is built with.
std::string_view GeneratedCommandDocs();
std::string_view HandWrittenCommandDocs();

// Parses the server's docs texts and gives every command and subcommand its
// docs; fails, naming the first problem, unless each is documented exactly
// once and every key_spec_index names one of the command's key specs.
Status AttachCommandDocs(CommandTable& table);
Status AttachCommandDocs(CommandTable& table, std::span<const CommandDocsText> texts);

// The names of CommandDocs flags (doc_flags) and of ArgumentDoc flags, in
// Redis's reply order: the words the text format uses too.
std::vector<std::string> DocFlagNames(uint8_t command_doc_flags);
std::vector<std::string> ArgumentFlagNames(uint8_t argument_flags);

}  // namespace tierkv
