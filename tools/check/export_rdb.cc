#include "tools/check/export_rdb.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "engine/entry.h"
#include "engine/rdb/function_payload.h"
#include "engine/shard.h"
#include "tiering/entry_codec.h"
#include "tiering/rdb_file.h"
#include "tiering/recovery.h"
#include "tiering/rocks_tier.h"
#include "tools/check/data_dir.h"
#include "tools/check/exit_codes.h"
#include "tools/check/journal_survey.h"
#include "tools/check/report.h"
#include "tools/check/tier_survey.h"

namespace tierkv::check {
namespace {

constexpr int kDefaultDatabases = 16;

// The tier of a directory that has only a journal: a server starting there would begin
// from an empty tier too.
class EmptyTier final : public Tier {
 public:
  Status Write(const TierBatch&) override { return Status::Error("ERR read-only"); }
  Status WriteStaged(const TierBatch&) override { return Status::Error("ERR read-only"); }
  Status Commit(uint64_t) override { return Status::Error("ERR read-only"); }
  Result<std::optional<TierEntry>> Get(uint32_t, std::string_view) override { return std::optional<TierEntry>(); }
  Status ForEach(const std::function<Status(TierEntry&&)>&) override { return Status::Ok(); }
  Status ForEachKey(const std::function<Status(TierKeyMetadata&&)>&) override { return Status::Ok(); }
  Result<TierMetadata> ReadMetadata() override { return TierMetadata{}; }
  TierStats stats() const override { return {}; }
};

// A scratch copy of a journal whose last segment ends in a torn record: links to the
// intact segments and a copy of the torn one cut at `damage.offset`. Removed (links, not
// their targets) when destroyed.
class ScratchJournal {
 public:
  static Result<std::unique_ptr<ScratchJournal>> Make(const JournalSurvey& journal) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tierkv-check-journal-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return OsError(pattern, "mkdtemp", errno);
    std::unique_ptr<ScratchJournal> scratch(new ScratchJournal(pattern));
    const JournalDamage& damage = *journal.damage;
    std::error_code error;
    for (const SegmentSummary& segment : journal.segments) {
      const std::filesystem::path source = std::filesystem::absolute(segment.path);
      const std::filesystem::path target = std::filesystem::path(pattern) / source.filename();
      if (segment.path == damage.file) {
        std::filesystem::copy_file(source, target, error);
        if (!error) std::filesystem::resize_file(target, damage.offset, error);
      } else {
        std::filesystem::create_symlink(source, target, error);
      }
      if (error) return Status::IoError(target.string() + ": " + error.message());
    }
    return scratch;
  }
  ~ScratchJournal() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& dir() const { return dir_; }

