#include "tiering/rocks_info_log.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>

namespace tierkv {

std::shared_ptr<RocksInfoLog> RocksInfoLog::Open(const std::string& path) {
  // One run's log, the previous one kept beside it (RocksDB keeps LOG.old.<time> files).
  (void)std::rename(path.c_str(), (path + ".old").c_str());
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr) return nullptr;
  return std::shared_ptr<RocksInfoLog>(new RocksInfoLog(file));
}

RocksInfoLog::~RocksInfoLog() { std::fclose(file_); }

void RocksInfoLog::Logv(const char* format, va_list ap) {
  timeval now;
  gettimeofday(&now, nullptr);
  tm local;
  localtime_r(&now.tv_sec, &local);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y/%m/%d-%H:%M:%S", &local);
  std::lock_guard<std::mutex> lock(mutex_);
  // Errors (ENOSPC, EIO) are ignored: the next line tries again.
  std::fprintf(file_, "%s.%06ld ", stamp, static_cast<long>(now.tv_usec));
  std::vfprintf(file_, format, ap);
  std::fputc('\n', file_);
  std::fflush(file_);
  std::clearerr(file_);
}

}  // namespace tierkv
