// Journal segments: the files that hold the journal's records, how they are written and
// how they are read back at recovery.
//
// A journal is a directory of segment files named journal-<first LSN, 20 digits>.log
// (journal-00000000000000000001.log), so that sorting the names sorts by LSN. Files with
// other names are ignored. A segment is written in format version 2 (journal_frame.h: a
// header with a random nonce, then the records' frames in fixed-size blocks); segments
// of format version 1 (bare records, journal_record.h) written by earlier releases are
// still read, and never appended to.
//
// SegmentWriter frames whole records into the newest segment and starts a new one when
// the current one has reached the rotation size. It does not sync on its own: the
// journal writer thread decides when to call Sync() (every batch for appendfsync always,
// once a second for everysec).
//
// JournalScanner reads every record of every segment in LSN order (one SegmentReader per
// segment, journal_segment_reader.h, which says what is a torn tail and what is corrupt).
// Across segments it checks that:
//  - LSNs strictly increase, and no record is below its segment's name;
//  - no segment is missing: each segment's name is at most one above the last LSN the
//    journal accounts for before it (the checkpoint LSN, when the caller gives it; the
//    records of earlier segments; the LSN just below an earlier segment's name). A gap
//    INSIDE a segment is allowed: it is where numbering resumed above LSNs that never
//    reached the journal (appendonly was off, or a lost unsynced tail whose segment name
//    is above the last record: see recovery.h).
// A torn tail ends the scan normally (Next() returns false, damage() says where, and
// TruncateAt(file, offset) cuts it off so that the writer can append after it). Anything
// else returns Status::Corruption naming the file and offset, and damage() holds it.
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
#include "tiering/file_io.h"  // OsError, SyncDirectory: callers of this header use them
#include "tiering/journal_frame.h"
#include "tiering/journal_record.h"
#include "tiering/journal_segment_reader.h"

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
  // Block size of the segments it creates (journal_frame.h): the largest frame, so the
  // piece size of a large record. Tests use tiny ones. Default 32 KiB.
  uint32_t block_size = kDefaultJournalBlockSize;
};

class SegmentWriter {
 public:
  // Opens the journal in options.dir for appending. Records go after the end of the newest
  // existing segment (recovery must have scanned it and truncated any torn tail first); an
  // empty newest segment gets its header first. With no segment yet, or a newest segment
  // of format version 1, the first Append creates one.
  static Result<std::unique_ptr<SegmentWriter>> Open(SegmentWriterOptions options);

  ~SegmentWriter();  // closes the file; does not sync
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends `batch` (records as journal_record.h's EncodeRecord lays them out, the first
  // with LSN `first_lsn`), each record framed in the current segment with one write().
  // Starts a new segment named after `first_lsn` first if the current one has reached
  // rotate_size or is of format version 1 (the finished segment is synced before it is
  // closed; the new one's header is synced, and the directory after the file is created).
  // A new segment's first LSN must be above the current one's. size() then counts the
  // frames, not the batch. After a failed write or sync the file's state is unknown: the writer
  // stays failed and every later call returns the same error (retrying fsync after a
  // failure can report success for data that was lost).
  Status Append(uint64_t first_lsn, std::string_view batch);

  // The next Append starts a new segment whatever the current one's size (a checkpoint
  // round asks for it, so that the segment before can be dropped once the round ends).
  void RotateAtNextAppend() { rotate_requested_ = true; }
  // True when the next Append starts a new segment (and so syncs the current one first).
  bool RotatesAtNextAppend() const {
    return fd_ < 0 || legacy_ ||
           (size_ > kSegmentHeaderSize && (size_ >= options_.rotate_size || rotate_requested_));
  }

  // Closes the current segment (synced) and starts an empty one named `first_lsn`, above
  // the current one's name: recovery gives the LSNs it skips (up to the LSN reservation) a
  // segment to be a gap inside, so that the next segment does not look like a lost one.
  Status StartEmptySegment(uint64_t first_lsn);

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
  Status WriteHeader(uint64_t first_lsn);
  Status CloseCurrent();
  Status Failed(Status status);

  SegmentWriterOptions options_;
  int fd_ = -1;
  std::string path_;
  uint64_t first_lsn_ = 0;  // of the current segment
  uint64_t size_ = 0;
  SegmentHeader header_;    // of the current segment (version 2)
  bool legacy_ = false;     // the current segment is version 1: the next Append rotates
  Status failure_;          // sticky; ok() until a write or sync fails
  bool rotate_requested_ = false;
};

class JournalScanner {
 public:
  // Lists the segments of `dir`; reading starts with the first Next(). With
  // `checkpoint_lsn`, the journal must continue it: the segment holding the LSN after it
  // must exist (records at or below it are still returned).
  static Result<JournalScanner> Open(const std::string& dir,
                                     std::optional<uint64_t> checkpoint_lsn = std::nullopt);

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

  // The segments, in LSN order.
  const std::vector<JournalSegmentFile>& segments() const { return segments_; }
  // Bytes CRC-32C ran over in version 2 segments so far: at most about twice the journal's
  // size, however damaged (tests assert it to keep the scan linear).
  uint64_t bytes_checksummed() const { return checksummed_done_ + (reader_ ? reader_->bytes_checksummed() : 0); }

  // Cuts `file` to `offset` bytes and syncs it: the repair for a truncatable damage.
  static Status TruncateAt(const std::string& file, uint64_t offset);

 private:
  JournalScanner(std::vector<JournalSegmentFile> segments, std::optional<uint64_t> checkpoint_lsn)
      : segments_(std::move(segments)), accounted_lsn_(checkpoint_lsn) {}
  Status LoadSegment(size_t index);
  std::optional<JournalDamage> CheckContinuity(size_t index);
  Result<bool> Stop(JournalDamage damage);

  std::vector<JournalSegmentFile> segments_;
  size_t segment_index_ = 0;     // the segment in bytes_, if loaded_
  bool loaded_ = false;
  // The whole current segment, which reader_ views: on the heap, so that moving the
  // scanner does not move the bytes under it.
  std::unique_ptr<std::string> bytes_ = std::make_unique<std::string>();
  std::optional<SegmentReader> reader_;
  uint64_t checksummed_done_ = 0;  // by the readers of earlier segments
  bool seen_record_ = false;
  uint64_t last_lsn_ = 0;
  // Every LSN up to here is in the tier or in a segment read so far (or was skipped on
  // purpose inside one); unset until the first segment when no checkpoint was given.
  std::optional<uint64_t> accounted_lsn_;
  size_t record_segment_index_ = 0;  // valid once a record has been returned
  uint64_t record_offset_ = 0;
  std::optional<JournalDamage> damage_;
  std::optional<Status> final_status_;  // set once the scan has ended (ok = clean end)
};


}  // namespace tierkv
