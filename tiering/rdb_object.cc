// Serialization of RdbObject values. See rdb_object.h.
#include "tiering/rdb_object.h"

#include <utility>

namespace tierkv {

void WriteRdbStringObject(RdbWriter& writer, std::string_view value) {
  writer.WriteByte(kRdbTypeString);
  writer.WriteString(value);
}

Result<RdbObject> ReadRdbObject(RdbReader& reader) {
  Result<uint8_t> type = reader.ReadByte();
  if (!type.ok()) return type.status();
  switch (*type) {
    case kRdbTypeString: {
      Result<std::string> value = reader.ReadString();
      if (!value.ok()) return value.status();
      return RdbObject{kRdbTypeString, std::move(*value)};
    }
    default:
      if (IsRdbObjectType(*type)) {
        return Status::Corruption("rdb: unsupported object type " + std::to_string(*type));
      }
      return Status::Corruption("rdb: not an object type: " + std::to_string(*type));
  }
}

}  // namespace tierkv
