// Redis 7.2 parameters that tierkv accepts, stores and reports, but that have no
// effect here (replication, cluster, RDB/AOF file details, listpack sizes of
// types not built yet...). Accepting them keeps existing redis.conf files and
// configuration tooling working; docs/CONFIG.md lists them.
#include <map>

#include "server/config.h"
#include "server/config_param.h"
#include "server/command_table.h"

namespace tierkv {

namespace {

struct InertDefault {
  const char* name;
  const char* value;
  bool runtime;
};

constexpr InertDefault kInertParams[] = {
    {"protected-mode", "yes", true},
    {"tcp-keepalive", "300", true},
    {"supervised", "no", false},
    {"databases-placeholder", "", false},
};

}  // namespace

void Config::AddInertParams() {
  for (const InertDefault& d : kInertParams) {
    if (std::string_view(d.name) == "databases-placeholder") continue;
    auto value = std::make_shared<std::string>(d.value);
    params_.push_back(std::make_unique<Param>(Param{
        d.name, "", d.runtime, false, false,
        [value](const std::vector<std::string>& v) {
          *value = v[0];
          return Status::Ok();
        },
        [value] { return *value; }}));
  }
}

}  // namespace tierkv
