#include "tools/bench/run.h"

#include <charconv>
#include <memory>
#include <thread>

#include "tools/bench/connection.h"

namespace tierkv::bench {
namespace {

bool ParseInt(std::string_view text, int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// After the last request was due, how long replies may still arrive (a blocked BRPOP
// waits out its timeout) before the remaining connections are closed.
Clock::duration Grace(const RunSpec& spec) {
  return std::chrono::seconds(5 + spec.workload.brpop_timeout_s);
}

void RunThread(const RunSpec& spec, const asio::ip::tcp::endpoint& endpoint, RunControl& control,
               ThreadStats& stats, KeyPicker& keys, int thread_index) {
  asio::io_context io(1);
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = thread_index; i < spec.connections; i += spec.threads) {
    connections.push_back(std::make_unique<Connection>(io, spec, control, stats, keys, i));
  }
  for (auto& connection : connections) connection->Start(endpoint);
  // The watchdog: every 100 ms, closes every connection once the run is past its hard
  // limit, or past the grace period after its deadline or after a failure.
  asio::steady_timer watchdog(io);
  Clock::time_point failed_at{};
  std::function<void()> arm = [&] {
    watchdog.expires_after(std::chrono::milliseconds(100));
    watchdog.async_wait([&](const asio::error_code&) {
      const Clock::time_point now = Clock::now();
      if (control.failed() && failed_at == Clock::time_point{}) failed_at = now;
      const bool over = now >= control.hard_deadline() || now >= control.deadline() + Grace(spec) ||
                        (failed_at != Clock::time_point{} && now >= failed_at + std::chrono::seconds(2));
      bool open = false;
      for (auto& connection : connections) {
        if (over) connection->Close();
        open = open || !connection->closed();
      }
      if (open) arm();
    });
  };
  arm();
  io.run();
}

}  // namespace

std::optional<Target> ParseTarget(std::string_view text, std::string* error) {
  Target target;
  std::string_view rest = text;
  if (size_t eq = rest.find('='); eq != std::string_view::npos) {
    target.name = std::string(rest.substr(0, eq));
    rest = rest.substr(eq + 1);
  }
  if (size_t comma = rest.find(','); comma != std::string_view::npos) {
    std::string_view option = rest.substr(comma + 1);
    rest = rest.substr(0, comma);
    int pid = 0;
    if (option.substr(0, 4) != "pid=" || !ParseInt(option.substr(4), &pid) || pid <= 0) {
      *error = "bad target option '" + std::string(option) + "' (pid=PID)";
      return std::nullopt;
    }
    target.pid = pid;
  }
  std::string_view port_text = rest;
  if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    target.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  int port = 0;
  if (!ParseInt(port_text, &port) || port <= 0 || port > 65535 || target.host.empty()) {
    *error = "bad target '" + std::string(text) + "' (NAME=HOST:PORT[,pid=PID], HOST:PORT or PORT)";
    return std::nullopt;
  }
  target.port = static_cast<uint16_t>(port);
  if (target.name.empty()) target.name = target.host + ":" + std::to_string(target.port);
  return target;
}

RunResult Run(const RunSpec& spec_in) {
  RunSpec spec = spec_in;
  spec.threads = std::max(1, std::min(spec.threads, spec.connections));
  RunResult result;
  asio::error_code ec;
  asio::io_context resolver_io;
  asio::ip::tcp::resolver resolver(resolver_io);
  auto endpoints = resolver.resolve(spec.target.host, std::to_string(spec.target.port), ec);
  if (ec || endpoints.empty()) {
    result.error = "cannot resolve " + spec.target.host + ": " + ec.message();
    return result;
  }
  const asio::ip::tcp::endpoint endpoint = *endpoints.begin();

  const Clock::time_point start = Clock::now();
  const auto to_duration = [](double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  };
  const Clock::time_point hard = start + to_duration(spec.max_seconds);
  const Clock::time_point deadline = spec.duration_s > 0 ? std::min(hard, start + to_duration(spec.duration_s)) : hard;
  RunControl control(start, deadline, hard + Grace(spec), spec.requests);
  KeyPicker keys(spec.workload.keys, spec.workload.range);

  std::vector<std::unique_ptr<ThreadStats>> stats;
  std::vector<std::thread> threads;
  std::atomic<int> running{spec.threads};
  for (int t = 0; t < spec.threads; ++t) {
    stats.push_back(std::make_unique<ThreadStats>(start));
    threads.emplace_back([&, t] {
      RunThread(spec, endpoint, control, *stats[t], keys, t);
      running.fetch_sub(1);
    });
  }
  // Progress once a second until every thread is done (each is bounded by the hard limit).
  uint64_t last_ops = 0;
  Clock::time_point next_tick = start + std::chrono::seconds(1);
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const Clock::time_point now = Clock::now();
    if (now < next_tick) continue;
    Progress progress;
    progress.elapsed_s = std::chrono::duration<double>(now - start).count();
    for (auto& s : stats) {
      progress.ops += s->completed.load(std::memory_order_relaxed);
      progress.last_p99_ns = std::max(progress.last_p99_ns, s->last_p99_ns.load(std::memory_order_relaxed));
    }
    progress.ops_per_sec = static_cast<double>(progress.ops - last_ops);
    last_ops = progress.ops;
    next_tick += std::chrono::seconds(1);
    if (spec.on_progress) spec.on_progress(progress);
  }
  for (auto& thread : threads) thread.join();
  // The run lasted until its last reply (not until the threads noticed they were done).
  Clock::time_point end = start;
  for (auto& s : stats) end = std::max(end, s->last_reply);
  result.elapsed_s = std::chrono::duration<double>(end - start).count();
  result.error = control.error();

  for (auto& s : stats) {
    if (result.first_error.empty()) result.first_error = s->first_error;
    for (size_t c = 0; c < kCommandCount; ++c) {
      CommandStats& into = result.commands[c];
      const CommandStats& from = s->commands[c];
      into.latency.Merge(from.latency);
      into.errors += from.errors;
      into.hits += from.hits;
      into.misses += from.misses;
    }
    if (result.seconds.size() < s->seconds.size()) result.seconds.resize(s->seconds.size());
    for (size_t i = 0; i < s->seconds.size(); ++i) {
      Second& into = result.seconds[i];
      const Second& from = s->seconds[i];
      into.ops += from.ops;
      into.errors += from.errors;
      into.hits += from.hits;
      into.misses += from.misses;
      into.latency.Merge(from.latency);
      into.latency.Compact();
    }
  }
  for (const CommandStats& c : result.commands) {
    result.latency.Merge(c.latency);
    result.ops += c.latency.count();
    result.errors += c.errors;
    result.hits += c.hits;
    result.misses += c.misses;
  }
  return result;
}

}  // namespace tierkv::bench
