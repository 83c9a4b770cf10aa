// INFO, CLIENT, COMMAND, DEBUG and AUTH through the real dispatcher.
#include <gtest/gtest.h>

#include <regex>

#include "harness/command_harness.h"
#include "server/info.h"

namespace tierkv {
namespace {

using testing::CommandHarness;

// The bulk payload of a RESP2 bulk reply.
std::string BulkBody(const std::string& reply) {
  const size_t start = reply.find("\r\n");
  return reply.substr(start + 2, reply.size() - start - 4);
}

TEST(Info, DefaultSectionsInRedisOrder) {
  CommandHarness h;
  const std::string text = BulkBody(h.Run({"INFO"}));
  std::vector<std::string> headers;
  std::regex header("# ([A-Za-z]+)\r\n");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), header); it != std::sregex_iterator(); ++it) {
    headers.push_back((*it)[1]);
  }
  EXPECT_EQ(headers, (std::vector<std::string>{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication",
                                               "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}));
  EXPECT_NE(text.find("\r\n\r\n# Clients\r\n"), std::string::npos);  // a blank line between sections
  EXPECT_TRUE(text.ends_with("# Keyspace\r\n"));
}

TEST(Info, SectionSelection) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INFO", "nosuch"}), "$0\r\n\r\n");
  const std::string two = BulkBody(h.Run({"INFO", "CLUSTER", "keyspace"}));
  EXPECT_EQ(two, "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n");
  EXPECT_NE(BulkBody(h.Run({"INFO", "all"})).find("# Commandstats\r\n"), std::string::npos);
  h.client().reply.set_protocol(3);
  EXPECT_TRUE(h.Run({"INFO", "cluster"}).starts_with("=34\r\ntxt:# Cluster\r\n"));
}

TEST(Info, KeyspaceAndCounters) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2", "EX", "100"});
  h.Run({"GET", "a"});
  h.Run({"GET", "missing"});
  h.Run({"GET"});  // rejected: arity
  EXPECT_EQ(BulkBody(h.Run({"INFO", "keyspace"})), "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n");
  const std::string stats = BulkBody(h.Run({"INFO", "stats"}));
  EXPECT_NE(stats.find("\r\nkeyspace_hits:1\r\n"), std::string::npos);
  EXPECT_NE(stats.find("\r\nkeyspace_misses:1\r\n"), std::string::npos);
  EXPECT_NE(stats.find("\r\ntotal_error_replies:1\r\n"), std::string::npos);
  const std::string all = BulkBody(h.Run({"INFO", "commandstats", "errorstats"}));
  EXPECT_TRUE(std::regex_search(all, std::regex("cmdstat_get:calls=2,usec=\\d+,usec_per_call=[\\d.]+,"
                                                "rejected_calls=1,failed_calls=0\r\n")))
      << all;
  EXPECT_NE(all.find("errorstat_ERR:count=1\r\n"), std::string::npos);
  EXPECT_EQ(h.Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  const std::string reset = BulkBody(h.Run({"INFO", "stats", "commandstats"}));
  EXPECT_NE(reset.find("\r\nkeyspace_hits:0\r\n"), std::string::npos);
  EXPECT_EQ(reset.find("cmdstat_get"), std::string::npos);
}

TEST(Info, HandlerErrorsCountAsFailedCalls) {
  CommandHarness h;
  h.Run({"SET", "text", "abc"});
  EXPECT_EQ(h.Run({"INCR", "text"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"INCR", "n"}), ":1\r\n");
  const std::string all = BulkBody(h.Run({"INFO", "commandstats", "errorstats", "stats"}));
  EXPECT_TRUE(std::regex_search(all, std::regex("cmdstat_incr:calls=2,usec=\\d+,usec_per_call=[\\d.]+,"
                                                "rejected_calls=0,failed_calls=1\r\n")))
      << all;
  EXPECT_NE(all.find("errorstat_ERR:count=1\r\n"), std::string::npos);
  EXPECT_NE(all.find("\r\ntotal_error_replies:1\r\n"), std::string::npos);
}

TEST(Info, ResetstatKeepsChangesSinceLastSave) {
  CommandHarness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2"});
  EXPECT_EQ(h.Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  const std::string persistence = BulkBody(h.Run({"INFO", "persistence"}));
  EXPECT_NE(persistence.find("\r\nrdb_changes_since_last_save:2\r\n"), std::string::npos) << persistence;
}

TEST(Info, MemoryFollowsConfig) {
  CommandHarness h;
  h.Run({"CONFIG", "SET", "maxmemory", "100mb"});
  const std::string memory = BulkBody(h.Run({"INFO", "memory"}));
  EXPECT_NE(memory.find("\r\nmaxmemory:104857600\r\nmaxmemory_human:100.00M\r\n"), std::string::npos);
  EXPECT_EQ(BytesToHuman(0), "0B");
  EXPECT_EQ(BytesToHuman(1023), "1023B");
  EXPECT_EQ(BytesToHuman(1536), "1.50K");
  EXPECT_EQ(BytesToHuman(3ull << 40), "3.00T");
}

TEST(Client, IdNameInfoAndSetinfo) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CLIENT", "ID"}), ":" + std::to_string(h.client().id) + "\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME", "worker"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "lib-ver", "1 2"}),
            "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "foo", "x"}), "-ERR Unrecognized option 'foo'\r\n");
  const std::string line = BulkBody(h.Run({"CLIENT", "INFO"}));
  EXPECT_TRUE(std::regex_match(
      line, std::regex("id=\\d+ addr= laddr= fd=-1 name=worker age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 "
                       "ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=\\d+ rbp=\\d+ obl=\\d+ oll=0 "
                       "omem=0 tot-mem=\\d+ events=\\w+ cmd=client\\|info user=default redir=-1 resp=2 "
                       "lib-name=redis-py lib-ver=\n")))
      << line;
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "TYPE", "foo"}), "-ERR Unknown client type 'foo'\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "ID", "x"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "ID", "1", "FOO"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "FOO"}), "-ERR syntax error\r\n");
}

