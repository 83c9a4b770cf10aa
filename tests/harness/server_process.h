// ServerProcess: starts a Redis-protocol server binary (tierkv-server or
// Debian's redis-server) as a child process on a free loopback port, waits
// until it answers PING, and stops it (SIGTERM, then SIGKILL) on destruction.
// Plus small RAII wrappers over hiredis for the C++ integration tests.
#pragma once

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tierkv::testing {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

// Sends one command whose arguments may hold any bytes.
inline Reply Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

// Queues a command without waiting for its reply (pipelining).
inline void Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
}

inline Reply NextReply(redisContext* c) {
  void* reply = nullptr;
  if (redisGetReply(c, &reply) != REDIS_OK) return nullptr;
  return Reply(static_cast<redisReply*>(reply));
}

// A port that was free a moment ago (the kernel picks it; we release it for the server).
inline int PickLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

class ServerProcess {
 public:
  // Starts `binary` with redis-server style options plus `extra_args`; retries
  // on another port if the chosen one was taken meanwhile. nullptr on failure.
  static std::unique_ptr<ServerProcess> Start(const std::string& binary, std::vector<std::string> extra_args = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
      if (server->Launch(binary, PickLoopbackPort(), extra_args)) return server;
    }
    return nullptr;
  }

  ~ServerProcess() {
    Stop();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  Context Connect() const {
    timeval timeout{10, 0};
    Context c(redisConnectWithTimeout("127.0.0.1", port_, timeout));
    if (c && c->err == 0) redisSetTimeout(c.get(), timeout);
    return c;
  }

  // SIGTERM, wait up to 10 s, then SIGKILL. Returns the wait status.
  int Stop() {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, &exit_status_, WNOHANG) == pid_) {
        pid_ = -1;
        return exit_status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &exit_status_, 0);
    pid_ = -1;
    return exit_status_;
  }

  // True once the process has exited (reaped).
  bool Exited() {
    if (pid_ <= 0) return true;
    if (waitpid(pid_, &exit_status_, WNOHANG) == pid_) pid_ = -1;
    return pid_ <= 0;
  }

 private:
  ServerProcess() = default;

  bool Launch(const std::string& binary, int port, const std::vector<std::string>& extra_args) {
    if (port <= 0) return false;
    port_ = port;
    // Each server gets its own data directory: the tier and journal live there.
    dir_ = "/tmp/tierkv-test-" + std::to_string(getpid()) + "-" + std::to_string(port);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {binary, "--port", std::to_string(port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", dir_,
                                     "--loglevel", "warning"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    pid_ = pid;
    return WaitForPing();
  }

  // Polls PING every 20 ms for up to 10 s; gives up early if the server exits.
  bool WaitForPing() {
    for (int attempt = 0; attempt < 500; ++attempt) {
      if (Exited()) return false;
      Context c = Connect();
      if (c && c->err == 0) {
        Reply reply = Command(c.get(), {"PING"});
        if (reply && reply->type == REDIS_REPLY_STATUS && std::string(reply->str) == "PONG") return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  pid_t pid_ = -1;
  int port_ = -1;
  int exit_status_ = 0;
  std::string dir_;
};

}  // namespace tierkv::testing
