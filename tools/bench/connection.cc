#include "tools/bench/connection.h"

#include <algorithm>

namespace tierkv::bench {

bool RunControl::TryIssue(Clock::time_point due) {
  if (failed() || due >= deadline_) return false;
  if (request_limit_ == 0) return true;
  return issued_.fetch_add(1, std::memory_order_relaxed) < request_limit_;
}

void RunControl::Fail(const std::string& why) {
  std::lock_guard lock(mutex_);
  if (!failed_.exchange(true)) error_ = why;
}

std::string RunControl::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void ThreadStats::Record(Command command, const ReplyInfo& reply, std::string_view text, uint64_t latency_ns,
                         Clock::time_point now) {
  CommandStats& stats = commands[static_cast<size_t>(command)];
  stats.latency.Record(latency_ns);
  const auto elapsed = now > start_ ? now - start_ : Clock::duration::zero();
  const size_t second = static_cast<size_t>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count());
  if (second >= seconds.size()) {
    // A second is over: publish its p99 for the live progress line, and keep only its
    // non-empty buckets (replies that arrive late for it expand it again).
    if (!seconds.empty()) {
      last_p99_ns.store(seconds.back().latency.Percentile(99), std::memory_order_relaxed);
      seconds.back().latency.Compact();
    }
    seconds.resize(second + 1);
  }
  Second& now_second = seconds[second];
  ++now_second.ops;
  now_second.latency.Record(latency_ns);
  if (reply.error) {
    ++stats.errors;
    ++now_second.errors;
    if (first_error.empty()) first_error = std::string(text.substr(0, text.find('\r')));
  } else if (CountsHits(command)) {
    ++(reply.empty ? stats.misses : stats.hits);
    ++(reply.empty ? now_second.misses : now_second.hits);
  }
  last_reply = now;
  completed.fetch_add(1, std::memory_order_relaxed);
}

Connection::Connection(asio::io_context& io, const RunSpec& spec, RunControl& control, ThreadStats& stats,
                       KeyPicker& keys, int index)
    : spec_(spec),
      control_(control),
      stats_(stats),
      workload_(spec.workload, keys, spec.seed * 1'000'003 + static_cast<uint64_t>(index)),
      socket_(io),
      timer_(io),
      in_(64 * 1024),
      depth_(static_cast<size_t>(std::max(1, spec.pipeline))),
      open_loop_(spec.rate > 0) {
  if (open_loop_) {
    // Each connection carries an equal share of the rate, its schedule offset by its
    // index so the connections' requests interleave instead of arriving in bursts.
    const double seconds_per_request = spec.connections / spec.rate;
    interval_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds_per_request));
    next_due_ = control.start() + interval_ * index / std::max(1, spec.connections);
  }
}

