// RDB encodings of the zset type. See rdb_collections.h.
#include "tiering/rdb_collections.h"

#include <cstdlib>

namespace tierkv {

void WriteRdbZSet(RdbWriter&, const ValueObject&) {
  std::abort();  // no zset values exist until the type lands
}

Result<std::unique_ptr<ValueObject>> ReadRdbZSet(RdbReader&, uint8_t rdb_type, const EncodingLimits&) {
  return Status::Corruption("rdb: zset values are not supported yet (type " + std::to_string(rdb_type) + ")");
}

}  // namespace tierkv
