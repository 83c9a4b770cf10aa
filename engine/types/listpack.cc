#include "engine/types/listpack.h"

#include <malloc.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace tierkv {
namespace {

// Byte layout constants of Redis's listpack.c format.
constexpr size_t kHeaderSize = 6;           // total bytes (u32) + element count (u16)
constexpr size_t kEmptySize = kHeaderSize + 1;
constexpr uint16_t kCountUnknown = 65535;   // header count when it does not fit
constexpr unsigned char kTerminator = 0xFF;

constexpr unsigned char k6BitStr = 0x80;    // 10xxxxxx
constexpr unsigned char k13BitInt = 0xC0;   // 110xxxxx yyyyyyyy
constexpr unsigned char k12BitStr = 0xE0;   // 1110xxxx yyyyyyyy
constexpr unsigned char k32BitStr = 0xF0;   // then u32 LE length
constexpr unsigned char k16BitInt = 0xF1;
constexpr unsigned char k24BitInt = 0xF2;
constexpr unsigned char k32BitInt = 0xF3;
constexpr unsigned char k64BitInt = 0xF4;

// Every empty listpack (default-constructed, cleared, moved-from) shares this blob, so
// an empty value costs no allocation and a move can leave a valid source behind without
// allocating. It is never written: every edit reallocates away from it first.
const unsigned char kEmptyBlob[kEmptySize] = {kEmptySize, 0, 0, 0, 0, 0, kTerminator};

unsigned char* EmptyBlob() { return const_cast<unsigned char*>(kEmptyBlob); }
bool IsShared(const unsigned char* data) { return data == kEmptyBlob; }

uint32_t LoadU32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
void StoreU32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
  p[2] = static_cast<unsigned char>(v >> 16);
  p[3] = static_cast<unsigned char>(v >> 24);
}

uint32_t TotalBytes(const unsigned char* data) { return LoadU32(data); }
uint16_t HeaderCount(const unsigned char* data) { return static_cast<uint16_t>(data[4] | data[5] << 8); }
void SetHeaderCount(unsigned char* data, size_t count) {
  const uint16_t stored = count < kCountUnknown ? static_cast<uint16_t>(count) : kCountUnknown;
  data[4] = static_cast<unsigned char>(stored);
  data[5] = static_cast<unsigned char>(stored >> 8);
}

// Bytes the backlen of an element whose encoding + data take `len` bytes occupies.
// The cut-offs are listpack.c's (16383 and up take 3 bytes although 2 could hold it):
// the byte format, and so DUMP equality with Redis, depends on them.
uint32_t BacklenSize(uint64_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

// Writes the backlen of `len` (most significant 7 bits first; every byte but the first
// has its top bit set, so that reading from the right knows when to stop).
uint32_t WriteBacklen(unsigned char* out, uint64_t len) {
  const uint32_t n = BacklenSize(len);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t shift = 7 * (n - 1 - i);
    unsigned char byte = static_cast<unsigned char>((len >> shift) & 127);
    if (i > 0) byte |= 128;
    out[i] = byte;
  }
  return n;
}

// Reads a backlen whose last byte is at `last`, going left; `*size` gets its byte count.
// Only called on validated blobs, where it always ends within 5 bytes.
uint64_t ReadBacklen(const unsigned char* last, uint32_t* size) {
  uint64_t value = 0;
  uint32_t n = 0;
  for (;;) {
    const unsigned char byte = last[-static_cast<ptrdiff_t>(n)];
    value |= uint64_t{byte & 127u} << (7 * n);
    ++n;
    if (!(byte & 128) || n == 5) break;
  }
  *size = n;
  return value;
}

// An element decoded in place: an integer, or a string pointing into the blob.
struct Element {
  bool is_int;
  int64_t value;
  const char* str;
  uint32_t str_len;
  uint32_t encoded_len;  // encoding + data bytes, without the backlen
};

int64_t SignExtend(uint64_t raw, unsigned bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((raw ^ sign) - sign);
}

