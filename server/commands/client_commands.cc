// CLIENT (ID SETNAME GETNAME LIST INFO KILL SETINFO NO-EVICT NO-TOUCH REPLY
// TRACKING CACHING GETREDIR TRACKINGINFO HELP) and AUTH: the commands about
// connections themselves, with Redis 7.2's replies and error texts.
#include <optional>
#include <vector>

#include "engine/number.h"
#include "server/client_info.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/connection.h"
#include "server/error_reply.h"
#include "server/server.h"

namespace tierkv {
namespace {

// Names and CLIENT SETINFO values: printable ASCII without spaces, so that a
// CLIENT LIST line stays parseable.

// Redis's client types; every tierkv client is "normal" (no replicas or pub/sub yet).
enum class ClientType { kNormal, kReplica, kPubSub, kMaster, kUnknown };

ClientType ParseClientType(std::string_view name) {
  if (IsOption(name, "normal")) return ClientType::kNormal;
  if (IsOption(name, "slave") || IsOption(name, "replica")) return ClientType::kReplica;
  if (IsOption(name, "pubsub")) return ClientType::kPubSub;
  if (IsOption(name, "master")) return ClientType::kMaster;
  return ClientType::kUnknown;
}

ClientType TypeOf(const Client& client) { return client.pubsub ? ClientType::kPubSub : ClientType::kNormal; }

std::string UnknownTypeError(std::string_view name) { return "ERR Unknown client type '" + std::string(name) + "'"; }

// "on" / "off" arguments of NO-EVICT and NO-TOUCH; false after replying a syntax error.
bool ParseOnOff(CommandContext& ctx, bool* value) {
  if (IsOption(ctx.arg(2), "on")) {
    *value = true;
  } else if (IsOption(ctx.arg(2), "off")) {
    *value = false;
  } else {
    ReplyError(ctx.reply(), Status::Syntax());
    return false;
  }
  return true;
}

void CmdClientId(CommandContext& ctx) { ctx.reply().Integer(static_cast<int64_t>(ctx.client.id)); }

void CmdClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.arg(2))) {
    return ctx.reply().Error(kInvalidClientNameError);
  }
  ctx.client.name = std::string(ctx.arg(2));
  ctx.reply().Ok();
}

void CmdClientGetName(CommandContext& ctx) {
  if (ctx.client.name.empty()) return ctx.reply().Null();
  ctx.reply().Bulk(ctx.client.name);
}

