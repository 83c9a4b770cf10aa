// Tests for tiering/rdb_file: writer -> reader round trips (strings, expires, several
// dbs, and a hand-built object of every RDB type so each skip path runs), files built
// byte by byte for the opcodes our writer never emits (EXPIRETIME in seconds, IDLE,
// FREQ, FUNCTION2, MODULE_AUX, old versions without a checksum), and damage: truncation
// at every byte, bad checksums, unknown types, bad headers, trailing bytes. Interop with
// a real redis-server is in tests/integration/rdb_file_interop_test.cc.
#include "tiering/rdb_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/rdb/crc64.h"
#include "engine/rdb/rdb_object.h"
#include "harness/temp_dir.h"

namespace tierkv {
namespace {

using namespace std::string_literals;
using testing::TempDir;

// What a visitor saw of one key, copied out.
struct SeenKey {
  uint32_t db = 0;
  std::string key;
  int64_t expire_at_ms = kNoExpire;
  uint8_t type = 0;
  std::string object;
  std::optional<uint64_t> idle_seconds;
  std::optional<uint8_t> lfu_freq;
};

struct ReadOutcome {
  Result<RdbFileSummary> summary = Status::Corruption("not read");
  std::vector<SeenKey> keys;
};

RdbFileVisitor Collect(std::vector<SeenKey>* keys) {
  return [keys](RdbFileEntry& e) {
    keys->push_back({e.db, e.key, e.expire_at_ms, e.type, e.ObjectBytes(), e.idle_seconds, e.lfu_freq});
    return Status::Ok();
  };
}

ReadOutcome ReadFile(const std::string& path) {
  ReadOutcome out;
  out.summary = ReadRdbFile(path, Collect(&out.keys));
  return out;
}

ReadOutcome ReadBuffer(std::string_view bytes) {
  ReadOutcome out;
  out.summary = ReadRdbBuffer(bytes, Collect(&out.keys));
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string StringObject(std::string_view value) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbStringObject(writer, value);
  return out;
}

std::string Object(uint8_t type, const std::function<void(RdbWriter&)>& body) {
  std::string out;
  RdbWriter writer(&out);
  writer.WriteByte(type);
  body(writer);
  return out;
}

// A whole file around `records`: header of `version`, then EOF and (version >= 5) the
// CRC-64 of everything before it, or `checksum` if given.
std::string RdbImage(std::string_view records, uint16_t version = kRdbVersion,
                     std::optional<uint64_t> checksum = std::nullopt) {
  char header[16];
  std::snprintf(header, sizeof(header), "REDIS%04u", static_cast<unsigned>(version));
  std::string out = header;
  out += records;
  out.push_back(static_cast<char>(kRdbOpcodeEof));
  if (version >= 5) {
    RdbWriter(&out).WriteUint64LE(checksum.value_or(Crc64(0, out.data(), out.size())));
  }
  return out;
}

// A string key record: type byte, key, value.
std::string StringRecord(std::string_view key, std::string_view value) {
  std::string out;
  RdbWriter writer(&out);
  writer.WriteByte(kRdbTypeString);
  writer.WriteString(key);
  writer.WriteString(value);
  return out;
}

std::string Id16(char fill) { return std::string(16, fill); }

void WriteStream(RdbWriter& w, uint8_t type) {
  const bool v2 = type != kRdbTypeStreamListpacks;
  const bool v3 = type == kRdbTypeStreamListpacks3;
  w.WriteLength(2);  // listpacks
  for (char c : {'a', 'b'}) {
    w.WriteString(Id16(c));
    w.WriteString("listpack bytes listpack bytes listpack bytes " + std::string(1, c));
  }
  for (int i = 0; i < (v2 ? 8 : 3); ++i) w.WriteLength(1000 + i);
  w.WriteLength(2);  // groups
  for (const char* group : {"g1", "g2"}) {
    w.WriteString(group);
    for (int i = 0; i < (v2 ? 3 : 2); ++i) w.WriteLength(7 + i);
    w.WriteLength(2);  // global PEL
    for (char c : {'x', 'y'}) {
      w.WriteBytes(Id16(c));
      w.WriteUint64LE(1700000000000);
      w.WriteLength(3);
    }
    w.WriteLength(2);  // consumers
    for (const char* consumer : {"alice", "bob"}) {
      w.WriteString(consumer);
      w.WriteUint64LE(1700000000001);
      if (v3) w.WriteUint64LE(1700000000002);
      w.WriteLength(1);  // consumer PEL
      w.WriteBytes(Id16(consumer[0] == 'a' ? 'x' : 'y'));
    }
  }
}

// One hand-built object of every type id that can be skipped.
std::map<uint8_t, std::string> ObjectOfEveryType() {
  std::map<uint8_t, std::string> objects;
  objects[kRdbTypeString] = StringObject("plain");
  auto strings = [](RdbWriter& w, int n) {
    w.WriteLength(n);
    for (int i = 0; i < n; ++i) w.WriteString(i % 2 ? "element " + std::to_string(i) : std::to_string(i * 1000));
  };
  objects[kRdbTypeList] = Object(kRdbTypeList, [&](RdbWriter& w) { strings(w, 3); });
  objects[kRdbTypeSet] = Object(kRdbTypeSet, [&](RdbWriter& w) { strings(w, 4); });
  objects[kRdbTypeZSet] = Object(kRdbTypeZSet, [](RdbWriter& w) {
    w.WriteLength(4);
    w.WriteString("one");
    w.WriteByte(3);
    w.WriteBytes("1.5");
    for (uint8_t special : {253, 254, 255}) {  // nan, +inf, -inf: no digits follow
      w.WriteString("special" + std::to_string(special));
      w.WriteByte(special);
    }
  });
  objects[kRdbTypeHash] = Object(kRdbTypeHash, [&](RdbWriter& w) {
    w.WriteLength(2);
    for (const char* s : {"f1", "v1", "f2", "a value long enough to be compressed compressed compressed"}) {
      w.WriteString(s);
    }
  });
  objects[kRdbTypeZSet2] = Object(kRdbTypeZSet2, [](RdbWriter& w) {
    w.WriteLength(2);
    for (const char* m : {"a", "b"}) {
      w.WriteString(m);
      w.WriteUint64LE(0x3ff8000000000000);  // 1.5
    }
  });
  objects[kRdbTypeModule2] = Object(kRdbTypeModule2, [](RdbWriter& w) {
    w.WriteLength(0x1234567890ull);  // module type id
    w.WriteLength(kRdbModuleOpcodeSint);
    w.WriteLength(5);
    w.WriteLength(kRdbModuleOpcodeUint);
    w.WriteLength(70000);
    w.WriteLength(kRdbModuleOpcodeFloat);
    w.WriteBytes("\x00\x00\xc0\x3f"s);
    w.WriteLength(kRdbModuleOpcodeDouble);
    w.WriteUint64LE(0x3ff8000000000000);
    w.WriteLength(kRdbModuleOpcodeString);
    w.WriteString("module string");
    w.WriteLength(kRdbModuleOpcodeEof);
  });
  for (uint8_t blob : {kRdbTypeHashZipmap, kRdbTypeListZiplist, kRdbTypeSetIntset, kRdbTypeZSetZiplist,
                       kRdbTypeHashZiplist, kRdbTypeHashListpack, kRdbTypeZSetListpack, kRdbTypeSetListpack}) {
    objects[blob] = Object(blob, [blob](RdbWriter& w) {
      w.WriteString("opaque encoded blob, type " + std::to_string(blob) + std::string(40, 'z'));
    });
  }
  objects[kRdbTypeListQuicklist] = Object(kRdbTypeListQuicklist, [](RdbWriter& w) {
    w.WriteLength(2);
    w.WriteString("ziplist one");
    w.WriteString(std::string(100, 'q'));
  });
  objects[kRdbTypeListQuicklist2] = Object(kRdbTypeListQuicklist2, [](RdbWriter& w) {
    w.WriteLength(3);
    w.WriteLength(kRdbQuicklistNodePacked);
    w.WriteString("listpack node");
    w.WriteLength(kRdbQuicklistNodePlain);
    w.WriteString(std::string(300, 'p'));
    w.WriteLength(kRdbQuicklistNodePacked);
    w.WriteString("12345");
  });
  for (uint8_t stream : {kRdbTypeStreamListpacks, kRdbTypeStreamListpacks2, kRdbTypeStreamListpacks3}) {
    objects[stream] = Object(stream, [stream](RdbWriter& w) { WriteStream(w, stream); });
  }
  return objects;
}

RdbFileWriterOptions TestOptions() {
  RdbFileWriterOptions options;
  options.sync = false;
  options.ctime = 1700000000;
  return options;
}

struct Key {
  uint32_t db;
  std::string key;
  int64_t expire_at_ms;
  std::string object;
};

// Writes `keys` (grouped by db in the order given) and returns the file's path.
std::string WriteFile(const TempDir& dir, const std::vector<Key>& keys, const std::string& name = "dump.rdb") {
  const std::string path = dir.path() + "/" + name;
  RdbFileWriter writer(path, TestOptions());
  EXPECT_TRUE(writer.Begin().ok());
  std::optional<uint32_t> db;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (db != keys[i].db) {
      uint64_t count = 0, expires = 0;
      for (const Key& k : keys) {
        if (k.db != keys[i].db) continue;
        ++count;
        expires += k.expire_at_ms != kNoExpire;
      }
      Status st = writer.SelectDb(keys[i].db, count, expires);
      EXPECT_TRUE(st.ok()) << st.message();
      db = keys[i].db;
    }
    Status st = writer.Add(keys[i].key, keys[i].expire_at_ms, keys[i].object);
    EXPECT_TRUE(st.ok()) << keys[i].key << ": " << st.message();
  }
  Status st = writer.Finish();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(writer.keys_written(), keys.size());
  return path;
}

void ExpectSameKeys(const std::vector<SeenKey>& seen, const std::vector<Key>& written) {
  ASSERT_EQ(seen.size(), written.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    SCOPED_TRACE(written[i].key);
    EXPECT_EQ(seen[i].db, written[i].db);
    EXPECT_EQ(seen[i].key, written[i].key);
    EXPECT_EQ(seen[i].expire_at_ms, written[i].expire_at_ms);
    EXPECT_EQ(seen[i].type, static_cast<uint8_t>(written[i].object[0]));
    EXPECT_EQ(seen[i].object, written[i].object);
  }
}

void ExpectCorruption(const ReadOutcome& outcome, const std::string& needle = "") {
  ASSERT_FALSE(outcome.summary.ok());
  EXPECT_EQ(outcome.summary.status().code(), Code::kCorruption) << outcome.summary.status().message();
  if (!needle.empty()) {
    EXPECT_NE(outcome.summary.status().message().find(needle), std::string::npos)
        << outcome.summary.status().message();
  }
}

std::vector<Key> StringKeys() {
  return {
      {0, "small", kNoExpire, StringObject("hello")},
      {0, "int", kNoExpire, StringObject("12345")},
      {0, "negative int", 1900000000123, StringObject("-7")},
      {0, "compressible", kNoExpire, StringObject(std::string(500, 'a') + std::string(500, 'b'))},
      {0, "empty", kNoExpire, StringObject("")},
      {0, "binary\0key"s, 1800000000000, StringObject("\0\xff\x01 value"s)},
      {0, "1000", kNoExpire, StringObject("key that is an integer")},
      {3, "in db 3", 1700000000999, StringObject("three")},
      {15, "in db 15", kNoExpire, StringObject(std::string(70000, 'x'))},
  };
}

TEST(RdbFileTest, StringsExpiresAndDatabasesRoundTrip) {
  TempDir dir;
  const std::vector<Key> keys = StringKeys();
  const std::string path = WriteFile(dir, keys);
  ReadOutcome read = ReadFile(path);
  ASSERT_TRUE(read.summary.ok()) << read.summary.status().message();
  ExpectSameKeys(read.keys, keys);
  const RdbFileSummary& summary = *read.summary;
  EXPECT_EQ(summary.version, kRdbVersion);
  EXPECT_TRUE(summary.checksum_verified);
  EXPECT_EQ(summary.keys, keys.size());
  EXPECT_EQ(summary.keys_by_type, (std::map<uint8_t, uint64_t>{{kRdbTypeString, keys.size()}}));
  EXPECT_EQ(summary.bytes, std::filesystem::file_size(path));
  std::map<std::string, std::string> aux(summary.aux.begin(), summary.aux.end());
  EXPECT_EQ(aux["redis-ver"], "7.0.15");
  EXPECT_EQ(aux["redis-bits"], "64");
  EXPECT_EQ(aux["ctime"], "1700000000");
  EXPECT_EQ(aux["aof-base"], "0");
  EXPECT_TRUE(aux.count("used-mem"));
  // Values decode through rdb_object.
  RdbReader reader(read.keys[3].object);
  Result<RdbObject> object = ReadRdbObject(reader);
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->string_value(), std::string(500, 'a') + std::string(500, 'b'));
}

