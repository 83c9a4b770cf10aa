// Listpack: Redis's byte format at every encoding boundary, navigation, edits checked
// against a model (and against a listpack freshly built from the model, byte for byte),
// the 65535-element header rule, Find, and FromBytes against damaged blobs.
// Byte equality with a real redis-server is in tests/integration/listpack_interop_test.cc.
#include "engine/types/listpack.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tierkv {
namespace {

using Bytes = std::vector<unsigned char>;

std::string Blob(const Bytes& elements, uint16_t count) {
  std::string blob;
  const uint32_t total = static_cast<uint32_t>(6 + elements.size() + 1);
  for (int i = 0; i < 4; ++i) blob.push_back(static_cast<char>(total >> (8 * i)));
  blob.push_back(static_cast<char>(count & 0xFF));
  blob.push_back(static_cast<char>(count >> 8));
  blob.append(elements.begin(), elements.end());
  blob.push_back(static_cast<char>(0xFF));
  return blob;
}

// The element bytes of a one-element listpack.
Bytes OnlyElement(const Listpack& lp) {
  std::string_view b = lp.bytes();
  return Bytes(b.begin() + 6, b.end() - 1);
}

std::vector<std::string> Contents(const Listpack& lp) {
  std::vector<std::string> out;
  Listpack::IntBuffer scratch;
  for (Listpack::Pos p = lp.First(); p != Listpack::kEnd; p = lp.Next(p)) out.emplace_back(lp.Get(p, scratch));
  return out;
}

std::vector<std::string> ContentsBackwards(const Listpack& lp) {
  std::vector<std::string> out;
  Listpack::IntBuffer scratch;
  for (Listpack::Pos p = lp.Last(); p != Listpack::kEnd; p = lp.Prev(p)) out.emplace_back(lp.Get(p, scratch));
  return {out.rbegin(), out.rend()};
}

Listpack Build(const std::vector<std::string>& values) {
  Listpack lp;
  for (const std::string& v : values) lp.Append(v);
  return lp;
}

uint16_t HeaderCount(const Listpack& lp) {
  std::string_view b = lp.bytes();
  return static_cast<uint16_t>(static_cast<unsigned char>(b[4]) | static_cast<unsigned char>(b[5]) << 8);
}

TEST(ListpackTest, EmptyIsSevenBytesAndAllocatesNothing) {
  Listpack lp;
  EXPECT_EQ(lp.bytes(), Blob({}, 0));
  EXPECT_EQ(lp.bytes_size(), 7u);
  EXPECT_EQ(lp.size(), 0u);
  EXPECT_TRUE(lp.empty());
  EXPECT_EQ(lp.First(), Listpack::kEnd);
  EXPECT_EQ(lp.Last(), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(0), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(-1), Listpack::kEnd);
  EXPECT_EQ(lp.Find("x", lp.First()), Listpack::kEnd);
  EXPECT_EQ(lp.MemoryUsage(), 0u);
  lp.Append("a");
  EXPECT_GE(lp.MemoryUsage(), lp.bytes_size());
  lp.Clear();
  EXPECT_EQ(lp.bytes(), Blob({}, 0));
  EXPECT_EQ(lp.MemoryUsage(), 0u);
}

struct IntCase {
  int64_t value;
  Bytes element;  // encoding, data and backlen
};

TEST(ListpackTest, IntegersUseTheSmallestEncodingAtEveryBoundary) {
  const std::vector<IntCase> cases = {
      {0, {0x00, 0x01}},
      {1, {0x01, 0x01}},
      {127, {0x7F, 0x01}},
      {128, {0xC0, 0x80, 0x02}},
      {-1, {0xDF, 0xFF, 0x02}},
      {4095, {0xCF, 0xFF, 0x02}},
      {-4096, {0xD0, 0x00, 0x02}},
      {4096, {0xF1, 0x00, 0x10, 0x03}},
      {-4097, {0xF1, 0xFF, 0xEF, 0x03}},
      {32767, {0xF1, 0xFF, 0x7F, 0x03}},
      {-32768, {0xF1, 0x00, 0x80, 0x03}},
      {32768, {0xF2, 0x00, 0x80, 0x00, 0x04}},
      {-32769, {0xF2, 0xFF, 0x7F, 0xFF, 0x04}},
      {8388607, {0xF2, 0xFF, 0xFF, 0x7F, 0x04}},
      {-8388608, {0xF2, 0x00, 0x00, 0x80, 0x04}},
      {8388608, {0xF3, 0x00, 0x00, 0x80, 0x00, 0x05}},
      {-8388609, {0xF3, 0xFF, 0xFF, 0x7F, 0xFF, 0x05}},
      {INT32_MAX, {0xF3, 0xFF, 0xFF, 0xFF, 0x7F, 0x05}},
      {INT32_MIN, {0xF3, 0x00, 0x00, 0x00, 0x80, 0x05}},
      {int64_t{INT32_MAX} + 1, {0xF4, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x09}},
      {int64_t{INT32_MIN} - 1, {0xF4, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0x09}},
      {INT64_MAX, {0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x09}},
      {INT64_MIN, {0xF4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x09}},
  };
  for (const IntCase& c : cases) {
    const std::string text = std::to_string(c.value);
    SCOPED_TRACE(text);
    Listpack from_text;
    from_text.Append(text);
    Listpack from_int;
    from_int.AppendInteger(c.value);
    EXPECT_EQ(OnlyElement(from_text), c.element);
    EXPECT_EQ(from_int.bytes(), from_text.bytes());
    EXPECT_EQ(from_text.bytes(), Blob(c.element, 1));
    EXPECT_EQ(Listpack::EncodedSize(text), c.element.size());
    Listpack::IntBuffer scratch;
    EXPECT_EQ(from_text.Get(from_text.First(), scratch), text);
    EXPECT_EQ(from_text.GetInteger(from_text.First()), c.value);
    EXPECT_TRUE(from_text.Equals(from_text.First(), text));
    EXPECT_EQ(from_text.Last(), from_text.First());
    // Every int between the 13-bit boundaries goes the same way; checked exhaustively below.
  }
  Listpack all;
  for (int64_t v = -4200; v <= 4200; ++v) all.AppendInteger(v);
  int64_t expected = -4200;
  Listpack::IntBuffer scratch;
  for (Listpack::Pos p = all.First(); p != Listpack::kEnd; p = all.Next(p), ++expected) {
    ASSERT_EQ(all.GetInteger(p), expected);
    ASSERT_EQ(all.Get(p, scratch), std::to_string(expected));
  }
  EXPECT_EQ(expected, 4201);
}

TEST(ListpackTest, OnlyCanonicalIntegerTextIsStoredAsAnInteger) {
  const std::vector<std::string> strings = {"",   "-",  "+1", "01",  "-0",  "00", " 1", "1 ", "1a", "1.0",
                                            "0x1", "--1", "9223372036854775808", "-9223372036854775809",
                                            "12345678901234567890", "000000000000000000001", "-01"};
  for (const std::string& s : strings) {
    SCOPED_TRACE("'" + s + "'");
    Listpack lp;
    lp.Append(s);
    EXPECT_FALSE(lp.GetInteger(lp.First()).has_value());
    Listpack::IntBuffer scratch;
    EXPECT_EQ(lp.Get(lp.First(), scratch), s);
    EXPECT_EQ(static_cast<unsigned char>(lp.bytes()[6]), 0x80 | s.size());
    EXPECT_TRUE(lp.Equals(lp.First(), s));
  }
  Listpack lp;
  lp.Append("-9223372036854775808");
  lp.Append("9223372036854775807");
  lp.Append("-12");
  EXPECT_EQ(lp.GetInteger(lp.Seek(0)), INT64_MIN);
  EXPECT_EQ(lp.GetInteger(lp.Seek(1)), INT64_MAX);
  EXPECT_EQ(lp.GetInteger(lp.Seek(2)), -12);
}

TEST(ListpackTest, StringsUseSixTwelveAndThirtyTwoBitLengths) {
  struct StringCase {
    size_t length;
    Bytes head;
    Bytes backlen;
  };
  const std::vector<StringCase> cases = {
      {0, {0x80}, {0x01}},
      {1, {0x81}, {0x02}},
      {63, {0xBF}, {0x40}},
      {64, {0xE0, 0x40}, {0x42}},
      {125, {0xE0, 0x7D}, {0x7F}},                          // element of 127 bytes: 1-byte backlen
      {126, {0xE0, 0x7E}, {0x01, 0x80}},                    // 128 bytes: 2-byte backlen
      {4095, {0xEF, 0xFF}, {0x20, 0x81}},                   // 4097
      {4096, {0xF0, 0x00, 0x10, 0x00, 0x00}, {0x20, 0x85}},  // 4101
      {70000, {0xF0, 0x70, 0x11, 0x01, 0x00}, {0x04, 0xA2, 0xF5}},  // 70005
  };
  for (const StringCase& c : cases) {
    SCOPED_TRACE(c.length);
    std::string value(c.length, 'x');
    for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
    Listpack lp;
    lp.Append(value);
    Bytes expected = c.head;
    expected.insert(expected.end(), value.begin(), value.end());
    expected.insert(expected.end(), c.backlen.begin(), c.backlen.end());
    EXPECT_EQ(OnlyElement(lp), expected);
    EXPECT_EQ(Listpack::EncodedSize(value), expected.size());
    Listpack::IntBuffer scratch;
    EXPECT_EQ(lp.Get(lp.First(), scratch), value);
    EXPECT_FALSE(lp.GetInteger(lp.First()).has_value());
    // Navigation over it in both directions needs the backlen to be right.
    lp.Prepend("before");
    lp.Append("after");
    EXPECT_EQ(Contents(lp), (std::vector<std::string>{"before", value, "after"}));
    EXPECT_EQ(ContentsBackwards(lp), Contents(lp));
    ASSERT_TRUE(Listpack::FromBytes(lp.bytes()).ok());
  }
}

// Backlen widths switch at Redis's cut-offs: 127 | 128, 16382 | 16383 (3 bytes already),
// 2097150 | 2097151, 268435454 | 268435455.
TEST(ListpackTest, BacklenTakesOneToFiveBytes) {
  struct BacklenCase {
    size_t element_len;  // encoding + data
    size_t backlen_bytes;
  };
  const std::vector<BacklenCase> cases = {
      {127, 1}, {128, 2}, {16382, 2}, {16383, 3}, {16384, 3}, {2097150, 3}, {2097151, 4},
  };  // 5 bytes: FiveByteBacklenOnARealElement
  for (const BacklenCase& c : cases) {
    SCOPED_TRACE(c.element_len);
    // 12-bit strings carry 2 bytes of encoding, 32-bit strings 5.
    const size_t length = c.element_len <= 4097 ? c.element_len - 2 : c.element_len - 5;
    const std::string value(length, 'v');
    ASSERT_EQ(Listpack::EncodedSize(value), c.element_len + c.backlen_bytes);
    Listpack lp;
    lp.Append("first");
    lp.Append(value);
    lp.Append("last");
    EXPECT_EQ(lp.bytes_size(), 7 + 7 + c.element_len + c.backlen_bytes + 6);
    EXPECT_EQ(lp.Next(lp.First()), lp.Prev(lp.Last()));
    EXPECT_EQ(lp.Prev(lp.Prev(lp.Last())), lp.First());
    Listpack::IntBuffer scratch;
    EXPECT_EQ(lp.Get(lp.Seek(-2), scratch).size(), length);
    EXPECT_TRUE(Listpack::FromBytes(lp.bytes()).ok());
  }
}

TEST(ListpackTest, FiveByteBacklenOnARealElement) {
  // One 256 MB string: encoding 5 + 268435450 = 268435455 bytes, Redis's 5-byte cut-off.
  std::string value(268435450, 'z');
  Listpack lp;
  lp.Append("a");
  lp.Append(value);
  lp.Append("b");
  value.clear();
  value.shrink_to_fit();
  const std::string_view b = lp.bytes();
  const size_t backlen_at = 6 + 3 + 268435455;  // "a" takes 3 bytes
  EXPECT_EQ(static_cast<unsigned char>(b[backlen_at]), 268435455u >> 28);
  EXPECT_EQ(static_cast<unsigned char>(b[backlen_at + 4]), 0xFF);
  EXPECT_EQ(lp.bytes_size(), 7 + 3 + 268435455 + 5 + 3);
  EXPECT_EQ(lp.Prev(lp.Last()), lp.Seek(1));
  EXPECT_EQ(lp.Prev(lp.Seek(1)), lp.First());
  EXPECT_TRUE(Listpack::FromBytes(lp.bytes()).ok());
}

TEST(ListpackTest, NavigationAndSeekFromBothEnds) {
  std::vector<std::string> values;
  for (int i = 0; i < 301; ++i) {
    switch (i % 5) {
      case 0: values.push_back(std::to_string(i * 1000003LL - 150000000)); break;
      case 1: values.push_back(std::string(i, 's')); break;
      case 2: values.push_back(std::to_string(i)); break;
      case 3: values.push_back("f" + std::to_string(i)); break;
      default: values.push_back(std::string(i * 20, 'L')); break;
    }
  }
  Listpack lp = Build(values);
  EXPECT_EQ(lp.size(), values.size());
  EXPECT_EQ(Contents(lp), values);
  EXPECT_EQ(ContentsBackwards(lp), values);
  const int64_t n = static_cast<int64_t>(values.size());
  Listpack::IntBuffer scratch;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_NE(lp.Seek(i), Listpack::kEnd);
    ASSERT_EQ(lp.Get(lp.Seek(i), scratch), values[i]) << i;
    ASSERT_EQ(lp.Seek(i - n), lp.Seek(i)) << i;
  }
  EXPECT_EQ(lp.Seek(n), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(-n - 1), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(INT64_MAX), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(INT64_MIN), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(0), lp.First());
  EXPECT_EQ(lp.Seek(-1), lp.Last());
  EXPECT_EQ(lp.Next(lp.Last()), Listpack::kEnd);
  EXPECT_EQ(lp.Prev(lp.First()), Listpack::kEnd);
  EXPECT_EQ(lp.Next(Listpack::kEnd), Listpack::kEnd);
  EXPECT_EQ(lp.Prev(Listpack::kEnd), Listpack::kEnd);
}

