// The exit status of tierkv-check, one value per outcome a script may want to tell apart
// (documented in docs/OPERATIONS.md, "tierkv-check").
//
// Thread-safety: constants.
#pragma once

namespace tierkv::check {

enum ExitCode : int {
  kExitOk = 0,               // done; only warnings (with --strict: none at all)
  kExitDamaged = 1,          // damage found, or the operation failed part-way
  kExitRepairNotApplied = 2, // --repair without --yes: the plan was printed, nothing changed
  kExitUnsupportedTypes = 3, // --import-rdb: keys of types tierkv cannot hold; nothing imported
  kExitCannotRun = 4,        // bad arguments, not a data directory, a server holds it, or an
                             // import target that already holds data (without --force)
};

}  // namespace tierkv::check
