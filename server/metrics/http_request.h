// HttpRequestParser: the request head of HTTP/1.0 and HTTP/1.1 (request line and
// header fields), as much as the metrics endpoint needs: method, path, the
// Authorization header, whether the client wants the connection kept, and any
// body length. Bounded: a head past `max_head_bytes` is a bad request, so a
// client cannot make the server buffer without end.
//
// Thread-safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tierkv {

struct HttpRequest {
  std::string method;         // as sent ("GET"); methods are case-sensitive
  std::string path;           // the target without its query string
  std::string authorization;  // the Authorization header's value, "" if none
  bool keep_alive = false;    // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only if asked
  size_t content_length = 0;  // body bytes following the head
};

class HttpRequestParser {
 public:
  enum class State { kIncomplete, kComplete, kBad };

  explicit HttpRequestParser(size_t max_head_bytes = 8192) : max_head_bytes_(max_head_bytes) {}

  // Parses the head at the start of `input`. kComplete: `request` is filled and
  // `*consumed` is the head's length (its body follows). kIncomplete: more bytes are
  // needed. kBad: malformed, unsupported (chunked bodies, HTTP/2) or too large.
  State Parse(std::string_view input, HttpRequest* request, size_t* consumed) const;

 private:
  size_t max_head_bytes_;
};

// Base64 (RFC 4648, with padding) to bytes; false if `text` is not valid base64.
bool DecodeBase64(std::string_view text, std::string* out);

}  // namespace tierkv
