// Minimal leveled logging to stderr (or the logfile), in Redis's line format
// "pid:M dd Mon yyyy hh:mm:ss.mmm * message". Engine thread and start-up only.
#pragma once

#include <string>
#include <string_view>

namespace tierkv {

enum class LogLevel { kDebug, kVerbose, kNotice, kWarning, kNothing };

void SetLogLevel(std::string_view level);
void SetLogFile(const std::string& path);
void Log(LogLevel level, std::string_view message);
inline void LogVerbose(std::string_view m) { Log(LogLevel::kVerbose, m); }
inline void LogNotice(std::string_view m) { Log(LogLevel::kNotice, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }

}  // namespace tierkv
