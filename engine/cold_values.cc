#include "engine/cold_values.h"

#include <memory>
#include <utility>

#include "engine/types/hash/hash_value.h"
#include "engine/types/list/list_value.h"
#include "engine/types/set/set_value.h"
#include "engine/types/zset/zset.h"

namespace tierkv {
namespace {

// A value expiring sooner than this is left to expire in DRAM.
constexpr int64_t kExpiringSoonMs = 10'000;

// Only towards the scalable encodings: a live value that grew past its limits and shrank
// again keeps its table, skiplist or nodes, where a load picks the compact encoding of
// its size. The other way (a listpack kept while its limits were lowered) is left to the
// load rule: an encoding guessed from a stored form at start-up (StoredShapeOf) may name
// a listpack for a set of many short members, and must not force one on it.
std::unique_ptr<ValueObject> Scaled(ValueType type, ValueObject& value, Encoding wanted) {
  switch (type) {
    case ValueType::kHash:
      if (wanted == Encoding::kHashtable) return ConvertToTable(static_cast<HashValue&>(value));
      break;
    case ValueType::kSet: {
      auto& set = static_cast<SetValue&>(value);
      if (wanted == Encoding::kHashtable) set.ConvertToHashtable(set.Length());
      if (wanted == Encoding::kListpack && set.encoding() == Encoding::kIntset) set.ConvertToListpack();
      break;
    }
    case ValueType::kZSet:
      if (wanted == Encoding::kSkiplist) static_cast<ZSet&>(value).ConvertToIndex();
      break;
    case ValueType::kList: {
      auto& list = static_cast<const ListValue&>(value);
      if (wanted != Encoding::kQuicklist || !list.is_listpack()) break;
      auto nodes = std::make_unique<Quicklist>();
      nodes->AppendPackedNode(list.packed());
      return std::make_unique<ListValue>(std::move(nodes));
    }
    case ValueType::kString:
    case ValueType::kStream: break;
  }
  return nullptr;
}

}  // namespace

void KeepEncoding(Entry* loaded, Encoding wanted) {
  if (loaded->value_encoding() == wanted) return;
  if (loaded->type == ValueType::kString) {
    if (wanted != Encoding::kInt || StringEncodingFor(loaded->string_value()) == Encoding::kInt) {
      loaded->encoding = wanted;
    }
    return;
  }
  ValueObject* value = loaded->object();
  std::unique_ptr<ValueObject> converted = Scaled(loaded->type, *value, wanted);
  if (converted == nullptr) return;  // converted in place, or stays
  loaded->set_object(converted.release());
  delete value;
}

bool IsDemotable(const Entry& entry, const TieringOptions& options, int64_t now_ms) {
  if (entry.is_cold()) return false;
  // Integers stay: Redis shares the small ones (OBJECT REFCOUNT), and none is worth it.
  if (entry.type == ValueType::kString && entry.encoding == Encoding::kInt) return false;
  constexpr uint8_t kClean = Entry::kInTier | Entry::kTierValueCurrent;
  if ((entry.flags & kClean) != kClean) return false;
  if (entry.flags & (Entry::kDirty | Entry::kWriteInFlight)) return false;
  if (entry.has_expire() && entry.expire_at() - now_ms < kExpiringSoonMs) return false;
  return entry.MemoryUsage() >= options.min_value_size + entry.key_len + sizeof(Entry);
}

}  // namespace tierkv
