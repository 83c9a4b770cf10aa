// Workloads: which commands a connection sends, on which keys, with which values.
//
// A Workload belongs to one connection (not thread-safe); the KeyPicker it draws keys
// from is shared by the run. Next() appends the next request's RESP bytes; FollowUp()
// appends what a pattern sends after a reply (cache-aside's SET after a GET miss, the
// session's EXPIRE after a hit), so the pattern's second command goes out on the same
// connection, as the application's would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tools/bench/distributions.h"
#include "tools/bench/rng.h"

namespace tierkv::bench {

enum class Command : uint8_t { kGet, kSet, kHset, kHget, kZadd, kZrange, kLpush, kBrpop, kExpire, kCount };
constexpr size_t kCommandCount = static_cast<size_t>(Command::kCount);
const char* CommandName(Command command);
// Reads whose reply tells a hit from a miss (nil, or an empty range).
bool CountsHits(Command command);

struct WorkloadSpec {
  enum class Kind { kGetSet, kHash, kZset, kQueue, kSession, kCacheAside };
  Kind kind = Kind::kGetSet;
  // --ratio WRITES:READS (memtier's SET:GET order): the share of writes among the
  // pattern's first commands. Queues alternate LPUSH and BRPOP whatever the ratio.
  uint32_t write_weight = 1;
  uint32_t read_weight = 10;
  KeySpec keys;
  KeyRange range{0, 100'000};
  ValueSizes values = ValueSizes::Fixed(64);
  std::string key_prefix = "key:";
  uint32_t ttl_seconds = 600;      // session: SET EX and EXPIRE
  uint32_t fields = 16;            // hash fields / sorted-set members per key
  uint32_t brpop_timeout_s = 1;    // queue: bounds a BRPOP on a queue another connection emptied
};
std::optional<WorkloadSpec::Kind> ParseWorkloadKind(std::string_view name);
const char* WorkloadName(WorkloadSpec::Kind kind);
// Each type of value its own prefix, so that workloads run one after another on one
// server do not meet each other's keys (WRONGTYPE). Cache-aside shares GET/SET's.
const char* DefaultKeyPrefix(WorkloadSpec::Kind kind);

struct Request {
  Command command = Command::kGet;
  uint64_t key = 0;
};

class Workload {
 public:
  Workload(const WorkloadSpec& spec, KeyPicker& keys, uint64_t seed);

  Request Next(std::string& out);
  // After `done` was answered (`empty`: nil or empty), appends the request the pattern
  // sends next on that key, if any.
  std::optional<Request> FollowUp(const Request& done, bool empty, std::string& out);

 private:
  void AppendKey(std::string& out, uint64_t key);
  void AppendValue(std::string& out);
  void AppendMember(std::string& out, char tag);
  Request Emit(std::string& out, Command command, uint64_t key);
  bool DrawWrite();

  const WorkloadSpec& spec_;
  KeyPicker& keys_;
  Rng rng_;
  std::string value_bytes_;
  bool queue_pop_next_ = false;
  uint64_t queue_key_ = 0;
};

}  // namespace tierkv::bench
