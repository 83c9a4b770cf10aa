// Segment files of the journal: naming, appending with rotation, and the recovery scan.
// See journal_segment.h.
#include "tiering/journal_segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <utility>

namespace tierkv {
namespace {

constexpr std::string_view kSegmentPrefix = "journal-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr size_t kLsnDigits = 20;  // UINT64_MAX has 20 decimal digits

// Reads up to `limit` bytes from the start of the open file into *out.
Status ReadUpTo(int fd, const std::string& path, size_t limit, std::string* out) {
  out->assign(limit, '\0');
  size_t filled = 0;
  while (filled < limit) {
    const ssize_t got = ::read(fd, out->data() + filled, limit - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return OsError(path, "read", errno);
    }
    if (got == 0) break;  // shrank since the caller sized it: keep what exists
    filled += static_cast<size_t>(got);
  }
  out->resize(filled);
  return Status::Ok();
}

// Up to `limit` bytes from the start of `path` (the whole file with SIZE_MAX).
Status ReadFilePrefix(const std::string& path, size_t limit, std::string* out) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return OsError(path, "open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return OsError(path, "fstat", errno);
  return ReadUpTo(fd.get(), path, std::min(limit, static_cast<size_t>(st.st_size)), out);
}

}  // namespace

std::string JournalSegmentFileName(uint64_t first_lsn) {
  char digits[kLsnDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020" PRIu64, first_lsn);
  return std::string(kSegmentPrefix) + digits + std::string(kSegmentSuffix);
}

bool ParseJournalSegmentFileName(std::string_view name, uint64_t* first_lsn) {
  if (name.size() != kSegmentPrefix.size() + kLsnDigits + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return false;
  }
  const std::string_view digits = name.substr(kSegmentPrefix.size(), kLsnDigits);
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *first_lsn = value;
  return true;
}

Result<std::vector<JournalSegmentFile>> ListJournalSegments(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return OsError(dir, "opendir", errno);
  std::vector<JournalSegmentFile> segments;
  errno = 0;
  while (const dirent* entry = ::readdir(handle)) {
    uint64_t first_lsn = 0;
    if (ParseJournalSegmentFileName(entry->d_name, &first_lsn)) {
      segments.push_back({dir + "/" + entry->d_name, first_lsn});
    }
    errno = 0;
  }
  const int read_error = errno;
  ::closedir(handle);
  if (read_error != 0) return OsError(dir, "readdir", read_error);
  std::sort(segments.begin(), segments.end(),
            [](const JournalSegmentFile& a, const JournalSegmentFile& b) {
              return a.first_lsn < b.first_lsn;
            });
  return segments;
}

// ---------------------------------------------------------------------------------------
// SegmentWriter

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Open(SegmentWriterOptions options) {
  if (::mkdir(options.dir.c_str(), 0755) == 0) {
    // The new directory's name lives in its parent: sync that too, or a crash can lose
    // the whole journal directory along with every segment synced inside it.
    if (Status status = SyncDirectory(ParentDirectory(options.dir)); !status.ok()) return status;
  } else if (errno != EEXIST) {
    return OsError(options.dir, "mkdir", errno);
  }
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(options.dir);
  if (!segments.ok()) return segments.status();
  std::unique_ptr<SegmentWriter> writer(new SegmentWriter(std::move(options)));
  if (!segments->empty()) {
    if (Status status = writer->OpenExisting(segments->back()); !status.ok()) return status;
  }
  return writer;
}

SegmentWriter::~SegmentWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status SegmentWriter::OpenExisting(const JournalSegmentFile& segment) {
  std::string start;
  if (Status status = ReadFilePrefix(segment.path, kSegmentHeaderSize, &start); !status.ok()) return status;
  const int fd = ::open(segment.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return OsError(segment.path, "open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return OsError(segment.path, "fstat", error);
  }
  fd_ = fd;
  path_ = segment.path;
  first_lsn_ = segment.first_lsn;
  size_ = static_cast<uint64_t>(st.st_size);
  std::string why;
  switch (DetectSegmentFormat(start, &header_, &why)) {
    case SegmentFormat::kVersion2:
      return Status::Ok();
    case SegmentFormat::kEmpty:
      // Recovery cut a header that never reached the disk whole (or the writer was
      // reopened on a segment it had just created): give it one.
      return WriteHeader(segment.first_lsn);
    case SegmentFormat::kVersion1:
      // Kept as it is (a file holds one format); the next Append starts a version 2 one.
      legacy_ = true;
      return Status::Ok();
    case SegmentFormat::kTornHeader:
    case SegmentFormat::kBadHeader:
      break;
  }
  return Status::Corruption("journal " + segment.path + ": cannot append: " + why);
}

Status SegmentWriter::StartSegment(uint64_t first_lsn) {
  const std::string path = options_.dir + "/" + JournalSegmentFileName(first_lsn);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return OsError(path, "open", errno);
  fd_ = fd;
  path_ = path;
  first_lsn_ = first_lsn;
  size_ = 0;
  legacy_ = false;
  if (Status status = WriteHeader(first_lsn); !status.ok()) return status;
  // The new name must survive a crash as well as the bytes written into it.
  return SyncDirectory(options_.dir);
}

// Writes a version 2 header into the current segment, empty until now, and syncs it: a
// header is durable before any record depends on it, so a damaged one is never a torn tail.
Status SegmentWriter::WriteHeader(uint64_t first_lsn) {
  header_ = SegmentHeader{.version = kJournalFormatVersion,
                          .block_size = options_.block_size,
                          .nonce = NewSegmentNonce(),
                          .first_lsn = first_lsn};
  std::string bytes;
  EncodeSegmentHeader(header_, &bytes);
  if (Status status = WriteAll(fd_, path_, bytes); !status.ok()) return status;
  size_ = bytes.size();
  if (::fdatasync(fd_) != 0) return OsError(path_, "fdatasync", errno);
  return Status::Ok();
}

Status SegmentWriter::CloseCurrent() {
  if (::fdatasync(fd_) != 0) return OsError(path_, "fdatasync", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return OsError(path_, "close", errno);
  return Status::Ok();
}

Status SegmentWriter::Failed(Status status) {
  failure_ = status;
  return status;
}

Status SegmentWriter::Append(uint64_t first_lsn, std::string_view batch) {
  if (!failure_.ok()) return failure_;
  if (RotatesAtNextAppend()) {
    if (fd_ >= 0 && first_lsn <= first_lsn_) {
      return Status::Error("ERR journal segment " + JournalSegmentFileName(first_lsn) +
                           " would not sort after " + path_);
    }
    if (fd_ >= 0) {
      if (Status status = CloseCurrent(); !status.ok()) return Failed(status);
    }
    if (Status status = StartSegment(first_lsn); !status.ok()) return Failed(status);
    rotate_requested_ = false;
  }
  std::string framed;
  std::string_view payload;
  while (NextBatchPayload(&batch, &payload)) AppendFrames(payload, header_, size_ + framed.size(), &framed);
  if (!batch.empty()) return Status::Error("ERR journal batch ends inside a record");
  if (Status status = WriteAll(fd_, path_, framed); !status.ok()) return Failed(status);
  size_ += framed.size();
  return Status::Ok();
}

Status SegmentWriter::StartEmptySegment(uint64_t first_lsn) {
  if (!failure_.ok()) return failure_;
  if (fd_ >= 0 && first_lsn <= first_lsn_) {
    return Status::Error("ERR journal segment " + JournalSegmentFileName(first_lsn) + " would not sort after " + path_);
  }
  if (fd_ >= 0) {
    if (Status status = CloseCurrent(); !status.ok()) return Failed(status);
  }
  if (Status status = StartSegment(first_lsn); !status.ok()) return Failed(status);
  rotate_requested_ = false;
  return Status::Ok();
}

Status SegmentWriter::Sync() {
  if (!failure_.ok()) return failure_;
  if (fd_ < 0) return Status::Ok();
  if (::fdatasync(fd_) != 0) return Failed(OsError(path_, "fdatasync", errno));
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// JournalScanner

Result<JournalScanner> JournalScanner::Open(const std::string& dir, std::optional<uint64_t> checkpoint_lsn) {
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(dir);
  if (!segments.ok()) return segments.status();
  return JournalScanner(std::move(segments).value(), checkpoint_lsn);
}

Status JournalScanner::LoadSegment(size_t index) {
  if (reader_.has_value()) checksummed_done_ += reader_->bytes_checksummed();
  reader_.reset();
  segment_index_ = index;
  loaded_ = true;
  if (Status status = ReadFilePrefix(segments_[index].path, SIZE_MAX, bytes_.get()); !status.ok()) return status;
  const JournalSegmentFile& segment = segments_[index];
  reader_.emplace(*bytes_, segment.path, segment.first_lsn, index + 1 == segments_.size());
  return Status::Ok();
}

// A segment named N must follow LSN N - 1 or less: otherwise the LSNs between the last
// one accounted for and N were in a segment that is gone.
std::optional<JournalDamage> JournalScanner::CheckContinuity(size_t index) {
  const JournalSegmentFile& segment = segments_[index];
  if (!accounted_lsn_.has_value()) accounted_lsn_ = segment.first_lsn == 0 ? 0 : segment.first_lsn - 1;
  if (segment.first_lsn > *accounted_lsn_ + 1) {
    const std::string missing = "LSNs " + std::to_string(*accounted_lsn_ + 1) + ".." +
                                std::to_string(segment.first_lsn - 1) + " are missing";
    const std::string where = index == 0 ? " between the checkpoint (LSN " + std::to_string(*accounted_lsn_) +
                                               ") and the oldest segment"
                                         : " between " + segments_[index - 1].path + " and this segment";
    return JournalDamage{.file = segment.path,
                         .offset = 0,
                         .kind = JournalDamageKind::kMissingLsns,
                         .truncatable = false,
                         .detail = missing + where + ": a segment was lost"};
  }
  accounted_lsn_ = std::max(*accounted_lsn_, segment.first_lsn == 0 ? 0 : segment.first_lsn - 1);
  return std::nullopt;
}

Result<bool> JournalScanner::Stop(JournalDamage damage) {
  damage_ = std::move(damage);
  if (damage_->truncatable) {
    final_status_ = Status::Ok();
    return false;
  }
  final_status_ = Status::Corruption("journal " + DescribeJournalDamage(*damage_));
  return *final_status_;
}

Result<bool> JournalScanner::Next(JournalRecord* record) {
  if (final_status_.has_value()) {
    if (!final_status_->ok()) return *final_status_;
    return false;
  }
  for (;;) {
    if (!loaded_) {
      const size_t next = 0;
      if (segments_.empty()) {
        final_status_ = Status::Ok();
        return false;
      }
      if (std::optional<JournalDamage> gap = CheckContinuity(next)) return Stop(std::move(*gap));
      if (Status status = LoadSegment(next); !status.ok()) {
        final_status_ = status;
        return status;
      }
    }
    const JournalSegmentFile& segment = segments_[segment_index_];
    const SegmentReader::Step step = reader_->Next(record);
    if (step == SegmentReader::Step::kDamage) return Stop(*reader_->damage());
    if (step == SegmentReader::Step::kEnd) {
      const size_t next = segment_index_ + 1;
      if (next >= segments_.size()) {
        final_status_ = Status::Ok();
        checksummed_done_ += reader_->bytes_checksummed();
        reader_.reset();
        bytes_->clear();
        return false;
      }
      if (std::optional<JournalDamage> gap = CheckContinuity(next)) return Stop(std::move(*gap));
      if (Status status = LoadSegment(next); !status.ok()) {
        final_status_ = status;
        return status;
      }
      continue;
    }
    const uint64_t offset = reader_->record_offset();
    const bool after_previous = !seen_record_ || record->lsn > last_lsn_;
    if (!after_previous || record->lsn < segment.first_lsn) {
      const std::string lsn = "LSN " + std::to_string(record->lsn);
      const std::string detail =
          !after_previous
              ? lsn + " after LSN " + std::to_string(last_lsn_)
              : lsn + " below the segment's first LSN " + std::to_string(segment.first_lsn);
      return Stop({.file = segment.path,
                   .offset = offset,
                   .kind = JournalDamageKind::kLsnOutOfOrder,
                   .truncatable = false,
                   .detail = detail});
    }
    seen_record_ = true;
    last_lsn_ = record->lsn;
    accounted_lsn_ = std::max(accounted_lsn_.value_or(0), record->lsn);
    record_segment_index_ = segment_index_;
    record_offset_ = offset;
    return true;
  }
}

Status JournalScanner::TruncateAt(const std::string& file, uint64_t offset) {
  FileDescriptor fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return OsError(file, "open", errno);
  if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
    return OsError(file, "ftruncate", errno);
  }
  if (::fsync(fd.get()) != 0) return OsError(file, "fsync", errno);
  return Status::Ok();
}

}  // namespace tierkv
