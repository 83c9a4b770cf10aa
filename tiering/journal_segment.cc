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

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};


// The directory that holds `path`'s name: "a/b" -> "a", "/b" -> "/", "b" -> ".".
std::string ParentDirectory(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return OsError(path, "write", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

Status ReadWholeFile(const std::string& path, std::string* out) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return OsError(path, "open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return OsError(path, "fstat", errno);
  out->assign(static_cast<size_t>(st.st_size), '\0');
  size_t filled = 0;
  while (filled < out->size()) {
    const ssize_t got = ::read(fd.get(), out->data() + filled, out->size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return OsError(path, "read", errno);
    }
    if (got == 0) break;  // shrank since fstat: keep what exists
    filled += static_cast<size_t>(got);
  }
  out->resize(filled);
  return Status::Ok();
}

// True if a record that decodes cleanly starts anywhere after `from`: the damage at
// `from` is then not a torn tail, since a crash mid-append leaves nothing valid behind
// the record it interrupted. Tries every offset; the length and checksum checks reject
// almost all of them without reading their claimed payload.
bool ValidRecordFollows(std::string_view bytes, size_t from) {
  JournalRecord record;
  size_t consumed = 0;
  for (size_t at = from + 1; at + kJournalRecordHeaderSize < bytes.size(); ++at) {
    if (DecodeRecord(bytes.substr(at), &record, &consumed) == DecodeResult::kOk) return true;
  }
  return false;
}

}  // namespace

Status OsError(const std::string& path, const char* operation, int error) {
  return Status::IoError(path + ": " + operation + ": " + std::strerror(error));
}

Status SyncDirectory(const std::string& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return OsError(dir, "open", errno);
  if (::fsync(fd.get()) != 0) return OsError(dir, "fsync", errno);
  return Status::Ok();
}

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
  return Status::Ok();
}

Status SegmentWriter::StartSegment(uint64_t first_lsn) {
  const std::string path = options_.dir + "/" + JournalSegmentFileName(first_lsn);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return OsError(path, "open", errno);
  fd_ = fd;
  path_ = path;
  first_lsn_ = first_lsn;
  size_ = 0;
  // The new name must survive a crash as well as the bytes written into it.
  return SyncDirectory(options_.dir);
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

Status SegmentWriter::Append(uint64_t first_lsn, std::string_view encoded) {
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
  if (Status status = WriteAll(fd_, path_, encoded); !status.ok()) return Failed(status);
  size_ += encoded.size();
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

const char* JournalDamageKindName(JournalDamageKind kind) {
  switch (kind) {
    case JournalDamageKind::kTorn: return "torn";
    case JournalDamageKind::kCorrupt: return "corrupt";
    case JournalDamageKind::kLsnOutOfOrder: return "lsn-out-of-order";
  }
  return "unknown";
}

Result<JournalScanner> JournalScanner::Open(const std::string& dir) {
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(dir);
  if (!segments.ok()) return segments.status();
  return JournalScanner(std::move(segments).value());
}

Status JournalScanner::LoadSegment(size_t index) {
  segment_index_ = index;
  offset_ = 0;
  loaded_ = true;
  return ReadWholeFile(segments_[index].path, &bytes_);
}

Result<bool> JournalScanner::Stop(JournalDamage damage) {
  damage_ = std::move(damage);
  if (damage_->truncatable) {
    final_status_ = Status::Ok();
    return false;
  }
  final_status_ = Status::Corruption("journal " + damage_->file + " at offset " +
                                     std::to_string(damage_->offset) + ": " +
                                     JournalDamageKindName(damage_->kind) + " record (" +
                                     damage_->detail + ")");
  return *final_status_;
}

Result<bool> JournalScanner::Next(JournalRecord* record) {
  if (final_status_.has_value()) {
    if (!final_status_->ok()) return *final_status_;
    return false;
  }
  for (;;) {
    if (!loaded_ || offset_ == bytes_.size()) {
      const size_t next = loaded_ ? segment_index_ + 1 : 0;
      if (next >= segments_.size()) {
        final_status_ = Status::Ok();
        bytes_.clear();
        return false;
      }
      if (Status status = LoadSegment(next); !status.ok()) {
        final_status_ = status;
        return status;
      }
      continue;
    }
    const JournalSegmentFile& segment = segments_[segment_index_];
    const std::string_view rest = std::string_view(bytes_).substr(offset_);
    size_t consumed = 0;
    std::string why;
    const DecodeResult result = DecodeRecord(rest, record, &consumed, &why);
    if (result != DecodeResult::kOk) {
      const bool in_last_segment = segment_index_ + 1 == segments_.size();
      return Stop({.file = segment.path,
                   .offset = offset_,
                   .kind = result == DecodeResult::kIncomplete ? JournalDamageKind::kTorn
                                                               : JournalDamageKind::kCorrupt,
                   .truncatable = in_last_segment && !ValidRecordFollows(bytes_, offset_),
                   .detail = why});
    }
    const bool after_previous = !seen_record_ || record->lsn > last_lsn_;
    if (!after_previous || record->lsn < segment.first_lsn) {
      const std::string lsn = "LSN " + std::to_string(record->lsn);
      const std::string detail =
          !after_previous
              ? lsn + " after LSN " + std::to_string(last_lsn_)
              : lsn + " below the segment's first LSN " + std::to_string(segment.first_lsn);
      return Stop({.file = segment.path,
                   .offset = offset_,
                   .kind = JournalDamageKind::kLsnOutOfOrder,
                   .truncatable = false,
                   .detail = detail});
    }
    seen_record_ = true;
    last_lsn_ = record->lsn;
    record_segment_index_ = segment_index_;
    record_offset_ = offset_;
    offset_ += consumed;
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
