// Server's side of durability: opening it at start-up (recovery), committing each
// command's changes to the journal, holding replies for appendfsync always, suspending
// clients that wait for a round (SAVE, SHUTDOWN, DEBUG RELOAD) or for the journal thread
// to catch up (backpressure).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "server/command_context.h"
#include "server/connection.h"
#include "server/error_reply.h"
#include "server/log.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"
#include "tiering/elapsed.h"
#include "tiering/rocks_tier.h"
#if TIERKV_PMEM
#include "tiering/pmem/pmem_tier.h"
#endif

namespace tierkv {
namespace {

// The tier's block cache and its write buffers each take a sixteenth of maxmemory within
// [8 MiB, 1 GiB], 64 MiB when memory is unlimited. RocksDB allocates both from our
// allocator, so used_memory counts them.
size_t TierMemoryShare(size_t maxmemory) {
  if (maxmemory == 0) return 64u << 20;
  return std::clamp<size_t>(maxmemory / 16, 8u << 20, 1u << 30);
}

FsyncPolicy FsyncPolicyNamed(const std::string& name) {
  if (name == "always") return FsyncPolicy::kAlways;
  if (name == "no") return FsyncPolicy::kNo;
  return FsyncPolicy::kEverySec;
}

}  // namespace

Result<std::unique_ptr<Tier>> Server::OpenTier() {
  if (settings_.tier == "pmem") {
#if TIERKV_PMEM
    PmemTierOptions options;
    options.path = settings_.tier_path.empty()           ? settings_.dir + "/tier.pmem"
                   : settings_.tier_path.front() == '/' ? settings_.tier_path
                                                         : settings_.dir + "/" + settings_.tier_path;
    options.pool_size = settings_.tier_pmem_size;
    options.log = [](const std::string& line) { LogNotice(line); };
    const PhaseTimer open;
    auto tier = PmemTier::Open(options);
    if (!tier.ok()) return tier.status();
    LogNotice("Opened the tier " + options.path + " in " + open.Took());
    return std::unique_ptr<Tier>(std::move(*tier));
#else
    return Status::Error(
        "tier pmem: this tierkv-server was built without the persistent-memory tier (libpmemobj not found; "
        "CMake option TIERKV_PMEM)");
#endif
  }
  RocksTierOptions tier_options;
  tier_options.path = settings_.dir + "/tier";
  tier_options.block_cache_bytes = TierMemoryShare(shard_.options().maxmemory);
  tier_options.write_buffer_bytes = TierMemoryShare(shard_.options().maxmemory);
  tier_options.log = [](const std::string& line) { LogNotice(line); };
  const PhaseTimer open;
  auto tier = RocksTier::Open(tier_options);
  if (!tier.ok()) return tier.status();
  LogNotice("Opened the tier " + tier_options.path + " in " + open.Took());
  return std::unique_ptr<Tier>(std::move(*tier));
}

Status Server::OpenDurability() {
  if (settings_.tier == "none") return Status::Ok();
  const int64_t started = SteadyMs();
  auto tier = OpenTier();
  if (!tier.ok()) return tier.status();
  auto rules = ParseSaveRules(settings_.save);
  if (!rules.ok()) return rules.status();

  DurabilityOptions options;
  options.dir = settings_.dir;
  options.journal = settings_.appendonly;
  options.fsync = FsyncPolicyNamed(settings_.appendfsync);
  options.journal_max_size = settings_.journal_max_size;
  options.save_rules = std::move(*rules);
  options.read_threads = static_cast<size_t>(settings_.tier_read_threads);
  options.post_to_engine = [this](std::function<void()> task) {
    asio::post(io_, [this, task = std::move(task)]() mutable { RunOutsideScript(std::move(task)); });
  };
  options.log = [](const std::string& line) { LogNotice(line); };
  options.warn = [](const std::string& line) { LogWarning(line); };
  options.on_durable = [this](uint64_t lsn) { ReleaseDurableReplies(lsn); };
  options.records_expected = [this] { return durable_replies_.AwaitingReleased(); };
  options.on_latency = [this](std::string_view event, uint64_t ms) { NoteLatency(event, ms); };
  auto opened = Durability::Open(shard_, std::move(*tier), std::move(options));
  if (!opened.ok()) return opened.status();
  durability_ = std::move(*opened);
  durability_->SetLatencyThreshold(settings_.latency_monitor_threshold);
  const RecoveryReport& report = durability_->recovery();
  if (!report.server_state.empty()) {
    const std::string error = scripting_->functions().Restore(report.server_state, RestorePolicy::kFlush);
    if (!error.empty()) return Status::Corruption("the function libraries do not load: " + error);
  }
  // From opening the tier to the journal writer ready, as Redis's figure covers its whole load.
  LogNotice("DB loaded from disk: " + SecondsSince(started) + " seconds (" +
            std::to_string(report.keys_loaded) + " keys, " + std::to_string(report.records_replayed) +
            " journal records)");
  return Status::Ok();
}

void Server::FunctionsChanged() {
  ++shard_.stats().dirty;  // a change for the save rules, as Redis counts it
  std::string payload = scripting_->functions().Dump();
  std::optional<Effect> effect;
  if (durability_ != nullptr) effect = MakeEffect({"FUNCTION", "RESTORE", payload, "FLUSH"});
  shard_.SetServerState(std::move(payload), std::move(effect));
}

void Server::ApplyDurabilitySettings() {
  if (durability_ == nullptr) return;
  auto rules = ParseSaveRules(settings_.save);
  if (rules.ok()) durability_->set_save_rules(std::move(*rules));
  durability_->set_journal_max_size(settings_.journal_max_size);
  durability_->SetJournal(settings_.appendonly, FsyncPolicyNamed(settings_.appendfsync));
}

void Server::CommitChanges(Client* client) {
  if (durability_ == nullptr || abandon_pending_changes_) return;
  const uint64_t lsn = durability_->CommitChanges();
  if (lsn != 0 && client != nullptr && durability_->holds_replies()) durable_replies_.WaitFor(client->id, lsn);
  if (lsn != 0 && client != nullptr && !client->suspended && WritersMustWait()) WaitForJournal(*client);
}

bool Server::WritersMustWait() {
  if (durability_->journal_backlogged()) return true;
  // Tiering: over the DRAM budget by more than demotion absorbs, the writes wait for a
  // checkpoint round to make values clean enough to leave DRAM.
  if (!shard_.OverTieringHardLimit()) return false;
  (void)shard_.EnforceMaxmemory();
  // Waiting helps only while a round can still make values clean enough to leave DRAM.
  // With nothing dirty and no round running, what holds the memory is not values a round
  // would free (keys, small values, clients, the tier's caches): writers would wait forever.
  if (!shard_.changes().has_dirty() && !durability_->round_in_progress()) return false;
  return shard_.OverTieringHardLimit();
}

void Server::RunOutsideScript(std::function<void()> task) {
  // Reached during a script only from a slow script's event loop (ServeWhileBusy): a
  // checkpoint slice must not read the keyspace half way through a script, a journal
  // completion release clients, nor SIGTERM start the final round. The task waits for
  // the script's end.
  if (scripting_->running()) {
    deferred_tasks_.push_back(std::move(task));
    return;
  }
  task();
}

void Server::ResumeDeferredTasks() {
  for (auto& task : std::exchange(deferred_tasks_, {})) {
    asio::post(io_, [this, task = std::move(task)]() mutable { RunOutsideScript(std::move(task)); });
  }
}

void Server::WaitForJournal(Client& client) {
  SuspendClient(client);
  journal_waiters_.push_back(client.id);
  // Checked from the loop, never from here: the client is inside its command.
  if (journal_waiters_.size() == 1) CheckJournalWaitersSoon();
}

void Server::CheckJournalWaitersSoon() {
  journal_wait_timer_.expires_after(std::chrono::milliseconds(1));
  journal_wait_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) CheckJournalWaiters();
  });
}

