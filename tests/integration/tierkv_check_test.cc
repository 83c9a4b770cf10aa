// tierkv-check against data directories made by the real server (and dumps made by
// Debian's redis-server): verification counts what a killed server left, changes nothing
// and refuses a directory a server holds; corruption is named by file and offset and
// repair cuts there only with --yes, after which the server starts; an imported dump.rdb
// is served by tierkv with the same values and expire times, and unsupported types are
// refused (exit 3) rather than dropped; an exported dump.rdb loads in redis-server with
// every key and expire time the tierkv server had.
// The tests that need redis-server are skipped (not failed) when it is not installed.
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/entry.h"
#include "engine/rdb/rdb_object.h"
#include "harness/server_process.h"
#include "harness/temp_dir.h"
#include "tiering/journal_frame.h"
#include "tiering/journal_segment.h"
#include "tiering/rdb_file.h"
#include "tiering/rocks_tier.h"

namespace tierkv {
namespace {

namespace fs = std::filesystem;
using testing::Command;
using testing::Reply;
using testing::ServerProcess;
using testing::TempDir;

constexpr const char* kRedisServer = "/usr/bin/redis-server";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct CheckRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

std::string Quoted(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

CheckRun RunCheck(const std::vector<std::string>& args) {
  std::string command = Quoted(TIERKV_CHECK_BIN);
  for (const std::string& arg : args) command += " " + Quoted(arg);
  command += " 2>&1";
  CheckRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t got = 0;
  while ((got = ::fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, got);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // In the sanitizer build a report also exits 1, which some tests expect for damage.
  for (const char* marker : {"Sanitizer", "runtime error:"}) {
    EXPECT_EQ(run.output.find(marker), std::string::npos) << run.output;
  }
  return run;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Every file under `dir` with its contents: equal snapshots mean nothing changed.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& item : fs::recursive_directory_iterator(dir)) {
    if (item.is_regular_file()) files[item.path().string()] = ReadFile(item.path().string());
  }
  return files;
}

std::vector<std::string> Segments(const std::string& data_dir) {
  // Only segments: the journal directory also holds the LSN reservation.
  std::vector<std::string> paths;
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(data_dir + "/journal");
  EXPECT_TRUE(segments.ok()) << segments.status().message();
  if (segments.ok()) {
    for (const JournalSegmentFile& segment : *segments) paths.push_back(segment.path);
  }
  return paths;
}

// Where each record of a (format version 2) segment starts: after the segment header,
// frames of a 16-byte header (payload length at +8, type at +12) and their payload; a
// record starts at a FULL or FIRST frame.
std::vector<size_t> RecordOffsets(const std::string& bytes) {
  std::vector<size_t> offsets;
  size_t at = kSegmentHeaderSize;
  for (;;) {
    at = static_cast<size_t>(NextFrameStart(at, kDefaultJournalBlockSize));
    if (at + kFrameHeaderSize > bytes.size()) break;
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length |= uint32_t{static_cast<uint8_t>(bytes[at + 8 + i])} << (8 * i);
    const auto type = static_cast<FrameType>(bytes[at + 12]);
    if (type == FrameType::kFull || type == FrameType::kFirst) offsets.push_back(at);
    at += kFrameHeaderSize + length;
  }
  return offsets;
}

// Flips a payload byte of the record at `offset`: its CRC no longer matches.
void CorruptRecordAt(const std::string& segment, size_t offset) {
  std::string bytes = ReadFile(segment);
  bytes[offset + kFrameHeaderSize + 1] = static_cast<char>(bytes[offset + kFrameHeaderSize + 1] ^ 0x5a);
  WriteFile(segment, bytes);
}

std::unique_ptr<ServerProcess> StartTierkv(const std::string& dir) {
  return ServerProcess::Start(TIERKV_SERVER_BIN,
                              {"--dir", dir, "--appendonly", "yes", "--appendfsync", "always"});
}

std::unique_ptr<ServerProcess> StartRedis(const std::string& dir) {
  return ServerProcess::Start(kRedisServer, {"--daemonize", "no", "--dir", dir, "--dbfilename", "dump.rdb",
                                             "--logfile", dir + "/redis.log"});
}

// SIGKILL: nothing gets to run a final checkpoint.
void Kill(std::unique_ptr<ServerProcess>& server) {
  ::kill(server->pid(), SIGKILL);
  server->Stop();  // reaps it
  server.reset();
}

void Must(redisContext* c, const std::vector<std::string>& args) {
  Reply reply = Command(c, args);
  ASSERT_TRUE(reply != nullptr) << args[0];
  ASSERT_NE(reply->type, REDIS_REPLY_ERROR) << args[0] << ": " << reply->str;
}

struct KeyState {
  std::string value;
  int64_t expire_at_ms = -1;  // PEXPIRETIME: -1 without a TTL
  bool operator==(const KeyState&) const = default;
};
using Keyspace = std::map<std::pair<int, std::string>, KeyState>;

// The string keys of dbs 0..15 with values and absolute expire times; other types are
// counted in *others.
Keyspace StringKeys(redisContext* c, int* others = nullptr) {
  Keyspace keys;
  for (int db = 0; db < 16; ++db) {
    Reply selected = Command(c, {"SELECT", std::to_string(db)});
    Reply names = Command(c, {"KEYS", "*"});
    if (!names || names->type != REDIS_REPLY_ARRAY) {
      ADD_FAILURE() << "KEYS failed in db " << db;
      continue;
    }
    for (size_t i = 0; i < names->elements; ++i) {
      const std::string key(names->element[i]->str, names->element[i]->len);
      Reply type = Command(c, {"TYPE", key});
      if (std::string(type->str) != "string") {
        if (others != nullptr) ++*others;
        continue;
      }
      Reply value = Command(c, {"GET", key});
      Reply expire = Command(c, {"PEXPIRETIME", key});
      keys[{db, key}] = {std::string(value->str, value->len), expire->integer};
    }
  }
  return keys;
}

std::string Describe(const Keyspace& keys) {
  std::string text;
  for (const auto& [where, state] : keys) {
    text += "db" + std::to_string(where.first) + " " + where.second + "=" + state.value.substr(0, 20) + " @" +
            std::to_string(state.expire_at_ms) + "\n";
  }
  return text;
}

// ---- Verification -------------------------------------------------------------------

// A server with the journal on writes 3 keys, checkpoints (SAVE), writes 3 more records and
// is killed: checkpoint LSN 3, 3 keys in the tier, 6 records of which 3 after the checkpoint.
void MakeKilledServerDir(const std::string& dir) {
  auto server = StartTierkv(dir);
  ASSERT_TRUE(server != nullptr);
  auto c = server->Connect();
  Must(c.get(), {"SET", "k1", "v1"});                       // LSN 1
  Must(c.get(), {"SET", "k2", "v2", "PX", "3600000"});      // LSN 2
  Must(c.get(), {"SELECT", "2"});
  Must(c.get(), {"SET", "k3", "v3"});                       // LSN 3, db 2
  Must(c.get(), {"SAVE"});                                  // checkpoint LSN 3
  Must(c.get(), {"SELECT", "0"});
  Must(c.get(), {"SET", "k4", "v4"});                       // LSN 4
  Must(c.get(), {"SET", "k5", "v5"});                       // LSN 5
  Must(c.get(), {"DEL", "k1"});                             // LSN 6
  Kill(server);
}

TEST(TierkvCheck, VerifyCountsWhatAKilledServerLeftAndExitsZero) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("checkpoint LSN 3"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("keys: 3 (1 with a TTL, 0 already expired), tombstones: 0"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("keys per db: db0=2 db2=1"), std::string::npos) << run.output;
  // SAVE started a new segment at LSN 4: the first holds LSN 1..3 until the next round.
  EXPECT_NE(run.output.find("2 segments, 6 records"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("records after the checkpoint: 3 (LSN 4..6)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("effects: DEL=1 SET=5"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("result: OK (0 errors, 0 warnings)"), std::string::npos) << run.output;
}

// Rewrites every journal segment in format version 1 (no header, bare records), as an
// earlier release wrote them.
void RewriteJournalInVersion1(const std::string& data_dir) {
  std::map<std::string, std::string> segments;
  for (const std::string& path : Segments(data_dir)) segments[path];
  auto scanner = JournalScanner::Open(data_dir + "/journal");
  ASSERT_TRUE(scanner.ok());
  JournalRecord record;
  while (true) {
    auto more = scanner->Next(&record);
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
    EncodeV1RecordForTesting(record, &segments[scanner->record_file()]);
  }
  for (const auto& [path, bytes] : segments) WriteFile(path, bytes);
}

TEST(TierkvCheck, AVersion1JournalVerifiesAndTheServerServesIt) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  RewriteJournalInVersion1(data.path());
  ASSERT_NE(ReadFile(Segments(data.path()).back()).substr(0, 8), std::string(kJournalSegmentMagic));

  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("2 segments, 6 records"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("result: OK (0 errors, 0 warnings)"), std::string::npos) << run.output;

  auto server = StartTierkv(data.path());
  ASSERT_TRUE(server != nullptr);
  auto c = server->Connect();
  EXPECT_EQ(std::string(Command(c.get(), {"GET", "k5"})->str), "v5");  // replayed from version 1
  Must(c.get(), {"SET", "k7", "v7"});                                   // into a new version 2 segment
  EXPECT_EQ(Segments(data.path()).size(), 3u);
  EXPECT_EQ(ReadFile(Segments(data.path()).back()).substr(0, 8), std::string(kJournalSegmentMagic));
}

TEST(TierkvCheck, VerifyChangesNothingOnDisk) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const auto before = Contents(data.path());
  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(Contents(data.path()) == before) << "verification wrote into the data directory";
}

TEST(TierkvCheck, EveryModeRefusesADirectoryARunningServerHolds) {
  TempDir data("tierkv-check");
  auto server = StartTierkv(data.path());
  ASSERT_TRUE(server != nullptr);
  const std::string pid = std::to_string(server->pid());
  for (const std::vector<std::string>& mode : std::vector<std::vector<std::string>>{
           {}, {"--repair"}, {"--export-rdb", data.path() + "/out.rdb"}}) {
    std::vector<std::string> args = {"--dir", data.path()};
    args.insert(args.end(), mode.begin(), mode.end());
    const CheckRun run = RunCheck(args);
    EXPECT_EQ(run.exit_code, 4) << run.output;
    EXPECT_NE(run.output.find("in use by process " + pid + ": is a server running on this directory?"),
              std::string::npos)
        << run.output;
  }
  EXPECT_FALSE(fs::exists(data.path() + "/out.rdb"));
  // The server was not disturbed.
  auto c = server->Connect();
  Must(c.get(), {"SET", "still", "serving"});
}

TEST(TierkvCheck, VerifyWarnsAboutATornTailAndOnlyStrictFailsOnIt) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const std::string segment = Segments(data.path()).back();
  const size_t whole = fs::file_size(segment);
  // A crash mid-append: 11 bytes of a 16-byte frame header.
  WriteFile(segment, ReadFile(segment) + std::string("\x64\x00\x00\x00\x01\x02\x03\x04xyz", 11));
  const auto before = Contents(data.path());

  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("warning: torn tail in " + segment + " at offset " + std::to_string(whole)),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("result: OK (0 errors, 1 warning)"), std::string::npos) << run.output;

  const CheckRun strict = RunCheck({"--dir", data.path(), "--strict"});
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  EXPECT_TRUE(Contents(data.path()) == before) << "verification cut the torn tail itself";
}

TEST(TierkvCheck, VerifyWarnsWhenRecordsAfterTheCheckpointAreMissing) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  // Drop the record with LSN 4 (the first after the checkpoint, first in the segment SAVE
  // started): LSN 5 follows LSN 3.
  const std::string segment = Segments(data.path()).back();
  const std::string bytes = ReadFile(segment);
  const std::vector<size_t> offsets = RecordOffsets(bytes);
  ASSERT_EQ(offsets.size(), 3u);
  WriteFile(segment, bytes.substr(0, kSegmentHeaderSize) + bytes.substr(offsets[1]));

  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("warning: journal records LSN 4 are missing after the checkpoint"), std::string::npos)
      << run.output;
  EXPECT_EQ(RunCheck({"--dir", data.path(), "--strict"}).exit_code, 1);
}

