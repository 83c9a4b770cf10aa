#include "engine/types/hyperloglog/hll_ops.h"

#include <cstring>
#include <string>

#include "engine/keyspace_ops.h"
#include "engine/types/hyperloglog/hll_buffer.h"
#include "engine/types/hyperloglog/hll_estimate.h"
#include "engine/types/hyperloglog/hll_format.h"
#include "engine/types/hyperloglog/hll_sparse.h"

namespace tierkv {
namespace {

using hll::HllKind;

Status NotHll() { return Status::Error("WRONGTYPE Key is not a valid HyperLogLog string value."); }
Status CorruptHll() { return Status::Error("INVALIDOBJ Corrupted HLL object detected"); }

// The inline string bytes of an Entry as an HllBuffer. Growth reallocates the entry
// (Db::Relink), so callers use entry() afterwards, never an Entry* kept from before.
class EntryHllBuffer final : public hll::HllBuffer {
 public:
  EntryHllBuffer(Db& db, Entry* entry) : db_(db), entry_(entry) {}

  uint8_t* data() override { return reinterpret_cast<uint8_t*>(entry_->value_data()); }
  size_t size() const override { return entry_->value_len; }
  size_t capacity() const override { return entry_->value_capacity(); }
  void Reserve(size_t capacity) override {
    if (entry_->value_capacity() < capacity) Reallocate(capacity);
  }
  void Resize(size_t size) override { entry_->value_len = static_cast<uint32_t>(size); }
  void Assign(std::string_view bytes) override {
    if (entry_->value_capacity() < bytes.size()) Reallocate(bytes.size());
    std::memcpy(entry_->value_data(), bytes.data(), bytes.size());
    entry_->value_len = static_cast<uint32_t>(bytes.size());
  }

 private:
  void Reallocate(size_t capacity) {
    Entry* fresh = Entry::Reshape(entry_, entry_->key(), entry_->expire_at(), capacity);
    db_.Relink(entry_, fresh, /*keep_object=*/false);
    entry_ = fresh;
  }

