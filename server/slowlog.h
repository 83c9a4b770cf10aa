// SLOWLOG: the latest commands that ran for at least `slowlog-log-slower-than`
// microseconds, newest first, at most `slowlog-max-len` of them, as Redis keeps them:
// arguments cut to 32 (the last one saying how many more) and each to 128 bytes (saying
// how many more bytes), secrets redacted, the client's address and name at the time.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t unix_seconds = 0;
  uint64_t usec = 0;
  std::vector<std::string> args;
  std::string client_address;
  std::string client_name;
};

class SlowLog {
 public:
  // Records a command that ran for `usec` if `threshold_usec` >= 0 and `usec` reaches it,
  // then keeps at most `max_len` entries.
  void Record(std::span<const std::string_view> args, uint64_t usec, std::string_view client_address,
              std::string_view client_name, int64_t threshold_usec, uint64_t max_len);
  void Reset() { entries_.clear(); }

  // Newest first.
  const std::deque<SlowLogEntry>& entries() const { return entries_; }

 private:
  // As Redis, a lower slowlog-max-len takes effect at the next entry recorded.
  void Trim(uint64_t max_len);

  std::deque<SlowLogEntry> entries_;
  uint64_t next_id_ = 0;
};

// The arguments as logs show them (SLOWLOG, and later MONITOR): a secret is replaced by
// "(redacted)", as Redis does for AUTH, HELLO ... AUTH, ACL SETUSER and CONFIG SET of requirepass,
// masterauth and masteruser.
std::vector<bool> SecretArguments(std::span<const std::string_view> args);

}  // namespace tierkv
