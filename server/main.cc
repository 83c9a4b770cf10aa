// tierkv-server [config-file] [--option value ...]
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/memory.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"
#include "server/version.h"
#include "tiering/elapsed.h"

namespace {

void RaiseOpenFileLimit(rlim_t wanted) {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  const rlim_t target = std::min(wanted, limit.rlim_max);
  limit.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || target < wanted) {
    tierkv::LogWarning("You requested maxclients of " + std::to_string(wanted - 32) +
                       " but the open files limit allows " + std::to_string(target > 32 ? target - 32 : 0));
  }
}

void PrintUsage() {
  std::fprintf(stderr,
               "Usage: tierkv-server [/path/to/tierkv.conf] [--option value ...]\n"
               "       tierkv-server --version\n"
               "Examples:\n"
               "       tierkv-server --port 7777 --dir ./data\n"
               "       tierkv-server /etc/tierkv.conf --loglevel verbose\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tierkv;
  const int64_t started = SteadyMs();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("tierkv server v=%s redis_compat=%s\n", kTierkvVersion, kRedisCompatVersion);
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    PrintUsage();
    return 0;
  }

  // As Redis: a write to a socket the client has closed fails with EPIPE instead of
  // killing the process. asio sends with MSG_NOSIGNAL; OpenSSL's TLS records go
  // out through write(2), which raises SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  ServerSettings settings;
  EngineOptions engine;
  Config config(&settings, &engine);
  if (!args.empty() && !args[0].starts_with("--")) {
    Status status = config.LoadFile(args[0]);
    if (!status.ok()) {
      std::fprintf(stderr, "*** FATAL CONFIG FILE ERROR ***\n%s\n", status.message().c_str());
      return 1;
    }
    args.erase(args.begin());
  }
  Status status = config.ApplyArguments(args);
  if (!status.ok()) {
    std::fprintf(stderr, "*** FATAL CONFIG ERROR ***\n%s\n", status.message().c_str());
    return 1;
  }
  // The data directory is created if missing and reported as an absolute path,
  // as Redis reports its working directory.
  std::error_code dir_error;
  std::filesystem::create_directories(settings.dir, dir_error);
  auto absolute_dir = std::filesystem::canonical(settings.dir, dir_error);
  if (dir_error) {
    std::fprintf(stderr, "Can't use dir '%s': %s\n", settings.dir.c_str(), dir_error.message().c_str());
    return 1;
  }
  settings.dir = absolute_dir.string();

  // As Redis: room for maxclients connections plus our own files.
  RaiseOpenFileLimit(static_cast<rlim_t>(settings.maxclients) + 32);
  EnableAllocatorBackgroundPurging();
  SetLogFile(settings.logfile);
  SetLogLevel(settings.loglevel);

  auto commands = CommandTable::Build();
  if (!commands.ok()) {
    std::fprintf(stderr, "%s\n", commands.status().message().c_str());
    return 1;
  }
  Server server(std::move(settings), engine, std::move(commands.value()));
  status = server.LoadUsers();
  if (!status.ok()) {
    LogWarning(status.message());
    return 1;
  }
  // Recovery runs before the listeners open: a client never sees a half-loaded keyspace.
  status = server.OpenDurability();
  if (!status.ok()) {
    LogWarning("Fatal error loading the data directory: " + status.message());
    return 1;
  }
  status = server.Listen();
  if (!status.ok()) {
    LogWarning(status.message());
    return 1;
  }
  LogNotice(std::string("tierkv ") + kTierkvVersion + " started, port " + std::to_string(server.bound_port()) +
            ", listening " + SecondsSince(started) + " s after start-up began");
  server.Run();
  return 0;
}
