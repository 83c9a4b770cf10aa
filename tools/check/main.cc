// tierkv-check: verifies, repairs, imports into and exports from a tierkv data directory
// while no server runs on it. Usage and exit codes: check_options.cc, exit_codes.h and
// docs/OPERATIONS.md ("tierkv-check").
#include <iostream>
#include <string>
#include <vector>

#include "tools/check/check_options.h"
#include "tools/check/exit_codes.h"
#include "tools/check/export_rdb.h"
#include "tools/check/import_rdb.h"
#include "tools/check/repair.h"
#include "tools/check/verify.h"

int main(int argc, char** argv) {
  using namespace tierkv::check;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = ParseCheckOptions(args);
  if (!options.ok()) {
    std::cerr << "tierkv-check: " << options.status().message() << "\n\n" << CheckUsage();
    return kExitCannotRun;
  }
  switch (options->mode) {
    case Mode::kHelp:
      std::cout << CheckUsage();
      return kExitOk;
    case Mode::kVerify:
      return RunVerify(*options);
    case Mode::kRepair:
      return RunRepair(*options);
    case Mode::kImportRdb:
      return RunImportRdb(*options);
    case Mode::kExportRdb:
      return RunExportRdb(*options);
  }
  return kExitCannotRun;
}
