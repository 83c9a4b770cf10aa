#include "tools/check/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tierkv::check {

DataDirPaths PathsOf(const std::string& dir) {
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return {base, base + "/tier", base + "/journal"};
}

bool PathExists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

uint64_t FileBytes(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return static_cast<uint64_t>(info.st_size);
}

Result<DataDirLock> DataDirLock::Acquire(const DataDirPaths& paths) {
  const std::string lock_path = paths.tier + "/LOCK";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return DataDirLock(-1);
    return Status::IoError(lock_path + ": open: " + std::strerror(errno));
  }
  struct flock whole {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &whole) == 0) return DataDirLock(fd);
  const int error = errno;
  if (error != EACCES && error != EAGAIN) {
    ::close(fd);
    return Status::IoError(lock_path + ": lock: " + std::strerror(error));
  }
  struct flock holder {};
  holder.l_type = F_WRLCK;
  holder.l_whence = SEEK_SET;
  std::string who = "another process";
  if (::fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK) {
    who = "process " + std::to_string(holder.l_pid);
  }
  ::close(fd);
  return Status::Error(paths.tier + " is in use by " + who +
                       ": is a server running on this directory? Stop it first");
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<OpenedDataDir> OpenDataDir(const std::string& dir, bool require_contents) {
  DataDirPaths paths = PathsOf(dir);
  if (!PathExists(paths.dir)) return Status::Error(paths.dir + " does not exist");
  const bool has_tier = PathExists(paths.tier);
  if (require_contents && !has_tier && !PathExists(paths.journal)) {
    return Status::Error(paths.dir + " holds neither tier/ nor journal/: not a tierkv data directory");
  }
  auto lock = DataDirLock::Acquire(paths);
  if (!lock.ok()) return lock.status();
  return OpenedDataDir{std::move(paths), has_tier, std::move(*lock)};
}

}  // namespace tierkv::check
