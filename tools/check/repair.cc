#include "tools/check/repair.h"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "tools/check/data_dir.h"
#include "tools/check/exit_codes.h"
#include "tools/check/journal_survey.h"
#include "tools/check/report.h"
#include "tools/check/tier_survey.h"

namespace tierkv::check {
namespace {

// Records that still decode in bytes about to be dropped.
struct Salvage {
  uint64_t records = 0;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
  uint64_t after_checkpoint = 0;  // of them, LSN above the checkpoint
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot be read");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Counts the records in bytes[from..] that decode and continue the LSN order after
// *previous_lsn (tiering/journal_segment_reader.h's SalvageRecords resynchronises past
// damage). Updates *previous_lsn.
void CountDecodable(std::string_view bytes, size_t from, uint64_t checkpoint_lsn, uint64_t* previous_lsn,
                    Salvage* salvage) {
  SalvageRecords(bytes, from, [&](const JournalRecord& record) {
    if (record.lsn <= *previous_lsn) return;
    ++salvage->records;
    if (salvage->first_lsn == 0) salvage->first_lsn = record.lsn;
    salvage->last_lsn = record.lsn;
    if (record.lsn > checkpoint_lsn) ++salvage->after_checkpoint;
    *previous_lsn = record.lsn;
  });
}

std::string Describe(const Salvage& salvage) {
  if (salvage.records == 0) return "no record there still decodes";
  return Count(salvage.records, "record there still decodes", "records there still decode") + " (" +
         LsnRange(salvage.first_lsn, salvage.last_lsn) + ")";
}

}  // namespace

int RunRepair(const CheckOptions& options) {
  auto data = OpenDataDir(options.dir, /*require_contents=*/false);
  if (!data.ok()) {
    std::cerr << "tierkv-check: " << data.status().message() << "\n";
    return kExitCannotRun;
  }
  const DataDirPaths& paths = data->paths;
  Report report;
  if (!PathExists(paths.journal)) {
    report.Line("no journal in " + paths.journal + ": nothing to repair");
    return kExitOk;
  }

  // The checkpoint tells lost writes from records the tier already holds.
  std::optional<uint64_t> checkpoint_lsn;
  if (PathExists(paths.tier)) {
    auto tier = OpenTierReadOnly(paths.tier);
    if (tier.ok()) {
      auto metadata = (*tier)->ReadMetadata();
      if (metadata.ok()) checkpoint_lsn = metadata->checkpoint_lsn;
    }
  }
  if (!checkpoint_lsn) {
    report.Warning("the tier cannot be read: every dropped record is counted as a lost write");
  }
  const uint64_t checkpoint = checkpoint_lsn.value_or(0);

  const JournalSurvey journal = SurveyJournal(paths.journal, checkpoint, checkpoint_lsn.has_value());
  if (!journal.read_error.ok()) {
    report.Error("journal unreadable: " + journal.read_error.message());
    return kExitDamaged;
  }
  if (!journal.damage.has_value()) {
    report.Line("journal " + paths.journal + " is intact (" + Count(journal.records, "record", "records") +
                "): nothing to repair");
    return kExitOk;
  }

  const JournalDamage& damage = *journal.damage;
  report.Line(std::string(damage.truncatable ? "torn tail" : "corruption") + " in " + DescribeJournalDamage(damage));
  report.Line("plan:");
  report.Line("  keep every record up to LSN " + std::to_string(journal.last_good_lsn) + " (" +
              Count(journal.records, "record", "records") + ")");

  uint64_t previous_lsn = journal.last_good_lsn;
  uint64_t lost_writes = 0;
  auto damaged_bytes = ReadFile(damage.file);
  if (!damaged_bytes.ok()) {
    report.Error(damaged_bytes.status().message());
    return kExitDamaged;
  }
  Salvage in_damaged;
  CountDecodable(*damaged_bytes, damage.offset, checkpoint, &previous_lsn, &in_damaged);
  lost_writes += in_damaged.after_checkpoint;
  std::vector<std::string> doomed;  // segments to delete, oldest first
  // After a missing segment the journal cannot continue: the segment after the gap goes
  // whole (cut to nothing, its name would still claim LSNs the journal lacks).
  const bool after_gap = damage.kind == JournalDamageKind::kMissingLsns;
  if (after_gap) {
    report.Line("  delete " + damage.file + " (" + std::to_string(damaged_bytes->size()) +
                " bytes, the first segment after the missing LSNs): " + Describe(in_damaged));
    doomed.push_back(damage.file);
  } else {
    report.Line("  truncate " + damage.file + " from " + std::to_string(damaged_bytes->size()) + " to " +
                std::to_string(damage.offset) + " bytes, dropping " +
                std::to_string(damaged_bytes->size() - damage.offset) +
                " bytes (the damaged record and everything after it); " + Describe(in_damaged));
  }

  for (size_t i = journal.damaged_segment + 1; i < journal.segments.size(); ++i) {
    const SegmentSummary& segment = journal.segments[i];
    auto bytes = ReadFile(segment.path);
    if (!bytes.ok()) {
      report.Error(bytes.status().message());
      return kExitDamaged;
    }
    Salvage later;
    CountDecodable(*bytes, 0, checkpoint, &previous_lsn, &later);
    lost_writes += later.after_checkpoint;
    report.Line("  delete " + segment.path + " (" + std::to_string(bytes->size()) + " bytes): " + Describe(later));
    doomed.push_back(segment.path);
  }
  const std::string checkpoint_text = checkpoint_lsn ? std::to_string(checkpoint) : "unknown";
  if (lost_writes > 0) {
    report.Line("  LOST: " + Count(lost_writes, "decodable record is", "decodable records are") +
                " above the checkpoint (LSN " + checkpoint_text + "): their writes are not in the tier");
  } else {
    report.Line("  every decodable dropped record is at or below the checkpoint (LSN " + checkpoint_text +
                "): the tier already holds its writes");
  }
  if (damage.kind != JournalDamageKind::kLsnOutOfOrder && !after_gap) {
    // LSNs are consecutive: a one-LSN hole before the first record that still decodes is
    // the damaged record's own.
    const uint64_t missing = journal.last_good_lsn + 1;
    if (in_damaged.first_lsn == missing + 1) {
      report.Line("  the damaged record itself is LSN " + std::to_string(missing) +
                  (checkpoint_lsn && missing <= checkpoint ? ": at or below the checkpoint, already in the tier"
                                                            : ": its write is lost too"));
    } else {
      report.Line("  the damaged record's own LSN cannot be read: if it was above the checkpoint, its write is lost too");
    }
  }

  if (!options.yes) {
    report.Line("nothing changed: copy " + paths.dir + " aside, then re-run with --yes to apply this plan");
    return kExitRepairNotApplied;
  }

  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
    if (::unlink(it->c_str()) != 0) {
      report.Error(OsError(*it, "unlink", errno).message());
      return kExitDamaged;
    }
    report.Line("deleted " + *it);
  }
  if (Status synced = SyncDirectory(paths.journal); !synced.ok()) {
    report.Error(synced.message());
    return kExitDamaged;
  }
  if (!after_gap) {
    if (Status cut = JournalScanner::TruncateAt(damage.file, damage.offset); !cut.ok()) {
      report.Error(cut.message());
      return kExitDamaged;
    }
    report.Line("truncated " + damage.file + " to " + std::to_string(damage.offset) + " bytes");
  }

  const JournalSurvey after = SurveyJournal(paths.journal, checkpoint, checkpoint_lsn.has_value());
  if (!after.read_error.ok() || after.damage.has_value()) {
    report.Error("the journal is still damaged after the repair: run tierkv-check --dir " + paths.dir);
    return kExitDamaged;
  }
  report.Line("repaired: the journal holds " + Count(after.records, "record", "records") +
              (after.records > 0 ? " (" + LsnRange(after.first_lsn, after.last_lsn) + ")" : std::string()));
  return kExitOk;
}

}  // namespace tierkv::check