TEST(ListpackTest, InsertReplaceEraseInTheMiddleAndAtTheEnds) {
  Listpack lp = Build({"a", "b", "c"});
  Listpack::Pos p = lp.Insert(lp.Seek(1), "x");
  EXPECT_EQ(p, lp.Seek(1));
  EXPECT_EQ(Contents(lp), (std::vector<std::string>{"a", "x", "b", "c"}));
  p = lp.Insert(Listpack::kEnd, "100000");
  EXPECT_EQ(p, lp.Last());
  p = lp.Insert(lp.First(), "-5");
  EXPECT_EQ(p, lp.First());
  lp.Prepend("p");
  EXPECT_EQ(Contents(lp), (std::vector<std::string>{"p", "-5", "a", "x", "b", "c", "100000"}));
  EXPECT_EQ(lp.Replace(lp.Seek(3), std::string(5000, 'R')), lp.Seek(3));  // grows
  EXPECT_EQ(lp.Replace(lp.Seek(3), "7"), lp.Seek(3));                     // shrinks
  EXPECT_EQ(lp.Replace(lp.First(), "q"), lp.First());                     // same size
  EXPECT_EQ(lp.Replace(lp.Last(), "last"), lp.Last());
  EXPECT_EQ(Contents(lp), (std::vector<std::string>{"q", "-5", "a", "7", "b", "c", "last"}));
  EXPECT_EQ(lp.bytes(), Build(Contents(lp)).bytes());
  // Erase returns what follows.
  p = lp.Erase(lp.Seek(2), 2);
  EXPECT_EQ(p, lp.Seek(2));
  Listpack::IntBuffer scratch;
  EXPECT_EQ(lp.Get(p, scratch), "b");
  EXPECT_EQ(lp.Erase(lp.Last()), Listpack::kEnd);
  EXPECT_EQ(lp.Erase(lp.First()), lp.First());
  EXPECT_EQ(Contents(lp), (std::vector<std::string>{"-5", "b", "c"}));
  EXPECT_EQ(lp.Erase(lp.Seek(1), 100), Listpack::kEnd);
  EXPECT_EQ(Contents(lp), (std::vector<std::string>{"-5"}));
  EXPECT_EQ(lp.Erase(lp.First(), 0), lp.First());
  EXPECT_EQ(lp.size(), 1u);
  EXPECT_EQ(lp.Erase(lp.First()), Listpack::kEnd);
  EXPECT_TRUE(lp.empty());
  EXPECT_EQ(lp.bytes(), Blob({}, 0));
  EXPECT_EQ(lp.MemoryUsage(), 0u);
  lp.Prepend("again");
  EXPECT_EQ(Contents(lp), (std::vector<std::string>{"again"}));
}

