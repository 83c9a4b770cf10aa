#include "tiering/rocks_tier.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <vector>

#include "tiering/rocks_tier_format.h"

namespace tierkv {
namespace {

const char* const kValuesFamily = "values";
const char* const kMetaFamily = "meta";
const char* const kFormatVersionKey = "format_version";
const char* const kCheckpointLsnKey = "checkpoint_lsn";

// The one place RocksDB errors become ours.
Status FromRocks(const rocksdb::Status& status, std::string_view operation,
                 const std::string& path) {
  if (status.ok()) return Status::Ok();
  std::string message = "tier " + path + ": " + std::string(operation) + ": " + status.ToString();
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  return Status::IoError(std::move(message));
}

std::string EncodeFixed64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
  return out;
}

// A number stored in "meta"; nullopt if the key is absent.
Result<std::optional<uint64_t>> ReadMetaNumber(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta,
                                               const char* key, const std::string& path) {
  std::string stored;
  rocksdb::Status read = db.Get(rocksdb::ReadOptions(), meta, key, &stored);
  if (read.IsNotFound()) return std::optional<uint64_t>();
  if (!read.ok()) return FromRocks(read, std::string("read ") + key, path);
  if (stored.size() != 8) return Status::Corruption("tier " + path + ": damaged " + key);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<uint8_t>(stored[i])} << (8 * i);
  return std::optional<uint64_t>(value);
}

rocksdb::CompressionType ChooseCompression() {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  for (auto type : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), type) != supported.end()) return type;
  }
  return rocksdb::kNoCompression;
}

// The three column families share RocksTierOptions::write_buffer_bytes; a memtable is
// switched at a quarter of it, so several can be filling or flushing within the bound.
rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& block_cache,
                                           size_t write_buffer_bytes) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = false;  // see the header: small caches thrash
  rocksdb::ColumnFamilyOptions family;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  family.compression = ChooseCompression();
  // Most lookups of a cold key hit, but recovery asks about keys that were never
  // checkpointed: keep the last level's filters too.
  family.optimize_filters_for_hits = false;
  family.write_buffer_size = std::max<size_t>(write_buffer_bytes / 4, 1 << 20);
  return family;
}

// RocksDB's own recovery from a full disk waits (in its SstFileManager) until about twice
// a memtable's size is free again, which a small disk may never have: the tier would stay
// read-only for good. Recovery is left to RocksTier instead, which asks for it (Resume())
// at the next Write or Commit after a failure.
class ManualErrorRecovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status /*bg_error*/,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

rocksdb::WriteOptions NoWal() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;  // the journal is the log of record; Commit() flushes
  return options;
}

}  // namespace

RocksTier::RocksTier(std::string path, std::shared_ptr<rocksdb::Cache> block_cache)
    : path_(std::move(path)), block_cache_(std::move(block_cache)) {}

Result<std::unique_ptr<RocksTier>> RocksTier::Open(const RocksTierOptions& options) {
  std::error_code error;
  const bool create = options.create_if_missing && !options.read_only;
  if (create) {
    std::filesystem::create_directories(options.path, error);
    if (error) {
      return Status::IoError("tier " + options.path + ": create directory: " + error.message());
    }
  } else if (!std::filesystem::exists(options.path, error)) {
    // Checked here because RocksDB would create the directory before refusing.
    return Status::IoError("tier " + options.path + " does not exist");
  }
  std::unique_ptr<RocksTier> tier(
      new RocksTier(options.path, rocksdb::NewLRUCache(options.block_cache_bytes)));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = create;
  db_options.create_missing_column_families = !options.read_only;
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes);
  db_options.listeners.push_back(std::make_shared<ManualErrorRecovery>());
  const rocksdb::ColumnFamilyOptions family = FamilyOptions(tier->block_cache_, options.write_buffer_bytes);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family}, {kValuesFamily, family}, {kMetaFamily, family}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status rocks_opened =
      options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, options.path, families, &handles, &db)
                        : rocksdb::DB::Open(db_options, options.path, families, &handles, &db);
  Status opened = FromRocks(rocks_opened, "open", options.path);
  if (!opened.ok()) return opened;
  tier->db_.reset(db);
  tier->default_ = handles[0];
  tier->values_ = handles[1];
  tier->meta_ = handles[2];

  Status format = tier->CheckOrStampFormat(options.format_version, options.read_only);
  if (!format.ok()) return format;
  return tier;
}

