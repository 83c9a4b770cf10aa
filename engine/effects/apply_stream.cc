// Stream effects (engine/types/stream/stream_ops.h): XADD key [MAXLEN = <length after>]
// <id> field value..., XTRIM key MAXLEN = <length after>, XDEL key id..., XSETID key id
// [ENTRIESADDED n] [MAXDELETEDID id], XACK key group id..., XCLAIM key group consumer 0
// <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID (a PEL entry as it ends up), and
// TIERKV.XGROUP key CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER group ... (XGROUP
// with the key second, so that every effect on a key names it second).
#include <array>
#include <optional>
#include <vector>

#include "engine/effects/effect_verbs.h"
#include "engine/types/stream/consumer_group.h"
#include "engine/types/stream/stream_ops.h"

namespace tierkv::effects {
namespace {

std::optional<StreamId> IdAt(const EffectArgs& args, size_t index) {
  if (index >= args.size()) return std::nullopt;
  auto id = ParseStreamId(args[index], 0, /*strict=*/true);
  return id.ok() ? std::optional<StreamId>(*id) : std::nullopt;
}

// Every word from `first` on is an ID.
bool AllIds(const EffectArgs& args, size_t first) {
  for (size_t i = first; i < args.size(); ++i) {
    if (!IdAt(args, i)) return false;
  }
  return first < args.size();
}

// "MAXLEN = <n>" at `index`: the exact trimming an effect names.
std::optional<StreamTrim> ExactTrimAt(const EffectArgs& args, size_t index) {
  StreamTrim trim;
  trim.strategy = StreamTrim::Strategy::kMaxLen;
  if (!args.Is(index, "MAXLEN") || !args.Is(index + 1, "=") || !args.Uint(index + 2, &trim.max_len)) {
    return std::nullopt;
  }
  return trim;
}

Result<EffectAction> ParseXAdd(const EffectArgs& args) {
  constexpr std::string_view kForm = "XADD key [MAXLEN = <length>] <id> field value...";
  XAddOptions options;
  size_t id_index = 2;
  if (args.Is(2, "MAXLEN")) {
    auto trim = ExactTrimAt(args, 2);
    if (!trim) return args.Malformed(kForm);
    options.trim = *trim;
    id_index = 5;
  }
  const std::optional<StreamId> id = IdAt(args, id_index);
  const size_t fields = id_index + 1;
  if (!id || fields >= args.size() || (args.size() - fields) % 2 != 0) return args.Malformed(kForm);
  options.id_given = true;
  options.id = *id;
  return EffectAction([key = args.key(), options, field_values = args.From(fields)](Shard& shard, int db) {
    return Applied(OpXAdd(shard, db, key, options, field_values));
  });
}

Result<EffectAction> ParseXTrim(const EffectArgs& args) {
  const std::optional<StreamTrim> trim = args.size() == 5 ? ExactTrimAt(args, 2) : std::nullopt;
  if (!trim) return args.Malformed("XTRIM key MAXLEN = <length>");
  return EffectAction([key = args.key(), trim = *trim](Shard& shard, int db) {
    return Applied(OpXTrim(shard, db, key, trim));
  });
}

Result<EffectAction> ParseXDel(const EffectArgs& args) {
  if (!AllIds(args, 2)) return args.Malformed("XDEL key id...");
  return EffectAction([key = args.key(), ids = args.From(2)](Shard& shard, int db) {
    return Applied(OpXDel(shard, db, key, ids));
  });
}

Result<EffectAction> ParseXSetId(const EffectArgs& args) {
  constexpr std::string_view kForm = "XSETID key id [ENTRIESADDED n] [MAXDELETEDID id]";
  XSetIdOptions options;
  const std::optional<StreamId> last_id = IdAt(args, 2);
  if (!last_id) return args.Malformed(kForm);
  options.last_id = *last_id;
  size_t i = 3;
  uint64_t entries_added = 0;
  if (args.Is(i, "ENTRIESADDED")) {
    if (!args.Uint(i + 1, &entries_added)) return args.Malformed(kForm);
    options.entries_added = entries_added;
    i += 2;
  }
  if (args.Is(i, "MAXDELETEDID")) {
    options.max_deleted_id = IdAt(args, i + 1);
    if (!options.max_deleted_id) return args.Malformed(kForm);
    i += 2;
  }
  if (i != args.size()) return args.Malformed(kForm);
  return EffectAction([key = args.key(), options](Shard& shard, int db) {
    return Applied(OpXSetId(shard, db, key, options));
  });
}

Result<EffectAction> ParseXAck(const EffectArgs& args) {
  if (!AllIds(args, 3)) return args.Malformed("XACK key group id...");
  return EffectAction([key = args.key(), group = args[2], ids = args.From(3)](Shard& shard, int db) {
    return Applied(OpXAck(shard, db, key, group, ids));
  });
}

Result<EffectAction> ParseXClaim(const EffectArgs& args) {
  XClaimOptions options;
  const std::optional<StreamId> id = IdAt(args, 5);
  if (args.size() != 12 || !args.Is(4, "0") || !id || !args.Is(6, "TIME") || !args.Int(7, &options.delivery_time) ||
      !args.Is(8, "RETRYCOUNT") || !args.Int(9, &options.retry_count) || options.retry_count < 0 ||
      !args.Is(10, "FORCE") || !args.Is(11, "JUSTID")) {
    return args.Malformed("XCLAIM key group consumer 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID");
  }
  options.ids = {*id};
  options.force = true;
  options.just_id = true;
  return EffectAction([key = args.key(), group = args[2], consumer = args[3], options](Shard& shard, int db) {
    return Applied(OpXClaim(shard, db, key, group, consumer, options));
  });
}

// ENTRIESREAD's value at `index`: at least 0, or -1 (unknown).
bool EntriesReadAt(const EffectArgs& args, size_t index, int64_t* entries_read) {
  return args.Int(index, entries_read) && *entries_read >= kEntriesReadUnknown;
}

// TIERKV.XGROUP key CREATE group <id> [MKSTREAM] ENTRIESREAD <n>
Result<EffectAction> ParseGroupCreate(const EffectArgs& args) {
  const bool mkstream = args.Is(5, "MKSTREAM");
  const size_t entries_read_at = mkstream ? 6 : 5;
  int64_t entries_read = 0;
  if (args.size() != entries_read_at + 2 || !IdAt(args, 4) || !args.Is(entries_read_at, "ENTRIESREAD") ||
      !EntriesReadAt(args, entries_read_at + 1, &entries_read)) {
    return args.Malformed("TIERKV.XGROUP key CREATE group <id> [MKSTREAM] ENTRIESREAD <n>");
  }
  return EffectAction([key = args.key(), group = args[3], id = args[4], mkstream, entries_read](Shard& shard, int db) {
    return Applied(OpXGroupCreate(shard, db, key, group, id, mkstream, entries_read));
  });
}

// TIERKV.XGROUP key SETID group <id> ENTRIESREAD <n>
Result<EffectAction> ParseGroupSetId(const EffectArgs& args) {
  int64_t entries_read = 0;
  if (args.size() != 7 || !IdAt(args, 4) || !args.Is(5, "ENTRIESREAD") || !EntriesReadAt(args, 6, &entries_read)) {
    return args.Malformed("TIERKV.XGROUP key SETID group <id> ENTRIESREAD <n>");
  }
  return EffectAction([key = args.key(), group = args[3], id = args[4], entries_read](Shard& shard, int db) {
    return Applied(OpXGroupSetId(shard, db, key, group, id, entries_read));
  });
}

Result<EffectAction> ParseGroupEffect(const EffectArgs& args) {
  if (args.Is(2, "CREATE")) return ParseGroupCreate(args);
  if (args.Is(2, "SETID")) return ParseGroupSetId(args);
  if (args.Is(2, "DESTROY") && args.size() == 4) {
    return EffectAction([key = args.key(), group = args[3]](Shard& shard, int db) {
      return Applied(OpXGroupDestroy(shard, db, key, group));
    });
  }
  if (args.Is(2, "CREATECONSUMER") && args.size() == 5) {
    return EffectAction([key = args.key(), group = args[3], consumer = args[4]](Shard& shard, int db) {
      return Applied(OpXGroupCreateConsumer(shard, db, key, group, consumer));
    });
  }
  if (args.Is(2, "DELCONSUMER") && args.size() == 5) {
    return EffectAction([key = args.key(), group = args[3], consumer = args[4]](Shard& shard, int db) {
      return Applied(OpXGroupDelConsumer(shard, db, key, group, consumer));
    });
  }
  return args.Malformed("TIERKV.XGROUP key CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER group ...");
}

constexpr std::array kVerbs = {
    EffectVerb{"XADD", ParseXAdd},     EffectVerb{"XTRIM", ParseXTrim},   EffectVerb{"XDEL", ParseXDel},
    EffectVerb{"XSETID", ParseXSetId}, EffectVerb{"XACK", ParseXAck},     EffectVerb{"XCLAIM", ParseXClaim},
    EffectVerb{kXGroupEffectCommand, ParseGroupEffect},
};

}  // namespace

std::span<const EffectVerb> StreamVerbs() { return kVerbs; }

}  // namespace tierkv::effects
