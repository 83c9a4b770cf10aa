// Config::Param: one row of the configuration table (shared by config.cc and
// config_inert_params.cc).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/status.h"
#include "server/config.h"

namespace tierkv {

struct Config::Param {
  std::string name;
  std::string alias;
  bool runtime = true;     // CONFIG SET may change it
  bool effective = true;   // tierkv honours it (false: accepted and stored only)
  bool multi_word = false; // takes several words (save, bind, client-output-buffer-limit)
  std::function<Status(const std::vector<std::string>&)> set;
  std::function<std::string()> get;
  bool protected_config = false;  // CONFIG SET needs enable-protected-configs (dir, dbfilename)
};

}  // namespace tierkv
