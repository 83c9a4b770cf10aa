#include "server/reply_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace tierkv {
namespace {

std::string Write(int protocol, void (*fn)(ReplyWriter&)) {
  std::string out;
  ReplyWriter writer(&out);
  writer.set_protocol(protocol);
  fn(writer);
  return out;
}

TEST(ReplyWriter, ScalarsAreTheSameInBothProtocols) {
  for (int protocol : {2, 3}) {
    EXPECT_EQ(Write(protocol, [](ReplyWriter& w) { w.Ok(); }), "+OK\r\n");
    EXPECT_EQ(Write(protocol, [](ReplyWriter& w) { w.Integer(-42); }), ":-42\r\n");
    EXPECT_EQ(Write(protocol, [](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }),
              ":-9223372036854775808\r\n");
    EXPECT_EQ(Write(protocol, [](ReplyWriter& w) { w.Bulk(std::string_view("a\0b", 3)); }),
              std::string("$3\r\na\0b\r\n", 9));
    EXPECT_EQ(Write(protocol, [](ReplyWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
  }
}

TEST(ReplyWriter, ErrorsStayOnOneLine) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("ERR bad\r\nthing"); }), "-ERR bad  thing\r\n");
}

TEST(ReplyWriter, NullsDependOnProtocol) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
}

TEST(ReplyWriter, AggregatesDowngradeToArraysInResp2) {
  auto map = [](ReplyWriter& w) {
    w.Map(1);
    w.Bulk("k");
    w.Integer(1);
  };
  EXPECT_EQ(Write(2, map), "*2\r\n$1\r\nk\r\n:1\r\n");
  EXPECT_EQ(Write(3, map), "%1\r\n$1\r\nk\r\n:1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Set(2); }), "*2\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Set(2); }), "~2\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Push(3); }), ">3\r\n");
}

TEST(ReplyWriter, RichTypesDowngradeInResp2) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(std::numeric_limits<double>::infinity()); }), ",inf\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Boolean(true); }), ":1\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Boolean(false); }), "#f\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Verbatim("hi"); }), "$2\r\nhi\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("hi"); }), "=6\r\ntxt:hi\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.BigNumber("123"); }), "$3\r\n123\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.BigNumber("123"); }), "(123\r\n");
}

TEST(ReplyWriter, BulkArray) {
  std::vector<std::string> items = {"a", "bc"};
  std::string out;
  ReplyWriter writer(&out);
  writer.BulkArray(items);
  EXPECT_EQ(out, "*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
}

}  // namespace
}  // namespace tierkv
