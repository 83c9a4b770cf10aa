// RDB encodings of the hash type. See rdb_collections.h.
#include "tiering/rdb_collections.h"

#include <cstdlib>

namespace tierkv {

void WriteRdbHash(RdbWriter&, const ValueObject&) {
  std::abort();  // no hash values exist until the type lands
}

Result<std::unique_ptr<ValueObject>> ReadRdbHash(RdbReader&, uint8_t rdb_type, const EncodingLimits&) {
  return Status::Corruption("rdb: hash values are not supported yet (type " + std::to_string(rdb_type) + ")");
}

}  // namespace tierkv
