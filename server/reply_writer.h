// ReplyWriter: the only code that writes protocol bytes. Handlers describe a
// reply in RESP3 terms (map, set, double, null, boolean...) and the writer
// downgrades to RESP2 when the client has not said HELLO 3, exactly as Redis
// does (maps become flat arrays, doubles bulk strings, booleans integers...).
//
// Thread-safety: one writer per client, engine thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv {

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out) : out_(out) {}

  void set_protocol(int protocol) { protocol_ = protocol; }
  int protocol() const { return protocol_; }
  bool resp3() const { return protocol_ == 3; }
  std::string* buffer() { return out_; }

  void SimpleString(std::string_view text);
  void Ok() { out_->append("+OK\r\n"); }
  // `text` is the whole error line without '-' (e.g. "ERR syntax error");
  // newlines in it are replaced by spaces so the reply stays one line.
  // `counted_elsewhere`: the error was counted in INFO errorstats where it arose (a
  // script passing on the error of a command it called), and is not counted again.
  void Error(std::string_view text, bool counted_elsewhere = false);
  // The error replies written so far: the dispatcher learns from them whether a command
  // failed and how, without reading its reply back.
  uint64_t errors_written() const { return errors_written_; }
  // The last error's line, and whether INFO errorstats should count it.
  const std::string& last_error() const { return last_error_; }
  bool last_error_counted_elsewhere() const { return last_error_counted_elsewhere_; }
  void Integer(int64_t value);
  void Bulk(std::string_view data);
  void Null();        // missing value: $-1 in RESP2, _ in RESP3
  void NullArray();   // missing aggregate: *-1 in RESP2, _ in RESP3
  void Array(size_t count);
  void Map(size_t pairs);   // RESP2: array of 2*pairs
  void Set(size_t count);   // RESP2: array
  void Push(size_t count);  // RESP2: array
  // RESP3 attribute map, sent before the reply it describes. RESP2 has no
  // equivalent: callers write none in RESP2 (nothing is written here then).
  void Attribute(size_t pairs);
  void Double(double value);       // RESP2: bulk string
  // A double whose text the caller formatted (GEO coordinates use Redis's long-double
  // digits): a bulk string in RESP2, a RESP3 double otherwise.
  void DoubleText(std::string_view text);
  void Boolean(bool value);        // RESP2: integer 1/0
  void Verbatim(std::string_view text, std::string_view format = "txt");  // RESP2: bulk
  void BigNumber(std::string_view digits);  // RESP2: bulk

  // Every bulk of a string list, as an array.
  template <typename Range>
  void BulkArray(const Range& items) {
    Array(items.size());
    for (const auto& item : items) Bulk(item);
  }

 private:
  void Header(char type, uint64_t count);

  std::string* out_;
  int protocol_ = 2;
  uint64_t errors_written_ = 0;
  std::string last_error_;
  bool last_error_counted_elsewhere_ = false;
};

}  // namespace tierkv