TEST(TierkvCheck, VerifyFailsOnACorruptRecordNamingTheFileAndOffset) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const std::string segment = Segments(data.path()).back();
  const std::vector<size_t> offsets = RecordOffsets(ReadFile(segment));
  ASSERT_EQ(offsets.size(), 3u);         // LSN 4..6
  CorruptRecordAt(segment, offsets[1]);  // LSN 5; LSN 6 still follows it

  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("error: journal corruption in " + segment + " at offset " + std::to_string(offsets[1])),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("result: FAILED"), std::string::npos) << run.output;
}

// Writes `entry` straight into DATA/tier (the server is not running).
void PutIntoTier(const std::string& data_dir, TierEntry entry, uint32_t format_version = kTierFormatVersion) {
  RocksTierOptions options;
  options.path = data_dir + "/tier";
  options.format_version = format_version;
  auto tier = RocksTier::Open(options);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  TierBatch batch;
  batch.Put(std::move(entry));
  ASSERT_TRUE((*tier)->Write(batch).ok());
  auto metadata = (*tier)->ReadMetadata();
  ASSERT_TRUE(metadata.ok());
  ASSERT_TRUE((*tier)->Commit(metadata->checkpoint_lsn).ok());
}

TierEntry StoredString(std::string key, uint64_t lsn, std::string object) {
  TierEntry entry;
  entry.key = std::move(key);
  entry.lsn = lsn;
  entry.value = std::move(object);
  return entry;
}

