#include "tiering/rocks_tier.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <unordered_map>
#include <vector>

#include "tiering/rocks_info_log.h"
#include "tiering/rocks_tier_format.h"

namespace tierkv {
namespace {

const char* const kKeysFamily = "keys";
const char* const kObjectsFamily = "objects";
const char* const kMetaFamily = "meta";
const char* const kV1ValuesFamily = "values";  // format version 1 only
constexpr uint32_t kV1FormatVersion = 1;
constexpr uint32_t kV2FormatVersion = 2;
const char* const kFormatVersionKey = "format_version";
const char* const kCheckpointLsnKey = "checkpoint_lsn";
const char* const kGenerationsKey = "generations";  // format version 3
// The server state (tier.h); absent in tiers written before it existed, which reads as none.
const char* const kServerStateKey = "server_state";
// The stage of a point-in-time round (Tier::WriteStaged): the same records as "keys" and
// "objects" under the same encoded keys, plus an empty "keys" record for a key erased.
const char* const kStagedKeysFamily = "staged_keys";
const char* const kStagedObjectsFamily = "staged_objects";
// Present, with the checkpoint LSN, from the commit of a stage until it is moved into the
// data families: an Open that finds it finishes the move.
const char* const kStagedCheckpointKey = "staged_checkpoint";
// Dead generation ranges dropped after each commit: each costs two range deletions and a
// look for whole files to delete, so a round's extra work stays small however many dbs
// were flushed since.
constexpr size_t kDeadRangesCleanedPerCommit = 4;

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

// The column families share RocksTierOptions::write_buffer_bytes; a memtable is
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

// Values live in blob files (RocksDB's integrated BlobDB): a compaction of "objects" then
// rewrites small blob references, not the values, which keeps a checkpoint's write
// amplification near the bytes it changed. Garbage collection relocates the live values
// of the oldest 5% of blob files during compactions, so that overwritten values free
// space; RocksDB's default, 25%, rewrote so much that a 1% change cost 9.5x its bytes
// over 8 checkpoint rounds (docs/BENCHMARKS.md 4.2), against 1.6x at 5%.
rocksdb::ColumnFamilyOptions ObjectsFamilyOptions(rocksdb::ColumnFamilyOptions family) {
  family.enable_blob_files = true;
  family.min_blob_size = 0;
  family.blob_compression_type = family.compression;
  family.enable_blob_garbage_collection = true;
  family.blob_garbage_collection_age_cutoff = 0.05;
  return family;
}

// The stage is written once, read once when its commit moves it, then dropped: compacting
// it would only add writes. (With compactions off its L0 files do not stall writes.)
rocksdb::ColumnFamilyOptions StagedFamilyOptions(rocksdb::ColumnFamilyOptions family) {
  family.disable_auto_compactions = true;
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

// Writes a long run of records (a conversion, the move of a stage) in WriteBatches of at
// most 1024 keys or 4 MiB, so that the memory it takes stays bounded.
class BoundedBatchWriter {
 public:
  BoundedBatchWriter(rocksdb::DB& db, const char* what, const std::string& path) : db_(db), what_(what), path_(path) {}

  rocksdb::WriteBatch& batch() { return batch_; }
  size_t batches_written() const { return batches_written_; }

  // After the ops of one key were added: writes the batch once it is full.
  Status Added() {
    if (++keys_ < kBatchKeys && batch_.GetDataSize() < kBatchBytes) return Status::Ok();
    return Flush();
  }

  // Writes what the batch holds.
  Status Flush() {
    if (batch_.Count() == 0) return Status::Ok();
    Status written = FromRocks(db_.Write(NoWal(), &batch_), what_, path_);
    batch_.Clear();
    keys_ = 0;
    ++batches_written_;
    return written;
  }

 private:
  static constexpr size_t kBatchKeys = 1024;
  static constexpr size_t kBatchBytes = 4 << 20;

  rocksdb::DB& db_;
  const char* what_;
  const std::string& path_;
  rocksdb::WriteBatch batch_;
  size_t keys_ = 0;
  size_t batches_written_ = 0;
};

// The (prefix, key) under an iterator, or Corruption if it has no prefix.
Result<TierKeyRef> KeyAt(const rocksdb::Iterator& it, const std::string& path) {
  const std::optional<TierKeyRef> key = DecodeTierKey(it.key().ToStringView());
  if (!key) {
    return Status::Corruption("tier " + path + ": key '" + PrintableKey(it.key().ToStringView()) +
                              "' has no db prefix");
  }
  return *key;
}

// Adds `entry` to `batch` under `prefix` (its generation; its db for the version-1
// converter): the metadata, and the value apart (a tombstone has none, so a value stored
// before is removed).
rocksdb::Status AddPut(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* keys,
                       rocksdb::ColumnFamilyHandle* objects, uint32_t prefix, const TierEntry& entry) {
  const std::string key = EncodeTierKey(prefix, entry.key);
  rocksdb::Status added = batch.Put(keys, key, EncodeTierKeyMetadata(KeyMetadataOf(entry)));
  if (!added.ok()) return added;
  return entry.tombstone ? batch.Delete(objects, key) : batch.Put(objects, key, entry.value);
}

// What the ops of one batch applied so far did to keys, for a SetMetadata further on
// that must see them; by encoded key (generation and key). Absent: as stored before the
// batch. A db erased in the batch moves to a fresh generation, so no entry needs dropping.
using BatchEffects = std::unordered_map<std::string, std::optional<TierKeyMetadata>>;

// The generation holding `db`'s keys in `generations`; nullopt for an empty db.
std::optional<uint32_t> GenerationOf(const TierGenerations& generations, uint32_t db) {
  auto found = generations.of_db.find(db);
  if (found == generations.of_db.end()) return std::nullopt;
  return found->second;
}

// The prefix of the key `it` is at, if it is valid.
std::optional<uint32_t> PrefixAt(const rocksdb::Iterator& it) {
  if (!it.Valid()) return std::nullopt;
  const std::optional<TierKeyRef> key = DecodeTierKey(it.key().ToStringView());
  return key ? std::optional<uint32_t>(key->prefix) : std::nullopt;
}

// What writing `batch` holds in DRAM while it runs: RocksDB's copy of it (the WriteBatch)
// and the memtables' growth, each about the batch's keys and values.
uint64_t BytesWhileWriting(const TierBatch& batch) {
  uint64_t bytes = 0;
  for (const TierBatch::Op& op : batch.ops()) bytes += op.entry.key.size() + op.entry.value.size() + 32;
  return 2 * bytes;
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
  tier->during_write_ = options.during_write;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = create;
  db_options.create_missing_column_families = !options.read_only;
  // Without a WAL, only an atomic flush keeps a batch's "keys" and "objects" halves
  // together across a crash (RocksDB flushes memtables on its own when they fill).
  db_options.atomic_flush = true;
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes);
  db_options.listeners.push_back(std::make_shared<ManualErrorRecovery>());
  if (!options.read_only) db_options.info_log = RocksInfoLog::Open(options.path + "/LOG");
  const rocksdb::ColumnFamilyOptions family = FamilyOptions(tier->block_cache_, options.write_buffer_bytes);

  // The families on disk decide what is opened: a version-1 tier still has "values"; a
  // read-only open cannot create the version-2 families, so it opens those that exist
  // and CheckOrStampFormat refuses what it cannot read.
  std::vector<std::string> existing;
  (void)rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing);  // none: fresh
  const auto exists = [&](const char* name) {
    return std::find(existing.begin(), existing.end(), name) != existing.end();
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<rocksdb::ColumnFamilyHandle**> targets;
  const auto want = [&](const std::string& name, rocksdb::ColumnFamilyHandle** target,
                        const rocksdb::ColumnFamilyOptions& family_options) {
    if (options.read_only && !exists(name.c_str())) return;
    families.emplace_back(name, family_options);
    targets.push_back(target);
  };
  want(rocksdb::kDefaultColumnFamilyName, &tier->default_, family);
  want(kKeysFamily, &tier->keys_, family);
  want(kObjectsFamily, &tier->objects_, ObjectsFamilyOptions(family));
  want(kMetaFamily, &tier->meta_, family);
  tier->staged_family_options_ = std::make_unique<rocksdb::ColumnFamilyOptions>(StagedFamilyOptions(family));
  want(kStagedKeysFamily, &tier->staged_keys_, *tier->staged_family_options_);
  want(kStagedObjectsFamily, &tier->staged_objects_, *tier->staged_family_options_);
  if (exists(kV1ValuesFamily)) want(kV1ValuesFamily, &tier->v1_values_, family);

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status rocks_opened =
      options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, options.path, families, &handles, &db)
                        : rocksdb::DB::Open(db_options, options.path, families, &handles, &db);
  Status opened = FromRocks(rocks_opened, "open", options.path);
  if (!opened.ok()) return opened;
  tier->db_.reset(db);
  tier->at_stage_point_ = options.at_stage_point;
  tier->one_batch_stage_bytes_ = options.one_batch_stage_bytes;
  for (size_t i = 0; i < handles.size(); ++i) *targets[i] = handles[i];
  if (tier->meta_ == nullptr) return Status::Corruption("tier " + options.path + " has no meta family");

