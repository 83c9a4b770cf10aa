#include "server/scripting/function_libraries.h"

#include <cctype>
#include <chrono>
#include <utility>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "engine/rdb/function_payload.h"
#include "server/scripting/function_library.h"
#include "server/scripting/lua_sandbox.h"
#include "server/scripting/script_engine.h"

namespace tierkv {
namespace {

struct FlagName {
  const char* name;
  uint32_t flag;
};
constexpr FlagName kFunctionFlags[] = {
    {"no-writes", kScriptNoWrites},     {"allow-oom", kScriptAllowOom},
    {"allow-stale", kScriptAllowStale}, {"no-cluster", kScriptNoCluster},
    {"allow-cross-slot-keys", kScriptAllowCrossSlotKeys},
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Raises Redis's error table {err = "ERR <text>"}. Nothing with a destructor may be
// alive in the caller's frame: Lua errors longjmp.
int RaiseError(lua_State* lua, const char* text) {
  lua_newtable(lua);
  lua_pushstring(lua, "ERR ");
  lua_pushstring(lua, text);
  lua_concat(lua, 2);
  lua_setfield(lua, -2, "err");
  return lua_error(lua);
}

// A string argument (a number is taken as its text, as Lua's lua_isstring), or nullptr.
const char* StringAt(lua_State* lua, int index, size_t* len) {
  return lua_isstring(lua, index) ? lua_tolstring(lua, index, len) : nullptr;
}

// A load run may take this long (Redis's LOAD_TIMEOUT_MS), checked every this many
// instructions.
constexpr auto kLoadTimeout = std::chrono::milliseconds(500);
constexpr int kLoadHookInstructions = 100000;

// The deadline of the load run in progress (engine thread only; one run at a time).
std::chrono::steady_clock::time_point load_deadline;

void LoadHook(lua_State* lua, lua_Debug*) {
  if (std::chrono::steady_clock::now() < load_deadline) return;
  lua_newtable(lua);
  lua_pushstring(lua, "ERR FUNCTION LOAD timeout");
  lua_setfield(lua, -2, "err");
  lua_error(lua);
}

}  // namespace

FunctionLibraries::FunctionLibraries(lua_State* lua) : lua_(lua) {
  OpenLibraryLoadApi(lua_, RegisterFunction, this);
}

const LuaFunction* FunctionLibraries::Find(std::string_view name) const {
  const auto owner = owner_.find(name);
  if (owner == owner_.end()) return nullptr;
  const FunctionLibrary& library = libraries_.at(owner->second);
  return &library.functions.at(std::string(name));
}

size_t FunctionLibraries::code_bytes() const {
  size_t bytes = 0;
  for (const auto& [name, library] : libraries_) bytes += library.code.size();
  return bytes;
}

// redis.register_function(name, callback) or redis.register_function{function_name=...,
// callback=..., flags={...}, description=...}. The new function goes into the library
// being loaded; errors are raised before anything is kept.
int FunctionLibraries::RegisterFunction(lua_State* lua) {
  auto* self = static_cast<FunctionLibraries*>(lua_touserdata(lua, lua_upvalueindex(1)));
  if (self->loading_ == nullptr) return RaiseError(lua, "redis.register_function can only be called on FUNCTION LOAD command");
  const int argc = lua_gettop(lua);
  if (argc < 1 || argc > 2) return RaiseError(lua, "wrong number of arguments to redis.register_function");
  const char* name = nullptr;
  size_t name_len = 0;
  const char* description = nullptr;
  size_t description_len = 0;
  uint32_t flags = 0;
  int callback = 0;  // stack index
  if (argc == 2) {
    name = StringAt(lua, 1, &name_len);
    if (name == nullptr) return RaiseError(lua, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(lua, 2)) return RaiseError(lua, "second argument to redis.register_function must be a function");
    callback = 2;
  } else {
    if (!lua_istable(lua, 1)) {
      return RaiseError(lua, "calling redis.register_function with a single argument is only applicable to Lua table "
                             "(representing named arguments).");
    }
    lua_settop(lua, 2);  // slot 2 will hold the callback
    lua_pushnil(lua);
    while (lua_next(lua, 1) != 0) {
      if (lua_type(lua, -2) != LUA_TSTRING) {
        return RaiseError(lua, "named argument key given to redis.register_function is not a string");
      }
      const char* key = lua_tostring(lua, -2);
      if (EqualsNoCase(key, "function_name")) {
        name = StringAt(lua, -1, &name_len);
        if (name == nullptr) return RaiseError(lua, "function_name argument given to redis.register_function must be a string");
      } else if (EqualsNoCase(key, "description")) {
        description = StringAt(lua, -1, &description_len);
        if (description == nullptr) {
          return RaiseError(lua, "description argument given to redis.register_function must be a string");
        }
      } else if (EqualsNoCase(key, "callback")) {
        if (!lua_isfunction(lua, -1)) {
          return RaiseError(lua, "callback argument given to redis.register_function must be a function");
        }
        callback = 2;
        lua_pushvalue(lua, -1);
        lua_replace(lua, callback);
      } else if (EqualsNoCase(key, "flags")) {
        if (!lua_istable(lua, -1)) {
          return RaiseError(lua, "flags argument to redis.register_function must be a table representing function flags");
        }
        for (int i = 1;; ++i) {
          lua_rawgeti(lua, -1, i);
          if (lua_isnil(lua, -1)) {
            lua_pop(lua, 1);
            break;
          }
          uint32_t flag = 0;
          if (lua_type(lua, -1) == LUA_TSTRING) {
            for (const FlagName& known : kFunctionFlags) {
              if (std::string_view(lua_tostring(lua, -1)) == known.name) flag = known.flag;
            }
          }
          if (flag == 0) return RaiseError(lua, "unknown flag given");
          flags |= flag;
          lua_pop(lua, 1);
        }
      } else {
        return RaiseError(lua, "unknown argument given to redis.register_function");
      }
      lua_pop(lua, 1);
    }
    if (name == nullptr) return RaiseError(lua, "redis.register_function must get a function name argument");
    if (callback == 0) return RaiseError(lua, "redis.register_function must get a callback argument");
  }
  const std::string_view function_name(name, name_len);
  if (!IsValidFunctionName(function_name)) {
    return RaiseError(lua, "Function names can only contain letters, numbers, or underscores(_) and must be at least "
                           "one character long");
  }
  if (self->loading_->functions.count(std::string(function_name)) != 0) {
    return RaiseError(lua, "Function already exists in the library");
  }
  lua_pushvalue(lua, callback);
  LuaFunction function;
  function.ref = luaL_ref(lua, LUA_REGISTRYINDEX);
  function.name = std::string(function_name);
  function.flags = flags;
  if (description != nullptr) {
    function.has_description = true;
    function.description.assign(description, description_len);
  }
  std::string key = function.name;
  self->loading_->functions.emplace(std::move(key), std::move(function));
  return 0;
}

std::string FunctionLibraries::Create(std::string_view code, FunctionLibrary* library) {
  LibraryMetadata metadata;
  if (std::string error = ParseLibraryMetadata(code, &metadata); !error.empty()) return error;
  if (!IsValidFunctionName(metadata.name)) {
    return "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
  }
  if (!EqualsNoCase(metadata.engine, "lua")) return "Engine '" + metadata.engine + "' not found";
  library->name = metadata.name;
  library->code = std::string(code);
  // The metadata line is left out but its line feed kept, so line numbers stay the user's.
  const std::string_view body = code.substr(code.find('\n'));
  if (luaL_loadbuffer(lua_, body.data(), body.size(), "@user_function") != 0) {
    std::string error = std::string("Error compiling function: ") + lua_tostring(lua_, -1);
    lua_pop(lua_, 1);
    return error;
  }
  UseLoadGlobals(lua_, true);
  loading_ = library;
  load_deadline = std::chrono::steady_clock::now() + kLoadTimeout;
  lua_sethook(lua_, LoadHook, LUA_MASKCOUNT, kLoadHookInstructions);
  const int failed = lua_pcall(lua_, 0, 0, 0);
  lua_sethook(lua_, nullptr, 0, 0);
  loading_ = nullptr;
  UseLoadGlobals(lua_, false);
  if (failed) {
    std::string message = "ERR unknown error";
    if (lua_istable(lua_, -1)) {
      lua_pushstring(lua_, "err");
      lua_rawget(lua_, -2);
      if (lua_isstring(lua_, -1)) message = lua_tostring(lua_, -1);
      lua_pop(lua_, 1);
    } else if (lua_isstring(lua_, -1)) {
      message = std::string("ERR ") + lua_tostring(lua_, -1);
    }
    lua_pop(lua_, 1);
    Release(*library);
    return "Error registering functions: " + message;
  }
  if (library->functions.empty()) return "No functions registered";
  return "";
}

void FunctionLibraries::Release(FunctionLibrary& library) {
  for (auto& [name, function] : library.functions) luaL_unref(lua_, LUA_REGISTRYINDEX, function.ref);
  library.functions.clear();
}

void FunctionLibraries::Insert(FunctionLibrary library) {
  for (const auto& [name, function] : library.functions) owner_[name] = library.name;
  std::string name = library.name;
  libraries_.emplace(std::move(name), std::move(library));
}

FunctionLibrary FunctionLibraries::Remove(const std::string& name) {
  auto found = libraries_.find(name);
  FunctionLibrary library = std::move(found->second);
  libraries_.erase(found);
  for (const auto& [function, unused] : library.functions) owner_.erase(function);
  return library;
}

std::string FunctionLibraries::Join(std::vector<FunctionLibrary>& incoming, bool replace) {
  std::vector<FunctionLibrary> replaced;
  std::string error;
  for (const FunctionLibrary& library : incoming) {
    if (libraries_.count(library.name) == 0) continue;
    if (!replace) {
      error = "Library " + library.name + " already exists";
      break;
    }
    replaced.push_back(Remove(library.name));
  }
  for (size_t i = 0; i < incoming.size() && error.empty(); ++i) {
    for (const auto& [name, function] : incoming[i].functions) {
      if (owner_.count(name) != 0) {
        error = "Function " + name + " already exists";
        break;
      }
    }
  }
  if (!error.empty()) {
    for (FunctionLibrary& library : replaced) Insert(std::move(library));
    for (FunctionLibrary& library : incoming) Release(library);
    return error;
  }
  for (FunctionLibrary& library : replaced) Release(library);
  for (FunctionLibrary& library : incoming) Insert(std::move(library));
  return "";
}

std::string FunctionLibraries::Load(std::string_view code, bool replace, std::string* name) {
  // Redis refuses an existing library before running any of its code.
  LibraryMetadata metadata;
  if (!replace && ParseLibraryMetadata(code, &metadata).empty() && IsValidFunctionName(metadata.name) &&
      EqualsNoCase(metadata.engine, "lua") && libraries_.count(metadata.name) != 0) {
    return "ERR Library '" + metadata.name + "' already exists";
  }
  std::vector<FunctionLibrary> incoming(1);
  if (std::string error = Create(code, &incoming[0]); !error.empty()) {
    Release(incoming[0]);
    return "ERR " + error;
  }
  *name = incoming[0].name;
  if (std::string error = Join(incoming, replace); !error.empty()) return "ERR " + error;
  return "";
}

bool FunctionLibraries::Delete(std::string_view name) {
  if (libraries_.count(std::string(name)) == 0) return false;
  FunctionLibrary library = Remove(std::string(name));
  Release(library);
  lua_gc(lua_, LUA_GCCOLLECT, 0);
  return true;
}

void FunctionLibraries::Flush() {
  for (auto& [name, library] : libraries_) Release(library);
  libraries_.clear();
  owner_.clear();
  lua_gc(lua_, LUA_GCCOLLECT, 0);
}

std::string FunctionLibraries::Dump() const {
  std::vector<std::string_view> codes;
  for (const auto& [name, library] : libraries_) codes.push_back(library.code);
  return EncodeFunctionsPayload(codes);
}

std::string FunctionLibraries::Restore(std::string_view payload, RestorePolicy policy) {
  std::vector<std::string> codes;
  if (std::string error = DecodeFunctionsPayload(payload, &codes); !error.empty()) return "ERR " + error;
  std::vector<FunctionLibrary> incoming;
  std::string error;
  for (const std::string& code : codes) {
    FunctionLibrary library;
    error = Create(code, &library);
    if (error.empty()) {
      for (const FunctionLibrary& other : incoming) {
        if (other.name == library.name) error = "Library '" + library.name + "' already exists";
        for (const auto& [name, function] : library.functions) {
          if (error.empty() && other.functions.count(name) != 0) error = "Function " + name + " already exists";
        }
      }
    }
    if (!error.empty()) {
      Release(library);
      break;
    }
    incoming.push_back(std::move(library));
  }
  if (!error.empty()) {
    for (FunctionLibrary& library : incoming) Release(library);
    return "ERR " + error;
  }
  if (policy == RestorePolicy::kFlush) {
    Flush();
    for (FunctionLibrary& library : incoming) Insert(std::move(library));
    return "";
  }
  error = Join(incoming, policy == RestorePolicy::kReplace);
  return error.empty() ? "" : "ERR " + error;
}

}  // namespace tierkv