TEST(RdbFileTest, FileStartsLikeRedisWritesIt) {
  TempDir dir;
  const std::string bytes = Slurp(WriteFile(dir, {{0, "k", kNoExpire, StringObject("v")}}));
  EXPECT_EQ(bytes.substr(0, 9), "REDIS0010");
  EXPECT_EQ(static_cast<uint8_t>(bytes[9]), kRdbOpcodeAux);
  // ... SELECTDB 0, RESIZEDB 1 0, type, key, value, EOF, CRC
  const std::string tail = "\xfe\x00\xfb\x01\x00\x00\x01k\x01v\xff"s;
  ASSERT_GT(bytes.size(), tail.size() + 8);
  EXPECT_EQ(bytes.substr(bytes.size() - 8 - tail.size(), tail.size()), tail);
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<uint8_t>(bytes[bytes.size() - 8 + i]);
  EXPECT_EQ(crc, Crc64(0, bytes.data(), bytes.size() - 8));
}

TEST(RdbFileTest, EveryTypeIsSkippedAndTheKeysAfterItStillRead) {
  TempDir dir;
  std::vector<Key> keys;
  int n = 0;
  for (const auto& [type, object] : ObjectOfEveryType()) {
    keys.push_back({static_cast<uint32_t>(n % 3), "typed " + std::string(RdbTypeName(type)), kNoExpire, object});
    keys.push_back({static_cast<uint32_t>(n % 3), "after " + std::to_string(type), 1900000000000 + n,
                    StringObject("after " + std::to_string(type))});
    ++n;
  }
  std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.db < b.db; });
  ReadOutcome read = ReadFile(WriteFile(dir, keys));
  ASSERT_TRUE(read.summary.ok()) << read.summary.status().message();
  ExpectSameKeys(read.keys, keys);
  EXPECT_EQ(read.summary->keys_by_type.size(), ObjectOfEveryType().size());
  EXPECT_EQ(read.summary->keys_by_type.at(kRdbTypeString), 1 + ObjectOfEveryType().size());
}

