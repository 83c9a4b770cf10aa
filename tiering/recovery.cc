#include "tiering/recovery.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "engine/effects/effect_applier.h"
#include "tiering/elapsed.h"
#include "tiering/entry_codec.h"
#include "tiering/lsn_reservation.h"

namespace tierkv {
namespace {

constexpr uint64_t kProgressEvery = 1'000'000;  // log a line per this many keys or records

// Effects name their verb upper-case, as the engine writes them.
bool IsCommand(const Effect& effect, std::string_view name) { return !effect.empty() && effect[0] == name; }

class Replayer {
 public:
  Replayer(Shard& shard, RecoveryReport& report) : shard_(shard), report_(report) {}

  void RememberTombstone(uint32_t db, std::string key, uint64_t lsn) {
    tombstones_[{static_cast<int>(db), std::move(key)}] = lsn;
  }

  Status Apply(const EffectRecord& record) {
    int db = static_cast<int>(record.db);
    // Keys this record has already changed: a record may hold several effects for one
    // key (a MULTI, an XREADGROUP), and the first one stamps the key with the record's
    // LSN, which must not make the rest look already applied. (Records are short: a
    // linear search beats a tree.)
    std::vector<std::pair<int, std::string_view>> applied_here;
    auto applied_before = [&](int db, std::string_view key) {
      return std::find(applied_here.begin(), applied_here.end(), std::pair<int, std::string_view>(db, key)) !=
             applied_here.end();
    };
    for (const Effect& effect : record.effects) {
      if (IsCommand(effect, "SELECT")) {
        if (Status selected = ApplyEffect(shard_, db, effect); !selected.ok()) return selected;
        continue;
      }
      if (IsCommand(effect, "FLUSHALL")) {
        for (int index = 0; index < shard_.db_count(); ++index) {
          if (Status flushed = FlushOlder(index, record.lsn); !flushed.ok()) return flushed;
        }
        continue;
      }
      if (IsCommand(effect, "FUNCTION")) {
        if (effect.size() != 4) return Status::Corruption("a FUNCTION effect without its payload");
        report_.server_state = effect[2];
        shard_.CommitReplayed(record.lsn);
        ++report_.effects_applied;
        continue;
      }
      if (IsCommand(effect, "FLUSHDB")) {
        if (Status flushed = FlushOlder(db, record.lsn); !flushed.ok()) return flushed;
        continue;
      }
      if (IsCommand(effect, "SWAPDB")) {
        Status swapped = Swap(effect, record.lsn, applied_here);
        if (!swapped.ok()) return swapped;
        continue;
      }
      if (effect.size() < 2) return Status::Corruption("an effect without a key");
      const std::string& key = effect[1];
      if (!applied_before(db, key) && CurrentLsn(db, key) >= record.lsn) {
        ++report_.effects_skipped;
        continue;
      }
      const uint64_t failed_loads = shard_.tiering_stats().load_failures;
      Status applied = ApplyEffect(shard_, db, effect);
      if (!applied.ok()) return applied;
      if (shard_.tiering_stats().load_failures != failed_loads) {
        return Status::Error("the tier could not give back the value of key '" + key + "' in db " +
                             std::to_string(db));
      }
      tombstones_.erase({db, key});
      if (!applied_before(db, key)) applied_here.emplace_back(db, key);
      shard_.CommitReplayed(record.lsn);
      ++report_.effects_applied;
    }
    return Status::Ok();
  }

 private:
  uint64_t CurrentLsn(int db, const std::string& key) const {
    if (const Entry* entry = shard_.db(db).Peek(key)) return entry->lsn;
    auto tombstone = tombstones_.find({db, key});
    return tombstone == tombstones_.end() ? 0 : tombstone->second;
  }

  // A replayed SWAPDB always applies: the tier holds the db -> contents map of the
  // checkpoint (swaps written after it are forgotten by a crash), and keys the tier holds
  // with newer LSNs sit with their db's contents, so they move with the swap and their
  // LSNs travel with them. The keys this record already changed move too.
  Status Swap(const Effect& effect, uint64_t lsn, std::vector<std::pair<int, std::string_view>>& applied_here) {
    auto dbs = SwapDbArguments(effect, shard_.db_count());
    if (!dbs.ok()) return dbs.status();
    const auto [a, b] = *dbs;
    // SwapDb reads back the cold values of both dbs (the tier holds them under their old
    // numbers) and holds demotion back until a round past the last LSN commits: the LSNs
    // below this record's are all handed out, whatever the records replayed so far.
    shard_.set_last_lsn(std::max(shard_.last_lsn(), lsn - 1));
    const uint64_t failed_loads = shard_.tiering_stats().load_failures;
    shard_.SwapDb(a, b);
    if (shard_.tiering_stats().load_failures != failed_loads) {
      return Status::Error("SWAPDB " + std::to_string(a) + " " + std::to_string(b) +
                           ": the tier could not give back a value of those dbs: " + shard_.last_load_error());
    }
    shard_.CommitReplayed(lsn);
    const auto other = [&](int db) { return db == a ? b : db == b ? a : db; };
    std::map<std::pair<int, std::string>, uint64_t> moved;
    for (auto& [where, tombstone_lsn] : tombstones_) moved[{other(where.first), where.second}] = tombstone_lsn;
    tombstones_ = std::move(moved);
    for (auto& [db, key] : applied_here) db = other(db);
    ++report_.effects_applied;
    return Status::Ok();
  }