TEST(TierkvCheck, VerifyFailsOnATierValueThatDoesNotDecode) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  // A string object claiming 5 bytes and holding 2.
  PutIntoTier(data.path(), StoredString("broken", 2, std::string("\x00\x05" "ab", 4)));
  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("error: tier entry does not decode: tier entry db 0 key 'broken'"), std::string::npos)
      << run.output;
}

TEST(TierkvCheck, VerifyFailsOnATierOfAnotherFormatVersion) {
  TempDir data("tierkv-check");
  PutIntoTier(data.path(), StoredString("k", 1, std::string("\x00\x01v", 3)), kTierFormatVersion + 1);
  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("has format version " + std::to_string(kTierFormatVersion + 1) +
                            ", but this build reads version " + std::to_string(kTierFormatVersion)),
            std::string::npos)
      << run.output;
}

TEST(TierkvCheck, VerifyWarnsAboutTierEntriesNewerThanTheCheckpointAndJournal) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());  // checkpoint 3, journal up to LSN 6
  PutIntoTier(data.path(), StoredString("future", 100, std::string("\x00\x01v", 3)));
  const CheckRun run = RunCheck({"--dir", data.path()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("warning: 1 tier entry has an LSN above 6"), std::string::npos) << run.output;
  EXPECT_EQ(RunCheck({"--dir", data.path(), "--strict"}).exit_code, 1);
}