TEST(RdbFileTest, WriterRefusesDamagedObjectsAndMisuse) {
  TempDir dir;
  const std::string path = dir.path() + "/dump.rdb";
  RdbFileWriter writer(path, TestOptions());
  EXPECT_EQ(writer.Add("k", kNoExpire, StringObject("v")).code(), Code::kError);  // before Begin
  ASSERT_TRUE(writer.Begin().ok());
  EXPECT_EQ(writer.Add("k", kNoExpire, StringObject("v")).code(), Code::kError);  // before SelectDb
  ASSERT_TRUE(writer.SelectDb(0, 1, 0).ok());
  std::string truncated = StringObject("hello");
  truncated.pop_back();
  for (const std::string& bad : {""s, "\x08"s, "\xff"s, truncated, StringObject("v") + "x",
                                 Object(kRdbTypeModulePreGa, [](RdbWriter& w) { w.WriteLength(1); })}) {
    Status st = writer.Add("k", kNoExpire, bad);
    EXPECT_EQ(st.code(), Code::kCorruption) << ::testing::PrintToString(bad);
  }
  EXPECT_EQ(writer.Add("k", -5, StringObject("v")).code(), Code::kError);
  ASSERT_TRUE(writer.Add("k", kNoExpire, StringObject("v")).ok());
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_EQ(writer.Finish().code(), Code::kError);
  EXPECT_EQ(writer.keys_written(), 1u);
  ReadOutcome read = ReadFile(path);
  ASSERT_TRUE(read.summary.ok());
  ASSERT_EQ(read.keys.size(), 1u);
}

