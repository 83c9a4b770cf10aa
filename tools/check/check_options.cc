#include "tools/check/check_options.h"

namespace tierkv::check {

const char* CheckUsage() {
  return "Usage: tierkv-check --dir DATA [--strict]            verify the tier and the journal\n"
         "       tierkv-check --dir DATA --repair [--yes]      cut the journal at its damage\n"
         "       tierkv-check --dir DATA --import-rdb FILE [--skip-unsupported] [--force]\n"
         "       tierkv-check --dir DATA --export-rdb FILE\n"
         "\n"
         "  --dir DATA          the server's data directory (DATA/tier, DATA/journal)\n"
         "  --strict            verify: any warning (a torn journal tail too) is a failure\n"
         "  --repair            print how the journal would be cut at its damage; with --yes\n"
         "                      cut it (truncate the damaged segment, delete later ones)\n"
         "  --import-rdb FILE   load a Redis dump.rdb into DATA, which must hold no data\n"
         "  --skip-unsupported  import: leave out keys of types tierkv cannot hold yet\n"
         "  --force             import into a DATA that already holds a tier or a journal\n"
         "  --export-rdb FILE   write the state a server would recover from DATA as dump.rdb\n"
         "\n"
         "The server must not be running on DATA. Exit status: 0 ok, 1 damage found or the\n"
         "operation failed, 2 repair needed but --yes not given, 3 import refused: the file\n"
         "holds types tierkv cannot hold, 4 could not run (arguments, directory, in use).\n";
}

Result<CheckOptions> ParseCheckOptions(const std::vector<std::string>& args) {
  CheckOptions options;
  bool mode_set = false;
  auto set_mode = [&](Mode mode, const std::string& flag) -> Status {
    if (mode_set && options.mode != mode) {
      return Status::Error("--repair, --import-rdb and --export-rdb exclude each other (" + flag + ")");
    }
    mode_set = true;
    options.mode = mode;
    return Status::Ok();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size() || args[i + 1].empty()) return Status::Error(arg + " needs a value");
      return args[++i];
    };
    Status status;
    if (arg == "--help" || arg == "-h") {
      options.mode = Mode::kHelp;
      return options;
    } else if (arg == "--dir") {
      auto dir = value();
      if (!dir.ok()) return dir.status();
      options.dir = *dir;
    } else if (arg == "--strict") {
      options.strict = true;
    } else if (arg == "--repair") {
      status = set_mode(Mode::kRepair, arg);
    } else if (arg == "--yes") {
      options.yes = true;
    } else if (arg == "--force") {
      options.force = true;
    } else if (arg == "--skip-unsupported") {
      options.skip_unsupported = true;
    } else if (arg == "--import-rdb" || arg == "--export-rdb") {
      status = set_mode(arg == "--import-rdb" ? Mode::kImportRdb : Mode::kExportRdb, arg);
      if (status.ok()) {
        auto path = value();
        if (!path.ok()) return path.status();
        options.rdb_path = *path;
      }
    } else {
      return Status::Error("unknown argument '" + arg + "'");
    }
    if (!status.ok()) return status;
  }
  if (options.dir.empty()) return Status::Error("--dir DATA is required");
  // A flag that would be silently ignored is a mistake in the command, not a no-op.
  if (options.yes && options.mode != Mode::kRepair) return Status::Error("--yes only applies to --repair");
  if ((options.force || options.skip_unsupported) && options.mode != Mode::kImportRdb) {
    return Status::Error("--force and --skip-unsupported only apply to --import-rdb");
  }
  if (options.strict && options.mode != Mode::kVerify) return Status::Error("--strict only applies to verification");
  return options;
}

}  // namespace tierkv::check
