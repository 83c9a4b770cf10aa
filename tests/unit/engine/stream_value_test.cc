// The stream value: ID parsing and arithmetic, Redis's node format byte for byte, node
// splitting at both limits, deletion and trimming (exact and approximate), iteration,
// consumer-group bookkeeping (PEL ownership, lag) and the RDB encoding (round trips, older
// types, damaged payloads). Engine library only.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/digest.h"
#include "engine/keyspace_ops.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/types/stream/stream.h"
#include "engine/types/stream/stream_ops.h"

namespace tierkv {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

StreamId Id(uint64_t ms, uint64_t seq) { return {ms, seq}; }

void Add(Stream& stream, StreamId id, std::vector<std::string_view> field_values, const EncodingLimits& limits = {}) {
  stream.Append(id, field_values, limits);
}

std::vector<StreamId> Ids(const Stream& stream, StreamId start = StreamId::Min(), StreamId end = StreamId::Max(),
                          bool reverse = false) {
  std::vector<StreamId> ids;
  StreamIterator it(stream, start, end, reverse);
  while (it.Next()) ids.push_back(it.id());
  return ids;
}

// ---- IDs ------------------------------------------------------------------------------

TEST(StreamId, ParsesRedisForms) {
  EXPECT_EQ(*ParseStreamId("5", 0, true), Id(5, 0));
  EXPECT_EQ(*ParseStreamId("5", UINT64_MAX, false), Id(5, UINT64_MAX));
  EXPECT_EQ(*ParseStreamId("5-7", 0, true), Id(5, 7));
  EXPECT_EQ(*ParseStreamId("-", 0, false), StreamId::Min());
  EXPECT_EQ(*ParseStreamId("+", 0, false), StreamId::Max());
  EXPECT_EQ(*ParseStreamId("18446744073709551615-18446744073709551615", 0, true), StreamId::Max());
  // string2ull falls back to strtoull: leading spaces and a plus sign pass.
  EXPECT_EQ(*ParseStreamId(" 5", 0, true), Id(5, 0));
  EXPECT_EQ(*ParseStreamId("+7-1", 0, true), Id(7, 1));
  // An embedded NUL ends the C string Redis parses.
  EXPECT_EQ(*ParseStreamId(std::string_view("9\0xyz", 5), 0, true), Id(9, 0));
  for (std::string_view bad : {"", "-1", "-0", "1-", "1-2-3", "abc", "18446744073709551616", "1-x", "(1", "1.5"}) {
    EXPECT_FALSE(ParseStreamId(bad, 0, true).ok()) << bad;
  }
  EXPECT_FALSE(ParseStreamId("-", 0, true).ok());
  EXPECT_FALSE(ParseStreamId("+", 0, true).ok());
  EXPECT_FALSE(ParseStreamId(std::string(128, '1'), 0, false).ok());
  EXPECT_EQ(ParseStreamId("x", 0, false).status().message(), "ERR Invalid stream ID specified as stream command argument");
}

TEST(StreamId, XAddAcceptsAutoSequenceOnly) {
  auto partial = ParseXAddId("12-*");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->id, Id(12, 0));
  EXPECT_FALSE(partial->seq_given);
  auto plain = ParseXAddId("12");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->seq_given);
  EXPECT_FALSE(ParseXAddId("*-1").ok());
  EXPECT_FALSE(ParseStreamId("12-*", 0, true).ok());  // only XADD knows "-*"
}

TEST(StreamId, RangeBoundsAndExclusion) {
  EXPECT_EQ(*ParseRangeStart("(5-5"), Id(5, 6));
  EXPECT_EQ(*ParseRangeEnd("(5-5"), Id(5, 4));
  EXPECT_EQ(*ParseRangeStart("(5-18446744073709551615"), Id(6, 0));
  EXPECT_EQ(*ParseRangeEnd("(6-0"), Id(5, UINT64_MAX));
  EXPECT_EQ(*ParseRangeEnd("7"), Id(7, UINT64_MAX));
  EXPECT_EQ(ParseRangeStart("(18446744073709551615-18446744073709551615").status().message(),
            "ERR invalid start ID for the interval");
  EXPECT_EQ(ParseRangeEnd("(0-0").status().message(), "ERR invalid end ID for the interval");
  EXPECT_FALSE(ParseRangeStart("(-").ok());
  EXPECT_FALSE(ParseRangeEnd("(+").ok());
  EXPECT_FALSE(ParseRangeStart("(").ok()) << "'(' alone is not exclusive, and not an ID";
}

