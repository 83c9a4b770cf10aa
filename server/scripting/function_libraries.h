// FunctionLibraries: the libraries FUNCTION LOAD creates and the functions they register,
// in the Lua state that runs functions (apart from EVAL's, as in Redis 7).
//
// Loading runs the library's code once with globals that hold only a small `redis`
// table (register_function, log, the version and log-level constants): the run may
// only register functions, so redis.call, other libraries and new globals all fail
// there as in Redis. Each registered callback is kept in the Lua registry and later
// called by ScriptEngine::CallFunction with (keys, args), seeing the same sandbox as
// EVAL scripts (without KEYS and ARGV).
//
// A library is replaced, restored or deleted as a whole: every change either applies
// completely or leaves the libraries as they were.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

struct lua_State;

namespace tierkv {

struct LuaFunction {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;  // ScriptFlag bits (never kScriptEvalCompat)
  int ref = 0;         // the callback in the Lua registry
};

struct FunctionLibrary {
  std::string name;
  std::string code;
  std::map<std::string, LuaFunction> functions;
};

enum class RestorePolicy { kAppend, kReplace, kFlush };

class FunctionLibraries {
 public:
  // `lua` has the sandbox open; its registry keeps the callbacks.
  explicit FunctionLibraries(lua_State* lua);
  FunctionLibraries(const FunctionLibraries&) = delete;
  FunctionLibraries& operator=(const FunctionLibraries&) = delete;

  // FUNCTION LOAD [REPLACE]: on success sets *name and returns ""; otherwise Redis's
  // error reply text.
  std::string Load(std::string_view code, bool replace, std::string* name);
  bool Delete(std::string_view name);
  void Flush();
  // FUNCTION DUMP's payload (function_library.h).
  std::string Dump() const;
  // FUNCTION RESTORE: "" or Redis's error reply text.
  std::string Restore(std::string_view payload, RestorePolicy policy);

  const LuaFunction* Find(std::string_view name) const;
  const std::map<std::string, FunctionLibrary>& libraries() const { return libraries_; }
  size_t function_count() const { return owner_.size(); }
  size_t code_bytes() const;
  lua_State* lua() const { return lua_; }

 private:
  static int RegisterFunction(lua_State* lua);
  // Compiles and runs `code` into *library; "" or the error text (without "ERR ").
  std::string Create(std::string_view code, FunctionLibrary* library);
  // Adds `incoming` (checked among themselves) to the current libraries; with `replace`
  // a library of the same name goes, otherwise it is an error. All or nothing.
  std::string Join(std::vector<FunctionLibrary>& incoming, bool replace);
  void Release(FunctionLibrary& library);
  void Insert(FunctionLibrary library);
  FunctionLibrary Remove(const std::string& name);

  lua_State* lua_;
  std::map<std::string, FunctionLibrary> libraries_;
  std::map<std::string, std::string, std::less<>> owner_;  // function name -> library name
  FunctionLibrary* loading_ = nullptr;                    // the library a load run fills
};

}  // namespace tierkv