  Status format = tier->CheckOrStampFormat(options);
  if (!format.ok()) return format;
  Status generations = tier->LoadGenerations();
  if (!generations.ok()) return generations;
  Status stage = tier->ResolveStage(options);
  if (!stage.ok()) return stage;
  return tier;
}

RocksTier::~RocksTier() {
  if (db_ == nullptr) return;
  moving_snapshot_.reset();  // released before the database closes
  // Waits for running flushes and compactions (flushing unpersisted memtables first).
  rocksdb::CancelAllBackgroundWork(db_.get(), /*wait=*/true);
  for (rocksdb::ColumnFamilyHandle* handle :
       {default_, keys_, objects_, meta_, v1_values_, staged_keys_, staged_objects_}) {
    if (handle != nullptr) (void)db_->DestroyColumnFamilyHandle(handle);
  }
  (void)db_->Close();  // nothing left to report it to; the next Open sees any damage
}

Status RocksTier::CheckOrStampFormat(const RocksTierOptions& options) {
  Result<std::optional<uint64_t>> stored = ReadMetaNumber(*db_, meta_, kFormatVersionKey, path_);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    const uint64_t version = **stored;
    const bool convertible = options.format_version == kTierFormatVersion &&
                             ((version == kV1FormatVersion && v1_values_ != nullptr) || version == kV2FormatVersion);
    if (convertible && !options.read_only) {
      // Version 1 becomes version 2 (dropping "values"), which becomes version 3.
      Status step = version == kV1FormatVersion ? ConvertFromV1(options)
                    : v1_values_ != nullptr     ? DropV1Values()
                                                : Status::Ok();
      return step.ok() ? ConvertFromV2(options) : step;
    }
    if (version != options.format_version) {
      return Status::Error("ERR tier " + path_ + " has format version " + std::to_string(version) +
                           ", but this build reads version " + std::to_string(options.format_version) +
                           (convertible ? " (a server opening it converts it)" : ""));
    }
    if (keys_ == nullptr || objects_ == nullptr) {
      return Status::Corruption("tier " + path_ + " lacks the keys or objects family");
    }
    // A conversion that stamped the version but crashed before dropping "values".
    return v1_values_ != nullptr && !options.read_only ? DropV1Values() : Status::Ok();
  }

  // No version: a fresh tier, or one whose creation was cut short before the stamp
  // was flushed. Either way it must hold no entries yet.
  for (rocksdb::ColumnFamilyHandle* family : {keys_, v1_values_}) {
    if (family == nullptr) continue;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToFirst();
    if (it->Valid()) return Status::Corruption("tier " + path_ + " holds entries but no format_version");
    Status scanned = FromRocks(it->status(), "scan", path_);
    if (!scanned.ok()) return scanned;
  }
  if (options.read_only) return Status::Ok();  // ReadMetadata reports the missing version
  Status put = FromRocks(db_->Put(NoWal(), meta_, kFormatVersionKey, EncodeFixed64(options.format_version)),
                         "write format_version", path_);
  if (!put.ok()) return put;
  return FlushAndWait(meta_, "flush meta");
}

