// JournalRecord: one write command's entry in the journal (effect log), and its bytes.
//
// A record is the command's LSN, the db it ran in, and its per-key effects. Each effect is
// an ordinary Redis command as an argument vector ({"SET","k","v","PXAT","1700000000000"},
// {"DEL","k"}) that depends only on its key's previous state, so replay reuses the command
// code and the log stays readable (design brief, "The journal (effect log)").
//
// On disk (all integers little-endian):
//   u32 payload_length | u32 crc32c(payload) | payload
//   payload = varint lsn, varint db, varint effect_count,
//             effect_count x (varint argc, argc x (varint len, len bytes))
// Varints are LEB128 (7 bits per byte, low group first, at most 10 bytes for 64 bits).
// The 8-byte header makes a torn tail recognisable (not enough bytes for the claimed
// length) and the CRC makes damage recognisable; every length inside the payload is
// checked against the bytes that remain before anything is allocated for it.
//
// Thread-safety: free functions over caller-owned values; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/effect_record.h"
#include "engine/status.h"

namespace tierkv {

// The journal stores the engine's effect records as they are (engine/effect_record.h).
using JournalEffect = Effect;
using JournalRecord = EffectRecord;

// u32 payload length + u32 CRC-32C of the payload.
inline constexpr size_t kJournalRecordHeaderSize = 8;
// The largest payload we write or accept. A record mirrors one command, and a client
// query buffer is limited to 1 GiB (Redis's client-query-buffer-limit), so anything
// larger is damage, not data.
inline constexpr uint32_t kMaxJournalPayloadSize = 1u << 30;
// lsn, db and effect count take at least one byte each.
inline constexpr uint32_t kMinJournalPayloadSize = 3;

// Appends the encoded record (header and payload) to *out. A record whose payload would
// exceed kMaxJournalPayloadSize is refused: Status::Error, and *out is left as it was.
Status EncodeRecord(const JournalRecord& record, std::string* out);

// EncodeRecord for callers that know the record is within the limit (tests, tools). A
// refused record is a programming error: it terminates the process with a message, in
// every build type, rather than writing a record the decoder would call corrupt.
void AppendRecord(const JournalRecord& record, std::string* out);

enum class DecodeResult {
  kOk,          // *out holds the record; *consumed is its encoded size
  kIncomplete,  // `in` ends before the record does: a torn tail, or a damaged length
                // that claims more bytes than exist (the scanner tells the two apart)
  kCorrupt,     // checksum mismatch or a length that cannot be right
};

// Decodes the record at the start of `in`. On kOk fills *out and *consumed; otherwise
// leaves both untouched and, if `why` is non-null, says what was wrong in *why.
DecodeResult DecodeRecord(std::string_view in, JournalRecord* out, size_t* consumed,
                          std::string* why = nullptr);

const char* DecodeResultName(DecodeResult result);

}  // namespace tierkv
