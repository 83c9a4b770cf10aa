// DUMP payloads: the bytes the DUMP command returns and RESTORE accepts.
//
//   payload = <object: type byte + value, RDB encoding> <rdb version: 2 bytes LE>
//             <CRC-64 of everything before it: 8 bytes LE>
//
// We write RDB version kRdbVersion (10, Redis 7.0's) so that Redis 7.0 and later RESTORE
// our payloads, and we accept versions kRdbMinReadVersion..kRdbMaxReadVersion (1..11,
// up to Redis 7.2's). Errors carry Redis's exact RESTORE error texts:
//   bad size, version or checksum   -> "ERR DUMP payload version or checksum are wrong"
//   a good footer, bad object        -> "ERR Bad data format"
// Unlike Redis, which ignores them, bytes between the object and the footer are
// rejected as a bad format.
//
// Thread-safety: free functions over caller-owned buffers; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/rdb/rdb_format.h"
#include "engine/rdb/rdb_object.h"
#include "engine/status.h"

namespace tierkv {

// Footer size: 2 bytes of RDB version, 8 of CRC-64.
inline constexpr size_t kDumpFooterSize = 10;

// The full DUMP payload of a string value.
std::string DumpString(std::string_view value, const RdbWriteOptions& options = {});

// The full DUMP payload of any entry's value.
std::string DumpEntry(const Entry& entry);
// Appends the footer (version kRdbVersion, then the CRC-64) to a serialized object,
// turning it into a payload. For object types that write themselves with RdbWriter.
void AppendDumpFooter(std::string* payload);

// Checks size, RDB version and CRC-64; returns the serialized object (the payload
// without its footer).
Result<std::string_view> VerifyDumpPayload(std::string_view payload);

// Verifies and decodes a payload; the object must fill it exactly up to the footer.
Result<RdbObject> ParseDumpPayload(std::string_view payload, const EncodingLimits& limits = {});

}  // namespace tierkv