// Version 1 -> 2 in place. Crash-safe because the version-1 records are only read until
// the end: the new families are written in bounded batches and flushed, then
// format_version 2 is stamped and flushed, and only then is "values" dropped. A crash
// before the stamp leaves version 1, and the next Open converts again from the start,
// overwriting the same keys with the same records; a crash after it leaves a version-2
// tier whose "values" the next Open drops.
Status RocksTier::ConvertFromV1(const RocksTierOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.log) options.log("tier " + path_ + ": converting format version 1 to 2");

  uint64_t converted = 0;
  BoundedBatchWriter writer(*db_, "write converted entries", path_);
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, v1_values_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<TierKeyRef> key = KeyAt(*it, path_);
    if (!key.ok()) return key.status();
    Result<TierEntry> entry = DecodeV1TierValue(key->prefix, key->key, it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    Status added = FromRocks(AddPut(writer.batch(), keys_, objects_, key->prefix, *entry), "build write batch", path_);
    if (!added.ok()) return added;
    ++converted;
    if (Status written = writer.Added(); !written.ok()) return written;
  }
  Status scanned = FromRocks(it->status(), "scan version-1 values", path_);
  if (!scanned.ok()) return scanned;
  it.reset();
  if (Status written = writer.Flush(); !written.ok()) return written;
  Status flushed = FlushDataAndWait();
  if (!flushed.ok()) return flushed;
  Status put = FromRocks(db_->Put(NoWal(), meta_, kFormatVersionKey, EncodeFixed64(kV2FormatVersion)),
                         "write format_version", path_);
  if (!put.ok()) return put;
  Status stamped = FlushAndWait(meta_, "flush meta");
  if (!stamped.ok()) return stamped;
  Status dropped = DropV1Values();
  if (!dropped.ok()) return dropped;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (options.log) {
    options.log("tier " + path_ + ": converted " + std::to_string(converted) + " entries to format version 2 in " +
                std::to_string(elapsed.count()) + " ms");
  }
  return Status::Ok();
}

// Version 2 -> 3 in place, in O(dbs): version 2 prefixed keys with their db, which is
// version 3 with each db held by the generation of the same number. So the conversion
// finds the dbs present (one seek each) and writes that map together with
// format_version 3 in one batch: a crash leaves a whole version 2 or a whole version 3.
Status RocksTier::ConvertFromV2(const RocksTierOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.log) options.log("tier " + path_ + ": converting format version 2 to 3");
  TierGenerations generations;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), keys_));
  for (it->SeekToFirst(); it->Valid();) {
    Result<TierKeyRef> key = KeyAt(*it, path_);
    if (!key.ok()) return key.status();
    const uint32_t db = key->prefix;
    if (db == std::numeric_limits<uint32_t>::max()) {
      return Status::Error("ERR tier " + path_ + ": db " + std::to_string(db) + " cannot be converted");
    }
    generations.of_db[db] = db;
    generations.next = db + 1;
    it->Seek(TierDbPrefix(db + 1));
  }
  Status scanned = FromRocks(it->status(), "scan version-2 keys", path_);
  if (!scanned.ok()) return scanned;
  it.reset();
  rocksdb::WriteBatch meta;
  rocksdb::Status added = meta.Put(meta_, kGenerationsKey, EncodeTierGenerations(generations));
  if (added.ok()) added = meta.Put(meta_, kFormatVersionKey, EncodeFixed64(kTierFormatVersion));
  if (!added.ok()) return FromRocks(added, "build conversion record", path_);
  Status put = FromRocks(db_->Write(NoWal(), &meta), "write format_version", path_);
  if (!put.ok()) return put;
  Status stamped = FlushAndWait(meta_, "flush meta");
  if (!stamped.ok()) return stamped;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (options.log) {
    options.log("tier " + path_ + ": converted " + std::to_string(generations.of_db.size()) +
                " dbs to format version 3 in " + std::to_string(elapsed.count()) + " ms");
  }
  return Status::Ok();
}

// Generations at or above the recorded `next` were allocated after the last commit, by
// writes that a crash cut short: the journal covers what they hold, the checkpoint never
// did, and the recorded map names none of them. They are dead, and `next` moves above
// them so that none is handed out again.
Status RocksTier::LoadGenerations() {
  std::string stored;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), meta_, kGenerationsKey, &stored);
  TierGenerations generations;
  if (!read.IsNotFound()) {
    if (!read.ok()) return FromRocks(read, "read generations", path_);
    Result<TierGenerations> decoded = DecodeTierGenerations(stored);
    if (!decoded.ok()) return Status::Corruption("tier " + path_ + ": " + decoded.status().message());
    generations = std::move(decoded).value();
  }
  uint32_t end = generations.next;
  for (rocksdb::ColumnFamilyHandle* family : {keys_, objects_}) {
    if (family == nullptr) continue;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToLast();
    if (std::optional<uint32_t> last = PrefixAt(*it); last && *last >= end) end = *last + 1;
    Status scanned = FromRocks(it->status(), "scan", path_);
    if (!scanned.ok()) return scanned;
  }
  if (end > generations.next) {
    generations.dead.emplace_back(generations.next, end);
    generations.next = end;
  }
  generations_ = std::move(generations);
  return Status::Ok();
}

// A stage left by a crash: committed (its record is in "meta") it is moved, as the
// commit would have; otherwise it is a round that never committed, and is dropped.
Status RocksTier::ResolveStage(const RocksTierOptions& options) {
  Result<std::optional<uint64_t>> committed = ReadMetaNumber(*db_, meta_, kStagedCheckpointKey, path_);
  if (!committed.ok()) return committed.status();
  if (committed->has_value()) {
    if (options.read_only || staged_keys_ == nullptr || staged_objects_ == nullptr) {
      return Status::Error("ERR tier " + path_ + " holds the checkpoint at LSN " + std::to_string(**committed) +
                           " in its stage, still to be moved (a server opening it completes it)");
    }
    if (options.log) {
      options.log("tier " + path_ + ": completing the checkpoint at LSN " + std::to_string(**committed) +
                  " from its stage");
    }
    Status moved = MoveStage();
    return moved.ok() ? ClearStage() : moved;
  }
  if (options.read_only) return Status::Ok();  // a leftover stage is never read
  for (rocksdb::ColumnFamilyHandle* family : {staged_keys_, staged_objects_}) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToFirst();
    Status scanned = FromRocks(it->status(), "scan stage", path_);
    if (!scanned.ok()) return scanned;
    if (it->Valid()) {
      if (options.log) options.log("tier " + path_ + ": dropping the stage of a round that did not commit");
      return ClearStage();
    }
  }
  return Status::Ok();
}

