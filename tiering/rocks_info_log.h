// RocksDB's informational log (the tier directory's LOG file), written without RocksDB's
// file writer.
//
// Why: RocksDB 7.8's logger appends through a WritableFileWriter, which asserts that no
// earlier append failed. Debian's librocksdb keeps assertions, so on a full disk the first
// flush error RocksDB logs after a failed LOG write aborts the server. This log writes
// with stdio and drops what the disk refuses: RocksDB's own messages are diagnostics,
// never data.
//
// Thread-safety: Logv may be called from any RocksDB thread (a mutex orders the lines).
#pragma once

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace tierkv {

class RocksInfoLog final : public rocksdb::Logger {
 public:
  // Writes `path` afresh (the previous one becomes path.old); nullptr if it cannot be
  // opened, and RocksDB then opens its own.
  static std::shared_ptr<RocksInfoLog> Open(const std::string& path);
  ~RocksInfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  explicit RocksInfoLog(std::FILE* file) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_(file) {}

  std::mutex mutex_;
  std::FILE* file_;
};

}  // namespace tierkv
