// Geo commands: the Cmd* half (argument parsing and replies). The geometry is in
// engine/types/geo/ and the operations in engine/types/geo/geo_ops.h; a geo index is a
// sorted set, so GEOADD is ZADD with geohash scores and the STORE forms store sorted sets.
//
// Arguments are read in the order Redis's geo.c reads them, so a command with several
// problems reports the same one: the source key's type first, then the centre (for
// GEORADIUSBYMEMBER and FROMMEMBER the member's position, looked up as it is parsed),
// then the options left to right, then the combination checks. Replies match Redis byte
// for byte: distances as "%.4f" bulk strings in both protocols, coordinates as Redis's
// "human" long double text (%.17Lf without trailing zeros), a bulk string in RESP2 and a
// double in RESP3, hashes as integers.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/number.h"
#include "engine/types/geo/geo_ops.h"
#include "engine/types/zset/zset_ops.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/error_reply.h"

namespace tierkv {
namespace {

constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
constexpr const char* kUnknownMember = "ERR could not decode requested zset member";

// ---- Argument parsing (Redis's extract*OrReply helpers) ----

std::string FormatFixed(const char* format, double a, double b) {
  const int size = std::snprintf(nullptr, 0, format, a, b);
  std::string text(static_cast<size_t>(size), '\0');
  std::snprintf(text.data(), text.size() + 1, format, a, b);
  return text;
}

// A longitude, latitude pair within the limits a geo index can store.
Result<GeoCoordinates> CoordinatesArg(std::string_view longitude, std::string_view latitude) {
  GeoCoordinates position;
  if (!ParseDouble(longitude, &position.longitude) || !ParseDouble(latitude, &position.latitude)) {
    return Status::NotFloat();
  }
  if (position.longitude < kGeoLongMin || position.longitude > kGeoLongMax || position.latitude < kGeoLatMin ||
      position.latitude > kGeoLatMax) {
    return Status::Error(
        FormatFixed("ERR invalid longitude,latitude pair %f,%f", position.longitude, position.latitude));
  }
  return position;
}

// A unit's size in metres.
Result<double> UnitArg(std::string_view unit) {
  if (IsOption(unit, "m")) return 1.0;
  if (IsOption(unit, "km")) return 1000.0;
  if (IsOption(unit, "ft")) return 0.3048;
  if (IsOption(unit, "mi")) return 1609.34;
  return Status::Error("ERR unsupported unit provided. please use M, KM, FT, MI");
}

// <radius> <unit> into the shape.
Status RadiusArgs(std::string_view radius, std::string_view unit, GeoShape* shape) {
  double value;
  if (!ParseDouble(radius, &value)) return Status::Error("ERR need numeric radius");
  if (value < 0) return Status::Error("ERR radius cannot be negative");
  auto to_meters = UnitArg(unit);
  if (!to_meters.ok()) return to_meters.status();
  shape->radius = value;
  shape->to_meters = *to_meters;
  return Status::Ok();
}

// <width> <height> <unit> into the shape.
Status BoxArgs(std::string_view width, std::string_view height, std::string_view unit, GeoShape* shape) {
  double w;
  double h;
  if (!ParseDouble(width, &w)) return Status::Error("ERR need numeric width");
  if (!ParseDouble(height, &h)) return Status::Error("ERR need numeric height");
  if (h < 0 || w < 0) return Status::Error("ERR height or width cannot be negative");
  auto to_meters = UnitArg(unit);
  if (!to_meters.ok()) return to_meters.status();
  shape->width = w;
  shape->height = h;
  shape->to_meters = *to_meters;
  return Status::Ok();
}

// ---- Replies ----

// Distances: four decimals, a bulk string in both protocols.
void ReplyDistance(ReplyWriter& reply, double distance) {
  char text[512];
  const int length = std::snprintf(text, sizeof(text), "%.4f", distance);
  reply.Bulk(std::string_view(text, static_cast<size_t>(length)));
}

// Coordinates: Redis's addReplyHumanLongDouble, the same digits as a bulk string (RESP2)
// or a double (RESP3).
void ReplyCoordinate(ReplyWriter& reply, double value) { reply.DoubleText(FormatLongDouble(value)); }

// ---- GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...] ----

void CmdGeoAdd(CommandContext& ctx) {
  ZAddFlags flags;
  bool ch = false;
  size_t first = 2;
  for (; first < ctx.argc(); ++first) {
    const std::string_view option = ctx.arg(first);
    if (IsOption(option, "NX")) {
      flags.nx = true;
    } else if (IsOption(option, "XX")) {
      flags.xx = true;
    } else if (IsOption(option, "CH")) {
      ch = true;
    } else {
      break;
    }
  }
  const size_t rest = ctx.argc() - first;
  // Redis answers a syntax error for NX with XX here (ZADD names the conflict instead).
  if (rest % 3 != 0 || (flags.nx && flags.xx)) return ReplyError(ctx.reply(), Status::Syntax());
  std::vector<ZAddElement> elements(rest / 3);
  for (size_t i = 0; i < elements.size(); ++i) {
    const size_t at = first + 3 * i;
    auto position = CoordinatesArg(ctx.arg(at), ctx.arg(at + 1));
    if (!position.ok()) return ReplyError(ctx.reply(), position.status());
    elements[i] = {static_cast<double>(GeoScoreOf(position->longitude, position->latitude)), ctx.arg(at + 2)};
  }
  // Only options and no element: the ZADD Redis builds has no pairs.
  if (elements.empty()) return ReplyError(ctx.reply(), Status::Syntax());
  auto result = OpZAdd(ctx.shard, ctx.client.db, ctx.arg(1), flags, elements);
  if (!result.ok()) return ReplyError(ctx.reply(), result.status());
  ctx.reply().Integer(static_cast<int64_t>(ch ? result->added + result->updated : result->added));
}

// ---- GEODIST key member1 member2 [M | KM | FT | MI] ----

void CmdGeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.argc() == 5) {
    auto unit = UnitArg(ctx.arg(4));
    if (!unit.ok()) return ReplyError(ctx.reply(), unit.status());
    to_meters = *unit;
  } else if (ctx.argc() > 5) {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  auto source = OpGeoLookup(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!source.ok()) return ReplyError(ctx.reply(), source.status());
  const std::optional<GeoCoordinates> a = source->Position(ctx.arg(2));
  const std::optional<GeoCoordinates> b = a ? source->Position(ctx.arg(3)) : std::nullopt;
  if (!a || !b) return ctx.reply().Null();
  ReplyDistance(ctx.reply(), GeoDistance(a->longitude, a->latitude, b->longitude, b->latitude) / to_meters);
}

// ---- GEOHASH key [member ...] / GEOPOS key [member ...] ----

void CmdGeoHash(CommandContext& ctx) {
  auto source = OpGeoLookup(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!source.ok()) return ReplyError(ctx.reply(), source.status());
  ctx.reply().Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const std::optional<double> score = source->Score(ctx.arg(i));
    if (!score) {
      ctx.reply().Null();
    } else {
      ctx.reply().Bulk(GeoHashString(*score));
    }
  }
}