// Adds what each staged record does to the data families to `batch`, "keys" first (an
// erased key or a tombstone also deletes its value), then "objects", calling `added_one`
// after each record (it may write the batch out); stops at the first failure. Each record
// lands where it would have without the stage, so copying it again changes nothing.
Status RocksTier::AddStagedRecords(rocksdb::WriteBatch& batch, const std::function<Status()>& added_one) {
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  for (rocksdb::ColumnFamilyHandle* from : {staged_keys_, staged_objects_}) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, from));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      const rocksdb::Slice value = it->value();
      rocksdb::Status added;
      if (from == staged_objects_) {
        added = batch.Put(objects_, key, value);
      } else if (value.empty()) {  // erased
        added = batch.Delete(keys_, key);
        if (added.ok()) added = batch.Delete(objects_, key);
      } else {
        Result<TierKeyRef> where = KeyAt(*it, path_);
        if (!where.ok()) return where.status();
        Result<TierKeyMetadata> metadata = DecodeTierKeyMetadata(0, where->key, value.ToStringView());
        if (!metadata.ok()) return metadata.status();
        added = batch.Put(keys_, key, value);
        if (added.ok() && metadata->tombstone) added = batch.Delete(objects_, key);
      }
      if (!added.ok()) return FromRocks(added, "build move batch", path_);
      if (Status next = added_one(); !next.ok()) return next;
    }
    Status scanned = FromRocks(it->status(), "scan stage", path_);
    if (!scanned.ok()) return scanned;
  }
  return Status::Ok();
}

// Copies the stage into the data families in bounded batches, then, in one atomic flush,
// the data and the removal of the stage's record; the caller then drops the stage
// (ClearStage; a leftover is dropped by the next Open).
Status RocksTier::MoveStage() {
  stage_left_over_ = true;  // from here on the stage must not be committed again
  BoundedBatchWriter writer(*db_, "move stage", path_);
  Status copied = AddStagedRecords(writer.batch(), [&] {
    const size_t written_before = writer.batches_written();
    Status written = writer.Added();
    if (written.ok() && at_stage_point_ && written_before == 0 && writer.batches_written() == 1) {
      at_stage_point_("stage moving");
    }
    return written;
  });
  if (!copied.ok()) return copied;
  if (Status deleted = FromRocks(writer.batch().Delete(meta_, kStagedCheckpointKey), "build move batch", path_);
      !deleted.ok()) {
    return deleted;
  }
  if (Status written = writer.Flush(); !written.ok()) return written;
  return FlushUntilEmpty({keys_, objects_, meta_}, "flush moved stage");
}

// The staged families are dropped and created again: their files go at once, which a
// range deletion would not do for level-0 files (DeleteFilesInRange keeps them), and the
// stage never compacts. A crash in between leaves them missing, and the next Open creates
// them (create_missing_column_families).
// Failures leave stage_left_over_ set: the next stage starts by clearing again (a stage
// already moved must never be moved again, over newer writes).
Status RocksTier::ClearStage() {
  if (staged_keys_ != nullptr) {  // else dropped already, by a call that failed to create them
    const std::vector<rocksdb::ColumnFamilyHandle*> stage = {staged_keys_, staged_objects_};
    Status dropped = FromRocks(db_->DropColumnFamilies(stage), "drop stage", path_);
    if (!dropped.ok()) return dropped;
    for (rocksdb::ColumnFamilyHandle* family : stage) (void)db_->DestroyColumnFamilyHandle(family);
    staged_keys_ = staged_objects_ = nullptr;
  }
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {{kStagedKeysFamily, *staged_family_options_},
                                                                    {kStagedObjectsFamily, *staged_family_options_}};
  std::vector<rocksdb::ColumnFamilyHandle*> created;
  Status recreated = FromRocks(db_->CreateColumnFamilies(descriptors, &created), "create stage", path_);
  if (!recreated.ok()) return recreated;
  staged_keys_ = created[0];
  staged_objects_ = created[1];
  stage_left_over_ = false;
  return Status::Ok();
}

Status RocksTier::DropV1Values() {
  Status dropped = FromRocks(db_->DropColumnFamily(v1_values_), "drop version-1 values", path_);
  if (!dropped.ok()) return dropped;
  (void)db_->DestroyColumnFamilyHandle(v1_values_);
  v1_values_ = nullptr;
  return Status::Ok();
}

Status RocksTier::FlushAndWait(rocksdb::ColumnFamilyHandle* family, const char* what) {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options, family), what, path_);
}

Status RocksTier::FlushDataAndWait() {
  return FlushUntilEmpty({keys_, objects_}, "flush keys and objects");
}

// With the WAL off, what is still in a memtable when Commit returns is lost by a crash.
// After a failure and Resume(), a flush was seen to return OK in a loaded run while the
// memtable kept the batch (a checkpoint reported at LSN 3 reopened at LSN 2): so the
// commit checks that the memtables are empty, flushes again if not, and fails the round
// rather than report a checkpoint that is not on disk.
Status RocksTier::FlushUntilEmpty(const std::vector<rocksdb::ColumnFamilyHandle*>& families, const char* what) {
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    rocksdb::FlushOptions options;
    options.wait = true;
    if (Status flushed = FromRocks(db_->Flush(options, families), what, path_); !flushed.ok()) return flushed;
    bool empty = true;
    for (rocksdb::ColumnFamilyHandle* family : families) {
      for (const std::string& property : {rocksdb::DB::Properties::kNumEntriesActiveMemTable,
                                          rocksdb::DB::Properties::kNumEntriesImmMemTables}) {
        uint64_t entries = 0;
        if (!db_->GetIntProperty(family, property, &entries) || entries != 0) empty = false;
      }
    }
    if (empty) return Status::Ok();
  }
  return Status::IoError("tier " + path_ + ": " + what + ": memtables still hold data after " +
                         std::to_string(kAttempts) + " flushes");
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

Status RocksTier::Write(const TierBatch& batch) { return Apply(batch, /*stage=*/false); }

Status RocksTier::WriteStaged(const TierBatch& batch) { return Apply(batch, /*stage=*/true); }

