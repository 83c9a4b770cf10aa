// AdminClient: one blocking connection for the sweep's questions to a target (CONFIG
// GET maxmemory, INFO sections, DBSIZE, FLUSHALL), outside the measured runs. Every
// call is bounded by a timeout. Not thread-safe.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/run.h"

namespace tierkv::bench {

class AdminClient {
 public:
  // Connects, authenticates and selects the db as the run's connections do.
  static std::optional<AdminClient> Connect(const Target& target, const ConnectSpec& connect, std::string* error);

  // The reply's strings: a bulk or simple string as one, an array of them as many, an
  // integer as its digits. nullopt and *error on an error reply or a failed connection.
  std::optional<std::vector<std::string>> Call(const std::vector<std::string>& args, std::string* error);

  // INFO <section> as field -> value (comments and blank lines dropped).
  std::map<std::string, std::string> Info(const std::string& section);

  // CONFIG GET maxmemory in bytes; 0 when unset or unknown.
  uint64_t MaxMemory();

 private:
  explicit AdminClient(std::unique_ptr<asio::io_context> io);

  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<asio::ip::tcp::socket> socket_;
  std::string in_;
};

// VmRSS, RssAnon and RssFile of /proc/<pid>/status in bytes (0 when unreadable).
struct ProcessMemory {
  uint64_t rss = 0, anon = 0, file = 0;
};
ProcessMemory ReadProcessMemory(int pid);

}  // namespace tierkv::bench
