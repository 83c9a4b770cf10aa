// RDB encodings of the list type. See rdb_collections.h.
//
// Written as RDB_TYPE_LIST_QUICKLIST_2 (18), which Redis 7.0 and later load: the node
// count, then per node its container (2 = packed: a listpack blob, 1 = plain: one raw
// element) and the bytes as an RDB string (LZF-compressed where Redis would). A
// listpack-encoded list is one packed node, as Redis 7.2 writes it, so our bytes equal
// Redis's for the same node layout.
//
// Read: 18, and 1 (a plain sequence of strings, from RDB files of any age). 14 (quicklist
// of ziplists, Redis 3.2..6.2) is reported unsupported. The loaded list keeps its nodes
// as stored and converts to a listpack when a single packed node fits the limit, as
// Redis's rdbLoadObject + listTypeTryConversion(LIST_CONV_AUTO).
#include <memory>
#include <string>

#include "engine/rdb/rdb_collections.h"
#include "engine/types/list/list_value.h"

namespace tierkv {
namespace {

Result<std::unique_ptr<ValueObject>> ReadQuicklist2(RdbReader& reader, const ListNodeLimit& limit) {
  Result<uint64_t> nodes = reader.ReadLength();
  if (!nodes.ok()) return nodes.status();
  auto list = std::make_unique<Quicklist>();
  // Every node takes at least two bytes, so a damaged count ends in a truncation error.
  for (uint64_t i = 0; i < *nodes; ++i) {
    Result<uint64_t> container = reader.ReadLength();
    if (!container.ok()) return container.status();
    if (*container != kRdbQuicklistNodePlain && *container != kRdbQuicklistNodePacked) {
      return Status::Corruption("rdb: unknown list node container " + std::to_string(*container));
    }
    Result<std::string> bytes = reader.ReadString();
    if (!bytes.ok()) return bytes.status();
    if (bytes->empty()) return Status::Corruption("rdb: empty list node");
    if (*container == kRdbQuicklistNodePlain) {
      list->AppendPlainNode(*bytes);
      continue;
    }
    Result<Listpack> packed = Listpack::FromBytes(*bytes);
    if (!packed.ok()) return packed.status();
    list->AppendPackedNode(std::move(*packed));  // an empty node is dropped, as Redis does
  }
  auto value = std::make_unique<ListValue>(std::move(list));
  value->FitLimits(limit);
  return std::unique_ptr<ValueObject>(std::move(value));
}

Result<std::unique_ptr<ValueObject>> ReadPlainList(RdbReader& reader, const ListNodeLimit& limit) {
  Result<uint64_t> count = reader.ReadLength();
  if (!count.ok()) return count.status();
  auto value = std::make_unique<ListValue>(std::make_unique<Quicklist>());
  for (uint64_t i = 0; i < *count; ++i) {
    Result<std::string> element = reader.ReadString();
    if (!element.ok()) return element.status();
    value->Push(ListEnd::kTail, *element, limit);
  }
  value->FitLimits(limit);
  return std::unique_ptr<ValueObject>(std::move(value));
}

void WriteNode(RdbEncodeSink& sink, const ListNode& node) {
  if (node.plain) {
    Listpack::IntBuffer scratch;
    sink.writer().WriteLength(kRdbQuicklistNodePlain);
    sink.String(node.entries.Get(node.entries.First(), scratch));
    return;
  }
  sink.writer().WriteLength(kRdbQuicklistNodePacked);
  sink.String(node.entries.bytes());
}

// The header, then one node at a time.
class ListRdbCursor final : public RdbCollectionCursor {
 public:
  explicit ListRdbCursor(const ValueObject& value) : list_(static_cast<const ListValue&>(value)) {}

  bool WriteStart(RdbEncodeSink& sink) override {
    sink.writer().WriteByte(kRdbTypeListQuicklist2);
    if (list_.is_listpack()) {
      sink.writer().WriteLength(1);
      sink.writer().WriteLength(kRdbQuicklistNodePacked);
      sink.String(list_.packed().bytes());
      return true;
    }
    sink.writer().WriteLength(list_.quicklist()->node_count());
    return false;
  }

  bool WriteElements(RdbEncodeSink& sink) override {
    const Quicklist& nodes = *list_.quicklist();
    for (; next_node_ < nodes.node_count(); ++next_node_) {
      if (sink.full()) return false;
      WriteNode(sink, nodes.node(next_node_));
    }
    return true;
  }

 private:
  const ListValue& list_;
  size_t next_node_ = 0;
};

}  // namespace

std::unique_ptr<RdbValueCursor> NewRdbListCursor(const ValueObject& list) {
  return std::make_unique<ListRdbCursor>(list);
}

void WriteRdbList(RdbWriter& writer, const ValueObject& list) { WriteWhole(writer, ListRdbCursor(list)); }

Result<std::unique_ptr<ValueObject>> ReadRdbList(RdbReader& reader, uint8_t rdb_type, const EncodingLimits& limits) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(limits.list_max_listpack_size);
  switch (rdb_type) {
    case kRdbTypeListQuicklist2: return ReadQuicklist2(reader, limit);
    case kRdbTypeList: return ReadPlainList(reader, limit);
    case kRdbTypeListQuicklist:
      return Status::Corruption("rdb: list encoding quicklist of ziplists (type 14, Redis before 7.0) is not supported");
    default: break;
  }
  return Status::Corruption("rdb: not a list encoding (type " + std::to_string(rdb_type) + ")");
}

}  // namespace tierkv
