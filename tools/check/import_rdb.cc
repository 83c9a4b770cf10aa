#include "tools/check/import_rdb.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/rdb/function_payload.h"
#include "engine/rdb/rdb_object.h"
#include "engine/shard.h"
#include "tiering/entry_codec.h"
#include "tiering/journal_segment.h"
#include "tiering/rdb_file.h"
#include "tiering/rocks_tier.h"
#include "tools/check/data_dir.h"
#include "tools/check/exit_codes.h"
#include "tools/check/report.h"
#include "tools/check/tier_survey.h"

namespace tierkv::check {
namespace {

// One tier write per this many keys or bytes, whichever comes first: the batch is the
// memory the import holds beyond the file's mapping.
constexpr size_t kBatchKeys = 1024;
constexpr size_t kBatchBytes = 4u << 20;
constexpr uint32_t kDefaultDatabases = 16;

// The value types the tier can hold: the encodings EntryFromTier decodes.
bool TierHoldsType(uint8_t type) { return IsDecodableRdbType(type); }

bool Expired(const RdbFileEntry& entry, int64_t now_ms) {
  return entry.expire_at_ms != kNoExpire && entry.expire_at_ms <= now_ms;
}

// What DATA already holds; empty when it holds nothing.
Result<std::string> ExistingData(const DataDirPaths& paths) {
  std::string found;
  if (PathExists(paths.journal)) {
    auto segments = ListJournalSegments(paths.journal);
    if (!segments.ok()) return segments.status();
    if (!segments->empty()) found += Count(segments->size(), "journal segment", "journal segments");
  }
  if (PathExists(paths.tier)) {
    auto tier = OpenTierReadOnly(paths.tier);
    if (!tier.ok()) return tier.status();
    uint64_t entries = 0;
    const std::string kStop = "enough";  // one entry answers the question
    Status scanned = (*tier)->ForEach([&](TierEntry&&) {
      ++entries;
      return Status::Error(kStop);
    });
    if (!scanned.ok() && scanned.message() != kStop) return scanned;
    auto metadata = (*tier)->ReadMetadata();
    const uint64_t checkpoint = metadata.ok() ? metadata->checkpoint_lsn : 0;
    if (entries > 0 || checkpoint > 0) {
      found += std::string(found.empty() ? "" : " and ") +
               (entries > 0 ? "a tier holding keys" : "a tier with checkpoint LSN " + std::to_string(checkpoint));
    }
  }
  return found;
}

struct FileCensus {
  uint64_t keys = 0;
  uint64_t expired = 0;
  std::map<std::string, uint64_t> unsupported;  // Redis type name -> keys
  uint64_t unsupported_keys = 0;
};

void PrintUnsupported(Report& report, const FileCensus& census, const std::string& verdict) {
  for (const auto& [type, keys] : census.unsupported) {
    report.Line("  " + verdict + ": " + Count(keys, "key", "keys") + " of type " + type);
  }
}

}  // namespace

int RunImportRdb(const CheckOptions& options) {
  const DataDirPaths paths = PathsOf(options.dir);
  if (!PathExists(options.rdb_path)) {
    std::cerr << "tierkv-check: " << options.rdb_path << " does not exist\n";
    return kExitCannotRun;
  }
  // A missing DATA holds nothing and is created only once the file has been checked.
  auto lock = DataDirLock::Acquire(paths);
  if (!lock.ok()) {
    std::cerr << "tierkv-check: " << lock.status().message() << "\n";
    return kExitCannotRun;
  }
  auto existing = ExistingData(paths);
  if (!existing.ok()) {
    std::cerr << "tierkv-check: cannot tell whether " << paths.dir << " is empty: " << existing.status().message()
              << "\n";
    return kExitCannotRun;
  }
  if (!existing->empty() && !options.force) {
    std::cerr << "tierkv-check: " << paths.dir << " already holds " << *existing
              << ": importing into a live dataset is not supported; use an empty directory"
                 " (or --force to add the keys, journal records after the checkpoint still applying on top)\n";
    return kExitCannotRun;
  }

  Report report;
  report.Line("tierkv-check: importing " + options.rdb_path + " into " + paths.dir);

  // Pass 1: the whole file is sound, and what it holds.
  FileCensus census;
  const int64_t census_now = Shard::WallClockMs();
  auto checked = ReadRdbFile(options.rdb_path, [&](RdbFileEntry& entry) {
    ++census.keys;
    if (Expired(entry, census_now)) {
      ++census.expired;
    } else if (!TierHoldsType(entry.type)) {
      ++census.unsupported[std::string(RdbTypeRedisName(entry.type))];
      ++census.unsupported_keys;
    }
    return Status::Ok();
  });
  if (!checked.ok()) {
    report.Error(options.rdb_path + ": " + checked.status().message() + "; nothing imported");
    return kExitDamaged;
  }
  report.Line("file: RDB version " + std::to_string(checked->version) + ", " + Count(checked->keys, "key", "keys") +
              ", " + std::to_string(checked->bytes) + " bytes, checksum " +
              (checked->checksum_verified ? "verified" : "absent"));
  if (census.unsupported_keys > 0 && !options.skip_unsupported) {
    report.Line("the file holds keys of types tierkv cannot hold yet:");
    PrintUnsupported(report, census, "not imported");
    report.Line("nothing imported: re-run with --skip-unsupported to import the other " +
                Count(census.keys - census.unsupported_keys - census.expired, "key", "keys") +
                " and leave these out");
    return kExitUnsupportedTypes;
  }

  // Pass 2: write.
  std::error_code made;
  std::filesystem::create_directories(paths.dir, made);
  if (made) {
    report.Error("cannot create " + paths.dir + ": " + made.message());
    return kExitDamaged;
  }
  RocksTierOptions tier_options;
  tier_options.path = paths.tier;
  auto tier = RocksTier::Open(tier_options);
  if (!tier.ok()) {
    report.Error("cannot open the tier: " + tier.status().message());
    return kExitDamaged;
  }
  auto metadata = (*tier)->ReadMetadata();
  if (!metadata.ok()) {
    report.Error("cannot read the tier's metadata: " + metadata.status().message());
    return kExitDamaged;
  }
  std::map<uint32_t, uint64_t> imported_by_db;
  uint64_t imported = 0, with_ttl = 0, expired = 0, skipped = 0;
  TierBatch batch;
  size_t batch_bytes = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    Status written = (*tier)->Write(batch);
    batch.clear();
    batch_bytes = 0;
    return written;
  };
  const int64_t now = Shard::WallClockMs();
  auto read = ReadRdbFile(options.rdb_path, [&](RdbFileEntry& entry) -> Status {
    if (Expired(entry, now)) {
      ++expired;
      return Status::Ok();
    }
    if (!TierHoldsType(entry.type)) {
      ++skipped;
      return Status::Ok();
    }
    TierEntry stored;
    stored.db = entry.db;
    stored.key = entry.key;
    stored.lsn = 0;  // older than every journal record: replay always wins
    stored.expire_at_ms = entry.expire_at_ms;
    stored.value = entry.ObjectBytes();
    // Decoded as recovery will decode it: a value the server would refuse stops here.
    auto decoded = EntryFromTier(stored);
    if (!decoded.ok()) return decoded.status();
    Entry::Free(*decoded);
    batch_bytes += stored.key.size() + stored.value.size();
    batch.Put(std::move(stored));
    ++imported;
    ++imported_by_db[entry.db];
    if (entry.expire_at_ms != kNoExpire) ++with_ttl;
    if (batch.size() >= kBatchKeys || batch_bytes >= kBatchBytes) return flush();
    return Status::Ok();
  });
  Status finished = read.ok() ? flush() : read.status();
  // The file's function section becomes the server's libraries (the tier's server state).
  std::vector<std::string_view> libraries;
  if (read.ok()) libraries.assign(read->function_libraries.begin(), read->function_libraries.end());
  if (finished.ok() && !libraries.empty()) (*tier)->SetServerState(EncodeFunctionsPayload(libraries));
  if (finished.ok()) finished = (*tier)->Commit(metadata->checkpoint_lsn);
  if (!finished.ok()) {
    report.Error("the import stopped: " + finished.message() + ". " + paths.tier +
                 " holds part of the file: delete it before importing again");
    return kExitDamaged;
  }

