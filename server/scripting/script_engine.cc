#include "server/scripting/script_engine.h"

#include <cstdlib>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "engine/sha1.h"
#include "server/log.h"
#include "server/scripting/lua_convert.h"
#include "server/scripting/lua_sandbox.h"
#include "server/server.h"

namespace tierkv {
namespace {

// Registry table of compiled scripts, by SHA1.
constexpr const char* kScripts = "tierkv.scripts";
// Redis checks for a slow script every this many Lua instructions.
constexpr int kHookInstructions = 100000;
// One collector step of this many units every this many scripts (Invoke).
constexpr int kScriptsPerGcStep = 50;

constexpr std::string_view kKilledText = "Script killed by user with SCRIPT KILL...";

struct FlagName {
  std::string_view name;
  uint32_t flag;
};
constexpr FlagName kShebangFlags[] = {
    {"no-writes", kScriptNoWrites},     {"allow-oom", kScriptAllowOom},
    {"allow-stale", kScriptAllowStale}, {"no-cluster", kScriptNoCluster},
    {"allow-cross-slot-keys", kScriptAllowCrossSlotKeys},
};

std::vector<std::string_view> SplitWords(std::string_view text, char separator_or_space) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    auto is_separator = [&](char c) {
      return separator_or_space == ' ' ? (c == ' ' || c == '\t' || c == '\r') : c == separator_or_space;
    };
    if (separator_or_space == ' ' && is_separator(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !is_separator(text[end])) ++end;
    words.push_back(text.substr(i, end - i));
    i = end + (separator_or_space == ' ' ? 0 : 1);
    if (separator_or_space != ' ' && i == text.size() && end < text.size()) words.push_back({});
  }
  return words;
}

}  // namespace

std::string ParseShebang(std::string_view body, uint32_t* flags, size_t* shebang_len) {
  *flags = kScriptEvalCompat;
  *shebang_len = 0;
  if (body.substr(0, 2) != "#!") return "";
  const size_t end = body.find('\n');
  if (end == std::string_view::npos) return "Invalid script shebang";
  const std::vector<std::string_view> parts = SplitWords(body.substr(0, end), ' ');
  if (parts.empty()) return "Invalid engine in script shebang";
  if (parts[0] != "#!lua") return "Unexpected engine in script shebang: " + std::string(parts[0]);
  uint32_t result = 0;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") return "Unknown lua shebang option: " + std::string(parts[i]);
    const std::string_view list = parts[i].substr(6);
    if (list.empty()) continue;
    for (std::string_view name : SplitWords(list, ',')) {
      uint32_t flag = 0;
      for (const FlagName& known : kShebangFlags) {
        if (known.name == name) flag = known.flag;
      }
      if (flag == 0) return "Unexpected flag in script shebang: " + std::string(name);
      result |= flag;
    }
  }
  *flags = result;
  *shebang_len = end;
  return "";
}

ScriptEngine::ScriptEngine(Server& server) : server_(server), script_client_(0) {
  lua_ = lua_newstate(Allocate, this);
  OpenSandbox(lua_, this);
  lua_newtable(lua_);
  lua_setfield(lua_, LUA_REGISTRYINDEX, kScripts);
  script_client_.script = true;
  script_client_.authenticated = true;
  functions_lua_ = lua_newstate(AllocateFunctions, this);
  OpenSandbox(functions_lua_, this);
  functions_ = std::make_unique<FunctionLibraries>(functions_lua_);
}

ScriptEngine::~ScriptEngine() {
  functions_.reset();
  lua_close(functions_lua_);
  lua_close(lua_);
}

void* ScriptEngine::AllocateFunctions(void* engine, void* block, size_t old_size, size_t new_size) {
  auto* self = static_cast<ScriptEngine*>(engine);
  if (new_size == 0) {
    self->functions_memory_ -= block != nullptr ? old_size : 0;
    std::free(block);
    return nullptr;
  }
  void* grown = std::realloc(block, new_size);
  if (grown != nullptr) self->functions_memory_ += new_size - (block != nullptr ? old_size : 0);
  return grown;
}

void* ScriptEngine::Allocate(void* engine, void* block, size_t old_size, size_t new_size) {
  auto* self = static_cast<ScriptEngine*>(engine);
  if (new_size == 0) {
    self->lua_memory_ -= block != nullptr ? old_size : 0;
    std::free(block);
    return nullptr;
  }
  void* grown = std::realloc(block, new_size);
  if (grown != nullptr) self->lua_memory_ += new_size - (block != nullptr ? old_size : 0);
  return grown;
}

