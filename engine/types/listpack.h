// Listpack: Redis's compact encoding of a short sequence of strings and integers in one
// contiguous allocation, byte for byte as Redis 7 lays it out (listpack.c's format), so
// that small hashes, sets, sorted sets and list nodes cost what they cost in Redis and
// their RDB/DUMP form (a listpack blob as an RDB string) is copied, not rebuilt.
//
// Layout:  <total bytes: u32 LE> <element count: u16 LE, 65535 = "count by walking">
//          <element>* <0xFF>
// element: <encoding + data> <backlen: 1..5 bytes, the size of encoding + data, read
//          backwards 7 bits a byte> — integers in the smallest of 7-bit uint, 13, 16, 24,
//          32 or 64-bit signed; strings with a 6-bit, 12-bit or 32-bit length.
// A string that is the canonical decimal form of an int64 is stored as that integer (as
// Redis's lpAppend does), so Get() of it returns the same text back.
//
// Positions are byte offsets of elements; an operation that inserts or erases returns
// the position that follows and invalidates the others.
//
// The header count is kept exact while it is below 65535 (Redis leaves it at 65535 after
// deletions until its next lpLength; FromBytes and Erase recount instead). An empty
// listpack shares one static 7-byte blob: it allocates nothing and MemoryUsage() is 0,
// which also makes moves noexcept and leaves the source empty and usable.
//
// Thread-safety: a plain value; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

class Listpack {
 public:
  using Pos = uint32_t;
  static constexpr Pos kEnd = UINT32_MAX;  // past the last element / before the first

  // Buffer to decode an integer element's text into (Get's scratch space).
  using IntBuffer = char[24];

  Listpack();  // empty: 7 bytes
  Listpack(const Listpack& other);
  Listpack& operator=(const Listpack& other);
  Listpack(Listpack&& other) noexcept;
  Listpack& operator=(Listpack&& other) noexcept;
  ~Listpack();

  // Adopts a listpack blob read from an RDB file or DUMP payload after validating all of
  // it (header, every element's encoding and backlen, terminator): Corruption if damaged.
  static Result<Listpack> FromBytes(std::string_view bytes);

  std::string_view bytes() const;  // the whole blob (what RDB stores)
  size_t bytes_size() const;
  size_t size() const;             // number of elements
  bool empty() const { return size() == 0; }
  // Heap bytes held (the allocation, as the allocator sized it).
  size_t MemoryUsage() const;

  // Navigation. First/Last return kEnd when empty; Next/Prev return kEnd past the ends
  // (and for kEnd itself).
  Pos First() const;
  Pos Last() const;
  Pos Next(Pos pos) const;
  Pos Prev(Pos pos) const;
  // The element at `index` (negative counts from the end, -1 = last); kEnd if out of range.
  Pos Seek(int64_t index) const;

  // The element's value as text: a view into the listpack for strings, or into
  // `scratch` for integers. Valid until the listpack changes (or scratch is reused).
  std::string_view Get(Pos pos, IntBuffer& scratch) const;
  // The element's value when it is stored as an integer.
  std::optional<int64_t> GetInteger(Pos pos) const;
  // Equality with `value` without decoding integers to text where it can be avoided.
  bool Equals(Pos pos, std::string_view value) const;
  // The first element equal to `value` at or after `from`, looking only at every
  // (skip + 1)-th element (skip = 1: the fields of field/value pairs); kEnd if none.
  Pos Find(std::string_view value, Pos from, size_t skip = 0) const;

  // Edits. Append/Prepend add at the ends; Insert puts `value` before `pos` (kEnd:
  // append) and returns the new element's position; Replace overwrites the element at
  // `pos` and returns its position; Erase removes `count` elements from `pos` and
  // returns the position that now follows them (kEnd at the end). `value` may point into
  // this listpack (it is copied before the blob moves). Throws std::bad_alloc, and
  // std::length_error past 4 GiB (callers convert encodings long before).
  void Append(std::string_view value);
  void AppendInteger(int64_t value);
  void Prepend(std::string_view value);
  Pos Insert(Pos pos, std::string_view value);
  Pos Replace(Pos pos, std::string_view value);
  Pos Erase(Pos pos, size_t count = 1);
  // Removes every element.
  void Clear();

  // Size in bytes an element holding `value` would take (encoding, data and backlen):
  // lets callers check the node-size limits before inserting.
  static size_t EncodedSize(std::string_view value);

 private:
  explicit Listpack(unsigned char* data) : data_(data) {}
  unsigned char* data_;  // malloc'd blob; its first 4 bytes hold its size
};

}  // namespace tierkv
