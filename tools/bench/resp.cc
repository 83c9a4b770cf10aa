#include "tools/bench/resp.h"

#include <charconv>
#include <cstring>

namespace tierkv::bench {
namespace {

void AppendNumber(std::string& out, char prefix, uint64_t number) {
  char buf[24];
  buf[0] = prefix;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, number);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, static_cast<size_t>(end - buf));
}

struct Scanner {
  std::string_view data;
  size_t pos = 0;
  bool incomplete = false;
  bool malformed = false;

  // The line from pos to CRLF (without it); advances past it.
  bool Line(std::string_view* line) {
    const size_t end = data.find("\r\n", pos);
    if (end == std::string_view::npos) {
      incomplete = true;
      return false;
    }
    *line = data.substr(pos, end - pos);
    pos = end + 2;
    return true;
  }

  bool Number(std::string_view text, int64_t* out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec != std::errc() || end != text.data() + text.size()) {
      malformed = true;
      return false;
    }
    return true;
  }

  // One element; *type, *is_empty and *is_error describe it.
  bool Element(int depth, char* type, bool* is_empty, bool* is_error) {
    if (depth > 64) {
      malformed = true;
      return false;
    }
    if (pos >= data.size()) {
      incomplete = true;
      return false;
    }
    *type = data[pos++];
    *is_empty = false;
    *is_error = false;
    std::string_view line;
    if (!Line(&line)) return false;
    switch (*type) {
      case '+': case ':': case ',': case '#': case '(': return true;
      case '-': *is_error = true; return true;
      case '_': *is_empty = true; return true;
      case '$': case '!': case '=': {
        int64_t length = 0;
        if (!Number(line, &length)) return false;
        if (length < 0) {
          *is_empty = true;
          return true;
        }
        if (data.size() - pos < static_cast<size_t>(length) + 2) {
          incomplete = true;
          return false;
        }
        pos += static_cast<size_t>(length) + 2;
        *is_error = *type == '!';
        return true;
      }
      case '*': case '~': case '>': case '%': case '|': {
        int64_t count = 0;
        if (!Number(line, &count)) return false;
        if (count <= 0) {
          *is_empty = true;
          return true;
        }
        const int64_t elements = (*type == '%' || *type == '|') ? 2 * count : count;
        for (int64_t i = 0; i < elements; ++i) {
          char t;
          bool e, err;
          if (!Element(depth + 1, &t, &e, &err)) return false;
        }
        if (*type == '|') {
          // An attribute precedes the reply it annotates: that reply is the one we report.
          return Element(depth + 1, type, is_empty, is_error);
        }
        return true;
      }
      default: malformed = true; return false;
    }
  }
};

}  // namespace

void AppendArrayHeader(std::string& out, size_t count) { AppendNumber(out, '*', count); }

void AppendBulk(std::string& out, std::string_view arg) {
  AppendNumber(out, '$', arg.size());
  out.append(arg);
  out.append("\r\n", 2);
}

void AppendBulkNumber(std::string& out, uint64_t number) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
  (void)ec;
  AppendBulk(out, std::string_view(digits, static_cast<size_t>(end - digits)));
}

ReplyInfo ScanReply(std::string_view data) {
  Scanner scanner{data};
  ReplyInfo info;
  bool ok = scanner.Element(0, &info.type, &info.empty, &info.error);
  if (ok) {
    info.kind = ReplyInfo::Kind::kOk;
    info.length = scanner.pos;
  } else {
    info.kind = scanner.malformed ? ReplyInfo::Kind::kMalformed : ReplyInfo::Kind::kIncomplete;
  }
  return info;
}

}  // namespace tierkv::bench
