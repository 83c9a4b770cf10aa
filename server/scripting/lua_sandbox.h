// The environment scripts run in, as Redis 7 builds it: the base, table, string,
// math, coroutine, cjson, bit, cmsgpack and struct libraries (no os, io, debug,
// package, loadfile, dofile, print, setfenv/getfenv), math.random from Redis's rand48
// sequence, the redis table, and globals that scripts can read but never create or replace
// ("Script attempted to access nonexistent global variable", "Attempt to modify a
// readonly table"). KEYS and ARGV are set by the engine through SetScriptArguments.
//
// Thread-safety: engine thread only.
#pragma once

#include <span>
#include <string_view>

extern "C" {
#include <lua.h>
}

namespace tierkv {

class ScriptEngine;

// Builds the sandbox in a fresh state. `engine` backs math.random and redis.*.
void OpenSandbox(lua_State* lua, ScriptEngine* engine);

// Sets the KEYS and ARGV globals (behind the protection scripts see).
void SetScriptArguments(lua_State* lua, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args);

// For the state that runs function libraries: builds the globals a library's load run
// sees, only a `redis` table holding register_function (a closure over `upvalue`), log
// and the constants; a missing field there is an error. UseLoadGlobals(true) switches
// the globals scripts read to it, UseLoadGlobals(false) back.
void OpenLibraryLoadApi(lua_State* lua, lua_CFunction register_function, void* upvalue);
void UseLoadGlobals(lua_State* lua, bool loading);

// Redis's math.random: a draw of its rand48 generator (POSIX lrand48).
int32_t NextRand48(uint64_t* state);
void SeedRand48(uint64_t* state, int32_t seed);

// The redis table (redis_lib.cc), built into the globals table on top of the stack.
void OpenRedisLib(lua_State* lua, ScriptEngine* engine);

// Lua's error handler for scripts: turns any error into Redis's error table
// {err=..., source=..., line=...}, naming the script line that failed.
int ScriptErrorHandler(lua_State* lua);

}  // namespace tierkv
