#include "server/blocking.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "engine/number.h"
#include "server/command_context.h"
#include "server/connection.h"
#include "server/server.h"

namespace tierkv {

BlockingRegistry::~BlockingRegistry() = default;

std::string BlockingRegistry::Slot(int db, std::string_view key) {
  std::string slot = std::to_string(db);
  slot.push_back(':');
  slot.append(key);
  return slot;
}

void BlockingRegistry::Block(Client& client, BlockRequest request) {
  if (client.id == retrying_) {
    still_blocked_ = true;
    client.blocked = true;
    return;
  }
  Waiter waiter{client.id, std::move(request), nullptr};
  for (const std::string& key : waiter.request.keys) {
    std::deque<uint64_t>& queue = waiters_[Slot(waiter.request.db, key)];
    // A key named twice (BLPOP k k 0) queues the client once.
    if (std::find(queue.begin(), queue.end(), client.id) == queue.end()) queue.push_back(client.id);
  }
  if (waiter.request.timeout_ms > 0) {
    waiter.timer = std::make_unique<asio::steady_timer>(server_.io());
    waiter.timer->expires_after(std::chrono::milliseconds(waiter.request.timeout_ms));
    const uint64_t id = client.id;
    waiter.timer->async_wait([this, id](const asio::error_code& error) {
      if (!error) OnTimeout(id);
    });
  }
  blocked_.emplace(client.id, std::move(waiter));
  client.blocked = true;
  server_.SuspendClient(client);
}

void BlockingRegistry::Forget(uint64_t client_id) {
  auto it = blocked_.find(client_id);
  if (it == blocked_.end()) return;
  for (const std::string& key : it->second.request.keys) {
    auto queue = waiters_.find(Slot(it->second.request.db, key));
    if (queue == waiters_.end()) continue;
    std::erase(queue->second, client_id);
    if (queue->second.empty()) waiters_.erase(queue);
  }
  if (it->second.timer) it->second.timer->cancel();
  blocked_.erase(it);
  if (Connection* connection = server_.FindConnection(client_id)) connection->client().blocked = false;
}

void BlockingRegistry::Release(uint64_t client_id) {
  Forget(client_id);
  // Resumed from the loop, not from inside the command that served it: the served
  // client's pipelined commands must not run in the middle of another client's command.
  asio::post(server_.io(), [this, client_id] { server_.ResumeClient(client_id); });
}

template <typename WriteReply>
void BlockingRegistry::Finish(uint64_t client_id, WriteReply&& write_reply) {
  if (Connection* connection = server_.FindConnection(client_id)) {
    Client& client = connection->client();
    const uint64_t errors_before = client.reply.errors_written();
    write_reply(client.reply);
    if (client.last_command != nullptr) {
      const auto blocked = blocked_.find(client_id);
      std::vector<std::string_view> args;
      if (blocked != blocked_.end()) args.assign(blocked->second.request.command.begin(), blocked->second.request.command.end());
      server_.CountCall(*client.last_command, client, args, errors_before, 0);
    }
  }
  Release(client_id);
}

void BlockingRegistry::OnTimeout(uint64_t client_id) {
  if (blocked_.count(client_id) == 0) return;
  Finish(client_id, [](ReplyWriter& reply) { reply.NullArray(); });
}

bool BlockingRegistry::Unblock(uint64_t client_id, bool with_error) {
  if (blocked_.count(client_id) == 0) return false;
  Finish(client_id, [with_error](ReplyWriter& reply) {
    with_error ? reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK") : reply.NullArray();
  });
  return true;
}

void BlockingRegistry::MarkReady(const std::string& slot) {
  if (std::find(ready_.begin(), ready_.end(), slot) == ready_.end()) ready_.push_back(slot);
}

void BlockingRegistry::OnKeyModified(int db, std::string_view key) {
  if (waiters_.empty()) return;
  const std::string slot = Slot(db, key);
  if (waiters_.count(slot) != 0) MarkReady(slot);
}

void BlockingRegistry::MarkDbReady(int db) {
  for (const auto& [slot, queue] : waiters_) {
    const int slot_db = std::stoi(slot.substr(0, slot.find(':')));
    if (db == -1 || slot_db == db) MarkReady(slot);
  }
}

void BlockingRegistry::OnDbChanged(int db) { MarkDbReady(db); }

void BlockingRegistry::OnDbsSwapped(int a, int b) {
  MarkDbReady(a);
  MarkDbReady(b);
}

bool BlockingRegistry::MayServe(const Waiter& waiter, int db, std::string_view key) {
  if (waiter.request.wake_when_gone) return true;
  const Entry* entry = server_.shard().db(db).Peek(key);
  return entry != nullptr && !server_.shard().db(db).IsExpired(entry) && entry->type == waiter.request.type;
}

void BlockingRegistry::Retry(uint64_t client_id) {
  Connection* connection = server_.FindConnection(client_id);
  if (connection == nullptr) return Forget(client_id);
  Client& client = connection->client();
  // The command runs as the client's own: its db, its protocol, its reply buffer.
  const std::vector<std::string> command = blocked_.at(client_id).request.command;
  std::vector<std::string_view> args(command.begin(), command.end());
  const int saved_db = client.db;
  client.db = blocked_.at(client_id).request.db;
  // Its other keys (BLMOVE's destination, say) may be cold: read now, never run on a key
  // whose value could not be read.
  if (std::string error = server_.cold_reads().LoadNow(client, args); !error.empty()) {
    client.db = saved_db;
    return Finish(client_id, [&error](ReplyWriter& reply) { reply.Error(error); });
  }
  client.suspended = false;
  client.blocked = false;  // set again by Block() if the re-run still finds nothing
  retrying_ = client_id;
  still_blocked_ = false;
  server_.Execute(client, args);
  retrying_ = 0;
  client.db = saved_db;
  if (still_blocked_) {
    client.suspended = true;
    return;
  }
  Release(client_id);
}

void BlockingRegistry::ServeReady() {
  if (serving_) return;  // a re-run's own writes: the loop below picks their keys up
  serving_ = true;
  while (!ready_.empty()) {
    std::vector<std::string> ready;
    ready.swap(ready_);
    for (const std::string& slot : ready) {
      auto queue = waiters_.find(slot);
      if (queue == waiters_.end()) continue;
      const size_t colon = slot.find(':');
      const int db = std::stoi(slot.substr(0, colon));
      const std::string key = slot.substr(colon + 1);
      // Each client blocked on the key, in order, that the key can serve now (a served
      // pop may empty it). A snapshot: serving changes the queue.
      const std::deque<uint64_t> order = queue->second;
      for (uint64_t id : order) {
        auto waiter = blocked_.find(id);
        if (waiter != blocked_.end() && MayServe(waiter->second, db, key)) Retry(id);
      }
    }
  }
  serving_ = false;
}

void BlockOrAnswerNothing(CommandContext& ctx, std::vector<std::string> keys, ValueType type, int64_t timeout_ms,
                          BlockingNothing nothing, std::vector<std::string> command, bool wake_when_gone) {
  if (ctx.server.running_transaction()) {
    return nothing == BlockingNothing::kNull ? ctx.reply().Null() : ctx.reply().NullArray();
  }
  BlockRequest request;
  request.db = ctx.client.db;
  request.keys = std::move(keys);
  request.type = type;
  if (command.empty()) command.assign(ctx.args.begin(), ctx.args.end());
  request.command = std::move(command);
  request.timeout_ms = timeout_ms;
  request.wake_when_gone = wake_when_gone;
  ctx.server.blocking().Block(ctx.client, std::move(request));
}

Result<int64_t> ParseBlockTimeout(std::string_view text, bool milliseconds) {
  int64_t timeout_ms = 0;
  if (milliseconds) {
    int64_t value;
    if (!ParseInt64(text, &value)) return Status::Error("ERR timeout is not an integer or out of range");
    timeout_ms = value;
  } else {
    // Seconds as a long double, as Redis reads them; no spaces, no NaN.
    const std::string copy(text);
    char* end = nullptr;
    errno = 0;
    const long double seconds = copy.empty() || std::isspace(static_cast<unsigned char>(copy[0]))
                                    ? NAN
                                    : std::strtold(copy.c_str(), &end);
    if (std::isnan(seconds) || end != copy.c_str() + copy.size() || errno == ERANGE) {
      return Status::Error("ERR timeout is not a float or out of range");
    }
    const long double ms = seconds * 1000.0L;
    // Redis 7.2 refuses what does not fit in a long long (7.0 cast it, which made a
    // huge timeout negative); a huge negative one is simply negative.
    if (ms > static_cast<long double>(LLONG_MAX)) return Status::Error("ERR timeout is out of range");
    timeout_ms = ms < static_cast<long double>(LLONG_MIN) ? -1 : static_cast<int64_t>(std::ceil(ms));
  }
  if (timeout_ms < 0) return Status::Error("ERR timeout is negative");
  if (timeout_ms > INT64_MAX - Shard::WallClockMs()) return Status::Error("ERR timeout is out of range");
  return timeout_ms;
}

}  // namespace tierkv