TEST(StreamId, IncrementDecrementWrapAtTheEnds) {
  StreamId id = Id(3, UINT64_MAX);
  EXPECT_TRUE(IncrementStreamId(id));
  EXPECT_EQ(id, Id(4, 0));
  EXPECT_TRUE(DecrementStreamId(id));
  EXPECT_EQ(id, Id(3, UINT64_MAX));
  id = StreamId::Max();
  EXPECT_FALSE(IncrementStreamId(id));
  EXPECT_EQ(id, StreamId::Min());
  EXPECT_FALSE(DecrementStreamId(id));
  EXPECT_EQ(id, StreamId::Max());
}

TEST(StreamId, BigEndianEncodingSortsLikeIds) {
  const std::string a = EncodeStreamId(Id(1, UINT64_MAX));
  const std::string b = EncodeStreamId(Id(2, 0));
  EXPECT_LT(a, b);
  EXPECT_EQ(Hex(EncodeStreamId(Id(0x0102, 0x0304))), "00000000000001020000000000000304");
  EXPECT_EQ(DecodeStreamId(a.data()), Id(1, UINT64_MAX));
  EXPECT_EQ(Id(1, 2).ToString(), "1-2");
}

// ---- Node format ----------------------------------------------------------------------

TEST(StreamNode, BytesEqualRedisIncludingSameFieldsDeletionAndNegativeSeqDelta) {
  // From redis-server 7.0: XADD s 1-1 a 1 b x; XADD s 1-2 a 2 b y; XADD s 5-0 c 3;
  // XDEL s 1-2 (the node listpack of its DUMP).
  Stream stream;
  Add(stream, Id(1, 1), {"a", "1", "b", "x"});
  Add(stream, Id(1, 2), {"a", "2", "b", "y"});
  Add(stream, Id(5, 0), {"c", "3"});
  ASSERT_TRUE(stream.Delete(Id(1, 2)));
  ASSERT_EQ(stream.nodes().size(), 1u);
  EXPECT_EQ(Hex(stream.nodes().begin()->second.bytes()),
            "3f00000019000201010102018161028162020001020100010001010181780205010301000101010201817902050100010401"
            "dfff02010181630203010601ff");
  EXPECT_EQ(Ids(stream), (std::vector<StreamId>{Id(1, 1), Id(5, 0)}));
  EXPECT_EQ(Ids(stream, StreamId::Min(), StreamId::Max(), true), (std::vector<StreamId>{Id(5, 0), Id(1, 1)}));
}

TEST(StreamNode, SplitsAtTheEntryLimitCountingDeletedEntries) {
  EncodingLimits limits;
  limits.stream_node_max_entries = 3;
  Stream stream;
  for (uint64_t i = 1; i <= 3; ++i) Add(stream, Id(i, 0), {"f", "v"}, limits);
  ASSERT_TRUE(stream.Delete(Id(2, 0)));  // the node still holds three entries
  Add(stream, Id(4, 0), {"f", "v"}, limits);
  ASSERT_EQ(stream.nodes().size(), 2u);
  EXPECT_EQ(std::next(stream.nodes().begin())->first, Id(4, 0));
  limits.stream_node_max_entries = 0;  // no entry limit: only bytes count
  for (uint64_t i = 5; i <= 300; ++i) Add(stream, Id(i, 0), {"f", "v"}, limits);
  EXPECT_EQ(stream.nodes().size(), 2u);
  EXPECT_EQ(stream.length(), 299u);
}

TEST(StreamNode, SplitsWhenTheEntryWouldReachTheByteLimit) {
  EncodingLimits limits;
  limits.stream_node_max_bytes = 200;
  Stream stream;
  const std::string value(40, 'x');
  for (uint64_t i = 1; i <= 20; ++i) {
    const size_t nodes = stream.nodes().size();
    const size_t tail_bytes = nodes ? stream.nodes().rbegin()->second.bytes_size() : 0;
    Add(stream, Id(i, 0), {"f", value}, limits);
    // A new node exactly when the tail's bytes plus the new field and value reach it.
    const bool expect_new = nodes == 0 || tail_bytes + 1 + value.size() >= 200;
    EXPECT_EQ(stream.nodes().size(), nodes + (expect_new ? 1 : 0)) << i;
  }
  for (const auto& [master, node] : stream.nodes()) EXPECT_LT(node.bytes_size(), 200u + 60u);
  // One entry larger than the limit still gets a node of its own.
  Add(stream, Id(21, 0), {"f", std::string(1000, 'y')}, limits);
  EXPECT_EQ(stream.nodes().rbegin()->first, Id(21, 0));
}