TEST(RdbFileTest, UnfinishedWriterLeavesNothingUnderTheFinalName) {
  TempDir dir;
  const std::string path = dir.path() + "/dump.rdb";
  Spit(path, "previous contents");
  {
    RdbFileWriter writer(path, TestOptions());
    ASSERT_TRUE(writer.Begin().ok());
    ASSERT_TRUE(writer.SelectDb(0, 1, 0).ok());
    ASSERT_TRUE(writer.Add("k", kNoExpire, StringObject(std::string(3 << 20, 'v'))).ok());  // flushed
    // Until Finish, the old file is untouched and the new one lives under another name.
    EXPECT_EQ(Slurp(path), "previous contents");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2);
  }
  // Abandoned: the temporary file is gone, the old file is still there.
  EXPECT_EQ(Slurp(path), "previous contents");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(RdbFileTest, WriterReportsAnUnwritableDirectory) {
  RdbFileWriter writer("/nonexistent-dir-for-tierkv/dump.rdb", TestOptions());
  Status st = writer.Begin();
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_NE(st.message().find("/nonexistent-dir-for-tierkv/dump.rdb.tmp."), std::string::npos) << st.message();
  EXPECT_EQ(writer.SelectDb(0, 0, 0).code(), Code::kIoError);  // the error sticks
}

