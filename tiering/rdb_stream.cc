// RDB encodings of the stream type. See rdb_collections.h.
#include "tiering/rdb_collections.h"

#include <cstdlib>

namespace tierkv {

void WriteRdbStream(RdbWriter&, const ValueObject&) {
  std::abort();  // no stream values exist until the type lands
}

Result<std::unique_ptr<ValueObject>> ReadRdbStream(RdbReader&, uint8_t rdb_type, const EncodingLimits&) {
  return Status::Corruption("rdb: stream values are not supported yet (type " + std::to_string(rdb_type) + ")");
}

}  // namespace tierkv
