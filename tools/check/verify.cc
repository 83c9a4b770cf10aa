#include "tools/check/verify.h"

#include <algorithm>
#include <iostream>

#include "engine/shard.h"
#include "tools/check/data_dir.h"
#include "tools/check/exit_codes.h"
#include "tools/check/journal_survey.h"
#include "tools/check/report.h"
#include "tools/check/tier_survey.h"

namespace tierkv::check {
namespace {

// Redis's default `databases`; a directory using more needs the server started with more.
constexpr uint32_t kDefaultDatabases = 16;

void PrintTier(Report& report, const std::string& path, const TierSurvey& tier) {
  report.Line("tier " + path + ": format version " + std::to_string(tier.format_version) + ", checkpoint LSN " +
              std::to_string(tier.checkpoint_lsn));
  report.Line("  keys: " + std::to_string(tier.keys) + " (" + std::to_string(tier.with_ttl) + " with a TTL, " +
              std::to_string(tier.expired) + " already expired), tombstones: " + std::to_string(tier.tombstones) +
              ", largest LSN: " + std::to_string(tier.max_lsn));
  std::string per_db;
  for (const auto& [db, keys] : tier.keys_by_db) per_db += " db" + std::to_string(db) + "=" + std::to_string(keys);
  report.Line("  keys per db:" + (per_db.empty() ? std::string(" none") : per_db));
  report.Line("  bytes: " + std::to_string(tier.key_bytes + tier.value_bytes) + " of keys and values, " +
              std::to_string(tier.disk_bytes) + " on disk");
}

void PrintJournal(Report& report, const std::string& path, const JournalSurvey& journal) {
  if (!journal.present) {
    report.Line("journal " + path + ": none");
    return;
  }
  std::string range = LsnRange(journal.first_lsn, journal.last_lsn);
  report.Line("journal " + path + ": " + Count(journal.segments.size(), "segment", "segments") + ", " +
              Count(journal.records, "record", "records") + ", " + std::to_string(journal.bytes) + " bytes" +
              (range.empty() ? "" : ", " + range));
  for (size_t i = 0; i < journal.segments.size(); ++i) {
    const SegmentSummary& segment = journal.segments[i];
    const std::string name = segment.path.substr(segment.path.rfind('/') + 1);
    range = LsnRange(segment.first_lsn, segment.last_lsn);
    std::string records = Count(segment.records, "record", "records");
    if (journal.damage.has_value() && i == journal.damaged_segment) records += " before the damage";
    // The scan stops at damage: later segments are not read (see --repair for their records).
    if (journal.damage.has_value() && i > journal.damaged_segment) records = "not read (after the damage)";
    report.Line("  " + name + ": " + records + ", " + std::to_string(segment.bytes) + " bytes" +
                (range.empty() ? "" : ", " + range));
  }
  range = LsnRange(journal.first_after_checkpoint, journal.last_after_checkpoint);
  report.Line("  records after the checkpoint: " + std::to_string(journal.records_after_checkpoint) +
              (range.empty() ? "" : " (" + range + ")"));
  std::string effects;
  for (const auto& [verb, count] : journal.effects) effects += " " + verb + "=" + std::to_string(count);
  report.Line("  effects:" + (effects.empty() ? std::string(" none") : effects));
}

// `checkpoint_known`: false when the tier exists but cannot be read, so "after the
// checkpoint" is unknown and LSN gaps cannot be judged.
void JudgeJournal(Report& report, const JournalSurvey& journal, const std::string& dir, bool checkpoint_known) {
  if (!journal.read_error.ok()) report.Error("journal unreadable: " + journal.read_error.message());
  if (journal.damage.has_value()) {
    const JournalDamage& damage = *journal.damage;
    const uint64_t cut = FileBytes(damage.file) - damage.offset;
    const std::string where = DescribeJournalDamage(damage);
    if (damage.truncatable) {
      report.Warning("torn tail in " + where + "; a server cuts the last " + std::to_string(cut) +
                     " bytes when it starts (a crash mid-write leaves this)");
    } else {
      report.Error("journal corruption in " + where + " after LSN " + std::to_string(journal.last_good_lsn) +
                   "; a server refuses to start. Copy " + dir + " aside, then see: tierkv-check --dir " + dir +
                   " --repair");
    }
  }
  if (!checkpoint_known) {
    report.Line("note: the checkpoint LSN is unknown (the tier is unreadable): LSN gaps are not judged");
  } else {
    for (const LsnGap& gap : journal.gaps) {
      report.Warning("journal records " + LsnRange(gap.first, gap.last) +
                     " are missing after the checkpoint (never journaled, or lost): their writes cannot be recovered");
    }
    if (journal.gap_count > journal.gaps.size()) {
      report.Warning(std::to_string(journal.gap_count - journal.gaps.size()) + " more LSN gaps not listed");
    }
  }
  for (const std::string& malformed : journal.malformed) report.Error("unreplayable effect: " + malformed);
  if (journal.malformed_count > journal.malformed.size()) {
    report.Error(std::to_string(journal.malformed_count - journal.malformed.size()) + " more unreplayable effects");
  }
  for (const auto& [verb, count] : journal.unknown_after_checkpoint) {
    report.Warning(Count(count, "effect", "effects") + " '" + verb +
                   "' after the checkpoint are unknown to this tierkv-check (written by a newer server?)");
  }
}

}  // namespace

int RunVerify(const CheckOptions& options) {
  auto data = OpenDataDir(options.dir, /*require_contents=*/true);
  if (!data.ok()) {
    std::cerr << "tierkv-check: " << data.status().message() << "\n";
    return kExitCannotRun;
  }
  const DataDirPaths& paths = data->paths;
  const bool has_tier = data->has_tier;

  Report report;
  report.Line("tierkv-check: verifying " + paths.dir);
  std::unique_ptr<RocksTier> tier;
  uint64_t checkpoint_lsn = 0;
  bool checkpoint_known = !has_tier;  // no tier: a server starts from checkpoint 0
  if (!has_tier) {
    report.Warning("no tier in " + paths.tier + ": a server starts from an empty tier and replays the whole journal");
  } else {
    auto opened = OpenTierReadOnly(paths.tier);
    if (!opened.ok()) {
      report.Error("tier cannot be opened: " + opened.status().message());
    } else {
      tier = std::move(*opened);
      auto metadata = tier->ReadMetadata();
      if (!metadata.ok()) {
        report.Error("tier metadata unreadable: " + metadata.status().message());
        tier.reset();
      } else {
        checkpoint_lsn = metadata->checkpoint_lsn;
        checkpoint_known = true;
      }
    }
  }

  const JournalSurvey journal = SurveyJournal(paths.journal, checkpoint_lsn, checkpoint_known);
  const uint64_t lsn_bound = std::max(checkpoint_lsn, journal.last_lsn);
  uint32_t max_db = journal.max_db;
  if (tier != nullptr) {
    auto surveyed = SurveyTier(*tier, lsn_bound, Shard::WallClockMs());
    if (!surveyed.ok()) {
      report.Error("tier unreadable: " + surveyed.status().message());
    } else {
      const TierSurvey& survey = *surveyed;
      PrintTier(report, paths.tier, survey);
      if (!survey.scan_error.ok()) report.Error("tier scan stopped: " + survey.scan_error.message());
      for (const std::string& damaged : survey.damaged) report.Error("tier entry does not decode: " + damaged);
      if (survey.damaged_count > survey.damaged.size()) {
        report.Error(std::to_string(survey.damaged_count - survey.damaged.size()) + " more tier entries do not decode");
      }
      if (survey.beyond_bound > 0) {
        report.Warning(Count(survey.beyond_bound, "tier entry has", "tier entries have") + " an LSN above " +
                       std::to_string(lsn_bound) + " (the checkpoint and the journal's last record; largest " +
                       std::to_string(survey.max_lsn) +
                       "): journal records were lost, or a checkpoint round was cut short without a journal");
      }
      if (!survey.keys_by_db.empty()) max_db = std::max(max_db, survey.keys_by_db.rbegin()->first);
    }
  }
  PrintJournal(report, paths.journal, journal);
  JudgeJournal(report, journal, paths.dir, checkpoint_known);
  if (max_db >= kDefaultDatabases) {
    report.Line("note: db " + std::to_string(max_db) + " is used: start the server with --databases " +
                std::to_string(max_db + 1) + " or more");
  }

  const bool failed = report.errors() > 0 || (options.strict && report.warnings() > 0);
  report.Line(std::string("result: ") + (failed ? "FAILED" : "OK") + " (" +
              Count(report.errors(), "error", "errors") + ", " + Count(report.warnings(), "warning", "warnings") +
              (options.strict && report.errors() == 0 && report.warnings() > 0 ? ", --strict" : "") + ")");
  return failed ? kExitDamaged : kExitOk;
}

}  // namespace tierkv::check