TEST(RdbFileTest, ReadsBothExpireOpcodesAndLruLfuInfo) {
  std::string records;
  RdbWriter w(&records);
  w.WriteByte(kRdbOpcodeSelectDb);
  w.WriteLength(2);
  w.WriteByte(kRdbOpcodeExpireTime);  // seconds, 4 bytes LE
  w.WriteBytes("\x00\xf1\x53\x65"s);  // 0x6553f100 = 1700000000
  records += StringRecord("seconds", "a");
  w.WriteByte(kRdbOpcodeExpireTimeMs);
  w.WriteUint64LE(1700000000123);
  w.WriteByte(kRdbOpcodeIdle);
  w.WriteLength(3600);
  records += StringRecord("ms with idle", "b");
  w.WriteByte(kRdbOpcodeFreq);
  w.WriteByte(42);
  records += StringRecord("freq", "c");
  w.WriteByte(kRdbOpcodeExpireTimeMs);
  w.WriteUint64LE(static_cast<uint64_t>(-5000));  // before 1970: already expired
  records += StringRecord("ancient", "d");
  records += StringRecord("plain", "e");

  ReadOutcome read = ReadBuffer(RdbImage(records));
  ASSERT_TRUE(read.summary.ok()) << read.summary.status().message();
  ASSERT_EQ(read.keys.size(), 5u);
  for (const SeenKey& k : read.keys) EXPECT_EQ(k.db, 2u);
  EXPECT_EQ(read.keys[0].expire_at_ms, 1700000000000);
  EXPECT_EQ(read.keys[1].expire_at_ms, 1700000000123);
  EXPECT_EQ(read.keys[1].idle_seconds, 3600u);
  EXPECT_EQ(read.keys[1].lfu_freq, std::nullopt);
  EXPECT_EQ(read.keys[2].expire_at_ms, kNoExpire);  // an expire applies to one key only
  EXPECT_EQ(read.keys[2].lfu_freq, 42);
  EXPECT_EQ(read.keys[2].idle_seconds, std::nullopt);
  EXPECT_EQ(read.keys[3].expire_at_ms, 0);
  EXPECT_EQ(read.keys[4].expire_at_ms, kNoExpire);
  EXPECT_EQ(read.keys[4].object, StringObject("e"));
}

