// Redis's key specifications of every command tierkv implements, as data: the
// table is looked up by full name ("get", "object|encoding") when the command
// table is built, and COMMAND INFO, COMMAND GETKEYS and GETKEYSANDFLAGS answer
// from it (server/key_specs.cc).
//
// The rows are what redis-server answers in COMMAND INFO, notes included
// (tests/integration/test_key_specs.py compares every command with a running
// redis-server 7.0; the generic-group rows were also checked against 7.2). A
// row for a name the table lacks, or a command with key positions but no
// row, stops start-up.
#include <string_view>
#include <unordered_map>

#include "server/command_table.h"
#include "server/key_specs.h"

namespace tierkv {
namespace {

// Redis's flag-aware key extraction for the commands whose specs cannot give
// the flags: args[0] is the command name; the key is always args[1].

// SET: read as well as written when GET is given.
std::vector<KeyReference> SetKeys(std::span<const std::string_view> args) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "get")) return {{1, kKeyRW | kKeyAccess | kKeyUpdate}};
  }
  return {{1, kKeyOW | kKeyUpdate}};
}

// BITFIELD: read-only while every operation is a GET (an unparsable one counts
// as a write, the safe side).
std::vector<KeyReference> BitfieldKeys(std::span<const std::string_view> args) {
  bool read_only = true;
  for (size_t i = 2; i < args.size(); ++i) {
    const size_t remaining = args.size() - i - 1;
    if (EqualsIgnoreCase(args[i], "get") && remaining >= 2) {
      i += 2;
    } else if ((EqualsIgnoreCase(args[i], "set") || EqualsIgnoreCase(args[i], "incrby")) && remaining >= 3) {
      read_only = false;
      break;
    } else if (EqualsIgnoreCase(args[i], "overflow") && remaining >= 1) {
      i += 1;
    } else {
      read_only = false;
      break;
    }
  }
  return {{1, read_only ? kKeyRO | kKeyAccess : kKeyRW | kKeyAccess | kKeyUpdate}};
}

// SORT: the sorted key, and the last STORE destination. LIMIT, GET and BY
// are skipped with their arguments so that their values are not taken for
// STORE; BY/GET patterns name keys only through the data, so they are not
// reported (as Redis).
std::vector<KeyReference> SortKeys(std::span<const std::string_view> args) {
  std::vector<KeyReference> keys = {{1, kKeyRO | kKeyAccess}};
  int store = 0;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "get") || EqualsIgnoreCase(args[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "store") && i + 1 < args.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store != 0) keys.push_back({store, kKeyOW | kKeyUpdate});
  return keys;
}

std::vector<KeyReference> SortReadOnlyKeys(std::span<const std::string_view>) { return {{1, kKeyRO | kKeyAccess}}; }

struct KeySpecRow {
  std::string_view command;  // full name, lowercase
  std::vector<KeySpec> specs;
  KeyFlagsFinder finder = nullptr;
};