void Server::CheckJournalWaiters() {
  if (journal_waiters_.empty()) return;
  if (durability_ != nullptr && WritersMustWait() && !stopping_) return CheckJournalWaitersSoon();
  for (uint64_t client_id : std::exchange(journal_waiters_, {})) ResumeClient(client_id);
}

void Server::NoteCommandRan(const Client& client) {
  if (durability_ == nullptr || !durability_->holds_replies()) return;
  // The last of the clients the journal's last sync released is back: its record (if
  // any) and the others' go to the journal now, and their sync starts.
  if (durable_replies_.Returned(client.id)) durability_->EndGather();
}

void Server::HoldReadsOfUndurableWrites(Client& client, std::span<const std::string_view> args) {
  if (durability_ == nullptr || !durability_->holds_replies() || client.last_command == nullptr) return;
  durable_replies_.WaitForReads(client.id, *client.last_command, args, shard_.db(client.db), shard_.last_lsn(),
                                durability_->durable_lsn());
}

bool Server::RepliesHeld(const Client& client) const {
  return durability_ != nullptr && durable_replies_.Held(client.id, durability_->durable_lsn());
}

void Server::HoldUntilDurable(const Client& client) { durable_replies_.Park(client.id); }

void Server::ReleaseDurableReplies(uint64_t durable_lsn) {
  const std::vector<uint64_t> released = durable_replies_.Release(durable_lsn);
  for (uint64_t id : released) {
    if (Connection* connection = FindConnection(id)) connection->Resume();
  }
  // The journal writer presumes after each sync that the clients it released are coming
  // back: when it released nobody, say so at once rather than let it hold its next batch.
  if (released.empty() && durability_ != nullptr && durability_->holds_replies()) durability_->EndGather();
}