uint64_t LoadLE(const unsigned char* p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Decodes the element at `p` of a validated blob.
Element Decode(const unsigned char* p) {
  const unsigned char b = p[0];
  if (b < 0x80) return {true, b, nullptr, 0, 1};
  if ((b & 0xC0) == k6BitStr) {
    const uint32_t len = b & 0x3F;
    return {false, 0, reinterpret_cast<const char*>(p + 1), len, 1 + len};
  }
  if ((b & 0xE0) == k13BitInt) return {true, SignExtend((uint64_t{b & 0x1Fu} << 8) | p[1], 13), nullptr, 0, 2};
  if ((b & 0xF0) == k12BitStr) {
    const uint32_t len = (uint32_t{b & 0x0Fu} << 8) | p[1];
    return {false, 0, reinterpret_cast<const char*>(p + 2), len, 2 + len};
  }
  switch (b) {
    case k32BitStr: {
      const uint32_t len = LoadU32(p + 1);
      return {false, 0, reinterpret_cast<const char*>(p + 5), len, 5 + len};
    }
    case k16BitInt: return {true, SignExtend(LoadLE(p + 1, 2), 16), nullptr, 0, 3};
    case k24BitInt: return {true, SignExtend(LoadLE(p + 1, 3), 24), nullptr, 0, 4};
    case k32BitInt: return {true, SignExtend(LoadLE(p + 1, 4), 32), nullptr, 0, 5};
    default: return {true, static_cast<int64_t>(LoadLE(p + 1, 8)), nullptr, 0, 9};  // k64BitInt
  }
}

// Encoding + data bytes of the element at `p` (validated blob), without decoding it.
uint32_t EncodedLen(const unsigned char* p) {
  const unsigned char b = p[0];
  if (b < 0x80) return 1;
  if ((b & 0xC0) == k6BitStr) return 1 + (b & 0x3F);
  if ((b & 0xE0) == k13BitInt) return 2;
  if ((b & 0xF0) == k12BitStr) return 2 + ((uint32_t{b & 0x0Fu} << 8) | p[1]);
  switch (b) {
    case k32BitStr: return 5 + LoadU32(p + 1);
    case k16BitInt: return 3;
    case k24BitInt: return 4;
    case k32BitInt: return 5;
    default: return 9;
  }
}

uint32_t ElementSize(const unsigned char* p) {
  const uint32_t len = EncodedLen(p);
  return len + BacklenSize(len);
}

// lpStringToInt64's rules: the text must be exactly what int64 formatting produces
// (no sign but a leading '-', no leading zeros, no "-0", no spaces, at most 20 bytes).
bool ParseCanonicalInt(std::string_view s, int64_t* out) {
  const size_t n = s.size();
  if (n == 0 || n > 20) return false;
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) {
    if (n == 1) return false;
    i = 1;
  }
  if (s[i] < '0' || s[i] > '9') return false;
  if (s[i] == '0') {
    if (n == 1) {
      *out = 0;
      return true;
    }
    return false;  // leading zero, or "-0"
  }
  uint64_t v = 0;
  for (; i < n; ++i) {
    const unsigned digit = static_cast<unsigned char>(s[i]) - '0';
    if (digit > 9) return false;
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > uint64_t{1} << 63) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// One element ready to be written: its encoding header (or the whole integer), the
// string bytes that follow it, and its backlen.
struct Encoded {
  unsigned char head[9];
  uint32_t head_len = 0;
  const char* payload = nullptr;
  size_t payload_len = 0;
  unsigned char back[5];
  uint32_t back_len = 0;

  size_t size() const { return head_len + payload_len + back_len; }
  void WriteTo(unsigned char* out) const {
    std::memcpy(out, head, head_len);
    if (payload_len > 0) std::memcpy(out + head_len, payload, payload_len);
    std::memcpy(out + head_len + payload_len, back, back_len);
  }
};

void EncodeInteger(int64_t v, Encoded* e) {
  const uint64_t u = static_cast<uint64_t>(v);
  unsigned data_bytes;
  if (v >= 0 && v <= 127) {
    e->head[0] = static_cast<unsigned char>(v);
    e->head_len = 1;
    data_bytes = 0;
  } else if (v >= -4096 && v <= 4095) {
    e->head[0] = static_cast<unsigned char>(k13BitInt | ((u >> 8) & 0x1F));
    e->head[1] = static_cast<unsigned char>(u);
    e->head_len = 2;
    data_bytes = 0;
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    e->head[0] = k16BitInt;
    data_bytes = 2;
  } else if (v >= -8388608 && v <= 8388607) {
    e->head[0] = k24BitInt;
    data_bytes = 3;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    e->head[0] = k32BitInt;
    data_bytes = 4;
  } else {
    e->head[0] = k64BitInt;
    data_bytes = 8;
  }
  if (data_bytes > 0) {
    for (unsigned i = 0; i < data_bytes; ++i) e->head[1 + i] = static_cast<unsigned char>(u >> (8 * i));
    e->head_len = 1 + data_bytes;
  }
  e->back_len = WriteBacklen(e->back, e->head_len);
}

void EncodeString(std::string_view s, Encoded* e) {
  int64_t v;
  if (ParseCanonicalInt(s, &v)) return EncodeInteger(v, e);
  const size_t len = s.size();
  if (len < 64) {
    e->head[0] = static_cast<unsigned char>(k6BitStr | len);
    e->head_len = 1;
  } else if (len < 4096) {
    e->head[0] = static_cast<unsigned char>(k12BitStr | (len >> 8));
    e->head[1] = static_cast<unsigned char>(len);
    e->head_len = 2;
  } else {
    if (len > UINT32_MAX - 16) throw std::length_error("listpack element too large");
    e->head[0] = k32BitStr;
    StoreU32(e->head + 1, static_cast<uint32_t>(len));
    e->head_len = 5;
  }
  e->payload = s.data();
  e->payload_len = len;
  e->back_len = WriteBacklen(e->back, e->head_len + len);
}

// Resizes the blob to `new_size` bytes, keeping its first min(old, new) bytes. Leaving
// or returning to the shared empty blob is handled here.
unsigned char* Reallocate(unsigned char* data, size_t new_size) {
  if (IsShared(data)) {
    auto* fresh = static_cast<unsigned char*>(std::malloc(new_size));
    if (fresh == nullptr) throw std::bad_alloc();
    std::memcpy(fresh, kEmptyBlob, kEmptySize);
    return fresh;
  }
  auto* moved = static_cast<unsigned char*>(std::realloc(data, new_size));
  if (moved == nullptr) throw std::bad_alloc();
  return moved;
}

void Release(unsigned char* data) {
  if (!IsShared(data)) std::free(data);
}

size_t CountByWalking(const unsigned char* data) {
  size_t count = 0;
  for (const unsigned char* p = data + kHeaderSize; *p != kTerminator; p += ElementSize(p)) ++count;
  return count;
}

// A value that points into the blob would dangle once the blob is reallocated.
bool PointsInto(const unsigned char* data, std::string_view value) {
  const auto* begin = reinterpret_cast<const char*>(data);
  return value.data() >= begin && value.data() < begin + TotalBytes(data);
}

// Checks the element at `p`, with `end` the offset of the terminator: encoding known,
// every byte within bounds, backlen exactly the one Redis writes for its length.
// Returns the element's size, or 0 when damaged.
uint64_t ValidateElement(const unsigned char* data, uint64_t p, uint64_t end) {
  const uint64_t room = end - p;  // bytes available before the terminator
  const unsigned char b = data[p];
  uint64_t len;
  if (b < 0x80) {
    len = 1;
  } else if ((b & 0xC0) == k6BitStr) {
    len = 1 + uint64_t{b & 0x3Fu};
  } else if ((b & 0xE0) == k13BitInt) {
    len = 2;
  } else if ((b & 0xF0) == k12BitStr) {
    if (room < 2) return 0;
    len = 2 + ((uint64_t{b & 0x0Fu} << 8) | data[p + 1]);
  } else if (b == k32BitStr) {
    if (room < 5) return 0;
    len = 5 + uint64_t{LoadU32(data + p + 1)};
  } else if (b == k16BitInt) {
    len = 3;
  } else if (b == k24BitInt) {
    len = 4;
  } else if (b == k32BitInt) {
    len = 5;
  } else if (b == k64BitInt) {
    len = 9;
  } else {
    return 0;  // 0xF5..0xFE are unassigned; 0xFF before the end is a stray terminator
  }
  const uint64_t size = len + BacklenSize(len);
  if (size > room) return 0;
  unsigned char expected[5];
  const uint32_t back_len = WriteBacklen(expected, len);
  if (std::memcmp(expected, data + p + len, back_len) != 0) return 0;
  return size;
}

}  // namespace

