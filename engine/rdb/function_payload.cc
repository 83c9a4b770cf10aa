#include "engine/rdb/function_payload.h"

#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_format.h"

namespace tierkv {

std::string EncodeFunctionsPayload(const std::vector<std::string_view>& codes) {
  std::string payload;
  RdbWriter writer(&payload);
  for (std::string_view code : codes) {
    writer.WriteByte(kRdbOpcodeFunction2);
    writer.WriteString(code);
  }
  AppendDumpFooter(&payload);
  return payload;
}

std::string DecodeFunctionsPayload(std::string_view payload, std::vector<std::string>* codes) {
  Result<std::string_view> body = VerifyDumpPayload(payload);
  if (!body.ok()) return "DUMP payload version or checksum are wrong";
  RdbReader reader(*body);
  while (!reader.at_end()) {
    Result<uint8_t> type = reader.ReadByte();
    if (!type.ok()) return "can not read data type";
    if (*type == kRdbOpcodeFunctionPreGa) return "Pre-GA function format not supported";
    if (*type != kRdbOpcodeFunction2) return "given type is not a function";
    Result<std::string> code = reader.ReadString();
    if (!code.ok()) return "failed loading the given functions payload";
    codes->push_back(std::move(*code));
  }
  return "";
}

}  // namespace tierkv
