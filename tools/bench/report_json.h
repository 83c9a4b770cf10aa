// The JSON result file of a run, and the run's summary for the terminal.
//
// Latencies are in milliseconds (three decimals of a microsecond-exact histogram
// value); per command: count, errors, hits, misses, p50/p90/p99/p99.9/max/mean;
// `seconds` is the time series (ops, errors, hit rate, p50, p99 of each second from
// the start; the last one, holding the replies drained after the deadline, may be partial).
#pragma once

#include <cstdio>
#include <string>

#include "tools/bench/json_writer.h"
#include "tools/bench/run.h"

namespace tierkv::bench {

double Ms(uint64_t ns);
void WriteLatency(JsonWriter& json, const Histogram& histogram);
void WriteRunSpec(JsonWriter& json, const RunSpec& spec);
void WriteRunResult(JsonWriter& json, const RunResult& result);
// {"tool":..., "spec":..., "result":...}
std::string RunJson(const RunSpec& spec, const RunResult& result);

void PrintSummary(FILE* out, const RunSpec& spec, const RunResult& result);

bool WriteFile(const std::string& path, const std::string& contents, std::string* error);

}  // namespace tierkv::bench
