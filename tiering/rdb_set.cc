// RDB encodings of the set type. See rdb_collections.h.
#include "tiering/rdb_collections.h"

#include <cstdlib>

namespace tierkv {

void WriteRdbSet(RdbWriter&, const ValueObject&) {
  std::abort();  // no set values exist until the type lands
}

Result<std::unique_ptr<ValueObject>> ReadRdbSet(RdbReader&, uint8_t rdb_type, const EncodingLimits&) {
  return Status::Corruption("rdb: set values are not supported yet (type " + std::to_string(rdb_type) + ")");
}

}  // namespace tierkv
