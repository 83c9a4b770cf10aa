// Config::Param: one row of the configuration table (shared by config.cc and
// config_inert_params.cc).
#pragma once

#include <functional>
#include <memory>
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
  // Parses and stores a value; an error leaves the stored value unchanged.
  std::function<Status(const std::vector<std::string>&)> set;
  std::function<std::string()> get;
  bool protected_config = false;  // CONFIG SET needs enable-protected-configs (dir, dbfilename)
  bool hidden = false;            // CONFIG GET answers it only when named, not through a pattern
  // Redis's apply step: run by CONFIG SET after every value of the command is
  // stored, when this one changed (rebinding listeners for port and bind). It
  // can fail; CONFIG SET then restores every value and applies them again.
  // Parameters sharing one step share the pointer, so it runs once.
  std::shared_ptr<const Config::ApplyStep> apply;
};

}  // namespace tierkv
