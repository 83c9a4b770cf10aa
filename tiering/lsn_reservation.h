// The LSN reservation: a small file in the journal directory, `lsn-reserved`, recording
// "LSNs up to X may have been handed out". The journal will become the replication stream,
// so an LSN is never given to two different records, not even after a crash lost records
// that were numbered (and maybe acknowledged or streamed) but never reached the disk.
//
// The rule: the engine hands out LSN L only while L <= the reservation on disk (the
// journal writer extends it ahead of use, in steps of kLsnReservationStep, and before it
// writes any record above it); recovery resumes numbering above the reservation. The LSNs
// between the last record that reached the journal and the reservation are skipped: a gap
// inside a segment, which the scanner allows.
//
// Format: 8 bytes little-endian X, then crc32c of those 8 bytes (4 bytes little-endian).
// Written with WriteFileAtomically (tiering/file_io.h), so a crash leaves the old value or
// the new, never a torn one.
//
// Thread-safety: free functions, safe from any thread on distinct directories.
#pragma once

#include <cstdint>
#include <string>

#include "engine/status.h"

namespace tierkv {

// How far ahead of the last LSN handed out the reservation is extended: a million LSNs
// cost one small synced write per half a million writes.
inline constexpr uint64_t kLsnReservationStep = 1u << 20;

// The reservation recorded in `journal_dir`; 0 when there is none. Corruption if the file
// exists but does not hold a valid one.
Result<uint64_t> ReadLsnReservation(const std::string& journal_dir);

// Durably records that LSNs up to `up_to` may be handed out.
Status WriteLsnReservation(const std::string& journal_dir, uint64_t up_to);

}  // namespace tierkv
