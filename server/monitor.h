// MONITOR: the clients that watch every command the server runs, and the line each
// command shows them, in Redis's format:
//     +<unix seconds>.<microseconds> [<db> <client address>] "arg" "arg" ...
// arguments quoted and escaped as Redis's sdscatrepr, secrets shown as "(redacted)"
// (the rules SLOWLOG uses, server/slowlog.h). The same status line in RESP2 and RESP3.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

std::string MonitorLine(int64_t unix_us, int db, std::string_view address, std::span<const std::string_view> args);

class MonitorRegistry {
 public:
  void Add(uint64_t client_id) { monitors_.push_back(client_id); }
  void Remove(uint64_t client_id) { std::erase(monitors_, client_id); }
  bool empty() const { return monitors_.empty(); }
  const std::vector<uint64_t>& clients() const { return monitors_; }

 private:
  std::vector<uint64_t> monitors_;  // in the order they started monitoring
};

}  // namespace tierkv