Connection* Server::FindConnection(uint64_t client_id) {
  auto found = clients_.find(client_id);
  return found == clients_.end() ? nullptr : found->second;
}

Client& Server::ConnectionClient(Connection& connection) { return connection.client(); }

void Server::ResumeClient(uint64_t client_id) {
  Connection* connection = FindConnection(client_id);
  if (connection == nullptr) return;
  connection->client().suspended = false;
  connection->Resume();
}

void Server::FinishSuspended(uint64_t client_id, const Status& status) {
  Connection* connection = FindConnection(client_id);
  if (connection == nullptr) return;
  Client& client = connection->client();
  if (status.ok()) {
    client.reply.Ok();
  } else {
    ReplyError(client.reply, status);
  }
  ResumeClient(client_id);
}

void Server::Shutdown(bool save, uint64_t requester) {
  if (shutting_down_ || stopping_) return;
  if (durability_ == nullptr || !save) {
    Stop();
    return;
  }
  shutting_down_ = true;
  LogNotice("Saving the final checkpoint before exiting.");
  // A round already running covers only what was dirty when it began: wait for it, then
  // run the final one.
  durability_->AfterRound([this, requester](const Status&) {
    durability_->StartRound([this, requester](const Status& status) {
      if (status.ok()) {
        LogNotice("DB saved on disk");
        Stop();
        return;
      }
      if (settings_.appendonly && durability_->write_error().empty()) {
        LogWarning("The final checkpoint failed (" + status.message() + "); the journal holds every write");
        Stop();
        return;
      }
      LogWarning("Error trying to save the DB, can't exit.");
      shutting_down_ = false;
      FinishSuspended(requester, Status::Error("ERR Errors trying to SHUTDOWN. Check logs."));
    });
  });
}

void Server::ReloadFromDisk(uint64_t requester) {
  durability_->AfterRound([this, requester](const Status&) {
    durability_->StartRound([this, requester](const Status& saved) {
      if (!saved.ok()) return FinishSuspended(requester, Status::Error("ERR Error trying to save the DB"));
      // Not from inside the round's own completion: the durability object goes away.
      asio::post(io_, [this, requester] {
        durability_.reset();
        shard_.DbChanged(-1);  // WATCHers see every key change, as with FLUSHALL
        for (int db = 0; db < shard_.db_count(); ++db) shard_.db(db).Clear();
        (void)shard_.changes().TakeDirty();
        Status reopened = OpenDurability();
        if (!reopened.ok()) LogWarning("DEBUG RELOAD could not recover: " + reopened.message());
        FinishSuspended(requester, reopened.ok() ? Status::Ok() : Status::Error("ERR Error trying to load the RDB dump"));
      });
    });
  });
}

}  // namespace tierkv
