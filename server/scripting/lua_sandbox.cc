#include "server/scripting/lua_sandbox.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
int luaopen_cjson(lua_State* lua);
int luaopen_bit(lua_State* lua);
}

#include "server/scripting/lua_cmsgpack.h"
#include "server/scripting/lua_struct.h"
#include "server/scripting/script_engine.h"

namespace tierkv {
namespace {

// Registry keys.
constexpr const char* kRealGlobals = "tierkv.globals";
constexpr const char* kReadonlyTables = "tierkv.readonly";
// A function library's load run sees these globals instead (OpenLibraryLoadApi).
constexpr const char* kRunGlobals = "tierkv.run_globals";
constexpr const char* kLoadGlobals = "tierkv.load_globals";

ScriptEngine* EngineUpvalue(lua_State* lua) {
  return static_cast<ScriptEngine*>(lua_touserdata(lua, lua_upvalueindex(1)));
}

// Redis's math.random: the same arithmetic over its rand48 draw.
int MathRandom(lua_State* lua) {
  constexpr int32_t kRandMax = INT32_MAX;
  const lua_Number r = static_cast<lua_Number>(NextRand48(&EngineUpvalue(lua)->rand_state()) % kRandMax) /
                       static_cast<lua_Number>(kRandMax);
  switch (lua_gettop(lua)) {
    case 0:
      lua_pushnumber(lua, r);
      break;
    case 1: {
      const int upper = luaL_checkint(lua, 1);
      luaL_argcheck(lua, 1 <= upper, 1, "interval is empty");
      lua_pushnumber(lua, std::floor(r * upper) + 1);
      break;
    }
    case 2: {
      const int lower = luaL_checkint(lua, 1);
      const int upper = luaL_checkint(lua, 2);
      luaL_argcheck(lua, lower <= upper, 2, "interval is empty");
      lua_pushnumber(lua, std::floor(r * (upper - lower + 1)) + lower);
      break;
    }
    default:
      return luaL_error(lua, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* lua) {
  SeedRand48(&EngineUpvalue(lua)->rand_state(), luaL_checkint(lua, 1));
  return 0;
}

bool IsReadonly(lua_State* lua, int index) {
  if (!lua_istable(lua, index)) return false;
  lua_pushvalue(lua, index);
  lua_getfield(lua, LUA_REGISTRYINDEX, kReadonlyTables);
  lua_insert(lua, -2);
  lua_rawget(lua, -2);
  const bool readonly = lua_toboolean(lua, -1) != 0;
  lua_pop(lua, 2);
  return readonly;
}

// A table read through a proxy where a missing field is an error (the load run's redis
// table, as Redis's error metatable).
int StrictIndex(lua_State* lua) {
  lua_pushvalue(lua, 2);
  lua_rawget(lua, lua_upvalueindex(1));
  if (!lua_isnil(lua, -1)) return 1;
  const char* name = lua_tostring(lua, 2);
  return luaL_error(lua, "Script attempted to access nonexistent global variable '%s'", name ? name : "?");
}

int ReadonlyError(lua_State* lua) { return luaL_error(lua, "Attempt to modify a readonly table"); }

// rawset and setmetatable refuse the protected tables too; like Redis, the error names
// no line of its own (the script's line is added when the error reaches the handler).
int GuardedCall(lua_State* lua) {
  if (IsReadonly(lua, 1)) {
    lua_pushstring(lua, "Attempt to modify a readonly table");
    return lua_error(lua);
  }
  lua_pushvalue(lua, lua_upvalueindex(1));
  lua_insert(lua, 1);
  lua_call(lua, lua_gettop(lua) - 1, LUA_MULTRET);
  return lua_gettop(lua);
}

// Redis's pcall: an error table (what redis.call raises) is caught as its text.
int PCallWrapper(lua_State* lua) {
  const int argc = lua_gettop(lua);
  lua_pushboolean(lua, 1);
  lua_insert(lua, 1);
  if (lua_pcall(lua, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(lua, 1);
    if (lua_istable(lua, -1)) {
      lua_getfield(lua, -1, "err");
      if (lua_isstring(lua, -1)) {
        lua_replace(lua, -2);
      } else {
        lua_pop(lua, 1);
      }
    }
    lua_pushboolean(lua, 0);
    lua_insert(lua, 1);
  }
  return lua_gettop(lua);
}

void GuardGlobalFunction(lua_State* lua, const char* name) {
  lua_getglobal(lua, name);
  lua_pushcclosure(lua, GuardedCall, 1);
  lua_setglobal(lua, name);
}

// Globals read through the proxy: a missing one is an error, as in Redis.
int GlobalsIndex(lua_State* lua) {
  lua_getfield(lua, LUA_REGISTRYINDEX, kRealGlobals);
  lua_pushvalue(lua, 2);
  lua_rawget(lua, -2);
  if (!lua_isnil(lua, -1)) return 1;
  const char* name = lua_tostring(lua, 2);
  return luaL_error(lua, "Script attempted to access nonexistent global variable '%s'", name ? name : "?");
}

// Leaves on the stack a read-only proxy of the table at `index`: reads go to the
// table, writes fail, and the metatable can be neither reached nor replaced
// (getmetatable answers an empty read-only table, as Redis's a table).
void PushReadonlyProxy(lua_State* lua, int index, lua_CFunction index_function) {
  index = index < 0 ? lua_gettop(lua) + index + 1 : index;
  lua_newtable(lua);  // the proxy
  lua_newtable(lua);  // its metatable
  if (index_function != nullptr) {
    lua_pushvalue(lua, index);
    lua_pushcclosure(lua, index_function, 1);
  } else {
    lua_pushvalue(lua, index);
  }
  lua_setfield(lua, -2, "__index");
  lua_pushcfunction(lua, ReadonlyError);
  lua_setfield(lua, -2, "__newindex");
  lua_newtable(lua);  // what getmetatable shows: empty, read-only by the same metatable
  lua_pushvalue(lua, -2);
  lua_setmetatable(lua, -2);
  lua_setfield(lua, -2, "__metatable");
  lua_setmetatable(lua, -2);
  lua_getfield(lua, LUA_REGISTRYINDEX, kReadonlyTables);
  lua_pushvalue(lua, -2);
  lua_pushboolean(lua, 1);
  lua_rawset(lua, -3);
  lua_pop(lua, 1);
}

// Opens a library and makes its table the global `name` (Debian's cjson registers no
// global of its own).
void OpenLibrary(lua_State* lua, lua_CFunction open, const char* name) {
  lua_pushcfunction(lua, open);
  lua_pushstring(lua, name);
  lua_call(lua, 1, 1);
  if (name[0] != '\0') {
    lua_setglobal(lua, name);
  } else {
    lua_pop(lua, 1);
  }
}

void PushStringArray(lua_State* lua, std::span<const std::string_view> items) {
  lua_createtable(lua, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(lua, items[i].data(), items[i].size());
    lua_rawseti(lua, -2, static_cast<int>(i + 1));
  }
}

}  // namespace

// POSIX lrand48: X = (0x5DEECE66D * X + 0xB) mod 2^48, the draw is its top 31 bits.
int32_t NextRand48(uint64_t* state) {
  *state = (0x5DEECE66DULL * *state + 0xBULL) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(*state >> 17);
}

void SeedRand48(uint64_t* state, int32_t seed) {
  *state = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330EULL;
}

void OpenSandbox(lua_State* lua, ScriptEngine* engine) {
  OpenLibrary(lua, luaopen_base, "");
  OpenLibrary(lua, luaopen_table, LUA_TABLIBNAME);
  OpenLibrary(lua, luaopen_string, LUA_STRLIBNAME);
  OpenLibrary(lua, luaopen_math, LUA_MATHLIBNAME);
  OpenLibrary(lua, luaopen_cjson, "cjson");
  OpenLibrary(lua, luaopen_bit, "bit");
  OpenLibrary(lua, OpenCmsgpack, "cmsgpack");
  OpenLibrary(lua, OpenStruct, "struct");

  // What Redis leaves out: files, the debugger, modules, and environment tricks.
  for (const char* name : {"loadfile", "dofile", "print", "setfenv", "getfenv", "newproxy", "module", "require",
                           "package"}) {
    lua_pushnil(lua);
    lua_setglobal(lua, name);
  }
  lua_getglobal(lua, "math");
  lua_pushlightuserdata(lua, engine);
  lua_pushcclosure(lua, MathRandom, 1);
  lua_setfield(lua, -2, "random");
  lua_pushlightuserdata(lua, engine);
  lua_pushcclosure(lua, MathRandomSeed, 1);
  lua_setfield(lua, -2, "randomseed");
  lua_pop(lua, 1);

  lua_pushvalue(lua, LUA_GLOBALSINDEX);
  OpenRedisLib(lua, engine);
  lua_pop(lua, 1);

  lua_newtable(lua);
  lua_newtable(lua);
  lua_pushstring(lua, "k");
  lua_setfield(lua, -2, "__mode");
  lua_setmetatable(lua, -2);
  lua_setfield(lua, LUA_REGISTRYINDEX, kReadonlyTables);
  lua_pushcfunction(lua, PCallWrapper);
  lua_setglobal(lua, "pcall");
  GuardGlobalFunction(lua, "rawset");
  GuardGlobalFunction(lua, "setmetatable");

  // Every library table becomes a read-only proxy; the string metatable reads through
  // the proxy, so ("x"):upper() keeps working.
  for (const char* name : {"string", "table", "math", "coroutine", "redis", "cjson", "bit", "cmsgpack", "struct"}) {
    lua_getglobal(lua, name);
    if (lua_isnil(lua, -1)) {
      lua_pop(lua, 1);
      continue;
    }
    PushReadonlyProxy(lua, -1, nullptr);
    lua_setglobal(lua, name);
    lua_pop(lua, 1);
  }
  lua_pushstring(lua, "");
  if (lua_getmetatable(lua, -1)) {
    lua_getglobal(lua, "string");
    lua_setfield(lua, -2, "__index");
    lua_pop(lua, 1);
  }
  lua_pop(lua, 1);

  // The globals themselves: scripts get a proxy as their global table; the real one
  // stays reachable from C only.
  lua_pushvalue(lua, LUA_GLOBALSINDEX);
  lua_setfield(lua, LUA_REGISTRYINDEX, kRealGlobals);
  lua_pushvalue(lua, LUA_GLOBALSINDEX);
  PushReadonlyProxy(lua, -1, GlobalsIndex);
  lua_pushvalue(lua, -1);
  lua_setfield(lua, -3, "_G");
  lua_replace(lua, LUA_GLOBALSINDEX);
  lua_pop(lua, 1);
}

void OpenLibraryLoadApi(lua_State* lua, lua_CFunction register_function, void* upvalue) {
  lua_getfield(lua, LUA_REGISTRYINDEX, kRealGlobals);
  lua_setfield(lua, LUA_REGISTRYINDEX, kRunGlobals);
  lua_newtable(lua);  // the load run's globals
  lua_newtable(lua);  // its redis table
  lua_pushlightuserdata(lua, upvalue);
  lua_pushcclosure(lua, register_function, 1);
  lua_setfield(lua, -2, "register_function");
  lua_getfield(lua, LUA_REGISTRYINDEX, kRunGlobals);
  lua_getfield(lua, -1, "redis");
  for (const char* name : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION",
                           "REDIS_VERSION_NUM"}) {
    lua_getfield(lua, -1, name);
    lua_setfield(lua, -4, name);
  }
  lua_pop(lua, 2);
  PushReadonlyProxy(lua, -1, StrictIndex);
  lua_setfield(lua, -3, "redis");
  lua_pop(lua, 1);
  lua_setfield(lua, LUA_REGISTRYINDEX, kLoadGlobals);
}

void UseLoadGlobals(lua_State* lua, bool loading) {
  lua_getfield(lua, LUA_REGISTRYINDEX, loading ? kLoadGlobals : kRunGlobals);
  lua_setfield(lua, LUA_REGISTRYINDEX, kRealGlobals);
}

void SetScriptArguments(lua_State* lua, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args) {
  lua_getfield(lua, LUA_REGISTRYINDEX, kRealGlobals);
  PushStringArray(lua, keys);
  lua_setfield(lua, -2, "KEYS");
  PushStringArray(lua, args);
  lua_setfield(lua, -2, "ARGV");
  lua_pop(lua, 1);
}

int ScriptErrorHandler(lua_State* lua) {
  // Level 1 raised the error; when that is a C function (error, redis.call), the
  // script line that called it is one level up.
  lua_Debug where;
  bool located = lua_getstack(lua, 1, &where) && lua_getinfo(lua, "nSl", &where);
  if (located && std::strcmp(where.what, "C") == 0) located = lua_getstack(lua, 2, &where) && lua_getinfo(lua, "nSl", &where);
  if (!lua_istable(lua, 1)) {
    std::string text = "ERR ";
    switch (lua_type(lua, 1)) {
      case LUA_TSTRING:
      case LUA_TNUMBER:
        text += lua_tostring(lua, 1);
        break;
      case LUA_TBOOLEAN:
        text += lua_toboolean(lua, 1) ? "true" : "false";
        break;
      case LUA_TNIL:
        text += "nil";
        break;
      default:
        text += lua_typename(lua, lua_type(lua, 1));
    }
    lua_settop(lua, 0);
    lua_newtable(lua);
    lua_pushlstring(lua, text.data(), text.size());
    lua_setfield(lua, -2, "err");
  } else {
    lua_settop(lua, 1);
  }
  if (located) {
    lua_pushstring(lua, "source");
    lua_pushstring(lua, where.source);
    lua_rawset(lua, -3);
    lua_pushstring(lua, "line");
    lua_pushinteger(lua, where.currentline);
    lua_rawset(lua, -3);
  }
  return 1;
}

}  // namespace tierkv
