#include "tools/bench/admin_client.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "tools/bench/resp.h"

namespace tierkv::bench {
namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

// The strings of one reply (see AdminClient::Call); false when it is not made of them.
bool Strings(std::string_view reply, std::vector<std::string>* out) {
  const char type = reply.empty() ? 0 : reply[0];
  const size_t line_end = reply.find("\r\n");
  const std::string_view line = reply.substr(1, line_end - 1);
  switch (type) {
    case '+': case ':': out->emplace_back(line); return true;
    case '$': {
      int64_t length = 0;
      std::from_chars(line.data(), line.data() + line.size(), length);
      if (length >= 0) out->emplace_back(reply.substr(line_end + 2, static_cast<size_t>(length)));
      return true;
    }
    case '*': case '%': case '~': {
      size_t pos = line_end + 2;
      while (pos < reply.size()) {
        const ReplyInfo element = ScanReply(reply.substr(pos));
        if (element.kind != ReplyInfo::Kind::kOk) return false;
        if (!Strings(reply.substr(pos, element.length), out)) return false;
        pos += element.length;
      }
      return true;
    }
    default: return false;
  }
}

}  // namespace

AdminClient::AdminClient(std::unique_ptr<asio::io_context> io)
    : io_(std::move(io)), socket_(std::make_unique<asio::ip::tcp::socket>(*io_)) {}

std::optional<AdminClient> AdminClient::Connect(const Target& target, const ConnectSpec& connect, std::string* error) {
  AdminClient client(std::make_unique<asio::io_context>());
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(*client.io_);
  auto endpoints = resolver.resolve(target.host, std::to_string(target.port), ec);
  if (!ec) asio::connect(*client.socket_, endpoints, ec);
  if (ec) {
    *error = "connect to " + target.host + ":" + std::to_string(target.port) + ": " + ec.message();
    return std::nullopt;
  }
  if (!connect.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!connect.user.empty()) auth.push_back(connect.user);
    auth.push_back(connect.password);
    if (!client.Call(auth, error)) return std::nullopt;
  }
  if (connect.db != 0 && !client.Call({"SELECT", std::to_string(connect.db)}, error)) return std::nullopt;
  return client;
}

std::optional<std::vector<std::string>> AdminClient::Call(const std::vector<std::string>& args, std::string* error) {
  std::string request;
  AppendArrayHeader(request, args.size());
  for (const std::string& a : args) AppendBulk(request, a);
  asio::error_code ec;
  // Bounded: the socket operations run on our io_context with a deadline.
  bool done = false;
  asio::async_write(*socket_, asio::buffer(request), [&](const asio::error_code& e, size_t) {
    ec = e;
    done = true;
  });
  io_->restart();
  io_->run_for(kTimeout);
  if (!done || ec) {
    *error = args[0] + ": write failed";
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (true) {
    const ReplyInfo info = ScanReply(in_);
    if (info.kind == ReplyInfo::Kind::kMalformed) {
      *error = args[0] + ": malformed reply";
      return std::nullopt;
    }
    if (info.kind == ReplyInfo::Kind::kOk) {
      const std::string reply = in_.substr(0, info.length);
      in_.erase(0, info.length);
      if (info.error) {
        *error = args[0] + ": " + reply.substr(1, reply.find('\r') - 1);
        return std::nullopt;
      }
      std::vector<std::string> strings;
      if (!Strings(reply, &strings)) {
        *error = args[0] + ": unexpected reply";
        return std::nullopt;
      }
      return strings;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      *error = args[0] + ": no reply within 30 s";
      return std::nullopt;
    }
    char buf[16384];
    size_t n = 0;
    done = false;
    socket_->async_read_some(asio::buffer(buf), [&](const asio::error_code& e, size_t bytes) {
      ec = e;
      n = bytes;
      done = true;
    });
    io_->restart();
    io_->run_for(deadline - std::chrono::steady_clock::now());
    if (!done) {
      socket_->cancel();
      io_->restart();
      io_->run();
      *error = args[0] + ": no reply within 30 s";
      return std::nullopt;
    }
    if (ec) {
      *error = args[0] + ": " + ec.message();
      return std::nullopt;
    }
    in_.append(buf, n);
  }
}

std::map<std::string, std::string> AdminClient::Info(const std::string& section) {
  std::map<std::string, std::string> fields;
  std::string error;
  auto reply = Call({"INFO", section}, &error);
  if (!reply || reply->empty()) return fields;
  std::istringstream lines((*reply)[0]);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

uint64_t AdminClient::MaxMemory() {
  std::string error;
  auto reply = Call({"CONFIG", "GET", "maxmemory"}, &error);
  uint64_t bytes = 0;
  if (reply && reply->size() == 2) std::from_chars((*reply)[1].data(), (*reply)[1].data() + (*reply)[1].size(), bytes);
  return bytes;
}

ProcessMemory ReadProcessMemory(int pid) {
  ProcessMemory memory;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    uint64_t* field = line.rfind("VmRSS:", 0) == 0     ? &memory.rss
                      : line.rfind("RssAnon:", 0) == 0 ? &memory.anon
                      : line.rfind("RssFile:", 0) == 0 ? &memory.file
                                                       : nullptr;
    if (!field) continue;
    std::istringstream value(line.substr(line.find(':') + 1));
    uint64_t kib = 0;
    value >> kib;
    *field = kib * 1024;
  }
  return memory;
}

}  // namespace tierkv::bench
