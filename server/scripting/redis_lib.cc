// The redis table scripts call: redis.call and redis.pcall (commands through the
// server's dispatcher), error_reply, status_reply, sha1hex, log, setresp, set_repl,
// replicate_commands, breakpoint, debug, acl_check_cmd and the constants Redis 7 sets.
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "engine/sha1.h"
#include "server/command_table.h"
#include "server/log.h"
#include "server/scripting/lua_convert.h"
#include "server/scripting/lua_sandbox.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"
#include "server/version.h"

namespace tierkv {
namespace {

constexpr const char* kOomError = "-OOM command not allowed when used memory > 'maxmemory'.";

ScriptEngine* Engine(lua_State* lua) { return static_cast<ScriptEngine*>(lua_touserdata(lua, lua_upvalueindex(1))); }

// Redis's error table for `text`: "-CODE message" keeps its code, plain text gets ERR.
void PushErrorTable(lua_State* lua, std::string_view text) {
  std::string message;
  if (!text.empty() && text[0] == '-') {
    const size_t space = text.find(' ');
    message = space == std::string_view::npos ? "ERR " + std::string(text.substr(1))
                                              : std::string(text.substr(1));
  } else {
    message = "ERR " + std::string(text);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  lua_newtable(lua);
  lua_pushlstring(lua, message.data(), message.size());
  lua_setfield(lua, -2, "err");
}

int RaiseError(lua_State* lua, std::string_view text) {
  PushErrorTable(lua, text);
  return lua_error(lua);
}

// A Lua number as a command argument: integral values as integers, others in the
// shortest form that reads back the same (Redis 7.2; 7.0 printed %.17g).
std::string NumberArgument(lua_Number number) {
  char buffer[64];
  if (std::isfinite(number) && std::nearbyint(number) == number && std::fabs(number) < 1e17) {
    const auto end = std::to_chars(buffer, buffer + sizeof(buffer), LuaNumberToInteger(number)).ptr;
    return std::string(buffer, end);
  }
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<double>(number)).ptr;
  return std::string(buffer, end);
}

// The command spec a script's command line names, with Redis's script-specific texts
// when it names none or has the wrong arity.
const CommandSpec* FindScriptCommand(const CommandTable& commands, std::span<const std::string_view> args,
                                     std::string* error) {
  const CommandSpec* spec = commands.Find(args[0]);
  if (spec != nullptr && !spec->subcommands.empty() && args.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, args[1]);
  }
  if (spec == nullptr) {
    *error = "Unknown Redis command called from script";
    return nullptr;
  }
  if (!ArityMatches(spec->arity, args.size())) {
    *error = "Wrong number of args calling Redis command from script";
    return nullptr;
  }
  return spec;
}

// Runs the command the arguments on the stack name and leaves its reply (or the error
// table of a refusal) as the one value on the stack; true when that is an error. It
// never raises a Lua error: Lua's errors longjmp past C++ destructors, so every C++
// object here is gone before RedisCommand raises.
bool RunScriptCommand(lua_State* lua, ScriptEngine* engine) {
  ScriptEngine::RunState* run = engine->run();
  const int argc = lua_gettop(lua);
  if (argc == 0) {
    PushErrorTable(lua, "Please specify at least one argument for this redis lib call");
    return true;
  }
  std::vector<std::string> owned;
  owned.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    const int type = lua_type(lua, i);
    if (type == LUA_TNUMBER) {
      owned.push_back(NumberArgument(lua_tonumber(lua, i)));
    } else if (type == LUA_TSTRING) {
      size_t len = 0;
      const char* data = lua_tolstring(lua, i, &len);
      owned.emplace_back(data, len);
    } else {
      lua_settop(lua, 0);
      PushErrorTable(lua, "Lua redis lib command arguments must be strings or integers");
      return true;
    }
  }
  lua_settop(lua, 0);
  std::vector<std::string_view> args(owned.begin(), owned.end());

  Server& server = engine->server();
  std::string refusal;
  const CommandSpec* spec = FindScriptCommand(server.commands(), args, &refusal);
  if (spec != nullptr) {
    const bool write = (spec->flags & kCmdWrite) != 0;
    if (spec->flags & kCmdNoScript) {
      refusal = "This Redis command is not allowed from script";
    } else if (run->read_only && write) {
      refusal = "Write commands are not allowed from read-only scripts.";
    } else if (!(run->flags & kScriptAllowOom) && !run->wrote && run->oom_at_start && (spec->flags & kCmdDenyOom)) {
      // Over maxmemory when the script began: refused up to its first write (after
      // that the script must be able to finish, as in Redis).
      refusal = kOomError;
    }
    if (refusal.empty() && write) run->wrote = true;
  }
  if (!refusal.empty()) {
    if (spec != nullptr) ++spec->stats.rejected_calls;
    PushErrorTable(lua, refusal);
    return true;
  }

