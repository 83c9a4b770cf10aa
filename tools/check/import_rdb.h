// RDB import (tierkv-check --dir DATA --import-rdb dump.rdb): loads a Redis dump into the
// tier of an empty data directory, so that a server started on DATA serves its keys.
//
// Every key becomes a tier entry with LSN 0 and the file's object bytes as its value (the
// tier stores RDB object encoding, so nothing is re-encoded); the checkpoint LSN is left
// where it was (0 for a new directory). Recovery loads tier entries whatever their LSN and
// replays only journal records above the checkpoint, so the server starts with exactly the
// imported keys and numbers its writes from 1.
//
// The file is read twice: a first pass checks it whole (its CRC-64 is verified at the end)
// and counts what cannot be imported; only then does the second pass write. So a damaged
// file, or one with types tierkv cannot hold yet (without --skip-unsupported: exit 3),
// leaves DATA untouched. Keys whose expire time has already passed are skipped and
// counted, as Redis skips them when it loads a file. DATA must hold no tier entries and no
// journal unless --force: importing into a live dataset is out of scope.
//
// Thread-safety: runs on the main thread.
#pragma once

#include "tools/check/check_options.h"

namespace tierkv::check {

int RunImportRdb(const CheckOptions& options);

}  // namespace tierkv::check
