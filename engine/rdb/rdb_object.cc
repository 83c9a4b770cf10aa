// Serialization of RdbObject values. See rdb_object.h.
#include "engine/rdb/rdb_object.h"

#include <optional>
#include <utility>

#include "engine/rdb/rdb_collections.h"
#include "engine/types/list/quicklist.h"

namespace tierkv {

void WriteRdbStringObject(RdbWriter& writer, std::string_view value) {
  writer.WriteByte(kRdbTypeString);
  writer.WriteString(value);
}

namespace {

// A string value: its type byte, then the string (which the sink may set aside and copy
// in steps, rdb_encode_sink.h).
class StringRdbCursor final : public RdbValueCursor {
 public:
  explicit StringRdbCursor(std::string_view value) : value_(value) {}
  bool WriteMore(RdbEncodeSink& sink) override {
    sink.writer().WriteByte(kRdbTypeString);
    sink.String(value_);
    return true;
  }

 private:
  std::string_view value_;
};

}  // namespace

std::unique_ptr<RdbValueCursor> NewRdbObjectCursor(const Entry& entry) {
  switch (entry.type) {
    case ValueType::kString: return std::make_unique<StringRdbCursor>(entry.string_value());
    case ValueType::kHash: return NewRdbHashCursor(*entry.object());
    case ValueType::kList: return NewRdbListCursor(*entry.object());
    case ValueType::kSet: return NewRdbSetCursor(*entry.object());
    case ValueType::kZSet: return NewRdbZSetCursor(*entry.object());
    case ValueType::kStream: return NewRdbStreamCursor(*entry.object());
  }
  return nullptr;
}

void WriteWhole(RdbWriter& writer, RdbValueCursor&& cursor) {
  RdbEncodeSink sink(writer);
  (void)cursor.WriteMore(sink);  // one go: the sink is never full
}

void WriteRdbObject(RdbWriter& writer, const Entry& entry) {
  if (entry.type == ValueType::kString) return WriteRdbStringObject(writer, entry.string_value());
  WriteWhole(writer, std::move(*NewRdbObjectCursor(entry)));
}

bool RdbSteppedEncoder::Step(size_t budget) {
  if (done_) return true;
  if (!sink_.BeginStep(budget)) return false;  // still copying a string set aside
  if (!cursor_done_) cursor_done_ = cursor_->WriteMore(sink_);
  done_ = cursor_done_ && !sink_.copying();
  return done_;
}

Entry* NewEntryFromRdb(std::string_view key, RdbObject&& object, int64_t expire_at) {
  if (object.is_string()) return Entry::NewString(key, object.string_value(), expire_at);
  RdbCollection& collection = std::get<RdbCollection>(object.value);
  ValueObject* value = collection.object.release();
  return Entry::NewObject(key, collection.type, value->encoding(), value, expire_at);
}

namespace {

// The engine type a collection's RDB type id decodes into; nullopt for the strings,
// modules, encodings older than Redis 7.0 we do not read, and non-object bytes.
std::optional<ValueType> CollectionTypeOf(uint8_t type) {
  switch (type) {
    case kRdbTypeHash:
    case kRdbTypeHashListpack: return ValueType::kHash;
    case kRdbTypeList:
    case kRdbTypeListQuicklist:
    case kRdbTypeListQuicklist2: return ValueType::kList;
    case kRdbTypeSet:
    case kRdbTypeSetIntset:
    case kRdbTypeSetListpack: return ValueType::kSet;
    case kRdbTypeZSet:
    case kRdbTypeZSet2:
    case kRdbTypeZSetListpack: return ValueType::kZSet;
    case kRdbTypeStreamListpacks:
    case kRdbTypeStreamListpacks2:
    case kRdbTypeStreamListpacks3: return ValueType::kStream;
    default: return std::nullopt;
  }
}

Result<std::unique_ptr<ValueObject>> ReadCollection(RdbReader& reader, ValueType type, uint8_t rdb_type,
                                                    const EncodingLimits& limits) {
  switch (type) {
    case ValueType::kHash: return ReadRdbHash(reader, rdb_type, limits);
    case ValueType::kList: return ReadRdbList(reader, rdb_type, limits);
    case ValueType::kSet: return ReadRdbSet(reader, rdb_type, limits);
    case ValueType::kZSet: return ReadRdbZSet(reader, rdb_type, limits);
    case ValueType::kStream: return ReadRdbStream(reader, rdb_type, limits);
    case ValueType::kString: break;
  }
  return Status::Corruption("rdb: not a collection type");
}

}  // namespace

std::optional<StoredValueShape> StoredShapeOf(uint8_t type, uint64_t stored_bytes, const EncodingLimits& limits) {
  if (type == kRdbTypeString) return StoredValueShape{ValueType::kString, Encoding::kRaw};
  const std::optional<ValueType> collection = CollectionTypeOf(type);
  if (!collection.has_value()) return std::nullopt;
  switch (type) {
    case kRdbTypeHashListpack:
    case kRdbTypeZSetListpack:
    case kRdbTypeSetListpack: return StoredValueShape{*collection, Encoding::kListpack};
    case kRdbTypeSetIntset: return StoredValueShape{*collection, Encoding::kIntset};
    case kRdbTypeHash: return StoredValueShape{*collection, Encoding::kHashtable};
    case kRdbTypeSet: {
      // Listpack sets are stored in this form too (RDB 10 has no listpack set): one whose
      // bytes fit the listpack limits (a count, then members of up to the byte limit, each
      // with a 1-byte length) is taken for one.
      const uint64_t listpack_bytes = 10 + limits.set_max_listpack_entries * (limits.set_max_listpack_value + 1);
      return StoredValueShape{*collection, stored_bytes <= listpack_bytes ? Encoding::kListpack : Encoding::kHashtable};
    }
    case kRdbTypeZSet:
    case kRdbTypeZSet2: return StoredValueShape{*collection, Encoding::kSkiplist};
    default: break;
  }
  if (*collection == ValueType::kStream) return StoredValueShape{*collection, Encoding::kStream};
  // A list: one listpack while its bytes fit one node (under a count limit, while they fit
  // the node's safety size).
  const bool one_node = !ListNodeLimit::FromFill(limits.list_max_listpack_size).Exceeds(stored_bytes, 1);
  return StoredValueShape{*collection, one_node ? Encoding::kListpack : Encoding::kQuicklist};
}

bool IsDecodableRdbType(uint8_t type) { return type == kRdbTypeString || CollectionTypeOf(type).has_value(); }

Result<RdbObject> ReadRdbObject(RdbReader& reader, const EncodingLimits& limits) {
  Result<uint8_t> type = reader.ReadByte();
  if (!type.ok()) return type.status();
  if (*type == kRdbTypeString) {
    Result<std::string> value = reader.ReadString();
    if (!value.ok()) return value.status();
    return RdbObject{kRdbTypeString, std::move(*value)};
  }
  if (std::optional<ValueType> collection = CollectionTypeOf(*type)) {
    auto object = ReadCollection(reader, *collection, *type, limits);
    if (!object.ok()) return object.status();
    // Redis never stores an empty collection, except a stream: XDEL and XTRIM keep it
    // (with its last ID and groups).
    if ((*object)->Length() == 0 && *collection != ValueType::kStream) {
      return Status::Corruption("rdb: empty " + std::string(RdbTypeName(*type)));
    }
    return RdbObject{*type, RdbCollection{*collection, std::move(*object)}};
  }
  if (IsRdbObjectType(*type)) {
    return Status::Corruption("rdb: unsupported object type " + std::string(RdbTypeName(*type)));
  }
  return Status::Corruption("rdb: not an object type: " + std::to_string(*type));
}

// ---- Skipping values ----
//
// The layouts below follow Redis's rdbSaveObject / rdbLoadObject (7.0, plus 7.2's
// additions). Every loop iteration consumes at least one byte, so damaged counts end in
// a truncation error instead of a long spin.

namespace {

Status SkipLength(RdbReader& reader) {
  Result<uint64_t> len = reader.ReadLength();
  return len.ok() ? Status::Ok() : len.status();
}

Status SkipBytes(RdbReader& reader, size_t n) {
  Result<std::string_view> bytes = reader.ReadBytes(n);
  return bytes.ok() ? Status::Ok() : bytes.status();
}

// A count, then that many items of `strings_per_item` strings each (hash: field, value).
Status SkipCountedStrings(RdbReader& reader, int strings_per_item) {
  Result<uint64_t> count = reader.ReadLength();
  if (!count.ok()) return count.status();
  for (uint64_t i = 0; i < *count; ++i) {
    for (int s = 0; s < strings_per_item; ++s) {
      if (Status st = reader.SkipString(); !st.ok()) return st;
    }
  }
  return Status::Ok();
}

// A score as text (kRdbTypeZSet): a length byte, then that many characters; the lengths
// 253, 254 and 255 stand for nan, +inf and -inf and have no characters.
Status SkipTextDouble(RdbReader& reader) {
  Result<uint8_t> len = reader.ReadByte();
  if (!len.ok()) return len.status();
  if (*len >= 253) return Status::Ok();
  return SkipBytes(reader, *len);
}

Status SkipZSet(RdbReader& reader, bool binary_scores) {
  Result<uint64_t> count = reader.ReadLength();
  if (!count.ok()) return count.status();
  for (uint64_t i = 0; i < *count; ++i) {
    if (Status st = reader.SkipString(); !st.ok()) return st;
    Status score = binary_scores ? SkipBytes(reader, 8) : SkipTextDouble(reader);
    if (!score.ok()) return score;
  }
  return Status::Ok();
}

Status SkipQuicklist2(RdbReader& reader) {
  Result<uint64_t> nodes = reader.ReadLength();
  if (!nodes.ok()) return nodes.status();
  for (uint64_t i = 0; i < *nodes; ++i) {
    Result<uint64_t> container = reader.ReadLength();
    if (!container.ok()) return container.status();
    if (*container != kRdbQuicklistNodePlain && *container != kRdbQuicklistNodePacked) {
      return Status::Corruption("rdb: unknown quicklist node container " + std::to_string(*container));
    }
    if (Status st = reader.SkipString(); !st.ok()) return st;
  }
  return Status::Ok();
}

// Stream IDs in PELs are written raw: 16 bytes (ms and seq, big-endian), no length.
constexpr size_t kRawStreamIdSize = 16;
constexpr size_t kMillisecondTimeSize = 8;

// A PEL: <count> then per entry the raw ID, and for a group's PEL (with_nacks) the
// delivery time (8 bytes) and delivery count (a length).
Status SkipStreamPel(RdbReader& reader, bool with_nacks) {
  Result<uint64_t> count = reader.ReadLength();
  if (!count.ok()) return count.status();
  for (uint64_t i = 0; i < *count; ++i) {
    if (Status st = SkipBytes(reader, kRawStreamIdSize); !st.ok()) return st;
    if (!with_nacks) continue;
    if (Status st = SkipBytes(reader, kMillisecondTimeSize); !st.ok()) return st;
    if (Status st = SkipLength(reader); !st.ok()) return st;
  }
  return Status::Ok();
}

// Streams: the listpacks (each keyed by its master ID), the metadata, then the consumer
// groups with their PELs and consumers. Version 2 (7.0) adds the first ID, the max
// deleted ID, entries_added and each group's entries_read; version 3 (7.2) adds each
// consumer's active time.
Status SkipStream(RdbReader& reader, uint8_t type) {
  const bool v2 = type == kRdbTypeStreamListpacks2 || type == kRdbTypeStreamListpacks3;
  const bool v3 = type == kRdbTypeStreamListpacks3;
  if (Status st = SkipCountedStrings(reader, 2); !st.ok()) return st;  // master ID, listpack
  // length, last ID (ms, seq) [, first ID (ms, seq), max deleted ID (ms, seq), entries_added]
  const int metadata_lengths = v2 ? 8 : 3;
  for (int i = 0; i < metadata_lengths; ++i) {
    if (Status st = SkipLength(reader); !st.ok()) return st;
  }
  Result<uint64_t> groups = reader.ReadLength();
  if (!groups.ok()) return groups.status();
  for (uint64_t g = 0; g < *groups; ++g) {
    if (Status st = reader.SkipString(); !st.ok()) return st;  // group name
    // last delivered ID (ms, seq) [, entries_read]
    for (int i = 0; i < (v2 ? 3 : 2); ++i) {
      if (Status st = SkipLength(reader); !st.ok()) return st;
    }
    if (Status st = SkipStreamPel(reader, /*with_nacks=*/true); !st.ok()) return st;
    Result<uint64_t> consumers = reader.ReadLength();
    if (!consumers.ok()) return consumers.status();
    for (uint64_t c = 0; c < *consumers; ++c) {
      if (Status st = reader.SkipString(); !st.ok()) return st;  // consumer name
      // seen time [, active time]
      if (Status st = SkipBytes(reader, kMillisecondTimeSize * (v3 ? 2 : 1)); !st.ok()) return st;
      if (Status st = SkipStreamPel(reader, /*with_nacks=*/false); !st.ok()) return st;
    }
  }
  return Status::Ok();
}

}  // namespace

Status SkipRdbModuleData(RdbReader& reader) {
  while (true) {
    Result<uint64_t> opcode = reader.ReadLength();
    if (!opcode.ok()) return opcode.status();
    Status st;
    switch (*opcode) {
      case kRdbModuleOpcodeEof:
        return Status::Ok();
      case kRdbModuleOpcodeSint:
      case kRdbModuleOpcodeUint:
        st = SkipLength(reader);
        break;
      case kRdbModuleOpcodeFloat:
        st = SkipBytes(reader, 4);
        break;
      case kRdbModuleOpcodeDouble:
        st = SkipBytes(reader, 8);
        break;
      case kRdbModuleOpcodeString:
        st = reader.SkipString();
        break;
      default:
        return Status::Corruption("rdb: unknown module data opcode " + std::to_string(*opcode));
    }
    if (!st.ok()) return st;
  }
}

Status SkipRdbValue(RdbReader& reader, uint8_t type) {
  switch (type) {
    case kRdbTypeString:
      return reader.SkipString();
    case kRdbTypeList:
    case kRdbTypeSet:
    case kRdbTypeListQuicklist:  // a count of ziplists
      return SkipCountedStrings(reader, 1);
    case kRdbTypeHash:
      return SkipCountedStrings(reader, 2);
    case kRdbTypeZSet:
      return SkipZSet(reader, /*binary_scores=*/false);
    case kRdbTypeZSet2:
      return SkipZSet(reader, /*binary_scores=*/true);
    // One string holding a whole zipmap, ziplist, intset or listpack.
    case kRdbTypeHashZipmap:
    case kRdbTypeListZiplist:
    case kRdbTypeSetIntset:
    case kRdbTypeZSetZiplist:
    case kRdbTypeHashZiplist:
    case kRdbTypeHashListpack:
    case kRdbTypeZSetListpack:
    case kRdbTypeSetListpack:
      return reader.SkipString();
    case kRdbTypeListQuicklist2:
      return SkipQuicklist2(reader);
    case kRdbTypeStreamListpacks:
    case kRdbTypeStreamListpacks2:
    case kRdbTypeStreamListpacks3:
      return SkipStream(reader, type);
    case kRdbTypeModule2: {
      if (Status st = SkipLength(reader); !st.ok()) return st;  // module type id
      return SkipRdbModuleData(reader);
    }
    case kRdbTypeModulePreGa:
      return Status::Corruption(
          "rdb: cannot skip a module value of type 6 (pre-release module format: only the module can parse it)");
    default:
      return Status::Corruption("rdb: not an object type: " + std::to_string(type));
  }
}

std::string_view RdbTypeName(uint8_t type) {
  switch (type) {
    case kRdbTypeString: return "string";
    case kRdbTypeList: return "list";
    case kRdbTypeSet: return "set";
    case kRdbTypeZSet: return "zset";
    case kRdbTypeHash: return "hash";
    case kRdbTypeZSet2: return "zset-2";
    case kRdbTypeModulePreGa: return "module-pre-ga";
    case kRdbTypeModule2: return "module-2";
    case kRdbTypeHashZipmap: return "hash-zipmap";
    case kRdbTypeListZiplist: return "list-ziplist";
    case kRdbTypeSetIntset: return "set-intset";
    case kRdbTypeZSetZiplist: return "zset-ziplist";
    case kRdbTypeHashZiplist: return "hash-ziplist";
    case kRdbTypeListQuicklist: return "list-quicklist";
    case kRdbTypeStreamListpacks: return "stream-listpacks";
    case kRdbTypeHashListpack: return "hash-listpack";
    case kRdbTypeZSetListpack: return "zset-listpack";
    case kRdbTypeListQuicklist2: return "list-quicklist-2";
    case kRdbTypeStreamListpacks2: return "stream-listpacks-2";
    case kRdbTypeSetListpack: return "set-listpack";
    case kRdbTypeStreamListpacks3: return "stream-listpacks-3";
    default: return "unknown";
  }
}

std::string_view RdbTypeRedisName(uint8_t type) {
  switch (type) {
    case kRdbTypeString:
      return "string";
    case kRdbTypeList:
    case kRdbTypeListZiplist:
    case kRdbTypeListQuicklist:
    case kRdbTypeListQuicklist2:
      return "list";
    case kRdbTypeSet:
    case kRdbTypeSetIntset:
    case kRdbTypeSetListpack:
      return "set";
    case kRdbTypeZSet:
    case kRdbTypeZSet2:
    case kRdbTypeZSetZiplist:
    case kRdbTypeZSetListpack:
      return "zset";
    case kRdbTypeHash:
    case kRdbTypeHashZipmap:
    case kRdbTypeHashZiplist:
    case kRdbTypeHashListpack:
      return "hash";
    case kRdbTypeStreamListpacks:
    case kRdbTypeStreamListpacks2:
    case kRdbTypeStreamListpacks3:
      return "stream";
    case kRdbTypeModulePreGa:
    case kRdbTypeModule2:
      return "module";
    default:
      return "unknown";
  }
}

}  // namespace tierkv