  Client& client = engine->script_client();
  // Keys the script did not declare may be cold: read now, and never run the command on a
  // key whose value could not be read.
  if (std::string error = server.cold_reads().LoadNow(client, args); !error.empty()) {
    PushErrorTable(lua, error);
    return true;
  }
  client.output.clear();
  const uint64_t errors_before = client.reply.errors_written();
  server.Execute(client, args);
  bool failed = client.reply.errors_written() > errors_before;
  if (PushReplyAsLua(lua, client.output) == 0) {
    PushErrorTable(lua, "reached lua stack limit");  // the reply nests deeper than Lua's stack
    failed = true;
  } else if (failed && lua_istable(lua, -1)) {
    // The command's error is in INFO errorstats already: the script's reply passing it on
    // is not counted again (Redis's ignore_error_stats_update).
    lua_pushboolean(lua, 1);
    lua_setfield(lua, -2, kCountedErrorField);
  }
  client.output.clear();
  return failed;
}

int RedisCommand(lua_State* lua, bool raise) {
  ScriptEngine* engine = Engine(lua);
  if (engine->run() == nullptr) return RaiseError(lua, "redis.call/pcall can only be called inside a script invocation");
  const bool failed = RunScriptCommand(lua, engine);
  return raise && failed ? lua_error(lua) : 1;
}

int Call(lua_State* lua) { return RedisCommand(lua, true); }
int PCall(lua_State* lua) { return RedisCommand(lua, false); }

int ErrorReply(lua_State* lua) {
  if (lua_gettop(lua) != 1 || lua_type(lua, -1) != LUA_TSTRING) {
    PushErrorTable(lua, "wrong number or type of arguments");
    return 1;
  }
  std::string text = lua_tostring(lua, -1);
  if (text.empty() || text[0] != '-') text.insert(0, "-");
  PushErrorTable(lua, text);
  return 1;
}

