// RdbObject: one value in Redis's RDB object encoding (a type id byte, then the value),
// the unit that DUMP payloads carry and that the tier stores.
//
// Only strings are decoded today. Later value types join RdbValue as distinct named
// structs (a list and a set are both sequences of strings, so a bare std::vector would
// be ambiguous), each with its writer and its reader branch in rdb_object.cc.
//
// Thread-safety: plain values and free functions over caller-owned buffers; no shared
// state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "engine/status.h"
#include "tiering/rdb_format.h"

namespace tierkv {

// The decoded value. Alternatives so far: std::string for kRdbTypeString.
using RdbValue = std::variant<std::string>;

struct RdbObject {
  uint8_t type = kRdbTypeString;  // the RDB type id as read, e.g. kRdbTypeString
  RdbValue value;

  bool is_string() const { return std::holds_alternative<std::string>(value); }
  // Requires is_string().
  const std::string& string_value() const { return std::get<std::string>(value); }
};

// Writes a string object: kRdbTypeString, then the string encoded as Redis would.
void WriteRdbStringObject(RdbWriter& writer, std::string_view value);

// Reads one object (type byte and value). A type id we cannot decode yet, or an
// opcode, is Status::Corruption with a message naming it.
Result<RdbObject> ReadRdbObject(RdbReader& reader);

// Moves past the value of an object whose type byte `type` has already been read,
// following the RDB layout of every type Redis up to 7.2 writes, without decoding it:
// lengths and string framing are checked, the contents of listpacks, ziplists, intsets
// and LZF data are not. So a reader can step over values it does not support.
// Corruption for an unknown type id, damaged framing, truncation, and for
// kRdbTypeModulePreGa, whose data only the module itself can parse.
Status SkipRdbValue(RdbReader& reader, uint8_t type);

// Moves past self-describing module data: <opcode> <operand> ... kRdbModuleOpcodeEof.
Status SkipRdbModuleData(RdbReader& reader);

// The encoding's name for an object type id, e.g. "hash-listpack", "list-quicklist-2";
// "unknown" for other bytes. For reports and error messages.
std::string_view RdbTypeName(uint8_t type);
// What Redis's TYPE command answers for a key of that type id: "string", "list", "set",
// "zset", "hash", "stream", "module"; "unknown" for other bytes.
std::string_view RdbTypeRedisName(uint8_t type);

}  // namespace tierkv