TEST(Client, FlagsShowMultiAndNoEvict) {
  CommandHarness h;
  h.Run({"CLIENT", "NO-EVICT", "on"});
  h.Run({"CLIENT", "NO-TOUCH", "ON"});
  h.Run({"MULTI"});
  h.Run({"SET", "k", "v"});
  h.Run({"DISCARD"});
  EXPECT_NE(BulkBody(h.Run({"CLIENT", "INFO"})).find(" flags=eT "), std::string::npos);
  EXPECT_EQ(h.Run({"CLIENT", "NO-EVICT", "maybe"}), "-ERR syntax error\r\n");
}

TEST(Client, KillErrors) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "x"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "FOO", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "5", "SKIPME"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "USER", "bob"}), "-ERR No such user 'bob'\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "1.2.3.4:5"}), "-ERR No such client\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ADDR", "1.2.3.4:5"}), ":0\r\n");
}

TEST(Client, ReplyOffAndSkip) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "OFF"}), "");
  EXPECT_EQ(h.Run({"SET", "k", "1"}), "");
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "ON"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "SKIP"}), "");
  EXPECT_EQ(h.Run({"GET", "k"}), "");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "x"}), "-ERR syntax error\r\n");
}

TEST(Client, NoTouchKeepsAccessTime) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  Entry* entry = h.shard().db(0).Peek("k");
  entry->access = 7;  // an old LRU clock value
  h.Run({"CLIENT", "NO-TOUCH", "on"});
  h.Run({"GET", "k"});
  EXPECT_EQ(h.shard().db(0).Peek("k")->access, 7u);
  h.Run({"CLIENT", "NO-TOUCH", "off"});
  h.Run({"GET", "k"});
  EXPECT_NE(h.shard().db(0).Peek("k")->access, 7u);
}