void Connection::Start(const asio::ip::tcp::endpoint& endpoint) {
  socket_.async_connect(endpoint, [this](const asio::error_code& ec) { OnConnected(ec); });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

void Connection::Fail(const std::string& why) {
  control_.Fail(why);
  Close();
}

void Connection::OnConnected(const asio::error_code& ec) {
  if (closed_) return;
  if (ec) return Fail("connect to " + spec_.target.host + ":" + std::to_string(spec_.target.port) + ": " + ec.message());
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  QueueSetup();
  Read();
  Pump(Clock::now());
}

void Connection::QueueSetup() {
  const ConnectSpec& c = spec_.connect;
  const std::string user = c.user.empty() ? "default" : c.user;
  if (c.resp3) {
    const bool auth = !c.password.empty();
    AppendArrayHeader(out_, auth ? 5 : 2);
    AppendBulk(out_, "HELLO");
    AppendBulk(out_, "3");
    if (auth) {
      AppendBulk(out_, "AUTH");
      AppendBulk(out_, user);
      AppendBulk(out_, c.password);
    }
    in_flight_.push_back({Request{}, Clock::now(), true});
  } else if (!c.password.empty()) {
    AppendArrayHeader(out_, c.user.empty() ? 2 : 3);
    AppendBulk(out_, "AUTH");
    if (!c.user.empty()) AppendBulk(out_, c.user);
    AppendBulk(out_, c.password);
    in_flight_.push_back({Request{}, Clock::now(), true});
  }
  if (c.db != 0) {
    AppendArrayHeader(out_, 2);
    AppendBulk(out_, "SELECT");
    AppendBulkNumber(out_, static_cast<uint64_t>(c.db));
    in_flight_.push_back({Request{}, Clock::now(), true});
  }
}

void Connection::Pump(Clock::time_point now) {
  while (!exhausted_ && in_flight_.size() < depth_) {
    Clock::time_point due = now;
    if (open_loop_) {
      if (next_due_ > now) break;
      due = next_due_;
    }
    if (!control_.TryIssue(due)) {
      exhausted_ = true;
      break;
    }
    Request request = workload_.Next(out_);
    in_flight_.push_back({request, due, false});
    if (open_loop_) next_due_ += interval_;
  }
  Flush();
  if (exhausted_ && in_flight_.empty()) return Close();
  if (open_loop_ && !exhausted_ && in_flight_.size() < depth_) ArmTimer();
}

void Connection::ArmTimer() {
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_at(next_due_);
  timer_.async_wait([this](const asio::error_code&) {
    timer_armed_ = false;
    if (!closed_) Pump(Clock::now());
  });
}

void Connection::Flush() {
  if (write_active_ || out_.empty() || closed_) return;
  write_active_ = true;
  writing_.swap(out_);
  out_.clear();
  asio::async_write(socket_, asio::buffer(writing_), [this](const asio::error_code& ec, size_t) {
    write_active_ = false;
    if (closed_) return;
    if (ec) return Fail("write to target: " + ec.message());
    writing_.clear();
    Flush();
  });
}

void Connection::Read() {
  if (in_end_ == in_.size()) {
    // Full: move what is unparsed to the front, or grow for a reply larger than the buffer.
    if (in_begin_ > 0) {
      std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_), in_.begin() + static_cast<std::ptrdiff_t>(in_end_),
                in_.begin());
      in_end_ -= in_begin_;
      in_begin_ = 0;
    } else {
      in_.resize(in_.size() * 2);
    }
  }
  socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                          [this](const asio::error_code& ec, size_t bytes) { OnRead(ec, bytes); });
}

void Connection::OnRead(const asio::error_code& ec, size_t bytes) {
  if (closed_) return;
  if (ec) {
    if (ec == asio::error::eof) return Fail("target closed the connection");
    return Fail("read from target: " + ec.message());
  }
  in_end_ += bytes;
  const Clock::time_point now = Clock::now();
  if (!TakeReplies(now)) return;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  Pump(now);
  if (!closed_) Read();
}

bool Connection::TakeReplies(Clock::time_point now) {
  while (in_begin_ < in_end_) {
    const ReplyInfo reply = ScanReply(std::string_view(in_.data() + in_begin_, in_end_ - in_begin_));
    if (reply.kind == ReplyInfo::Kind::kIncomplete) return true;
    if (reply.kind == ReplyInfo::Kind::kMalformed) {
      Fail("malformed reply from target");
      return false;
    }
    const std::string_view text(in_.data() + in_begin_, reply.length);
    in_begin_ += reply.length;
    if (reply.type == '>') continue;  // a RESP3 push (we subscribe to nothing): no request's reply
    if (in_flight_.empty()) {
      Fail("reply without a request");
      return false;
    }
    const Pending pending = in_flight_.front();
    in_flight_.pop_front();
    if (pending.setup) {
      if (reply.error) {
        Fail("set-up command refused: " + std::string(text.substr(0, text.find('\r'))));
        return false;
      }
      continue;
    }
    const uint64_t latency = static_cast<uint64_t>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(now - pending.due).count()));
    stats_.Record(pending.request.command, reply, text, latency, now);
    if (!reply.error) {
      if (auto follow = workload_.FollowUp(pending.request, reply.empty, out_)) {
        in_flight_.push_back({*follow, now, false});
      }
    }
  }
  return true;
}

}  // namespace tierkv::bench