  report.Line("imported: " + Count(imported, "key", "keys") + " (" + std::to_string(with_ttl) + " with a TTL)");
  std::string per_db;
  for (const auto& [db, keys] : imported_by_db) per_db += " db" + std::to_string(db) + "=" + std::to_string(keys);
  report.Line("  keys per db:" + (per_db.empty() ? std::string(" none") : per_db));
  report.Line("  skipped, already expired: " + std::to_string(expired));
  if (skipped > 0) PrintUnsupported(report, census, "skipped (--skip-unsupported)");
  if (!libraries.empty()) report.Line("  function libraries: " + std::to_string(libraries.size()));
  const uint64_t pre_ga = checked->functions_skipped - checked->function_libraries.size();
  if (pre_ga > 0) {
    report.Warning(Count(pre_ga, "function library was", "function libraries were") +
                   " not imported: written by a Redis 7.0 release candidate");
  }
  if (checked->module_aux_skipped > 0) {
    report.Warning(Count(checked->module_aux_skipped, "module aux record was", "module aux records were") +
                   " not imported: tierkv has no modules");
  }
  if (!imported_by_db.empty() && imported_by_db.rbegin()->first >= kDefaultDatabases) {
    report.Line("note: db " + std::to_string(imported_by_db.rbegin()->first) +
                " is used: start the server with --databases " + std::to_string(imported_by_db.rbegin()->first + 1) +
                " or more");
  }
  report.Line("result: OK");
  return kExitOk;
}

}  // namespace tierkv::check
