// Repair (tierkv-check --dir DATA --repair [--yes]): cuts the journal at the damage that
// stops a server from starting, the only repair that needs no judgement about the data.
//
// The plan names everything it drops: the damaged segment is truncated at the damaged
// record (the record and whatever follows it in that segment is lost) and every later
// segment is deleted (their records would replay on top of a hole). Records that still
// decode in the dropped bytes are counted with their LSN range, and those above the
// checkpoint are called out: their writes are lost for good, while the others are already
// in the tier. Without --yes the plan is printed and nothing changes (exit 2). With --yes
// later segments are deleted newest first (a crash half-way leaves a shorter journal, never
// one with a hole), the directory is synced, the segment truncated and synced, and the
// journal scanned again.
//
// The tier is never touched; a damaged tier is reported by verification.
//
// Thread-safety: runs on the main thread.
#pragma once

#include "tools/check/check_options.h"

namespace tierkv::check {

int RunRepair(const CheckOptions& options);

}  // namespace tierkv::check