const std::vector<KeySpecRow>& KeySpecRows() {
  static const std::vector<KeySpecRow> rows = {
    {"append", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"bitcount", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"bitfield", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags,
          "This command allows both access and modification of the key"}.Index(1).Range(0, 1, 0)}, BitfieldKeys},
    {"bitfield_ro", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"bitop",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(2).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(3).Range(-1, 1, 0)}},
    {"eval", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate,
          "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"}.Index(2).Keynum(0, 1, 1)}},
    {"eval_ro", {KeySpec{kKeyRO | kKeyAccess,
          "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"}.Index(2).Keynum(0, 1, 1)}},
    {"fcall", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate,
          "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"}.Index(2).Keynum(0, 1, 1)}},
    {"fcall_ro", {KeySpec{kKeyRO | kKeyAccess,
          "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"}.Index(2).Keynum(0, 1, 1)}},
    {"evalsha", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(2).Keynum(0, 1, 1)}},
    {"evalsha_ro", {KeySpec{kKeyRO | kKeyAccess}.Index(2).Keynum(0, 1, 1)}},
    {"bitpos", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"blmove",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"blmpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(2).Keynum(0, 1, 1)}},
    {"blpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(-2, 1, 0)}},
    {"brpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(-2, 1, 0)}},
    {"brpoplpush",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"bzmpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(2).Keynum(0, 1, 1)}},
    {"bzpopmax", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(-2, 1, 0)}},
    {"bzpopmin", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(-2, 1, 0)}},
    {"copy",
     {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyUpdate}.Index(2).Range(0, 1, 0)}},
    {"decr", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"decrby", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"del", {KeySpec{kKeyRM | kKeyDelete}.Index(1).Range(-1, 1, 0)}},
    {"dump", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"exists", {KeySpec{kKeyRO}.Index(1).Range(-1, 1, 0)}},
    {"expire", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"expireat", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"expiretime", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"geoadd", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"geodist", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"geohash", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"geopos", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"georadius",
     {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyUpdate}.Keyword("STORE", 6).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyUpdate}.Keyword("STOREDIST", 6).Range(0, 1, 0)}},
    {"georadius_ro", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"georadiusbymember",
     {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyUpdate}.Keyword("STORE", 5).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyUpdate}.Keyword("STOREDIST", 5).Range(0, 1, 0)}},
    {"georadiusbymember_ro", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"geosearch", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"geosearchstore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(0, 1, 0)}},
    {"get", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"getbit", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"getdel", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"getex", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate,
          "RW and UPDATE because it changes the TTL"}.Index(1).Range(0, 1, 0)}},
    {"getrange", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"getset", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"hdel", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"hexists", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"hget", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"hgetall", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"hincrby", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"hincrbyfloat", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"hkeys", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"hlen", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"hmget", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"hmset", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"hrandfield", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"hscan", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"hset", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"hsetnx", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"hstrlen", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"hvals", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"incr", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"incrby", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"incrbyfloat", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"lcs", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(1, 1, 0)}},
    {"lindex", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"linsert", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"llen", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"lmove",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"lmpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Keynum(0, 1, 1)}},
    {"lpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"lpos", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"lpush", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"lpushx", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"lrange", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"lrem", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"lset", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"ltrim", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"mget", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(-1, 1, 0)}},
    {"move", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"mset", {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(-1, 2, 0)}},
    {"msetnx", {KeySpec{kKeyOW | kKeyInsert}.Index(1).Range(-1, 2, 0)}},
    {"memory|usage", {KeySpec{kKeyRO}.Index(2).Range(0, 1, 0)}},
    {"object|encoding", {KeySpec{kKeyRO}.Index(2).Range(0, 1, 0)}},
    {"object|freq", {KeySpec{kKeyRO}.Index(2).Range(0, 1, 0)}},
    {"object|idletime", {KeySpec{kKeyRO}.Index(2).Range(0, 1, 0)}},
    {"object|refcount", {KeySpec{kKeyRO}.Index(2).Range(0, 1, 0)}},
    {"persist", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"pexpire", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"pexpireat", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"pexpiretime", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"pfadd", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"pfcount", {KeySpec{kKeyRW | kKeyAccess,
          "RW because it may change the internal representation of the key, and propagate "
          "to replicas"}.Index(1).Range(-1, 1, 0)}},
    {"pfdebug", {KeySpec{kKeyRW | kKeyAccess}.Index(2).Range(0, 1, 0)}},
    {"pfmerge",
     {KeySpec{kKeyRW | kKeyAccess | kKeyInsert}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(-1, 1, 0)}},
    {"psetex", {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"pttl", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"rename",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyUpdate}.Index(2).Range(0, 1, 0)}},
    {"renamenx",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyOW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"restore", {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"rpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"rpoplpush",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"rpush", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"rpushx", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"sadd", {KeySpec{kKeyRW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"scard", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"sdiff", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(-1, 1, 0)}},
    {"sdiffstore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(-1, 1, 0)}},
    {"set", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags,
          "RW and ACCESS due to the optional `GET` argument"}.Index(1).Range(0, 1, 0)}, SetKeys},
    {"setbit", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"setex", {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"setnx", {KeySpec{kKeyOW | kKeyInsert}.Index(1).Range(0, 1, 0)}},
    {"setrange", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"sinter", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(-1, 1, 0)}},
    {"sintercard", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Keynum(0, 1, 1)}},
    {"sinterstore",
     {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(-1, 1, 0)}},
    {"sismember", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"smembers", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"smismember", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"smove",
     {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"sort",
     {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess,
            "For the optional BY/GET keyword. It is marked 'unknown' because the key names "
            "derive from the content of the key we sort"},
      KeySpec{kKeyOW | kKeyUpdate,
            "For the optional STORE keyword. It is marked 'unknown' because the keyword can "
            "appear anywhere in the argument array"}}, SortKeys},
    {"sort_ro",
     {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess,
            "For the optional BY/GET keyword. It is marked 'unknown' because the key names "
            "derive from the content of the key we sort"}}, SortReadOnlyKeys},
    {"spop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"spublish", {KeySpec{kKeyNotKey}.Index(1).Range(0, 1, 0)}},
    {"srandmember", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"srem", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"sscan", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"ssubscribe", {KeySpec{kKeyNotKey}.Index(1).Range(-1, 1, 0)}},
    {"strlen", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"substr", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"sunsubscribe", {KeySpec{kKeyNotKey}.Index(1).Range(-1, 1, 0)}},
    {"sunion", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(-1, 1, 0)}},
    {"sunionstore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(-1, 1, 0)}},
    {"touch", {KeySpec{kKeyRO}.Index(1).Range(-1, 1, 0)}},
    {"ttl", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"type", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"unlink", {KeySpec{kKeyRM | kKeyDelete}.Index(1).Range(-1, 1, 0)}},
    {"watch", {KeySpec{kKeyRO}.Index(1).Range(-1, 1, 0)}},
    {"xack", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"xadd", {KeySpec{kKeyRW | kKeyUpdate,
          "UPDATE instead of INSERT because of the optional trimming feature"}.Index(1).Range(0, 1, 0)}},
    {"xautoclaim", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"xclaim", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"xdel", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"xgroup|create", {KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"xgroup|createconsumer", {KeySpec{kKeyRW | kKeyInsert}.Index(2).Range(0, 1, 0)}},
    {"xgroup|delconsumer", {KeySpec{kKeyRW | kKeyDelete}.Index(2).Range(0, 1, 0)}},
    {"xgroup|destroy", {KeySpec{kKeyRW | kKeyDelete}.Index(2).Range(0, 1, 0)}},
    {"xgroup|setid", {KeySpec{kKeyRW | kKeyUpdate}.Index(2).Range(0, 1, 0)}},
    {"xinfo|consumers", {KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(0, 1, 0)}},
    {"xinfo|groups", {KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(0, 1, 0)}},
    {"xinfo|stream", {KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(0, 1, 0)}},
    {"xlen", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"xpending", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"xrange", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"xread", {KeySpec{kKeyRO | kKeyAccess}.Keyword("STREAMS", 1).Range(-1, 1, 2)}},
    {"xreadgroup", {KeySpec{kKeyRO | kKeyAccess}.Keyword("STREAMS", 4).Range(-1, 1, 2)}},
    {"xrevrange", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"xsetid", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"xtrim", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zadd", {KeySpec{kKeyRW | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"zcard", {KeySpec{kKeyRO}.Index(1).Range(0, 1, 0)}},
    {"zcount", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zdiff", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Keynum(0, 1, 1)}},
    {"zdiffstore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Keynum(0, 1, 1)}},
    {"zincrby", {KeySpec{kKeyRW | kKeyAccess | kKeyUpdate}.Index(1).Range(0, 1, 0)}},
    {"zinter", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Keynum(0, 1, 1)}},
    {"zintercard", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Keynum(0, 1, 1)}},
    {"zinterstore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Keynum(0, 1, 1)}},
    {"zlexcount", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zmpop", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Keynum(0, 1, 1)}},
    {"zmscore", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zpopmax", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zpopmin", {KeySpec{kKeyRW | kKeyAccess | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zrandmember", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrange", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrangebylex", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrangebyscore", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrangestore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Range(0, 1, 0)}},
    {"zrank", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrem", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zremrangebylex", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zremrangebyrank", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zremrangebyscore", {KeySpec{kKeyRW | kKeyDelete}.Index(1).Range(0, 1, 0)}},
    {"zrevrange", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrevrangebylex", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrevrangebyscore", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zrevrank", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zscan", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zscore", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)}},
    {"zunion", {KeySpec{kKeyRO | kKeyAccess}.Index(1).Keynum(0, 1, 1)}},
    {"zunionstore",
     {KeySpec{kKeyOW | kKeyUpdate}.Index(1).Range(0, 1, 0),
      KeySpec{kKeyRO | kKeyAccess}.Index(2).Keynum(0, 1, 1)}},
  };
  return rows;
}

}  // namespace

Status AttachKeySpecs(CommandTable& table) {
  std::unordered_map<std::string_view, const KeySpecRow*> by_name;
  for (const KeySpecRow& row : KeySpecRows()) by_name.emplace(row.command, &row);
  size_t attached = 0;
  auto attach = [&](CommandSpec& spec, const std::string& full_name) {
    const auto found = by_name.find(full_name);
    if (found == by_name.end()) return;
    spec.key_specs = found->second->specs;
    spec.key_flags_finder = found->second->finder;
    ++attached;
  };
  for (const auto& command : table.all()) {
    attach(*command, command->name);
    for (CommandSpec& sub : command->subcommands) attach(sub, command->name + "|" + sub.name);
  }
  if (attached != by_name.size()) {
    for (const auto& [name, row] : by_name) {
      const size_t bar = name.find('|');
      const CommandSpec* command = table.Find(name.substr(0, bar));
      if (command == nullptr || (bar != std::string_view::npos &&
                                 CommandTable::FindSubcommand(*command, name.substr(bar + 1)) == nullptr)) {
        return Status::Error("key specs: no command '" + std::string(name) + "'");
      }
    }
  }
  return Status::Ok();
}

}  // namespace tierkv