void CmdClientList(CommandContext& ctx) {
  std::vector<uint64_t> ids;
  ClientType type = ClientType::kUnknown;  // kUnknown here: no TYPE filter
  if (ctx.argc() == 4 && IsOption(ctx.arg(2), "type")) {
    type = ParseClientType(ctx.arg(3));
    if (type == ClientType::kUnknown) return ctx.reply().Error(UnknownTypeError(ctx.arg(3)));
  } else if (ctx.argc() > 3 && IsOption(ctx.arg(2), "id")) {
    for (size_t i = 3; i < ctx.argc(); ++i) {
      auto id = IntArg(ctx.arg(i));
      if (!id.ok()) return ctx.reply().Error("ERR Invalid client ID");
      ids.push_back(static_cast<uint64_t>(*id));
    }
  } else if (ctx.argc() != 2) {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  const int64_t now = Shard::WallClockMs();
  std::string text;
  auto add = [&](const Client& client) {
    text += ClientInfoLine(client, ctx.server.pubsub(), now);
    text += '\n';
  };
  if (!ids.empty()) {
    // In the order asked, as Redis does; unknown ids are skipped.
    for (uint64_t id : ids) {
      auto it = ctx.server.clients().find(id);
      if (it != ctx.server.clients().end()) add(it->second->client());
    }
  } else {
    for (const auto& [id, connection] : ctx.server.clients()) {
      if (type == ClientType::kUnknown || TypeOf(connection->client()) == type) add(connection->client());
    }
    // A client run without a connection (the in-process harness) lists itself.
    if (ctx.client.connection == nullptr && (type == ClientType::kUnknown || type == ClientType::kNormal)) {
      add(ctx.client);
    }
  }
  ctx.reply().Verbatim(text);
}

void CmdClientInfo(CommandContext& ctx) { ctx.reply().Verbatim(ClientInfoLine(ctx.client, ctx.server.pubsub(), Shard::WallClockMs()) + "\n"); }

struct KillFilter {
  uint64_t id = 0;  // 0: any
  ClientType type = ClientType::kUnknown;  // kUnknown: any
  std::optional<std::string_view> addr;
  std::optional<std::string_view> laddr;
  bool skip_me = true;
  std::shared_ptr<AclUser> user;  // USER filter (the default user's clients hold none)

  bool Matches(const Client& candidate, const Client& self, const AclUser& default_user) const {
    if (user && (candidate.user ? candidate.user.get() : &default_user) != user.get()) return false;
    if (addr && candidate.address != *addr) return false;
    if (laddr && candidate.local_address != *laddr) return false;
    if (type != ClientType::kUnknown && TypeOf(candidate) != type) return false;
    if (id != 0 && candidate.id != id) return false;
    if (skip_me && &candidate == &self) return false;
    return true;
  }
};

void CmdClientKill(CommandContext& ctx) {
  KillFilter filter;
  const bool old_form = ctx.argc() == 3;  // CLIENT KILL <ip:port>
  if (old_form) {
    filter.addr = ctx.arg(2);
    filter.skip_me = false;  // the old form may kill the caller
  } else {
    if (ctx.argc() % 2 != 0) return ReplyError(ctx.reply(), Status::Syntax());
    for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
      std::string_view option = ctx.arg(i);
      std::string_view value = ctx.arg(i + 1);
      if (IsOption(option, "id")) {
        auto id = IntArg(value);
        if (!id.ok() || *id < 1) return ctx.reply().Error("ERR client-id should be greater than 0");
        filter.id = static_cast<uint64_t>(*id);
      } else if (IsOption(option, "type")) {
        filter.type = ParseClientType(value);
        if (filter.type == ClientType::kUnknown) return ctx.reply().Error(UnknownTypeError(value));
      } else if (IsOption(option, "addr")) {
        filter.addr = value;
      } else if (IsOption(option, "laddr")) {
        filter.laddr = value;
      } else if (IsOption(option, "user")) {
        filter.user = ctx.server.acl().Find(value);
        if (filter.user == nullptr) return ctx.reply().Error("ERR No such user '" + std::string(value) + "'");
      } else if (IsOption(option, "skipme")) {
        if (IsOption(value, "yes")) {
          filter.skip_me = true;
        } else if (IsOption(value, "no")) {
          filter.skip_me = false;
        } else {
          return ReplyError(ctx.reply(), Status::Syntax());
        }
      } else {
        return ReplyError(ctx.reply(), Status::Syntax());
      }
    }
  }

  // Collect first: closing a connection removes it from the registry.
  std::vector<Connection*> victims;
  bool kill_self = false;
  for (const auto& [id, connection] : ctx.server.clients()) {
    const Client& candidate = connection->client();
    if (!filter.Matches(candidate, ctx.client, *ctx.server.acl().default_user())) continue;
    if (&candidate == &ctx.client) {
      kill_self = true;
    } else {
      victims.push_back(connection);
    }
  }
  for (Connection* victim : victims) victim->Close();
  const int64_t killed = static_cast<int64_t>(victims.size()) + (kill_self ? 1 : 0);
  // The caller gets its reply first, then its connection closes.
  if (kill_self) ctx.client.close_after_reply = true;
  if (!old_form) return ctx.reply().Integer(killed);
  if (killed == 0) return ctx.reply().Error("ERR No such client");
  ctx.reply().Ok();
}

void CmdClientSetInfo(CommandContext& ctx) {
  std::string_view attribute = ctx.arg(2);
  std::string* target = IsOption(attribute, "lib-name")  ? &ctx.client.lib_name
                        : IsOption(attribute, "lib-ver") ? &ctx.client.lib_version
                                                         : nullptr;
  if (target == nullptr) return ctx.reply().Error("ERR Unrecognized option '" + std::string(attribute) + "'");
  if (!ValidClientName(ctx.arg(3))) {
    return ctx.reply().Error("ERR " + std::string(attribute) +
                             " cannot contain spaces, newlines or special characters.");
  }
  *target = std::string(ctx.arg(3));
  ctx.reply().Ok();
}

