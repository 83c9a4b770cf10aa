// RDB primitives: the constants and the low-level encodings that every RDB object, RDB
// file and DUMP payload is built from, with a writer that appends to a std::string and a
// bounds-checked reader over a std::string_view.
//
// Lengths (big-endian where multi-byte; the top two bits of the first byte choose):
//   00LLLLLL                       6-bit length (0..63)
//   01LLLLLL LLLLLLLL              14-bit length (64..16383)
//   10000000 <4 bytes>             32-bit length
//   10000001 <8 bytes>             64-bit length
//   11EEEEEE                       not a length: a special string encoding E follows
// Strings: a length then that many bytes, or one of the special encodings
//   E=0 int8, E=1 int16, E=2 int32   (little-endian two's complement; the string is
//                                     the integer's decimal text)
//   E=3 LZF: <compressed length> <original length> <compressed bytes>
//
// The writer makes exactly Redis's choices (rdbSaveRawString in Redis 7.x), so our bytes
// equal Redis's: a string of at most 11 bytes that is the canonical decimal form of a
// 32-bit signed integer is stored as int8/16/32; otherwise, with compression on and more
// than 20 bytes, it is LZF-compressed if that saves at least 4 bytes (liblzf's test);
// otherwise it is stored raw.
//
// Thread-safety: RdbWriter and RdbReader are not thread-safe (each wraps one buffer);
// distinct instances may be used on distinct threads. The constants are immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

// RDB format versions. We write Redis 7.0's version so that Redis 7.0 and later accept
// our DUMP payloads; we read everything up to Redis 7.2's.
inline constexpr uint16_t kRdbVersion = 10;         // Redis 7.0 (7.2 writes 11)
inline constexpr uint16_t kRdbMinReadVersion = 1;
inline constexpr uint16_t kRdbMaxReadVersion = 11;  // Redis 7.2

// Object type ids: the first byte of a serialized object (Redis's RDB_TYPE_*).
inline constexpr uint8_t kRdbTypeString = 0;
inline constexpr uint8_t kRdbTypeList = 1;               // linked list of strings (old)
inline constexpr uint8_t kRdbTypeSet = 2;
inline constexpr uint8_t kRdbTypeZSet = 3;               // scores as text
inline constexpr uint8_t kRdbTypeHash = 4;
inline constexpr uint8_t kRdbTypeZSet2 = 5;              // scores as binary doubles
inline constexpr uint8_t kRdbTypeModulePreGa = 6;        // 4.0 release candidates only
inline constexpr uint8_t kRdbTypeModule2 = 7;
// 8 was never used.
inline constexpr uint8_t kRdbTypeHashZipmap = 9;
inline constexpr uint8_t kRdbTypeListZiplist = 10;
inline constexpr uint8_t kRdbTypeSetIntset = 11;
inline constexpr uint8_t kRdbTypeZSetZiplist = 12;
inline constexpr uint8_t kRdbTypeHashZiplist = 13;
inline constexpr uint8_t kRdbTypeListQuicklist = 14;
inline constexpr uint8_t kRdbTypeStreamListpacks = 15;
inline constexpr uint8_t kRdbTypeHashListpack = 16;      // RDB 10 (Redis 7.0)
inline constexpr uint8_t kRdbTypeZSetListpack = 17;      // RDB 10
inline constexpr uint8_t kRdbTypeListQuicklist2 = 18;    // RDB 10
inline constexpr uint8_t kRdbTypeStreamListpacks2 = 19;  // RDB 10
inline constexpr uint8_t kRdbTypeSetListpack = 20;       // RDB 11 (Redis 7.2)
inline constexpr uint8_t kRdbTypeStreamListpacks3 = 21;  // RDB 11

// True for the object type ids above (not for opcodes or 8).
constexpr bool IsRdbObjectType(uint8_t type) {
  return type <= kRdbTypeModule2 || (type >= kRdbTypeHashZipmap && type <= kRdbTypeStreamListpacks3);
}

