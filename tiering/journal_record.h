// JournalRecord: one write command's entry in the journal (effect log), and its bytes.
//
// A record is the command's LSN, the db it ran in, and its per-key effects. Each effect is
// an ordinary Redis command as an argument vector ({"SET","k","v","PXAT","1700000000000"},
// {"DEL","k"}) that depends only on its key's previous state, so replay reuses the command
// code and the log stays readable (design brief, "The journal (effect log)").
//
// A record's payload (all integers LEB128 varints: 7 bits per byte, low group first, at
// most 10 bytes for 64 bits):
//   varint lsn, varint db, varint effect_count,
//   effect_count x (varint argc, argc x (varint len, len bytes))
// Every length inside a payload is checked against the bytes that remain before anything
// is allocated for it. A payload has no size limit: on disk it is cut into frames
// (journal_frame.h), so a record of any size can be journaled.
//
// Three containers carry payloads:
//  - a batch: what the journal writer hands to SegmentWriter::Append, records as
//    `varint payload_length | payload`, back to back. It never reaches the disk as such:
//    the segment writer frames each payload (format version 2, journal_frame.h).
//  - a version 2 segment: frames (journal_frame.h).
//  - a version 1 segment (written by earlier releases, still read):
//      u32 payload_length | u32 crc32c(payload) | payload     (little-endian)
//    back to back, without a segment header. The v1 encoder is kept only so that tests
//    and tools can produce such segments; the server never writes them.
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

// lsn, db and effect count take at least one byte each.
inline constexpr uint32_t kMinJournalPayloadSize = 3;

enum class DecodeResult {
  kOk,          // *out holds the record; *consumed is its encoded size
  kIncomplete,  // `in` ends before the record does: a torn tail, or a damaged length
                // that claims more bytes than exist (the scanner tells the two apart)
  kCorrupt,     // checksum mismatch or a length that cannot be right
};

const char* DecodeResultName(DecodeResult result);

// Appends the record's payload to *out.
void EncodeRecordPayload(const JournalRecord& record, std::string* out);
// Decodes a whole payload (its integrity already checked by a CRC): kOk or kCorrupt.
DecodeResult DecodeRecordPayload(std::string_view payload, JournalRecord* out,
                                 std::string* why = nullptr);
// The LSN a payload starts with, without decoding the rest; false if it has none.
bool PeekPayloadLsn(std::string_view payload, uint64_t* lsn);

// Appends the record to a batch (`varint payload_length | payload`).
void EncodeRecord(const JournalRecord& record, std::string* batch);
// Takes the next payload off the front of a batch. False at the end of the batch, or if
// what remains is not a whole entry (a programming error in whoever built it).
bool NextBatchPayload(std::string_view* batch, std::string_view* payload);

// ---------------------------------------------------------------------------------------
// Format version 1 (segments written by earlier releases).

// u32 payload length + u32 CRC-32C of the payload.
inline constexpr size_t kV1RecordHeaderSize = 8;
// Version 1 refused payloads above 1 GiB, so a larger length is damage.
inline constexpr uint32_t kV1MaxPayloadSize = 1u << 30;

// Decodes the version 1 record at the start of `in`. On kOk fills *out and *consumed;
// otherwise leaves both untouched and, if `why` is non-null, says what was wrong in *why.
DecodeResult DecodeV1Record(std::string_view in, JournalRecord* out, size_t* consumed,
                            std::string* why = nullptr);
// Appends `record` in the version 1 layout, for tests and tools that must produce a
// journal as earlier releases wrote it. The record must fit kV1MaxPayloadSize.
void EncodeV1RecordForTesting(const JournalRecord& record, std::string* out);

}  // namespace tierkv
