// Connection: one client connection of a run, driven by its thread's io_context.
// RunControl: what every connection of a run shares (bounds, stop, the first failure).
// ThreadStats: one thread's measurements, written only by that thread.
#pragma once

#include <asio.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "tools/bench/resp.h"
#include "tools/bench/run.h"

namespace tierkv::bench {

// Thread-safe: atomics, and a mutex around the failure text.
class RunControl {
 public:
  RunControl(Clock::time_point start, Clock::time_point deadline, Clock::time_point hard_deadline,
             uint64_t request_limit)
      : start_(start), deadline_(deadline), hard_deadline_(hard_deadline), request_limit_(request_limit) {}

  // Whether one more request (due at `due`) may go out; counts it when it may.
  bool TryIssue(Clock::time_point due);
  void Fail(const std::string& why);
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  std::string error() const;

  Clock::time_point start() const { return start_; }
  Clock::time_point deadline() const { return deadline_; }
  Clock::time_point hard_deadline() const { return hard_deadline_; }

 private:
  const Clock::time_point start_, deadline_, hard_deadline_;
  const uint64_t request_limit_;
  std::atomic<uint64_t> issued_{0};
  std::atomic<bool> failed_{false};
  mutable std::mutex mutex_;
  std::string error_;
};

class ThreadStats {
 public:
  explicit ThreadStats(Clock::time_point start) : start_(start) {}

  void Record(Command command, const ReplyInfo& reply, std::string_view text, uint64_t latency_ns, Clock::time_point now);

  std::array<CommandStats, kCommandCount> commands;
  std::vector<Second> seconds;
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> last_p99_ns{0};
  Clock::time_point last_reply{};  // when the last measured reply arrived
  std::string first_error;         // the first error reply's line

 private:
  Clock::time_point start_;
};

class Connection {
 public:
  Connection(asio::io_context& io, const RunSpec& spec, RunControl& control, ThreadStats& stats, KeyPicker& keys,
             int index);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start(const asio::ip::tcp::endpoint& endpoint);
  void Close();
  bool closed() const { return closed_; }

 private:
  struct Pending {
    Request request;
    Clock::time_point due;  // closed loop: when it was sent; open loop: when it was due
    bool setup = false;     // HELLO / AUTH / SELECT: checked, not measured
  };

  void OnConnected(const asio::error_code& ec);
  void QueueSetup();
  void Pump(Clock::time_point now);
  void Flush();
  void Read();
  void OnRead(const asio::error_code& ec, size_t bytes);
  bool TakeReplies(Clock::time_point now);
  void ArmTimer();
  void Fail(const std::string& why);

  const RunSpec& spec_;
  RunControl& control_;
  ThreadStats& stats_;
  Workload workload_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::deque<Pending> in_flight_;
  std::string out_;
  std::string writing_;
  bool write_active_ = false;
  std::vector<char> in_;
  size_t in_begin_ = 0, in_end_ = 0;
  const size_t depth_;
  const bool open_loop_;
  Clock::duration interval_{};
  Clock::time_point next_due_{};
  bool timer_armed_ = false;
  bool exhausted_ = false;
  bool closed_ = false;
};

}  // namespace tierkv::bench
