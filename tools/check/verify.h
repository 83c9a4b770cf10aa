// Verification (tierkv-check --dir DATA): reads the tier and the journal the way recovery
// would, changes nothing, prints counts and every problem, and returns the exit status.
//
//  errors (exit 1): the tier cannot be opened or read, an entry does not decode, the
//    format version differs, the journal is corrupt before its end, a record after the
//    checkpoint holds a malformed effect.
//  warnings (exit 0; 1 with --strict): a torn journal tail (recovery cuts it), LSNs missing
//    after the checkpoint, tier entries newer than anything the journal and checkpoint
//    account for, effect verbs this tool does not know, no tier beside a journal.
//
// Thread-safety: runs on the main thread.
#pragma once

#include "tools/check/check_options.h"

namespace tierkv::check {

int RunVerify(const CheckOptions& options);

}  // namespace tierkv::check
