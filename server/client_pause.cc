// CLIENT PAUSE and UNPAUSE: the server side (Server::PauseClients ...). Which commands
// wait is Server::HeldByPause (dispatch.cc); a waiting command stays in its client's
// query buffer (Connection::ProcessInput) and runs when the pause ends.
#include <algorithm>

#include "server/connection.h"
#include "server/server.h"

namespace tierkv {

void Server::PauseClients(int64_t end_ms, PauseMode mode) {
  pause_mode_ = std::max(pause_mode_, mode);
  pause_end_ms_ = std::max(pause_end_ms_, end_ms);
  shard_.set_expired_deletion_paused(true);
  SchedulePauseEnd();
}

void Server::SchedulePauseEnd() {
  const int64_t wait_ms = std::max<int64_t>(pause_end_ms_ - Shard::WallClockMs(), 0);
  pause_timer_.expires_after(std::chrono::milliseconds(wait_ms));
  pause_timer_.async_wait([this](const asio::error_code& error) {
    if (error || stopping_ || pause_mode_ == PauseMode::kNone) return;
    if (Shard::WallClockMs() < pause_end_ms_) return SchedulePauseEnd();
    UnpauseClients();
  });
}

void Server::UnpauseClients() {
  pause_mode_ = PauseMode::kNone;
  pause_end_ms_ = 0;
  shard_.set_expired_deletion_paused(false);
  pause_timer_.cancel();
  // Later, not inside the command that ended the pause: each client's waiting command
  // then runs as a top-level command of its own.
  asio::post(io_, [this, waiting = std::exchange(postponed_, {})] {
    for (uint64_t client_id : waiting) {
      Connection* connection = FindConnection(client_id);
      if (connection == nullptr || !connection->client().postponed) continue;
      connection->client().postponed = false;
      connection->Resume();
    }
  });
}

}  // namespace tierkv