TEST(ListpackTest, ValuesPointingIntoTheListpackAreCopiedFirst) {
  Listpack lp = Build({std::string(100, 'a'), "b"});
  Listpack::IntBuffer scratch;
  for (int i = 0; i < 5; ++i) lp.Append(lp.Get(lp.First(), scratch));
  lp.Insert(lp.First(), lp.Get(lp.Seek(1), scratch));
  lp.Replace(lp.Seek(1), lp.Get(lp.Last(), scratch));
  lp.Replace(lp.Seek(2), lp.bytes().substr(0, 3000 > lp.bytes_size() ? lp.bytes_size() : 3000));
  EXPECT_EQ(lp.size(), 8u);
  EXPECT_TRUE(Listpack::FromBytes(lp.bytes()).ok());
  EXPECT_EQ(lp.Get(lp.Seek(1), scratch), std::string(100, 'a'));
}

// Random edits against a vector of strings; after each, the listpack must hold the
// model's values and be byte-identical to one built by appending them.
TEST(ListpackTest, RandomEditsMatchAModel) {
  std::mt19937_64 rng(7);
  auto random_value = [&]() -> std::string {
    switch (rng() % 8) {
      case 0: return std::to_string(static_cast<int64_t>(rng()));
      case 1: return std::to_string(static_cast<int64_t>(rng() % 20000) - 10000);
      case 2: return std::to_string(rng() % 200);
      case 3: return std::string(rng() % 70, 'a' + static_cast<char>(rng() % 26));
      case 4: return std::string(rng() % 5000, 'b');
      case 5: return std::string(16370 + rng() % 20, 'c');
      case 6: return "0" + std::to_string(rng() % 100);
      default: return std::string(1 + rng() % 3, static_cast<char>(rng()));
    }
  };
  Listpack lp;
  std::vector<std::string> model;
  for (int step = 0; step < 3000; ++step) {
    const size_t n = model.size();
    const size_t index = n == 0 ? 0 : rng() % n;
    switch (rng() % 6) {
      case 0: {
        std::string v = random_value();
        lp.Append(v);
        model.push_back(v);
        break;
      }
      case 1: {
        std::string v = random_value();
        lp.Prepend(v);
        model.insert(model.begin(), v);
        break;
      }
      case 2: {
        std::string v = random_value();
        const size_t at = n == 0 ? 0 : rng() % (n + 1);
        Listpack::Pos p = lp.Insert(at == n ? Listpack::kEnd : lp.Seek(static_cast<int64_t>(at)), v);
        model.insert(model.begin() + static_cast<ptrdiff_t>(at), v);
        ASSERT_EQ(p, lp.Seek(static_cast<int64_t>(at)));
        break;
      }
      case 3: {
        if (n == 0) break;
        std::string v = random_value();
        lp.Replace(lp.Seek(static_cast<int64_t>(index)), v);
        model[index] = v;
        break;
      }
      default: {
        if (n == 0) break;
        const size_t count = 1 + rng() % 3;
        Listpack::Pos p = lp.Erase(lp.Seek(static_cast<int64_t>(index)), count);
        model.erase(model.begin() + static_cast<ptrdiff_t>(index),
                    model.begin() + static_cast<ptrdiff_t>(std::min(n, index + count)));
        ASSERT_EQ(p, index < model.size() ? lp.Seek(static_cast<int64_t>(index)) : Listpack::kEnd);
        break;
      }
    }
    ASSERT_EQ(lp.size(), model.size()) << "step " << step;
    if (step % 10 == 0 || model.size() < 4) {
      ASSERT_EQ(Contents(lp), model) << "step " << step;
      ASSERT_EQ(ContentsBackwards(lp), model) << "step " << step;
      ASSERT_EQ(lp.bytes(), Build(model).bytes()) << "step " << step;
      ASSERT_TRUE(Listpack::FromBytes(lp.bytes()).ok()) << "step " << step;
    }
    if (model.size() > 60) {  // keep it small enough to check often
      lp.Erase(lp.First(), 30);
      model.erase(model.begin(), model.begin() + 30);
    }
  }
}