 private:
  explicit ScratchJournal(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// The largest db the tier holds a key in; the Shard must have that many databases.
Result<uint32_t> LargestTierDb(Tier& tier) {
  uint32_t largest = 0;
  Status scanned = tier.ForEach([&](TierEntry&& stored) {
    largest = std::max(largest, stored.db);
    return Status::Ok();
  });
  if (!scanned.ok()) return scanned;
  return largest;
}

struct Written {
  uint64_t keys = 0;
  uint64_t with_ttl = 0;
  uint64_t expired = 0;
  uint64_t functions = 0;
  std::map<int, uint64_t> keys_by_db;
};

// `functions`: the server state recovered (the function libraries' FUNCTION DUMP payload),
// written as the file's function section.
Status WriteRdb(Shard& shard, const std::string& functions, const std::string& path, int64_t now_ms,
                Written* written) {
  RdbFileWriter writer(path);
  if (Status begun = writer.Begin(); !begun.ok()) return begun;
  if (!functions.empty()) {
    std::vector<std::string> codes;
    const std::string error = DecodeFunctionsPayload(functions, &codes);
    if (!error.empty()) return Status::Corruption("the function libraries: " + error);
    for (const std::string& code : codes) {
      if (Status added = writer.AddFunctionLibrary(code); !added.ok()) return added;
    }
    written->functions = codes.size();
  }
  for (int db = 0; db < shard.db_count(); ++db) {
    std::vector<const Entry*> live;
    uint64_t expires = 0;
    shard.db(db).ForEach([&](Entry* entry) {
      const int64_t expire_at = entry->expire_at();
      if (expire_at != kNoExpire && expire_at <= now_ms) {
        ++written->expired;
        return;
      }
      if (expire_at != kNoExpire) ++expires;
      live.push_back(entry);
    });
    if (live.empty()) continue;
    if (Status selected = writer.SelectDb(static_cast<uint32_t>(db), live.size(), expires); !selected.ok()) {
      return selected;
    }
    for (const Entry* entry : live) {
      const TierEntry stored = EntryToTier(static_cast<uint32_t>(db), *entry);
      if (Status added = writer.Add(stored.key, stored.expire_at_ms, stored.value); !added.ok()) return added;
    }
    written->keys += live.size();
    written->with_ttl += expires;
    written->keys_by_db[db] = live.size();
  }
  return writer.Finish();
}

}  // namespace

int RunExportRdb(const CheckOptions& options) {
  auto data = OpenDataDir(options.dir, /*require_contents=*/true);
  if (!data.ok()) {
    std::cerr << "tierkv-check: " << data.status().message() << "\n";
    return kExitCannotRun;
  }
  const DataDirPaths& paths = data->paths;
  const bool has_tier = data->has_tier;

  Report report;
  report.Line("tierkv-check: exporting " + paths.dir + " to " + options.rdb_path);
  std::unique_ptr<Tier> tier;
  if (has_tier) {
    auto opened = OpenTierReadOnly(paths.tier);
    if (!opened.ok()) {
      report.Error("tier cannot be opened: " + opened.status().message());
      return kExitDamaged;
    }
    tier = std::move(*opened);
  } else {
    tier = std::make_unique<EmptyTier>();
  }
  auto metadata = tier->ReadMetadata();
  if (!metadata.ok()) {
    report.Error("tier metadata unreadable: " + metadata.status().message());
    return kExitDamaged;
  }

  const JournalSurvey journal = SurveyJournal(paths.journal, metadata->checkpoint_lsn);
  if (!journal.read_error.ok()) {
    report.Error("journal unreadable: " + journal.read_error.message());
    return kExitDamaged;
  }
  std::string journal_dir = journal.present ? paths.journal : "";
  std::unique_ptr<ScratchJournal> scratch;
  if (journal.damage.has_value()) {
    const JournalDamage& damage = *journal.damage;
    if (!damage.truncatable) {
      report.Error("journal corruption in " + damage.file + " at offset " + std::to_string(damage.offset) +
                   ": a server would refuse to start; repair it first (tierkv-check --dir " + paths.dir + " --repair)");
      return kExitDamaged;
    }
    auto made = ScratchJournal::Make(journal);
    if (!made.ok()) {
      report.Error("cannot set the torn tail aside: " + made.status().message());
      return kExitDamaged;
    }
    scratch = std::move(*made);
    journal_dir = scratch->dir();
    report.Line("note: the journal ends in a torn record (" + damage.file + " at offset " +
                std::to_string(damage.offset) + "); exporting what precedes it, as a server would recover");
  }

  auto largest_db = LargestTierDb(*tier);
  if (!largest_db.ok()) {
    report.Error("tier unreadable: " + largest_db.status().message());
    return kExitDamaged;
  }
  EngineOptions engine;
  engine.databases = std::max<int>(kDefaultDatabases, static_cast<int>(std::max(*largest_db, journal.max_db)) + 1);
  Shard shard(engine);
  shard.set_now_ms(Shard::WallClockMs());

  RecoveryOptions recovery;
  recovery.journal_dir = journal_dir;
  recovery.log = [&report](const std::string& line) { report.Line("  " + line); };
  auto recovered = Recover(shard, *tier, recovery);
  if (!recovered.ok()) {
    report.Error("recovery failed: " + recovered.status().message());
    return kExitDamaged;
  }

  Written written;
  if (Status saved = WriteRdb(shard, recovered->server_state, options.rdb_path, Shard::WallClockMs(), &written);
      !saved.ok()) {
    report.Error("cannot write " + options.rdb_path + ": " + saved.message());
    return kExitDamaged;
  }
  report.Line("exported: " + Count(written.keys, "key", "keys") + " (" + std::to_string(written.with_ttl) +
              " with a TTL) from " + Count(recovered->keys_loaded, "tier key", "tier keys") + " and " +
              Count(recovered->records_replayed, "journal record", "journal records"));
  std::string per_db;
  for (const auto& [db, keys] : written.keys_by_db) per_db += " db" + std::to_string(db) + "=" + std::to_string(keys);
  report.Line("  keys per db:" + (per_db.empty() ? std::string(" none") : per_db));
  report.Line("  left out, already expired: " + std::to_string(written.expired));
  report.Line("  function libraries: " + std::to_string(written.functions));
  report.Line("  file: " + options.rdb_path + ", " + std::to_string(FileBytes(options.rdb_path)) + " bytes");
  report.Line("result: OK");
  return kExitOk;
}

}  // namespace tierkv::check
