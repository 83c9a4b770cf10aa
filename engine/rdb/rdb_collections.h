// The RDB encodings of each collection type, one file each (engine/rdb/rdb_hash.cc,
// rdb_list.cc, rdb_set.cc, rdb_zset.cc, rdb_stream.cc), dispatched from rdb_object.cc.
//
// New*Cursor writes the type byte and the value in parts (rdb_value_cursor.h); Write*
// writes them in one go. Both write, in an encoding Redis 7.0 loads (RDB version
// 10), so DUMP payloads, exported RDB files and the tier share one format. Read* decodes
// a value whose type byte `rdb_type` has already been read, for every encoding of that
// type from Redis 7.0 and 7.2, straight into the engine's value, choosing the encoding
// `limits` allow for its size (as Redis converts on load). Damaged input is
// Status::Corruption, never a crash: RESTORE payloads come from clients.
//
// Thread-safety: free functions over caller-owned buffers and values.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/entry.h"
#include "engine/rdb/rdb_format.h"
#include "engine/rdb/rdb_value_cursor.h"
#include "engine/status.h"
#include "engine/types/encoding_limits.h"

namespace tierkv {

std::unique_ptr<RdbValueCursor> NewRdbHashCursor(const ValueObject& hash);
void WriteRdbHash(RdbWriter& writer, const ValueObject& hash);
Result<std::unique_ptr<ValueObject>> ReadRdbHash(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits);

std::unique_ptr<RdbValueCursor> NewRdbListCursor(const ValueObject& list);
void WriteRdbList(RdbWriter& writer, const ValueObject& list);
Result<std::unique_ptr<ValueObject>> ReadRdbList(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits);

std::unique_ptr<RdbValueCursor> NewRdbSetCursor(const ValueObject& set);
void WriteRdbSet(RdbWriter& writer, const ValueObject& set);
Result<std::unique_ptr<ValueObject>> ReadRdbSet(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits);

std::unique_ptr<RdbValueCursor> NewRdbZSetCursor(const ValueObject& zset);
void WriteRdbZSet(RdbWriter& writer, const ValueObject& zset);
Result<std::unique_ptr<ValueObject>> ReadRdbZSet(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits);

std::unique_ptr<RdbValueCursor> NewRdbStreamCursor(const ValueObject& stream);
void WriteRdbStream(RdbWriter& writer, const ValueObject& stream);
Result<std::unique_ptr<ValueObject>> ReadRdbStream(RdbReader& reader, uint8_t rdb_type,
                                                   const EncodingLimits& limits);

}  // namespace tierkv
