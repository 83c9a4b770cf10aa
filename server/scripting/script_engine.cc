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
}

ScriptEngine::~ScriptEngine() { lua_close(lua_); }

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

ScriptEngine::KillOutcome ScriptEngine::Kill() {
  if (run_ == nullptr) return KillOutcome::kNotBusy;
  if (run_->wrote) return KillOutcome::kUnkillable;
  run_->killed = true;
  return KillOutcome::kKilled;
}

void ScriptEngine::Run(Client& caller, std::string_view sha, std::span<const std::string_view> keys,
                       std::span<const std::string_view> args, bool read_only) {
  ReplyWriter& reply = caller.reply;
  const auto script = scripts_.find(std::string(sha));
  if (script == scripts_.end()) return reply.Error("NOSCRIPT No matching script. Please use EVAL.");
  const uint32_t flags = script->second.flags;
  const EngineOptions& options = server_.shard().options();
  const bool oom = options.maxmemory > 0 && !server_.shard().EnforceMaxmemory().ok();

  // Redis's checks before a script with a shebang runs: it says up front whether it writes.
  if (!(flags & kScriptEvalCompat)) {
    if (!(flags & kScriptAllowOom) && oom && !(flags & kScriptNoWrites)) {
      return reply.Error("OOM command not allowed when used memory > 'maxmemory'.");
    }
    if (!(flags & kScriptNoWrites)) {
      if (Durability* durability = server_.durability(); durability != nullptr && !durability->write_refusal().empty()) {
        return reply.Error("MISCONF " + durability->write_refusal());
      }
      if (read_only) return reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    }
  }

  run_ = std::make_unique<RunState>();
  run_->caller = &caller;
  run_->sha = std::string(sha);
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

  const int base = lua_gettop(lua_);
  lua_pushcfunction(lua_, ScriptErrorHandler);
  lua_getfield(lua_, LUA_REGISTRYINDEX, kScripts);
  lua_getfield(lua_, -1, run_->sha.c_str());
  lua_remove(lua_, -2);
  SetScriptArguments(lua_, keys, args);
  const bool watch_time = server_.settings().busy_reply_threshold_ms > 0;
  if (watch_time) lua_sethook(lua_, CountHook, LUA_MASKCOUNT, kHookInstructions);
  const int failed = lua_pcall(lua_, 0, 1, base + 1);
  if (watch_time) lua_sethook(lua_, nullptr, 0, 0);

  const bool timed_out = run_->timed_out;
  if (timed_out) {
    caller.suspended = run_->caller_was_suspended;
    LogWarning("Slow script finished: " + run_->sha);
  }
  if (failed) {
    ReplyScriptError(reply);
  } else {
    const int resp = script_client_.reply.protocol();
    WriteLuaAsReply(lua_, reply, resp);
  }
  lua_settop(lua_, base);
  if (run_->abandoned) server_.AbandonPendingChanges();
  run_.reset();
  if (timed_out) server_.ResumeDeferredTasks();
  script_client_.output.clear();
  // Redis collects a little after every script so garbage never piles up between them.
  lua_gc(lua_, LUA_GCSTEP, 1);
}

void ScriptEngine::ReplyScriptError(ReplyWriter& reply) {
  if (!lua_istable(lua_, -1)) {
    const char* text = lua_tostring(lua_, -1);
    return reply.Error("ERR Error running script " + run_->sha + ", " +
                       std::string(text != nullptr ? text : "execution failure").substr(0, 100));
  }
  // Raw reads: a metamethod of the script's error table must not run out here,
  // outside the protected call.
  lua_pushstring(lua_, "err");
  lua_rawget(lua_, -2);
  std::string message = lua_isstring(lua_, -1) ? lua_tostring(lua_, -1) : "ERR unknown error";
  lua_pop(lua_, 1);
  lua_pushstring(lua_, "source");
  lua_rawget(lua_, -2);
  lua_pushstring(lua_, "line");
  lua_rawget(lua_, -3);
  if (lua_isstring(lua_, -2) && lua_isnumber(lua_, -1)) {
    message += " script: " + run_->sha + ", on " + lua_tostring(lua_, -2) + ":" +
               std::to_string(static_cast<long long>(lua_tonumber(lua_, -1))) + ".";
  }
  lua_pop(lua_, 2);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  reply.Error(message);
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
               run.sha + ".");
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
