// The server's memory figures, as INFO memory and MEMORY STATS / DOCTOR report them:
// one computation, so that the three never disagree.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>

namespace tierkv {

class Server;

struct MemoryFigures {
  uint64_t used = 0;            // used_memory: what maxmemory is enforced against
  uint64_t peak = 0;            // used_memory_peak
  uint64_t startup = 0;         // used_memory_startup
  uint64_t clients_normal = 0;  // query and output buffers of the connected clients
  uint64_t journal = 0;         // records the journal writer holds (Redis's aof.buffer)
  uint64_t overhead = 0;        // startup + key indexes + client buffers + journal
  uint64_t dataset = 0;         // used - overhead
  uint64_t net_used = 0;        // used - startup
  uint64_t rss = 0;
  uint64_t allocator_allocated = 0;
  uint64_t allocator_active = 0;
  uint64_t allocator_resident = 0;
  uint64_t keys = 0;

  static double Ratio(uint64_t a, uint64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  }
  double allocator_frag_ratio() const { return Ratio(allocator_active, allocator_allocated); }
  int64_t allocator_frag_bytes() const { return Difference(allocator_active, allocator_allocated); }
  double allocator_rss_ratio() const { return Ratio(allocator_resident, allocator_active); }
  int64_t allocator_rss_bytes() const { return Difference(allocator_resident, allocator_active); }
  double rss_overhead_ratio() const { return Ratio(rss, allocator_resident); }
  int64_t rss_overhead_bytes() const { return Difference(rss, allocator_resident); }
  double fragmentation_ratio() const { return Ratio(rss, used); }
  int64_t fragmentation_bytes() const { return Difference(rss, used); }

 private:
  static int64_t Difference(uint64_t a, uint64_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); }
};

MemoryFigures GatherMemoryFigures(Server& server);

}  // namespace tierkv
