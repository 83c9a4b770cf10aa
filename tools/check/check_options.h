// The command line of tierkv-check: which mode runs and with what. A hand-written parser:
// a dozen flags do not justify a dependency.
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <string>
#include <vector>

#include "engine/status.h"

namespace tierkv::check {

enum class Mode {
  kVerify,     // default: report on the tier and the journal, change nothing
  kRepair,     // --repair: cut the journal at its damage (with --yes)
  kImportRdb,  // --import-rdb FILE: load a dump.rdb into an empty data directory
  kExportRdb,  // --export-rdb FILE: write the state a server would recover as dump.rdb
  kHelp,       // --help
};

struct CheckOptions {
  Mode mode = Mode::kVerify;
  std::string dir;               // --dir DATA
  std::string rdb_path;          // the FILE of --import-rdb / --export-rdb
  bool strict = false;           // --strict: warnings (a torn tail too) fail verification
  bool yes = false;              // --yes: --repair acts instead of printing its plan
  bool force = false;            // --force: --import-rdb into a directory that holds data
  bool skip_unsupported = false; // --skip-unsupported: import what tierkv can hold
};

// Parses argv[1..]. Status::Error naming the offending argument on a mistake.
Result<CheckOptions> ParseCheckOptions(const std::vector<std::string>& args);

// The --help text.
const char* CheckUsage();

}  // namespace tierkv::check