int StatusReply(lua_State* lua) {
  if (lua_gettop(lua) != 1 || lua_type(lua, -1) != LUA_TSTRING) {
    PushErrorTable(lua, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(lua);
  lua_pushvalue(lua, 1);
  lua_setfield(lua, -2, "ok");
  return 1;
}

int Sha1Hex(lua_State* lua) {
  if (lua_gettop(lua) != 1) return RaiseError(lua, "wrong number of arguments");
  size_t len = 0;
  const char* data = lua_tolstring(lua, 1, &len);
  const std::string hex = HexDigest(Sha1Digest(std::string_view(data == nullptr ? "" : data, data ? len : 0)));
  lua_pushstring(lua, hex.c_str());
  return 1;
}

int RedisLog(lua_State* lua) {
  const int argc = lua_gettop(lua);
  if (argc < 2) return RaiseError(lua, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(lua, 1)) return RaiseError(lua, "First argument must be a number (log level).");
  const int64_t level = LuaNumberToInteger(lua_tonumber(lua, 1));
  if (level < 0 || level > 3) return RaiseError(lua, "Invalid debug level.");
  std::string line;
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* text = lua_tolstring(lua, i, &len);
    if (text == nullptr) continue;
    if (i != 2) line.push_back(' ');
    line.append(text, len);
  }
  Log(static_cast<LogLevel>(level), line);
  return 0;
}

int SetResp(lua_State* lua) {
  ScriptEngine* engine = Engine(lua);
  if (engine->run() == nullptr) return RaiseError(lua, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(lua) != 1) return RaiseError(lua, "redis.setresp() requires one argument.");
  const int64_t resp = LuaNumberToInteger(lua_tonumber(lua, 1));
  if (resp != 2 && resp != 3) return RaiseError(lua, "RESP version must be 2 or 3.");
  engine->script_client().reply.set_protocol(static_cast<int>(resp));
  return 0;
}

// Effects are what the journal records of every script, so the replication choices
// Redis offered are accepted and change nothing.
int SetRepl(lua_State* lua) {
  if (Engine(lua)->run() == nullptr) return RaiseError(lua, "redis.set_repl can only be called inside a script invocation");
  if (lua_gettop(lua) != 1) return RaiseError(lua, "redis.set_repl() requires one argument.");
  const int64_t flags = LuaNumberToInteger(lua_tonumber(lua, 1));
  if ((flags & ~int64_t{3}) != 0) {
    return RaiseError(lua, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;
}

int ReplicateCommands(lua_State* lua) {
  lua_pushboolean(lua, 1);
  return 1;
}

// No debugger (SCRIPT DEBUG is not supported): breakpoint() says so, debug() is silent.
int Breakpoint(lua_State* lua) {
  lua_pushboolean(lua, 0);
  return 1;
}

int Debug(lua_State*) { return 0; }

// Without ACL users every client may run every command: true for any known command.
// (The C++ objects live in a scope of their own: a Lua error must not skip destructors.)
int AclCheckCmd(lua_State* lua) {
  ScriptEngine* engine = Engine(lua);
  const int argc = lua_gettop(lua);
  if (argc == 0) return RaiseError(lua, "Please specify at least one argument for this redis lib call");
  bool strings = true;
  bool known = false;
  {
    std::vector<std::string> owned;
    for (int i = 1; i <= argc && strings; ++i) {
      size_t len = 0;
      const char* data = lua_tolstring(lua, i, &len);
      strings = data != nullptr;
      if (strings) owned.emplace_back(data, len);
    }
    if (strings) {
      std::vector<std::string_view> args(owned.begin(), owned.end());
      std::string error;
      known = FindScriptCommand(engine->server().commands(), args, &error) != nullptr;
    }
  }
  if (!strings) return RaiseError(lua, "Lua redis lib command arguments must be strings or integers");
  if (!known) return RaiseError(lua, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(lua, 1);
  return 1;
}

void SetFunction(lua_State* lua, ScriptEngine* engine, const char* name, lua_CFunction function) {
  lua_pushlightuserdata(lua, engine);
  lua_pushcclosure(lua, function, 1);
  lua_setfield(lua, -2, name);
}

void SetNumber(lua_State* lua, const char* name, lua_Number value) {
  lua_pushnumber(lua, value);
  lua_setfield(lua, -2, name);
}

// "7.2.4" -> 0x070204.
int VersionNumber(std::string_view version) {
  int number = 0;
  size_t start = 0;
  for (int part = 0; part < 3; ++part) {
    const size_t dot = version.find('.', start);
    int value = 0;
    const std::string_view text = version.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    std::from_chars(text.data(), text.data() + text.size(), value);
    number = (number << 8) | value;
    if (dot == std::string_view::npos) {
      for (int rest = part + 1; rest < 3; ++rest) number <<= 8;
      break;
    }
    start = dot + 1;
  }
  return number;
}

}  // namespace

void OpenRedisLib(lua_State* lua, ScriptEngine* engine) {
  lua_newtable(lua);
  SetFunction(lua, engine, "call", Call);
  SetFunction(lua, engine, "pcall", PCall);
  SetFunction(lua, engine, "error_reply", ErrorReply);
  SetFunction(lua, engine, "status_reply", StatusReply);
  SetFunction(lua, engine, "sha1hex", Sha1Hex);
  SetFunction(lua, engine, "log", RedisLog);
  SetFunction(lua, engine, "setresp", SetResp);
  SetFunction(lua, engine, "set_repl", SetRepl);
  SetFunction(lua, engine, "replicate_commands", ReplicateCommands);
  SetFunction(lua, engine, "breakpoint", Breakpoint);
  SetFunction(lua, engine, "debug", Debug);
  SetFunction(lua, engine, "acl_check_cmd", AclCheckCmd);
  SetNumber(lua, "LOG_DEBUG", 0);
  SetNumber(lua, "LOG_VERBOSE", 1);
  SetNumber(lua, "LOG_NOTICE", 2);
  SetNumber(lua, "LOG_WARNING", 3);
  SetNumber(lua, "REPL_NONE", 0);
  SetNumber(lua, "REPL_AOF", 1);
  SetNumber(lua, "REPL_SLAVE", 2);
  SetNumber(lua, "REPL_REPLICA", 2);
  SetNumber(lua, "REPL_ALL", 3);
  lua_pushstring(lua, kRedisCompatVersion);
  lua_setfield(lua, -2, "REDIS_VERSION");
  SetNumber(lua, "REDIS_VERSION_NUM", VersionNumber(kRedisCompatVersion));
  lua_setfield(lua, -2, "redis");
}

}  // namespace tierkv
