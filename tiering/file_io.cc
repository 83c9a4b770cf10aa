#include "tiering/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tierkv {

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

int FileDescriptor::release() { return std::exchange(fd_, -1); }

Status OsError(const std::string& path, const char* operation, int error) {
  return Status::IoError(path + ": " + operation + ": " + std::strerror(error));
}

Status SyncDirectory(const std::string& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return OsError(dir, "open", errno);
  if (::fsync(fd.get()) != 0) return OsError(dir, "fsync", errno);
  return Status::Ok();
}

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

Status ReplaceWithTemporary(FileDescriptor fd, const std::string& temp, const std::string& path, bool sync) {
  auto fail = [&temp](Status status) {
    ::unlink(temp.c_str());
    return status;
  };
  if (sync && ::fsync(fd.get()) != 0) return fail(OsError(temp, "fsync", errno));
  if (::close(fd.release()) != 0) return fail(OsError(temp, "close", errno));
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail(OsError(path, "rename", errno));
  return sync ? SyncDirectory(ParentDirectory(path)) : Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return OsError(temp, "open", errno);
  if (Status status = WriteAll(fd.get(), temp, content); !status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return ReplaceWithTemporary(std::move(fd), temp, path, /*sync=*/true);
}

}  // namespace tierkv
