#include "server/resp_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "engine/number.h"

namespace tierkv {
namespace {

// Redis's PROTO_INLINE_MAX_SIZE: an inline request or a count line longer than
// this without its newline is rejected.
constexpr size_t kMaxInlineSize = 64 * 1024;
constexpr int64_t kMaxMultiBulkCount = INT_MAX;  // as Redis

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

enum class LineStatus { kOk, kNeedMore, kInvalid, kTooLong };

// Reads the integer of a "*<n>\r\n" or "$<n>\r\n" line whose type byte is at
// `input[0]`; on kOk `*next` is the offset after the '\n'. Plain short digit
// runs are decoded in one pass (the common case); anything else falls back
// to Redis's exact rule: the text up to the first '\r' must be a strict integer.
LineStatus ReadLengthLine(std::string_view input, int64_t* value, size_t* next) {
  const size_t n = input.size();
  size_t i = 1;
  const bool negative = i < n && input[i] == '-';
  if (negative) ++i;
  const size_t digits_start = i;
  uint64_t magnitude = 0;
  while (i < n && i - digits_start < 18 && input[i] >= '0' && input[i] <= '9') {
    magnitude = magnitude * 10 + static_cast<uint64_t>(input[i] - '0');
    ++i;
  }
  const size_t digits = i - digits_start;
  if (i < n && input[i] == '\r' && digits > 0 && !(digits > 1 && input[digits_start] == '0') &&
      !(negative && magnitude == 0)) {
    if (i + 1 >= n) return LineStatus::kNeedMore;  // wait for the '\n'
    *value = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
    *next = i + 2;
    return LineStatus::kOk;
  }
  const size_t cr = input.find('\r');
  if (cr == std::string_view::npos) return n > kMaxInlineSize ? LineStatus::kTooLong : LineStatus::kNeedMore;
  if (cr + 1 >= n) return LineStatus::kNeedMore;
  if (!ParseInt64(input.substr(1, cr - 1), value)) return LineStatus::kInvalid;
  *next = cr + 2;
  return LineStatus::kOk;
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  while (true) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i >= line.size()) return true;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (i >= line.size()) return false;  // unterminated quotes
        if (line[i] == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          current.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          switch (line[i]) {
            case 'n': current.push_back('\n'); break;
            case 'r': current.push_back('\r'); break;
            case 't': current.push_back('\t'); break;
            case 'b': current.push_back('\b'); break;
            case 'a': current.push_back('\a'); break;
            default: current.push_back(line[i]); break;
          }
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < line.size() && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          current.push_back(line[i]);
        }
      } else if (in_single) {
        if (i >= line.size()) return false;
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          ++i;
          current.push_back('\'');
        } else if (line[i] == '\'') {
          if (i + 1 < line.size() && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          current.push_back(line[i]);
        }
      } else {
        if (i >= line.size()) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ': case '\n': case '\r': case '\t': case '\0':
            done = true;
            break;
          case '"': in_double = true; break;
          case '\'': in_single = true; break;
          default: current.push_back(line[i]); break;
        }
      }
      if (i < line.size()) ++i;
    }
    out->push_back(std::move(current));
  }
}

RespParser::Outcome RespParser::Fail(std::string message) {
  error_ = "Protocol error: " + std::move(message);
  ResetCommand();
  return Outcome::kError;
}

void RespParser::ResetCommand() {
  in_multibulk_ = false;
  args_expected_ = 0;
  scan_pos_ = 0;
  bulk_len_ = -1;
  arg_spans_.clear();
}

RespParser::Outcome RespParser::Parse(std::string_view input, size_t* consumed,
                                      std::vector<std::string_view>* args) {
  args->clear();
  if (input.empty()) return Outcome::kNeedMore;
  if (in_multibulk_ || input[0] == '*') return ParseMultiBulk(input, consumed, args);
  return ParseInline(input, consumed, args);
}

RespParser::Outcome RespParser::ParseInline(std::string_view input, size_t* consumed,
                                            std::vector<std::string_view>* args) {
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() > kMaxInlineSize) return Fail("too big inline request");
    return Outcome::kNeedMore;
  }
  std::string_view line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!SplitInlineArgs(line, &inline_args_)) return Fail("unbalanced quotes in request");
  *consumed = newline + 1;
  for (const std::string& arg : inline_args_) args->push_back(arg);
  return Outcome::kCommand;
}

RespParser::Outcome RespParser::ParseMultiBulk(std::string_view input, size_t* consumed,
                                               std::vector<std::string_view>* args) {
  if (!in_multibulk_) {
    int64_t count = 0;
    size_t next = 0;
    switch (ReadLengthLine(input, &count, &next)) {
      case LineStatus::kNeedMore: return Outcome::kNeedMore;
      case LineStatus::kTooLong: return Fail("too big mbulk count string");
      case LineStatus::kInvalid: return Fail("invalid multibulk length");
      case LineStatus::kOk: break;
    }
    if (count > kMaxMultiBulkCount) return Fail("invalid multibulk length");
    scan_pos_ = next;
    if (count <= 0) {
      *consumed = scan_pos_;
      ResetCommand();
      return Outcome::kCommand;  // empty request, ignored as by Redis
    }
    in_multibulk_ = true;
    args_expected_ = count;
    bulk_len_ = -1;
    // Reserve for small counts only: a client claiming a billion arguments
    // must send them before we spend memory on them.
    arg_spans_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  }

  while (static_cast<int64_t>(arg_spans_.size()) < args_expected_) {
    std::string_view rest = input.substr(scan_pos_);
    if (bulk_len_ < 0) {
      if (rest.empty()) return Outcome::kNeedMore;
      if (rest[0] != '$') {
        // Redis looks at the byte only once the whole line has arrived.
        const size_t cr = rest.find('\r');
        if (cr == std::string_view::npos) {
          return rest.size() > kMaxInlineSize ? Fail("too big bulk count string") : Outcome::kNeedMore;
        }
        if (cr + 1 >= rest.size()) return Outcome::kNeedMore;
        return Fail(std::string("expected '$', got '") + rest[0] + "'");
      }
      int64_t length = 0;
      size_t next = 0;
      switch (ReadLengthLine(rest, &length, &next)) {
        case LineStatus::kNeedMore: return Outcome::kNeedMore;
        case LineStatus::kTooLong: return Fail("too big bulk count string");
        case LineStatus::kInvalid: return Fail("invalid bulk length");
        case LineStatus::kOk: break;
      }
      if (length < 0 || static_cast<uint64_t>(length) > limits_->max_bulk_len) return Fail("invalid bulk length");
      bulk_len_ = length;
      scan_pos_ += next;
      rest = input.substr(scan_pos_);
    }
    // The bulk is followed by two terminator bytes which Redis skips unchecked.
    const size_t needed = static_cast<size_t>(bulk_len_) + 2;
    if (rest.size() < needed) return Outcome::kNeedMore;
    arg_spans_.emplace_back(scan_pos_, static_cast<size_t>(bulk_len_));
    scan_pos_ += needed;
    bulk_len_ = -1;
  }

  for (const auto& [offset, length] : arg_spans_) args->push_back(input.substr(offset, length));
  *consumed = scan_pos_;
  ResetCommand();
  return Outcome::kCommand;
}

}  // namespace tierkv