TEST(RdbFileTest, EntryOffsetIsWhereTheKeysFirstOpcodeStarts) {
  std::string records = StringRecord("first", "1");
  const size_t second = 9 + records.size();
  RdbWriter(&records).WriteByte(kRdbOpcodeExpireTimeMs);
  RdbWriter(&records).WriteUint64LE(1700000000000);
  records += StringRecord("second", "2");
  std::vector<uint64_t> offsets;
  Result<RdbFileSummary> summary = ReadRdbBuffer(RdbImage(records), [&](RdbFileEntry& e) {
    offsets.push_back(e.offset);
    return Status::Ok();
  });
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(offsets, (std::vector<uint64_t>{9, second}));
}

TEST(RdbFileTest, SkipsFunctionsAndModuleAux) {
  std::string records;
  RdbWriter w(&records);
  w.WriteByte(kRdbOpcodeFunction2);
  w.WriteString("#!lua name=mylib\nredis.register_function('f', function() return 1 end)");
  w.WriteByte(kRdbOpcodeFunctionPreGa);
  w.WriteString("oldlib");
  w.WriteString("LUA");
  w.WriteLength(1);
  w.WriteString("a description");
  w.WriteString("return 1");
  w.WriteByte(kRdbOpcodeModuleAux);
  w.WriteLength(0xabcdef12345ull);
  w.WriteLength(kRdbModuleOpcodeUint);
  w.WriteLength(1);  // when: before keys
  w.WriteLength(kRdbModuleOpcodeString);
  w.WriteString("aux data");
  w.WriteLength(kRdbModuleOpcodeEof);
  records += StringRecord("key", "value");
  ReadOutcome read = ReadBuffer(RdbImage(records));
  ASSERT_TRUE(read.summary.ok()) << read.summary.status().message();
  EXPECT_EQ(read.summary->functions_skipped, 2u);
  EXPECT_EQ(read.summary->module_aux_skipped, 1u);
  ASSERT_EQ(read.keys.size(), 1u);
  EXPECT_EQ(read.keys[0].key, "key");
}

TEST(RdbFileTest, OldVersionsWithoutChecksumAndZeroChecksums) {
  ReadOutcome v4 = ReadBuffer(RdbImage(StringRecord("k", "v"), 4));
  ASSERT_TRUE(v4.summary.ok()) << v4.summary.status().message();
  EXPECT_EQ(v4.summary->version, 4);
  EXPECT_FALSE(v4.summary->checksum_verified);
  ASSERT_EQ(v4.keys.size(), 1u);

  ReadOutcome disabled = ReadBuffer(RdbImage(StringRecord("k", "v"), kRdbVersion, 0));
  ASSERT_TRUE(disabled.summary.ok());
  EXPECT_FALSE(disabled.summary->checksum_verified);

  ReadOutcome v11 = ReadBuffer(RdbImage(StringRecord("k", "v"), 11));
  ASSERT_TRUE(v11.summary.ok());
  EXPECT_TRUE(v11.summary->checksum_verified);
  ReadOutcome v1 = ReadBuffer(RdbImage(StringRecord("k", "v"), 1));
  ASSERT_TRUE(v1.summary.ok());
}

