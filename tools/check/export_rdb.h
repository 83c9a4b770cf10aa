// RDB export (tierkv-check --dir DATA --export-rdb dump.rdb): writes the state a server
// started on DATA would recover, as a dump.rdb that Redis 7.0 loads.
//
// The state is rebuilt by the server's own recovery (tiering/recovery.h Recover: the tier,
// then the journal records above the checkpoint with the per-key LSN rule) into an engine
// Shard, every effect applied by the engine's effect applier
// (engine/effects/effect_applier.h), as a server applies it. Nothing in DATA changes: the
// tier is opened read-only, and a torn journal tail, which a starting server would cut,
// is left in place: recovery reads a scratch journal directory instead, whose segments
// link to DATA's except the torn one, copied up to its last whole record. A journal
// damaged before its end is refused (repair it first), as a server would refuse it.
//
// Keys whose expire time has passed by the time the file is written are left out and
// counted (Redis would drop them when loading). The file is written through RdbFileWriter:
// a temporary file renamed into place, so an existing FILE is replaced only by a whole one.
//
// Thread-safety: runs on the main thread.
#pragma once

#include "tools/check/check_options.h"

namespace tierkv::check {

int RunExportRdb(const CheckOptions& options);

}  // namespace tierkv::check
