// Interop test: our RDB file reader and writer against a real redis-server (Debian's 7.0).
//
//  - Redis writes, we read: keys of every type Redis 7.0 produces (strings in each
//    encoding, with and without TTLs, lists, sets, sorted sets and hashes both small and
//    large, a stream with consumer groups and pending entries, a function library) in
//    several databases, SAVEd to dump.rdb. Every key must be seen, in its database, with
//    its exact expire time and type id, and with object bytes identical to what Redis's
//    DUMP returns for it (which proves the value's end was found exactly; string values
//    are also decoded and compared). A second SAVE under an LRU policy adds IDLE records.
//  - We write, Redis reads: strings (int-encoded, LZF-compressed, binary), TTLs, several
//    databases, plus the non-string objects read above; redis-server loads the file at
//    start-up and GET / PEXPIRETIME / DBSIZE / the collections' contents must match.
// Skipped (not failed) when redis-server is not installed.
#include <hiredis/hiredis.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_object.h"
#include "harness/server_process.h"
#include "harness/temp_dir.h"
#include "tiering/rdb_file.h"

namespace tierkv {
namespace {

using namespace std::string_literals;

constexpr const char* kRedisServer = "/usr/bin/redis-server";

using testing::Command;
using testing::Context;
using testing::Reply;
using testing::TempDir;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RepetitiveText(size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) s += "row " + std::to_string(i % 5) + " of a compressible value; ";
  s.resize(n);
  return s;
}

std::string StringObject(std::string_view value) {
  std::string object;
  RdbWriter writer(&object);
  WriteRdbStringObject(writer, value);
  return object;
}

std::string ReadLog(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Debian's redis-server with its data directory (and log) in `dir`.
std::unique_ptr<testing::ServerProcess> StartRedis(const std::string& dir, const std::string& dbfilename) {
  return testing::ServerProcess::Start(kRedisServer, {"--daemonize", "no", "--dir", dir, "--dbfilename", dbfilename,
                                                      "--logfile", dir + "/redis.log"});
}

// Runs a command that must not fail; returns the reply.
Reply Must(redisContext* c, const std::vector<std::string>& args) {
  Reply reply = Command(c, args);
  EXPECT_TRUE(reply != nullptr) << args[0];
  if (reply && reply->type == REDIS_REPLY_ERROR) ADD_FAILURE() << args[0] << ": " << reply->str;
  return reply;
}

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    default: {
      std::string out = "[";
      for (size_t i = 0; i < r->elements; ++i) out += (i ? ", " : "") + ReplyText(r->element[i]);
      return out + "]";
    }
  }
}

// A canonical text of a key's value, whatever its encoding: collections whose order is
// not part of their value are sorted.
std::string Snapshot(redisContext* c, const std::string& key) {
  Reply type = Must(c, {"TYPE", key});
  const std::string t = type ? ReplyText(type.get()) : "?";
  auto elements = [](const redisReply* r, size_t group) {
    std::vector<std::string> out;
    for (size_t i = 0; r && i + group <= r->elements; i += group) {
      std::string item;
      for (size_t j = 0; j < group; ++j) item += ReplyText(r->element[i + j]) + "\x1f";
      out.push_back(item);
    }
    return out;
  };
  std::vector<std::string> parts;
  if (t == "string") {
    parts = {ReplyText(Must(c, {"GET", key}).get())};
  } else if (t == "list") {
    parts = elements(Must(c, {"LRANGE", key, "0", "-1"}).get(), 1);
  } else if (t == "set") {
    parts = elements(Must(c, {"SMEMBERS", key}).get(), 1);
    std::sort(parts.begin(), parts.end());
  } else if (t == "zset") {
    parts = elements(Must(c, {"ZRANGE", key, "0", "-1", "WITHSCORES"}).get(), 2);
  } else if (t == "hash") {
    parts = elements(Must(c, {"HGETALL", key}).get(), 2);
    std::sort(parts.begin(), parts.end());
  } else if (t == "stream") {
    parts = {ReplyText(Must(c, {"XRANGE", key, "-", "+"}).get()),
             ReplyText(Must(c, {"XINFO", "STREAM", key, "FULL"}).get())};
  }
  std::string out = t + ":";
  for (const std::string& p : parts) out += p + "|";
  return out;
}

