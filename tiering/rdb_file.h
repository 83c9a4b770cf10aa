// RDB files (dump.rdb): a writer that produces files Redis 7.0 loads, and a reader that
// walks any file Redis 1.x..7.2 writes (RDB versions 1..11), key by key.
//
//   file   = "REDIS" <version: 4 ASCII digits> <record>* <EOF opcode>
//            [<CRC-64 of everything before it: 8 bytes LE>]    (versions >= 5; 0 = none)
//   record = AUX <name: string> <value: string>
//          | SELECTDB <db: length>
//          | RESIZEDB <keys: length> <keys with an expire: length>
//          | MODULE_AUX <module id> <when> <module data>  | FUNCTION2 <library code: string>
//          | [EXPIRETIME_MS <8 bytes LE> | EXPIRETIME <4 bytes LE, seconds>]
//            [IDLE <length> | FREQ <1 byte>] <type byte> <key: string> <value>
// Note that the key sits between the type byte and the value: an object as the tier
// stores it (type byte + value, rdb_object.h) is split around the key in a file.
//
// Both sides reuse the primitives of rdb_format.h, rdb_object.h and crc64.h.
//
// RdbFileWriter writes to "<path>.tmp.<pid>" and only Finish() fsyncs it, renames it to
// `path` and fsyncs the directory: a crash never leaves a partial file under `path`
// (it may leave the temporary file behind).
//
// ReadRdbFile maps the file into memory (mmap) and parses it in place, releasing pages
// it has passed, so a multi-GB file is never copied into the heap. The file must not be
// truncated while it is read (a mapped page past the new end would fault with SIGBUS);
// Redis replaces dump.rdb by rename, which is safe. Every key is handed to a visitor as
// it is met; the checksum is verified at the end, so a caller that imports must treat
// its work as void when the read returns an error.
//
// Errors: OS failures are Status::IoError ("<path>: <operation>: <strerror>"); a damaged
// file (bad magic or version, truncation, unknown opcode or type, bad checksum, trailing
// bytes) is Status::Corruption naming the offset; a visitor's error is returned as is.
//
// Thread-safety: an RdbFileWriter belongs to one thread. ReadRdbFile / ReadRdbBuffer
// keep no state between calls and may run on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/entry.h"
#include "engine/rdb/rdb_format.h"
#include "engine/status.h"

namespace tierkv {

// ---- Writing ----

struct RdbFileWriterOptions {
  // Compression of keys and aux strings (object bytes are written as given).
  RdbWriteOptions rdb;
  // The "redis-ver" aux field. Redis only logs it; tools that sniff files compare it with
  // the RDB version, so it names the release whose format we write (RDB 10 = 7.0).
  std::string redis_version = "7.0.15";
  // The "ctime" aux field (unix seconds); 0 means the time Begin() runs.
  int64_t ctime = 0;
  // The "used-mem" aux field: Redis's memory use when it saved; informational.
  uint64_t used_mem = 0;
  // fsync the file and its directory in Finish(). Off only for tests and scratch files.
  bool sync = true;
};

class RdbFileWriter {
 public:
  explicit RdbFileWriter(std::string path, RdbFileWriterOptions options = {});
  // Without a successful Finish(), removes the temporary file.
  ~RdbFileWriter();
  RdbFileWriter(const RdbFileWriter&) = delete;
  RdbFileWriter& operator=(const RdbFileWriter&) = delete;

  // Creates the temporary file and writes the header and aux fields.
  Status Begin();
  // One function library (FUNCTION2 and its code), as Redis writes them: after Begin,
  // before the first SelectDb.
  Status AddFunctionLibrary(std::string_view code);
  // Starts database `db`: SELECTDB, then RESIZEDB with the number of keys that follow
  // and how many of them have an expire (sizing hints for the loader; 0 is allowed).
  Status SelectDb(uint32_t db, uint64_t keys, uint64_t expires);
  // One key of the current database. `object` is the serialized object (type byte +
  // value, as RdbObject / the tier store it); it is checked to be exactly one
  // well-formed object (Corruption otherwise) and split around the key. `expire_at_ms`
  // is absolute unix ms, or kNoExpire.
  Status Add(std::string_view key, int64_t expire_at_ms, std::string_view object);
  // EOF opcode and checksum, then flush, fsync, rename to the final path, fsync the
  // directory. The writer is done afterwards, whatever the outcome.
  Status Finish();

  uint64_t keys_written() const { return keys_written_; }
  const std::string& path() const { return path_; }

 private:
  Status Write(std::string_view bytes);  // buffered; the CRC covers what is flushed
  Status Flush();
  Status Fail(Status status);           // records the first error, returns it
  void Abandon();                        // closes and removes the temporary file

  std::string path_;
  std::string temp_path_;
  RdbFileWriterOptions options_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t crc_ = 0;
  bool begun_ = false;
  bool in_db_ = false;
  bool done_ = false;
  std::optional<Status> error_;  // sticky: the file is unusable after any error
  uint64_t keys_written_ = 0;
};

// ---- Reading ----

// One key as found in the file. The views point into the file's bytes and are valid
// only during the visitor's call; copy what you keep.
struct RdbFileEntry {
  uint32_t db = 0;
  std::string key;
  int64_t expire_at_ms = kNoExpire;  // absolute unix ms (negative times read as 0)
  uint8_t type = 0;                   // kRdbType*; see RdbTypeName / RdbTypeRedisName
  std::string_view value;             // the value's bytes as in the file (after the key)
  std::optional<uint64_t> idle_seconds;  // IDLE opcode (LRU), when the file has one
  std::optional<uint8_t> lfu_freq;       // FREQ opcode (LFU), when the file has one
  uint64_t offset = 0;                   // file offset of the key's first record byte

  // The serialized object: the type byte followed by the value, i.e. what RdbObject
  // reads, the tier stores and a DUMP payload carries before its footer.
  std::string ObjectBytes() const;
};

// Called for each key in file order; a non-OK Status stops the read and is returned.
// An empty visitor only checks the file (and fills the summary).
using RdbFileVisitor = std::function<Status(RdbFileEntry& entry)>;

struct RdbFileSummary {
  uint16_t version = 0;
  std::vector<std::pair<std::string, std::string>> aux;  // AUX fields in file order
  uint64_t keys = 0;
  std::map<uint8_t, uint64_t> keys_by_type;  // type id -> number of keys
  uint64_t functions_skipped = 0;            // function libraries (FUNCTION2 / pre-GA): not keys
  std::vector<std::string> function_libraries;  // the FUNCTION2 ones' code, in file order
  uint64_t module_aux_skipped = 0;           // MODULE_AUX records
  // False when the file carries no checksum (version < 5) or a zero one (Redis saved
  // with rdbchecksum no); true when the CRC-64 was checked and matched.
  bool checksum_verified = false;
  uint64_t bytes = 0;  // file size
};

// Reads the RDB file at `path`, calling `visit` for every key.
Result<RdbFileSummary> ReadRdbFile(const std::string& path, const RdbFileVisitor& visit);

// The same over bytes already in memory (e.g. a replication payload); messages name
// `name` and offsets into `rdb`.
Result<RdbFileSummary> ReadRdbBuffer(std::string_view rdb, const RdbFileVisitor& visit,
                                     std::string_view name = "rdb");

}  // namespace tierkv
