#include "engine/debug_ops.h"

#include <string>

#include "engine/types/string/string_ops.h"

namespace tierkv {

uint64_t OpPopulate(Shard& shard, int db, uint64_t count, std::string_view prefix, size_t value_size) {
  // Redis formats the key into a 128-byte buffer: a longer name is cut to 127 bytes.
  constexpr size_t kMaxKeyBytes = 127;
  SetOptions if_missing;
  if_missing.condition = SetOptions::Condition::kIfMissing;
  uint64_t created = 0;
  std::string key;
  std::string value;
  for (uint64_t n = 0; n < count; ++n) {
    key.assign(prefix);
    key.append(":").append(std::to_string(n));
    if (key.size() > kMaxKeyBytes) key.resize(kMaxKeyBytes);
    value = "value:" + std::to_string(n);
    if (value_size != 0) value.resize(value_size, '\0');
    auto outcome = OpSet(shard, db, key, value, if_missing);
    if (outcome.ok() && outcome->written) ++created;
  }
  return created;
}

}  // namespace tierkv
