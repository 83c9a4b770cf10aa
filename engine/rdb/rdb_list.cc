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

void WriteNode(RdbWriter& writer, const ListNode& node) {
  if (node.plain) {
    Listpack::IntBuffer scratch;
    writer.WriteLength(kRdbQuicklistNodePlain);
    writer.WriteString(node.entries.Get(node.entries.First(), scratch));
    return;
  }
  writer.WriteLength(kRdbQuicklistNodePacked);
  writer.WriteString(node.entries.bytes());
}

}  // namespace

void WriteRdbList(RdbWriter& writer, const ValueObject& value) {
  const auto& list = static_cast<const ListValue&>(value);
  writer.WriteByte(kRdbTypeListQuicklist2);
  if (list.is_listpack()) {
    writer.WriteLength(1);
    writer.WriteLength(kRdbQuicklistNodePacked);
    writer.WriteString(list.packed().bytes());
    return;
  }
  const Quicklist& nodes = *list.quicklist();
  writer.WriteLength(nodes.node_count());
  for (size_t i = 0; i < nodes.node_count(); ++i) WriteNode(writer, nodes.node(i));
}

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
