// StreamId: a stream entry ID (<milliseconds>-<sequence>, two unsigned 64-bit numbers),
// with Redis's parsing rules, so that the same argument is accepted, read or rejected as
// redis-server does, and its 16-byte big-endian form (node keys and PEL IDs in RDB).
//
// Parsing follows streamGenericParseIDOrReply: the text is split at its first '-'; each
// part is read as Redis's string2ull does (a canonical integer, else strtoull, so " 5"
// and "+5" are 5 but "-1" is not a number); a missing sequence takes a default that
// depends on the command (0 for starts, UINT64_MAX for range ends). "-" and "+" mean the
// smallest and largest IDs except where an exact ID is required ("strict"). XADD also
// accepts "<ms>-*" (the sequence is chosen by the stream).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static constexpr StreamId Min() { return {0, 0}; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }

  bool IsZero() const { return ms == 0 && seq == 0; }
  auto operator<=>(const StreamId&) const = default;

  std::string ToString() const;  // "ms-seq"
};

// The next / previous ID. At the ends of the ID space they fail (Redis's streamIncrID
// and streamDecrID): false, and the ID wraps to the other end.
bool IncrementStreamId(StreamId& id);
bool DecrementStreamId(StreamId& id);

// 16 bytes, big-endian ms then seq: sorts as the IDs do (node keys, RDB PEL entries).
constexpr size_t kEncodedStreamIdSize = 16;
void EncodeStreamId(StreamId id, char out[kEncodedStreamIdSize]);
std::string EncodeStreamId(StreamId id);
StreamId DecodeStreamId(const char in[kEncodedStreamIdSize]);

// "ERR Invalid stream ID specified as stream command argument"
Status InvalidStreamIdError();

// An ID argument. `missing_seq` is the sequence of an ID given as "<ms>" alone; `strict`
// rejects "-" and "+".
Result<StreamId> ParseStreamId(std::string_view text, uint64_t missing_seq, bool strict);

// XADD's ID argument (not "*", which the caller handles): "<ms>-*" gives seq_given false.
struct XAddIdArg {
  StreamId id;
  bool seq_given = true;
};
Result<XAddIdArg> ParseXAddId(std::string_view text);

// A range bound of XRANGE/XREVRANGE/XPENDING/XAUTOCLAIM: "(" makes it exclusive (the ID
// after it must be exact, and the bound moves one ID inwards; moving past the end of the
// ID space is "ERR invalid start ID for the interval" / "...end ID...").
Result<StreamId> ParseRangeStart(std::string_view text);
Result<StreamId> ParseRangeEnd(std::string_view text);

}  // namespace tierkv