TEST(ListpackTest, CopyAndMove) {
  Listpack a = Build({"1", "two", std::string(300, '3')});
  Listpack b(a);
  EXPECT_EQ(b.bytes(), a.bytes());
  b.Append("more");
  EXPECT_EQ(a.size(), 3u);
  Listpack c(std::move(b));
  EXPECT_EQ(c.size(), 4u);
  EXPECT_TRUE(b.empty());  // NOLINT: moved-from is empty and usable
  b.Append("reused");
  EXPECT_EQ(b.size(), 1u);
  c = a;
  EXPECT_EQ(c.bytes(), a.bytes());
  c = std::move(b);
  EXPECT_EQ(Contents(c), (std::vector<std::string>{"reused"}));
  Listpack empty;
  Listpack copy_of_empty(empty);
  EXPECT_EQ(copy_of_empty.bytes(), Blob({}, 0));
  a = empty;
  EXPECT_TRUE(a.empty());
  a = a;  // self-assignment keeps it intact
  a.Append("x");
  a = a;
  EXPECT_EQ(a.size(), 1u);
}

TEST(ListpackTest, CountAbove65534IsUnknownInTheHeader) {
  // 65533 7-bit integers (i % 100) built as a blob: appending them one by one is
  // quadratic under ASan, whose realloc always copies.
  Bytes elements;
  for (int i = 0; i < 65533; ++i) {
    elements.push_back(static_cast<unsigned char>(i % 100));
    elements.push_back(0x01);
  }
  Result<Listpack> start = Listpack::FromBytes(Blob(elements, 65533));
  ASSERT_TRUE(start.ok());
  Listpack lp = std::move(*start);
  lp.AppendInteger(65533 % 100);
  EXPECT_EQ(HeaderCount(lp), 65534);
  lp.Append("x");
  EXPECT_EQ(HeaderCount(lp), 65535);
  EXPECT_EQ(lp.size(), 65535u);
  for (int i = 0; i < 4465; ++i) lp.Append("s" + std::to_string(i));
  EXPECT_EQ(HeaderCount(lp), 65535);
  EXPECT_EQ(lp.size(), 70000u);
  Listpack::IntBuffer scratch;
  EXPECT_EQ(lp.Get(lp.Seek(-1), scratch), "s4464");
  EXPECT_EQ(lp.Get(lp.Seek(69999), scratch), "s4464");
  EXPECT_EQ(lp.Get(lp.Seek(65534), scratch), "x");
  EXPECT_EQ(lp.Get(lp.Seek(-70000), scratch), "0");
  EXPECT_EQ(lp.Get(lp.Seek(35001), scratch), "1");
  EXPECT_EQ(lp.Seek(70000), Listpack::kEnd);
  EXPECT_EQ(lp.Seek(-70001), Listpack::kEnd);
  EXPECT_EQ(lp.Find("s4000", lp.First()), lp.Seek(65535 + 4000));
  ASSERT_TRUE(Listpack::FromBytes(lp.bytes()).ok());
  EXPECT_EQ(Listpack::FromBytes(lp.bytes())->size(), 70000u);
  // Back under 65535 the header is exact again.
  lp.Erase(lp.First(), 4000);
  EXPECT_EQ(HeaderCount(lp), 65535);
  EXPECT_EQ(lp.size(), 66000u);
  lp.Erase(lp.Seek(-1000), 1000);
  EXPECT_EQ(lp.size(), 65000u);
  EXPECT_EQ(HeaderCount(lp), 65000);
  Bytes expected;  // 4000..65533 as 7-bit integers, "x", "s0".."s3464"
  for (int i = 4000; i < 65534; ++i) {
    expected.push_back(static_cast<unsigned char>(i % 100));
    expected.push_back(0x01);
  }
  for (int i = -1; i < 3465; ++i) {
    const std::string value = i < 0 ? "x" : "s" + std::to_string(i);
    expected.push_back(static_cast<unsigned char>(0x80 | value.size()));
    expected.insert(expected.end(), value.begin(), value.end());
    expected.push_back(static_cast<unsigned char>(value.size() + 1));
  }
  EXPECT_EQ(lp.bytes(), Blob(expected, 65000));
}