Listpack::Listpack() : data_(EmptyBlob()) {}

Listpack::Listpack(const Listpack& other) : data_(EmptyBlob()) {
  if (IsShared(other.data_)) return;
  const size_t size = TotalBytes(other.data_);
  data_ = static_cast<unsigned char*>(std::malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  std::memcpy(data_, other.data_, size);
}

Listpack& Listpack::operator=(const Listpack& other) {
  if (this != &other) {
    Listpack copy(other);
    std::swap(data_, copy.data_);
  }
  return *this;
}

Listpack::Listpack(Listpack&& other) noexcept : data_(other.data_) { other.data_ = EmptyBlob(); }

Listpack& Listpack::operator=(Listpack&& other) noexcept {
  if (this != &other) {
    Release(data_);
    data_ = other.data_;
    other.data_ = EmptyBlob();
  }
  return *this;
}

Listpack::~Listpack() { Release(data_); }

Result<Listpack> Listpack::FromBytes(std::string_view bytes) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t size = bytes.size();
  if (size < kEmptySize) return Status::Corruption("listpack shorter than its header");
  if (size > UINT32_MAX || TotalBytes(in) != size) return Status::Corruption("listpack size does not match its header");
  if (in[size - 1] != kTerminator) return Status::Corruption("listpack terminator missing");
  const uint64_t end = size - 1;
  uint64_t count = 0;
  for (uint64_t p = kHeaderSize; p < end; ++count) {
    const uint64_t element = ValidateElement(in, p, end);
    if (element == 0) return Status::Corruption("listpack element " + std::to_string(count) + " is damaged");
    p += element;
  }
  const uint16_t header_count = HeaderCount(in);
  if (header_count != kCountUnknown && header_count != count) {
    return Status::Corruption("listpack element count does not match its header");
  }
  if (count == 0) return Listpack();
  auto* data = static_cast<unsigned char*>(std::malloc(size));
  if (data == nullptr) throw std::bad_alloc();
  std::memcpy(data, in, size);
  // Redis leaves the count "unknown" after deletions bring it back under 65535; we keep
  // it exact, as Redis's lpLength would on its next call.
  SetHeaderCount(data, count);
  return Listpack(data);
}