TEST(RdbFileTest, BadChecksumIsCorruption) {
  TempDir dir;
  const std::string path = WriteFile(dir, StringKeys());
  std::string bytes = Slurp(path);
  std::string bad_crc = bytes;
  bad_crc.back() = static_cast<char>(bad_crc.back() ^ 0x01);
  ExpectCorruption(ReadBuffer(bad_crc), "checksum mismatch");

  // A flipped byte inside a raw value keeps the framing intact: only the CRC sees it.
  const size_t at = bytes.find("three");
  ASSERT_NE(at, std::string::npos);
  std::string bad_value = bytes;
  bad_value[at] = 'T';
  Spit(path, bad_value);
  ReadOutcome read = ReadFile(path);
  ExpectCorruption(read, "offset " + std::to_string(bytes.size() - 8) + ": checksum mismatch");
}

TEST(RdbFileTest, TruncationAtEveryByteIsCorruption) {
  std::vector<Key> keys = StringKeys();
  keys.resize(7);  // keep it small: no 70 KB value
  for (const auto& [type, object] : ObjectOfEveryType()) keys.push_back({1, std::to_string(type), kNoExpire, object});
  TempDir dir;
  const std::string bytes = Slurp(WriteFile(dir, keys));
  ASSERT_TRUE(ReadBuffer(bytes).summary.ok());
  for (size_t size = 0; size < bytes.size(); ++size) {
    ReadOutcome read = ReadBuffer(std::string_view(bytes).substr(0, size));
    ASSERT_FALSE(read.summary.ok()) << "prefix of " << size << " bytes was accepted";
    ASSERT_EQ(read.summary.status().code(), Code::kCorruption) << read.summary.status().message();
    ASSERT_NE(read.summary.status().message().find("offset "), std::string::npos);
  }
  // And through real files, including an empty one.
  for (size_t size : {size_t{0}, size_t{5}, size_t{9}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string path = dir.path() + "/cut.rdb";
    Spit(path, std::string_view(bytes).substr(0, size));
    ExpectCorruption(ReadFile(path), dir.path() + "/cut.rdb: offset ");
  }
}

TEST(RdbFileTest, DamagedHeadersAndRecordsAreCorruption) {
  const std::string good = RdbImage(StringRecord("k", "v"));
  ExpectCorruption(ReadBuffer("REDIX0010" + good.substr(9)), "offset 0: not an RDB file");
  ExpectCorruption(ReadBuffer("xyz"), "not an RDB file");
  ExpectCorruption(ReadBuffer("RED"), "file ends inside the header");
  ExpectCorruption(ReadBuffer(""), "empty file");
  ExpectCorruption(ReadBuffer("REDIS00a0" + good.substr(9)), "offset 5: RDB version is not 4 digits");
  ExpectCorruption(ReadBuffer(RdbImage(StringRecord("k", "v"), 12)), "unsupported RDB version 12");
  ExpectCorruption(ReadBuffer(RdbImage(StringRecord("k", "v"), 0)), "unsupported RDB version 0");
  ExpectCorruption(ReadBuffer(good + "x"), "offset " + std::to_string(good.size()) + ": 1 bytes after the end");

  // Unknown type bytes where a record starts: 8 (never used), 22 (after 7.2's types).
  for (uint8_t unknown : {8, 22, 200}) {
    std::string records = StringRecord("k", "v");
    const size_t offset = 9 + records.size();
    records.push_back(static_cast<char>(unknown));
    records += "garbage";
    ExpectCorruption(ReadBuffer(RdbImage(records)),
                     "offset " + std::to_string(offset) + ": unknown record type " + std::to_string(unknown));
  }
  // A pre-GA module value cannot be skipped.
  std::string records;
  RdbWriter w(&records);
  w.WriteByte(kRdbTypeModulePreGa);
  w.WriteString("modkey");
  w.WriteLength(1);
  ExpectCorruption(ReadBuffer(RdbImage(records)), "key 'modkey' (module-pre-ga");
  // Damage inside a value is reported with the key and the value's offset.
  std::string bad_list;
  RdbWriter l(&bad_list);
  l.WriteByte(kRdbTypeListQuicklist2);
  l.WriteString("list");
  l.WriteLength(1);
  l.WriteLength(3);  // neither plain nor packed
  l.WriteString("x");
  ExpectCorruption(ReadBuffer(RdbImage(bad_list)), "unknown quicklist node container 3");
}

TEST(RdbFileTest, VisitorErrorStopsTheRead) {
  TempDir dir;
  const std::string path = WriteFile(dir, StringKeys());
  int calls = 0;
  Result<RdbFileSummary> summary = ReadRdbFile(path, [&](RdbFileEntry&) {
    return ++calls == 2 ? Status::IoError("tier full") : Status::Ok();
  });
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Code::kIoError);
  EXPECT_EQ(summary.status().message(), "tier full");
  EXPECT_EQ(calls, 2);
}