TEST(StreamNode, ValidateRejectsDamagedNodes) {
  Stream stream;
  Add(stream, Id(1, 1), {"a", "1"});
  Add(stream, Id(1, 2), {"b", "2"});
  const Listpack& node = stream.nodes().begin()->second;
  auto summary = stream_node::Validate(node, Id(1, 1));
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->last_id, Id(1, 2));
  EXPECT_EQ(summary->live, 2);
  // Elements: live, deleted, 1, "a", 0 | flags, ms, seq, "1", lp-count | flags, ms, seq,
  // 1, "b", "2", lp-count. Any count, flag, delta or lp-count turned into text is damage;
  // a field or value turned into other text is just another entry.
  const std::set<int> structural = {0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16};
  int index = 0;
  for (Listpack::Pos pos = node.First(); pos != Listpack::kEnd; pos = node.Next(pos), ++index) {
    Listpack damaged = node;
    (void)damaged.Replace(pos, "zz");
    EXPECT_EQ(stream_node::Validate(damaged, Id(1, 1)).ok(), structural.count(index) == 0) << index;
  }
  EXPECT_EQ(index, 17);
  // Counts that disagree with the flags, and an entry above the next one.
  Listpack miscounted = node;
  stream_node::SetCounts(miscounted, 1, 1);
  EXPECT_FALSE(stream_node::Validate(miscounted, Id(1, 1)).ok());
  Listpack reordered = node;
  (void)reordered.Replace(reordered.Seek(7), "5");  // first entry's seq delta: 1-6 > 1-2
  EXPECT_FALSE(stream_node::Validate(reordered, Id(1, 1)).ok());
  Listpack empty;
  EXPECT_FALSE(stream_node::Validate(empty, Id(0, 0)).ok());
}

// ---- Deletion, trimming, iteration ----------------------------------------------------

Stream Numbered(uint64_t count, int64_t node_entries = 10) {
  EncodingLimits limits;
  limits.stream_node_max_entries = node_entries;
  Stream stream;
  for (uint64_t i = 1; i <= count; ++i) stream.Append(Id(i, 0), std::vector<std::string_view>{"f", "v"}, limits);
  return stream;
}

TEST(StreamDelete, FlagsEntriesAndDropsEmptiedNodes) {
  Stream stream = Numbered(25);
  ASSERT_EQ(stream.nodes().size(), 3u);
  EXPECT_FALSE(stream.Delete(Id(99, 0)));
  EXPECT_FALSE(stream.Delete(Id(0, 5)));
  for (uint64_t i = 1; i <= 10; ++i) EXPECT_TRUE(stream.Delete(Id(i, 0)));
  EXPECT_FALSE(stream.Delete(Id(3, 0))) << "already deleted";
  EXPECT_EQ(stream.nodes().size(), 2u) << "the first node lost its last live entry";
  EXPECT_TRUE(stream.Delete(Id(15, 0)));
  EXPECT_EQ(stream.length(), 14u);
  EXPECT_FALSE(stream.Contains(Id(15, 0)));
  EXPECT_TRUE(stream.Contains(Id(16, 0)));
  const auto master = stream_node::ReadMaster(stream.nodes().begin()->second);
  EXPECT_EQ(master.live, 9);
  EXPECT_EQ(master.deleted, 1);
  stream.RefreshFirstId();
  EXPECT_EQ(stream.first_id(), Id(11, 0));
  EXPECT_EQ(stream.LastLiveId(), Id(25, 0));
}

