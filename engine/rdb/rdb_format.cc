// RDB length, integer and string encodings. See rdb_format.h.
#include "engine/rdb/rdb_format.h"

#include <charconv>
#include <limits>
#include <optional>

#include "engine/rdb/lzf.h"

namespace tierkv {
namespace {

constexpr uint8_t kLen6Bit = 0x00;     // 00xxxxxx
constexpr uint8_t kLen14Bit = 0x40;    // 01xxxxxx
constexpr uint8_t kLen32Bit = 0x80;    // exactly 0x80
constexpr uint8_t kLen64Bit = 0x81;    // exactly 0x81
constexpr uint8_t kEncodedMark = 0xc0; // 11xxxxxx

// Redis stores a string as an integer only if it has at most 11 bytes (the length of
// "-2147483648") and converting it to an integer and back gives the same bytes.
constexpr size_t kMaxIntegerStringLen = 11;
// ... and compresses only strings longer than this.
constexpr size_t kMinCompressLen = 21;
// ... when compression saves at least this much.
constexpr size_t kMinCompressSaving = 4;

// The value of `s` if it is the canonical decimal text of an int64 (no sign but '-', no
// leading zeros, no "-0", no spaces).
std::optional<int64_t> ParseCanonicalInteger(std::string_view s) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  char buf[24];
  auto [back_end, back_ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (back_ec != std::errc() || std::string_view(buf, back_end - buf) != s) return std::nullopt;
  return value;
}

bool FitsInt32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

Status Truncated() { return Status::Corruption("rdb: unexpected end of data"); }

}  // namespace

// ---- RdbWriter ----

void RdbWriter::WriteLength(uint64_t len) {
  if (len < (1u << 6)) {
    WriteByte(static_cast<uint8_t>(kLen6Bit | len));
  } else if (len < (1u << 14)) {
    WriteByte(static_cast<uint8_t>(kLen14Bit | (len >> 8)));
    WriteByte(static_cast<uint8_t>(len & 0xff));
  } else if (len <= std::numeric_limits<uint32_t>::max()) {
    WriteByte(kLen32Bit);
    for (int shift = 24; shift >= 0; shift -= 8) WriteByte(static_cast<uint8_t>(len >> shift));
  } else {
    WriteByte(kLen64Bit);
    for (int shift = 56; shift >= 0; shift -= 8) WriteByte(static_cast<uint8_t>(len >> shift));
  }
}

void RdbWriter::WriteString(std::string_view value) {
  if (value.size() <= kMaxIntegerStringLen) {
    std::optional<int64_t> n = ParseCanonicalInteger(value);
    if (n && FitsInt32(*n)) {
      WriteIntegerString(*n);
      return;
    }
  }
  if (options_.compress && value.size() >= kMinCompressLen) {
    std::optional<std::string> compressed = LzfCompress(value, value.size() - kMinCompressSaving);
    if (compressed) {
      WriteByte(kEncodedMark | kRdbEncLzf);
      WriteLength(compressed->size());
      WriteLength(value.size());
      WriteBytes(*compressed);
      return;
    }
  }
  WriteRawString(value);
}

void RdbWriter::WriteIntegerString(int64_t value) {
  if (value >= std::numeric_limits<int8_t>::min() && value <= std::numeric_limits<int8_t>::max()) {
    WriteByte(kEncodedMark | kRdbEncInt8);
    WriteByte(static_cast<uint8_t>(value));
  } else if (value >= std::numeric_limits<int16_t>::min() &&
             value <= std::numeric_limits<int16_t>::max()) {
    WriteByte(kEncodedMark | kRdbEncInt16);
    WriteUint16LE(static_cast<uint16_t>(value));
  } else if (FitsInt32(value)) {
    WriteByte(kEncodedMark | kRdbEncInt32);
    auto bits = static_cast<uint32_t>(value);
    for (int shift = 0; shift < 32; shift += 8) WriteByte(static_cast<uint8_t>(bits >> shift));
  } else {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    (void)ec;  // 24 bytes always hold an int64
    WriteRawString(std::string_view(buf, end - buf));
  }
}

void RdbWriter::WriteRawString(std::string_view value) {
  WriteLength(value.size());
  WriteBytes(value);
}

void RdbWriter::WriteUint16LE(uint16_t value) {
  WriteByte(static_cast<uint8_t>(value));
  WriteByte(static_cast<uint8_t>(value >> 8));
}

void RdbWriter::WriteUint64LE(uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) WriteByte(static_cast<uint8_t>(value >> shift));
}

// ---- RdbReader ----

Result<uint8_t> RdbReader::ReadByte() {
  if (at_end()) return Truncated();
  return static_cast<uint8_t>(data_[pos_++]);
}