TEST(RdbFileTest, EmptyVisitorOnlyChecksTheFile) {
  TempDir dir;
  const std::string path = WriteFile(dir, StringKeys());
  Result<RdbFileSummary> summary = ReadRdbFile(path, nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->keys, StringKeys().size());
  std::string bytes = Slurp(path);
  bytes[bytes.size() - 3] ^= 0x10;
  ExpectCorruption(ReadOutcome{ReadRdbBuffer(bytes, nullptr), {}}, "checksum mismatch");
}

TEST(RdbFileTest, MissingFileIsIoError) {
  ReadOutcome read = ReadFile("/nonexistent-dir-for-tierkv/dump.rdb");
  ASSERT_FALSE(read.summary.ok());
  EXPECT_EQ(read.summary.status().code(), Code::kIoError);
}

TEST(RdbFileTest, EmptyFileWithoutDatabasesRoundTrips) {
  TempDir dir;
  const std::string path = dir.path() + "/empty.rdb";
  RdbFileWriter writer(path, TestOptions());
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.Finish().ok());
  ReadOutcome read = ReadFile(path);
  ASSERT_TRUE(read.summary.ok()) << read.summary.status().message();
  EXPECT_EQ(read.summary->keys, 0u);
  EXPECT_TRUE(read.summary->checksum_verified);
}

// Enough data that the reader crosses its page-release step (64 MiB) and the writer
// flushes many times; the CRC must still come out right.
TEST(RdbFileTest, LargeFileRoundTrips) {
  TempDir dir;
  const std::string path = dir.path() + "/large.rdb";
  RdbFileWriterOptions options = TestOptions();
  options.rdb.compress = false;
  RdbFileWriter writer(path, options);
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.SelectDb(0, 0, 0).ok());
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 2654435761u >> 13);
  RdbWriteOptions raw{.compress = false};
  constexpr int kKeys = 80;
  for (int i = 0; i < kKeys; ++i) {
    value[0] = static_cast<char>(i);
    std::string object;
    RdbWriter object_writer(&object, raw);
    WriteRdbStringObject(object_writer, value);
    ASSERT_TRUE(writer.Add("key" + std::to_string(i), kNoExpire, object).ok());
  }
  ASSERT_TRUE(writer.Finish().ok());
  int seen = 0;
  Result<RdbFileSummary> summary = ReadRdbFile(path, [&](RdbFileEntry& e) {
    EXPECT_EQ(e.key, "key" + std::to_string(seen));
    EXPECT_EQ(e.value.size(), value.size() + 5);  // 32-bit length prefix
    EXPECT_EQ(static_cast<uint8_t>(e.value[5]), seen);
    ++seen;
    return Status::Ok();
  });
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(seen, kKeys);
  EXPECT_TRUE(summary->checksum_verified);
}

}  // namespace
}  // namespace tierkv
