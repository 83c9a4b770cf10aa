// A server's data directory as tierkv-check sees it: where the tier and the journal live,
// and the lock that keeps a server and the tool from using them at the same time.
//
// While a server runs, RocksDB holds a POSIX write lock (fcntl) on DATA/tier/LOCK.
// DataDirLock takes the same lock, so a running server is detected (and named by pid)
// before anything is read, and a server started while the tool works fails to open the
// tier instead of writing under it. The lock belongs to the process: when the tool itself
// opens the tier for writing (--import-rdb), RocksDB's own lock on the same file succeeds,
// and closing the tier releases both, which is harmless that late.
//
// Thread-safety: DataDirLock is owned by the main thread; the functions are pure.
#pragma once

#include <string>

#include "engine/status.h"

namespace tierkv::check {

struct DataDirPaths {
  std::string dir;
  std::string tier;     // dir/tier
  std::string journal;  // dir/journal
};
DataDirPaths PathsOf(const std::string& dir);

bool PathExists(const std::string& path);
// The size of a regular file; 0 if it cannot be read.
uint64_t FileBytes(const std::string& path);

class DataDirLock {
 public:
  // Locks DATA/tier/LOCK if it exists (no tier yet: nothing to lock, nothing can be
  // running). Status::Error "... is a server running on this directory?" when another
  // process holds it.
  static Result<DataDirLock> Acquire(const DataDirPaths& paths);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The start of every mode that works on an existing directory: it must exist, hold a tier
// or a journal (when `require_contents`), and not be in use by a server. The Status
// message is what to print after "tierkv-check: ".
struct OpenedDataDir {
  DataDirPaths paths;
  bool has_tier = false;
  DataDirLock lock;
};
Result<OpenedDataDir> OpenDataDir(const std::string& dir, bool require_contents);

}  // namespace tierkv::check