// Keys go to the generation their db maps to in `routed`, a copy of generations_ that the
// batch's erases and swaps change as they come; generations_ takes it once RocksDB has
// the batch. An erase only unmaps the db (its generation stays whole until a commit has
// recorded the map without it: a crash before that shows the db as it was); the next
// put into the db allocates a fresh generation.
//
// Staged, the records go to the staged families under the same encoded keys (an erase
// as an empty metadata record), and readers keep the map from before the stage began.
Status RocksTier::Apply(const TierBatch& batch, bool stage) {
  std::lock_guard lock(write_mu_);
  if (Status resumed = ResumeAfterFailure(); !resumed.ok()) return resumed;
  stage = stage || staging_;  // once staged, every write joins the stage until the commit
  if (stage && !staging_ && stage_left_over_) {
    if (Status cleared = NoteFailure(ClearStage()); !cleared.ok()) return cleared;
  }
  rocksdb::ColumnFamilyHandle* const keys_family = stage ? staged_keys_ : keys_;
  rocksdb::ColumnFamilyHandle* const objects_family = stage ? staged_objects_ : objects_;
  if (keys_family == nullptr || objects_family == nullptr) return Status::Error("ERR tier " + path_ + " is read-only");
  const bool sets_metadata = std::any_of(batch.ops().begin(), batch.ops().end(), [](const TierBatch::Op& op) {
    return op.kind == TierBatch::Kind::kSetMetadata;
  });
  TierGenerations routed;
  {
    std::lock_guard generations_lock(generations_mu_);
    routed = generations_;
  }
  std::vector<uint32_t> erased;
  BatchEffects effects;  // kept only when a SetMetadata needs it
  // The tier's DRAM includes the write under way: counted only after it, RocksDB's copy of
  // a slice and the memtables' growth were counted against the keys while it ran (the I/O
  // thread's allocations reach used_memory at once), evicting keys during every round.
  set_last_memory_bytes(last_memory_bytes() + BytesWhileWriting(batch));
  struct MeasureAfterWrite {  // whichever way Write returns, the memtables grew or not
    RocksTier& tier;
    ~MeasureAfterWrite() { tier.set_last_memory_bytes(tier.stats().memory_bytes); }
  } measure_after_write{*this};
  if (during_write_) during_write_();
  rocksdb::WriteBatch rocks_batch;
  for (const TierBatch::Op& op : batch.ops()) {
    const TierEntry& entry = op.entry;
    const std::optional<uint32_t> generation = GenerationOf(routed, entry.db);
    rocksdb::Status added;
    switch (op.kind) {
      case TierBatch::Kind::kPut: {
        Result<uint32_t> target = generation ? Result<uint32_t>(*generation) : AllocateGeneration(routed, entry.db);
        if (!target.ok()) return target.status();
        added = AddPut(rocks_batch, keys_family, objects_family, *target, entry);
        if (sets_metadata) effects[EncodeTierKey(*target, entry.key)] = KeyMetadataOf(entry);
        break;
      }
      case TierBatch::Kind::kErase: {
        if (!generation) break;  // an empty db holds nothing to erase
        const std::string key = EncodeTierKey(*generation, entry.key);
        added = stage ? rocks_batch.Put(keys_family, key, rocksdb::Slice()) : rocks_batch.Delete(keys_family, key);
        if (added.ok()) added = rocks_batch.Delete(objects_family, key);
        if (sets_metadata) effects[key] = std::nullopt;
        break;
      }
      case TierBatch::Kind::kEraseDb:
        if (generation) erased.push_back(*generation);
        routed.of_db.erase(entry.db);
        break;
      case TierBatch::Kind::kSwapDb: {
        const std::optional<uint32_t> other = GenerationOf(routed, op.other_db);
        routed.of_db.erase(entry.db);
        routed.of_db.erase(op.other_db);
        if (other) routed.of_db[entry.db] = *other;
        if (generation) routed.of_db[op.other_db] = *generation;
        break;
      }
      case TierBatch::Kind::kSetMetadata: {
        std::optional<TierKeyMetadata> current;
        const std::string key = generation ? EncodeTierKey(*generation, entry.key) : std::string();
        if (auto found = effects.find(key); generation && found != effects.end()) {
          current = found->second;
        } else if (generation) {
          Result<std::optional<TierKeyMetadata>> stored = ReadLatestKeyMetadata(*generation, entry.db, entry.key);
          if (!stored.ok()) return stored.status();
          current = std::move(*stored);
        }
        if (!current || current->tombstone) {
          return Status::Error("ERR tier " + path_ + ": metadata-only write of db " + std::to_string(entry.db) +
                               " key '" + PrintableKey(entry.key) + "', which holds no value");
        }
        current->lsn = entry.lsn;
        current->expire_at_ms = entry.expire_at_ms;
        added = rocks_batch.Put(keys_family, key, EncodeTierKeyMetadata(*current));
        effects[key] = std::move(current);
        break;
      }
    }
    if (!added.ok()) return FromRocks(added, "build write batch", path_);
  }
  Status written;
  {
    // Readers take their snapshot and the map together under this lock, so that they
    // never pair this batch's keys with the map from before it (or the reverse). It is
    // held only while RocksDB inserts into its memtables.
    std::lock_guard generations_lock(generations_mu_);
    written = NoteFailure(FromRocks(db_->Write(NoWal(), &rocks_batch), "write", path_));
    if (written.ok()) {
      if (stage && !staging_) {
        staging_ = true;
        visible_of_db_ = generations_.of_db;
      }
      generations_ = std::move(routed);
      erased_since_commit_.insert(erased_since_commit_.end(), erased.begin(), erased.end());
    }
  }
  return written;
}

Result<uint32_t> RocksTier::AllocateGeneration(TierGenerations& generations, uint32_t db) {
  // The largest prefix stays free, so that [first, end) ranges of generations can always
  // be written. At one FLUSHALL of 16 dbs per second, 2^32 lasts eight years.
  if (generations.next == std::numeric_limits<uint32_t>::max()) {
    return Status::Error("ERR tier " + path_ + ": no generation left for db " + std::to_string(db));
  }
  const uint32_t generation = generations.next++;
  generations.of_db[db] = generation;
  return generation;
}

// Why this order makes Commit durable without a WAL: Write() puts data in the "keys" and
// "objects" memtables only. Flush(wait) of both (one atomic flush) returns after RocksDB
// has written their SST files, synced them and their directory, and recorded them in the
// synced MANIFEST, so every Write() that returned before this call now survives a crash.
// Only then is the checkpoint LSN written to "meta" and "meta" flushed the same way. A
// crash at any point leaves a recorded LSN whose data was flushed before it: the previous
// one or this one.
//
// (Recording the LSN with a synced WAL write instead would be one flush cheaper, but
// every data flush starts a new WAL file, and each file holding a meta record would
// stay alive until "meta" itself flushes: WAL files would pile up.)
//
// A stage goes one of two ways (CommitStage); readers keep the previous image (a
// snapshot) until it is done.
void RocksTier::SetServerState(std::string state) {
  std::lock_guard lock(commit_mu_);
  server_state_ = std::move(state);
}