  // A replayed FLUSHDB at `lsn` empties only what is older than it: keys the tier holds
  // with a newer LSN were written after it. The tier copy of the db is then erased whole
  // and the survivors queued to be written back. A survivor start-up left cold is read
  // back first: the erase takes the tier's copy of its value, and the round writing it
  // back needs the value in DRAM.
  Status FlushOlder(int db, uint64_t lsn) {
    std::vector<std::string> older;
    shard_.db(db).ForEach([&](Entry* entry) {
      if (entry->lsn < lsn) older.emplace_back(entry->key());
    });
    for (const std::string& key : older) (void)shard_.db(db).Delete(key);
    shard_.db(db).MakeResidentWhere([](const Entry&) { return true; });
    if (shard_.db(db).cold_count() > 0) {
      return Status::Error("the tier could not give back the value of a key in db " + std::to_string(db) +
                           " that a FLUSHDB replayed before it must keep: " + shard_.last_load_error());
    }
    std::erase_if(tombstones_, [&](const auto& item) { return item.first.first == db && item.second < lsn; });
    ChangeLog& changes = shard_.changes();
    changes.QueueDirty({DirtyItem::Kind::kEraseDb, db, {}});
    shard_.db(db).ForEach([&](Entry* entry) {
      entry->flags |= Entry::kDirty;
      changes.QueueDirty({DirtyItem::Kind::kKey, db, std::string(entry->key())});
    });
    return Status::Ok();
  }

