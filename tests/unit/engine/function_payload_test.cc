// FUNCTION DUMP payloads: what goes in comes out, in order, and every malformed payload
// gets Redis's FUNCTION RESTORE error text.
#include "engine/rdb/function_payload.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_format.h"

namespace tierkv {
namespace {

std::string Decoded(std::string_view payload, std::vector<std::string>* codes) {
  return DecodeFunctionsPayload(payload, codes);
}

TEST(FunctionPayloadTest, LibrariesRoundTripInOrder) {
  const std::string long_code = "#!lua name=big\n" + std::string(200, 'x');  // LZF-compressed
  const std::string payload = EncodeFunctionsPayload({"#!lua name=a\ncode a", long_code});
  EXPECT_EQ(static_cast<uint8_t>(payload[0]), kRdbOpcodeFunction2);
  std::vector<std::string> codes;
  EXPECT_EQ(Decoded(payload, &codes), "");
  EXPECT_EQ(codes, (std::vector<std::string>{"#!lua name=a\ncode a", long_code}));
}

TEST(FunctionPayloadTest, NoLibrariesIsJustTheFooter) {
  const std::string payload = EncodeFunctionsPayload({});
  EXPECT_EQ(payload.size(), kDumpFooterSize);
  std::vector<std::string> codes;
  EXPECT_EQ(Decoded(payload, &codes), "");
  EXPECT_TRUE(codes.empty());
}

TEST(FunctionPayloadTest, MalformedPayloadsAreRefusedWithRedissTexts) {
  std::vector<std::string> codes;
  EXPECT_EQ(Decoded("abc", &codes), "DUMP payload version or checksum are wrong");
  std::string damaged = EncodeFunctionsPayload({"#!lua name=a\n"});
  damaged[3] ^= 1;
  EXPECT_EQ(Decoded(damaged, &codes), "DUMP payload version or checksum are wrong");
  EXPECT_EQ(Decoded(DumpString("a key's value"), &codes), "given type is not a function");

  std::string pre_ga(1, static_cast<char>(kRdbOpcodeFunctionPreGa));
  AppendDumpFooter(&pre_ga);
  EXPECT_EQ(Decoded(pre_ga, &codes), "Pre-GA function format not supported");

  std::string truncated(1, static_cast<char>(kRdbOpcodeFunction2));
  RdbWriter(&truncated).WriteLength(100);  // a string that is not there
  AppendDumpFooter(&truncated);
  EXPECT_EQ(Decoded(truncated, &codes), "failed loading the given functions payload");
}

}  // namespace
}  // namespace tierkv
