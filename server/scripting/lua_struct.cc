#include "server/scripting/lua_struct.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "server/scripting/lua_convert.h"

namespace tierkv {
namespace {

constexpr int kMaxIntegerSize = 32;
constexpr int kMaxAlign = 8;

struct Layout {
  bool little_endian = true;  // the native order of the machines tierkv runs on
  int align = 1;
};

// The decimal count after an option letter, or `fallback` when there is none.
int ReadCount(lua_State* lua, const char** format, int fallback) {
  if (!std::isdigit(static_cast<unsigned char>(**format))) return fallback;
  int count = 0;
  while (std::isdigit(static_cast<unsigned char>(**format))) {
    const int digit = *(*format)++ - '0';
    if (count > (INT_MAX - digit) / 10) luaL_error(lua, "integral size overflow");
    count = count * 10 + digit;
  }
  return count;
}

size_t OptionSize(lua_State* lua, char option, const char** format) {
  switch (option) {
    case 'b': case 'B': return 1;
    case 'h': case 'H': return sizeof(short);
    case 'l': case 'L': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return static_cast<size_t>(ReadCount(lua, format, 1));
    case 'i': case 'I': {
      const int size = ReadCount(lua, format, sizeof(int));
      if (size > kMaxIntegerSize) luaL_error(lua, "integral size %d is larger than limit of %d", size, kMaxIntegerSize);
      return static_cast<size_t>(size);
    }
    default: return 0;
  }
}

// Zero bytes that align an item of `size` at `offset`.
size_t Padding(size_t offset, const Layout& layout, char option, size_t size) {
  if (size == 0 || option == 'c') return 0;
  const size_t align = std::min<size_t>(size, static_cast<size_t>(layout.align));
  return (align - (offset & (align - 1))) & (align - 1);
}

// The options that change the layout rather than hold a value.
void ApplyControl(lua_State* lua, char option, const char** format, Layout* layout) {
  switch (option) {
    case ' ':
      return;
    case '<':
      layout->little_endian = true;
      return;
    case '>':
      layout->little_endian = false;
      return;
    case '!': {
      const int align = ReadCount(lua, format, kMaxAlign);
      if (align <= 0 || (align & (align - 1)) != 0) luaL_error(lua, "alignment %d is not a power of 2", align);
      layout->align = align;
      return;
    }
    default:
      luaL_argerror(lua, 1, lua_pushfstring(lua, "invalid format option '%c'", option));
  }
}

bool IsInteger(char option) { return option != '\0' && std::strchr("bBhHlLTiI", option) != nullptr; }

// Writes `number` as a `size`-byte integer into `bytes` (at most kMaxIntegerSize).
void IntegerBytes(char* bytes, lua_Number number, const Layout& layout, size_t size) {
  // Negative values as their two's complement; values past the 64 bits as the C cast
  // on x86-64 gives them.
  uint64_t value;
  if (number < 0) {
    value = static_cast<uint64_t>(LuaNumberToInteger(number));
  } else {
    value = number < 18446744073709551616.0 ? static_cast<uint64_t>(number) : 0;
  }
  for (size_t i = 0; i < size; ++i) {
    const uint8_t byte = i < 8 ? static_cast<uint8_t>(value >> (8 * i)) : 0;
    bytes[layout.little_endian ? i : size - 1 - i] = static_cast<char>(byte);
  }
}

lua_Number ReadInteger(const char* data, const Layout& layout, bool is_signed, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    const size_t at = layout.little_endian ? size - 1 - i : i;
    value = (value << 8) | static_cast<unsigned char>(data[at]);
  }
  if (!is_signed) return static_cast<lua_Number>(value);
  if (size < 8) {
    const uint64_t sign = 1ULL << (size * 8 - 1);
    if (value & sign) value |= ~((sign << 1) - 1);
  }
  return static_cast<lua_Number>(static_cast<int64_t>(value));
}

// A float's bytes in the layout's order (the machine is little-endian).
template <typename T>
void FloatBytes(char* bytes, T value, const Layout& layout) {
  std::memcpy(bytes, &value, sizeof(T));
  if (!layout.little_endian) std::reverse(bytes, bytes + sizeof(T));
}

template <typename T>
T ReadFloat(const char* data, const Layout& layout) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, data, sizeof(T));
  if (!layout.little_endian) std::reverse(bytes, bytes + sizeof(T));
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// The result is built in a Lua buffer: the argument checks raise Lua errors, which
// would skip a C++ string's destructor.
int Pack(lua_State* lua) {
  const char* format = luaL_checkstring(lua, 1);
  Layout layout;
  int arg = 2;
  size_t total = 0;
  luaL_Buffer buffer;
  lua_pushnil(lua);  // the buffer's slots start above the arguments
  luaL_buffinit(lua, &buffer);
  const auto add = [&](const char* data, size_t len) {
    luaL_addlstring(&buffer, data, len);
    total += len;
  };
  const char zeros[kMaxAlign] = {};
  while (*format != '\0') {
    const char option = *format++;
    size_t size = OptionSize(lua, option, &format);
    add(zeros, Padding(total, layout, option, size));
    if (IsInteger(option)) {
      char bytes[kMaxIntegerSize];
      IntegerBytes(bytes, luaL_checknumber(lua, arg++), layout, size);
      add(bytes, size);
    } else if (option == 'x') {
      add(zeros, 1);
    } else if (option == 'f') {
      char bytes[sizeof(float)];
      FloatBytes(bytes, static_cast<float>(luaL_checknumber(lua, arg++)), layout);
      add(bytes, sizeof(bytes));
    } else if (option == 'd') {
      char bytes[sizeof(double)];
      FloatBytes(bytes, static_cast<double>(luaL_checknumber(lua, arg++)), layout);
      add(bytes, sizeof(bytes));
    } else if (option == 'c' || option == 's') {
      size_t len = 0;
      const char* text = luaL_checklstring(lua, arg++, &len);
      if (size == 0) size = len;
      luaL_argcheck(lua, len >= size, arg, "string too short");
      add(text, size);
      if (option == 's') add(zeros, 1);
    } else {
      ApplyControl(lua, option, &format, &layout);
    }
  }
  luaL_pushresult(&buffer);
  return 1;
}

