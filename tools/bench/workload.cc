#include "tools/bench/workload.h"

#include <charconv>

#include "tools/bench/resp.h"

namespace tierkv::bench {

const char* CommandName(Command command) {
  static constexpr const char* kNames[] = {"GET", "SET", "HSET", "HGET", "ZADD", "ZRANGE", "LPUSH", "BRPOP", "EXPIRE"};
  return kNames[static_cast<size_t>(command)];
}

bool CountsHits(Command command) {
  return command == Command::kGet || command == Command::kHget || command == Command::kZrange;
}

std::optional<WorkloadSpec::Kind> ParseWorkloadKind(std::string_view name) {
  using Kind = WorkloadSpec::Kind;
  for (Kind kind : {Kind::kGetSet, Kind::kHash, Kind::kZset, Kind::kQueue, Kind::kSession, Kind::kCacheAside}) {
    if (name == WorkloadName(kind)) return kind;
  }
  return std::nullopt;
}

const char* WorkloadName(WorkloadSpec::Kind kind) {
  switch (kind) {
    case WorkloadSpec::Kind::kGetSet: return "getset";
    case WorkloadSpec::Kind::kHash: return "hash";
    case WorkloadSpec::Kind::kZset: return "zset";
    case WorkloadSpec::Kind::kQueue: return "queue";
    case WorkloadSpec::Kind::kSession: return "session";
    case WorkloadSpec::Kind::kCacheAside: return "cache-aside";
  }
  return "?";
}

const char* DefaultKeyPrefix(WorkloadSpec::Kind kind) {
  switch (kind) {
    case WorkloadSpec::Kind::kHash: return "hash:";
    case WorkloadSpec::Kind::kZset: return "zset:";
    case WorkloadSpec::Kind::kQueue: return "queue:";
    case WorkloadSpec::Kind::kSession: return "session:";
    default: return "key:";
  }
}

Workload::Workload(const WorkloadSpec& spec, KeyPicker& keys, uint64_t seed)
    : spec_(spec), keys_(keys), rng_(seed) {
  // Values are slices of one buffer of printable bytes that do not repeat with a short
  // period, so a server that compresses gains no more than on real data of that size.
  value_bytes_.resize(spec_.values.max());
  Rng fill(seed ^ 0x76616c7565ULL);
  for (char& c : value_bytes_) c = static_cast<char>('!' + fill.Below(94));
}

bool Workload::DrawWrite() {
  const uint64_t total = uint64_t{spec_.write_weight} + spec_.read_weight;
  return total > 0 && rng_.Below(total) < spec_.write_weight;
}

void Workload::AppendKey(std::string& out, uint64_t key) {
  // prefix + 12 digits, zero-padded, as redis-benchmark names its keys (key:000000001234).
  char digits[20];
  int n = 0;
  for (; n < 12 || key != 0; ++n) {
    digits[n] = static_cast<char>('0' + key % 10);
    key /= 10;
  }
  const size_t length = spec_.key_prefix.size() + static_cast<size_t>(n);
  out.push_back('$');
  out.append(std::to_string(length));
  out.append("\r\n", 2);
  out.append(spec_.key_prefix);
  for (int i = n - 1; i >= 0; --i) out.push_back(digits[i]);
  out.append("\r\n", 2);
}

void Workload::AppendValue(std::string& out) {
  const size_t size = spec_.values.Next(rng_);
  AppendBulk(out, std::string_view(value_bytes_).substr(0, size));
}

void Workload::AppendMember(std::string& out, char tag) {
  char buf[24] = {tag, ':'};
  auto [end, ec] = std::to_chars(buf + 2, buf + sizeof buf, rng_.Below(spec_.fields));
  (void)ec;
  AppendBulk(out, std::string_view(buf, static_cast<size_t>(end - buf)));
}

Request Workload::Emit(std::string& out, Command command, uint64_t key) {
  switch (command) {
    case Command::kGet:
      out.append("*2\r\n$3\r\nGET\r\n");
      AppendKey(out, key);
      break;
    case Command::kSet:
      if (spec_.kind == WorkloadSpec::Kind::kSession) {
        out.append("*5\r\n$3\r\nSET\r\n");
        AppendKey(out, key);
        AppendValue(out);
        AppendBulk(out, "EX");
        AppendBulkNumber(out, spec_.ttl_seconds);
      } else {
        out.append("*3\r\n$3\r\nSET\r\n");
        AppendKey(out, key);
        AppendValue(out);
      }
      break;
    case Command::kHset:
      out.append("*4\r\n$4\r\nHSET\r\n");
      AppendKey(out, key);
      AppendMember(out, 'f');
      AppendValue(out);
      break;
    case Command::kHget:
      out.append("*3\r\n$4\r\nHGET\r\n");
      AppendKey(out, key);
      AppendMember(out, 'f');
      break;
    case Command::kZadd:
      out.append("*4\r\n$4\r\nZADD\r\n");
      AppendKey(out, key);
      AppendBulkNumber(out, rng_.Below(1'000'000));
      AppendMember(out, 'm');
      break;
    case Command::kZrange:
      out.append("*4\r\n$6\r\nZRANGE\r\n");
      AppendKey(out, key);
      out.append("$1\r\n0\r\n$1\r\n9\r\n");
      break;
    case Command::kLpush:
      out.append("*3\r\n$5\r\nLPUSH\r\n");
      AppendKey(out, key);
      AppendValue(out);
      break;
    case Command::kBrpop:
      out.append("*3\r\n$5\r\nBRPOP\r\n");
      AppendKey(out, key);
      AppendBulkNumber(out, spec_.brpop_timeout_s);
      break;
    case Command::kExpire:
      out.append("*3\r\n$6\r\nEXPIRE\r\n");
      AppendKey(out, key);
      AppendBulkNumber(out, spec_.ttl_seconds);
      break;
    case Command::kCount: break;
  }
  return Request{command, key};
}

Request Workload::Next(std::string& out) {
  using Kind = WorkloadSpec::Kind;
  if (spec_.kind == Kind::kQueue) {
    // LPUSH then BRPOP on the same queue: in one connection's order the pop finds the
    // pushed item unless another connection took it first.
    if (queue_pop_next_) {
      queue_pop_next_ = false;
      return Emit(out, Command::kBrpop, queue_key_);
    }
    queue_pop_next_ = true;
    queue_key_ = keys_.Next(rng_);
    return Emit(out, Command::kLpush, queue_key_);
  }
  const uint64_t key = keys_.Next(rng_);
  const bool write = DrawWrite();
  switch (spec_.kind) {
    case Kind::kGetSet: return Emit(out, write ? Command::kSet : Command::kGet, key);
    case Kind::kHash: return Emit(out, write ? Command::kHset : Command::kHget, key);
    case Kind::kZset: return Emit(out, write ? Command::kZadd : Command::kZrange, key);
    case Kind::kSession: return Emit(out, write ? Command::kSet : Command::kGet, key);
    // Cache-aside writes only on a miss (FollowUp); the ratio does not apply.
    case Kind::kCacheAside: return Emit(out, Command::kGet, key);
    case Kind::kQueue: break;
  }
  return Emit(out, Command::kGet, key);
}

std::optional<Request> Workload::FollowUp(const Request& done, bool empty, std::string& out) {
  if (done.command != Command::kGet) return std::nullopt;
  if (spec_.kind == WorkloadSpec::Kind::kCacheAside && empty) return Emit(out, Command::kSet, done.key);
  if (spec_.kind == WorkloadSpec::Kind::kSession) {
    // A session read refreshes its TTL (sliding expiry); a missing session is created.
    return Emit(out, empty ? Command::kSet : Command::kExpire, done.key);
  }
  return std::nullopt;
}

}  // namespace tierkv::bench