Status RocksTier::Commit(uint64_t checkpoint_lsn) {
  std::lock_guard lock(commit_mu_);
  // A map recorded must not route keys of a stage it does not commit, nor may a stage
  // grow while it is moved: writes wait for the commit.
  std::lock_guard write_lock(write_mu_);
  if (Status resumed = ResumeAfterFailure(); !resumed.ok()) return resumed;
  // The map as of every Write so far; the generations erased since the last commit are
  // dead once this map is recorded.
  TierGenerations recorded;
  size_t newly_dead = 0;
  {
    std::lock_guard generations_lock(generations_mu_);
    recorded = generations_;
    newly_dead = erased_since_commit_.size();
    for (uint32_t generation : erased_since_commit_) recorded.dead.emplace_back(generation, generation + 1);
  }
  Status committed = NoteFailure(staging_ ? CommitStage(checkpoint_lsn, recorded) : CommitWrites(checkpoint_lsn, recorded));
  if (committed.ok()) {
    {
      std::lock_guard generations_lock(generations_mu_);
      generations_.dead = recorded.dead;
      erased_since_commit_.erase(erased_since_commit_.begin(),
                                 erased_since_commit_.begin() + static_cast<ptrdiff_t>(newly_dead));
    }
    CleanUpDeadGenerations();
  }
  set_last_memory_bytes(stats().memory_bytes);  // the memtables were flushed
  return committed;
}

Status RocksTier::CommitWrites(uint64_t checkpoint_lsn, const TierGenerations& recorded) {
  if (Status flushed = FlushDataAndWait(); !flushed.ok()) return flushed;
  return WriteCheckpointRecord(checkpoint_lsn, recorded, /*staged=*/false);
}

Status RocksTier::AddCheckpointRecord(rocksdb::WriteBatch& batch, uint64_t checkpoint_lsn,
                                      const TierGenerations& recorded, bool staged) {
  rocksdb::Status added = batch.Put(meta_, kCheckpointLsnKey, EncodeFixed64(checkpoint_lsn));
  if (added.ok()) added = batch.Put(meta_, kGenerationsKey, EncodeTierGenerations(recorded));
  if (added.ok() && staged) added = batch.Put(meta_, kStagedCheckpointKey, EncodeFixed64(checkpoint_lsn));
  if (added.ok() && server_state_.has_value()) {
    added = server_state_->empty() ? batch.Delete(meta_, kServerStateKey) : batch.Put(meta_, kServerStateKey, *server_state_);
  }
  return FromRocks(added, "build checkpoint record", path_);
}

Status RocksTier::WriteCheckpointRecord(uint64_t checkpoint_lsn, const TierGenerations& recorded, bool staged) {
  rocksdb::WriteBatch meta;
  if (Status added = AddCheckpointRecord(meta, checkpoint_lsn, recorded, staged); !added.ok()) return added;
  if (Status put = FromRocks(db_->Write(NoWal(), &meta), "write checkpoint_lsn", path_); !put.ok()) return put;
  return FlushUntilEmpty({meta_}, "flush meta");
}

// A stage that fits in one WriteBatch (most rounds of a cache under save rules) goes to
// the data families in that batch together with the checkpoint record: RocksDB applies a
// batch whole, and every flush (atomic_flush) takes the data and "meta" families together,
// so a crash shows all of it or none of it, and the stage never needs a disk write of its
// own. A larger stage is flushed with the data, then recorded together with
// `staged_checkpoint` (the commit point), then moved (MoveStage), idempotently, so that an
// Open finding the record moves it again; readers keep the previous image (a snapshot)
// during the move. A failure before the copy keeps the stage for the next commit.
Status RocksTier::CommitStage(uint64_t checkpoint_lsn, const TierGenerations& recorded) {
  Result<bool> in_one_batch = CommitStageInOneBatch(checkpoint_lsn, recorded);
  if (!in_one_batch.ok() || *in_one_batch) return in_one_batch.status();
  Status flushed = FlushUntilEmpty({keys_, objects_, staged_keys_, staged_objects_}, "flush data and stage");
  if (!flushed.ok()) return flushed;
  Status recorded_stage = WriteCheckpointRecord(checkpoint_lsn, recorded, /*staged=*/true);
  if (!recorded_stage.ok()) return recorded_stage;
  {
    std::lock_guard generations_lock(generations_mu_);
    moving_snapshot_ = std::make_shared<rocksdb::ManagedSnapshot>(db_.get());
  }
  // Committed whatever happens next: a failed move is finished by the next Commit (the
  // stage stays) or the next Open (the record stays).
  if (at_stage_point_) at_stage_point_("stage committed");
  if (Status moved = MoveStage(); !moved.ok()) return moved;
  EndStage();
  return Status::Ok();
}

// False, having written nothing, if the stage exceeds one_batch_stage_bytes_ (by default
// 4 MiB, the memory of one checkpoint slice). Once the batch
// is in the memtables the stage is over: readers see the new map with the data it routes
// (as after any Write), and a failed flush leaves a checkpoint that the next flush or
// commit makes durable, whole.
Result<bool> RocksTier::CommitStageInOneBatch(uint64_t checkpoint_lsn, const TierGenerations& recorded) {
  rocksdb::WriteBatch batch;
  bool too_large = false;
  Status copied = AddStagedRecords(batch, [&] {
    if (batch.GetDataSize() <= one_batch_stage_bytes_) return Status::Ok();
    too_large = true;
    return Status::Error("ERR stage larger than one batch");  // stops the copy
  });
  if (too_large) return false;
  if (!copied.ok()) return copied;
  if (Status added = AddCheckpointRecord(batch, checkpoint_lsn, recorded, /*staged=*/false); !added.ok()) return added;
  {
    std::lock_guard generations_lock(generations_mu_);
    Status written = FromRocks(db_->Write(NoWal(), &batch), "write stage and checkpoint", path_);
    if (!written.ok()) return written;
    staging_ = false;
    visible_of_db_.clear();
  }
  EndStage();
  if (at_stage_point_) at_stage_point_("one batch written");
  Status flushed = FlushUntilEmpty({keys_, objects_, meta_}, "flush data and checkpoint");
  if (!flushed.ok()) return flushed;
  return true;
}