int Unpack(lua_State* lua) {
  const char* format = luaL_checkstring(lua, 1);
  size_t len = 0;
  const char* data = luaL_checklstring(lua, 2, &len);
  const lua_Integer start = luaL_optinteger(lua, 3, 1);
  luaL_argcheck(lua, start > 0, 3, "offset must be 1 or greater");
  size_t pos = static_cast<size_t>(start - 1);
  Layout layout;
  int results = 0;
  while (*format != '\0') {
    const char option = *format++;
    size_t size = OptionSize(lua, option, &format);
    pos += Padding(pos, layout, option, size);
    luaL_argcheck(lua, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(lua, 2, "too many results");
    if (IsInteger(option)) {
      lua_pushnumber(lua, ReadInteger(data + pos, layout, std::islower(static_cast<unsigned char>(option)) != 0, size));
      ++results;
    } else if (option == 'x') {
    } else if (option == 'f') {
      lua_pushnumber(lua, ReadFloat<float>(data + pos, layout));
      ++results;
    } else if (option == 'd') {
      lua_pushnumber(lua, ReadFloat<double>(data + pos, layout));
      ++results;
    } else if (option == 'c') {
      if (size == 0) {
        if (results == 0 || !lua_isnumber(lua, -1)) luaL_error(lua, "format 'c0' needs a previous size");
        const lua_Number previous = lua_tonumber(lua, -1);
        size = previous >= 0 && previous < 1e15 ? static_cast<size_t>(previous) : SIZE_MAX;
        lua_pop(lua, 1);
        --results;
        luaL_argcheck(lua, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(lua, data + pos, size);
      ++results;
    } else if (option == 's') {
      const void* end = std::memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(lua, "unfinished string in data");
      size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
      lua_pushlstring(lua, data + pos, size - 1);
      ++results;
    } else {
      ApplyControl(lua, option, &format, &layout);
    }
    pos += size;
  }
  lua_pushinteger(lua, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

int Size(lua_State* lua) {
  const char* format = luaL_checkstring(lua, 1);
  Layout layout;
  size_t pos = 0;
  while (*format != '\0') {
    const char option = *format++;
    const size_t size = OptionSize(lua, option, &format);
    pos += Padding(pos, layout, option, size);
    if (option == 's') luaL_argerror(lua, 1, "option 's' has no fixed size");
    if (option == 'c' && size == 0) luaL_argerror(lua, 1, "option 'c0' has no fixed size");
    if (!std::isalnum(static_cast<unsigned char>(option))) ApplyControl(lua, option, &format, &layout);
    pos += size;
  }
  lua_pushinteger(lua, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* lua) {
  lua_newtable(lua);
  lua_pushcfunction(lua, Pack);
  lua_setfield(lua, -2, "pack");
  lua_pushcfunction(lua, Unpack);
  lua_setfield(lua, -2, "unpack");
  lua_pushcfunction(lua, Size);
  lua_setfield(lua, -2, "size");
  return 1;
}

}  // namespace tierkv
