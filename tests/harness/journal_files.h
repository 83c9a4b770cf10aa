// Journal files in tests: where each record of a journal directory lies (so a test can
// cut or damage one), and byte-level damage to a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tiering/journal_segment.h"

namespace tierkv::testing {

struct RecordPlace {
  uint64_t lsn = 0;
  std::string file;
  uint64_t offset = 0;  // where its first frame (or v1 header) starts
  uint64_t end = 0;     // where the next record starts, or the file's end
};

// Scans the (intact) journal in `dir`.
inline std::vector<RecordPlace> RecordPlaces(const std::string& dir) {
  std::vector<RecordPlace> places;
  Result<JournalScanner> scanner = JournalScanner::Open(dir);
  EXPECT_TRUE(scanner.ok());
  if (!scanner.ok()) return places;
  JournalRecord record;
  for (;;) {
    Result<bool> more = scanner->Next(&record);
    EXPECT_TRUE(more.ok()) << more.status().message();
    if (!more.ok() || !*more) break;
    if (!places.empty() && places.back().file == scanner->record_file()) {
      places.back().end = scanner->record_offset();
    }
    places.push_back({record.lsn, scanner->record_file(), scanner->record_offset(),
                      std::filesystem::file_size(scanner->record_file())});
  }
  return places;
}

// XORs the byte at `offset` of `path` with `mask`.
inline void FlipByteAt(const std::string& path, uint64_t offset, char mask = 0x5a) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  file.seekp(static_cast<std::streamoff>(offset));
  byte = static_cast<char>(byte ^ mask);
  file.write(&byte, 1);
}

}  // namespace tierkv::testing