TEST(StreamTrim, ExactMaxLenFlagsInsideTheBoundaryNode) {
  Stream stream = Numbered(25);
  StreamTrim trim;
  trim.strategy = StreamTrim::Strategy::kMaxLen;
  trim.max_len = 12;
  EXPECT_EQ(stream.Trim(trim), 13);
  EXPECT_EQ(stream.length(), 12u);
  EXPECT_EQ(stream.first_id(), Id(14, 0));
  EXPECT_EQ(stream.nodes().size(), 2u);  // node 1 removed whole, 3 entries of node 2 flagged
  const auto master = stream_node::ReadMaster(stream.nodes().begin()->second);
  EXPECT_EQ(master.live, 7);
  EXPECT_EQ(master.deleted, 3);
  EXPECT_EQ(stream.Trim(trim), 0);
}

TEST(StreamTrim, ApproximateRemovesWholeNodesOnlyAndObeysLimit) {
  Stream stream = Numbered(35);
  StreamTrim trim;
  trim.strategy = StreamTrim::Strategy::kMaxLen;
  trim.approximate = true;
  trim.max_len = 12;
  trim.limit = 15;  // the second node would take it past 15
  EXPECT_EQ(stream.Trim(trim), 10);
  trim.limit = 0;
  EXPECT_EQ(stream.Trim(trim), 10);  // the third node would leave fewer than 12
  EXPECT_EQ(stream.length(), 15u);
  EXPECT_EQ(stream.first_id(), Id(21, 0));
}

TEST(StreamTrim, MinIdExactAndApproximate) {
  Stream stream = Numbered(30);
  StreamTrim trim;
  trim.strategy = StreamTrim::Strategy::kMinId;
  trim.min_id = Id(15, 0);
  trim.approximate = true;
  EXPECT_EQ(stream.Trim(trim), 10);
  EXPECT_EQ(stream.first_id(), Id(11, 0));
  trim.approximate = false;
  EXPECT_EQ(stream.Trim(trim), 4);
  EXPECT_EQ(stream.first_id(), Id(15, 0));
  trim.min_id = Id(100, 0);
  EXPECT_EQ(stream.Trim(trim), 16);
  EXPECT_EQ(stream.length(), 0u);
  EXPECT_TRUE(stream.nodes().empty());
  EXPECT_EQ(stream.first_id(), StreamId::Min());
  EXPECT_EQ(stream.last_id(), Id(30, 0)) << "trimming never moves the last ID";
}

TEST(StreamIterator, RangesBothWaysAcrossNodesAndDeletions) {
  Stream stream = Numbered(30, 4);
  for (uint64_t i : {5, 6, 7, 8, 13}) ASSERT_TRUE(stream.Delete(Id(i, 0)));
  EXPECT_EQ(Ids(stream, Id(4, 0), Id(10, 0)), (std::vector<StreamId>{Id(4, 0), Id(9, 0), Id(10, 0)}));
  EXPECT_EQ(Ids(stream, Id(4, 0), Id(10, 0), true), (std::vector<StreamId>{Id(10, 0), Id(9, 0), Id(4, 0)}));
  EXPECT_EQ(Ids(stream, Id(12, 5), Id(14, 0)), (std::vector<StreamId>{Id(14, 0)}));
  EXPECT_TRUE(Ids(stream, Id(40, 0), StreamId::Max()).empty());
  EXPECT_TRUE(Ids(stream, StreamId::Min(), Id(0, 9), true).empty());
  EXPECT_TRUE(Ids(stream, Id(10, 0), Id(9, 0)).empty());
  EXPECT_EQ(Ids(stream).size(), 25u);
  StreamIterator it(stream, Id(2, 0), Id(2, 0));
  ASSERT_TRUE(it.Next());
  std::vector<std::string> fields;
  it.AppendFields(fields);
  EXPECT_EQ(fields, (std::vector<std::string>{"f", "v"}));
  EXPECT_FALSE(it.Next());
}

TEST(StreamRadixTree, CountsNodesAsRedisDoes) {
  Stream stream;
  EXPECT_EQ(stream.RadixTreeNodes(), 1u);  // XINFO on an empty stream: 1
  Add(stream, Id(1, 1), {"f", "v"});
  EXPECT_EQ(stream.RadixTreeNodes(), 2u);  // one key: a compressed node and a leaf
  // Keys 1-0 and 11-0 share 7 bytes, then branch: the shared prefix, the branch, and per
  // key its remaining 8 bytes and a leaf.
  Stream two = Numbered(20);
  EXPECT_EQ(two.RadixTreeNodes(), 6u);
}

// ---- Groups ---------------------------------------------------------------------------