struct RedisKey {
  uint32_t db;
  std::string key;
  uint8_t type;          // expected RDB type id
  std::string value;     // strings only
  int64_t expire_at_ms;  // kNoExpire or the PXAT we set
};

class RdbFileInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(kRedisServer, &st) != 0) {
      GTEST_SKIP() << kRedisServer << " is not installed; skipping the RDB file interop test";
    }
  }

  // Fills a server with keys of every kind; returns what it made.
  std::vector<RedisKey> Populate(redisContext* c) {
    std::vector<RedisKey> keys;
    const int64_t later = NowMs() + 3600 * 1000;
    auto select = [&](uint32_t db) { Must(c, {"SELECT", std::to_string(db)}); };
    auto set = [&](uint32_t db, const std::string& key, const std::string& value, int64_t expire) {
      if (expire == kNoExpire) {
        Must(c, {"SET", key, value});
      } else {
        Must(c, {"SET", key, value, "PXAT", std::to_string(expire)});
      }
      keys.push_back({db, key, kRdbTypeString, value, expire});
    };
    auto expect = [&](uint32_t db, const std::string& key, uint8_t type, int64_t expire = kNoExpire) {
      if (expire != kNoExpire) Must(c, {"PEXPIREAT", key, std::to_string(expire)});
      keys.push_back({db, key, type, "", expire});
    };

    select(0);
    set(0, "str:small", "hello", kNoExpire);
    set(0, "str:int", "12345", kNoExpire);
    set(0, "str:negative", "-100000", later + 1);
    set(0, "str:wide-int", "12345678901234", kNoExpire);
    set(0, "str:compressible", RepetitiveText(2000), later + 2);
    set(0, "str:binary", "\0\x01\xfe\xff bytes \r\n"s, kNoExpire);
    set(0, "str:empty", "", kNoExpire);
    set(0, "binary\0key\xff"s, "v", later + 3);
    set(0, "777", "a key that is an integer", kNoExpire);
    // Interleave collections with strings: dict order mixes them anyway.
    for (int i = 0; i < 10; ++i) Must(c, {"RPUSH", "list:small", "item" + std::to_string(i), std::to_string(i)});
    expect(0, "list:small", kRdbTypeListQuicklist2, later + 4);
    for (int i = 0; i < 2000; ++i) Must(c, {"RPUSH", "list:large", RepetitiveText(50 + i % 30)});
    expect(0, "list:large", kRdbTypeListQuicklist2);
    for (int i = 0; i < 20; ++i) Must(c, {"SADD", "set:ints", std::to_string(i * 7)});
    expect(0, "set:ints", kRdbTypeSetIntset);
    for (int i = 0; i < 20; ++i) Must(c, {"SADD", "set:strings", "member-" + std::to_string(i)});
    expect(0, "set:strings", kRdbTypeSet, later + 5);
    for (int i = 0; i < 10; ++i) Must(c, {"ZADD", "zset:small", std::to_string(i * 1.5), "m" + std::to_string(i)});
    expect(0, "zset:small", kRdbTypeZSetListpack);
    for (int i = 0; i < 300; ++i) Must(c, {"ZADD", "zset:large", std::to_string(i * 0.25), "member" + std::to_string(i)});
    expect(0, "zset:large", kRdbTypeZSet2);
    for (int i = 0; i < 10; ++i) Must(c, {"HSET", "hash:small", "f" + std::to_string(i), "v" + std::to_string(i)});
    expect(0, "hash:small", kRdbTypeHashListpack);
    for (int i = 0; i < 600; ++i) Must(c, {"HSET", "hash:large", "field" + std::to_string(i), RepetitiveText(30)});
    expect(0, "hash:large", kRdbTypeHash, later + 6);
    for (int i = 0; i < 250; ++i) Must(c, {"XADD", "stream", "*", "n", std::to_string(i), "text", RepetitiveText(40)});
    Must(c, {"XGROUP", "CREATE", "stream", "readers", "0"});
    Must(c, {"XGROUP", "CREATE", "stream", "idle", "$"});
    Must(c, {"XREADGROUP", "GROUP", "readers", "alice", "COUNT", "5", "STREAMS", "stream", ">"});
    Must(c, {"XREADGROUP", "GROUP", "readers", "bob", "COUNT", "3", "STREAMS", "stream", ">"});
    Must(c, {"XDEL", "stream", ReplyText(Must(c, {"XRANGE", "stream", "-", "+", "COUNT", "1"})->element[0]->element[0])});
    expect(0, "stream", kRdbTypeStreamListpacks2);
    for (int i = 0; i < 30; ++i) set(0, "str:filler" + std::to_string(i), std::to_string(i * 1000), kNoExpire);

    select(1);
    set(1, "db1:a", "in db one", later + 7);
    Must(c, {"RPUSH", "db1:list", "x", "y"});
    expect(1, "db1:list", kRdbTypeListQuicklist2);
    select(9);
    set(9, "db9:a", RepetitiveText(300), kNoExpire);
    Must(c, {"HSET", "db9:hash", "k", "v"});
    expect(9, "db9:hash", kRdbTypeHashListpack, later + 8);
    set(9, "db9:b", "42", later + 9);
    select(0);

    Must(c, {"FUNCTION", "LOAD", "#!lua name=rdbtestlib\nredis.register_function('rdbtest', function() return 1 end)"});
    return keys;
  }

  // DUMP bodies (object bytes) of every key, by (db, key).
  std::map<std::pair<uint32_t, std::string>, std::string> DumpBodies(redisContext* c, const std::vector<RedisKey>& keys) {
    std::map<std::pair<uint32_t, std::string>, std::string> bodies;
    for (const RedisKey& k : keys) {
      Must(c, {"SELECT", std::to_string(k.db)});
      Reply dump = Must(c, {"DUMP", k.key});
      if (!dump || dump->type != REDIS_REPLY_STRING) {
        ADD_FAILURE() << "DUMP " << k.key;
        continue;
      }
      const std::string payload(dump->str, dump->len);
      Result<std::string_view> body = VerifyDumpPayload(payload);
      EXPECT_TRUE(body.ok());
      if (body.ok()) bodies[{k.db, k.key}] = std::string(*body);
    }
    Must(c, {"SELECT", "0"});
    return bodies;
  }
};