// ---- Repair -----------------------------------------------------------------------------

TEST(TierkvCheck, RepairWithoutYesPrintsThePlanExitsTwoAndChangesNothing) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const std::string segment = Segments(data.path()).back();
  const std::vector<size_t> offsets = RecordOffsets(ReadFile(segment));  // LSN 4..6
  CorruptRecordAt(segment, offsets[1]);
  const auto before = Contents(data.path());

  const CheckRun run = RunCheck({"--dir", data.path(), "--repair"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("keep every record up to LSN 4"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("truncate " + segment + " from " + std::to_string(fs::file_size(segment)) + " to " +
                            std::to_string(offsets[1]) + " bytes"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("1 record there still decodes (LSN 6)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("the damaged record itself is LSN 5: its write is lost too"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("LOST: 1 decodable record is above the checkpoint (LSN 3)"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("nothing changed"), std::string::npos) << run.output;
  EXPECT_TRUE(Contents(data.path()) == before) << "repair without --yes changed the directory";
}

TEST(TierkvCheck, RepairWithYesTruncatesAtTheDamageAndTheServerStartsAgain) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const std::string segment = Segments(data.path()).back();
  const std::vector<size_t> offsets = RecordOffsets(ReadFile(segment));  // LSN 4..6
  CorruptRecordAt(segment, offsets[1]);
  // The server itself refuses this directory.
  EXPECT_TRUE(StartTierkv(data.path()) == nullptr);

  const CheckRun run = RunCheck({"--dir", data.path(), "--repair", "--yes"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(fs::file_size(segment), offsets[1]);
  EXPECT_NE(run.output.find("repaired: the journal holds 4 records (LSN 1..4)"), std::string::npos) << run.output;
  EXPECT_EQ(RunCheck({"--dir", data.path(), "--strict"}).exit_code, 0);

  auto server = StartTierkv(data.path());
  ASSERT_TRUE(server != nullptr) << "the server does not start on the repaired directory";
  auto c = server->Connect();
  // LSNs 1..4 survive (k1..k4); LSN 5 (SET k5) and LSN 6 (DEL k1) were cut.
  EXPECT_EQ(std::string(Command(c.get(), {"GET", "k1"})->str), "v1");
  EXPECT_EQ(std::string(Command(c.get(), {"GET", "k4"})->str), "v4");
  EXPECT_EQ(Command(c.get(), {"GET", "k5"})->type, REDIS_REPLY_NIL);
}

TEST(TierkvCheck, RepairOfDamageInAnEarlierSegmentDeletesTheLaterOnesAndNamesTheirRecords) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  // SAVE started a second segment: LSN 1..3 and LSN 4..6.
  const std::string first = Segments(data.path()).front();
  const std::string second = Segments(data.path()).back();
  ASSERT_EQ(second, data.path() + "/journal/journal-00000000000000000004.log");
  const uint64_t first_size = fs::file_size(first);
  const uint64_t second_size = fs::file_size(second);
  const std::vector<size_t> offsets = RecordOffsets(ReadFile(first));
  const CheckRun intact = RunCheck({"--dir", data.path()});
  EXPECT_EQ(intact.exit_code, 0) << intact.output;
  EXPECT_NE(intact.output.find("2 segments, 6 records"), std::string::npos) << intact.output;

  CorruptRecordAt(first, offsets[1]);  // LSN 2, before the checkpoint; LSN 3 follows it
  const CheckRun plan = RunCheck({"--dir", data.path(), "--repair"});
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_NE(plan.output.find("truncate " + first + " from " + std::to_string(first_size) + " to " +
                             std::to_string(offsets[1]) + " bytes"),
            std::string::npos)
      << plan.output;
  EXPECT_NE(plan.output.find("delete " + second + " (" + std::to_string(second_size) +
                             " bytes): 3 records there still decode (LSN 4..6)"),
            std::string::npos)
      << plan.output;
  EXPECT_NE(plan.output.find("the damaged record itself is LSN 2: at or below the checkpoint"), std::string::npos)
      << plan.output;
  EXPECT_NE(plan.output.find("LOST: 3 decodable records are above the checkpoint"), std::string::npos)
      << plan.output;

  const CheckRun repaired = RunCheck({"--dir", data.path(), "--repair", "--yes"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
  EXPECT_FALSE(fs::exists(second));
  EXPECT_EQ(fs::file_size(first), offsets[1]);
  auto server = StartTierkv(data.path());
  ASSERT_TRUE(server != nullptr);
  auto c = server->Connect();
  // The tier still holds the checkpoint (k1..k3); the journal's later records are gone.
  EXPECT_EQ(std::string(Command(c.get(), {"GET", "k2"})->str), "v2");
  EXPECT_EQ(Command(c.get(), {"GET", "k4"})->type, REDIS_REPLY_NIL);
}

// Sets the tier's checkpoint LSN (the server is not running).
void SetCheckpoint(const std::string& data_dir, uint64_t lsn) {
  RocksTierOptions options;
  options.path = data_dir + "/tier";
  auto tier = RocksTier::Open(options);
  ASSERT_TRUE(tier.ok()) << tier.status().message();
  ASSERT_TRUE((*tier)->Commit(lsn).ok());
}

TEST(TierkvCheck, AMissingSegmentFailsVerifyAndRepairDeletesTheSegmentsAfterTheGap) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());  // segments LSN 1..3 and 4..6
  const std::string first = Segments(data.path()).front();
  const std::string second = Segments(data.path()).back();
  SetCheckpoint(data.path(), 0);  // as if the round at LSN 3 had not ended: LSN 1.. are needed
  fs::remove(first);
  EXPECT_TRUE(StartTierkv(data.path()) == nullptr) << "the server started on a journal with a gap";

  const CheckRun verify = RunCheck({"--dir", data.path()});
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_NE(verify.output.find("missing-lsns segment (LSNs 1..3 are missing between the checkpoint (LSN 0) and "
                               "the oldest segment"),
            std::string::npos)
      << verify.output;

  const CheckRun repaired = RunCheck({"--dir", data.path(), "--repair", "--yes"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
  EXPECT_NE(repaired.output.find("delete " + second), std::string::npos) << repaired.output;
  EXPECT_FALSE(fs::exists(second));
  auto server = StartTierkv(data.path());
  ASSERT_TRUE(server != nullptr) << "the server does not start on the repaired directory";
  auto c = server->Connect();
  EXPECT_EQ(std::string(Command(c.get(), {"GET", "k1"})->str), "v1");  // from the tier
  EXPECT_EQ(Command(c.get(), {"GET", "k4"})->type, REDIS_REPLY_NIL);    // its segment is gone
}

TEST(TierkvCheck, RepairOfAnIntactJournalDoesNothing) {
  TempDir data("tierkv-check");
  MakeKilledServerDir(data.path());
  const auto before = Contents(data.path());
  const CheckRun run = RunCheck({"--dir", data.path(), "--repair", "--yes"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("is intact (6 records): nothing to repair"), std::string::npos) << run.output;
  EXPECT_TRUE(Contents(data.path()) == before);
}

// ---- Import -----------------------------------------------------------------------------

// A dump.rdb from Debian's redis-server: strings of every encoding, absolute TTLs, three
// dbs, and a hash and a list that tierkv cannot hold yet. Returns its string keys.
Keyspace MakeRedisDump(const std::string& dir) {
  auto redis = StartRedis(dir);
  if (redis == nullptr) {
    ADD_FAILURE() << "redis-server did not start";
    return {};
  }
  auto c = redis->Connect();
  const std::string later = std::to_string(NowMs() + 3'600'000);
  std::string compressible;
  while (compressible.size() < 20000) compressible += "a compressible row of text; ";
  Must(c.get(), {"SET", "plain", "hello"});
  Must(c.get(), {"SET", "number", "12345"});                  // int encoding
  Must(c.get(), {"SET", "negative", "-9000000000"});
  Must(c.get(), {"SET", "long", compressible});               // LZF in the file
  Must(c.get(), {"SET", std::string("bin\0key", 7), std::string("\x00\xff\r\n", 4)});
  Must(c.get(), {"SET", "expiring", "soon", "PXAT", later});
  Must(c.get(), {"HSET", "hash", "field", "value"});
  Must(c.get(), {"SELECT", "1"});
  Must(c.get(), {"SET", "one", "1"});
  Must(c.get(), {"RPUSH", "list", "a", "b"});
  Must(c.get(), {"SELECT", "7"});
  Must(c.get(), {"SET", "seven", "7", "PXAT", later});
  int others = 0;
  Keyspace keys = StringKeys(c.get(), &others);
  EXPECT_EQ(others, 2);
  Must(c.get(), {"SAVE"});
  return keys;
}

TEST(TierkvCheck, ImportOfUnsupportedTypesExitsThreeAndWritesNothing) {
  // Redis 7.0 and later never write the ziplist encodings; older files hold them.
  TempDir files("tierkv-check-rdb");
  TempDir data("tierkv-check");
  const std::string rdb = files.path() + "/dump.rdb";
  std::string string_object;
  RdbWriter string_writer(&string_object);
  WriteRdbStringObject(string_writer, "1");
  std::string ziplist_hash;
  RdbWriter hash_writer(&ziplist_hash);
  hash_writer.WriteByte(kRdbTypeHashZiplist);
  hash_writer.WriteString("not decoded: skipped as a blob");
  RdbFileWriterOptions options;
  options.sync = false;
  RdbFileWriter writer(rdb, options);
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.SelectDb(0, 2, 0).ok());
  ASSERT_TRUE(writer.Add("plain", kNoExpire, string_object).ok());
  ASSERT_TRUE(writer.Add("old-hash", kNoExpire, ziplist_hash).ok());
  ASSERT_TRUE(writer.Finish().ok());
  const std::string target = data.path() + "/data";

  const CheckRun run = RunCheck({"--dir", target, "--import-rdb", rdb});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("not imported: 1 key of type hash"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("nothing imported: re-run with --skip-unsupported to import the other 1 key"),
            std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(target)) << "a refused import created the data directory";

  const CheckRun skipped = RunCheck({"--dir", target, "--import-rdb", rdb, "--skip-unsupported"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.output;
  EXPECT_NE(skipped.output.find("skipped (--skip-unsupported): 1 key of type hash"), std::string::npos)
      << skipped.output;
}

TEST(TierkvCheck, ImportedRedisDumpIsServedWithTheSameValuesAndExpireTimes) {
  if (!fs::exists(kRedisServer)) GTEST_SKIP() << "redis-server is not installed";
  TempDir redis_dir("tierkv-check-redis");
  TempDir data("tierkv-check");
  const Keyspace expected = MakeRedisDump(redis_dir.path());
  ASSERT_EQ(expected.size(), 8u);

  const CheckRun run = RunCheck({"--dir", data.path(), "--import-rdb", redis_dir.path() + "/dump.rdb"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("imported: 10 keys (2 with a TTL)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("keys per db: db0=7 db1=2 db7=1"), std::string::npos) << run.output;

  auto server = StartTierkv(data.path());
  ASSERT_TRUE(server != nullptr) << "tierkv-server does not start on the imported directory";
  auto c = server->Connect();
  int others = 0;
  const Keyspace served = StringKeys(c.get(), &others);
  EXPECT_EQ(others, 2);
  EXPECT_TRUE(served == expected) << "served:\n" << Describe(served) << "expected:\n" << Describe(expected);
  Command(c.get(), {"SELECT", "0"});
  Reply hash = Command(c.get(), {"HGET", "hash", "field"});
  ASSERT_TRUE(hash && hash->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(hash->str, hash->len), "value");
  Command(c.get(), {"SELECT", "1"});
  Reply list = Command(c.get(), {"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(list && list->type == REDIS_REPLY_ARRAY && list->elements == 2);
  EXPECT_EQ(std::string(list->element[0]->str), "a");
  EXPECT_EQ(std::string(list->element[1]->str), "b");

  // Importing again into the now populated directory is refused.
  const CheckRun again = RunCheck({"--dir", data.path(), "--import-rdb", redis_dir.path() + "/dump.rdb"});
  EXPECT_EQ(again.exit_code, 4) << again.output;
}

TEST(TierkvCheck, ImportSkipsKeysAlreadyExpiredAndCountsThem) {
  TempDir files("tierkv-check-rdb");
  TempDir data("tierkv-check");
  const std::string rdb = files.path() + "/dump.rdb";
  auto string_object = [](std::string_view value) {
    std::string object;
    RdbWriter writer(&object);
    WriteRdbStringObject(writer, value);
    return object;
  };
  RdbFileWriterOptions options;
  options.sync = false;
  RdbFileWriter writer(rdb, options);
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.SelectDb(0, 3, 2).ok());
  ASSERT_TRUE(writer.Add("live", kNoExpire, string_object("1")).ok());
  ASSERT_TRUE(writer.Add("gone", 1'000'000, string_object("2")).ok());  // expired in 1970
  ASSERT_TRUE(writer.Add("later", NowMs() + 3'600'000, string_object("3")).ok());
  ASSERT_TRUE(writer.Finish().ok());

  const CheckRun run = RunCheck({"--dir", data.path(), "--import-rdb", rdb});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("imported: 2 keys (1 with a TTL)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("skipped, already expired: 1"), std::string::npos) << run.output;
  const CheckRun verify = RunCheck({"--dir", data.path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("keys: 2 (1 with a TTL, 0 already expired)"), std::string::npos) << verify.output;
}

// ---- Export -----------------------------------------------------------------------------

// A tierkv directory whose state lives in both the tier and the journal: writes, a SAVE,
// then overwrites, deletes, a FLUSHDB, a MOVE, a SWAPDB, TTL changes; killed. Returns the
// string keys the server held just before it was killed.
Keyspace MakeTierAndJournalDir(const std::string& dir) {
  auto server = StartTierkv(dir);
  if (server == nullptr) {
    ADD_FAILURE() << "tierkv-server did not start";
    return {};
  }
  auto c = server->Connect();
  const std::string later = std::to_string(NowMs() + 3'600'000);
  std::string compressible;
  while (compressible.size() < 20000) compressible += "a compressible row of text; ";
  Must(c.get(), {"SET", "a", "1"});
  Must(c.get(), {"SET", "long", compressible});
  Must(c.get(), {"SET", "ttl", "x", "PXAT", later});
  Must(c.get(), {"SET", std::string("bin\0key", 7), std::string("\x00\xff\r\n", 4)});
  Must(c.get(), {"SET", "persisted", "p", "PX", "3600000"});
  Must(c.get(), {"SELECT", "1"});
  Must(c.get(), {"SET", "flushed", "gone"});
  Must(c.get(), {"SELECT", "3"});
  Must(c.get(), {"SET", "three", "3"});
  Must(c.get(), {"SELECT", "5"});
  Must(c.get(), {"SET", "moved", "m", "PXAT", later});
  Must(c.get(), {"SAVE"});
  Must(c.get(), {"SELECT", "0"});
  Must(c.get(), {"SET", "a", "2"});
  // String edits journal themselves (APPEND, SETRANGE, SETBIT, BITFIELD SET): "C+!".
  Must(c.get(), {"APPEND", "a", "+x"});
  Must(c.get(), {"SETRANGE", "a", "0", "A"});
  Must(c.get(), {"SETBIT", "a", "6", "1"});
  Must(c.get(), {"BITFIELD", "a", "SET", "u8", "16", "33"});
  Must(c.get(), {"DEL", std::string("bin\0key", 7)});
  Must(c.get(), {"PERSIST", "persisted"});
  Must(c.get(), {"INCRBY", "counter", "41"});
  Must(c.get(), {"PEXPIREAT", "counter", later});
  Must(c.get(), {"SELECT", "1"});
  Must(c.get(), {"FLUSHDB"});
  Must(c.get(), {"SET", "after-flush", "1"});
  Must(c.get(), {"SELECT", "5"});
  Must(c.get(), {"MOVE", "moved", "6"});
  Must(c.get(), {"SWAPDB", "3", "4"});
  const Keyspace keys = StringKeys(c.get());
  Kill(server);
  return keys;
}

TEST(TierkvCheck, ExportedDumpLoadsInRedisWithEveryKeyAndExpireTime) {
  if (!fs::exists(kRedisServer)) GTEST_SKIP() << "redis-server is not installed";
  TempDir data("tierkv-check");
  TempDir redis_dir("tierkv-check-redis");
  const Keyspace expected = MakeTierAndJournalDir(data.path());
  ASSERT_EQ(expected.size(), 8u) << Describe(expected);
  const auto before = Contents(data.path());

  const CheckRun run = RunCheck({"--dir", data.path(), "--export-rdb", redis_dir.path() + "/dump.rdb"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("exported: 8 keys (3 with a TTL)"), std::string::npos) << run.output;
  EXPECT_TRUE(Contents(data.path()) == before) << "export wrote into the data directory";

  auto redis = StartRedis(redis_dir.path());
  ASSERT_TRUE(redis != nullptr) << "redis-server does not load the exported file";
  auto c = redis->Connect();
  const Keyspace loaded = StringKeys(c.get());
  EXPECT_TRUE(loaded == expected) << "loaded:\n" << Describe(loaded) << "expected:\n" << Describe(expected);
}

TEST(TierkvCheck, ExportRecoversPastATornTailWithoutCuttingIt) {
  if (!fs::exists(kRedisServer)) GTEST_SKIP() << "redis-server is not installed";
  TempDir data("tierkv-check");
  TempDir redis_dir("tierkv-check-redis");
  const Keyspace expected = MakeTierAndJournalDir(data.path());
  const std::string segment = Segments(data.path()).back();
  WriteFile(segment, ReadFile(segment) + std::string("\x64\x00\x00\x00\x01\x02", 6));
  const auto before = Contents(data.path());

  const CheckRun run = RunCheck({"--dir", data.path(), "--export-rdb", redis_dir.path() + "/dump.rdb"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("the journal ends in a torn record"), std::string::npos) << run.output;
  EXPECT_TRUE(Contents(data.path()) == before) << "export cut the torn tail";

  auto redis = StartRedis(redis_dir.path());
  ASSERT_TRUE(redis != nullptr);
  auto c = redis->Connect();
  EXPECT_TRUE(StringKeys(c.get()) == expected);
}

TEST(TierkvCheck, ExportRefusesAJournalCorruptBeforeItsEnd) {
  TempDir data("tierkv-check");
  TempDir out("tierkv-check-out");
  MakeKilledServerDir(data.path());
  const std::string segment = Segments(data.path()).back();
  CorruptRecordAt(segment, RecordOffsets(ReadFile(segment))[1]);
  const CheckRun run = RunCheck({"--dir", data.path(), "--export-rdb", out.path() + "/dump.rdb"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("repair it first"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(out.path() + "/dump.rdb"));
}

// ---- Arguments --------------------------------------------------------------------------

TEST(TierkvCheck, BadArgumentsAndMissingDirectoriesExitFour) {
  EXPECT_EQ(RunCheck({}).exit_code, 4);
  EXPECT_EQ(RunCheck({"--dir"}).exit_code, 4);
  EXPECT_EQ(RunCheck({"--dir", "/tmp", "--bogus"}).exit_code, 4);
  EXPECT_EQ(RunCheck({"--dir", "/tmp", "--yes"}).exit_code, 4);  // --yes without --repair
  EXPECT_EQ(RunCheck({"--dir", "/nonexistent/tierkv-check"}).exit_code, 4);
  TempDir empty("tierkv-check");
  const CheckRun run = RunCheck({"--dir", empty.path()});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_NE(run.output.find("not a tierkv data directory"), std::string::npos) << run.output;
  EXPECT_EQ(RunCheck({"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace tierkv
