// ScriptEngine: the Lua 5.1 state that runs EVAL scripts, and the script cache.
//
// One state for the server's lifetime, as Redis: a script is compiled once (EVAL or
// SCRIPT LOAD) into a function kept under its SHA1, and run with KEYS and ARGV set.
// Scripts see a sandbox (lua_sandbox.h): the libraries Redis gives them, globals
// that cannot be created or replaced, and the redis.* API (redis_lib.cc), whose
// redis.call runs commands through Server::Execute like any client's, so the command
// table's arity, flags and refusals apply and a script's writes become one journal
// record with the command that ran it (the dispatcher commits at the top level only).
//
// A script running longer than busy-reply-threshold makes the engine serve other
// clients from a Lua count hook: they are answered BUSY, except SCRIPT KILL (which
// stops a script that has not written) and SHUTDOWN NOSAVE.
//
// Thread-safety: engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/client.h"
#include "server/scripting/function_libraries.h"

struct lua_State;
struct lua_Debug;

namespace tierkv {

class Server;
class ReplyWriter;

// The shebang flags of a script (#!lua flags=...); kEvalCompat: no shebang at all.
enum ScriptFlag : uint32_t {
  kScriptEvalCompat = 1u << 0,
  kScriptNoWrites = 1u << 1,
  kScriptAllowOom = 1u << 2,
  kScriptAllowStale = 1u << 3,
  kScriptNoCluster = 1u << 4,
  kScriptAllowCrossSlotKeys = 1u << 5,
};

class ScriptEngine {
 public:
  explicit ScriptEngine(Server& server);
  ~ScriptEngine();
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // Compiles `body` into the cache (a no-op if it is there) and sets *sha. On
  // failure returns Redis's error reply text ("ERR Error compiling script ...").
  std::string Load(std::string_view body, std::string* sha);
  bool Exists(std::string_view sha) const;
  // SCRIPT FLUSH: forgets every script.
  void Flush();
  size_t script_count() const { return scripts_.size(); }
  size_t scripts_bytes() const { return scripts_bytes_; }
  size_t memory_bytes() const { return lua_memory_; }

  // Runs the cached script `sha` (40 lowercase hex digits) for `caller` and writes its
  // reply. `read_only`: EVAL_RO / EVALSHA_RO.
  void Run(Client& caller, std::string_view sha, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, bool read_only);

  // FCALL / FCALL_RO: runs library function `name` with (keys, args) for `caller`.
  // `command` is the caller's command line (FUNCTION STATS shows it).
  void CallFunction(Client& caller, std::string_view name, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, bool read_only,
                    std::span<const std::string_view> command);
  FunctionLibraries& functions() { return *functions_; }
  const FunctionLibraries& functions() const { return *functions_; }
  size_t functions_memory_bytes() const { return functions_memory_; }

  // True while a script runs past busy-reply-threshold: other clients get BUSY.
  bool busy() const { return run_ != nullptr && run_->timed_out; }
  bool running() const { return run_ != nullptr; }
  // What other clients are told meanwhile (it names the KILL that applies).
  std::string_view busy_error() const;
  // kWrongKind: SCRIPT KILL while a function runs, or FUNCTION KILL during an EVAL.
  enum class KillOutcome { kNotBusy, kUnkillable, kWrongKind, kKilled };
  KillOutcome Kill(bool function_kill);

  // For the redis.* library (redis_lib.cc) and the sandbox.
  struct RunState {
    Client* caller = nullptr;
    std::string name;               // the script's SHA1, or the function's name
    bool function = false;          // FCALL rather than EVAL
    std::vector<std::string> command;  // FCALL's command line, for FUNCTION STATS
    uint32_t flags = 0;
    bool read_only = false;
    bool oom_at_start = false;  // over maxmemory when the script began
    bool wrote = false;         // a write command was called: SCRIPT KILL refuses
    bool timed_out = false;
    bool killed = false;
    bool abandoned = false;     // the server is stopping (SHUTDOWN NOSAVE) mid-script
    bool caller_was_suspended = false;
    std::chrono::steady_clock::time_point started;
  };
  RunState* run() { return run_.get(); }
  const RunState* run() const { return run_.get(); }
  Server& server() { return server_; }
  Client& script_client() { return script_client_; }
  uint64_t& rand_state() { return rand48_; }

 private:
  static void* Allocate(void* engine, void* block, size_t old_size, size_t new_size);
  static void* AllocateFunctions(void* engine, void* block, size_t old_size, size_t new_size);
  // Redis's checks before a script with flags runs; false after writing the refusal.
  bool Admit(ReplyWriter& reply, uint32_t flags, bool read_only, bool* oom);
  // Runs the function `push` leaves on `lua`'s stack (it returns how many arguments it
  // pushed above it) and writes its reply to the caller.
  template <typename Push>
  void Invoke(lua_State* lua, Client& caller, uint32_t flags, bool read_only, bool oom, Push&& push);
  static void CountHook(lua_State* lua, lua_Debug* debug);
  // The running thread (a coroutine's, possibly) is where an error must be raised.
  void OnCountHook(lua_State* lua);
  // Writes the error a failed script left on the stack as the caller's reply.
  void ReplyScriptError(lua_State* lua, ReplyWriter& reply);

  Server& server_;
  lua_State* lua_ = nullptr;
  size_t lua_memory_ = 0;
  // Functions run in a state of their own, as in Redis 7 (FUNCTION FLUSH leaves EVAL's
  // cache alone and the reverse).
  lua_State* functions_lua_ = nullptr;
  size_t functions_memory_ = 0;
  std::unique_ptr<FunctionLibraries> functions_;
  struct Script {
    uint32_t flags = 0;
    size_t body_bytes = 0;
  };
  std::unordered_map<std::string, Script> scripts_;  // functions themselves: Lua registry
  size_t scripts_bytes_ = 0;
  std::unique_ptr<RunState> run_;
  // Scripts run since the last garbage-collection step (see Invoke).
  int runs_since_gc_step_ = 0;
  Client script_client_;
  // Redis's rand48 state for math.random: one sequence for the server's life, started
  // where Redis's starts, so a script draws what it would draw on Redis.
  uint64_t rand48_ = 0x1234ABCD330EULL;
};

// The error SCRIPT KILL (function_kill false) or FUNCTION KILL answers for `outcome`,
// "" for kKilled.
std::string_view KillRefusal(ScriptEngine::KillOutcome outcome, bool function_kill);

// Parses a script's shebang line. On success sets *flags (kScriptEvalCompat when there
// is none) and *shebang_len (bytes before the line feed that ends it, 0 if none);
// otherwise returns Redis's error text without its "ERR " code.
std::string ParseShebang(std::string_view body, uint32_t* flags, size_t* shebang_len);

}  // namespace tierkv