struct SeenKey {
  int64_t expire_at_ms;
  uint8_t type;
  std::string object;
  std::optional<uint64_t> idle;
};

using SeenKeys = std::map<std::pair<uint32_t, std::string>, SeenKey>;

Result<RdbFileSummary> ReadAll(const std::string& path, SeenKeys* seen) {
  return ReadRdbFile(path, [seen](RdbFileEntry& e) {
    const bool fresh = seen->emplace(std::pair(e.db, e.key), SeenKey{e.expire_at_ms, e.type, e.ObjectBytes(), e.idle_seconds}).second;
    EXPECT_TRUE(fresh) << "key seen twice: " << e.key;
    return Status::Ok();
  });
}

TEST_F(RdbFileInteropTest, ReadsWhatRedisSaves) {
  TempDir dir("tierkv-rdb-interop");
  auto server = StartRedis(dir.path(), "dump.rdb");
  ASSERT_NE(server, nullptr) << "could not start " << kRedisServer << "\n" << ReadLog(dir.path() + "/redis.log");
  Context conn = server->Connect();
  ASSERT_TRUE(conn && conn->err == 0);
  const std::vector<RedisKey> keys = Populate(conn.get());
  const auto bodies = DumpBodies(conn.get(), keys);
  Must(conn.get(), {"SAVE"});

  SeenKeys seen;
  Result<RdbFileSummary> summary = ReadAll(dir.path() + "/dump.rdb", &seen);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->version, 10);
  EXPECT_TRUE(summary->checksum_verified);
  EXPECT_EQ(summary->functions_skipped, 1u);
  EXPECT_EQ(summary->keys, keys.size());
  std::map<std::string, std::string> aux(summary->aux.begin(), summary->aux.end());
  EXPECT_EQ(aux["redis-ver"].substr(0, 4), "7.0.");
  EXPECT_EQ(aux["redis-bits"], "64");

  std::set<uint8_t> non_string_types;
  for (const RedisKey& k : keys) {
    SCOPED_TRACE("db " + std::to_string(k.db) + " key " + k.key);
    auto it = seen.find({k.db, k.key});
    ASSERT_NE(it, seen.end()) << "not in the file";
    EXPECT_EQ(it->second.type, k.type) << RdbTypeName(it->second.type);
    EXPECT_EQ(it->second.expire_at_ms, k.expire_at_ms);
    EXPECT_EQ(it->second.object, bodies.at({k.db, k.key})) << "object bytes differ from DUMP";
    EXPECT_EQ(it->second.idle, std::nullopt);  // noeviction: Redis writes no LRU info
    if (k.type == kRdbTypeString) {
      RdbReader reader(it->second.object);
      Result<RdbObject> object = ReadRdbObject(reader);
      ASSERT_TRUE(object.ok()) << object.status().message();
      EXPECT_EQ(object->string_value(), k.value);
      EXPECT_TRUE(reader.at_end());
    } else {
      // Every collection Redis wrote decodes, as recovery and --import-rdb decode it.
      RdbReader reader(it->second.object);
      Result<RdbObject> object = ReadRdbObject(reader);
      ASSERT_TRUE(object.ok()) << object.status().message();
      EXPECT_FALSE(object->is_string());
      EXPECT_TRUE(reader.at_end());
      non_string_types.insert(k.type);
    }
  }
  EXPECT_EQ(non_string_types.size(), 8u);
  // The compressible string really was LZF-compressed in the file.
  EXPECT_EQ(static_cast<uint8_t>(seen.at({0, "str:compressible"}).object[1]), 0xc3);

  // Under an LRU policy Redis adds an IDLE record before every key.
  Must(conn.get(), {"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"});
  Must(conn.get(), {"SAVE"});
  SeenKeys seen_lru;
  Result<RdbFileSummary> lru = ReadAll(dir.path() + "/dump.rdb", &seen_lru);
  ASSERT_TRUE(lru.ok()) << lru.status().message();
  ASSERT_EQ(seen_lru.size(), keys.size());
  for (const RedisKey& k : keys) {
    const SeenKey& s = seen_lru.at({k.db, k.key});
    EXPECT_TRUE(s.idle.has_value()) << k.key;
    EXPECT_EQ(s.expire_at_ms, k.expire_at_ms) << k.key;
    EXPECT_EQ(s.object, bodies.at({k.db, k.key})) << k.key;
  }
}

