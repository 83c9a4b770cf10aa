// Bit operations: the pure helpers at their edges (byte and word boundaries,
// ranges, bitfield widths and overflow modes), and the commands through the
// real dispatcher.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/types/string/bit_ops.h"
#include "harness/command_harness.h"
#include "harness/journal_replay.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {


constexpr BitfieldType I(uint8_t bits) { return {true, bits}; }
constexpr BitfieldType U(uint8_t bits) { return {false, bits}; }

// --- BitCount / BitPos -------------------------------------------------------

TEST(BitCount, WholeStringAndByteRanges) {
  EXPECT_EQ(BitCount("foobar", std::nullopt), 26);
  EXPECT_EQ(BitCount("foobar", BitRange{0, 0}), 4);
  EXPECT_EQ(BitCount("foobar", BitRange{1, 1}), 6);
  EXPECT_EQ(BitCount("foobar", BitRange{-2, -1}), 7);
  EXPECT_EQ(BitCount("foobar", BitRange{-1, -2}), 0);
  EXPECT_EQ(BitCount("foobar", BitRange{100, 200}), 0);
  EXPECT_EQ(BitCount("", BitRange{0, -1}), 0);
  EXPECT_EQ(BitCount(std::string(1000, '\xff'), std::nullopt), 8000);  // word loop and tail
}

TEST(BitCount, BitRangesMaskTheEdgeBytes) {
  EXPECT_EQ(BitCount("foobar", BitRange{5, 30, BitUnit::kBit}), 17);
  const std::string ones(4, '\xff');
  EXPECT_EQ(BitCount(ones, BitRange{3, 3, BitUnit::kBit}), 1);
  EXPECT_EQ(BitCount(ones, BitRange{7, 8, BitUnit::kBit}), 2);
  EXPECT_EQ(BitCount(ones, BitRange{1, 30, BitUnit::kBit}), 30);
  EXPECT_EQ(BitCount(ones, BitRange{0, -1, BitUnit::kBit}), 32);
  EXPECT_EQ(BitCount(ones, BitRange{-3, -1, BitUnit::kBit}), 3);
}

TEST(BitPos, FindsSetAndClearBits) {
  const std::string data("\xff\xf0\x00", 3);
  EXPECT_EQ(BitPos(data, false, std::nullopt, std::nullopt, BitUnit::kByte), 12);
  EXPECT_EQ(BitPos(data, true, std::nullopt, std::nullopt, BitUnit::kByte), 0);
  EXPECT_EQ(BitPos(data, true, 1, std::nullopt, BitUnit::kByte), 8);
  EXPECT_EQ(BitPos(data, true, 2, std::nullopt, BitUnit::kByte), -1);
  EXPECT_EQ(BitPos(data, true, 7, 15, BitUnit::kBit), 7);
  EXPECT_EQ(BitPos(data, false, 0, -1, BitUnit::kBit), 12);
  EXPECT_EQ(BitPos(data, true, 13, 14, BitUnit::kBit), -1);
}

TEST(BitPos, ClearBitPastTheEndOnlyWithoutExplicitEnd) {
  const std::string ones(3, '\xff');
  EXPECT_EQ(BitPos(ones, false, std::nullopt, std::nullopt, BitUnit::kByte), 24);
  EXPECT_EQ(BitPos(ones, false, 0, std::nullopt, BitUnit::kByte), 24);
  EXPECT_EQ(BitPos(ones, false, 3, std::nullopt, BitUnit::kBit), 24);
  EXPECT_EQ(BitPos(ones, false, 0, -1, BitUnit::kByte), -1);
  EXPECT_EQ(BitPos(ones, false, 0, -1, BitUnit::kBit), -1);
  EXPECT_EQ(BitPos("", false, std::nullopt, std::nullopt, BitUnit::kByte), -1);  // empty: no bits at all
}

TEST(BitPos, SkipsLongRunsWordByWord) {
  std::string zeros(1000, '\0');
  zeros[777] = 0x01;
  EXPECT_EQ(BitPos(zeros, true, std::nullopt, std::nullopt, BitUnit::kByte), 777 * 8 + 7);
  EXPECT_EQ(BitPos(zeros, true, 778, std::nullopt, BitUnit::kByte), -1);
  EXPECT_EQ(BitPos(zeros, true, 0, 776, BitUnit::kByte), -1);
  std::string ones(1000, '\xff');
  ones[999] = '\xfe';
  EXPECT_EQ(BitPos(ones, false, std::nullopt, std::nullopt, BitUnit::kByte), 999 * 8 + 7);
  EXPECT_EQ(BitPos(ones, false, 5, 7990, BitUnit::kBit), -1);
  EXPECT_EQ(BitPos(ones, false, 5, 7999, BitUnit::kBit), 7999);
}

