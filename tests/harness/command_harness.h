// CommandHarness: runs commands through the real dispatcher and handlers,
// without sockets, and returns the exact RESP bytes a client would receive.
// For component tests of command semantics; integration tests use the binary.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/client.h"
#include "server/command_table.h"
#include "server/server.h"

namespace tierkv::testing {

class CommandHarness {
 public:
  explicit CommandHarness(EngineOptions engine = {}, ServerSettings settings = {})
      : server_(std::move(settings), engine, BuildTable()), client_(server_.NextClientId()) {}

  // Runs one command; returns the reply bytes it produced.
  std::string Run(const std::vector<std::string>& args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    client_.output.clear();
    server_.Execute(client_, views);
    return client_.output;
  }

  Server& server() { return server_; }
  Shard& shard() { return server_.shard(); }
  Client& client() { return client_; }

 private:
  static std::unique_ptr<CommandTable> BuildTable() {
    auto table = CommandTable::Build();
    if (!table.ok()) throw std::runtime_error(table.status().message());
    return std::move(table.value());
  }

  Server server_;
  Client client_;
};

}  // namespace tierkv::testing