std::string_view Listpack::bytes() const {
  return {reinterpret_cast<const char*>(data_), TotalBytes(data_)};
}

size_t Listpack::bytes_size() const { return TotalBytes(data_); }

size_t Listpack::size() const {
  const uint16_t count = HeaderCount(data_);
  return count != kCountUnknown ? count : CountByWalking(data_);
}

size_t Listpack::MemoryUsage() const { return IsShared(data_) ? 0 : malloc_usable_size(data_); }

Listpack::Pos Listpack::First() const { return data_[kHeaderSize] == kTerminator ? kEnd : kHeaderSize; }

Listpack::Pos Listpack::Last() const {
  const Pos terminator = TotalBytes(data_) - 1;
  return terminator == kHeaderSize ? kEnd : Prev(terminator);
}

Listpack::Pos Listpack::Next(Pos pos) const {
  if (pos == kEnd) return kEnd;
  const Pos next = pos + ElementSize(data_ + pos);
  return data_[next] == kTerminator ? kEnd : next;
}

Listpack::Pos Listpack::Prev(Pos pos) const {
  if (pos == kEnd || pos == kHeaderSize) return kEnd;
  uint32_t back_len;
  const uint64_t len = ReadBacklen(data_ + pos - 1, &back_len);
  return static_cast<Pos>(pos - back_len - len);
}

