// RDB encodings of the sorted-set type. See rdb_collections.h.
//
// Written (what Redis 7.0's rdbSaveObject writes): a listpack set as type 17, its
// listpack blob byte for byte; an index ("skiplist") set as type 5, a count then each
// member and its score as a little-endian binary double, from the highest score down.
// Read: types 3 (scores as length-prefixed text, 253/254/255 = nan/+inf/-inf), 5 and 17;
// the pre-7.0 ziplist (12) is refused as unsupported. On load the encoding follows
// Redis's rdbLoadObject: types 3 and 5 become a listpack when count and every member fit
// the limits; type 17 stays a listpack unless it has more members than
// zset-max-listpack-entries. A NaN or unreadable score, a duplicate member, an odd or
// empty listpack are corruption; a listpack out of (score, member) order is put in
// order (Redis would accept and keep it).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/number.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/types/zset/zset.h"

namespace tierkv {
namespace {

Status Corrupt(std::string what) { return Status::Corruption("rdb: zset " + std::move(what)); }

void WriteBinaryDouble(RdbWriter& writer, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(bits >> (8 * i));
  writer.WriteBytes({bytes, sizeof(bytes)});
}

Result<double> ReadBinaryDouble(RdbReader& reader) {
  auto bytes = reader.ReadBytes(8);
  if (!bytes.ok()) return bytes.status();
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<unsigned char>((*bytes)[i])) << (8 * i);
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// A whole score text as strtod reads it (what Redis writes: integers, %.17g or
// shortest-form text, inf/-inf); nullopt if anything is left over.
std::optional<double> ParseScoreText(std::string_view text) {
  if (text.empty() || text.size() > 255) return std::nullopt;
  const std::string terminated(text);
  char* end = nullptr;
  const double value = std::strtod(terminated.c_str(), &end);
  if (end != terminated.c_str() + terminated.size()) return std::nullopt;
  return value;
}

// Type 3's score: one length byte (253 nan, 254 +inf, 255 -inf) then that much text.
Result<double> ReadTextDouble(RdbReader& reader) {
  auto length = reader.ReadByte();
  if (!length.ok()) return length.status();
  switch (*length) {
    case 253: return std::numeric_limits<double>::quiet_NaN();
    case 254: return std::numeric_limits<double>::infinity();
    case 255: return -std::numeric_limits<double>::infinity();
    default: break;
  }
  auto text = reader.ReadBytes(*length);
  if (!text.ok()) return text.status();
  std::optional<double> value = ParseScoreText(*text);
  if (!value) return Corrupt("score text is not a number");
  return *value;
}

// Types 3 and 5: a count, then member and score, in any order.
Result<std::unique_ptr<ValueObject>> ReadPairs(RdbReader& reader, bool binary_scores, const EncodingLimits& limits) {
  auto count = reader.ReadLength();
  if (!count.ok()) return count.status();
  if (*count == 0) return Corrupt("is empty");
  // Every element takes at least two bytes: a larger count is damage and must not size
  // a table.
  if (*count > reader.remaining() / 2) return Corrupt("count " + std::to_string(*count) + " exceeds the payload");
  auto index = std::make_unique<ScoreIndex>();
  index->Reserve(*count);
  for (uint64_t i = 0; i < *count; ++i) {
    auto member = reader.ReadString();
    if (!member.ok()) return member.status();
    auto score = binary_scores ? ReadBinaryDouble(reader) : ReadTextDouble(reader);
    if (!score.ok()) return score.status();
    if (std::isnan(*score)) return Corrupt("with a NaN score");
    if (index->Find(*member) != nullptr) return Corrupt("with a duplicate member");
    index->Insert(*member, *score);
  }
  auto zset = std::make_unique<ZSet>(std::move(index));
  zset->ConvertToListpackIfFits(limits);
  return std::unique_ptr<ValueObject>(std::move(zset));
}

// Type 17: a listpack of member, score pairs.
Result<std::unique_ptr<ValueObject>> ReadListpack(RdbReader& reader, const EncodingLimits& limits) {
  auto blob = reader.ReadString();
  if (!blob.ok()) return blob.status();
  auto listpack = Listpack::FromBytes(*blob);
  if (!listpack.ok()) return listpack.status();
  if (listpack->empty()) return Corrupt("listpack is empty");
  if (listpack->size() % 2 != 0) return Corrupt("listpack with an odd number of elements");
  std::vector<ScoredMember> pairs;
  pairs.reserve(listpack->size() / 2);
  Listpack::IntBuffer scratch;
  for (Listpack::Pos pos = listpack->First(); pos != Listpack::kEnd; pos = listpack->Next(pos)) {
    ScoredMember pair;
    pair.member = std::string(listpack->Get(pos, scratch));
    pos = listpack->Next(pos);
    if (std::optional<int64_t> integer = listpack->GetInteger(pos)) {
      pair.score = static_cast<double>(*integer);
    } else {
      std::optional<double> score = ParseScoreText(listpack->Get(pos, scratch));
      if (!score) return Corrupt("listpack score is not a number");
      pair.score = *score;
    }
    if (std::isnan(pair.score)) return Corrupt("with a NaN score");
    pairs.push_back(std::move(pair));
  }
  auto by_member = pairs;
  std::sort(by_member.begin(), by_member.end(),
            [](const ScoredMember& a, const ScoredMember& b) { return a.member < b.member; });
  for (size_t i = 1; i < by_member.size(); ++i) {
    if (by_member[i].member == by_member[i - 1].member) return Corrupt("listpack with a duplicate member");
  }
  auto ordered = [](const ScoredMember& a, const ScoredMember& b) {
    return a.score != b.score ? a.score < b.score : a.member < b.member;
  };
  std::unique_ptr<ZSet> zset;
  if (std::is_sorted(pairs.begin(), pairs.end(), ordered)) {
    zset = std::make_unique<ZSet>(std::move(*listpack));
  } else {
    std::sort(pairs.begin(), pairs.end(), ordered);
    Listpack rebuilt;
    for (const ScoredMember& pair : pairs) {
      rebuilt.Append(pair.member);
      rebuilt.Append(FormatDouble(pair.score));
    }
    zset = std::make_unique<ZSet>(std::move(rebuilt));
  }
  if (zset->size() > limits.zset_max_listpack_entries) zset->ConvertToIndex();
  return std::unique_ptr<ValueObject>(std::move(zset));
}

// A listpack whole; a skiplist's header, then a member at a time, highest score first
// (as Redis: its loader then always inserts at the head).
class ZSetRdbCursor final : public RdbCollectionCursor {
 public:
  explicit ZSetRdbCursor(const ValueObject& value) : zset_(static_cast<const ZSet&>(value)) {}

