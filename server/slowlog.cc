#include "server/slowlog.h"

#include <algorithm>
#include <chrono>

#include "server/command_table.h"  // EqualsIgnoreCase

namespace tierkv {
namespace {

// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
constexpr size_t kMaxArguments = 32;
constexpr size_t kMaxArgumentBytes = 128;

}  // namespace

std::vector<bool> SecretArguments(std::span<const std::string_view> args) {
  std::vector<bool> secret(args.size(), false);
  if (args.empty()) return secret;
  if (EqualsIgnoreCase(args[0], "auth")) {
    std::fill(secret.begin() + 1, secret.end(), true);
  } else if (EqualsIgnoreCase(args[0], "hello")) {
    for (size_t i = 2; i + 2 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "auth")) secret[i + 1] = secret[i + 2] = true;
    }
  } else if (args.size() >= 2 && EqualsIgnoreCase(args[0], "acl") && EqualsIgnoreCase(args[1], "setuser")) {
    std::fill(secret.begin() + 2, secret.end(), true);  // the user and its rules (passwords among them)
  } else if (args.size() >= 2 && EqualsIgnoreCase(args[0], "config") && EqualsIgnoreCase(args[1], "set")) {
    for (size_t i = 2; i + 1 < args.size(); i += 2) {
      if (EqualsIgnoreCase(args[i], "requirepass") || EqualsIgnoreCase(args[i], "masterauth") || EqualsIgnoreCase(args[i], "masteruser")) secret[i + 1] = true;
    }
  }
  return secret;
}

void SlowLog::Record(std::span<const std::string_view> args, uint64_t usec, std::string_view client_address,
                     std::string_view client_name, int64_t threshold_usec, uint64_t max_len) {
  if (threshold_usec < 0 || usec < static_cast<uint64_t>(threshold_usec)) return;
  SlowLogEntry entry;
  entry.id = next_id_++;
  entry.unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  entry.usec = usec;
  entry.client_address = client_address;
  entry.client_name = client_name;
  const std::vector<bool> secret = SecretArguments(args);
  const size_t kept = std::min(args.size(), kMaxArguments);
  for (size_t i = 0; i < kept; ++i) {
    if (kept != args.size() && i == kept - 1) {
      entry.args.push_back("... (" + std::to_string(args.size() - kept + 1) + " more arguments)");
    } else if (secret[i]) {
      entry.args.emplace_back("(redacted)");
    } else if (args[i].size() > kMaxArgumentBytes) {
      entry.args.push_back(std::string(args[i].substr(0, kMaxArgumentBytes)) + "... (" +
                           std::to_string(args[i].size() - kMaxArgumentBytes) + " more bytes)");
    } else {
      entry.args.emplace_back(args[i]);
    }
  }
  entries_.push_front(std::move(entry));
  Trim(max_len);
}

void SlowLog::Trim(uint64_t max_len) {
  while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace tierkv
