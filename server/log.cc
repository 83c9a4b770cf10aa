#include "server/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace tierkv {
namespace {

LogLevel g_level = LogLevel::kNotice;  // process-wide logging setting, set at start-up and by CONFIG SET
std::FILE* g_file = stderr;

}  // namespace

void SetLogLevel(std::string_view level) {
  if (level == "debug") g_level = LogLevel::kDebug;
  else if (level == "verbose") g_level = LogLevel::kVerbose;
  else if (level == "warning") g_level = LogLevel::kWarning;
  else if (level == "nothing") g_level = LogLevel::kNothing;
  else g_level = LogLevel::kNotice;
}

void SetLogFile(const std::string& path) {
  if (path.empty()) return;
  if (std::FILE* file = std::fopen(path.c_str(), "a")) g_file = file;
}

void Log(LogLevel level, std::string_view message) {
  if (level < g_level || g_level == LogLevel::kNothing) return;
  static const char kMarks[] = {'.', '-', '*', '#'};
  timeval tv;
  gettimeofday(&tv, nullptr);
  std::tm tm_now;
  localtime_r(&tv.tv_sec, &tm_now);
  char stamp[64];
  const size_t n = std::strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S", &tm_now);
  std::fprintf(g_file, "%d:M %.*s.%03d %c %.*s\n", static_cast<int>(getpid()), static_cast<int>(n), stamp,
               static_cast<int>(tv.tv_usec / 1000), kMarks[static_cast<int>(level)], static_cast<int>(message.size()),
               message.data());
  std::fflush(g_file);
}

}  // namespace tierkv