TEST(ListpackTest, FindComparesIntegersWithoutFormattingAndHonoursSkip) {
  // field/value pairs where values look like fields.
  Listpack lp = Build({"f1", "f2", "f2", "100", "100", "-7", "x", "f1", "-7", "v"});
  EXPECT_EQ(lp.Find("f2", lp.First()), lp.Seek(1));
  EXPECT_EQ(lp.Find("f2", lp.First(), 1), lp.Seek(2));
  EXPECT_EQ(lp.Find("100", lp.First(), 1), lp.Seek(4));
  EXPECT_EQ(lp.Find("-7", lp.First(), 1), lp.Seek(8));
  EXPECT_EQ(lp.Find("f1", lp.Seek(1)), lp.Seek(7));
  EXPECT_EQ(lp.Find("f1", lp.Seek(1), 1), lp.Seek(7));  // from odd: looks at 1,3,5,7
  EXPECT_EQ(lp.Find("f1", lp.Seek(2), 1), Listpack::kEnd);
  EXPECT_EQ(lp.Find("v", lp.First(), 1), Listpack::kEnd);
  EXPECT_EQ(lp.Find("v", lp.First(), 2), lp.Seek(9));  // 0,3,6,9
  EXPECT_EQ(lp.Find("0100", lp.First()), Listpack::kEnd);
  EXPECT_EQ(lp.Find("100 ", lp.First()), Listpack::kEnd);
  EXPECT_EQ(lp.Find("nope", lp.First()), Listpack::kEnd);
  EXPECT_EQ(lp.Find("f1", Listpack::kEnd), Listpack::kEnd);
  EXPECT_TRUE(lp.Equals(lp.Seek(3), "100"));
  EXPECT_FALSE(lp.Equals(lp.Seek(3), "+100"));
  EXPECT_FALSE(lp.Equals(lp.Seek(3), "10"));
  EXPECT_FALSE(lp.Equals(lp.Seek(0), "f"));
  EXPECT_FALSE(lp.Equals(lp.Seek(0), "f11"));
  Listpack big;
  big.AppendInteger(INT64_MIN);
  big.AppendInteger(INT64_MAX);
  EXPECT_EQ(big.Find("9223372036854775807", big.First()), big.Last());
  EXPECT_EQ(big.Find("-9223372036854775808", big.First()), big.First());
  EXPECT_EQ(big.Find("9223372036854775808", big.First()), Listpack::kEnd);
}