void RocksTier::EndStage() {
  {
    std::lock_guard generations_lock(generations_mu_);
    staging_ = false;
    visible_of_db_.clear();
    moving_snapshot_.reset();
  }
  stage_left_over_ = true;  // copied into the data families
  (void)ClearStage();       // on failure the next stage clears it first
}

// A dead range is deleted with one range deletion per family, then RocksDB is asked to
// delete the files wholly inside it (compactions reclaim the rest). It leaves the dead
// list in memory at once; the next commit records the list without it, after its flush
// has made the range deletions durable, so a crash before that only cleans it again.
// Failures are left for the next commit: the range stays dead, nothing reads it.
void RocksTier::CleanUpDeadGenerations() {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  {
    std::lock_guard generations_lock(generations_mu_);
    const size_t count = std::min(generations_.dead.size(), kDeadRangesCleanedPerCommit);
    ranges.assign(generations_.dead.begin(), generations_.dead.begin() + static_cast<ptrdiff_t>(count));
  }
  if (ranges.empty()) return;
  rocksdb::WriteBatch batch;
  for (const auto& [first, end] : ranges) {
    for (rocksdb::ColumnFamilyHandle* family : {keys_, objects_}) {
      if (!batch.DeleteRange(family, TierDbPrefix(first), TierDbPrefix(end)).ok()) return;
    }
  }
  if (!NoteFailure(FromRocks(db_->Write(NoWal(), &batch), "drop dead generations", path_)).ok()) return;
  for (const auto& [first, end] : ranges) {
    const std::string begin_key = TierDbPrefix(first);
    const std::string end_key = TierDbPrefix(end);
    const rocksdb::Slice begin_slice(begin_key);
    const rocksdb::Slice end_slice(end_key);
    for (rocksdb::ColumnFamilyHandle* family : {keys_, objects_}) {
      (void)rocksdb::DeleteFilesInRange(db_.get(), family, &begin_slice, &end_slice, /*include_end=*/false);
    }
  }
  std::lock_guard generations_lock(generations_mu_);
  std::erase_if(generations_.dead, [&](const auto& range) {
    return std::find(ranges.begin(), ranges.end(), range) != ranges.end();
  });
}

Result<std::optional<TierKeyMetadata>> RocksTier::ReadKeyMetadata(uint32_t generation, uint32_t db,
                                                                  std::string_view key,
                                                                  const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  rocksdb::PinnableSlice stored;
  rocksdb::Status read = db_->Get(options, keys_, EncodeTierKey(generation, key), &stored);
  if (read.IsNotFound()) return std::optional<TierKeyMetadata>();
  if (!read.ok()) return FromRocks(read, "get", path_);
  Result<TierKeyMetadata> metadata = DecodeTierKeyMetadata(db, key, stored.ToStringView());
  if (!metadata.ok()) return metadata.status();
  return std::optional<TierKeyMetadata>(std::move(metadata).value());
}

RocksTier::ReadView RocksTier::OpenReadView() {
  std::lock_guard generations_lock(generations_mu_);
  ReadView view;
  view.snapshot = moving_snapshot_ != nullptr ? moving_snapshot_ : std::make_shared<rocksdb::ManagedSnapshot>(db_.get());
  view.of_db = staging_ ? visible_of_db_ : generations_.of_db;
  return view;
}

// What a SetMetadata rewrites: the key's latest metadata, staged or not.
Result<std::optional<TierKeyMetadata>> RocksTier::ReadLatestKeyMetadata(uint32_t generation, uint32_t db,
                                                                        std::string_view key) {
  if (staging_) {
    rocksdb::PinnableSlice stored;
    rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), staged_keys_, EncodeTierKey(generation, key), &stored);
    if (read.ok()) {
      if (stored.empty()) return std::optional<TierKeyMetadata>();  // erased in the stage
      Result<TierKeyMetadata> metadata = DecodeTierKeyMetadata(db, key, stored.ToStringView());
      if (!metadata.ok()) return metadata.status();
      return std::optional<TierKeyMetadata>(std::move(metadata).value());
    }
    if (!read.IsNotFound()) return FromRocks(read, "get staged", path_);
  }
  return ReadKeyMetadata(generation, db, key, nullptr);
}

namespace {

// Get's answer for a key whose metadata (and value, unless a tombstone) was read.
Tier::GetResult StoredEntry(TierKeyMetadata&& metadata, std::string_view object) {
  Result<TierEntry> entry = JoinTierEntry(std::move(metadata), object);
  if (!entry.ok()) return entry.status();
  return std::optional<TierEntry>(std::move(entry).value());
}

}  // namespace

Result<std::optional<TierEntry>> RocksTier::Get(uint32_t db, std::string_view key) {
  // One snapshot for both reads, so that a concurrent Write is seen whole or not at all.
  const ReadView view = OpenReadView();
  auto generation = view.of_db.find(db);
  if (generation == view.of_db.end()) return std::optional<TierEntry>();
  const rocksdb::Snapshot* snapshot = view.snapshot->snapshot();
  Result<std::optional<TierKeyMetadata>> metadata = ReadKeyMetadata(generation->second, db, key, snapshot);
  if (!metadata.ok()) return metadata.status();
  if (!metadata->has_value()) return std::optional<TierEntry>();
  rocksdb::PinnableSlice object;
  if (!(*metadata)->tombstone) {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot;
    rocksdb::Status read = db_->Get(options, objects_, EncodeTierKey(generation->second, key), &object);
    if (read.IsNotFound()) {
      return Status::Corruption("tier " + path_ + ": db " + std::to_string(db) + " key '" + PrintableKey(key) +
                                "' has metadata but no value");
    }
    if (!read.ok()) return FromRocks(read, "get", path_);
  }
  return StoredEntry(std::move(**metadata), object.ToStringView());
}

