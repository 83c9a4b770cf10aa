// Coordinated-omission correction: against a fake in-process RESP server that stalls
// once for 100 ms, the open loop (latency from when each request was due) shows the
// stall in p99.9, while the closed loop (latency from when it could send) hides it in
// one sample.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tools/bench/resp.h"
#include "tools/bench/run.h"

namespace tierkv::bench {
namespace {

// Answers +OK to every request on 127.0.0.1 (any port); before answering request
// number `stall_at` (counted over all connections) it sleeps `stall`, once.
class StallingServer {
 public:
  StallingServer(uint64_t stall_at, std::chrono::milliseconds stall) : stall_at_(stall_at), stall_(stall) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StallingServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (auto& c : clients_) close(c.fd);
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  uint64_t served() const { return served_.load(); }

 private:
  struct Client {
    int fd;
    std::string in;
  };

  // poll() with a 50 ms timeout, so the loop ends within 50 ms of stop_.
  void Serve() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) clients_.push_back({accept(listen_fd_, nullptr, nullptr), {}});
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        Client& c = clients_[i - 1];
        char buf[16384];
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n <= 0) continue;
        c.in.append(buf, static_cast<size_t>(n));
        std::string out;
        size_t begin = 0;
        // A request is a RESP array of bulks: the reply scanner frames it as well.
        for (ReplyInfo r; (r = ScanReply(std::string_view(c.in).substr(begin))).kind == ReplyInfo::Kind::kOk;) {
          begin += r.length;
          if (++served_ == stall_at_) std::this_thread::sleep_for(stall_);
          out += "+OK\r\n";
        }
        c.in.erase(0, begin);
        if (!out.empty() && write(c.fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
          ADD_FAILURE() << "short write";
        }
      }
    }
  }

  const uint64_t stall_at_;
  const std::chrono::milliseconds stall_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> served_{0};
  std::vector<Client> clients_;
};

RunSpec SpecFor(uint16_t port) {
  RunSpec spec;
  spec.target.port = port;
  spec.target.name = "fake";
  spec.connections = 1;
  spec.pipeline = 1;
  spec.workload.write_weight = 1;  // SETs: the fake answers +OK to anything
  spec.workload.read_weight = 0;
  spec.max_seconds = 30;
  return spec;
}

TEST(OpenLoopTest, AStallShowsInP999WhenLatencyCountsFromTheDueTime) {
  StallingServer server(500, std::chrono::milliseconds(100));
  RunSpec spec = SpecFor(server.port());
  spec.rate = 2000;  // one request due every 0.5 ms
  spec.duration_s = 1.5;
  RunResult result = bench::Run(spec);
  ASSERT_EQ(result.error, "");
  // ~3,000 requests; the ~200 due during the stall wait for it, from 100 ms down.
  EXPECT_GT(result.ops, 2500u);
  EXPECT_LT(result.ops, 3100u);
  EXPECT_GE(result.latency.Percentile(99.9), 90'000'000u);
  EXPECT_GE(result.latency.Percentile(99), 50'000'000u);
  EXPECT_GE(result.latency.max(), 100'000'000u);
  // The per-second series holds the stall too.
  ASSERT_GE(result.seconds.size(), 1u);
  EXPECT_GE(result.seconds[0].latency.Percentile(99), 50'000'000u);
}

TEST(OpenLoopTest, TheClosedLoopSeesTheSameStallOnceAndHidesIt) {
  StallingServer server(500, std::chrono::milliseconds(100));
  RunSpec spec = SpecFor(server.port());
  spec.duration_s = 0;
  spec.requests = 5000;
  RunResult result = bench::Run(spec);
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.ops, 5000u);
  EXPECT_GE(result.latency.max(), 100'000'000u);        // the stalled request itself
  EXPECT_LT(result.latency.Percentile(99.9), 50'000'000u);  // and nothing else
}

TEST(OpenLoopTest, TheRateIsKeptWhenTheServerKeepsUp) {
  StallingServer server(0, std::chrono::milliseconds(0));
  RunSpec spec = SpecFor(server.port());
  spec.connections = 4;
  spec.rate = 1000;
  spec.duration_s = 1;
  RunResult result = bench::Run(spec);
  ASSERT_EQ(result.error, "");
  EXPECT_GE(result.ops, 950u);
  EXPECT_LE(result.ops, 1004u);  // one per connection may be due at the very start
}

TEST(OpenLoopTest, ARefusedConnectionFailsTheRun) {
  uint16_t port = 0;
  {
    StallingServer gone(0, std::chrono::milliseconds(0));
    port = gone.port();
  }
  RunSpec spec = SpecFor(port);
  spec.requests = 10;
  spec.duration_s = 0;
  RunResult result = bench::Run(spec);
  EXPECT_NE(result.error.find("connect to 127.0.0.1:"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace tierkv::bench