void CmdClientNoEvict(CommandContext& ctx) {
  if (!ParseOnOff(ctx, &ctx.client.no_evict)) return;
  ctx.reply().Ok();
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was blocked and is now released.
void CmdClientUnblock(CommandContext& ctx) {
  auto id = IntArg(ctx.arg(2));
  if (!id.ok()) return ReplyError(ctx.reply(), id.status());
  bool with_error = false;
  if (ctx.argc() > 4) return ctx.reply().Error(UnknownSubcommandError("unblock", "client"));
  if (ctx.argc() == 4) {
    if (IsOption(ctx.arg(3), "ERROR")) {
      with_error = true;
    } else if (!IsOption(ctx.arg(3), "TIMEOUT")) {
      return ctx.reply().Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  const bool released = *id > 0 && ctx.server.blocking().Unblock(static_cast<uint64_t>(*id), with_error);
  ctx.reply().Integer(released ? 1 : 0);
}

void CmdClientNoTouch(CommandContext& ctx) {
  if (!ParseOnOff(ctx, &ctx.client.no_touch)) return;
  ctx.reply().Ok();
}

// OFF and SKIP send no reply at all (Server::Execute drops replies while they apply).
void CmdClientReply(CommandContext& ctx) {
  using Mode = Client::ReplyMode;
  if (IsOption(ctx.arg(2), "on")) {
    ctx.client.reply_mode = Mode::kOn;
    ctx.reply().Ok();
  } else if (IsOption(ctx.arg(2), "off")) {
    ctx.client.reply_mode = Mode::kOff;
  } else if (IsOption(ctx.arg(2), "skip")) {
    if (ctx.client.reply_mode != Mode::kOff) ctx.client.reply_mode = Mode::kSkipNext;
  } else {
    ReplyError(ctx.reply(), Status::Syntax());
  }
}

// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as Redis does.
void CmdClientPause(CommandContext& ctx) {
  if (ctx.argc() > 4) return ReplyError(ctx.reply(), SubcommandSyntaxError(ctx.arg(1), "client"));
  Server::PauseMode mode = Server::PauseMode::kAll;
  if (ctx.argc() == 4) {
    if (IsOption(ctx.arg(3), "write")) {
      mode = Server::PauseMode::kWrite;
    } else if (!IsOption(ctx.arg(3), "all")) {
      return ctx.reply().Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  }
  int64_t timeout_ms = 0;
  if (!ParseInt64(ctx.arg(2), &timeout_ms)) return ctx.reply().Error("ERR timeout is not an integer or out of range");
  if (timeout_ms < 0) return ctx.reply().Error("ERR timeout is negative");
  const int64_t now = Shard::WallClockMs();
  if (timeout_ms > INT64_MAX - now) return ctx.reply().Error("ERR timeout is out of range");
  ctx.server.PauseClients(now + timeout_ms, mode);
  ctx.reply().Ok();
}

void CmdClientUnpause(CommandContext& ctx) {
  ctx.server.UnpauseClients();
  ctx.reply().Ok();
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]:
// the options are read first (a bad one is a syntax error whatever follows), and the
// redirect client must exist now, as in Redis; ClientTracking judges the combination.
void CmdClientTracking(CommandContext& ctx) {
  ClientTracking::Options options;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const bool more = j + 1 < ctx.argc();
    const std::string_view option = ctx.arg(j);
    if (IsOption(option, "redirect") && more) {
      ++j;
      if (options.redirect != 0) return ctx.reply().Error("ERR A client can only redirect to a single other client");
      int64_t id = 0;
      if (!ParseInt64(ctx.arg(j), &id)) return ReplyError(ctx.reply(), Status::NotInteger());
      const bool exists = id > 0 && (static_cast<uint64_t>(id) == ctx.client.id ||
                                     ctx.server.FindConnection(static_cast<uint64_t>(id)) != nullptr);
      if (!exists) return ctx.reply().Error("ERR The client ID you want redirect to does not exist");
      options.redirect = static_cast<uint64_t>(id);
    } else if (IsOption(option, "bcast")) {
      options.bcast = true;
    } else if (IsOption(option, "optin")) {
      options.optin = true;
    } else if (IsOption(option, "optout")) {
      options.optout = true;
    } else if (IsOption(option, "noloop")) {
      options.noloop = true;
    } else if (IsOption(option, "prefix") && more) {
      options.prefixes.push_back(ctx.arg(++j));
    } else {
      return ReplyError(ctx.reply(), Status::Syntax());
    }
  }
  if (IsOption(ctx.arg(2), "on")) {
    if (auto error = ctx.server.tracking().Enable(ctx.client, options)) return ctx.reply().Error(*error);
  } else if (IsOption(ctx.arg(2), "off")) {
    ctx.server.tracking().Disable(ctx.client);
  } else {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  ctx.reply().Ok();
}

// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
void CmdClientCaching(CommandContext& ctx) {
  TrackingMode& mode = ctx.client.tracking;
  if (!mode.on) {
    return ctx.reply().Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode "
        "enabled");
  }
  if (IsOption(ctx.arg(2), "yes")) {
    if (!mode.optin) {
      return ctx.reply().Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (IsOption(ctx.arg(2), "no")) {
    if (!mode.optout) {
      return ctx.reply().Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return ReplyError(ctx.reply(), Status::Syntax());
  }
  mode.caching = true;
  ctx.reply().Ok();
}

void CmdClientGetRedir(CommandContext& ctx) {
  const TrackingMode& mode = ctx.client.tracking;
  ctx.reply().Integer(mode.on ? static_cast<int64_t>(mode.redirect) : -1);
}

void CmdClientTrackingInfo(CommandContext& ctx) {
  const TrackingMode& mode = ctx.client.tracking;
  std::vector<std::string_view> flags{mode.on ? "on" : "off"};
  if (mode.bcast) flags.push_back("bcast");
  if (mode.optin) {
    flags.push_back("optin");
    if (mode.caching) flags.push_back("caching-yes");
  }
  if (mode.optout) {
    flags.push_back("optout");
    if (mode.caching) flags.push_back("caching-no");
  }
  if (mode.noloop) flags.push_back("noloop");
  if (mode.broken_redirect) flags.push_back("broken_redirect");
  ReplyWriter& reply = ctx.reply();
  reply.Map(3);
  reply.Bulk("flags");
  reply.Set(flags.size());
  for (std::string_view flag : flags) reply.Bulk(flag);
  reply.Bulk("redirect");
  reply.Integer(mode.on ? static_cast<int64_t>(mode.redirect) : -1);
  reply.Bulk("prefixes");
  reply.BulkArray(mode.prefixes);
}

void CmdClientHelp(CommandContext& ctx) {
  ReplyHelp(ctx.reply(), "client",
            {"CACHING (YES|NO)",
             "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
             "GETNAME",
             "    Return the name of the current connection.",
             "GETREDIR",
             "    Return the client ID we are redirecting to when tracking is enabled.",
             "ID",
             "    Return the ID of the current connection.",
             "INFO",
             "    Return information about the current client connection.",
             "KILL <ip:port>",
             "    Kill connection made from <ip:port>.",
             "KILL <option> <value> [<option> <value> [...]]",
             "    Kill connections. Options are:",
             "    * ADDR (<ip:port>|<unixsocket>:0)",
             "      Kill connections made from the specified address",
             "    * LADDR (<ip:port>|<unixsocket>:0)",
             "      Kill connections made to specified local address",
             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
             "      Kill connections by type.",
             "    * USER <username>",
             "      Kill connections authenticated by <username>.",
             "    * SKIPME (YES|NO)",
             "      Skip killing current connection (default: yes).",
             "    * ID <client-id>",
             "      Kill connections by client id.",
             "LIST [options ...]",
             "    Return information about client connections. Options:",
             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
             "      Return clients of specified type.",
             "    * ID <client-id> [<client-id> ...]",
             "      Return clients of specified IDs only.",
             "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
             "         [OPTIN] [OPTOUT] [NOLOOP]",
             "    Control server assisted client side caching.",
             "TRACKINGINFO",
             "    Report tracking status for the current connection.",
             "UNPAUSE",
             "    Stop the current client pause, resuming traffic.",
             "PAUSE <timeout> [WRITE|ALL]",
             "    Suspend all, or just write, clients for <timeout> milliseconds.",
             "REPLY (ON|OFF|SKIP)",
             "    Control the replies sent to the current connection.",
             "SETNAME <name>",
             "    Assign the name <name> to the current connection.",
             "SETINFO <option> <value>",
             "    Set client meta attr. Options are:",
             "    * LIB-NAME: the client lib name.",
             "    * LIB-VER: the client lib version.",
             "NO-EVICT (ON|OFF)",
             "    Protect current client connection from eviction.",
             "NO-TOUCH (ON|OFF)",
             "    Will not touch LRU/LFU stats when this mode is on."});
}

// AUTH [username] password: the default user when no username is given.
void CmdAuth(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplyError(ctx.reply(), Status::Syntax());
  if (ctx.argc() == 2 && ctx.server.acl().default_user()->nopass()) {
    return ctx.reply().Error(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your "
        "configuration is correct?");
  }
  const std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : std::string_view("default");
  const std::string_view given = ctx.arg(ctx.argc() - 1);
  if (!ctx.server.AuthenticateClient(ctx.client, user, given, ctx.arg(0))) return ctx.reply().Error(kWrongPassError);
  ctx.reply().Ok();
}

}  // namespace

void RegisterClientCommands(CommandTable& table) {
  const uint32_t kPlain = kCmdNoScript | kCmdLoading | kCmdStale;
  const uint32_t kAdmin = kCmdAdmin | kPlain;
  table.Add(
      {.name = "client",
       .arity = -2,
       .group = "connection",
       .summary = "A container for client connection commands.",
       .since = "2.4.0",
       .complexity = "Depends on subcommand.",
       .subcommands = {
           Subcommand("connection", "id", 2, kPlain, CmdClientId, "Returns the unique client ID of the connection.",
                      "5.0.0"),
           Subcommand("connection", "setname", 3, kPlain, CmdClientSetName, "Sets the connection name.", "2.6.9"),
           Subcommand("connection", "getname", 2, kPlain, CmdClientGetName, "Returns the name of the connection.",
                      "2.6.9"),
           Subcommand("connection", "list", -2, kAdmin | kCmdRandom, CmdClientList, "Lists open connections.", "2.4.0",
                      "O(N) where N is the number of client connections"),
           Subcommand("connection", "info", 2, kPlain | kCmdRandom, CmdClientInfo,
                      "Returns information about the connection.", "6.2.0"),
           Subcommand("connection", "kill", -3, kAdmin, CmdClientKill, "Terminates open connections.", "2.4.0",
                      "O(N) where N is the number of client connections"),
           Subcommand("connection", "unblock", -3, kAdmin, CmdClientUnblock,
                      "Unblocks a client blocked by a blocking command from a different connection.", "5.0.0",
                      "O(log N) where N is the number of client connections"),
           Subcommand("connection", "setinfo", 4, kPlain, CmdClientSetInfo,
                      "Sets information specific to the client or connection.", "7.2.0"),
           Subcommand("connection", "no-evict", 3, kAdmin, CmdClientNoEvict,
                      "Sets the client eviction mode of the connection.", "7.0.0"),
           Subcommand("connection", "no-touch", 3, kPlain, CmdClientNoTouch,
                      "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0"),
           Subcommand("connection", "pause", -3, kAdmin, CmdClientPause,
                      "Suspends commands processing.", "2.9.50", "O(1)"),
           Subcommand("connection", "unpause", 2, kAdmin, CmdClientUnpause,
                      "Resumes processing commands from paused clients.", "6.2.0",
                      "O(N) Where N is the number of paused clients"),
           Subcommand("connection", "reply", 3, kPlain, CmdClientReply,
                      "Instructs the server whether to reply to commands.", "3.2.0"),
           Subcommand("connection", "getredir", 2, kPlain, CmdClientGetRedir,
                      "Returns the client ID to which the connection's tracking notifications are redirected.",
                      "6.0.0"),
           Subcommand("connection", "tracking", -3, kPlain, CmdClientTracking,
                      "Controls server-assisted client-side caching for the connection.", "6.0.0",
                      "O(1). Some options may introduce additional complexity."),
           Subcommand("connection", "caching", 3, kPlain, CmdClientCaching,
                      "Instructs the server whether to track the keys in the next request.", "6.0.0"),
           Subcommand("connection", "trackinginfo", 2, kPlain, CmdClientTrackingInfo,
                      "Returns information about server-assisted client-side caching for the connection.", "6.2.0"),
           Subcommand("connection", "help", 2, kCmdLoading | kCmdStale, CmdClientHelp,
                      "Returns helpful text about the different subcommands.", "5.0.0"),
       }});
  table.Add({.name = "auth",
             .arity = -2,
             .flags = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy,
             .handler = CmdAuth,
             .group = "connection",
             .summary = "Authenticates the connection.",
             .since = "1.0.0",
             .complexity = "O(N) where N is the number of passwords defined for the user"});
}

}  // namespace tierkv
