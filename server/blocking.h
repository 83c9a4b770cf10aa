// BlockingRegistry: the clients blocked by BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX, BZMPOP, XREAD BLOCK and XREADGROUP BLOCK, and the keys they wait on.
//
// A blocking command that finds nothing to serve calls Block() with the command line to
// run again (with anything relative to "now" already resolved: XREAD's `$` becomes the
// stream's last ID) and the value type it waits for; the client is suspended, so it
// reads no further commands. The registry is a Shard observer: a write to a key someone
// waits on queues the key as ready. After the command that made it ready finishes (after
// a whole EXEC, never in the middle of one), ServeReady() re-runs, key by key and in the
// order the clients blocked on that key (fair, first come first served), the command of
// each client blocked on it while the key holds the awaited type. A re-run that still
// finds nothing keeps the client blocked in its place. A served client is resumed: its
// reply goes out and its pipelined commands run.
//
// XREADGROUP also waits on its group, which lives only as long as its key: it asks to be
// re-run on any change of the key, deletion, type change, flush and SWAPDB included, so
// that its own checks answer -NOGROUP or -WRONGTYPE (Redis 7.2's unblock_on_nokey)
// instead of waiting for a group that can no longer appear.
//
// A blocked command counts once in INFO commandstats: when it is served, times out or
// is unblocked, never for the run that blocked it nor for a re-run that blocks again.
//
// Re-running the command keeps one definition of what each blocking command does (its
// handler) and journals the served pop as any other write.
//
// Thread-safety: engine thread only.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/shard.h"
#include "server/client.h"

namespace tierkv {

class Server;

struct BlockRequest {
  int db = 0;
  std::vector<std::string> keys;  // keys to wait on
  ValueType type = ValueType::kList;
  std::vector<std::string> command;  // the command line re-run when a key is ready
  int64_t timeout_ms = 0;            // relative; 0 = forever: a timeout answers a null array
  bool wake_when_gone = false;       // re-run on any change of a key, even to none or another type
};

class BlockingRegistry : public KeyspaceObserver {
 public:
  explicit BlockingRegistry(Server& server) : server_(server) {}
  ~BlockingRegistry() override;

  // Blocks `client` until a key is ready or the timeout passes. Called by a command
  // handler; while that client's own re-run is in progress, it only notes that the
  // client stays blocked (keeping its place and deadline).
  void Block(Client& client, BlockRequest request);
  bool IsBlocked(uint64_t client_id) const { return blocked_.count(client_id) != 0; }
  // Forgets a client (disconnected); no reply.
  void Forget(uint64_t client_id);
  // CLIENT UNBLOCK: ends the wait with the timeout reply (a null array), or with an UNBLOCKED error
  // when `with_error`. False when the client is not blocked.
  bool Unblock(uint64_t client_id, bool with_error);

  bool has_ready_keys() const { return !ready_.empty(); }
  // True while a blocked command runs again because its keys are ready.
  bool retrying() const { return retrying_ != 0; }
  // Serves clients blocked on the keys that became ready, until no key is ready.
  void ServeReady();

  size_t blocked_clients() const { return blocked_.size(); }
  size_t blocking_keys() const { return waiters_.size(); }

  // KeyspaceObserver
  void OnKeyModified(int db, std::string_view key) override;
  // A flush empties keys: only waiters re-run when their key goes (XREADGROUP) care.
  void OnDbChanged(int db) override;
  void OnDbsSwapped(int a, int b) override;

 private:
  struct Waiter {
    uint64_t client_id;
    BlockRequest request;
    std::unique_ptr<asio::steady_timer> timer;
  };
  static std::string Slot(int db, std::string_view key);
  void MarkReady(const std::string& slot);
  // Marks every waited-on key of `db` (-1: of every db) ready.
  void MarkDbReady(int db);
  // Whether re-running `waiter` now can do anything but block again.
  bool MayServe(const Waiter& waiter, int db, std::string_view key);
  // Ends a wait with `write_reply`'s answer, counted in the command's statistics.
  template <typename WriteReply>
  void Finish(uint64_t client_id, WriteReply&& write_reply);
  // Ends a wait: the client leaves every key's queue and is resumed (after the caller's
  // reply, if any, has been written to its output).
  void Release(uint64_t client_id);
  void OnTimeout(uint64_t client_id);
  // Re-runs the client's command; released if it was served, still blocked otherwise.
  void Retry(uint64_t client_id);

  Server& server_;
  std::unordered_map<uint64_t, Waiter> blocked_;                       // by client id
  std::unordered_map<std::string, std::deque<uint64_t>> waiters_;     // "db:key" -> clients, in order
  std::vector<std::string> ready_;                                     // slots, in order made ready
  uint64_t retrying_ = 0;       // the client whose command is being re-run
  bool still_blocked_ = false;  // its re-run called Block() again
  bool serving_ = false;
};

struct CommandContext;

// What a blocking command answers when it may not block (inside MULTI/EXEC): BLMOVE and
// BRPOPLPUSH a null bulk, the others a null array. (A timeout answers a null array for
// all, as Redis does.)
enum class BlockingNothing : uint8_t { kNullArray, kNull };

// The end of every blocking command that found nothing to serve: blocks the client on
// `keys` (re-running `command`, or the command as sent when empty), or answers `nothing`
// inside a transaction.
void BlockOrAnswerNothing(CommandContext& ctx, std::vector<std::string> keys, ValueType type, int64_t timeout_ms,
                          BlockingNothing nothing, std::vector<std::string> command = {},
                          bool wake_when_gone = false);

// Parses a blocking timeout in seconds (BLPOP ... 1.5; 0 = forever) into milliseconds,
// with Redis 7.2's errors ("ERR timeout is not a float or out of range", "ERR timeout is
// negative", "ERR timeout is out of range"). `milliseconds` for XREAD's BLOCK, which is
// an integer count of ms.
Result<int64_t> ParseBlockTimeout(std::string_view text, bool milliseconds = false);

}  // namespace tierkv
