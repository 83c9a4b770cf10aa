// DurableReplies: the replies held for durability under appendfsync always, where no
// client observes a write before an fsync covers its LSN. It is the one place that
// knows which client's replies wait for which journal LSN and which connections
// stopped sending because of it.
//
// A client waits for the record of its own write (WaitFor, after the command's record
// is committed) and for the newest write among what it read (WaitForReads): the LSN of
// each key it read, the db's last removal for a key it found missing, and every write
// committed so far for a command that may have read keys it does not name (KEYS, SCAN,
// DBSIZE, SORT's BY/GET patterns), as every reply does in Redis, which writes replies
// after the fsync of its event-loop turn. A connection whose replies are held parks
// (Park); each durable LSN the journal reports releases the parks it covers (Release).
//
// It also knows who is about to write again: the clients the last Release() let go, until
// each runs its next command (Returned). While any is missing the journal writer may hold
// its next batch for them (JournalWriterOptions::gather_released), so that one sync covers
// all the clients instead of alternating halves.
//
// Whether replies are held at all (a journal with appendfsync always) is the server's
// decision: it calls WaitFor / WaitForReads only then. The durable LSN is always passed
// in, so nothing here can disagree with the journal's own.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/command.h"

namespace tierkv {

class Db;

class DurableReplies {
 public:
  // `client_id`'s replies from here on wait until the journal is durable up to `lsn`.
  void WaitFor(uint64_t client_id, uint64_t lsn);
  // After `spec` ran with `args` on `db`: the client's replies also wait for the writes
  // it read that are not durable yet. `newest_lsn` is the last LSN committed.
  void WaitForReads(uint64_t client_id, const CommandSpec& spec, std::span<const std::string_view> args,
                    const Db& db, uint64_t newest_lsn, uint64_t durable_lsn);
  // The LSN `client_id`'s replies wait for; 0 when none.
  uint64_t WaitingFor(uint64_t client_id) const;
  bool Held(uint64_t client_id, uint64_t durable_lsn) const { return WaitingFor(client_id) > durable_lsn; }

  // `client_id`'s connection stopped sending until its wait is over.
  void Park(uint64_t client_id);
  // The journal is durable up to `durable_lsn`: forgets every wait it covers and returns
  // the parked clients whose replies may go now, in the order they parked.
  std::vector<uint64_t> Release(uint64_t durable_lsn);
  // A client that disconnected.
  void Forget(uint64_t client_id);

  // Some client the last Release() let go has not run a command since.
  bool AwaitingReleased() const { return !returning_.empty(); }
  // `client_id` ran a command. True when it was the last of the released clients to do so.
  bool Returned(uint64_t client_id);

 private:
  std::unordered_map<uint64_t, uint64_t> waits_;  // client id -> LSN its replies wait for
  std::vector<uint64_t> parked_;                  // in parking order, each id once
  std::unordered_set<uint64_t> returning_;        // released by the last Release(), not back yet
};

// The newest LSN a command's reply depends on after it ran: the greatest LSN among the
// keys it names (the db's last removal for a missing one, which may be missing because of
// a removal in flight), or `newest_lsn` when it reads keys it does not name. A write that
// changed nothing (SET NX on a present key) read its keys as a read does.
uint64_t LsnOfWhatWasRead(const CommandSpec& spec, std::span<const std::string_view> args, const Db& db,
                          uint64_t newest_lsn);

}  // namespace tierkv