// --- Bitfield access and arithmetic ------------------------------------------

TEST(Bitfield, ReadsAcrossByteBoundariesWithZeroPadding) {
  const std::string data("\x01\x70", 2);  // u5 value 23 at offset 7
  EXPECT_EQ(ReadBitfield(data, 7, U(5)), 23);
  EXPECT_EQ(ReadBitfield(data, 7, I(5)), 23 - 32);
  EXPECT_EQ(ReadBitfield(data, 12, U(8)), 0);     // partly past the end
  EXPECT_EQ(ReadBitfield(data, 1000, I(64)), 0);  // wholly past the end
  const std::string ones(9, '\xff');
  EXPECT_EQ(ReadBitfield(ones, 3, I(64)), -1);  // nine bytes
  EXPECT_EQ(ReadBitfield(ones, 5, U(63)), INT64_MAX);
}

TEST(Bitfield, WritesOnlyTheFieldBits) {
  std::string data(9, '\0');
  WriteBitfield(data.data(), 7, U(5), 23);
  EXPECT_EQ(data.substr(0, 2), std::string("\x01\x70", 2));
  std::string ones(9, '\xff');
  WriteBitfield(ones.data(), 4, I(64), 0);
  EXPECT_EQ(ones, std::string("\xf0\0\0\0\0\0\0\0\x0f", 9));
  WriteBitfield(ones.data(), 4, I(64), -1);
  EXPECT_EQ(ones, std::string(9, '\xff'));
  std::string one_byte(1, '\0');
  WriteBitfield(one_byte.data(), 6, I(2), -2);  // "10"
  EXPECT_EQ(one_byte, "\x02");
}

TEST(Bitfield, SignedOverflowModes) {
  EXPECT_EQ(BitfieldArithmetic(I(8), BitfieldOverflow::kWrap, 100, 100, true), -56);
  EXPECT_EQ(BitfieldArithmetic(I(8), BitfieldOverflow::kSat, 100, 100, true), 127);
  EXPECT_EQ(BitfieldArithmetic(I(8), BitfieldOverflow::kSat, 100, -300, true), -128);
  EXPECT_EQ(BitfieldArithmetic(I(8), BitfieldOverflow::kFail, 100, 100, true), std::nullopt);
  EXPECT_EQ(BitfieldArithmetic(I(8), BitfieldOverflow::kFail, 100, 27, true), 127);
  EXPECT_EQ(BitfieldArithmetic(I(8), BitfieldOverflow::kWrap, 0, -200, false), 56);
  EXPECT_EQ(BitfieldArithmetic(I(1), BitfieldOverflow::kWrap, 0, 1, false), -1);
  EXPECT_EQ(BitfieldArithmetic(I(1), BitfieldOverflow::kSat, -1, -1, true), -1);
}

TEST(Bitfield, SixtyFourBitSignedOverflow) {
  EXPECT_EQ(BitfieldArithmetic(I(64), BitfieldOverflow::kWrap, INT64_MAX, 1, true), INT64_MIN);
  EXPECT_EQ(BitfieldArithmetic(I(64), BitfieldOverflow::kSat, INT64_MAX, 1, true), INT64_MAX);
  EXPECT_EQ(BitfieldArithmetic(I(64), BitfieldOverflow::kSat, INT64_MIN, -1, true), INT64_MIN);
  EXPECT_EQ(BitfieldArithmetic(I(64), BitfieldOverflow::kFail, INT64_MIN, -1, true), std::nullopt);
  EXPECT_EQ(BitfieldArithmetic(I(64), BitfieldOverflow::kFail, -1, INT64_MIN, false), INT64_MIN);
}

