// DUMP payload framing. See dump_payload.h.
#include "engine/rdb/dump_payload.h"

#include "engine/rdb/crc64.h"

namespace tierkv {
namespace {

Status BadFooter() { return Status::Error("ERR DUMP payload version or checksum are wrong"); }
Status BadFormat() { return Status::Error("ERR Bad data format"); }

}  // namespace

std::string DumpString(std::string_view value, const RdbWriteOptions& options) {
  std::string payload;
  RdbWriter writer(&payload, options);
  WriteRdbStringObject(writer, value);
  AppendDumpFooter(&payload);
  return payload;
}

std::string DumpEntry(const Entry& entry) {
  std::string payload;
  RdbWriter writer(&payload);
  WriteRdbObject(writer, entry);
  AppendDumpFooter(&payload);
  return payload;
}

void AppendDumpFooter(std::string* payload) {
  RdbWriter writer(payload);
  writer.WriteUint16LE(kRdbVersion);
  // The CRC covers the version bytes too.
  writer.WriteUint64LE(Crc64(0, payload->data(), payload->size()));
}

Result<std::string_view> VerifyDumpPayload(std::string_view payload) {
  if (payload.size() < kDumpFooterSize) return BadFooter();
  const size_t body_size = payload.size() - kDumpFooterSize;
  RdbReader footer(payload.substr(body_size));
  Result<uint16_t> version = footer.ReadUint16LE();
  Result<uint64_t> crc = footer.ReadUint64LE();
  if (!version.ok() || !crc.ok()) return BadFooter();  // unreachable: the size was checked
  if (*version < kRdbMinReadVersion || *version > kRdbMaxReadVersion) return BadFooter();
  if (Crc64(0, payload.data(), body_size + 2) != *crc) return BadFooter();
  return payload.substr(0, body_size);
}

Result<RdbObject> ParseDumpPayload(std::string_view payload, const EncodingLimits& limits) {
  Result<std::string_view> body = VerifyDumpPayload(payload);
  if (!body.ok()) return body.status();
  RdbReader reader(*body);
  Result<RdbObject> object = ReadRdbObject(reader, limits);
  if (!object.ok() || !reader.at_end()) return BadFormat();
  return object;
}

}  // namespace tierkv
