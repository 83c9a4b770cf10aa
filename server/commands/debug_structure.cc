#include "server/commands/debug_structure.h"

#include <bit>
#include <string>

#include "engine/number.h"
#include "engine/types/hash/hash_ops.h"
#include "engine/types/set/set_ops.h"
#include "engine/types/zset/zset_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/error_reply.h"
#include "server/log.h"

namespace tierkv {
namespace {

// One table in the outline of Redis 7.2's dictGetStats ("full" adds chain figures there,
// which tierkv's tables do not keep).
std::string TableStats(int index, size_t buckets, size_t elements) {
  const std::string name = "Hash table " + std::to_string(index) + " stats (" +
                           (index == 0 ? "main hash table" : "rehashing target") + "):\n";
  if (elements == 0) return name + "No stats available for empty dictionaries\n";
  return name + " table size: " + std::to_string(buckets) + "\n number of elements: " + std::to_string(elements) +
         "\n";
}

std::string DictStats(const Dict& dict) {
  std::string text = TableStats(0, dict.table_buckets(0), dict.table_used(0));
  if (dict.rehashing()) text += TableStats(1, dict.table_buckets(1), dict.table_used(1));
  return text;
}

// The value at the key named by argument 2, or an error reply ("ERR no such key").
const Entry* ExistingValue(CommandContext& ctx) {
  const Entry* entry = ctx.db().Find(ctx.arg(2), /*touch=*/false);
  if (entry == nullptr) ReplyError(ctx.reply(), Status::NoSuchKey());
  return entry;
}

Result<int64_t> ElementCount(CommandContext& ctx, const Entry& entry) {
  switch (entry.type) {
    case ValueType::kHash:
      return OpHLen(ctx.shard, ctx.client.db, ctx.arg(2));
    case ValueType::kSet:
      return OpSCard(ctx.shard, ctx.client.db, ctx.arg(2));
    case ValueType::kZSet: {
      auto count = OpZCard(ctx.shard, ctx.client.db, ctx.arg(2));
      if (!count.ok()) return count.status();
      return static_cast<int64_t>(*count);
    }
    default:
      return int64_t{0};
  }
}

// LISTPACK and QUICKLIST: a value of `encoding` gets a log line and Redis's status reply.
void ReportLayout(CommandContext& ctx, Encoding encoding, std::string_view wrong_encoding_error,
                  std::string_view printed) {
  const Entry* entry = ExistingValue(ctx);
  if (entry == nullptr) return;
  if (entry->value_encoding() != encoding) return ctx.reply().Error(wrong_encoding_error);
  LogNotice("DEBUG " + std::string(ctx.arg(1)) + " " + std::string(ctx.arg(2)) + ": " +
            std::string(EncodingName(encoding)) + " value");
  ctx.reply().SimpleString(printed);
}

}  // namespace

void DebugHtStats(CommandContext& ctx) {
  int64_t db;
  if (!ParseInt64(ctx.arg(2), &db)) return ReplyError(ctx.reply(), Status::NotInteger());
  if (db < 0 || db >= ctx.shard.db_count()) return ctx.reply().Error("ERR Out of range database");
  const Db& stats_db = ctx.shard.db(static_cast<int>(db));
  // The TTL index is a vector, not a hash table: reported as one of its size.
  const size_t volatile_keys = stats_db.expires_count();
  const std::string text = "[Dictionary HT]\n" + DictStats(stats_db.keys_table()) + "[Expires HT]\n" +
                           TableStats(0, std::bit_ceil(volatile_keys), volatile_keys);
  ctx.reply().Verbatim(text);
}

void DebugHtStatsKey(CommandContext& ctx) {
  const Entry* entry = ExistingValue(ctx);
  if (entry == nullptr) return;
  const Encoding encoding = entry->value_encoding();
  if (encoding != Encoding::kHashtable && encoding != Encoding::kSkiplist) {
    return ctx.reply().Error("ERR The value stored at the specified key is not represented using an hash table");
  }
  auto elements = ElementCount(ctx, *entry);
  if (!elements.ok()) return ReplyError(ctx.reply(), elements.status());
  const size_t count = static_cast<size_t>(*elements);
  // Redis grows a table to the power of two above its element count.
  ctx.reply().Verbatim(TableStats(0, std::bit_ceil(count), count));
}

void DebugListpack(CommandContext& ctx) {
  ReportLayout(ctx, Encoding::kListpack, "ERR Not a listpack encoded object.", "Listpack structure printed on stdout");
}

void DebugQuicklist(CommandContext& ctx) {
  ReportLayout(ctx, Encoding::kQuicklist, "ERR Not a quicklist encoded object.",
               "Quicklist structure printed on stdout");
}

}  // namespace tierkv