std::string ScriptEngine::Load(std::string_view body, std::string* sha) {
  *sha = HexDigest(Sha1Digest(body));
  if (scripts_.count(*sha) != 0) return "";
  uint32_t flags = 0;
  size_t shebang_len = 0;
  const std::string shebang_error = ParseShebang(body, &flags, &shebang_len);
  if (!shebang_error.empty()) return "ERR " + shebang_error;
  // The shebang line is left out but its line feed kept, so line numbers stay the user's.
  const std::string_view code = body.substr(shebang_len);
  if (luaL_loadbuffer(lua_, code.data(), code.size(), "@user_script") != 0) {
    std::string error = "ERR Error compiling script (new function): ";
    error += lua_tostring(lua_, -1);
    lua_pop(lua_, 1);
    return error;
  }
  lua_getfield(lua_, LUA_REGISTRYINDEX, kScripts);
  lua_insert(lua_, -2);
  lua_setfield(lua_, -2, sha->c_str());
  lua_pop(lua_, 1);
  scripts_[*sha] = Script{flags, body.size()};
  scripts_bytes_ += body.size();
  return "";
}

bool ScriptEngine::Exists(std::string_view sha) const { return scripts_.count(std::string(sha)) != 0; }

void ScriptEngine::Flush() {
  lua_newtable(lua_);
  lua_setfield(lua_, LUA_REGISTRYINDEX, kScripts);
  scripts_.clear();
  scripts_bytes_ = 0;
  lua_gc(lua_, LUA_GCCOLLECT, 0);
}

std::string_view KillRefusal(ScriptEngine::KillOutcome outcome, bool function_kill) {
  switch (outcome) {
    case ScriptEngine::KillOutcome::kNotBusy:
      return "NOTBUSY No scripts in execution right now.";
    case ScriptEngine::KillOutcome::kUnkillable:
      return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait "
             "the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
    case ScriptEngine::KillOutcome::kWrongKind:
      return function_kill ? "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
                           : "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
    case ScriptEngine::KillOutcome::kKilled:
      break;
  }
  return "";
}

std::string_view ScriptEngine::busy_error() const {
  return run_ != nullptr && run_->function
             ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
             : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
}

ScriptEngine::KillOutcome ScriptEngine::Kill(bool function_kill) {
  if (run_ == nullptr) return KillOutcome::kNotBusy;
  if (run_->wrote) return KillOutcome::kUnkillable;
  if (run_->function != function_kill) return KillOutcome::kWrongKind;
  run_->killed = true;
  return KillOutcome::kKilled;
}

bool ScriptEngine::Admit(ReplyWriter& reply, uint32_t flags, bool read_only, bool* oom) {
  const EngineOptions& options = server_.shard().options();
  *oom = options.maxmemory > 0 && !server_.shard().EnforceMaxmemory().ok();
  // Redis's checks before a script with a shebang runs: it says up front whether it writes.
  if (flags & kScriptEvalCompat) return true;
  if (!(flags & kScriptAllowOom) && *oom && !(flags & kScriptNoWrites)) {
    reply.Error("OOM command not allowed when used memory > 'maxmemory'.");
    return false;
  }
  if (!(flags & kScriptNoWrites)) {
    if (Durability* durability = server_.durability(); durability != nullptr && !durability->write_refusal().empty()) {
      reply.Error("MISCONF " + durability->write_refusal());
      return false;
    }
    if (read_only) {
      reply.Error("ERR Can not execute a script with write flag using *_ro command.");
      return false;
    }
  }
  return true;
}

void ScriptEngine::Run(Client& caller, std::string_view sha, std::span<const std::string_view> keys,
                       std::span<const std::string_view> args, bool read_only) {
  ReplyWriter& reply = caller.reply;
  const auto script = scripts_.find(std::string(sha));
  if (script == scripts_.end()) return reply.Error("NOSCRIPT No matching script. Please use EVAL.");
  const uint32_t flags = script->second.flags;
  bool oom = false;
  if (!Admit(reply, flags, read_only, &oom)) return;
  run_ = std::make_unique<RunState>();
  run_->name = std::string(sha);
  Invoke(lua_, caller, flags, read_only, oom, [&] {
    lua_getfield(lua_, LUA_REGISTRYINDEX, kScripts);
    lua_getfield(lua_, -1, run_->name.c_str());
    lua_remove(lua_, -2);
    SetScriptArguments(lua_, keys, args);
    return 0;
  });
}

void ScriptEngine::CallFunction(Client& caller, std::string_view name, std::span<const std::string_view> keys,
                                std::span<const std::string_view> args, bool read_only,
                                std::span<const std::string_view> command) {
  ReplyWriter& reply = caller.reply;
  const LuaFunction* function = functions_->Find(name);
  if (function == nullptr) return reply.Error("ERR Function not found");
  bool oom = false;
  if (!Admit(reply, function->flags, read_only, &oom)) return;
  run_ = std::make_unique<RunState>();
  run_->name = function->name;
  run_->function = true;
  run_->command.assign(command.begin(), command.end());
  const int ref = function->ref;
  Invoke(functions_lua_, caller, function->flags, read_only, oom, [&] {
    lua_rawgeti(functions_lua_, LUA_REGISTRYINDEX, ref);
    for (std::span<const std::string_view> list : {keys, args}) {
      lua_createtable(functions_lua_, static_cast<int>(list.size()), 0);
      for (size_t i = 0; i < list.size(); ++i) {
        lua_pushlstring(functions_lua_, list[i].data(), list[i].size());
        lua_rawseti(functions_lua_, -2, static_cast<int>(i + 1));
      }
    }
    return 2;
  });
}