TEST(ListpackTest, IntegerTextStoredAsAStringStillMatches) {
  // Another writer may store "12" as a 6-bit string; it must still be found and read.
  const std::string blob = Blob({0x82, '1', '2', 0x03, 0x0C, 0x01}, 2);
  Result<Listpack> lp = Listpack::FromBytes(blob);
  ASSERT_TRUE(lp.ok()) << lp.status().message();
  EXPECT_EQ(lp->Find("12", lp->First()), lp->First());
  EXPECT_EQ(lp->Find("12", lp->Next(lp->First())), lp->Last());
  EXPECT_TRUE(lp->Equals(lp->First(), "12"));
  EXPECT_FALSE(lp->GetInteger(lp->First()).has_value());
  EXPECT_EQ(lp->GetInteger(lp->Last()), 12);
}

TEST(ListpackTest, FromBytesAcceptsValidBlobsAndNormalisesAnUnknownCount) {
  Listpack lp = Build({"a", "1", std::string(200, 'b')});
  Result<Listpack> copy = Listpack::FromBytes(lp.bytes());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->bytes(), lp.bytes());
  Result<Listpack> empty = Listpack::FromBytes(Blob({}, 0));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // Redis may leave 65535 ("unknown") in the header of a small listpack after deletions.
  std::string unknown(lp.bytes());
  unknown[4] = static_cast<char>(0xFF);
  unknown[5] = static_cast<char>(0xFF);
  Result<Listpack> normalised = Listpack::FromBytes(unknown);
  ASSERT_TRUE(normalised.ok());
  EXPECT_EQ(normalised->bytes(), lp.bytes());
  EXPECT_EQ(normalised->size(), 3u);
}