Listpack::Pos Listpack::Seek(int64_t index) const {
  const uint16_t header_count = HeaderCount(data_);
  if (header_count == kCountUnknown) {
    // Huge listpack: walk from the end the index counts from, without counting first.
    if (index >= 0) {
      Pos pos = First();
      for (int64_t i = 0; i < index && pos != kEnd; ++i) pos = Next(pos);
      return pos;
    }
    Pos pos = Last();
    for (int64_t i = -1; i > index && pos != kEnd; --i) pos = Prev(pos);
    return pos;
  }
  const int64_t count = header_count;
  if (index < 0) index += count;
  if (index < 0 || index >= count) return kEnd;
  if (index <= count / 2) {
    Pos pos = kHeaderSize;
    for (int64_t i = 0; i < index; ++i) pos += ElementSize(data_ + pos);
    return pos;
  }
  Pos pos = Last();
  for (int64_t i = count - 1; i > index; --i) pos = Prev(pos);
  return pos;
}

std::string_view Listpack::Get(Pos pos, IntBuffer& scratch) const {
  const Element e = Decode(data_ + pos);
  if (!e.is_int) return {e.str, e.str_len};
  const auto [end, ec] = std::to_chars(scratch, scratch + sizeof(IntBuffer), e.value);
  (void)ec;  // 24 bytes always hold an int64
  return {scratch, static_cast<size_t>(end - scratch)};
}

std::optional<int64_t> Listpack::GetInteger(Pos pos) const {
  const Element e = Decode(data_ + pos);
  if (!e.is_int) return std::nullopt;
  return e.value;
}

bool Listpack::Equals(Pos pos, std::string_view value) const {
  const Element e = Decode(data_ + pos);
  if (!e.is_int) return e.str_len == value.size() && std::memcmp(e.str, value.data(), value.size()) == 0;
  // An integer element's text is canonical, so only canonical needles can match it.
  int64_t needle;
  return ParseCanonicalInt(value, &needle) && needle == e.value;
}

Listpack::Pos Listpack::Find(std::string_view value, Pos from, size_t skip) const {
  if (from == kEnd) return kEnd;
  int64_t needle = 0;
  const bool needle_is_int = ParseCanonicalInt(value, &needle);
  size_t to_skip = 0;
  const unsigned char* p = data_ + from;
  while (*p != kTerminator) {
    const unsigned char b = *p;
    uint32_t len;
    if (to_skip > 0) {
      --to_skip;
      len = EncodedLen(p);
    } else {
      to_skip = skip;
      // The two encodings of small hash fields and set members first, without Decode.
      if (b < 0x80) {
        if (needle_is_int && needle == b) return static_cast<Pos>(p - data_);
        len = 1;
      } else if ((b & 0xC0) == k6BitStr) {
        len = 1 + (b & 0x3Fu);
        if (len - 1 == value.size() && std::memcmp(p + 1, value.data(), value.size()) == 0) {
          return static_cast<Pos>(p - data_);
        }
      } else {
        // Strings are compared by bytes even when the needle is an integer: a blob
        // loaded from elsewhere may hold "12" as a string.
        const Element e = Decode(p);
        const bool equal = e.is_int ? needle_is_int && e.value == needle
                                    : e.str_len == value.size() && std::memcmp(e.str, value.data(), value.size()) == 0;
        if (equal) return static_cast<Pos>(p - data_);
        len = e.encoded_len;
      }
    }
    p += len + BacklenSize(len);
  }
  return kEnd;
}