RocksTier::~RocksTier() {
  if (db_ == nullptr) return;
  // Waits for running flushes and compactions (flushing unpersisted memtables first).
  rocksdb::CancelAllBackgroundWork(db_.get(), /*wait=*/true);
  for (rocksdb::ColumnFamilyHandle* handle : {default_, values_, meta_}) {
    (void)db_->DestroyColumnFamilyHandle(handle);
  }
  (void)db_->Close();  // nothing left to report it to; the next Open sees any damage
}

Status RocksTier::CheckOrStampFormat(uint32_t format_version, bool read_only) {
  Result<std::optional<uint64_t>> stored = ReadMetaNumber(*db_, meta_, kFormatVersionKey, path_);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    if (**stored == format_version) return Status::Ok();
    return Status::Error("ERR tier " + path_ + " has format version " + std::to_string(**stored) +
                         ", but this build reads version " + std::to_string(format_version));
  }

  // No version: a fresh tier, or one whose creation was cut short before the stamp
  // was flushed. Either way it must hold no entries yet.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), values_));
  it->SeekToFirst();
  if (it->Valid()) return Status::Corruption("tier " + path_ + " holds entries but no format_version");
  Status scanned = FromRocks(it->status(), "scan", path_);
  if (!scanned.ok()) return scanned;
  if (read_only) return Status::Ok();  // ReadMetadata reports the missing version
  Status put = FromRocks(db_->Put(NoWal(), meta_, kFormatVersionKey, EncodeFixed64(format_version)),
                         "write format_version", path_);
  if (!put.ok()) return put;
  return FlushAndWait(meta_, "flush meta");
}

Status RocksTier::FlushAndWait(rocksdb::ColumnFamilyHandle* family, const char* what) {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options, family), what, path_);
}

// RocksDB keeps a background error (a flush that failed with ENOSPC or EIO) and refuses
// every later write and flush with it, also once the cause is gone: it resumes by itself
// only from errors it deems retryable. So after a failure the next Write or Commit asks it
// to resume first; Resume() flushes what is pending and clears the error, or fails again.
Status RocksTier::ResumeAfterFailure() {
  if (!failed_.load()) return Status::Ok();
  Status resumed = FromRocks(db_->Resume(), "resume after an error", path_);
  if (resumed.ok()) failed_ = false;
  return resumed;
}

Status RocksTier::NoteFailure(Status status) {
  if (!status.ok()) failed_ = true;
  return status;
}

Status RocksTier::Write(const TierBatch& batch) {
  if (Status resumed = ResumeAfterFailure(); !resumed.ok()) return resumed;
  rocksdb::WriteBatch rocks_batch;
  for (const TierBatch::Op& op : batch.ops()) {
    const TierEntry& entry = op.entry;
    rocksdb::Status added;
    switch (op.kind) {
      case TierBatch::Kind::kPut:
        added = rocks_batch.Put(values_, EncodeTierKey(entry.db, entry.key), EncodeTierValue(entry));
        break;
      case TierBatch::Kind::kErase:
        added = rocks_batch.Delete(values_, EncodeTierKey(entry.db, entry.key));
        break;
      case TierBatch::Kind::kEraseDb:
        // The range [prefix(db), prefix(db + 1)) has no end for the last db. Redis dbs
        // are small indexes, so that one is refused rather than special-cased.
        if (entry.db == std::numeric_limits<uint32_t>::max()) {
          return Status::Error("ERR tier " + path_ + ": EraseDb of db " +
                               std::to_string(entry.db) + " is not supported");
        }
        added = rocks_batch.DeleteRange(values_, TierDbPrefix(entry.db), TierDbPrefix(entry.db + 1));
        break;
    }
    if (!added.ok()) return FromRocks(added, "build write batch", path_);
  }
  return NoteFailure(FromRocks(db_->Write(NoWal(), &rocks_batch), "write", path_));
}