TEST(ConsumerGroup, PelOwnershipMovesAndCopiesRelink) {
  ConsumerGroup group(Id(0, 0), kEntriesReadUnknown);
  bool created = false;
  StreamConsumer* alice = group.FindOrCreateConsumer("alice", 100, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(alice->active_time, -1);
  StreamConsumer* bob = group.FindOrCreateConsumer("bob", 100, &created);
  EXPECT_EQ(group.FindOrCreateConsumer("alice", 200, &created), alice);
  EXPECT_FALSE(created);
  group.Assign(Id(1, 0), alice).delivery_count = 1;
  group.Assign(Id(2, 0), alice);
  group.Assign(Id(1, 0), bob);  // moves
  EXPECT_EQ(alice->pending, (std::set<StreamId>{Id(2, 0)}));
  EXPECT_EQ(bob->pending, (std::set<StreamId>{Id(1, 0)}));
  EXPECT_EQ(group.pel.at(Id(1, 0)).consumer, bob);
  EXPECT_EQ(group.pel.at(Id(1, 0)).delivery_count, 1u) << "moving keeps the counters";

  ConsumerGroup copy(group);
  EXPECT_EQ(copy.pel.at(Id(1, 0)).consumer, copy.FindConsumer("bob"));
  EXPECT_NE(copy.FindConsumer("bob"), bob);

  EXPECT_TRUE(group.Ack(Id(1, 0)));
  EXPECT_FALSE(group.Ack(Id(1, 0)));
  EXPECT_TRUE(bob->pending.empty());
  EXPECT_EQ(group.DeleteConsumer("alice"), 1u);
  EXPECT_TRUE(group.pel.empty());
  EXPECT_EQ(group.DeleteConsumer("alice"), 0u);
  EXPECT_EQ(copy.pel.size(), 2u) << "the copy is independent";
}

TEST(StreamLag, EntriesReadEstimatesFollowRedis) {
  Stream stream = Numbered(10);
  ConsumerGroup group(Id(0, 0), kEntriesReadUnknown);
  EXPECT_EQ(stream.EstimateEntriesRead(Id(0, 0)), 0);         // before the first entry
  EXPECT_EQ(stream.EstimateEntriesRead(Id(1, 0)), 1);         // the first entry
  EXPECT_EQ(stream.EstimateEntriesRead(Id(10, 0)), 10);       // the last
  EXPECT_EQ(stream.EstimateEntriesRead(Id(5, 0)), kEntriesReadUnknown);
  EXPECT_EQ(stream.EstimateEntriesRead(Id(11, 0)), kEntriesReadUnknown);
  EXPECT_EQ(stream.GroupLag(group), 10);
  stream.AdvanceGroup(group, Id(1, 0));
  EXPECT_EQ(group.entries_read, 1);
  stream.AdvanceGroup(group, Id(2, 0));
  EXPECT_EQ(group.entries_read, 2);
  EXPECT_EQ(stream.GroupLag(group), 8);
  ASSERT_TRUE(stream.Delete(Id(7, 0)));
  stream.set_max_deleted_id(Id(7, 0));
  EXPECT_TRUE(stream.RangeHasTombstones(Id(2, 0)));
  EXPECT_EQ(stream.GroupLag(group), std::nullopt) << "a deletion ahead makes the lag unknown";
  // Deliveries one by one: behind the deletion the count cannot be told, at the last
  // entry it can again.
  stream.AdvanceGroup(group, Id(3, 0));
  EXPECT_EQ(group.entries_read, kEntriesReadUnknown);
  for (uint64_t ms : {4, 5, 6, 8, 9, 10}) stream.AdvanceGroup(group, Id(ms, 0));
  EXPECT_EQ(group.entries_read, 10);
  EXPECT_EQ(stream.GroupLag(group), 0);
}

// ---- RDB ------------------------------------------------------------------------------

std::string Serialize(const Stream& stream) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbStream(writer, stream);
  return out;
}

Result<std::unique_ptr<ValueObject>> Deserialize(std::string_view bytes) {
  RdbReader reader(bytes);
  Result<uint8_t> type = reader.ReadByte();
  if (!type.ok()) return type.status();
  return ReadRdbStream(reader, *type, EncodingLimits{});
}

