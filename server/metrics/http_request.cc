#include "server/metrics/http_request.h"

#include <charconv>

#include "server/command_table.h"

namespace tierkv {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A token as RFC 9110 defines one (method names, header field names).
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// True if the comma-separated `list` holds `word` (case-insensitive).
bool ListHas(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (EqualsIgnoreCase(Trim(list.substr(0, comma)), word)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

HttpRequestParser::State HttpRequestParser::Parse(std::string_view input, HttpRequest* request,
                                                  size_t* consumed) const {
  // Lines end in CRLF; a bare LF is accepted, as RFC 9112 allows a recipient to.
  size_t head_end = std::string_view::npos;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] != '\n') continue;
    if (i + 1 < input.size() && input[i + 1] == '\n') {
      head_end = i + 2;
      break;
    }
    if (i + 2 < input.size() && input[i + 1] == '\r' && input[i + 2] == '\n') {
      head_end = i + 3;
      break;
    }
  }
  if (head_end == std::string_view::npos) {
    return input.size() > max_head_bytes_ ? State::kBad : State::kIncomplete;
  }
  if (head_end > max_head_bytes_) return State::kBad;

  std::string_view head = input.substr(0, head_end);
  auto next_line = [&head]() {
    const size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };

  // Request line: method SP request-target SP HTTP-version.
  const std::string_view line = next_line();
  const size_t first_space = line.find(' ');
  const size_t second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) return State::kBad;
  const std::string_view method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (!IsToken(method) || target.empty() || target.find(' ') != std::string_view::npos) return State::kBad;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return State::kBad;

  HttpRequest parsed;
  parsed.method = std::string(method);
  parsed.path = std::string(target.substr(0, target.find('?')));
  bool keep_alive = version == "HTTP/1.1";
  bool have_length = false;
  for (std::string_view field = next_line(); !field.empty(); field = next_line()) {
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) return State::kBad;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = Trim(field.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Authorization")) {
      parsed.authorization = std::string(value);
    } else if (EqualsIgnoreCase(name, "Connection")) {
      if (ListHas(value, "close")) keep_alive = false;
      if (ListHas(value, "keep-alive")) keep_alive = version == "HTTP/1.1" || !ListHas(value, "close");
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      size_t length = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
      // Two different lengths could be read two ways by two parsers: refused.
      if (error != std::errc() || end != value.data() + value.size() || value.empty() ||
          (have_length && length != parsed.content_length)) {
        return State::kBad;
      }
      parsed.content_length = length;
      have_length = true;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return State::kBad;  // a GET has no body to chunk; none is accepted
    }
  }
  parsed.keep_alive = keep_alive;
  *request = std::move(parsed);
  *consumed = head_end;
  return State::kComplete;
}

bool DecodeBase64(std::string_view text, std::string* out) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return false;
  std::string decoded;
  decoded.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int values[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        values[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return false;  // data after '='
      values[j] = value_of(c);
      if (values[j] < 0) return false;
    }
    const uint32_t bits = (static_cast<uint32_t>(values[0]) << 18) | (static_cast<uint32_t>(values[1]) << 12) |
                          (static_cast<uint32_t>(values[2]) << 6) | static_cast<uint32_t>(values[3]);
    decoded.push_back(static_cast<char>(bits >> 16));
    if (padding < 2) decoded.push_back(static_cast<char>((bits >> 8) & 0xff));
    if (padding < 1) decoded.push_back(static_cast<char>(bits & 0xff));
  }
  *out = std::move(decoded);
  return true;
}

}  // namespace tierkv
