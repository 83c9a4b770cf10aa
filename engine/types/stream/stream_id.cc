#include "engine/types/stream/stream_id.h"

#include <cerrno>
#include <cstdlib>

#include "engine/number.h"

namespace tierkv {
namespace {

// Redis's string2ull over a C string: a canonical int64 that is not negative, or else
// whatever strtoull accepts whole (leading spaces, a sign) without overflow.
bool ParseUnsignedLikeRedis(const std::string& text, uint64_t* out) {
  int64_t canonical;
  if (ParseInt64(text, &canonical)) {
    if (canonical < 0) return false;
    *out = static_cast<uint64_t>(canonical);
    return true;
  }
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0') return false;
  *out = value;
  return true;
}

// The shared parser. `auto_seq` is non-null for XADD, where "<ms>-*" is allowed.
Result<StreamId> ParseId(std::string_view text, uint64_t missing_seq, bool strict, bool* auto_seq) {
  // Redis copies the argument into a 128-byte C buffer: longer is invalid, and an
  // embedded NUL ends it.
  if (text.size() > 127) return InvalidStreamIdError();
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  if (text == "-" || text == "+") {
    if (strict) return InvalidStreamIdError();
    return text == "-" ? StreamId::Min() : StreamId::Max();
  }
  StreamId id;
  const size_t dash = text.find('-');
  if (!ParseUnsignedLikeRedis(std::string(text.substr(0, dash)), &id.ms)) return InvalidStreamIdError();
  if (dash == std::string_view::npos) {
    id.seq = missing_seq;
    return id;
  }
  const std::string_view seq = text.substr(dash + 1);
  if (auto_seq != nullptr && seq == "*") {
    *auto_seq = true;
    id.seq = 0;
    return id;
  }
  if (!ParseUnsignedLikeRedis(std::string(seq), &id.seq)) return InvalidStreamIdError();
  return id;
}

}  // namespace

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

bool IncrementStreamId(StreamId& id) {
  if (id.seq != UINT64_MAX) {
    ++id.seq;
    return true;
  }
  if (id.ms == UINT64_MAX) {
    id = StreamId::Min();
    return false;
  }
  ++id.ms;
  id.seq = 0;
  return true;
}

bool DecrementStreamId(StreamId& id) {
  if (id.seq != 0) {
    --id.seq;
    return true;
  }
  if (id.ms == 0) {
    id = StreamId::Max();
    return false;
  }
  --id.ms;
  id.seq = UINT64_MAX;
  return true;
}

void EncodeStreamId(StreamId id, char out[kEncodedStreamIdSize]) {
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(id.ms >> (56 - 8 * i));
    out[8 + i] = static_cast<char>(id.seq >> (56 - 8 * i));
  }
}

std::string EncodeStreamId(StreamId id) {
  std::string out(kEncodedStreamIdSize, '\0');
  EncodeStreamId(id, out.data());
  return out;
}

StreamId DecodeStreamId(const char in[kEncodedStreamIdSize]) {
  StreamId id;
  for (int i = 0; i < 8; ++i) {
    id.ms = (id.ms << 8) | static_cast<unsigned char>(in[i]);
    id.seq = (id.seq << 8) | static_cast<unsigned char>(in[8 + i]);
  }
  return id;
}

Status InvalidStreamIdError() { return Status::Error("ERR Invalid stream ID specified as stream command argument"); }

Result<StreamId> ParseStreamId(std::string_view text, uint64_t missing_seq, bool strict) {
  return ParseId(text, missing_seq, strict, nullptr);
}

Result<XAddIdArg> ParseXAddId(std::string_view text) {
  bool auto_seq = false;
  auto id = ParseId(text, 0, /*strict=*/true, &auto_seq);
  if (!id.ok()) return id.status();
  return XAddIdArg{*id, !auto_seq};
}

namespace {

// "(" + exact ID, or any ID form. `exclusive` reports the "(".
Result<StreamId> ParseBound(std::string_view text, uint64_t missing_seq, bool* exclusive) {
  *exclusive = text.size() > 1 && text[0] == '(';
  if (*exclusive) return ParseStreamId(text.substr(1), missing_seq, /*strict=*/true);
  return ParseStreamId(text, missing_seq, /*strict=*/false);
}

}  // namespace

Result<StreamId> ParseRangeStart(std::string_view text) {
  bool exclusive;
  auto id = ParseBound(text, 0, &exclusive);
  if (!id.ok()) return id;
  if (exclusive && !IncrementStreamId(*id)) return Status::Error("ERR invalid start ID for the interval");
  return id;
}

Result<StreamId> ParseRangeEnd(std::string_view text) {
  bool exclusive;
  auto id = ParseBound(text, UINT64_MAX, &exclusive);
  if (!id.ok()) return id;
  if (exclusive && !DecrementStreamId(*id)) return Status::Error("ERR invalid end ID for the interval");
  return id;
}

}  // namespace tierkv