void CmdGeoPos(CommandContext& ctx) {
  auto source = OpGeoLookup(ctx.shard, ctx.client.db, ctx.arg(1));
  if (!source.ok()) return ReplyError(ctx.reply(), source.status());
  ctx.reply().Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const std::optional<GeoCoordinates> position = source->Position(ctx.arg(i));
    if (!position) {
      ctx.reply().NullArray();
      continue;
    }
    ctx.reply().Array(2);
    ReplyCoordinate(ctx.reply(), position->longitude);
    ReplyCoordinate(ctx.reply(), position->latitude);
  }
}

// ---- GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH, GEOSEARCHSTORE ----
// (Redis's georadiusGeneric)

enum SearchFlag : uint32_t {
  kAroundCoordinates = 1u << 0,  // GEORADIUS[_RO] key longitude latitude radius unit
  kAroundMember = 1u << 1,       // GEORADIUSBYMEMBER[_RO] key member radius unit
  kNoStore = 1u << 2,            // the _RO forms: no STORE / STOREDIST
  kSearch = 1u << 3,             // GEOSEARCH key FROMMEMBER|FROMLONLAT BYRADIUS|BYBOX ...
  kSearchStore = 1u << 4,        // GEOSEARCHSTORE destination source ... [STOREDIST]
};

struct SearchOptions {
  bool with_distance = false;
  bool with_hash = false;
  bool with_coordinates = false;
  bool from_member = false;
  bool from_coordinates = false;
  bool by_radius = false;
  bool by_box = false;
  bool any = false;
  GeoOrder order = GeoOrder::kNone;
  int64_t count = 0;  // 0: every match
  std::optional<std::string_view> store_key;
  bool store_distance = false;
};