  Shard& shard_;
  RecoveryReport& report_;
  std::map<std::pair<int, std::string>, uint64_t> tombstones_;  // newer than the checkpoint
};

void Log(const RecoveryOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

}  // namespace

Result<RecoveryReport> Recover(Shard& shard, Tier& tier, const RecoveryOptions& options) {
  const int64_t started = SteadyMs();
  RecoveryReport report;
  Replayer replayer(shard, report);

  auto metadata = tier.ReadMetadata();
  if (!metadata.ok()) return metadata.status();
  report.checkpoint_lsn = metadata->checkpoint_lsn;
  report.last_lsn = report.checkpoint_lsn;
  report.server_state = std::move(metadata->server_state);

  const TieringOptions& tiering = shard.options().tiering;
  const uint64_t small_value_bytes = options.leave_values_cold ? ColdStartValueBytes(tiering) : UINT64_MAX;
  const EncodingLimits& limits = shard.options().limits;
  const int64_t now_ms = Shard::WallClockMs();
  const PhaseTimer walk;
  Status loaded = tier.ForEachKeyWithSmallValues(small_value_bytes, [&](TierKeyMetadata&& stored,
                                                                       std::string_view value) -> Status {
    if (stored.db >= static_cast<uint32_t>(shard.db_count())) {
      return Status::Corruption("the tier holds db " + std::to_string(stored.db) + " but `databases` is " +
                                std::to_string(shard.db_count()));
    }
    report.last_lsn = std::max(report.last_lsn, stored.lsn);
    if (stored.tombstone) {
      if (stored.lsn > report.checkpoint_lsn) replayer.RememberTombstone(stored.db, stored.key, stored.lsn);
      report.tombstones.push_back({stored.db, std::move(stored.key), stored.lsn});
      return Status::Ok();
    }
    auto entry = stored.value_size >= small_value_bytes ? ColdEntryFromTier(stored, limits)
                                                         : EntryFromTier(stored, value, limits);
    if (!entry.ok()) return entry.status();
    shard.InitAccess(*entry);
    (*entry)->flags |= Entry::kInTier | Entry::kTierValueCurrent;  // its value came from there
    if (options.leave_values_cold && IsDemotable(**entry, tiering, now_ms)) {
      Entry* cold = Entry::NewCold(**entry, (*entry)->MemoryUsage());
      cold->flags |= Entry::kInTier | Entry::kTierValueCurrent;
      Entry::Free(*entry);
      *entry = cold;
    }
    shard.db(static_cast<int>(stored.db)).Set(*entry);
    report.keys_left_cold += (*entry)->is_cold();
    if (++report.keys_loaded % kProgressEvery == 0) {
      Log(options, "Loading from the tier: " + std::to_string(report.keys_loaded) + " keys");
    }
    return Status::Ok();
  });
  if (!loaded.ok()) return loaded;
  const std::string left_cold =
      report.keys_left_cold == 0 ? "" : std::to_string(report.keys_left_cold) + " with their value left there; ";
  Log(options, "Loaded " + std::to_string(report.keys_loaded) + " keys from the tier (" + left_cold +
                   "checkpoint LSN " + std::to_string(report.checkpoint_lsn) + ") in " +
                   walk.Took());

  if (!options.journal_dir.empty()) {
    const PhaseTimer replay;
    std::error_code ec;
    std::filesystem::create_directories(options.journal_dir, ec);
    // The journal must continue the checkpoint: a lost segment stops start-up here.
    auto scanner = JournalScanner::Open(options.journal_dir, report.checkpoint_lsn);
    if (!scanner.ok()) return scanner.status();
    // A segment named N may have had records from N on handed out and lost before they
    // reached the disk: numbering resumes above every name so that no LSN is used twice.
    // The LSNs the journal accounts for: the checkpoint, every record, every name.
    uint64_t accounted_lsn = report.checkpoint_lsn;
    for (const JournalSegmentFile& segment : scanner->segments()) {
      report.last_lsn = std::max(report.last_lsn, segment.first_lsn);
      accounted_lsn = std::max(accounted_lsn, segment.first_lsn == 0 ? 0 : segment.first_lsn - 1);
    }
    EffectRecord record;
    for (;;) {
      auto more = scanner->Next(&record);
      if (!more.ok()) {
        return Status::Corruption(more.status().message() +
                                  " (the journal is damaged before its end; tierkv-check --repair cuts it there)");
      }
      if (!*more) break;
      report.last_lsn = std::max(report.last_lsn, record.lsn);
      accounted_lsn = std::max(accounted_lsn, record.lsn);
      if (record.lsn <= report.checkpoint_lsn) continue;
      Status applied = replayer.Apply(record);
      if (!applied.ok()) {
        return Status::Corruption("journal record LSN " + std::to_string(record.lsn) + " in " +
                                  scanner->record_file() + " at offset " + std::to_string(scanner->record_offset()) +
                                  " could not be replayed: " + applied.message());
      }
      if (++report.records_replayed % kProgressEvery == 0) {
        Log(options, "Replaying the journal: " + std::to_string(report.records_replayed) + " records");
      }
    }
    if (const auto& damage = scanner->damage(); damage.has_value()) {
      Status cut = JournalScanner::TruncateAt(damage->file, damage->offset);
      if (!cut.ok()) return cut;
      Log(options, "!!! Warning: the journal ended with a torn record (" + damage->detail + ") in " + damage->file +
                       " at offset " + std::to_string(damage->offset) + "; truncated there");
      report.truncated_tail = *damage;
    }
    // LSNs up to the reservation may have been handed out and lost unsynced: never again.
    Result<uint64_t> reserved = ReadLsnReservation(options.journal_dir);
    if (!reserved.ok()) return reserved.status();
    report.reserved_lsn = *reserved;
    report.journal_accounted_lsn = accounted_lsn;
    report.last_lsn = std::max(report.last_lsn, *reserved);
    Log(options, "Replayed " + std::to_string(report.records_replayed) + " journal records (" +
                     std::to_string(report.effects_applied) + " effects applied, " +
                     std::to_string(report.effects_skipped) + " already in the tier) in " + replay.Took());
  }
  shard.set_last_lsn(std::max(shard.last_lsn(), report.last_lsn));
  report.elapsed_ms = SteadyMs() - started;
  return report;
}

uint64_t ColdStartValueBytes(const TieringOptions& tiering) { return std::max<uint64_t>(tiering.min_value_size, 64); }

// Numbering resumes above LSNs that no segment holds. A new segment named after the first
// record the writer gets would then look like a lost segment (a gap across segments) at
// the next start; a gap inside a segment is allowed. So the writer gets a segment named
// right after what the journal accounts for, unless the newest segment already is it.
Status StartSegmentForSkippedLsns(const std::string& journal_dir, const RecoveryReport& report) {
  if (report.reserved_lsn <= report.journal_accounted_lsn) return Status::Ok();
  const uint64_t name = report.journal_accounted_lsn + 1;
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(journal_dir);
  if (!segments.ok()) return segments.status();
  if (!segments->empty() && segments->back().first_lsn == name) return Status::Ok();
  Result<std::unique_ptr<SegmentWriter>> writer = SegmentWriter::Open({journal_dir});
  if (!writer.ok()) return writer.status();
  return (*writer)->StartEmptySegment(name);
}

}  // namespace tierkv