namespace {

// Inserts the encoded element at byte offset `at` (an element's position or the
// terminator's), growing the blob; updates total bytes and count.
void InsertAt(unsigned char*& data, size_t at, const Encoded& e) {
  const size_t old_total = TotalBytes(data);
  const size_t new_total = old_total + e.size();
  if (new_total > UINT32_MAX) throw std::length_error("listpack exceeds 4 GiB");
  const size_t count = HeaderCount(data);
  data = Reallocate(data, new_total);
  std::memmove(data + at + e.size(), data + at, old_total - at);
  e.WriteTo(data + at);
  StoreU32(data, static_cast<uint32_t>(new_total));
  if (count != kCountUnknown) SetHeaderCount(data, count + 1);
}

}  // namespace

void Listpack::Append(std::string_view value) { Insert(kEnd, value); }

void Listpack::AppendInteger(int64_t value) {
  Encoded e;
  EncodeInteger(value, &e);
  InsertAt(data_, TotalBytes(data_) - 1, e);
}

void Listpack::Prepend(std::string_view value) { Insert(kHeaderSize, value); }

Listpack::Pos Listpack::Insert(Pos pos, std::string_view value) {
  std::string copy;
  if (PointsInto(data_, value)) value = copy.assign(value);
  Encoded e;
  EncodeString(value, &e);
  const size_t at = pos == kEnd ? TotalBytes(data_) - 1 : pos;
  InsertAt(data_, at, e);
  return static_cast<Pos>(at);
}

Listpack::Pos Listpack::Replace(Pos pos, std::string_view value) {
  std::string copy;
  if (PointsInto(data_, value)) value = copy.assign(value);
  Encoded e;
  EncodeString(value, &e);
  const size_t old_total = TotalBytes(data_);
  const size_t old_size = ElementSize(data_ + pos);
  const size_t new_size = e.size();
  const size_t tail = old_total - pos - old_size;  // following elements and terminator
  const size_t new_total = old_total - old_size + new_size;
  if (new_total > UINT32_MAX) throw std::length_error("listpack exceeds 4 GiB");
  if (new_size > old_size) {
    data_ = Reallocate(data_, new_total);
    std::memmove(data_ + pos + new_size, data_ + pos + old_size, tail);
  } else if (new_size < old_size) {
    std::memmove(data_ + pos + new_size, data_ + pos + old_size, tail);
    data_ = Reallocate(data_, new_total);
  }
  e.WriteTo(data_ + pos);
  StoreU32(data_, static_cast<uint32_t>(new_total));
  return pos;
}

Listpack::Pos Listpack::Erase(Pos pos, size_t count) {
  if (pos == kEnd || count == 0) return pos;
  const size_t old_total = TotalBytes(data_);
  size_t end = pos;
  size_t removed = 0;
  while (removed < count && data_[end] != kTerminator) {
    end += ElementSize(data_ + end);
    ++removed;
  }
  const size_t new_total = old_total - (end - pos);
  const uint16_t header_count = HeaderCount(data_);
  std::memmove(data_ + pos, data_ + end, old_total - end);
  if (new_total == kEmptySize) {
    Clear();
    return kEnd;
  }
  data_ = Reallocate(data_, new_total);
  StoreU32(data_, static_cast<uint32_t>(new_total));
  SetHeaderCount(data_, header_count != kCountUnknown ? header_count - removed : CountByWalking(data_));
  return data_[pos] == kTerminator ? kEnd : pos;
}

void Listpack::Clear() {
  Release(data_);
  data_ = EmptyBlob();
}

size_t Listpack::EncodedSize(std::string_view value) {
  Encoded e;
  EncodeString(value, &e);
  return e.size();
}

}  // namespace tierkv