TEST(Auth, ErrorsWithoutPassword) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"AUTH", "secret"}),
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your "
            "configuration is correct?\r\n");
  EXPECT_EQ(h.Run({"AUTH", "nosuchuser", "pw"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(h.Run({"AUTH", "default", "anything"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"AUTH", "a", "b", "c"}), "-ERR syntax error\r\n");
}

TEST(Auth, RequirepassGuardsCommands) {
  ServerSettings settings;
  settings.requirepass = "s3cret";
  CommandHarness h(EngineOptions{}, settings);
  EXPECT_EQ(h.Run({"GET", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(h.Run({"NOSUCH"}), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
  EXPECT_EQ(h.Run({"AUTH", "wrong"}), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(h.Run({"AUTH", "s3cret"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
}

TEST(Command, InfoShapeForGet) {
  CommandHarness h;
  h.client().reply.set_protocol(3);
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "get"}),
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n"
            "+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n"
            "%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n"
            "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n"
            "$5\r\nlimit\r\n:0\r\n~0\r\n");
  h.client().reply.set_protocol(2);
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "nosuch"}), "*1\r\n$-1\r\n");
  const std::string config = h.Run({"COMMAND", "INFO", "config|get"});
  EXPECT_TRUE(config.starts_with("*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n"))
      << config;
  EXPECT_NE(config.find("+@admin\r\n+@slow\r\n+@dangerous\r\n"), std::string::npos);
}

TEST(Command, CountListAndGetkeys) {
  CommandHarness h;
  const std::string count = h.Run({"COMMAND", "COUNT"});
  EXPECT_EQ(count, ":" + std::to_string(h.server().commands().all().size()) + "\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "config|g*"}), "*1\r\n$10\r\nconfig|get\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "set", "k", "v"}), "*1\r\n$1\r\nk\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYSANDFLAGS", "get", "k"}), "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "ping", "x"}), "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "get"}),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "DOCS", "nosuch"}), "*0\r\n");
}

TEST(Debug, RefusedUnlessEnabled) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "0"}),
            "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run "
            "it from a local connection, otherwise you need to set this option in the configuration file, and then "
            "restart the server.\r\n");
  h.client().address = "127.0.0.1:5000";
  h.server().settings().enable_debug_command = "local";
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "0"}), "+OK\r\n");
  h.client().address = "10.0.0.1:5000";
  EXPECT_TRUE(h.Run({"DEBUG", "SLEEP", "0"}).starts_with("-ERR DEBUG command not allowed."));
}

TEST(Debug, ObjectAndActiveExpire) {
  ServerSettings settings;
  settings.enable_debug_command = "yes";
  CommandHarness h(EngineOptions{}, settings);
  h.Run({"SET", "k", "hello"});
  h.Run({"SET", "n", "123"});
  EXPECT_TRUE(std::regex_match(h.Run({"DEBUG", "OBJECT", "k"}),
                               std::regex("\\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 "
                                          "lru:\\d+ lru_seconds_idle:\\d+\r\n")));
  EXPECT_TRUE(std::regex_match(h.Run({"DEBUG", "OBJECT", "n"}),
                               std::regex("\\+Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int "
                                          "serializedlength:2 lru:\\d+ lru_seconds_idle:\\d+\r\n")));
  EXPECT_EQ(h.Run({"DEBUG", "OBJECT", "nokey"}), "-ERR no such key\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}), "+OK\r\n");
  EXPECT_FALSE(h.shard().active_expire_enabled());
  EXPECT_EQ(h.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}), "+OK\r\n");
  EXPECT_TRUE(h.shard().active_expire_enabled());
  EXPECT_EQ(h.Run({"DEBUG", "FOO"}),
            "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "attrib"}), "$39\r\nSome real reply following the attribute\r\n");
}

}  // namespace
}  // namespace tierkv
