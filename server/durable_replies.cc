#include "server/durable_replies.h"

#include <algorithm>

#include "engine/db.h"
#include "server/key_specs.h"

namespace tierkv {

void DurableReplies::WaitFor(uint64_t client_id, uint64_t lsn) {
  uint64_t& wait = waits_[client_id];
  wait = std::max(wait, lsn);
}

void DurableReplies::WaitForReads(uint64_t client_id, const CommandSpec& spec, std::span<const std::string_view> args,
                                  const Db& db, uint64_t newest_lsn, uint64_t durable_lsn) {
  if (newest_lsn <= durable_lsn || WaitingFor(client_id) >= newest_lsn) return;  // nothing more to wait for
  // Commands that neither read nor write the keyspace (PING, INFO, CONFIG, CLIENT...) go
  // on: an operator must be able to look at a server whose journal cannot sync. EXEC
  // reads nothing itself: each command it runs is judged on its own.
  if (!(spec.flags & (kCmdReadOnly | kCmdWrite))) return;
  const uint64_t read_lsn = LsnOfWhatWasRead(spec, args, db, newest_lsn);
  if (read_lsn > durable_lsn) WaitFor(client_id, read_lsn);
}

uint64_t DurableReplies::WaitingFor(uint64_t client_id) const {
  auto found = waits_.find(client_id);
  return found == waits_.end() ? 0 : found->second;
}

void DurableReplies::Park(uint64_t client_id) {
  if (std::find(parked_.begin(), parked_.end(), client_id) == parked_.end()) parked_.push_back(client_id);
}

std::vector<uint64_t> DurableReplies::Release(uint64_t durable_lsn) {
  std::erase_if(waits_, [durable_lsn](const auto& wait) { return wait.second <= durable_lsn; });
  std::vector<uint64_t> released;
  std::erase_if(parked_, [&](uint64_t client_id) {
    if (Held(client_id, durable_lsn)) return false;
    released.push_back(client_id);
    return true;
  });
  // Only the last release's clients are awaited: one that went quiet delays one batch.
  returning_.clear();
  returning_.insert(released.begin(), released.end());
  return released;
}

void DurableReplies::Forget(uint64_t client_id) {
  waits_.erase(client_id);
  std::erase(parked_, client_id);
  returning_.erase(client_id);
}

bool DurableReplies::Returned(uint64_t client_id) {
  return returning_.erase(client_id) != 0 && returning_.empty();
}

uint64_t LsnOfWhatWasRead(const CommandSpec& spec, std::span<const std::string_view> args, const Db& db,
                          uint64_t newest_lsn) {
  // A command without key positions (KEYS, SCAN, DBSIZE) or reading keys it does not name
  // may have seen anything.
  const bool names_its_keys = spec.first_key > 0 || spec.key_finder != nullptr;
  if (!names_its_keys || ReadsUnnamedKeys(spec)) return newest_lsn;
  uint64_t lsn = 0;
  for (int position : spec.KeyPositions(args)) {
    const Entry* entry = db.Peek(args[position]);
    lsn = std::max(lsn, entry != nullptr ? entry->lsn : db.last_removal_lsn());
  }
  return lsn;
}

}  // namespace tierkv