// Reads the options from args[base] on into `options` and `shape`.
Status ParseSearchOptions(CommandContext& ctx, size_t base, uint32_t flags, const GeoSet& source,
                          SearchOptions* options, GeoShape* shape) {
  const bool search = (flags & kSearch) != 0;
  const bool may_store = !(flags & kNoStore) && !search;
  for (size_t i = base; i < ctx.argc(); ++i) {
    const std::string_view option = ctx.arg(i);
    const size_t left = ctx.argc() - i - 1;  // arguments after this one
    if (IsOption(option, "WITHDIST")) {
      options->with_distance = true;
    } else if (IsOption(option, "WITHHASH")) {
      options->with_hash = true;
    } else if (IsOption(option, "WITHCOORD")) {
      options->with_coordinates = true;
    } else if (IsOption(option, "ANY")) {
      options->any = true;
    } else if (IsOption(option, "ASC")) {
      options->order = GeoOrder::kAscending;
    } else if (IsOption(option, "DESC")) {
      options->order = GeoOrder::kDescending;
    } else if (IsOption(option, "COUNT") && left >= 1) {
      auto count = IntArg(ctx.arg(i + 1));
      if (!count.ok()) return count.status();
      if (*count <= 0) return Status::Error("ERR COUNT must be > 0");
      options->count = *count;
      ++i;
    } else if ((IsOption(option, "STORE") || IsOption(option, "STOREDIST")) && left >= 1 && may_store) {
      options->store_key = ctx.arg(i + 1);
      options->store_distance = IsOption(option, "STOREDIST");
      ++i;
    } else if (IsOption(option, "STOREDIST") && (flags & kSearchStore)) {
      options->store_distance = true;
    } else if (IsOption(option, "FROMMEMBER") && left >= 1 && search && !options->from_coordinates) {
      // Without a source key the member is not looked up: the reply is empty anyway.
      if (source.exists()) {
        const std::optional<GeoCoordinates> center = source.Position(ctx.arg(i + 1));
        if (!center) return Status::Error(kUnknownMember);
        shape->center = *center;
      }
      options->from_member = true;
      ++i;
    } else if (IsOption(option, "FROMLONLAT") && left >= 2 && search && !options->from_member) {
      auto center = CoordinatesArg(ctx.arg(i + 1), ctx.arg(i + 2));
      if (!center.ok()) return center.status();
      shape->center = *center;
      options->from_coordinates = true;
      i += 2;
    } else if (IsOption(option, "BYRADIUS") && left >= 2 && search && !options->by_box) {
      Status parsed = RadiusArgs(ctx.arg(i + 1), ctx.arg(i + 2), shape);
      if (!parsed.ok()) return parsed;
      shape->kind = GeoShape::Kind::kRadius;
      options->by_radius = true;
      i += 2;
    } else if (IsOption(option, "BYBOX") && left >= 3 && search && !options->by_radius) {
      Status parsed = BoxArgs(ctx.arg(i + 1), ctx.arg(i + 2), ctx.arg(i + 3), shape);
      if (!parsed.ok()) return parsed;
      shape->kind = GeoShape::Kind::kBox;
      options->by_box = true;
      i += 3;
    } else {
      return Status::Syntax();
    }
  }
  return Status::Ok();
}

// The combinations Redis refuses once every option parsed.
Status CheckSearchOptions(CommandContext& ctx, uint32_t flags, const SearchOptions& options) {
  if (options.store_key && (options.with_distance || options.with_hash || options.with_coordinates)) {
    return Status::Error(std::string("ERR ") +
                         ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                         " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
  }
  if ((flags & kSearch) && !(options.from_member || options.from_coordinates)) {
    return Status::Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                         std::string(ctx.arg(0)));
  }
  if ((flags & kSearch) && !(options.by_radius || options.by_box)) {
    return Status::Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + std::string(ctx.arg(0)));
  }
  if (options.any && options.count == 0) return Status::Error("ERR the ANY argument requires COUNT argument");
  return Status::Ok();
}

