// RespParser: turns the bytes a client sent into commands (argument vectors).
//
// Accepts RESP multi-bulk requests (what client libraries send) and inline
// commands (what a person types into nc/telnet), with Redis's exact protocol
// error texts. It is incremental: fed the unconsumed tail of the connection's
// read buffer, it either returns one whole command, asks for more bytes (and
// remembers how far it got, so a huge request arriving slowly is not re-scanned),
// or reports a protocol error after which the connection must be closed.
// No claimed length is ever allocated up front: the buffer grows only with
// bytes actually received.
//
// Thread-safety: one parser per connection, engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

struct ParserLimits {
  uint64_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
};

class RespParser {
 public:
  enum class Outcome { kCommand, kNeedMore, kError };

  explicit RespParser(const ParserLimits* limits) : limits_(limits) {}

  // `input` must begin where the previous complete command ended (the same bytes
  // as last time plus any newly received ones). On kCommand, `*consumed` is the
  // command's length and `args` holds views into `input` (or into the parser,
  // for inline commands) valid until the next call. An empty `args` with
  // kCommand means an empty request that is simply skipped.
  Outcome Parse(std::string_view input, size_t* consumed, std::vector<std::string_view>* args);

  // "Protocol error: ..." after kError.
  const std::string& error() const { return error_; }

 private:
  Outcome ParseMultiBulk(std::string_view input, size_t* consumed, std::vector<std::string_view>* args);
  Outcome ParseInline(std::string_view input, size_t* consumed, std::vector<std::string_view>* args);
  Outcome Fail(std::string message);
  void ResetCommand();

  const ParserLimits* limits_;
  std::string error_;

  // Progress through a partially received multi-bulk command, relative to its start.
  bool in_multibulk_ = false;
  int64_t args_expected_ = 0;
  size_t scan_pos_ = 0;
  int64_t bulk_len_ = -1;  // length of the bulk being read, -1 while reading its header
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length)

  std::vector<std::string> inline_args_;
};

// Splits an inline command line the way Redis's sdssplitargs does (quotes,
// escapes). Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace tierkv