template <typename Push>
void ScriptEngine::Invoke(lua_State* lua, Client& caller, uint32_t flags, bool read_only, bool oom, Push&& push) {
  ReplyWriter& reply = caller.reply;
  run_->caller = &caller;
  run_->flags = flags;
  run_->read_only = read_only || (flags & kScriptNoWrites);
  run_->oom_at_start = oom;
  run_->started = std::chrono::steady_clock::now();
  // The script's own client: the caller's id (so what it reads holds the caller's
  // reply under appendfsync always), its db, and RESP2 until redis.setresp.
  script_client_.id = caller.id;
  script_client_.db = caller.db;
  script_client_.user = caller.user;  // the script's commands run with the caller's permissions
  script_client_.reply.set_protocol(2);
  script_client_.output.clear();

  const int base = lua_gettop(lua);
  lua_pushcfunction(lua, ScriptErrorHandler);
  const int nargs = push();
  const bool watch_time = server_.settings().busy_reply_threshold_ms > 0;
  if (watch_time) lua_sethook(lua, CountHook, LUA_MASKCOUNT, kHookInstructions);
  const int failed = lua_pcall(lua, nargs, 1, base + 1);
  if (watch_time) lua_sethook(lua, nullptr, 0, 0);

  const bool timed_out = run_->timed_out;
  if (timed_out) {
    caller.suspended = run_->caller_was_suspended;
    LogWarning("Slow script finished: " + run_->name);
  }
  if (failed) {
    ReplyScriptError(lua, reply);
  } else {
    const int resp = script_client_.reply.protocol();
    WriteLuaAsReply(lua, reply, resp);
  }
  lua_settop(lua, base);
  if (run_->abandoned) server_.AbandonPendingChanges();
  run_.reset();
  if (timed_out) server_.ResumeDeferredTasks();
  script_client_.output.clear();
  // Garbage must not pile up between scripts, but a collector step walks the sandbox's
  // tables whatever the script left behind: a step per script cost a short script a
  // third of its time. So one larger step every kScriptsPerGcStep scripts, as Redis does.
  if (++runs_since_gc_step_ >= kScriptsPerGcStep) {
    runs_since_gc_step_ = 0;
    lua_gc(lua, LUA_GCSTEP, kScriptsPerGcStep);
  }
}

void ScriptEngine::ReplyScriptError(lua_State* lua, ReplyWriter& reply) {
  if (!lua_istable(lua, -1)) {
    const char* text = lua_tostring(lua, -1);
    return reply.Error("ERR Error running script " + run_->name + ", " +
                       std::string(text != nullptr ? text : "execution failure").substr(0, 100));
  }
  // Raw reads: a metamethod of the script's error table must not run out here,
  // outside the protected call.
  lua_pushstring(lua, "err");
  lua_rawget(lua, -2);
  std::string message = lua_isstring(lua, -1) ? lua_tostring(lua, -1) : "ERR unknown error";
  lua_pop(lua, 1);
  lua_pushstring(lua, "source");
  lua_rawget(lua, -2);
  lua_pushstring(lua, "line");
  lua_rawget(lua, -3);
  if (lua_isstring(lua, -2) && lua_isnumber(lua, -1)) {
    message += " script: " + run_->name + ", on " + lua_tostring(lua, -2) + ":" +
               std::to_string(static_cast<long long>(lua_tonumber(lua, -1))) + ".";
  }
  lua_pop(lua, 2);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  reply.Error(message, ErrorCountedElsewhere(lua, -1));
}

void ScriptEngine::CountHook(lua_State* lua, lua_Debug*) {
  void* engine = nullptr;
  lua_getallocf(lua, &engine);
  static_cast<ScriptEngine*>(engine)->OnCountHook(lua);
}

void ScriptEngine::OnCountHook(lua_State* lua) {
  RunState& run = *run_;
  if (!run.timed_out) {
    const auto elapsed = std::chrono::steady_clock::now() - run.started;
    if (elapsed < std::chrono::milliseconds(server_.settings().busy_reply_threshold_ms)) return;
    run.timed_out = true;
    LogWarning("Slow script detected: still in execution after " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) +
               " milliseconds. You can try killing the script using the SCRIPT KILL command. Script name is: " +
               run.name + ".");
    // The caller reads nothing more until the script ends (its connection is inside
    // this command); other clients are served from here, answered BUSY.
    run.caller_was_suspended = run.caller->suspended;
    run.caller->suspended = true;
  }
  server_.ServeWhileBusy();
  if (server_.stopping()) {
    run.abandoned = true;
    lua_pushstring(lua, "Script abandoned: the server is shutting down");
    lua_error(lua);
  }
  if (run.killed) {
    lua_pushlstring(lua, kKilledText.data(), kKilledText.size());
    lua_error(lua);
  }
}

}  // namespace tierkv