Result<std::string_view> RdbReader::ReadBytes(size_t n) {
  if (n > remaining()) return Truncated();
  std::string_view bytes = data_.substr(pos_, n);
  pos_ += n;
  return bytes;
}

Result<RdbLength> RdbReader::ReadLengthOrEncoding() {
  Result<uint8_t> first = ReadByte();
  if (!first.ok()) return first.status();
  const uint8_t b = *first;
  switch (b >> 6) {
    case 0:
      return RdbLength{b & 0x3fu, false};
    case 1: {
      Result<uint8_t> low = ReadByte();
      if (!low.ok()) return low.status();
      return RdbLength{(uint64_t{b & 0x3fu} << 8) | *low, false};
    }
    case 3:
      return RdbLength{b & 0x3fu, true};
    default:
      break;
  }
  size_t width = 0;
  if (b == kLen32Bit) {
    width = 4;
  } else if (b == kLen64Bit) {
    width = 8;
  } else {
    return Status::Corruption("rdb: unknown length encoding");
  }
  Result<std::string_view> bytes = ReadBytes(width);
  if (!bytes.ok()) return bytes.status();
  uint64_t len = 0;
  for (char c : *bytes) len = (len << 8) | static_cast<uint8_t>(c);
  return RdbLength{len, false};
}

Result<uint64_t> RdbReader::ReadLength() {
  Result<RdbLength> len = ReadLengthOrEncoding();
  if (!len.ok()) return len.status();
  if (len->encoded) return Status::Corruption("rdb: special encoding where a length was expected");
  return len->value;
}

Result<std::string> RdbReader::ReadString() {
  Result<RdbLength> len = ReadLengthOrEncoding();
  if (!len.ok()) return len.status();
  if (len->encoded) return ReadEncodedString(len->value);
  Result<std::string_view> bytes = ReadBytes(len->value);
  if (!bytes.ok()) return bytes.status();
  return std::string(*bytes);
}

Status RdbReader::SkipString() {
  Result<RdbLength> len = ReadLengthOrEncoding();
  if (!len.ok()) return len.status();
  uint64_t skip = len->value;
  if (len->encoded) {
    switch (len->value) {
      case kRdbEncInt8:
        skip = 1;
        break;
      case kRdbEncInt16:
        skip = 2;
        break;
      case kRdbEncInt32:
        skip = 4;
        break;
      case kRdbEncLzf: {
        Result<uint64_t> compressed_len = ReadLength();
        if (!compressed_len.ok()) return compressed_len.status();
        Result<uint64_t> original_len = ReadLength();
        if (!original_len.ok()) return original_len.status();
        skip = *compressed_len;
        break;
      }
      default:
        return Status::Corruption("rdb: unknown string encoding");
    }
  }
  Result<std::string_view> bytes = ReadBytes(skip);
  return bytes.ok() ? Status::Ok() : bytes.status();
}

Result<std::string> RdbReader::ReadEncodedString(uint64_t encoding) {
  int64_t value = 0;
  switch (encoding) {
    case kRdbEncInt8: {
      Result<uint8_t> b = ReadByte();
      if (!b.ok()) return b.status();
      value = static_cast<int8_t>(*b);
      break;
    }
    case kRdbEncInt16: {
      Result<uint16_t> v = ReadUint16LE();
      if (!v.ok()) return v.status();
      value = static_cast<int16_t>(*v);
      break;
    }
    case kRdbEncInt32: {
      Result<std::string_view> bytes = ReadBytes(4);
      if (!bytes.ok()) return bytes.status();
      uint32_t bits = 0;
      for (int i = 3; i >= 0; --i) bits = (bits << 8) | static_cast<uint8_t>((*bytes)[i]);
      value = static_cast<int32_t>(bits);
      break;
    }
    case kRdbEncLzf: {
      Result<uint64_t> compressed_len = ReadLength();
      if (!compressed_len.ok()) return compressed_len.status();
      Result<uint64_t> original_len = ReadLength();
      if (!original_len.ok()) return original_len.status();
      Result<std::string_view> compressed = ReadBytes(*compressed_len);
      if (!compressed.ok()) return compressed.status();
      return LzfDecompress(*compressed, *original_len);
    }
    default:
      return Status::Corruption("rdb: unknown string encoding");
  }
  return std::to_string(value);
}

Result<uint16_t> RdbReader::ReadUint16LE() {
  Result<std::string_view> bytes = ReadBytes(2);
  if (!bytes.ok()) return bytes.status();
  return static_cast<uint16_t>(static_cast<uint8_t>((*bytes)[0]) |
                               (static_cast<uint8_t>((*bytes)[1]) << 8));
}

Result<uint64_t> RdbReader::ReadUint64LE() {
  Result<std::string_view> bytes = ReadBytes(8);
  if (!bytes.ok()) return bytes.status();
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>((*bytes)[i]);
  return value;
}

}  // namespace tierkv
