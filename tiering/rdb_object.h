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

}  // namespace tierkv
