// RDB encodings of the list type. See rdb_collections.h.
#include "tiering/rdb_collections.h"

#include <cstdlib>

namespace tierkv {

void WriteRdbList(RdbWriter&, const ValueObject&) {
  std::abort();  // no list values exist until the type lands
}

Result<std::unique_ptr<ValueObject>> ReadRdbList(RdbReader&, uint8_t rdb_type, const EncodingLimits&) {
  return Status::Corruption("rdb: list values are not supported yet (type " + std::to_string(rdb_type) + ")");
}

}  // namespace tierkv
