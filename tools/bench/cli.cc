#include "tools/bench/cli.h"

#include <charconv>

namespace tierkv::bench {

void AddRunOptions(CLI::App& app, RunOptions& o) {
  app.add_option("-t,--target", o.targets, "server: NAME=HOST:PORT[,pid=PID], HOST:PORT or PORT (repeat for a sweep)")
      ->capture_default_str();
  app.add_option("-c,--connections", o.connections, "client connections")->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--threads", o.threads, "client threads the connections are spread over")
      ->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("-P,--pipeline", o.pipeline, "requests in flight per connection (open loop: at most)")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds to run (0: only --requests bounds the run)")
      ->check(CLI::Range(0.0, 86400.0))->capture_default_str();
  app.add_option("-n,--requests", o.requests, "requests to send (the pattern's first commands; 0: no count)")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "open loop: requests per second over all connections (0: closed loop)")
      ->check(CLI::Range(0.0, 1e9))->capture_default_str();
  app.add_option("-w,--workload", o.workload, "getset | hash | zset | queue | session | cache-aside")->capture_default_str();
  app.add_option("--ratio", o.ratio, "WRITES:READS of the pattern's first commands")->capture_default_str();
  app.add_option("-k,--keys", o.keys, "uniform | sequential | zipf[:THETA] | gaussian[:MEAN,STDDEV]")->capture_default_str();
  app.add_option("-r,--key-count", o.key_count, "keys in the range")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--key-first", o.key_first, "first key index of the range")->capture_default_str();
  app.add_option("--key-prefix", o.key_prefix, "key name prefix, then 12 digits (default key:, hash:, zset:, queue:, session:)");
  app.add_option("-d,--value-size", o.value_size, "N | MIN-MAX | SIZE:WEIGHT,...")->capture_default_str();
  app.add_option("--ttl", o.ttl, "session workload: SET EX / EXPIRE seconds")->check(CLI::Range(1u, 1u << 30))
      ->capture_default_str();
  app.add_option("--fields", o.fields, "hash fields / sorted-set members per key")->check(CLI::Range(1u, 1u << 30))
      ->capture_default_str();
  app.add_option("--user", o.user, "AUTH user (ACL)");
  app.add_option("-a,--password", o.password, "AUTH password");
  app.add_flag("-3,--resp3", o.resp3, "speak RESP3 (HELLO 3)");
  app.add_option("--db", o.db, "SELECT this db")->check(CLI::Range(0, 15))->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the key and value draws")->capture_default_str();
  app.add_option("--max-seconds", o.max_seconds, "hard time limit of a run")->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  app.add_option("--json", o.json_path, "write the JSON result here");
  app.add_option("--html", o.html_path, "write the HTML report here");
  app.add_option("--progress", o.progress, "auto | bar | lines | none")->capture_default_str();
}

std::optional<ProgressMode> ParseProgressMode(const std::string& text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "bar") return ProgressMode::kBar;
  if (text == "lines") return ProgressMode::kLines;
  if (text == "none") return ProgressMode::kNone;
  return std::nullopt;
}

namespace {

bool ParseRatio(const std::string& text, uint32_t* writes, uint32_t* reads) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  auto parse = [](std::string_view part, uint32_t* out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *out);
    return ec == std::errc() && end == part.data() + part.size();
  };
  const std::string_view view(text);
  return parse(view.substr(0, colon), writes) && parse(view.substr(colon + 1), reads) && *writes + *reads > 0;
}

}  // namespace

std::optional<RunSpec> ToRunSpec(const RunOptions& o, size_t target_index, std::string* error) {
  RunSpec spec;
  auto target = ParseTarget(o.targets.at(target_index), error);
  if (!target) return std::nullopt;
  spec.target = *target;
  spec.connect = ConnectSpec{o.user, o.password, o.resp3, o.db};
  auto kind = ParseWorkloadKind(o.workload);
  if (!kind) {
    *error = "unknown workload '" + o.workload + "'";
    return std::nullopt;
  }
  spec.workload.kind = *kind;
  if (!ParseRatio(o.ratio, &spec.workload.write_weight, &spec.workload.read_weight)) {
    *error = "bad --ratio '" + o.ratio + "' (WRITES:READS, e.g. 1:10)";
    return std::nullopt;
  }
  auto keys = ParseKeySpec(o.keys, error);
  if (!keys) return std::nullopt;
  spec.workload.keys = *keys;
  spec.workload.range = KeyRange{o.key_first, o.key_count};
  auto values = ValueSizes::Parse(o.value_size, error);
  if (!values) return std::nullopt;
  spec.workload.values = *values;
  spec.workload.key_prefix = o.key_prefix.empty() ? DefaultKeyPrefix(*kind) : o.key_prefix;
  spec.workload.ttl_seconds = o.ttl;
  spec.workload.fields = o.fields;
  spec.connections = o.connections;
  spec.threads = o.threads;
  spec.pipeline = o.pipeline;
  spec.duration_s = o.duration_s;
  spec.requests = o.requests;
  if (spec.duration_s == 0 && spec.requests == 0) {
    *error = "a run needs --duration or --requests";
    return std::nullopt;
  }
  spec.rate = o.rate;
  spec.max_seconds = o.max_seconds;
  spec.seed = o.seed;
  return spec;
}

}  // namespace tierkv::bench