// Opcodes that appear in an RDB file where a type byte could (Redis's RDB_OPCODE_*).
inline constexpr uint8_t kRdbOpcodeFunction2 = 245;
inline constexpr uint8_t kRdbOpcodeFunctionPreGa = 246;
inline constexpr uint8_t kRdbOpcodeModuleAux = 247;
inline constexpr uint8_t kRdbOpcodeIdle = 248;
inline constexpr uint8_t kRdbOpcodeFreq = 249;
inline constexpr uint8_t kRdbOpcodeAux = 250;
inline constexpr uint8_t kRdbOpcodeResizeDb = 251;
inline constexpr uint8_t kRdbOpcodeExpireTimeMs = 252;
inline constexpr uint8_t kRdbOpcodeExpireTime = 253;
inline constexpr uint8_t kRdbOpcodeSelectDb = 254;
inline constexpr uint8_t kRdbOpcodeEof = 255;

// Module data (module values of type kRdbTypeModule2 and MODULE_AUX records) is a
// sequence of <opcode: length> <operand> ended by kRdbModuleOpcodeEof, which lets a
// reader without the module skip it (Redis's RDB_MODULE_OPCODE_*).
inline constexpr uint64_t kRdbModuleOpcodeEof = 0;
inline constexpr uint64_t kRdbModuleOpcodeSint = 1;    // a length
inline constexpr uint64_t kRdbModuleOpcodeUint = 2;    // a length
inline constexpr uint64_t kRdbModuleOpcodeFloat = 3;   // 4 bytes
inline constexpr uint64_t kRdbModuleOpcodeDouble = 4;  // 8 bytes
inline constexpr uint64_t kRdbModuleOpcodeString = 5;  // a string

// Node containers in kRdbTypeListQuicklist2 (Redis's QUICKLIST_NODE_CONTAINER_*).
inline constexpr uint64_t kRdbQuicklistNodePlain = 1;   // one element, stored as is
inline constexpr uint64_t kRdbQuicklistNodePacked = 2;  // a listpack of elements

// Special string encodings (the E in 11EEEEEE).
inline constexpr uint8_t kRdbEncInt8 = 0;
inline constexpr uint8_t kRdbEncInt16 = 1;
inline constexpr uint8_t kRdbEncInt32 = 2;
inline constexpr uint8_t kRdbEncLzf = 3;

struct RdbWriteOptions {
  // Redis's `rdbcompression` (default yes): LZF-compress strings longer than 20 bytes
  // when that saves space.
  bool compress = true;
};

// Appends RDB encodings to a caller-owned string.
class RdbWriter {
 public:
  explicit RdbWriter(std::string* out, RdbWriteOptions options = {}) : out_(out), options_(options) {}

  // A type id or opcode.
  void WriteByte(uint8_t byte) { out_->push_back(static_cast<char>(byte)); }
  // Bytes copied verbatim, no length prefix.
  void WriteBytes(std::string_view bytes) { out_->append(bytes); }
  void WriteLength(uint64_t len);
  // A string in whichever encoding Redis would choose (see top of file).
  void WriteString(std::string_view value);
  // A string holding the decimal text of `value`; same bytes as WriteString of that text.
  void WriteIntegerString(int64_t value);
  // Fixed-width little-endian integers (RDB footers, millisecond expire times).
  void WriteUint16LE(uint16_t value);
  void WriteUint64LE(uint64_t value);

 private:
  void WriteRawString(std::string_view value);
  std::string* out_;
  RdbWriteOptions options_;
};

// A length field as read: either a length, or (encoded) one of the kRdbEnc* values.
struct RdbLength {
  uint64_t value = 0;
  bool encoded = false;
};

// Reads RDB encodings from a buffer it does not own. Every read checks bounds; damaged
// or truncated input yields Status::Corruption and leaves the position unspecified.
class RdbReader {
 public:
  explicit RdbReader(std::string_view data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  Result<uint8_t> ReadByte();
  // The next `n` bytes, verbatim (a view into the buffer).
  Result<std::string_view> ReadBytes(size_t n);
  // A length or a special-encoding marker.
  Result<RdbLength> ReadLengthOrEncoding();
  // A length; a special-encoding marker here is corruption.
  Result<uint64_t> ReadLength();
  // A string in any encoding, decoded (integers back to their decimal text, LZF inflated).
  Result<std::string> ReadString();
  // Moves past a string in any encoding without decoding it (LZF data is not inflated,
  // so damage inside compressed bytes goes unnoticed here).
  Status SkipString();
  Result<uint16_t> ReadUint16LE();
  Result<uint64_t> ReadUint64LE();

 private:
  Result<std::string> ReadEncodedString(uint64_t encoding);
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace tierkv
