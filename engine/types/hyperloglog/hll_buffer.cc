#include "engine/types/hyperloglog/hll_buffer.h"

#include <algorithm>
#include <array>

#include "engine/types/hyperloglog/hll_format.h"
#include "engine/types/hyperloglog/hll_hash.h"
#include "engine/types/hyperloglog/hll_sparse.h"

namespace tierkv::hll {

size_t SparseCapacityFor(size_t needed, size_t sparse_max_bytes) {
  constexpr size_t kMaxStep = 300;
  const size_t greedy = needed + std::min(needed, kMaxStep);
  return std::max(needed, std::min(greedy, sparse_max_bytes));
}

bool ConvertToDense(HllBuffer& buffer) {
  if (buffer.data()[kEncodingOffset] == kEncodingDense) return true;
  std::array<uint8_t, kDenseSize> dense;
  if (!SparseToDense(buffer.view(), dense.data())) return false;
  buffer.Assign({reinterpret_cast<const char*>(dense.data()), dense.size()});
  return true;
}

UpdateResult RaiseRegister(HllBuffer& buffer, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (buffer.data()[kEncodingOffset] == kEncodingSparse) {
    const size_t needed = buffer.size() + kSparseSetSlack;
    if (buffer.capacity() < needed) buffer.Reserve(SparseCapacityFor(needed, sparse_max_bytes));
    size_t size = buffer.size();
    switch (SparseSet(buffer.data(), &size, sparse_max_bytes, index, count)) {
      case SparseSetResult::kUnchanged:
        return UpdateResult::kUnchanged;
      case SparseSetResult::kUpdated:
        buffer.Resize(size);
        return UpdateResult::kUpdated;
      case SparseSetResult::kInvalid:
        return UpdateResult::kInvalid;
      case SparseSetResult::kPromote:
        if (!ConvertToDense(buffer)) return UpdateResult::kInvalid;
        break;
    }
  }
  // A promotion always raises the register: it happens only for a register that needs
  // a value the sparse form cannot hold or more room to hold it.
  return DenseRaise(buffer.data() + kHeaderSize, index, count) ? UpdateResult::kUpdated : UpdateResult::kUnchanged;
}

UpdateResult AddElement(HllBuffer& buffer, std::string_view element, size_t sparse_max_bytes) {
  const Pattern pattern = PatternOf(element);
  return RaiseRegister(buffer, pattern.index, pattern.count, sparse_max_bytes);
}

}  // namespace tierkv::hll
