#include "tiering/lsn_reservation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "tiering/crc32c.h"
#include "tiering/file_io.h"
#include "tiering/little_endian.h"

namespace tierkv {
namespace {

constexpr char kFileName[] = "lsn-reserved";
constexpr size_t kFileSize = 12;

std::string FilePath(const std::string& dir) { return dir + "/" + kFileName; }

}  // namespace

Result<uint64_t> ReadLsnReservation(const std::string& journal_dir) {
  const std::string path = FilePath(journal_dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return uint64_t{0};
    return OsError(path, "open", errno);
  }
  char bytes[kFileSize + 1];
  const ssize_t got = ::read(fd, bytes, sizeof(bytes));
  const int error = errno;
  ::close(fd);
  if (got < 0) return OsError(path, "read", error);
  if (static_cast<size_t>(got) != kFileSize || LoadLittleEndian<uint32_t>(bytes + 8) != Crc32c(0, bytes, 8)) {
    return Status::Corruption("journal " + path + ": not a valid LSN reservation (remove it only if no replica "
                              "or client may have seen LSNs above the journal's last record)");
  }
  return LoadLittleEndian<uint64_t>(bytes);
}

Status WriteLsnReservation(const std::string& journal_dir, uint64_t up_to) {
  std::string bytes(kFileSize, '\0');
  StoreLittleEndian<uint64_t>(up_to, bytes.data());
  StoreLittleEndian<uint32_t>(Crc32c(0, bytes.data(), 8), bytes.data() + 8);
  return WriteFileAtomically(FilePath(journal_dir), bytes);
}

}  // namespace tierkv
