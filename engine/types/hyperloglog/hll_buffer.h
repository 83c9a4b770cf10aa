// HllBuffer: the growable bytes of one HLL value, and the updates that may grow or
// re-encode it (PFADD's per-element add, PFMERGE's per-register raise, the sparse to
// dense conversion). The engine edits an Entry's inline string bytes through it
// (hll_ops.cc), tests and PFSELFTEST a std::string (StringHllBuffer), with one copy
// of the logic.
//
// Sparse values grow in small steps, as Redis 7.2 grows them (double up to 300 bytes
// more, never past hll-sparse-max-bytes); the dense form is allocated at its exact size.
//
// Thread-safety: a buffer belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tierkv::hll {

class HllBuffer {
 public:
  virtual ~HllBuffer() = default;
  virtual uint8_t* data() = 0;
  virtual size_t size() const = 0;
  virtual size_t capacity() const = 0;
  // Makes room for `capacity` bytes, keeping the contents; data() may move.
  virtual void Reserve(size_t capacity) = 0;
  // Sets the length, within capacity().
  virtual void Resize(size_t size) = 0;
  // Replaces the whole value by `bytes`, in storage of about that size.
  virtual void Assign(std::string_view bytes) = 0;

  std::string_view view() { return {reinterpret_cast<const char*>(data()), size()}; }
};

// The HLL in a std::string, for tests and PFSELFTEST.
class StringHllBuffer final : public HllBuffer {
 public:
  explicit StringHllBuffer(std::string value) : bytes_(std::move(value)), size_(bytes_.size()) {}
  uint8_t* data() override { return reinterpret_cast<uint8_t*>(bytes_.data()); }
  size_t size() const override { return size_; }
  size_t capacity() const override { return bytes_.size(); }
  void Reserve(size_t capacity) override {
    if (capacity > bytes_.size()) bytes_.resize(capacity);
  }
  void Resize(size_t size) override { size_ = size; }
  void Assign(std::string_view bytes) override {
    bytes_.assign(bytes);
    size_ = bytes_.size();
  }
  std::string value() const { return bytes_.substr(0, size_); }

 private:
  std::string bytes_;  // sized to the capacity; bytes past size_ are scratch
  size_t size_;
};

enum class UpdateResult { kUnchanged, kUpdated, kInvalid };

// Raises register `index` to `count` (<= 63), turning a sparse value dense when Redis
// would. kInvalid for a damaged sparse value (then unchanged). The buffer must hold a
// value that Classify accepts.
UpdateResult RaiseRegister(HllBuffer& buffer, uint32_t index, uint8_t count, size_t sparse_max_bytes);

// PFADD of one element.
UpdateResult AddElement(HllBuffer& buffer, std::string_view element, size_t sparse_max_bytes);

// Turns a sparse value dense (a dense one is left alone); false if it is damaged.
bool ConvertToDense(HllBuffer& buffer);

// The capacity to give a sparse value that needs `needed` bytes: Redis 7.2's greedy
// step, capped at the sparse limit.
size_t SparseCapacityFor(size_t needed, size_t sparse_max_bytes);

}  // namespace tierkv::hll