void ExpectCorrupt(const std::string& blob, const char* why) {
  Result<Listpack> lp = Listpack::FromBytes(blob);
  ASSERT_FALSE(lp.ok()) << why;
  EXPECT_EQ(lp.status().code(), Code::kCorruption) << why;
}

TEST(ListpackTest, FromBytesRejectsDamage) {
  ExpectCorrupt("", "empty");
  ExpectCorrupt(std::string("\x06\0\0\0\0\0", 6), "shorter than a header");
  ExpectCorrupt(Blob({0x01, 0x01}, 2), "count too high");
  ExpectCorrupt(Blob({0x01, 0x01}, 0), "count too low");
  ExpectCorrupt(Blob({0x01, 0x02}, 1), "backlen wrong");
  ExpectCorrupt(Blob({0xF5, 0x01}, 1), "unassigned encoding");
  ExpectCorrupt(Blob({0xFE, 0x01}, 1), "unassigned encoding");
  ExpectCorrupt(Blob({0xFF, 0x01}, 1), "terminator inside");
  ExpectCorrupt(Blob({0x83, 'a', 'b', 0x04}, 1), "string runs past the end");
  ExpectCorrupt(Blob({0xE0}, 1), "12-bit header cut");
  ExpectCorrupt(Blob({0xF0, 0x00, 0x00}, 1), "32-bit header cut");
  ExpectCorrupt(Blob({0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 1), "32-bit length past the end");
  ExpectCorrupt(Blob({0xF4, 0, 0, 0, 0, 0, 0, 0, 0x09}, 1), "64-bit int cut");
  ExpectCorrupt(Blob({0x82, 'a', 'b', 0x00, 0x83}, 1), "backlen not canonical");
  std::string wrong_total = Blob({0x01, 0x01}, 1);
  wrong_total[0] = 10;
  ExpectCorrupt(wrong_total, "total bytes wrong");
  std::string no_terminator = Blob({0x01, 0x01}, 1);
  no_terminator.back() = 0x00;
  ExpectCorrupt(no_terminator, "terminator missing");
  ExpectCorrupt(Blob({0x01, 0x01}, 1) + "x", "trailing byte");
}

// Walks a listpack FromBytes accepted as thoroughly as a caller could.
void ExerciseAccepted(const Listpack& lp) {
  const std::vector<std::string> forwards = Contents(lp);
  ASSERT_EQ(ContentsBackwards(lp), forwards);
  ASSERT_EQ(lp.size(), forwards.size());
  for (size_t i = 0; i < forwards.size(); ++i) {
    ASSERT_TRUE(lp.Equals(lp.Seek(static_cast<int64_t>(i)), forwards[i]));
  }
  (void)lp.Find("needle", lp.First(), 1);
  (void)lp.Find("12", lp.First());
  Listpack edited(lp);
  edited.Append("tail");
  if (!edited.empty()) edited.Erase(edited.First());
  ASSERT_TRUE(Listpack::FromBytes(edited.bytes()).ok());
}

TEST(ListpackTest, FromBytesSurvivesEveryTruncationAndByteFlip) {
  std::vector<Listpack> samples;
  samples.push_back(Build({"a", "1", "-1", "128", "-4096", "40000", "9000000", "3000000000", "-9223372036854775808"}));
  samples.push_back(Build({std::string(63, 'x'), std::string(64, 'y'), std::string(130, 'z'), "0", ""}));
  samples.push_back(Build({std::string(4096, 'w'), "k", std::string(300, 'q')}));
  samples.push_back(Build({}));
  for (const Listpack& sample : samples) {
    const std::string valid(sample.bytes());
    for (size_t cut = 0; cut < valid.size(); ++cut) {
      Result<Listpack> lp = Listpack::FromBytes(valid.substr(0, cut));
      ASSERT_FALSE(lp.ok()) << "truncated to " << cut;
    }
    const unsigned char patterns[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF};
    const unsigned char values[] = {0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xDF, 0xE0, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
    for (size_t at = 0; at < valid.size(); ++at) {
      // Big samples: flip every byte of the header and the first and last 300 bytes.
      if (at > 300 && at + 300 < valid.size()) continue;
      std::string damaged = valid;
      for (unsigned char x : patterns) {
        damaged[at] = static_cast<char>(valid[at] ^ x);
        Result<Listpack> lp = Listpack::FromBytes(damaged);
        if (lp.ok()) ExerciseAccepted(*lp);
        else ASSERT_EQ(lp.status().code(), Code::kCorruption);
      }
      for (unsigned char v : values) {
        damaged[at] = static_cast<char>(v);
        Result<Listpack> lp = Listpack::FromBytes(damaged);
        if (lp.ok()) ExerciseAccepted(*lp);
        else ASSERT_EQ(lp.status().code(), Code::kCorruption);
      }
    }
  }
}

TEST(ListpackTest, FromBytesSurvivesRandomGarbage) {
  std::mt19937 rng(11);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const size_t body = rng() % 24;
    std::string bytes(body, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0x01 + rng() % 3 : rng());
    // A consistent header and terminator, so the element checks are what is exercised.
    std::string blob;
    const uint32_t total = static_cast<uint32_t>(6 + body + 1);
    for (int b = 0; b < 4; ++b) blob.push_back(static_cast<char>(total >> (8 * b)));
    blob.push_back(static_cast<char>(rng() % 2 == 0 ? 0xFF : rng() % 4));
    blob.push_back(static_cast<char>(blob.back() == static_cast<char>(0xFF) ? 0xFF : 0));
    blob += bytes;
    blob.push_back(static_cast<char>(0xFF));
    Result<Listpack> lp = Listpack::FromBytes(blob);
    if (lp.ok()) {
      ++accepted;
      ExerciseAccepted(*lp);
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace tierkv
