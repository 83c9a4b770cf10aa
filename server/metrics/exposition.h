// The metrics endpoint's page: Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Every family is
// named tierkv_*, with HELP and TYPE lines; counters end in _total.
//
// What it shows: the figures of INFO's server, clients, memory, persistence, stats
// and CPU sections (and tiering, when it is on) under their INFO names; per command
// its calls, time, failed and rejected calls (INFO commandstats) and, while
// latency-tracking is on, a latency histogram; errors by code (INFO errorstats);
// keys per database (INFO keyspace).
//
// Thread-safety: engine thread only (it reads the server's state).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tierkv {

class Server;

// Writes the exposition format: families, then their samples.
class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts family `name` ("tierkv_keyspace_hits_total"), `type` "counter", "gauge"
  // or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample; `name` is the family's, or with a histogram's _bucket/_sum/_count.
  void Sample(std::string_view name, Labels labels, double value);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// The whole page, as of now.
std::string BuildMetricsPage(Server& server);

}  // namespace tierkv
