#include "server/cold_reads.h"

#include <chrono>

#include "engine/number.h"
#include "server/command_table.h"
#include "server/key_specs.h"
#include "server/log.h"
#include "server/server.h"
#include "server/watch_registry.h"
#include "tiering/entry_codec.h"

namespace tierkv {
namespace {

const std::string kColdReadFailed = "ERR cold read failed: ";

int64_t SteadyUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// The command (or subcommand) `args` names if it would get past the dispatcher's
// lookup and arity checks; nullptr otherwise (it will be refused without running).
const CommandSpec* RunnableSpec(const CommandTable& commands, std::span<const std::string_view> args) {
  const CommandSpec* spec = commands.Find(args[0]);
  if (spec == nullptr) return nullptr;
  if (!spec->subcommands.empty() && args.size() >= 2) spec = CommandTable::FindSubcommand(*spec, args[1]);
  if (spec == nullptr || !ArityMatches(spec->arity, args.size())) return nullptr;
  return spec;
}

}  // namespace

void ColdReads::CollectKeys(const Client& client, std::span<const std::string_view> args, int& db,
                            std::vector<KeyOf>& keys) const {
  const CommandSpec* spec = RunnableSpec(server_.commands(), args);
  if (spec == nullptr || (spec->flags & kCmdKeysOnly)) return;
  if (spec->name == "exec") {
    // The whole transaction runs on resident values, as one command does, in the db each
    // of its commands runs in.
    for (const std::vector<std::string>& queued : client.queued) {
      std::vector<std::string_view> queued_args(queued.begin(), queued.end());
      CollectKeys(client, queued_args, db, keys);
    }
    return;
  }
  int64_t selected = 0;
  if (spec->name == "select" && ParseInt64(args[1], &selected) && selected >= 0 &&
      selected < server_.shard().db_count()) {
    db = static_cast<int>(selected);
    return;
  }
  for (const KeyReference& key : KeysWithFlags(*spec, args)) {
    // A key the command overwrites or removes without reading it (SET without GET, MSET,
    // a *STORE destination) is not worth a read.
    const bool blind = (key.flags & (kKeyOW | kKeyRM)) && !(key.flags & kKeyAccess);
    if (!blind) keys.emplace_back(db, args[static_cast<size_t>(key.position)]);
  }
}

std::vector<ColdReads::KeyOf> ColdReads::NamedKeys(const Client& client, std::span<const std::string_view> args) const {
  std::vector<KeyOf> keys;
  int db = client.db;
  CollectKeys(client, args, db, keys);
  return keys;
}

Entry* ColdReads::ColdEntry(const KeyOf& key) const {
  Db& db = server_.shard().db(key.first);
  Entry* entry = db.Peek(key.second);
  return entry != nullptr && entry->is_cold() && !db.IsExpired(entry) ? entry : nullptr;
}

ColdReads::Outcome ColdReads::Prepare(Client& client, std::span<const std::string_view> args) {
  if (auto failure = failures_.find(client.id); failure != failures_.end()) {
    // Counted as a refusal, as the dispatcher counts one: the command did not run.
    server_.RefuseCommand(client, RunnableSpec(server_.commands(), args), failure->second);
    failures_.erase(failure);
    // An EXEC that cannot run ends its transaction all the same, as an aborted one does.
    if (client.in_multi && EqualsIgnoreCase(args[0], "exec")) EndTransaction(client, server_.watches());
    return Outcome::kFailed;
  }
  // Queued commands load at EXEC; nothing to load while nothing is cold.
  if (server_.shard().ColdKeyCount() == 0 || (client.in_multi && !EqualsIgnoreCase(args[0], "exec"))) {
    return Outcome::kReady;
  }
  size_t waits = 0;
  std::vector<std::pair<KeyOf, uint64_t>> to_start;  // with the value LSN each is for
  for (const KeyOf& read_key : NamedKeys(client, args)) {
    const Entry* entry = ColdEntry(read_key);
    if (entry == nullptr) continue;
    auto [read, started] = reads_.try_emplace(read_key);
    if (started) {
      read->second.value_lsn = entry->cold_locator().value_lsn;
      read->second.started_us = SteadyUs();
      to_start.emplace_back(read_key, read->second.value_lsn);
    }
    std::vector<uint64_t>& waiters = read->second.waiters;
    if (waiters.empty() || waiters.back() != client.id) {
      waiters.push_back(client.id);
      ++waits;
      ++cold_lookups_;
    }
  }
  if (!to_start.empty()) StartReads(std::move(to_start));
  if (waits == 0) return Outcome::kReady;
  waiting_[client.id] += waits;
  server_.SuspendClient(client);
  return Outcome::kWaiting;
}

std::string ColdReads::LoadNow(const Client& client, std::span<const std::string_view> args) {
  Shard& shard = server_.shard();
  if (shard.ColdKeyCount() == 0) return {};
  // Checked key by key: a key named twice is loaded once.
  for (const KeyOf& key : NamedKeys(client, args)) {
    Entry* entry = ColdEntry(key);
    if (entry != nullptr && shard.db(key.first).Load(entry) == nullptr) return kColdReadFailed + shard.last_load_error();
  }
  return {};
}

void ColdReads::StartReads(std::vector<std::pair<KeyOf, uint64_t>> reads) {
  // A command's cold keys in one request to the tier.
  std::vector<std::pair<uint32_t, std::string>> keys;
  for (const auto& [key, value_lsn] : reads) keys.emplace_back(static_cast<uint32_t>(key.first), key.second);
  server_.durability()->ReadFromTier(std::move(keys), [this, reads = std::move(reads)](std::vector<Tier::GetResult> stored) {
    for (size_t i = 0; i < reads.size(); ++i) CompleteRead(reads[i].first, reads[i].second, std::move(stored[i]));
  });
}

void ColdReads::CompleteRead(const KeyOf& read_key, uint64_t value_lsn, Tier::GetResult stored) {
  std::string error;
  bool installed = false;
  auto still_that_entry = [&] {
    const Entry* entry = server_.shard().db(read_key.first).Peek(read_key.second);
    return entry != nullptr && entry->is_cold() && entry->cold_locator().value_lsn == value_lsn;
  };
  if (!stored.ok()) {
    error = kColdReadFailed + stored.status().message();
  } else if (stored->has_value() && !(*stored)->tombstone) {
    Result<Entry*> loaded = EntryFromTier(**stored, server_.shard().options().limits);
    if (loaded.ok()) {
      installed = server_.shard().InstallLoadedValue(read_key.first, read_key.second, value_lsn, *loaded);
      // Refused as older than the value that left DRAM: an error, like a missing value.
      if (!installed && (*stored)->lsn < value_lsn && still_that_entry()) {
        error = kColdReadFailed + Shard::OlderThanDemoted().message();
      }
    } else {
      error = kColdReadFailed + loaded.status().message();
    }
  } else if (still_that_entry()) {
    // Still the cold entry the read was for, yet the tier has no value for it: an error,
    // not a command run again (and read again) for ever.
    error = kColdReadFailed + std::string("the tier holds no value for this key");
  }
  // A value that no longer matches the key (deleted, rewritten or demoted again meanwhile)
  // is dropped: the command runs again and finds whatever is there now.
  OnRead(read_key, installed, std::move(error));
}

void ColdReads::OnRead(const KeyOf& key, bool installed, std::string error) {
  auto read = reads_.find(key);
  if (read == reads_.end()) return;
  const std::vector<uint64_t> waiters = std::move(read->second.waiters);
  const int64_t latency = SteadyUs() - read->second.started_us;
  reads_.erase(read);
  ++completed_;
  total_latency_us_ += static_cast<uint64_t>(latency);
  latency_.Record(static_cast<uint64_t>(latency) * 1000);
  if (!error.empty()) {
    ++failed_;
    LogWarning(error);
  }
  const bool on_probation = installed && !window_.Admit(key.first, key.second);
  admitted_ += installed && !on_probation;
  if (installed) {
    // Stays in DRAM until every client that waited for it has run its command.
    server_.shard().PinResident(key.first, key.second);
    serving_[key] = Serving{0, on_probation};
  }
  // Every waiter is counted before any is resumed: a resumed client runs its command at
  // once, and the last one served must be the last one counted.
  std::vector<uint64_t> to_resume;
  for (uint64_t client_id : waiters) {
    auto waiting = waiting_.find(client_id);
    if (waiting == waiting_.end()) continue;  // gone meanwhile
    if (installed) {
      ++serving_[key].clients_left;
      served_keys_of_client_[client_id].push_back(key);
    }
    if (!error.empty()) failures_.emplace(client_id, error);
    if (--waiting->second > 0) continue;
    waiting_.erase(waiting);
    to_resume.push_back(client_id);
  }
  if (installed && serving_[key].clients_left == 0) EndServing(key);  // every waiter left
  for (uint64_t client_id : to_resume) server_.ResumeClient(client_id);
}

void ColdReads::DoneServing(uint64_t client_id) {
  auto keys = served_keys_of_client_.find(client_id);
  if (keys == served_keys_of_client_.end()) return;
  for (const KeyOf& key : keys->second) {
    auto value = serving_.find(key);
    if (value != serving_.end() && --value->second.clients_left == 0) EndServing(key);
  }
  served_keys_of_client_.erase(keys);
}

void ColdReads::EndServing(const KeyOf& key) {
  auto value = serving_.find(key);
  const bool on_probation = value->second.on_probation;
  serving_.erase(value);
  server_.shard().UnpinResident(key.first, key.second);
  if (on_probation) sent_back_ += server_.shard().DemoteUnlessRoom(key.first, key.second);
}

void ColdReads::ForgetClient(uint64_t client_id) {
  waiting_.erase(client_id);
  failures_.erase(client_id);
  DoneServing(client_id);
}

}  // namespace tierkv