TEST_F(RdbFileInteropTest, RedisLoadsWhatWeWrite) {
  // Collections come from a first server, as Redis serializes them, with a snapshot of
  // their contents to compare after the load.
  TempDir source_dir("tierkv-rdb-interop-src");
  std::vector<std::pair<std::string, std::string>> collections;  // key -> object bytes
  std::map<std::string, std::string> snapshots;
  {
    auto source = StartRedis(source_dir.path(), "dump.rdb");
    ASSERT_NE(source, nullptr);
    Context c = source->Connect();
    ASSERT_TRUE(c && c->err == 0);
    std::vector<RedisKey> keys = Populate(c.get());
    const auto bodies = DumpBodies(c.get(), keys);
    for (const RedisKey& k : keys) {
      if (k.type == kRdbTypeString || k.db != 0) continue;
      collections.emplace_back(k.key, bodies.at({0, k.key}));
      snapshots[k.key] = Snapshot(c.get(), k.key);
    }
  }
  ASSERT_EQ(collections.size(), 9u);  // two lists, two sets, two zsets, two hashes, a stream

  const int64_t later = NowMs() + 2 * 3600 * 1000;
  struct Written {
    uint32_t db;
    std::string key;
    std::string value;  // strings; empty for collections
    int64_t expire_at_ms;
    std::string object;
  };
  std::vector<Written> written = {
      {0, "small", "hello", kNoExpire, ""},
      {0, "int8", "-12", later + 1, ""},
      {0, "int32", "2147483647", kNoExpire, ""},
      {0, "wide", "99999999999999999", kNoExpire, ""},
      {0, "compressible", RepetitiveText(5000), later + 2, ""},
      {0, "binary", "\0\r\n\xff\x80"s, kNoExpire, ""},
      {0, "empty", "", later + 3, ""},
      {0, "binary\0key"s, "x", kNoExpire, ""},
      {0, RepetitiveText(100), "long compressible key", kNoExpire, ""},
      {0, "12345", "integer key", kNoExpire, ""},
      {1, "one", "db one", later + 4, ""},
      {7, "seven", RepetitiveText(64), kNoExpire, ""},
      {7, "seven-ttl", "s", later + 5, ""},
      {15, "fifteen", "last db", kNoExpire, ""},
  };
  for (Written& w : written) w.object = StringObject(w.value);
  for (size_t i = 0; i < collections.size(); ++i) {
    written.push_back({2, collections[i].first, "", i % 2 ? later + 10 + static_cast<int64_t>(i) : kNoExpire,
                       collections[i].second});
  }
  // Already expired: Redis (as a master) drops it while loading.
  const Written expired{0, "expired", "gone", 1000, StringObject("gone")};

  TempDir dir("tierkv-rdb-interop-dst");
  {
    RdbFileWriter writer(dir.path() + "/export.rdb");
    ASSERT_TRUE(writer.Begin().ok());
    for (uint32_t db : {0u, 1u, 2u, 7u, 15u}) {
      uint64_t count = 0, expires = 0;
      for (const Written& w : written) {
        if (w.db != db) continue;
        ++count;
        expires += w.expire_at_ms != kNoExpire;
      }
      if (db == 0) {
        ++count;
        ++expires;
      }
      ASSERT_TRUE(writer.SelectDb(db, count, expires).ok());
      if (db == 0) {
        ASSERT_TRUE(writer.Add(expired.key, expired.expire_at_ms, expired.object).ok());
      }
      for (const Written& w : written) {
        if (w.db != db) continue;
        Status st = writer.Add(w.key, w.expire_at_ms, w.object);
        ASSERT_TRUE(st.ok()) << st.message();
      }
    }
    Status st = writer.Finish();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  // Our own reader agrees before Redis gets it.
  SeenKeys ours;
  ASSERT_TRUE(ReadAll(dir.path() + "/export.rdb", &ours).ok());
  EXPECT_EQ(ours.size(), written.size() + 1);

  auto server = StartRedis(dir.path(), "export.rdb");
  ASSERT_NE(server, nullptr) << "redis-server did not start on our file:\n" << ReadLog(dir.path() + "/redis.log");
  Context c = server->Connect();
  ASSERT_TRUE(c && c->err == 0);

  std::map<uint32_t, long long> per_db;
  for (const Written& w : written) ++per_db[w.db];
  for (uint32_t db = 0; db < 16; ++db) {
    Must(c.get(), {"SELECT", std::to_string(db)});
    Reply size = Must(c.get(), {"DBSIZE"});
    ASSERT_TRUE(size && size->type == REDIS_REPLY_INTEGER);
    EXPECT_EQ(size->integer, per_db.count(db) ? per_db[db] : 0) << "db " << db;
  }
  for (const Written& w : written) {
    SCOPED_TRACE("db " + std::to_string(w.db) + " key " + w.key.substr(0, 40));
    Must(c.get(), {"SELECT", std::to_string(w.db)});
    Reply expire = Must(c.get(), {"PEXPIRETIME", w.key});
    ASSERT_TRUE(expire && expire->type == REDIS_REPLY_INTEGER);
    EXPECT_EQ(expire->integer, w.expire_at_ms == kNoExpire ? -1 : w.expire_at_ms);
    if (w.db == 2) {
      EXPECT_EQ(Snapshot(c.get(), w.key), snapshots.at(w.key));
    } else {
      Reply get = Must(c.get(), {"GET", w.key});
      ASSERT_TRUE(get && get->type == REDIS_REPLY_STRING);
      EXPECT_EQ(std::string(get->str, get->len), w.value);
    }
  }
  Must(c.get(), {"SELECT", "0"});
  Reply gone = Must(c.get(), {"EXISTS", "expired"});
  ASSERT_TRUE(gone && gone->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(gone->integer, 0);
}

}  // namespace
}  // namespace tierkv