// Why this order makes Commit durable without a WAL: Write() puts data in the "values"
// memtables only. Flush(wait) returns after RocksDB has written the memtables' SST
// files, synced them and their directory, and recorded them in the synced MANIFEST, so
// every Write() that returned before this call now survives a crash. Only then is the
// checkpoint LSN written to "meta" and "meta" flushed the same way. A crash at any point
// leaves a recorded LSN whose data was flushed before it: the previous one or this one.
//
// (Recording the LSN with a synced WAL write instead would be one flush cheaper, but
// every values flush starts a new WAL file, and each file holding a meta record would
// stay alive until "meta" itself flushes: WAL files would pile up.)
Status RocksTier::Commit(uint64_t checkpoint_lsn) {
  std::lock_guard lock(commit_mu_);
  if (Status resumed = ResumeAfterFailure(); !resumed.ok()) return resumed;
  Status flushed = FlushAndWait(values_, "flush values");
  if (!flushed.ok()) return NoteFailure(flushed);
  Status put = FromRocks(db_->Put(NoWal(), meta_, kCheckpointLsnKey, EncodeFixed64(checkpoint_lsn)),
                         "write checkpoint_lsn", path_);
  if (!put.ok()) return NoteFailure(put);
  return NoteFailure(FlushAndWait(meta_, "flush meta"));
}

Result<std::optional<TierEntry>> RocksTier::Get(uint32_t db, std::string_view key) {
  rocksdb::PinnableSlice stored;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), values_, EncodeTierKey(db, key), &stored);
  if (read.IsNotFound()) return std::optional<TierEntry>();
  if (!read.ok()) return FromRocks(read, "get", path_);
  Result<TierEntry> entry = DecodeTierValue(db, key, stored.ToStringView());
  if (!entry.ok()) return entry.status();
  return std::optional<TierEntry>(std::move(entry).value());
}

Status RocksTier::ForEach(const std::function<Status(TierEntry&&)>& visit) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // a full scan (recovery) must not evict the hot blocks
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, values_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::optional<TierKeyRef> key = DecodeTierKey(it->key().ToStringView());
    if (!key) {
      return Status::Corruption("tier " + path_ + ": key '" +
                                PrintableKey(it->key().ToStringView()) + "' has no db prefix");
    }
    Result<TierEntry> entry = DecodeTierValue(key->db, key->key, it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    Status visited = visit(std::move(entry).value());
    if (!visited.ok()) return visited;
  }
  return FromRocks(it->status(), "scan", path_);
}

Result<TierMetadata> RocksTier::ReadMetadata() {
  Result<std::optional<uint64_t>> version = ReadMetaNumber(*db_, meta_, kFormatVersionKey, path_);
  if (!version.ok()) return version.status();
  Result<std::optional<uint64_t>> lsn = ReadMetaNumber(*db_, meta_, kCheckpointLsnKey, path_);
  if (!lsn.ok()) return lsn.status();
  if (!version->has_value()) return Status::Corruption("tier " + path_ + ": no format_version");
  TierMetadata metadata;
  metadata.format_version = static_cast<uint32_t>(**version);
  metadata.checkpoint_lsn = lsn->value_or(0);  // never committed: 0
  return metadata;
}

TierStats RocksTier::stats() const {
  const auto sum = [this](const std::string& property) {
    uint64_t value = 0;
    return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
  };
  using Properties = rocksdb::DB::Properties;
  TierStats stats;
  stats.disk_bytes = sum(Properties::kTotalSstFilesSize);
  stats.write_buffer_bytes = sum(Properties::kCurSizeAllMemTables);
  stats.memory_bytes = block_cache_->GetUsage() + stats.write_buffer_bytes +
                       sum(Properties::kEstimateTableReadersMem);
  uint64_t keys = 0;
  if (db_->GetIntProperty(values_, Properties::kEstimateNumKeys, &keys)) stats.keys = keys;
  return stats;
}

}  // namespace tierkv
