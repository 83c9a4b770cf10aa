#include "server/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tierkv {
namespace {

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::string error;
  size_t consumed = 0;
};

// Feeds `input` to a parser as a connection would, `chunk` bytes at a time,
// and collects every command.
Parsed Feed(const std::string& input, size_t chunk, const ParserLimits& limits = {}) {
  RespParser parser(&limits);
  Parsed out;
  std::string buffer;
  std::vector<std::string_view> args;
  for (size_t sent = 0; sent < input.size();) {
    const size_t n = std::min(chunk, input.size() - sent);
    buffer.append(input, sent, n);
    sent += n;
    while (!buffer.empty()) {
      size_t consumed = 0;
      auto outcome = parser.Parse(buffer, &consumed, &args);
      if (outcome == RespParser::Outcome::kNeedMore) break;
      if (outcome == RespParser::Outcome::kError) {
        out.error = parser.error();
        return out;
      }
      if (!args.empty()) out.commands.emplace_back(args.begin(), args.end());
      buffer.erase(0, consumed);
      out.consumed += consumed;
    }
  }
  return out;
}

TEST(RespParser, PipelineSplitAtEveryByteBoundaryGivesTheSameCommands) {
  const std::string pipeline =
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"
      "*1\r\n$4\r\nPING\r\n"
      "PING inline \"quo ted\"\r\n"
      "*0\r\n"
      "*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
  const std::vector<std::vector<std::string>> expected = {
      {"SET", "key", "va\r\nl"}, {"PING"}, {"PING", "inline", "quo ted"}, {"GET", ""}};
  for (size_t chunk = 1; chunk <= pipeline.size(); ++chunk) {
    Parsed parsed = Feed(pipeline, chunk);
    EXPECT_EQ(parsed.error, "") << "chunk " << chunk;
    EXPECT_EQ(parsed.commands, expected) << "chunk " << chunk;
    EXPECT_EQ(parsed.consumed, pipeline.size()) << "chunk " << chunk;
  }
}

TEST(RespParser, BinarySafeBulkStrings) {
  const std::string value("a\0b\r\nc", 6);
  Parsed parsed = Feed("*2\r\n$4\r\nECHO\r\n$6\r\n" + value + "\r\n", 3);
  ASSERT_EQ(parsed.commands.size(), 1u);
  EXPECT_EQ(parsed.commands[0][1], value);
}

TEST(RespParser, InlineCommandsWithQuotesAndEscapes) {
  Parsed parsed = Feed("SET k \"a\\x41\\n\" 'it\\'s'\n\r\n   \n", 100);
  ASSERT_EQ(parsed.commands.size(), 1u);
  EXPECT_EQ(parsed.commands[0], (std::vector<std::string>{"SET", "k", "aA\n", "it's"}));
}

struct MalformedCase {
  std::string input;
  std::string error;
};

class RespParserErrors : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(RespParserErrors, ReportsRedisText) {
  Parsed parsed = Feed(GetParam().input, 1);
  EXPECT_EQ(parsed.error, GetParam().error) << GetParam().input;
  Parsed whole = Feed(GetParam().input, GetParam().input.size());
  EXPECT_EQ(whole.error, GetParam().error) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RespParserErrors,
    ::testing::Values(
        MalformedCase{"*x\r\n", "Protocol error: invalid multibulk length"},
        MalformedCase{"*\r\n", "Protocol error: invalid multibulk length"},
        MalformedCase{"*01\r\n", "Protocol error: invalid multibulk length"},
        MalformedCase{"*+1\r\n", "Protocol error: invalid multibulk length"},
        MalformedCase{"*2147483648\r\n", "Protocol error: invalid multibulk length"},
        MalformedCase{"*1\r\n$x\r\n", "Protocol error: invalid bulk length"},
        MalformedCase{"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
        MalformedCase{"*1\r\n$04\r\n", "Protocol error: invalid bulk length"},
        MalformedCase{"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
        MalformedCase{"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
        MalformedCase{"SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
        MalformedCase{"SET \"ab\r\n", "Protocol error: unbalanced quotes in request"},
        MalformedCase{std::string(70 * 1024, 'a'), "Protocol error: too big inline request"},
        MalformedCase{"*" + std::string(70 * 1024, '1'), "Protocol error: too big mbulk count string"},
        MalformedCase{"*1\r\n$" + std::string(70 * 1024, '1'), "Protocol error: too big bulk count string"}));

TEST(RespParser, CommandsBeforeAnErrorAreParsed) {
  Parsed parsed = Feed("*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n", 5);
  EXPECT_EQ(parsed.commands.size(), 1u);
  EXPECT_EQ(parsed.error, "Protocol error: expected '$', got ':'");
}

TEST(RespParser, BulkLimitFollowsConfiguration) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  EXPECT_EQ(Feed("*1\r\n$11\r\n", 100, limits).error, "Protocol error: invalid bulk length");
  EXPECT_EQ(Feed("*1\r\n$10\r\n0123456789\r\n", 100, limits).commands.size(), 1u);
}

TEST(RespParser, HugeClaimedCountDoesNotReserveMemoryUpFront) {
  // A billion arguments claimed and none sent: the parser waits without
  // failing and without allocating for them.
  Parsed parsed = Feed("*1000000000\r\n$3\r\nfoo\r\n", 100);
  EXPECT_EQ(parsed.error, "");
  EXPECT_TRUE(parsed.commands.empty());
}

}  // namespace
}  // namespace tierkv
