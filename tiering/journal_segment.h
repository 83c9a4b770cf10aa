// Journal segments: the files that hold the journal's records, how they are written and
// how they are read back at recovery.
//
// A journal is a directory of segment files named journal-<first LSN, 20 digits>.log
// (journal-00000000000000000001.log), so that sorting the names sorts by LSN. A segment
// is a plain concatenation of encoded records (journal_record.h); the name's LSN is a
// lower bound on the LSNs inside. Files with other names are ignored.
//
// SegmentWriter appends whole encoded records to the newest segment and starts a new one
// when the current one has reached the rotation size. It does not sync on its own: the
// journal writer thread decides when to call Sync() (every batch for appendfsync always,
// once a second for everysec).
//
// JournalScanner reads every record of every segment in LSN order, checking that LSNs
// strictly increase. When it meets a record it cannot decode it reports where:
//  - in the last segment, with no valid record anywhere after it: a torn tail left by a
//    crash mid-write. Next() ends the scan normally and damage() says where it is;
//    TruncateAt(file, offset) cuts it off so that the writer can append after it.
//  - anywhere else (an earlier segment, or valid records follow it), or an LSN that does
//    not increase: data the journal acknowledged is damaged. Next() returns
//    Status::Corruption naming the file and offset, and damage() holds the same.
//
// Every OS failure becomes Status::IoError("<path>: <operation>: <strerror>") here.
//
// Thread-safety: SegmentWriter and JournalScanner are not thread-safe; each instance
// belongs to one thread (the journal writer thread, the recovery code). The free
// functions are safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "tiering/journal_record.h"

namespace tierkv {

// "journal-<first_lsn as 20 zero-padded digits>.log".
std::string JournalSegmentFileName(uint64_t first_lsn);
// True, with *first_lsn set, when `name` is exactly a segment file name.
bool ParseJournalSegmentFileName(std::string_view name, uint64_t* first_lsn);

struct JournalSegmentFile {
  std::string path;  // dir + "/" + file name
  uint64_t first_lsn = 0;
};
// The segments in `dir`, sorted by first LSN. An IoError if `dir` cannot be listed.
Result<std::vector<JournalSegmentFile>> ListJournalSegments(const std::string& dir);

struct SegmentWriterOptions {
  // Directory of the segments; created (one level) if missing.
  std::string dir;
  // Once the current segment holds at least this many bytes, the next Append starts a
  // new segment. A batch is never split, so a segment may exceed this by one batch.
  // Default 64 MiB.
  uint64_t rotate_size = 64u << 20;
};

class SegmentWriter {
 public:
  // Opens the journal in options.dir for appending. Records go after the end of the newest
  // existing segment (recovery must have scanned it and truncated any torn tail first);
  // with no segment yet, the first Append creates one.
  static Result<std::unique_ptr<SegmentWriter>> Open(SegmentWriterOptions options);

  ~SegmentWriter();  // closes the file; does not sync
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends `encoded`: one or more whole records whose first LSN is `first_lsn`. Starts a
  // new segment named after `first_lsn` first if the current one has reached
  // rotate_size (the finished segment is synced before it is closed, and the directory is
  // synced after the new file is created). A new segment's first LSN must be above the
  // current one's. After a failed write or sync the file's state is unknown: the writer
  // stays failed and every later call returns the same error (retrying fsync after a
  // failure can report success for data that was lost).
  Status Append(uint64_t first_lsn, std::string_view encoded);

  // The next Append starts a new segment whatever the current one's size (a checkpoint
  // round asks for it, so that the segment before can be dropped once the round ends).
  void RotateAtNextAppend() { rotate_requested_ = true; }
  // True when the next Append starts a new segment (and so syncs the current one first).
  bool RotatesAtNextAppend() const {
    return fd_ < 0 || (size_ > 0 && (size_ >= options_.rotate_size || rotate_requested_));
  }

  // Makes everything appended so far durable (fdatasync of the current segment; finished
  // segments were synced when they were rotated out).
  Status Sync();

  // Bytes in the current segment (0 before the first segment exists).
  uint64_t size() const { return size_; }
  // Descriptor of the current segment (-1 before the first): the journal writer syncs a
  // duplicate of it on another thread.
  int fd() const { return fd_; }
  // Path of the current segment; empty before the first one exists.
  const std::string& current_path() const { return path_; }

 private:
  explicit SegmentWriter(SegmentWriterOptions options) : options_(std::move(options)) {}
  Status OpenExisting(const JournalSegmentFile& segment);
  Status StartSegment(uint64_t first_lsn);
  Status CloseCurrent();
  Status Failed(Status status);

  SegmentWriterOptions options_;
  int fd_ = -1;
  std::string path_;
  uint64_t first_lsn_ = 0;  // of the current segment
  uint64_t size_ = 0;
  Status failure_;          // sticky; ok() until a write or sync fails
  bool rotate_requested_ = false;
};

enum class JournalDamageKind {
  kTorn,           // the bytes end inside a record
  kCorrupt,        // checksum mismatch or impossible length
  kLsnOutOfOrder,  // a valid record whose LSN does not exceed the previous one
};
const char* JournalDamageKindName(JournalDamageKind kind);

struct JournalDamage {
  std::string file;     // path of the segment
  uint64_t offset = 0;  // where the damaged record starts
  JournalDamageKind kind = JournalDamageKind::kCorrupt;
  bool truncatable = false;  // a torn tail: TruncateAt(file, offset) repairs the journal
  std::string detail;        // what the decoder said
};

class JournalScanner {
 public:
  // Lists the segments of `dir`; reading starts with the first Next().
  static Result<JournalScanner> Open(const std::string& dir);

  // The next record, in LSN order. Returns true with *record filled; false at the end of
  // the journal (clean, or a truncatable tail: see damage()); Status::Corruption on fatal
  // damage (also in damage()); Status::IoError if a segment cannot be read. After false or
  // an error, every later call returns the same. *record is meaningful only after true.
  Result<bool> Next(JournalRecord* record);

  // Where the scan stopped on damage, if it did.
  const std::optional<JournalDamage>& damage() const { return damage_; }
  // The LSN of the last good record returned; 0 if none.
  uint64_t last_lsn() const { return last_lsn_; }
  // The segment and offset of the record Next() last returned (only after one was).
  const std::string& record_file() const { return segments_[record_segment_index_].path; }
  uint64_t record_offset() const { return record_offset_; }

  // Cuts `file` to `offset` bytes and syncs it: the repair for a truncatable damage.
  static Status TruncateAt(const std::string& file, uint64_t offset);

 private:
  explicit JournalScanner(std::vector<JournalSegmentFile> segments)
      : segments_(std::move(segments)) {}
  Status LoadSegment(size_t index);
  Result<bool> Stop(JournalDamage damage);

  std::vector<JournalSegmentFile> segments_;
  size_t segment_index_ = 0;     // the segment in bytes_, if loaded_
  bool loaded_ = false;
  std::string bytes_;            // the whole current segment
  size_t offset_ = 0;            // next record's offset in bytes_
  bool seen_record_ = false;
  uint64_t last_lsn_ = 0;
  size_t record_segment_index_ = 0;  // valid once a record has been returned
  uint64_t record_offset_ = 0;
  std::optional<JournalDamage> damage_;
  std::optional<Status> final_status_;  // set once the scan has ended (ok = clean end)
};

// The one place in tiering/ where an errno becomes a Status: "<path>: <op>: <strerror>".
Status OsError(const std::string& path, const char* operation, int error);
// fsyncs a directory so that files created or removed in it survive a crash.
Status SyncDirectory(const std::string& dir);

}  // namespace tierkv