TEST(Bitfield, UnsignedOverflowModes) {
  EXPECT_EQ(BitfieldArithmetic(U(8), BitfieldOverflow::kWrap, 0, 300, true), 44);
  EXPECT_EQ(BitfieldArithmetic(U(4), BitfieldOverflow::kSat, 0, 100, true), 15);
  EXPECT_EQ(BitfieldArithmetic(U(4), BitfieldOverflow::kSat, 3, -4, true), 0);
  EXPECT_EQ(BitfieldArithmetic(U(4), BitfieldOverflow::kWrap, 3, -4, true), 15);
  EXPECT_EQ(BitfieldArithmetic(U(2), BitfieldOverflow::kWrap, 0, 5, false), 1);
  EXPECT_EQ(BitfieldArithmetic(U(2), BitfieldOverflow::kFail, 0, 7, false), std::nullopt);
  EXPECT_EQ(BitfieldArithmetic(U(63), BitfieldOverflow::kWrap, INT64_MAX, INT64_MAX, true), INT64_MAX - 1);
  EXPECT_EQ(BitfieldArithmetic(U(63), BitfieldOverflow::kSat, INT64_MAX, 1, true), INT64_MAX);
}

TEST(Bitfield, UnsignedSetTakesNegativeOperandAsHugeNumber) {
  // Redis compares the operand as uint64: -1 is above the maximum, not below 0.
  EXPECT_EQ(BitfieldArithmetic(U(8), BitfieldOverflow::kSat, 0, -1, false), 255);
  EXPECT_EQ(BitfieldArithmetic(U(8), BitfieldOverflow::kWrap, 0, -1, false), 255);
}

TEST(Bitfield, SignedSetOfHugeNegativeSaturatesAtMaxAsRedisDoes) {
  EXPECT_EQ(BitfieldArithmetic(I(2), BitfieldOverflow::kSat, 0, INT64_MIN, false), 1);
  EXPECT_EQ(BitfieldArithmetic(I(2), BitfieldOverflow::kSat, 0, -1000, false), -2);
  EXPECT_EQ(BitfieldArithmetic(I(2), BitfieldOverflow::kWrap, 0, INT64_MIN, false), 0);
}

// --- Commands ----------------------------------------------------------------

TEST(BitCommands, SetBitGrowsWithZerosAndModifiesOnlyOnChange) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SETBIT", "b", "17", "1"}), Int(0));
  EXPECT_EQ(h.Run({"GET", "b"}), Bulk(std::string("\0\0\x40", 3)));
  EXPECT_EQ(h.shard().db(0).Peek("b")->encoding, Encoding::kRaw);
  const uint64_t dirty = h.shard().stats().dirty;
  EXPECT_EQ(h.Run({"SETBIT", "b", "17", "1"}), Int(1));
  EXPECT_EQ(h.Run({"SETBIT", "b", "3", "0"}), Int(0));
  EXPECT_EQ(h.shard().stats().dirty, dirty);
  EXPECT_EQ(h.Run({"SETBIT", "b", "17", "0"}), Int(1));
  EXPECT_EQ(h.shard().stats().dirty, dirty + 1);
  EXPECT_EQ(h.Run({"SETBIT", "b", "0", "2"}), Err("ERR bit is not an integer or out of range"));
}

TEST(BitCommands, OffsetsAreBoundedByProtoMaxBulkLen) {
  ServerSettings settings;
  settings.proto_max_bulk_len = 1024;
  CommandHarness h({}, settings);
  const std::string bad_offset = "ERR bit offset is not an integer or out of range";
  EXPECT_EQ(h.Run({"SETBIT", "b", "8192", "1"}), Err(bad_offset));
  EXPECT_EQ(h.Run({"SETBIT", "b", "8191", "1"}), Int(0));
  EXPECT_EQ(h.Run({"GETBIT", "b", "8192"}), Err(bad_offset));
  EXPECT_EQ(h.Run({"BITFIELD", "b", "GET", "u8", "#1024"}), Err(bad_offset));
  EXPECT_EQ(h.Run({"BITFIELD", "b", "GET", "u8", "#1023"}), "*1\r\n:1\r\n");
}

TEST(BitCommands, BitOpPadsShortSourcesAndDeletesOnEmptyResult) {
  CommandHarness h;
  h.Run({"SET", "a", "abc"});
  h.Run({"SET", "b", "a"});
  EXPECT_EQ(h.Run({"BITOP", "AND", "d", "a", "b"}), Int(3));
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("a\0\0", 3)));
  EXPECT_EQ(h.Run({"BITOP", "XOR", "d", "a", "b", "nokey"}), Int(3));
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("\0bc", 3)));
  EXPECT_EQ(h.Run({"BITOP", "NOT", "d", "b"}), Int(1));
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk("\x9e"));
  // The destination may be a source.
  EXPECT_EQ(h.Run({"BITOP", "OR", "a", "a", "b"}), Int(3));
  EXPECT_EQ(h.Run({"GET", "a"}), Bulk("abc"));
  h.Run({"SET", "d", "x", "EX", "100"});
  EXPECT_EQ(h.Run({"BITOP", "AND", "d", "nokey1", "nokey2"}), Int(0));
  EXPECT_EQ(h.shard().db(0).Peek("d"), nullptr);
}

