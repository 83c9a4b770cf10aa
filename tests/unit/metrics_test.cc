// The metrics endpoint's pieces that need no socket: the HTTP request-head parser,
// base64 of basic credentials, the exposition writer, and the latency histogram's
// cumulative counts the endpoint's buckets come from.
#include <gtest/gtest.h>

#include "server/latency.h"
#include "server/metrics/exposition.h"
#include "server/metrics/http_request.h"

namespace tierkv {
namespace {

using State = HttpRequestParser::State;

State Parse(std::string_view input, HttpRequest* request = nullptr, size_t* consumed = nullptr,
            size_t limit = 8192) {
  HttpRequest ignored;
  size_t ignored_consumed = 0;
  return HttpRequestParser(limit).Parse(input, request ? request : &ignored,
                                        consumed ? consumed : &ignored_consumed);
}

TEST(HttpRequestParserTest, ParsesAGetWithHeadersAndLeavesWhatFollows) {
  HttpRequest request;
  size_t consumed = 0;
  const std::string_view input =
      "GET /metrics?name=x HTTP/1.1\r\nHost: a\r\nauthorization:  Basic YTpi \r\n\r\nGET /next";
  ASSERT_EQ(Parse(input, &request, &consumed), State::kComplete);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/metrics");
  EXPECT_EQ(request.authorization, "Basic YTpi");
  EXPECT_TRUE(request.keep_alive);
  EXPECT_EQ(request.content_length, 0u);
  EXPECT_EQ(input.substr(consumed), "GET /next");
}

TEST(HttpRequestParserTest, KeepAliveFollowsVersionAndConnectionHeader) {
  HttpRequest request;
  ASSERT_EQ(Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &request), State::kComplete);
  EXPECT_FALSE(request.keep_alive);
  ASSERT_EQ(Parse("GET / HTTP/1.0\r\n\r\n", &request), State::kComplete);
  EXPECT_FALSE(request.keep_alive);
  ASSERT_EQ(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &request), State::kComplete);
  EXPECT_TRUE(request.keep_alive);
  ASSERT_EQ(Parse("GET / HTTP/1.1\nHost: a\n\n", &request), State::kComplete);  // bare LFs
  EXPECT_TRUE(request.keep_alive);
}

TEST(HttpRequestParserTest, WaitsForTheEndOfTheHead) {
  EXPECT_EQ(Parse(""), State::kIncomplete);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nHost: a\r\n"), State::kIncomplete);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\n\r"), State::kIncomplete);
}

TEST(HttpRequestParserTest, RefusesMalformedUnsupportedAndOversizedHeads) {
  EXPECT_EQ(Parse("garbage\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET  /metrics HTTP/1.1\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics HTTP/2.0\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("G(T /metrics HTTP/1.1\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nContent-Length: x\r\n\r\n"), State::kBad);
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), State::kBad);
  const std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  EXPECT_EQ(Parse(big, nullptr, nullptr, 64), State::kBad);
  EXPECT_EQ(Parse(big.substr(0, 80), nullptr, nullptr, 64), State::kBad);  // no end within the limit
  HttpRequest request;
  ASSERT_EQ(Parse("POST /metrics HTTP/1.1\r\nContent-Length: 12\r\n\r\n", &request), State::kComplete);
  EXPECT_EQ(request.content_length, 12u);
}

TEST(Base64Test, DecodesWithPaddingAndRefusesTheRest) {
  std::string out;
  ASSERT_TRUE(DecodeBase64("ZGVmYXVsdDpzZWNyZXQ=", &out));
  EXPECT_EQ(out, "default:secret");
  ASSERT_TRUE(DecodeBase64("YQ==", &out));
  EXPECT_EQ(out, "a");
  ASSERT_TRUE(DecodeBase64("", &out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(DecodeBase64("YQ=", &out));
  EXPECT_FALSE(DecodeBase64("Y===", &out));
  EXPECT_FALSE(DecodeBase64("YQ==YQ==", &out));
  EXPECT_FALSE(DecodeBase64("!!!!", &out));
}

TEST(PrometheusTextTest, WritesFamiliesSamplesEscapesAndNumbers) {
  PrometheusText text;
  text.Family("tierkv_x_total", "counter", "Help with \\ and\nnewline");
  text.Sample("tierkv_x_total", {{"cmd", "a\"b\\c\nd"}}, 3);
  text.Sample("tierkv_x_total", {}, 0.25);
  text.Sample("tierkv_x_total", {{"le", "+Inf"}, {"cmd", "get"}}, 1e20);
  EXPECT_EQ(text.text(),
            "# HELP tierkv_x_total Help with \\\\ and\\nnewline\n"
            "# TYPE tierkv_x_total counter\n"
            "tierkv_x_total{cmd=\"a\\\"b\\\\c\\nd\"} 3\n"
            "tierkv_x_total 0.25\n"
            "tierkv_x_total{le=\"+Inf\",cmd=\"get\"} 1e+20\n");
}

TEST(LatencyHistogramTest, CumulativeAtCountsCallsUpToEachBound) {
  LatencyHistogram histogram;
  histogram.Record(1000);
  histogram.Record(3000);
  histogram.Record(3000);
  histogram.Record(2'000'000'000);  // clamped to 1 s
  const uint64_t bounds[] = {1000, 2000, 4000, 1'000'000'000, 4'000'000'000};
  EXPECT_EQ(histogram.CumulativeAt(bounds), (std::vector<uint64_t>{1, 1, 3, 4, 4}));
  EXPECT_EQ(histogram.sum_ns(), 1000u + 3000 + 3000 + 1'000'000'000);
}

}  // namespace
}  // namespace tierkv