  Db& db_;
  Entry* entry_;
};

// The string at `entry` as an HLL: its kind, or NotHll.
Result<HllKind> KindOf(const Entry* entry) {
  const HllKind kind = hll::Classify(entry->string_value());
  if (kind == HllKind::kInvalid) return NotHll();
  return kind;
}

// Stores an empty HLL under the missing `key` (raw, as Redis's createHLLObject).
Entry* AddEmptyHll(Shard& shard, Db& db, std::string_view key) {
  const std::string empty = hll::NewSparse();
  const size_t capacity =
      hll::SparseCapacityFor(empty.size() + hll::kSparseSetSlack, shard.options().limits.hll_sparse_max_bytes);
  Entry* entry = Entry::NewString(key, empty, kNoExpire, capacity);
  shard.InitAccess(entry);
  db.Set(entry);
  return entry;
}

// Raises `max` to the registers of the HLL at `key` (read lookup); a missing key is an
// empty HLL. Reports through *dense whether the value is dense.
Status MergeKeyInto(Shard& shard, Db& db, std::string_view key, hll::RawRegisters& max, bool* dense) {
  auto found = FindTyped(shard, db, key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  auto kind = KindOf(*found);
  if (!kind.ok()) return kind.status();
  const std::string_view value = (*found)->string_value();
  if (*kind == HllKind::kDense) {
    hll::DenseMergeInto(reinterpret_cast<const uint8_t*>(value.data()) + hll::kHeaderSize, max);
    if (dense != nullptr) *dense = true;
    return Status::Ok();
  }
  return hll::SparseMergeInto(value, max) ? Status::Ok() : CorruptHll();
}

}  // namespace

Result<bool> OpPfAdd(Shard& shard, int db_index, std::string_view key, std::span<const std::string_view> elements) {
  Db& db = shard.db(db_index);
  auto found = FindTypedForWrite(db, key, ValueType::kString);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  bool updated = false;
  if (entry == nullptr) {
    entry = AddEmptyHll(shard, db, key);
    updated = true;
  } else if (auto kind = KindOf(entry); !kind.ok()) {
    return kind.status();
  }
  entry->encoding = Encoding::kRaw;

  const size_t max_bytes = shard.options().limits.hll_sparse_max_bytes;
  EntryHllBuffer buffer(db, entry);
  size_t added = 0;
  bool damaged = false;
  for (; added < elements.size(); ++added) {
    const hll::UpdateResult result = hll::AddElement(buffer, elements[added], max_bytes);
    if (result == hll::UpdateResult::kInvalid) {
      damaged = true;
      break;
    }
    if (result == hll::UpdateResult::kUpdated) updated = true;
  }
  if (updated) {
    // On a damaged value Redis stops at the bad element, keeping what the ones before
    // it changed; the effect names exactly those, so replay ends in the same bytes.
    if (!damaged) hll::InvalidateCache(buffer.data());
    shard.KeyModifiedBy(db_index, key, [&] {
      Effect effect;
      effect.reserve(added + 2);
      effect.emplace_back("PFADD");
      effect.emplace_back(key);
      for (size_t i = 0; i < added; ++i) effect.emplace_back(elements[i]);
      return effect;
    });
  }
  if (damaged) return CorruptHll();
  return updated;
}

Result<uint64_t> OpPfCount(Shard& shard, int db_index, std::span<const std::string_view> keys) {
  Db& db = shard.db(db_index);
  if (keys.size() > 1) {
    // The union: registers merged one byte each, then estimated (Redis's HLL_RAW path).
    hll::RawRegisters max{};
    for (std::string_view key : keys) {
      if (Status status = MergeKeyInto(shard, db, key, max, nullptr); !status.ok()) return status;
    }
    hll::Histogram histogram{};
    hll::RawHistogram(max, histogram);
    return hll::EstimateCardinality(histogram);
  }

  auto found = FindTyped(shard, db, keys[0], ValueType::kString);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  if (entry == nullptr) return uint64_t{0};
  if (auto kind = KindOf(entry); !kind.ok()) return kind.status();
  entry->encoding = Encoding::kRaw;
  auto* value = reinterpret_cast<uint8_t*>(entry->value_data());
  if (hll::CacheValid(value)) return hll::CachedCardinality(value);
  const std::optional<uint64_t> cardinality = hll::CountValue(entry->string_value());
  if (!cardinality) return CorruptHll();
  // A change to the header only, journaled as the 8 bytes it wrote (see hll_ops.h).
  hll::SetCachedCardinality(value, *cardinality);
  shard.KeyModifiedBy(db_index, keys[0], [&] {
    const std::string_view cache(entry->value_data() + hll::kCardinalityOffset, 8);
    return MakeEffect({"SETRANGE", keys[0], std::to_string(hll::kCardinalityOffset), cache});
  });
  return *cardinality;
}

Status OpPfMerge(Shard& shard, int db_index, std::string_view dest, std::span<const std::string_view> sources) {
  Db& db = shard.db(db_index);
  // Every input is read and checked, the destination first, before anything is written.
  hll::RawRegisters max{};
  bool use_dense = false;
  if (Status status = MergeKeyInto(shard, db, dest, max, &use_dense); !status.ok()) return status;
  for (std::string_view key : sources) {
    if (Status status = MergeKeyInto(shard, db, key, max, &use_dense); !status.ok()) return status;
  }

  Entry* entry = db.Find(dest);
  if (entry == nullptr) entry = AddEmptyHll(shard, db, dest);
  entry->encoding = Encoding::kRaw;
  EntryHllBuffer buffer(db, entry);
  if (use_dense && !hll::ConvertToDense(buffer)) {
    shard.KeyModified(db_index, dest);
    return CorruptHll();
  }
  // Register by register, as Redis does: a sparse destination gets the same opcodes
  // (and turns dense at the same point) as in Redis.
  const size_t max_bytes = shard.options().limits.hll_sparse_max_bytes;
  for (uint32_t i = 0; i < hll::kRegisters; ++i) {
    if (max[i] != 0) (void)hll::RaiseRegister(buffer, i, max[i], max_bytes);
  }
  hll::InvalidateCache(buffer.data());
  shard.KeyModified(db_index, dest);
  return Status::Ok();
}

Result<PfDebugResult> OpPfDebug(Shard& shard, int db_index, std::string_view key, PfDebugCommand command) {
  Db& db = shard.db(db_index);
  auto found = FindTypedForWrite(db, key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Error("ERR The specified key does not exist");
  Entry* entry = *found;
  auto kind = KindOf(entry);
  if (!kind.ok()) return kind.status();
  entry->encoding = Encoding::kRaw;

  PfDebugResult result;
  EntryHllBuffer buffer(db, entry);
  // GETREG and TODENSE leave a sparse value dense; Redis propagates that, so do we.
  auto make_dense = [&]() -> Status {
    if (*kind != HllKind::kSparse) return Status::Ok();
    if (!hll::ConvertToDense(buffer)) return CorruptHll();
    shard.KeyModified(db_index, key);
    result.converted = true;
    return Status::Ok();
  };
  switch (command) {
    case PfDebugCommand::kGetReg: {
      if (Status status = make_dense(); !status.ok()) return status;
      const uint8_t* registers = buffer.data() + hll::kHeaderSize;
      result.registers.resize(hll::kRegisters);
      for (uint32_t i = 0; i < hll::kRegisters; ++i) result.registers[i] = hll::DenseGet(registers, i);
      break;
    }
    case PfDebugCommand::kDecode:
      if (*kind != HllKind::kSparse) return Status::Error("ERR HLL encoding is not sparse");
      result.text = hll::SparseDecode(buffer.view());
      break;
    case PfDebugCommand::kEncoding:
      result.text = *kind == HllKind::kDense ? "dense" : "sparse";
      break;
    case PfDebugCommand::kToDense:
      if (Status status = make_dense(); !status.ok()) return status;
      break;
    case PfDebugCommand::kNone:
      break;
  }
  return result;
}

}  // namespace tierkv
