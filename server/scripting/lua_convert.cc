#include "server/scripting/lua_convert.h"

#include <charconv>
#include <cstdlib>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "server/reply_writer.h"

namespace tierkv {
namespace {

// Reads replies a ReplyWriter wrote: well-formed by construction, so a malformed
// byte only ever means "incomplete" (and the caller has a whole reply).
class ReplyReader {
 public:
  ReplyReader(lua_State* lua, std::string_view bytes) : lua_(lua), bytes_(bytes) {}

  bool PushValue() {
    if (pos_ >= bytes_.size()) return false;
    const char type = bytes_[pos_++];
    std::string_view line;
    if (!ReadLine(&line)) return false;
    // No Lua error from here (the caller holds C++ objects): a reply nested past Lua's
    // stack fails like an incomplete one.
    if (!lua_checkstack(lua_, 4)) return false;
    switch (type) {
      case '+':
        return PushField("ok", line);
      case '-':
        return PushField("err", line);
      case ':':
        lua_pushnumber(lua_, static_cast<lua_Number>(std::strtoll(std::string(line).c_str(), nullptr, 10)));
        return true;
      case '$':
      case '=': {
        const long long len = Number(line);
        if (len < 0) {
          lua_pushboolean(lua_, 0);
          return true;
        }
        if (pos_ + static_cast<size_t>(len) + 2 > bytes_.size()) return false;
        std::string_view data = bytes_.substr(pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len) + 2;
        if (type == '$') {
          lua_pushlstring(lua_, data.data(), data.size());
          return true;
        }
        // Verbatim: "fmt:text".
        lua_newtable(lua_);
        lua_pushstring(lua_, "verbatim_string");
        lua_newtable(lua_);
        lua_pushstring(lua_, "format");
        lua_pushlstring(lua_, data.data(), std::min<size_t>(3, data.size()));
        lua_settable(lua_, -3);
        lua_pushstring(lua_, "string");
        std::string_view text = data.size() >= 4 ? data.substr(4) : std::string_view();
        lua_pushlstring(lua_, text.data(), text.size());
        lua_settable(lua_, -3);
        lua_settable(lua_, -3);
        return true;
      }
      case '*':
      case '>': {
        const long long count = Number(line);
        if (count < 0) {
          lua_pushboolean(lua_, 0);
          return true;
        }
        lua_newtable(lua_);
        for (long long i = 1; i <= count; ++i) {
          lua_pushnumber(lua_, static_cast<lua_Number>(i));
          if (!PushValue()) return false;
          lua_settable(lua_, -3);
        }
        return true;
      }
      case '%':
      case '~': {
        const long long count = Number(line);
        lua_newtable(lua_);
        lua_pushstring(lua_, type == '%' ? "map" : "set");
        lua_newtable(lua_);
        for (long long i = 0; i < count; ++i) {
          if (!PushValue()) return false;
          if (type == '%') {
            if (!PushValue()) return false;
          } else {
            lua_pushboolean(lua_, 1);
          }
          lua_settable(lua_, -3);
        }
        lua_settable(lua_, -3);
        return true;
      }
      case '_':
        lua_pushnil(lua_);
        return true;
      case '#':
        lua_pushboolean(lua_, line == "t");
        return true;
      case ',': {
        lua_newtable(lua_);
        lua_pushstring(lua_, "double");
        lua_pushnumber(lua_, static_cast<lua_Number>(std::strtod(std::string(line).c_str(), nullptr)));
        lua_settable(lua_, -3);
        return true;
      }
      case '(':
        return PushField("big_number", line);
      case '|': {
        // An attribute describes the reply after it; scripts see only the reply.
        const long long pairs = Number(line);
        for (long long i = 0; i < 2 * pairs; ++i) {
          if (!PushValue()) return false;
          lua_pop(lua_, 1);
        }
        return PushValue();
      }
      default:
        return false;
    }
  }

  size_t position() const { return pos_; }

 private:
  bool ReadLine(std::string_view* line) {
    const size_t end = bytes_.find("\r\n", pos_);
    if (end == std::string_view::npos) return false;
    *line = bytes_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return true;
  }

  static long long Number(std::string_view text) {
    long long value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  }

  bool PushField(const char* name, std::string_view value) {
    lua_newtable(lua_);
    lua_pushstring(lua_, name);
    lua_pushlstring(lua_, value.data(), value.size());
    lua_settable(lua_, -3);
    return true;
  }

