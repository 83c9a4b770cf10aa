// The real tierkv-server binary driven by hiredis: basic commands, deep
// pipelines, 1,000 concurrent clients, protocol errors isolated to one client,
// and a graceful stop on SIGTERM.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/server_process.h"

namespace tierkv::testing {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start(TIERKV_SERVER_BIN);
    ASSERT_NE(server_, nullptr) << "could not start " << TIERKV_SERVER_BIN;
    conn_ = server_->Connect();
    ASSERT_TRUE(conn_ && conn_->err == 0);
  }

  std::unique_ptr<ServerProcess> server_;
  Context conn_;
};

TEST_F(ServerTest, SetThenGetReturnsTheValue) {
  Reply set = Command(conn_.get(), {"SET", "greeting", std::string("hi\0there", 8)});
  ASSERT_TRUE(set);
  EXPECT_EQ(std::string(set->str), "OK");
  Reply get = Command(conn_.get(), {"GET", "greeting"});
  ASSERT_TRUE(get);
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), std::string("hi\0there", 8));
  Reply missing = Command(conn_.get(), {"GET", "nope"});
  EXPECT_EQ(missing->type, REDIS_REPLY_NIL);
}

TEST_F(ServerTest, DeepPipelineKeepsOrder) {
  constexpr int kCommands = 20000;
  for (int i = 0; i < kCommands; ++i) Append(conn_.get(), {"SET", "k" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < kCommands; ++i) Append(conn_.get(), {"GET", "k" + std::to_string(i)});
  for (int i = 0; i < kCommands; ++i) {
    Reply reply = NextReply(conn_.get());
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->type, REDIS_REPLY_STATUS);
  }
  for (int i = 0; i < kCommands; ++i) {
    Reply reply = NextReply(conn_.get());
    ASSERT_TRUE(reply);
    ASSERT_EQ(std::string(reply->str, reply->len), std::to_string(i));
  }
}

TEST_F(ServerTest, ThousandConcurrentClients) {
  constexpr int kClients = 1000;
  rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < kClients + 64) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, kClients + 64);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  std::vector<Context> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(server_->Connect());
    ASSERT_TRUE(clients.back() && clients.back()->err == 0) << "client " << i;
  }
  // Every client has a request in flight at the same time.
  for (int i = 0; i < kClients; ++i) Append(clients[i].get(), {"SET", "client:" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < kClients; ++i) {
    Reply reply = NextReply(clients[i].get());
    ASSERT_TRUE(reply) << "client " << i;
  }
  for (int i = 0; i < kClients; ++i) {
    Reply reply = Command(clients[i].get(), {"GET", "client:" + std::to_string(i)});
    ASSERT_TRUE(reply);
    EXPECT_EQ(std::string(reply->str, reply->len), std::to_string(i));
  }
  Reply size = Command(conn_.get(), {"DBSIZE"});
  EXPECT_EQ(size->integer, kClients);
}

TEST_F(ServerTest, ProtocolErrorClosesOnlyThatClient) {
  Context bad = server_->Connect();
  ASSERT_TRUE(bad && bad->err == 0);
  const char garbage[] = "*1\r\n:oops\r\n";
  ASSERT_EQ(write(bad->fd, garbage, sizeof(garbage) - 1), static_cast<ssize_t>(sizeof(garbage) - 1));
  char buffer[256];
  std::string received;
  // Read until the server closes the connection.
  for (ssize_t n; (n = read(bad->fd, buffer, sizeof(buffer))) > 0;) received.append(buffer, static_cast<size_t>(n));
  EXPECT_EQ(received, "-ERR Protocol error: expected '$', got ':'\r\n");
  Reply ping = Command(conn_.get(), {"PING"});
  ASSERT_TRUE(ping);
  EXPECT_EQ(std::string(ping->str), "PONG");
}

TEST_F(ServerTest, SigtermStopsGracefully) {
  const int status = server_->Stop();
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace tierkv::testing
