#include "server/memory_figures.h"

#include <algorithm>

#include "engine/memory.h"
#include "server/connection.h"
#include "server/server.h"

namespace tierkv {

MemoryFigures GatherMemoryFigures(Server& server) {
  MemoryFigures f;
  // used_memory is read before the allocator statistics are refreshed: jemalloc's
  // stats.allocated also counts freed objects parked in thread caches.
  f.used = UsedMemory();
  const MemoryStats mem = GetMemoryStats();
  f.rss = ProcessRss();
  f.peak = std::max<uint64_t>(mem.peak, f.used);
  f.startup = std::min<uint64_t>(server.info_counters().startup_memory, f.used);
  for (const auto& [id, connection] : server.clients()) {
    f.clients_normal += connection->query_buffer_capacity() + connection->pending_output_bytes();
  }
  if (server.durability() != nullptr) f.journal = server.durability()->journal_memory_bytes();
  f.overhead = std::min<uint64_t>(f.used, f.startup + server.shard().OverheadBytes() + f.clients_normal + f.journal);
  f.dataset = f.used - f.overhead;
  f.net_used = f.used > f.startup ? f.used - f.startup : 0;
  f.allocator_allocated = mem.allocated;
  f.allocator_active = mem.active;
  f.allocator_resident = mem.resident;
  f.keys = server.shard().KeyCount();
  return f;
}

}  // namespace tierkv