TEST(BitCommands, BitfieldFailStillCreatesTheKey) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"BITFIELD", "s", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"}), "*1\r\n$-1\r\n");
  EXPECT_EQ(h.Run({"GET", "s"}), Bulk(std::string(1, '\0')));
}

TEST(BitCommands, BitfieldGetOnlyNeverCreates) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"BITFIELD", "s", "GET", "i8", "4294967288"}), "*1\r\n:0\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "s"}), "*0\r\n");
  EXPECT_EQ(h.shard().db(0).Peek("s"), nullptr);
}

TEST(BitCommands, BitfieldMixedOps) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0", "INCRBY", "u8", "#1", "300"}),
            "*3\r\n:0\r\n:100\r\n:44\r\n");
  EXPECT_EQ(h.Run({"STRLEN", "bf"}), Int(2));
  EXPECT_EQ(h.Run({"BITFIELD_RO", "bf", "GET", "u8", "8"}), "*1\r\n:44\r\n");
  EXPECT_EQ(h.Run({"BITFIELD_RO", "bf", "INCRBY", "u8", "8", "1"}),
            Err("ERR BITFIELD_RO only supports the GET subcommand"));
  EXPECT_EQ(h.Run({"BITFIELD", "bf", "GET", "I8", "0"}),
            Err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."));
  EXPECT_EQ(h.Run({"BITFIELD", "bf", "OVERFLOW", "X"}), Err("ERR Invalid OVERFLOW type specified"));
}

TEST(BitCommands, BitCountAndBitPosParseBeforeLookup) {
  CommandHarness h;
  const std::string not_int = "ERR value is not an integer or out of range";
  EXPECT_EQ(h.Run({"BITCOUNT", "nokey", "x", "1"}), Err(not_int));
  EXPECT_EQ(h.Run({"BITCOUNT", "nokey", "0", "1", "BIT"}), Int(0));
  EXPECT_EQ(h.Run({"BITPOS", "nokey", "1", "x"}), Err(not_int));
  EXPECT_EQ(h.Run({"BITPOS", "nokey", "0"}), Int(0));
  EXPECT_EQ(h.Run({"BITPOS", "nokey", "1"}), Int(-1));
  EXPECT_EQ(h.Run({"BITPOS", "nokey", "2"}), Err("ERR The bit argument must be 1 or 0."));
}

// --- Journal effects ------------------------------------------------------------

// Bit writes journal SETBIT / BITFIELD SET with resolved values instead of the whole
// string; replayed in order, they must give the same bytes whatever the types, offsets,
// operands and OVERFLOW modes were.
class BitJournal : public JournalReplayTest {};

TEST_F(BitJournal, RandomBitWritesReplayToTheSameBytes) {
  std::mt19937_64 rng(20261207);
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  const std::vector<std::string> operands = {"0", "1", "-1", "127", "-128", "255", "300", "-300",
                                             "9223372036854775807", "-9223372036854775808"};
  const std::vector<std::string> modes = {"WRAP", "SAT", "FAIL"};
  for (int round = 0; round < 400; ++round) {
    if (pick(4) == 0) {
      Run({"SETBIT", "b", std::to_string(pick(200)), std::to_string(pick(2))});
      continue;
    }
    std::vector<std::string> command = {"BITFIELD", "b"};
    for (uint64_t op = 0, ops = 1 + pick(4); op < ops; ++op) {
      const bool is_signed = pick(2) == 0;
      const uint64_t bits = 1 + pick(is_signed ? 64 : 63);
      const std::string type = (is_signed ? "i" : "u") + std::to_string(bits);
      command.insert(command.end(), {"OVERFLOW", modes[pick(modes.size())]});
      const char* kind = pick(3) == 0 ? "GET" : (pick(2) == 0 ? "SET" : "INCRBY");
      command.insert(command.end(), {kind, type, std::to_string(pick(160))});
      if (std::string(kind) != "GET") command.push_back(operands[pick(operands.size())]);
    }
    ASSERT_NE(Run(command)[0], '-') << ::testing::PrintToString(command);
  }
  Replay();
  EXPECT_EQ(replica_.Run({"GET", "b"}), primary_.Run({"GET", "b"}));
}

}  // namespace
}  // namespace tierkv::testing
