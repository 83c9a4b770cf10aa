// RdbObject: one value in Redis's RDB object encoding (a type id byte, then the value),
// the unit that DUMP payloads carry and that the tier stores.
//
// Strings are decoded here; every other type decodes straight into its engine value
// (engine/types/) through its own file, engine/rdb/rdb_<type>.cc (rdb_collections.h), which
// reads each encoding Redis writes for that type and writes the one Redis 7.0 reads.
//
// Thread-safety: plain values and free functions over caller-owned buffers; no shared
// state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <memory>

#include "engine/entry.h"
#include "engine/rdb/rdb_format.h"
#include "engine/status.h"
#include "engine/types/encoding_limits.h"

namespace tierkv {

// A decoded non-string value, ready to become an Entry.
struct RdbCollection {
  ValueType type = ValueType::kHash;
  std::unique_ptr<ValueObject> object;
};

// The decoded value: std::string for kRdbTypeString, RdbCollection for the others.
using RdbValue = std::variant<std::string, RdbCollection>;

struct RdbObject {
  uint8_t type = kRdbTypeString;  // the RDB type id as read, e.g. kRdbTypeString
  RdbValue value;

  bool is_string() const { return std::holds_alternative<std::string>(value); }
  // Requires is_string().
  const std::string& string_value() const { return std::get<std::string>(value); }
};

// A new entry (caller owns it) holding the object's value, which is moved out.
Entry* NewEntryFromRdb(std::string_view key, RdbObject&& object, int64_t expire_at);
// Writes the entry's value as an object (type byte and value), in the encoding Redis 7.0
// writes for it.
void WriteRdbObject(RdbWriter& writer, const Entry& entry);

// Writes a string object: kRdbTypeString, then the string encoded as Redis would.
void WriteRdbStringObject(RdbWriter& writer, std::string_view value);

// Reads one object (type byte and value); collections take the encoding `limits` choose
// for their size, as Redis converts on load. A type id we cannot decode (module values,
// pre-7.0 ziplist and zipmap encodings), or an opcode, is Status::Corruption naming it.
Result<RdbObject> ReadRdbObject(RdbReader& reader, const EncodingLimits& limits = {});

// The type and encoding a value stored under RDB type id `type` in `stored_bytes` bytes
// reports while it is not decoded (a value left in the tier at start-up). The type is
// exact; the encoding is the one the stored form names, and where the form serves two
// (a list is one listpack or quicklist nodes, a set listpack or hashtable) the one its
// size points to: decoding may still choose otherwise (a set of many short members,
// limits changed since it was written). A string is raw: strings short enough to be int
// or embstr are never left cold.
// nullopt for the type ids ReadRdbObject cannot decode.
struct StoredValueShape {
  ValueType type;
  Encoding encoding;
};
std::optional<StoredValueShape> StoredShapeOf(uint8_t type, uint64_t stored_bytes, const EncodingLimits& limits);

// True for the type ids ReadRdbObject decodes (strings and every collection encoding of
// Redis 7.0 and 7.2); false for modules, pre-7.0 ziplist/zipmap encodings and opcodes.
bool IsDecodableRdbType(uint8_t type);
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