  bool WriteStart(RdbEncodeSink& sink) override {
    if (zset_.is_listpack()) {
      sink.writer().WriteByte(kRdbTypeZSetListpack);
      sink.String(zset_.listpack().bytes());
      return true;
    }
    sink.writer().WriteByte(kRdbTypeZSet2);
    sink.writer().WriteLength(zset_.size());
    next_ = zset_.index().tree().Last();
    return false;
  }

  bool WriteElements(RdbEncodeSink& sink) override {
    for (; next_.valid(); next_.Prev()) {
      if (sink.full()) return false;
      sink.String(next_.record()->member());
      WriteBinaryDouble(sink.writer(), next_.score());
    }
    return true;
  }

 private:
  const ZSet& zset_;
  OrderTree::Cursor next_;
};

}  // namespace

std::unique_ptr<RdbValueCursor> NewRdbZSetCursor(const ValueObject& zset) {
  return std::make_unique<ZSetRdbCursor>(zset);
}

void WriteRdbZSet(RdbWriter& writer, const ValueObject& zset) { WriteWhole(writer, ZSetRdbCursor(zset)); }

Result<std::unique_ptr<ValueObject>> ReadRdbZSet(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits) {
  switch (rdb_type) {
    case kRdbTypeZSet: return ReadPairs(reader, false, limits);
    case kRdbTypeZSet2: return ReadPairs(reader, true, limits);
    case kRdbTypeZSetListpack: return ReadListpack(reader, limits);
    case kRdbTypeZSetZiplist:
      return Status::Corruption("rdb: zset encoding 12 (ziplist, before Redis 7.0) is not supported");
    default: return Status::Corruption("rdb: not a zset type: " + std::to_string(rdb_type));
  }
}

}  // namespace tierkv
