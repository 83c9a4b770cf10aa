// INFO: the text of Redis's INFO command, in Redis 7.2's sections, field names
// and number formats, so that dashboards and exporters written for Redis read
// tierkv unchanged. Fields for subsystems tierkv does not have (yet) keep the
// value Redis shows when that subsystem is idle (for example
// rdb_bgsave_in_progress:0); fields nothing could measure are left out.
//
// Also the counters INFO needs beyond ServerStats (per-command and per-error
// statistics, the instantaneous rates sampled by the cron), which the server
// owns and CONFIG RESETSTAT clears.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/command.h"

namespace tierkv {

class Server;

// A rate as Redis's instantaneous_* metrics: the cron feeds it a running total,
// it keeps the last 16 per-second rates and reports their mean.
class RateSampler {
 public:
  void Sample(int64_t now_ms, uint64_t total);
  double PerSecond() const;
  void Reset();

 private:
  static constexpr int kSamples = 16;
  int64_t last_ms_ = 0;
  uint64_t last_total_ = 0;
  double samples_[kSamples] = {};
  int next_ = 0;
};

// 40 random hex digits: run_id and master_replid, as Redis draws them.
std::string RandomHex40();

struct InfoCounters {
  InfoCounters();  // draws the replication id

  std::map<std::string, uint64_t, std::less<>> errors;  // error code ("ERR", "WRONGTYPE") -> count
  RateSampler ops;
  RateSampler net_input;
  RateSampler net_output;
  RateSampler tier_demotions;   // values leaving DRAM
  RateSampler tier_promotions;  // values read back into DRAM
  std::string replid;          // master_replid: random per process, as Redis
  size_t startup_memory = 0;   // used_memory when the server became ready

  // Counts an error reply by its code (the first word of `error_line`).
  void RecordError(std::string_view error_line);
};

// Where INFO's sections put their fields: INFO's text, or the metrics endpoint
// (server/metrics/), which shows the same figures without parsing that text.
class InfoFieldSink {
 public:
  virtual ~InfoFieldSink() = default;
  virtual void Field(std::string_view name, std::string_view value) = 0;
};

// Hands each field of INFO section `section` ("server", "stats", ...: INFO's lower-case
// name) to `sink`, in INFO's order. An unknown name hands nothing.
void VisitInfoFields(Server& server, std::string_view section, InfoFieldSink& sink);

// The INFO text for `sections` (INFO's arguments; empty = "default"), with
// CRLF line ends. Unknown section names add nothing.
std::string BuildInfo(Server& server, std::span<const std::string_view> sections);

// CONFIG RESETSTAT: zeroes every statistics counter INFO shows.
void ResetStats(Server& server);

// Called by the cron: feeds the instantaneous rates.
void SampleInstantaneousMetrics(Server& server, int64_t now_ms);

// "1.50K" style, as Redis's bytesToHuman.
std::string BytesToHuman(uint64_t bytes);

}  // namespace tierkv