void ReplyMatches(ReplyWriter& reply, std::span<const GeoMatch> matches, const SearchOptions& options,
                  double to_meters) {
  const size_t extras = (options.with_distance ? 1 : 0) + (options.with_hash ? 1 : 0) +
                        (options.with_coordinates ? 1 : 0);
  reply.Array(matches.size());
  for (const GeoMatch& match : matches) {
    if (extras != 0) reply.Array(extras + 1);
    reply.Bulk(match.member);
    if (options.with_distance) ReplyDistance(reply, match.distance / to_meters);
    if (options.with_hash) reply.Integer(static_cast<int64_t>(match.score));
    if (options.with_coordinates) {
      reply.Array(2);
      ReplyCoordinate(reply, match.position.longitude);
      ReplyCoordinate(reply, match.position.latitude);
    }
  }
}

void SearchGeneric(CommandContext& ctx, size_t source_index, uint32_t flags) {
  auto source = OpGeoLookup(ctx.shard, ctx.client.db, ctx.arg(source_index));
  if (!source.ok()) return ReplyError(ctx.reply(), source.status());

  SearchOptions options;
  GeoShape shape;
  size_t base = 0;
  if (flags & kAroundCoordinates) {
    base = 6;
    auto center = CoordinatesArg(ctx.arg(2), ctx.arg(3));
    if (!center.ok()) return ReplyError(ctx.reply(), center.status());
    shape.center = *center;
    Status radius = RadiusArgs(ctx.arg(4), ctx.arg(5), &shape);
    if (!radius.ok()) return ReplyError(ctx.reply(), radius);
  } else if (flags & kAroundMember) {
    base = 5;
    // Without a source key Redis reads neither the member nor the radius: only the
    // options, to know which empty reply to give.
    if (source->exists()) {
      const std::optional<GeoCoordinates> center = source->Position(ctx.arg(2));
      if (!center) return ctx.reply().Error(kUnknownMember);
      shape.center = *center;
      Status radius = RadiusArgs(ctx.arg(3), ctx.arg(4), &shape);
      if (!radius.ok()) return ReplyError(ctx.reply(), radius);
    }
  } else {
    base = (flags & kSearchStore) ? 3 : 2;
    if (flags & kSearchStore) options.store_key = ctx.arg(1);
  }

  Status parsed = ParseSearchOptions(ctx, base, flags, *source, &options, &shape);
  if (parsed.ok()) parsed = CheckSearchOptions(ctx, flags, options);
  if (!parsed.ok()) return ReplyError(ctx.reply(), parsed);

  if (!source->exists()) {
    if (!options.store_key) return ctx.reply().Array(0);
    (void)OpGeoStore(ctx.shard, ctx.client.db, *options.store_key, {}, false, 1);  // deletes the destination
    return ctx.reply().Integer(0);
  }

  // COUNT returns the nearest matches, so it sorts (ascending unless told), except with
  // ANY, which returns the first ones found.
  if (options.count != 0 && options.order == GeoOrder::kNone && !options.any) options.order = GeoOrder::kAscending;
  std::vector<GeoMatch> matches = source->Search(shape, options.any ? static_cast<size_t>(options.count) : 0);
  if (matches.empty() && !options.store_key) return ctx.reply().Array(0);

  const size_t returned = options.count == 0 || matches.size() < static_cast<uint64_t>(options.count)
                              ? matches.size()
                              : static_cast<size_t>(options.count);
  SortGeoMatches(matches, options.order, returned);
  const std::span<const GeoMatch> kept = std::span<const GeoMatch>(matches).first(returned);
  if (!options.store_key) return ReplyMatches(ctx.reply(), kept, options, shape.to_meters);
  (void)OpGeoStore(ctx.shard, ctx.client.db, *options.store_key, kept, options.store_distance, shape.to_meters);
  ctx.reply().Integer(static_cast<int64_t>(returned));
}

void CmdGeoRadius(CommandContext& ctx) { SearchGeneric(ctx, 1, kAroundCoordinates); }
void CmdGeoRadiusByMember(CommandContext& ctx) { SearchGeneric(ctx, 1, kAroundMember); }
void CmdGeoRadiusRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kAroundCoordinates | kNoStore); }
void CmdGeoRadiusByMemberRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kAroundMember | kNoStore); }
void CmdGeoSearch(CommandContext& ctx) { SearchGeneric(ctx, 1, kSearch); }
void CmdGeoSearchStore(CommandContext& ctx) { SearchGeneric(ctx, 2, kSearch | kSearchStore); }

// ---- Registration ----

