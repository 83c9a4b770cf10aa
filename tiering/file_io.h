// Small POSIX file helpers shared by the journal, the RDB file writer, the LSN reservation
// and CONFIG REWRITE: errno to Status, whole writes, directory syncs and atomic replacement.
//
// Thread-safety: free functions and a move-only fd owner; no shared state.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

// Closes the descriptor it owns (if any) when it goes.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor();
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Gives up ownership without closing.
  int release();

 private:
  int fd_;
};

// The one place in tiering/ where an errno becomes a Status: "<path>: <op>: <strerror>".
Status OsError(const std::string& path, const char* operation, int error);

// fsyncs a directory so that files created, renamed or removed in it survive a crash.
Status SyncDirectory(const std::string& dir);

// The directory that holds `path`'s name: "a/b" -> "a", "/b" -> "/", "b" -> ".".
std::string ParentDirectory(std::string path);

// Writes all of `bytes` at the file offset (retrying short writes and EINTR); `path` names
// the file in errors.
Status WriteAll(int fd, const std::string& path, std::string_view bytes);

// Makes the written temporary file `temp` (open as `fd`, which this closes) the file at
// `path`: fsync, close, rename over `path`, then fsync the directory so the new name survives
// a crash. With `sync` false, only close and rename. On any failure `temp` is removed and
// `path` keeps its previous content.
Status ReplaceWithTemporary(FileDescriptor fd, const std::string& temp, const std::string& path, bool sync);

// Replaces the file at `path` with `content`, atomically and durably: a crash leaves the old
// content or the new, never a mix.
Status WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace tierkv
