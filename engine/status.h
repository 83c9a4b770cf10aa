// Status and Result<T>: the one error type shared by engine/ and tiering/.
//
// A Status is either OK or carries a Code plus an optional message. The server
// turns it into RESP error text in exactly one place (server/error_reply.cc), so
// nothing below server/ ever formats protocol bytes. Codes that map to a fixed
// Redis error string carry no message; kError carries the full text after the
// "-" (for example "ERR invalid expire time in 'set' command").
//
// Thread-safety: plain values, safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tierkv {

enum class Code {
  kOk,
  kWrongType,      // WRONGTYPE Operation against a key holding the wrong kind of value
  kNotInteger,     // ERR value is not an integer or out of range
  kNotFloat,       // ERR value is not a valid float
  kSyntax,         // ERR syntax error
  kNoSuchKey,      // ERR no such key
  kOutOfRange,     // ERR index out of range
  kOverflow,       // ERR increment or decrement would overflow
  kOutOfMemory,    // OOM command not allowed when used memory > 'maxmemory'.
  kBusyKey,        // BUSYKEY Target key name already exists.
  kError,          // full error text in message()
  kIoError,        // OS / storage failure (message says what)
  kCorruption,     // damaged data (message says where)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status WrongType() { return Status(Code::kWrongType); }
  static Status NotInteger() { return Status(Code::kNotInteger); }
  static Status NotFloat() { return Status(Code::kNotFloat); }
  static Status Syntax() { return Status(Code::kSyntax); }
  static Status NoSuchKey() { return Status(Code::kNoSuchKey); }
  static Status OutOfRange() { return Status(Code::kOutOfRange); }
  static Status Overflow() { return Status(Code::kOverflow); }
  static Status OutOfMemory() { return Status(Code::kOutOfMemory); }
  static Status BusyKey() { return Status(Code::kBusyKey); }
  // `text` is the whole error line without the leading '-', e.g. "ERR ...".
  static Status Error(std::string text) { return Status(Code::kError, std::move(text)); }
  static Status IoError(std::string what) { return Status(Code::kIoError, std::move(what)); }
  static Status Corruption(std::string what) { return Status(Code::kCorruption, std::move(what)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(Code code, std::string message = {}) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {     // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tierkv