// GEORADIUS / GEORADIUSBYMEMBER keys as Redis 7's key specs find them: the source, then
// the argument after the first STORE and after the first STOREDIST keyword from the first
// option on. A keyword that is the last argument makes Redis fall back to its older key
// function, which takes the argument after the last STORE or STOREDIST from index 5.
template <int FirstOption>
std::vector<int> GeoRadiusKeys(std::span<const std::string_view> args) {
  const int argc = static_cast<int>(args.size());
  std::vector<int> keys{1};
  bool dangling = false;
  for (std::string_view keyword : {std::string_view("STORE"), std::string_view("STOREDIST")}) {
    for (int i = FirstOption; i < argc; ++i) {
      if (!IsOption(args[i], keyword)) continue;
      if (i + 1 < argc) {
        keys.push_back(i + 1);
      } else {
        dangling = true;
      }
      break;
    }
  }
  if (!dangling) return keys;
  keys.assign(1, 1);
  int stored = -1;
  for (int i = 5; i < argc; ++i) {
    if ((IsOption(args[i], "STORE") || IsOption(args[i], "STOREDIST")) && i + 1 < argc) {
      stored = i + 1;
      ++i;
    }
  }
  if (stored >= 0) keys.push_back(stored);
  return keys;
}

CommandSpec GeoCommand(std::string name, int arity, uint32_t flags, CommandHandler handler, std::string summary,
                       std::string since, std::string complexity) {
  return {.name = std::move(name), .arity = arity, .flags = flags, .first_key = 1, .last_key = 1, .key_step = 1,
          .handler = handler, .group = "geo", .summary = std::move(summary), .since = std::move(since),
          .complexity = std::move(complexity)};
}

constexpr const char* kSearchComplexity =
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape "
    "provided as the filter and M is the number of items inside the shape";
constexpr const char* kRadiusComplexity =
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by "
    "center and radius and M is the number of items inside the index.";

}  // namespace

void RegisterGeoCommands(CommandTable& table) {
  table.Add(GeoCommand("geoadd", -5, kWriteOom, CmdGeoAdd,
                       "Adds one or more members to a geospatial index. The key is created if it doesn't exist.",
                       "3.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set."));
  table.Add(GeoCommand("geodist", -4, kCmdReadOnly, CmdGeoDist,
                       "Returns the distance between two members of a geospatial index.", "3.2.0", "O(1)"));
  table.Add(GeoCommand("geohash", -2, kCmdReadOnly, CmdGeoHash,
                       "Returns members from a geospatial index as geohash strings.", "3.2.0",
                       "O(1) for each member requested."));
  table.Add(GeoCommand("geopos", -2, kCmdReadOnly, CmdGeoPos,
                       "Returns the longitude and latitude of members from a geospatial index.", "3.2.0",
                       "O(1) for each member requested."));
  CommandSpec georadius = GeoCommand(
      "georadius", -6, kWriteOom, CmdGeoRadius,
      "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.",
      "3.2.0", kRadiusComplexity);
  georadius.key_finder = GeoRadiusKeys<6>;
  table.Add(std::move(georadius));
  CommandSpec georadiusbymember = GeoCommand(
      "georadiusbymember", -5, kWriteOom, CmdGeoRadiusByMember,
      "Queries a geospatial index for members within a distance from a member, optionally stores the result.",
      "3.2.0", kRadiusComplexity);
  georadiusbymember.key_finder = GeoRadiusKeys<5>;
  table.Add(std::move(georadiusbymember));
  table.Add(GeoCommand("georadius_ro", -6, kCmdReadOnly, CmdGeoRadiusRo,
                       "Returns members from a geospatial index that are within a distance from a coordinate.",
                       "3.2.10", kRadiusComplexity));
  table.Add(GeoCommand("georadiusbymember_ro", -5, kCmdReadOnly, CmdGeoRadiusByMemberRo,
                       "Returns members from a geospatial index that are within a distance from a member.", "3.2.10",
                       kRadiusComplexity));
  table.Add(GeoCommand("geosearch", -7, kCmdReadOnly, CmdGeoSearch,
                       "Queries a geospatial index for members inside an area of a box or a circle.", "6.2.0",
                       kSearchComplexity));
  CommandSpec geosearchstore = GeoCommand(
      "geosearchstore", -8, kWriteOom, CmdGeoSearchStore,
      "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.",
      "6.2.0", kSearchComplexity);
  geosearchstore.last_key = 2;
  table.Add(std::move(geosearchstore));
}

}  // namespace tierkv
