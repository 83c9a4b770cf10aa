// ColdReads: loads the cold values a command needs before it runs (design brief,
// "Tiering"), so that every command still runs to completion on resident values.
//
// Before the connection executes a command, Prepare looks at the keys it names (its key
// specs; for EXEC, those of every queued command) in the client's db. When one is cold
// (engine/cold_values.h), its value is read on the tier's read executor
// (Durability::ReadFromTier, never behind a checkpoint's writes; the command's cold keys
// in one batched request, Tier::MultiGet), the client is suspended, and the command
// stays unconsumed in its input buffer; other clients go on.
// Each completed read is installed on the engine thread (Shard::InstallLoadedValue) and,
// once all of a client's reads are in, the client is resumed and the command runs again
// from the start, which finds its values resident. Requests for a key already being read
// share that read; a client's pipeline keeps its order, since it runs nothing while
// suspended. A failed read answers the command with an error (it did not run) and
// the client goes on.
//
// Commands that need no value (kCmdKeysOnly: DEL, EXISTS, TYPE, TTL, EXPIRE, ...) never
// wait, and neither does anything while no key of the client's db is cold.
//
// A value read back stays in DRAM (Shard::PinResident) until every client that waited for
// it has run its command (AfterCommand): the demotion that follows each command must not
// send it back before the others were served, which would read it again for each of them.
//
// Promotion admission (SecondHitWindow): a value read once is on probation. Once its
// waiters have run, it goes back to the tier unless the budget had room for it
// (Shard::DemoteUnlessRoom). A value read again within the window stays, and demotion
// treats it like any other.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/latency.h"
#include "server/second_hit_window.h"
#include "tiering/tier.h"

namespace tierkv {

struct Client;
struct CommandSpec;
class Server;

class ColdReads {
 public:
  explicit ColdReads(Server& server) : server_(server) {}

  enum class Outcome {
    kReady,    // run the command now
    kWaiting,  // the client is suspended until its values are in: keep the command
    kFailed,   // a read failed: the error reply is written; drop the command
  };
  Outcome Prepare(Client& client, std::span<const std::string_view> args);
  // For a command run where no client can wait (a script's redis.call, a blocked command
  // served when its key is ready): loads the cold values it names now, blocking on the
  // tier, counted as sync loads. Returns the error to answer instead of running the
  // command if one could not be read (the command must not run: a key whose value could
  // not be read would look missing, and a write would replace it); empty if all are in.
  std::string LoadNow(const Client& client, std::span<const std::string_view> args);
  // The client's command ran (or was refused): the values it waited for may leave DRAM
  // again once no other waiter still has to run, those on probation at once.
  void AfterCommand(uint64_t client_id) {
    if (!served_keys_of_client_.empty()) DoneServing(client_id);
  }
  // A client that left: its reads complete for the others.
  void ForgetClient(uint64_t client_id);

  // INFO: reads under way, and the ones that completed with their latency.
  size_t in_flight() const { return reads_.size(); }
  size_t clients_waiting() const { return waiting_.size(); }
  uint64_t completed() const { return completed_; }
  uint64_t failed() const { return failed_; }
  uint64_t total_latency_us() const { return total_latency_us_; }
  // How long completed reads took, for percentiles.
  const LatencyHistogram& latency() const { return latency_; }
  // Key lookups of commands that had to wait for a value from the tier (a client joining a
  // read under way counts too).
  uint64_t cold_lookups() const { return cold_lookups_; }
  // Values read back and kept (read again within the window) / served and sent back.
  uint64_t admitted() const { return admitted_; }
  uint64_t sent_back() const { return sent_back_; }

 private:
  struct Read {
    uint64_t value_lsn = 0;
    int64_t started_us = 0;
    std::vector<uint64_t> waiters;  // client ids, in arrival order
  };
  using KeyOf = std::pair<int, std::string>;

  // The keys the command would look up, with their db: its own, or EXEC's queued
  // commands' (following their SELECTs from `db`).
  void CollectKeys(const Client& client, std::span<const std::string_view> args, int& db,
                   std::vector<KeyOf>& keys) const;
  std::vector<KeyOf> NamedKeys(const Client& client, std::span<const std::string_view> args) const;
  // The entry of `key` if its value is only in the tier (and it has not expired).
  Entry* ColdEntry(const KeyOf& key) const;
  // Reads `reads` (each with the value LSN of the cold entry it is for) in one request.
  void StartReads(std::vector<std::pair<KeyOf, uint64_t>> reads);
  void CompleteRead(const KeyOf& key, uint64_t value_lsn, Tier::GetResult stored);
  void OnRead(const KeyOf& key, bool installed, std::string error);
  void DoneServing(uint64_t client_id);
  void EndServing(const KeyOf& key);

  Server& server_;
  std::map<KeyOf, Read> reads_;
  // Client id -> reads it still waits for; and the error of one that failed.
  std::map<uint64_t, size_t> waiting_;
  std::map<uint64_t, std::string> failures_;
  uint64_t completed_ = 0;
  uint64_t failed_ = 0;
  uint64_t total_latency_us_ = 0;
  LatencyHistogram latency_;
  uint64_t cold_lookups_ = 0;
  // Values read back whose waiters have not all run their command yet (pinned in DRAM
  // meanwhile), and each such client's keys.
  struct Serving {
    size_t clients_left = 0;
    bool on_probation = false;  // not admitted: goes back to the tier after them
  };
  std::map<KeyOf, Serving> serving_;
  std::map<uint64_t, std::vector<KeyOf>> served_keys_of_client_;
  // Admission: the recent first reads.
  static constexpr size_t kAdmissionWindow = 16384;
  SecondHitWindow window_{kAdmissionWindow};
  uint64_t admitted_ = 0;
  uint64_t sent_back_ = 0;
};

}  // namespace tierkv
