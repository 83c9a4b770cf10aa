// The client side of RESP for the load generator: request encoding and a scanner that
// finds where one reply ends in a receive buffer and what kind of reply it was. The
// generator never needs a reply's contents, only whether it was an error, a miss (nil,
// or an empty array for a read that lists) and its length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv::bench {

// Appends "*<n>\r\n" and then each argument as a bulk string.
void AppendArrayHeader(std::string& out, size_t count);
void AppendBulk(std::string& out, std::string_view arg);
void AppendBulkNumber(std::string& out, uint64_t number);

struct ReplyInfo {
  enum class Kind { kIncomplete, kMalformed, kOk };
  Kind kind = Kind::kIncomplete;
  size_t length = 0;    // bytes of the whole reply (with nested elements)
  bool error = false;   // -ERR / !bulk error at the top level
  bool empty = false;   // nil (RESP2 $-1/*-1, RESP3 _) or an aggregate of no elements
  char type = 0;        // the top-level type byte
};

// Scans the reply starting at data[0]. Push messages (RESP3 '>') and attributes ('|')
// are returned like any reply (type tells them apart); nesting deeper than 64 levels
// is malformed.
ReplyInfo ScanReply(std::string_view data);

}  // namespace tierkv::bench