  lua_State* lua_;
  std::string_view bytes_;
  size_t pos_ = 0;
};

// The string field `name` of the table at the top of the stack, or nullopt-like empty
// with *found false.
bool TableString(lua_State* lua, const char* name, std::string* out) {
  lua_pushstring(lua, name);
  lua_rawget(lua, -2);
  const bool found = lua_type(lua, -1) == LUA_TSTRING;
  if (found) {
    size_t len = 0;
    const char* text = lua_tolstring(lua, -1, &len);
    out->assign(text, len);
  }
  lua_pop(lua, 1);
  return found;
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text;
}

void WriteTable(lua_State* lua, ReplyWriter& reply, int script_resp) {
  std::string text;
  if (TableString(lua, "err", &text)) {
    // A table error as a reply: its text as is (Redis trims the newline it may end with).
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return reply.Error(text, ErrorCountedElsewhere(lua, -1));
  }
  if (TableString(lua, "ok", &text)) return reply.SimpleString(OneLine(std::move(text)));

  lua_pushstring(lua, "double");
  lua_rawget(lua, -2);
  if (lua_type(lua, -1) == LUA_TNUMBER) {
    reply.Double(lua_tonumber(lua, -1));
    lua_pop(lua, 1);
    return;
  }
  lua_pop(lua, 1);

  if (TableString(lua, "big_number", &text)) return reply.BigNumber(OneLine(std::move(text)));

  lua_pushstring(lua, "verbatim_string");
  lua_rawget(lua, -2);
  if (lua_type(lua, -1) == LUA_TTABLE) {
    std::string format;
    std::string body;
    if (TableString(lua, "format", &format) && TableString(lua, "string", &body)) {
      lua_pop(lua, 1);
      return reply.Verbatim(body, format);
    }
  }
  lua_pop(lua, 1);

  for (const char* aggregate : {"map", "set"}) {
    lua_pushstring(lua, aggregate);
    lua_rawget(lua, -2);
    if (lua_type(lua, -1) != LUA_TTABLE) {
      lua_pop(lua, 1);
      continue;
    }
    const bool map = aggregate[0] == 'm';
    size_t count = 0;
    lua_pushnil(lua);
    while (lua_next(lua, -2)) {
      ++count;
      lua_pop(lua, 1);
    }
    map ? reply.Map(count) : reply.Set(count);
    lua_pushnil(lua);
    while (lua_next(lua, -2)) {
      // Stack: table, key, value. The key is written from a copy: lua_next needs it intact.
      lua_pushvalue(lua, -2);
      WriteLuaAsReply(lua, reply, script_resp);
      lua_pop(lua, 1);
      if (map) WriteLuaAsReply(lua, reply, script_resp);
      lua_pop(lua, 1);
    }
    lua_pop(lua, 1);
    return;
  }

  // An array, up to the first nil.
  size_t count = 0;
  for (;;) {
    lua_rawgeti(lua, -1, static_cast<int>(count + 1));
    const bool present = !lua_isnil(lua, -1);
    lua_pop(lua, 1);
    if (!present) break;
    ++count;
  }
  reply.Array(count);
  for (size_t i = 1; i <= count; ++i) {
    lua_rawgeti(lua, -1, static_cast<int>(i));
    WriteLuaAsReply(lua, reply, script_resp);
    lua_pop(lua, 1);
  }
}

}  // namespace

int64_t LuaNumberToInteger(double number) {
  if (!(number > -9223372036854775808.0 && number < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(number);
}

size_t PushReplyAsLua(lua_State* lua, std::string_view reply) {
  const int top = lua_gettop(lua);
  ReplyReader reader(lua, reply);
  if (!reader.PushValue()) {
    lua_settop(lua, top);
    return 0;
  }
  return reader.position();
}

void WriteLuaAsReply(lua_State* lua, ReplyWriter& reply, int script_resp) {
  // This runs outside the script's protected call: a Lua error here would abort the
  // process, so a value nested too deeply becomes an error element, as in Redis.
  if (!lua_checkstack(lua, 4)) return reply.Error("ERR reached lua stack limit");
  switch (lua_type(lua, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* data = lua_tolstring(lua, -1, &len);
      reply.Bulk(std::string_view(data, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 3) {
        reply.Boolean(lua_toboolean(lua, -1) != 0);
      } else if (lua_toboolean(lua, -1)) {
        reply.Integer(1);
      } else {
        reply.Null();
      }
      break;
    case LUA_TNUMBER:
      reply.Integer(LuaNumberToInteger(lua_tonumber(lua, -1)));
      break;
    case LUA_TTABLE:
      WriteTable(lua, reply, script_resp);
      break;
    default:
      reply.Null();
  }
}

bool ErrorCountedElsewhere(lua_State* lua, int index) {
  const int table = index < 0 ? lua_gettop(lua) + index + 1 : index;  // the push below moves the top
  lua_pushstring(lua, kCountedErrorField);
  lua_rawget(lua, table);
  const bool counted = lua_toboolean(lua, -1) != 0;
  lua_pop(lua, 1);
  return counted;
}

}  // namespace tierkv
