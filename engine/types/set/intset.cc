#include "engine/types/set/intset.h"

#include <malloc.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace tierkv {
namespace {

static_assert(std::endian::native == std::endian::little, "intset members are stored in host order (LE)");

constexpr size_t kHeaderSize = 8;

uint32_t LoadU32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void StoreU32(unsigned char* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }

int64_t LoadMember(const unsigned char* contents, size_t index, uint32_t width) {
  const unsigned char* p = contents + index * width;
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
  }
}

unsigned char* Allocate(size_t bytes) {
  void* memory = std::malloc(bytes);
  if (memory == nullptr) throw std::bad_alloc();
  return static_cast<unsigned char*>(memory);
}

// Every empty intset shares this blob (width 2, count 0), so creating one and moving
// from one allocate nothing; the first Add allocates.
alignas(8) unsigned char kEmptyBlob[kHeaderSize] = {2, 0, 0, 0, 0, 0, 0, 0};

unsigned char* SharedEmpty() { return kEmptyBlob; }
bool IsShared(const unsigned char* data) { return data == kEmptyBlob; }

void Release(unsigned char* data) {
  if (!IsShared(data)) std::free(data);
}

size_t BlobSize(const unsigned char* data) { return kHeaderSize + size_t{LoadU32(data + 4)} * LoadU32(data); }

unsigned char* Copy(unsigned char* data) {
  if (IsShared(data)) return data;
  const size_t bytes = BlobSize(data);
  unsigned char* copy = Allocate(bytes);
  std::memcpy(copy, data, bytes);
  return copy;
}

}  // namespace

IntSet::IntSet() : data_(SharedEmpty()) {}

IntSet::IntSet(const IntSet& other) : data_(Copy(other.data_)) {}

IntSet& IntSet::operator=(const IntSet& other) {
  if (this != &other) {
    unsigned char* copy = Copy(other.data_);
    Release(data_);
    data_ = copy;
  }
  return *this;
}

// A moved-from intset is empty.
IntSet::IntSet(IntSet&& other) noexcept : data_(std::exchange(other.data_, SharedEmpty())) {}

IntSet& IntSet::operator=(IntSet&& other) noexcept {
  if (this != &other) {
    Release(data_);
    data_ = std::exchange(other.data_, SharedEmpty());
  }
  return *this;
}

IntSet::~IntSet() { Release(data_); }

Result<IntSet> IntSet::FromBytes(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) return Status::Corruption("intset: shorter than its header");
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint32_t width = LoadU32(raw);
  if (width != 2 && width != 4 && width != 8) return Status::Corruption("intset: bad member width");
  const uint64_t count = LoadU32(raw + 4);
  if (count == 0) return Status::Corruption("intset: empty");
  if (kHeaderSize + count * width != bytes.size()) return Status::Corruption("intset: size does not match count");
  const unsigned char* contents = raw + kHeaderSize;
  int64_t previous = LoadMember(contents, 0, width);
  for (size_t i = 1; i < count; ++i) {
    const int64_t current = LoadMember(contents, i, width);
    if (current <= previous) return Status::Corruption("intset: members not strictly ascending");
    previous = current;
  }
  unsigned char* data = Allocate(bytes.size());
  std::memcpy(data, bytes.data(), bytes.size());
  return IntSet(data);
}

std::string_view IntSet::bytes() const { return {reinterpret_cast<const char*>(data_), BlobSize(data_)}; }

size_t IntSet::size() const { return LoadU32(data_ + 4); }

uint32_t IntSet::width() const { return LoadU32(data_); }

size_t IntSet::MemoryUsage() const { return IsShared(data_) ? 0 : malloc_usable_size(data_); }

int64_t IntSet::At(size_t index) const { return LoadMember(data_ + kHeaderSize, index, width()); }

uint32_t IntSet::WidthFor(int64_t value) {
  if (value >= INT16_MIN && value <= INT16_MAX) return 2;
  if (value >= INT32_MIN && value <= INT32_MAX) return 4;
  return 8;
}

bool IntSet::Search(int64_t value, size_t* index) const {
  const size_t count = size();
  if (count == 0) {
    *index = 0;
    return false;
  }
  // Outside the range: the insertion point is an end (the common case when members
  // arrive in order, as from an RDB file or an intersection of intsets).
  if (value > Max()) {
    *index = count;
    return false;
  }
  if (value < Min()) {
    *index = 0;
    return false;
  }
  size_t low = 0;
  size_t high = count;  // [low, high)
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    const int64_t current = At(mid);
    if (current == value) {
      *index = mid;
      return true;
    }
    if (current < value) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  *index = low;
  return false;
}

bool IntSet::Contains(int64_t value) const {
  if (WidthFor(value) > width()) return false;  // wider than any member
  size_t index;
  return Search(value, &index);
}

void IntSet::Resize(size_t count, uint32_t width) {
  const size_t bytes = kHeaderSize + count * width;
  if (IsShared(data_)) {
    unsigned char* fresh = Allocate(bytes);
    std::memcpy(fresh, data_, kHeaderSize);
    data_ = fresh;
    return;
  }
  void* grown = std::realloc(data_, bytes);
  if (grown == nullptr) throw std::bad_alloc();
  data_ = static_cast<unsigned char*>(grown);
}

void IntSet::Store(size_t index, int64_t value, uint32_t width) {
  unsigned char* p = data_ + kHeaderSize + index * width;
  switch (width) {
    case 2: {
      const auto v = static_cast<int16_t>(value);
      std::memcpy(p, &v, sizeof(v));
      break;
    }
    case 4: {
      const auto v = static_cast<int32_t>(value);
      std::memcpy(p, &v, sizeof(v));
      break;
    }
    default:
      std::memcpy(p, &value, sizeof(value));
      break;
  }
}

void IntSet::Upgrade(int64_t value) {
  const uint32_t old_width = width();
  const uint32_t new_width = WidthFor(value);
  const size_t count = size();
  // A value too wide for the current width lies outside [Min, Max]: it goes first if
  // negative, last otherwise. Members move from the back so none is overwritten before
  // it has been read.
  const size_t shift = value < 0 ? 1 : 0;
  Resize(count + 1, new_width);
  for (size_t i = count; i-- > 0;) {
    Store(i + shift, LoadMember(data_ + kHeaderSize, i, old_width), new_width);
  }
  Store(value < 0 ? 0 : count, value, new_width);
  StoreU32(data_, new_width);
  StoreU32(data_ + 4, static_cast<uint32_t>(count + 1));
}

bool IntSet::Add(int64_t value) {
  const uint32_t current_width = width();
  if (WidthFor(value) > current_width) {
    Upgrade(value);
    return true;
  }
  size_t index;
  if (Search(value, &index)) return false;
  const size_t count = size();
  Resize(count + 1, current_width);
  unsigned char* contents = data_ + kHeaderSize;
  std::memmove(contents + (index + 1) * current_width, contents + index * current_width,
               (count - index) * current_width);
  Store(index, value, current_width);
  StoreU32(data_ + 4, static_cast<uint32_t>(count + 1));
  return true;
}

bool IntSet::Remove(int64_t value) {
  const uint32_t current_width = width();
  if (WidthFor(value) > current_width) return false;
  size_t index;
  if (!Search(value, &index)) return false;
  const size_t count = size();
  unsigned char* contents = data_ + kHeaderSize;
  std::memmove(contents + index * current_width, contents + (index + 1) * current_width,
               (count - index - 1) * current_width);
  Resize(count - 1, current_width);
  StoreU32(data_ + 4, static_cast<uint32_t>(count - 1));
  return true;
}

}  // namespace tierkv