Stream StreamWithGroups() {
  Stream stream = Numbered(40);
  EXPECT_TRUE(stream.Delete(Id(3, 0)));
  stream.set_max_deleted_id(Id(3, 0));
  ConsumerGroup& group = stream.EnsureGroups().try_emplace("workers", Id(12, 0), 11).first->second;
  StreamConsumer* alice = group.FindOrCreateConsumer("alice", 1000, nullptr);
  StreamConsumer* bob = group.FindOrCreateConsumer("bob", 2000, nullptr);
  PendingEntry& one = group.Assign(Id(5, 0), alice);
  one.delivery_time = 1234;
  one.delivery_count = 3;
  group.Assign(Id(12, 0), bob).delivery_time = 99;
  stream.EnsureGroups().try_emplace("idle", Id(0, 0), kEntriesReadUnknown);
  return stream;
}

void ExpectSameStream(const Stream& a, const Stream& b) {
  EXPECT_EQ(Serialize(a), Serialize(b));
  EXPECT_EQ(a.length(), b.length());
  EXPECT_EQ(a.first_id(), b.first_id());
  EXPECT_EQ(Ids(a), Ids(b));
}

TEST(StreamRdb, RoundTripKeepsNodesMetadataAndGroups) {
  const Stream stream = StreamWithGroups();
  const std::string bytes = Serialize(stream);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRdbTypeStreamListpacks2);
  auto loaded = Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const auto& copy = static_cast<const Stream&>(**loaded);
  ExpectSameStream(stream, copy);
  const ConsumerGroup* group = copy.FindGroup("workers");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->entries_read, 11);
  EXPECT_EQ(group->pel.at(Id(5, 0)).consumer->name, "alice");
  EXPECT_EQ(group->pel.at(Id(5, 0)).delivery_count, 3u);
  EXPECT_EQ(group->FindConsumer("bob")->active_time, 2000) << "type 19 has no active time: seen time stands in";
  EXPECT_EQ(copy.FindGroup("idle")->entries_read, kEntriesReadUnknown);
}

TEST(StreamRdb, ReadsRedis70PayloadBytes) {
  // redis-server 7.0 DUMP of the stream in BytesEqualRedis... (type 19), footer removed.
  const std::string dump = Unhex(
      "130110000000000000000100000000000000013f3f00000019000201010102018161028162020001020100010001010181780205"
      "010301000101010201817902050100010401dfff02010181630203010601ff0205000101010203000a00d24d84ccc6d38c71");
  auto loaded = Deserialize(dump.substr(0, dump.size() - 10));  // without version and CRC
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const auto& stream = static_cast<const Stream&>(**loaded);
  EXPECT_EQ(stream.length(), 2u);
  EXPECT_EQ(stream.last_id(), Id(5, 0));
  EXPECT_EQ(stream.max_deleted_id(), Id(1, 2));
  EXPECT_EQ(stream.entries_added(), 3u);
  EXPECT_EQ(Ids(stream), (std::vector<StreamId>{Id(1, 1), Id(5, 0)}));
}

TEST(StreamRdb, ReadsType15And21) {
  const Stream stream = StreamWithGroups();
  // Type 15: no first ID / max deleted / entries added, groups without entries-read.
  std::string old;
  {
    RdbWriter writer(&old);
    writer.WriteByte(kRdbTypeStreamListpacks);
    writer.WriteLength(stream.nodes().size());
    for (const auto& [master, node] : stream.nodes()) {
      writer.WriteString(EncodeStreamId(master));
      writer.WriteString(node.bytes());
    }
    writer.WriteLength(stream.length());
    writer.WriteLength(stream.last_id().ms);
    writer.WriteLength(stream.last_id().seq);
    writer.WriteLength(1);
    writer.WriteString("g");
    writer.WriteLength(40);
    writer.WriteLength(0);
    writer.WriteLength(0);  // empty PEL
    writer.WriteLength(0);  // no consumers
  }
  auto loaded = Deserialize(old);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const auto& from_old = static_cast<const Stream&>(**loaded);
  EXPECT_EQ(from_old.entries_added(), 39u) << "taken to be the length";
  EXPECT_EQ(from_old.first_id(), Id(1, 0));
  EXPECT_EQ(from_old.FindGroup("g")->entries_read, 39) << "estimated: the group is at the last ID";

  // Type 21 (7.2): consumers carry an active time after the seen time.
  std::string rebuilt;
  {
    RdbWriter writer(&rebuilt);
    writer.WriteByte(kRdbTypeStreamListpacks3);
    writer.WriteLength(0);
    writer.WriteLength(0);
    writer.WriteLength(7);
    writer.WriteLength(0);
    writer.WriteLength(0);
    writer.WriteLength(0);
    writer.WriteLength(0);
    writer.WriteLength(0);
    writer.WriteLength(4);  // entries added
    writer.WriteLength(1);
    writer.WriteString("g");
    writer.WriteLength(7);
    writer.WriteLength(0);
    writer.WriteLength(4);
    writer.WriteLength(0);
    writer.WriteLength(1);
    writer.WriteString("c");
    writer.WriteUint64LE(500);
    writer.WriteUint64LE(450);
    writer.WriteLength(0);
  }
  auto empty = Deserialize(rebuilt);
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  const auto& v3_stream = static_cast<const Stream&>(**empty);
  EXPECT_EQ(v3_stream.length(), 0u);
  EXPECT_EQ(v3_stream.FindGroup("g")->FindConsumer("c")->active_time, 450);
  EXPECT_EQ(v3_stream.FindGroup("g")->FindConsumer("c")->seen_time, 500);
}