std::vector<Tier::GetResult> RocksTier::MultiGet(std::span<const TierKeyName> keys) {
  // One snapshot for all: two batched lookups, the metadata of every key, then the
  // values of those that are not tombstones.
  const ReadView view = OpenReadView();
  rocksdb::ReadOptions options;
  options.snapshot = view.snapshot->snapshot();
  std::vector<GetResult> results(keys.size(), GetResult(std::optional<TierEntry>()));
  std::vector<size_t> asked;  // indexes of the keys of dbs the tier maps
  std::vector<std::string> encoded;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto generation = view.of_db.find(keys[i].db);
    if (generation == view.of_db.end()) continue;
    asked.push_back(i);
    encoded.push_back(EncodeTierKey(generation->second, keys[i].key));
  }
  auto multi_get = [&](rocksdb::ColumnFamilyHandle* family, const std::vector<size_t>& which,
                       std::vector<rocksdb::PinnableSlice>& found, std::vector<rocksdb::Status>& statuses) {
    std::vector<rocksdb::Slice> slices;
    for (size_t j : which) slices.emplace_back(encoded[j]);
    found = std::vector<rocksdb::PinnableSlice>(which.size());
    statuses.assign(which.size(), rocksdb::Status());
    if (!which.empty()) db_->MultiGet(options, family, which.size(), slices.data(), found.data(), statuses.data());
  };
  std::vector<size_t> all(asked.size());
  for (size_t j = 0; j < all.size(); ++j) all[j] = j;
  std::vector<rocksdb::PinnableSlice> stored;
  std::vector<rocksdb::Status> statuses;
  multi_get(keys_, all, stored, statuses);
  std::vector<TierKeyMetadata> metadata(asked.size());
  std::vector<size_t> with_value;  // positions in `asked`
  for (size_t j = 0; j < asked.size(); ++j) {
    const TierKeyName& key = keys[asked[j]];
    if (statuses[j].IsNotFound()) continue;
    if (!statuses[j].ok()) {
      results[asked[j]] = FromRocks(statuses[j], "get", path_);
      continue;
    }
    Result<TierKeyMetadata> decoded = DecodeTierKeyMetadata(key.db, key.key, stored[j].ToStringView());
    if (!decoded.ok()) {
      results[asked[j]] = decoded.status();
      continue;
    }
    metadata[j] = std::move(decoded).value();
    if (!metadata[j].tombstone) {
      with_value.push_back(j);
      continue;
    }
    results[asked[j]] = StoredEntry(std::move(metadata[j]), {});
  }
  multi_get(objects_, with_value, stored, statuses);
  for (size_t v = 0; v < with_value.size(); ++v) {
    const size_t j = with_value[v];
    const TierKeyName& key = keys[asked[j]];
    if (statuses[v].IsNotFound()) {
      results[asked[j]] = Status::Corruption("tier " + path_ + ": db " + std::to_string(key.db) + " key '" +
                                             PrintableKey(key.key) + "' has metadata but no value");
    } else if (!statuses[v].ok()) {
      results[asked[j]] = FromRocks(statuses[v], "get", path_);
    } else {
      results[asked[j]] = StoredEntry(std::move(metadata[j]), stored[v].ToStringView());
    }
  }
  return results;
}

// Walks "keys" and "objects" side by side, one mapped generation after the other (dead
// ones are never read): both are in encoded-key order, and "objects" holds exactly the
// keys whose metadata is not a tombstone, so the value iterator normally just steps
// along; it seeks only if the two disagree.
Status RocksTier::ForEach(const std::function<Status(TierEntry&&)>& visit) {
  return ForEachKeyWithSmallValues(UINT64_MAX, [&](TierKeyMetadata&& metadata, std::string_view object) {
    Result<TierEntry> entry = JoinTierEntry(std::move(metadata), object);
    if (!entry.ok()) return entry.status();
    return visit(std::move(entry).value());
  });
}

Status RocksTier::ForEachKeyWithSmallValues(
    uint64_t small_value_bytes, const std::function<Status(TierKeyMetadata&&, std::string_view value)>& visit) {
  const ReadView view = OpenReadView();
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // a full scan (recovery) must not evict the hot blocks
  options.snapshot = view.snapshot->snapshot();
  std::unique_ptr<rocksdb::Iterator> keys(db_->NewIterator(options, keys_));
  // Values are read with an iterator of their own that follows the keys (both families
  // sort alike), seeking only past the values it skips.
  std::unique_ptr<rocksdb::Iterator> objects(db_->NewIterator(options, objects_));
  for (const auto& [db, generation] : view.of_db) {
    const std::string prefix = TierDbPrefix(generation);
    for (keys->Seek(prefix); keys->Valid() && keys->key().starts_with(prefix); keys->Next()) {
      const std::string_view key = keys->key().ToStringView().substr(prefix.size());
      Result<TierKeyMetadata> metadata = DecodeTierKeyMetadata(db, key, keys->value().ToStringView());
      if (!metadata.ok()) return metadata.status();
      std::string_view object;
      if (!metadata->tombstone && metadata->value_size < small_value_bytes) {
        if (!objects->Valid() || objects->key() != keys->key()) objects->Seek(keys->key());
        if (!objects->Valid() || objects->key() != keys->key()) {
          Status scanned = FromRocks(objects->status(), "scan", path_);
          if (!scanned.ok()) return scanned;
          return Status::Corruption("tier " + path_ + ": db " + std::to_string(db) + " key '" + PrintableKey(key) +
                                    "' has metadata but no value");
        }
        object = objects->value().ToStringView();
        if (Status agrees = CheckObjectAgainstMetadata(*metadata, object); !agrees.ok()) return agrees;
      }
      Status visited = visit(std::move(metadata).value(), object);
      if (!visited.ok()) return visited;
      if (!object.empty()) objects->Next();
    }
    Status scanned = FromRocks(keys->status(), "scan", path_);
    if (!scanned.ok()) return scanned;
  }
  return Status::Ok();
}

Status RocksTier::ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) {
  return ForEachKeyWithSmallValues(0, [&](TierKeyMetadata&& metadata, std::string_view) {
    return visit(std::move(metadata));
  });
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
  rocksdb::Status state = db_->Get(rocksdb::ReadOptions(), meta_, kServerStateKey, &metadata.server_state);
  if (!state.ok() && !state.IsNotFound()) return FromRocks(state, "read server_state", path_);
  if (state.IsNotFound()) metadata.server_state.clear();
  return metadata;
}

TierStats RocksTier::stats() const {
  const auto sum = [this](const std::string& property) {
    uint64_t value = 0;
    return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
  };
  using Properties = rocksdb::DB::Properties;
  TierStats stats;
  stats.disk_bytes = sum(Properties::kTotalSstFilesSize) + sum(Properties::kTotalBlobFileSize);
  stats.memory_bytes = block_cache_->GetUsage() + sum(Properties::kCurSizeAllMemTables) +
                       sum(Properties::kEstimateTableReadersMem);
  uint64_t keys = 0;
  if (db_->GetIntProperty(keys_, Properties::kEstimateNumKeys, &keys)) stats.keys = keys;
  return stats;
}

}  // namespace tierkv
