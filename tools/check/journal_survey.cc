#include "tools/check/journal_survey.h"

#include <algorithm>
#include <cstdint>

#include "tools/check/data_dir.h"
#include "engine/effects/effect_applier.h"
#include "engine/number.h"

namespace tierkv::check {
namespace {

size_t SegmentIndex(const JournalSurvey& survey, const std::string& path) {
  for (size_t i = 0; i < survey.segments.size(); ++i) {
    if (survey.segments[i].path == path) return i;
  }
  return 0;  // not reached: the scanner only names listed segments
}

// The verb as counted in reports: "(empty)" for an empty effect.
std::string EffectVerb(const Effect& effect) { return effect.empty() ? "(empty)" : effect[0]; }

void NoteEffects(JournalSurvey& survey, const JournalRecord& record, const std::string& file,
                 uint64_t checkpoint_lsn) {
  const bool replayed = record.lsn > checkpoint_lsn;
  survey.max_db = std::max(survey.max_db, record.db);
  for (const Effect& effect : record.effects) {
    ++survey.effects[EffectVerb(effect)];
    uint64_t selected = 0;
    if (effect.size() == 2 && effect[0] == "SELECT" && ParseUint64(effect[1], &selected)) {
      survey.max_db = std::max(survey.max_db, static_cast<uint32_t>(std::min<uint64_t>(selected, UINT32_MAX)));
    }
    if (!replayed) continue;  // recovery skips it: its shape cannot hurt
    // What the engine's applier would refuse: an unknown verb (a newer server may write
    // it) or an effect of a known verb in a form the engine never writes.
    const Status checked = CheckEffect(effect);
    if (checked.ok()) continue;
    if (!effect.empty() && !IsEffectVerb(effect[0])) {
      ++survey.unknown_after_checkpoint[effect[0]];
      continue;
    }
    if (survey.malformed.size() < JournalSurvey::kMaxListed) {
      survey.malformed.push_back("LSN " + std::to_string(record.lsn) + " in " + file + ": " + checked.message());
    }
    ++survey.malformed_count;
  }
}

}  // namespace

JournalSurvey SurveyJournal(const std::string& journal_dir, uint64_t checkpoint_lsn, bool checkpoint_known) {
  JournalSurvey survey;
  survey.present = PathExists(journal_dir);
  if (!survey.present) return survey;
  auto listed = ListJournalSegments(journal_dir);
  if (!listed.ok()) {
    survey.read_error = listed.status();
    return survey;
  }
  for (const JournalSegmentFile& file : *listed) {
    SegmentSummary segment;
    segment.path = file.path;
    segment.bytes = FileBytes(file.path);
    survey.bytes += segment.bytes;
    survey.segments.push_back(std::move(segment));
  }
  auto scanner = JournalScanner::Open(journal_dir, checkpoint_known ? std::optional<uint64_t>(checkpoint_lsn)
                                                                    : std::nullopt);
  if (!scanner.ok()) {
    survey.read_error = scanner.status();
    return survey;
  }
  uint64_t expected = checkpoint_lsn + 1;  // the next LSN a recovery needs
  JournalRecord record;
  for (;;) {
    auto more = scanner->Next(&record);
    if (!more.ok()) {
      if (!scanner->damage().has_value()) survey.read_error = more.status();
      break;
    }
    if (!*more) break;
    const std::string& file = scanner->record_file();
    SegmentSummary& segment = survey.segments[SegmentIndex(survey, file)];
    ++segment.records;
    if (segment.first_lsn == 0) segment.first_lsn = record.lsn;
    segment.last_lsn = record.lsn;
    ++survey.records;
    if (survey.first_lsn == 0) survey.first_lsn = record.lsn;
    survey.last_lsn = record.lsn;
    if (record.lsn > checkpoint_lsn) {
      ++survey.records_after_checkpoint;
      if (survey.first_after_checkpoint == 0) survey.first_after_checkpoint = record.lsn;
      survey.last_after_checkpoint = record.lsn;
      if (record.lsn > expected) {
        if (survey.gaps.size() < JournalSurvey::kMaxListed) survey.gaps.push_back({expected, record.lsn - 1});
        ++survey.gap_count;
      }
      expected = record.lsn + 1;
    }
    NoteEffects(survey, record, file, checkpoint_lsn);
  }
  survey.last_good_lsn = scanner->last_lsn();
  if (scanner->damage().has_value()) {
    survey.damage = scanner->damage();
    survey.damaged_segment = SegmentIndex(survey, survey.damage->file);
  }
  return survey;
}

}  // namespace tierkv::check