TEST(StreamRdb, RejectsInconsistentGroupsAndMetadata) {
  auto build = [](auto&& tweak) {
    std::string out;
    RdbWriter writer(&out);
    writer.WriteByte(kRdbTypeStreamListpacks2);
    writer.WriteLength(0);  // no nodes
    writer.WriteLength(0);
    writer.WriteLength(5);
    writer.WriteLength(0);
    for (int i = 0; i < 4; ++i) writer.WriteLength(0);
    writer.WriteLength(0);
    tweak(writer);
    return out;
  };
  auto pel_entry = [](RdbWriter& writer, StreamId id) {
    writer.WriteBytes(EncodeStreamId(id));
    writer.WriteUint64LE(1);
    writer.WriteLength(1);
  };
  // A PEL entry nobody owns.
  EXPECT_FALSE(Deserialize(build([&](RdbWriter& w) {
                 w.WriteLength(1);
                 w.WriteString("g");
                 w.WriteLength(0);
                 w.WriteLength(0);
                 w.WriteLength(0);
                 w.WriteLength(1);
                 pel_entry(w, Id(1, 0));
                 w.WriteLength(0);
               })).ok());
  // A consumer owning an ID missing from the group PEL.
  EXPECT_FALSE(Deserialize(build([&](RdbWriter& w) {
                 w.WriteLength(1);
                 w.WriteString("g");
                 w.WriteLength(0);
                 w.WriteLength(0);
                 w.WriteLength(0);
                 w.WriteLength(0);
                 w.WriteLength(1);
                 w.WriteString("c");
                 w.WriteUint64LE(0);
                 w.WriteLength(1);
                 w.WriteBytes(EncodeStreamId(Id(1, 0)));
               })).ok());
  // Two groups with one name.
  EXPECT_FALSE(Deserialize(build([&](RdbWriter& w) {
                 w.WriteLength(2);
                 for (int i = 0; i < 2; ++i) {
                   w.WriteString("g");
                   w.WriteLength(0);
                   w.WriteLength(0);
                   w.WriteLength(0);
                   w.WriteLength(0);
                   w.WriteLength(0);
                 }
               })).ok());
  // A length that does not match the (empty) nodes.
  std::string wrong_length = build([](RdbWriter& w) { w.WriteLength(0); });
  wrong_length[2] = 3;
  EXPECT_FALSE(Deserialize(wrong_length).ok());
}

TEST(StreamRdb, DamagedPayloadsFailCleanly) {
  const std::string good = Serialize(StreamWithGroups());
  ASSERT_TRUE(Deserialize(good).ok());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(Deserialize(good.substr(0, cut)).ok()) << "truncated at " << cut;
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    std::string damaged = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    auto loaded = Deserialize(damaged);
    if (!loaded.ok()) continue;
    // Whatever was accepted is a stream the code can walk and re-serialize.
    const auto& stream = static_cast<const Stream&>(**loaded);
    EXPECT_EQ(Ids(stream).size(), stream.length());
    EXPECT_TRUE(Deserialize(Serialize(stream)).ok());
  }
}

}  // namespace
}  // namespace tierkv
