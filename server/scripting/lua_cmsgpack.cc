#include "server/scripting/lua_cmsgpack.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace tierkv {
namespace {

constexpr int kMaxNesting = 16;

void PutBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void EncodeInteger(std::string& out, int64_t n) {
  if (n >= 0) {
    const auto u = static_cast<uint64_t>(n);
    if (u <= 127) {
      out.push_back(static_cast<char>(u));
    } else if (u <= 0xff) {
      out.push_back(static_cast<char>(0xcc));
      PutBigEndian(out, u, 1);
    } else if (u <= 0xffff) {
      out.push_back(static_cast<char>(0xcd));
      PutBigEndian(out, u, 2);
    } else if (u <= 0xffffffffULL) {
      out.push_back(static_cast<char>(0xce));
      PutBigEndian(out, u, 4);
    } else {
      out.push_back(static_cast<char>(0xcf));
      PutBigEndian(out, u, 8);
    }
    return;
  }
  const auto u = static_cast<uint64_t>(n);
  if (n >= -32) {
    out.push_back(static_cast<char>(n));
  } else if (n >= -128) {
    out.push_back(static_cast<char>(0xd0));
    PutBigEndian(out, u, 1);
  } else if (n >= -32768) {
    out.push_back(static_cast<char>(0xd1));
    PutBigEndian(out, u, 2);
  } else if (n >= -2147483648LL) {
    out.push_back(static_cast<char>(0xd2));
    PutBigEndian(out, u, 4);
  } else {
    out.push_back(static_cast<char>(0xd3));
    PutBigEndian(out, u, 8);
  }
}

void EncodeNumber(std::string& out, lua_Number n) {
  if (std::isfinite(n) && n == std::floor(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0) {
    return EncodeInteger(out, static_cast<int64_t>(n));
  }
  const auto single = static_cast<float>(n);
  if (static_cast<lua_Number>(single) == n) {
    uint32_t bits;
    std::memcpy(&bits, &single, sizeof(bits));
    out.push_back(static_cast<char>(0xca));
    PutBigEndian(out, bits, 4);
    return;
  }
  uint64_t bits;
  const double value = n;
  std::memcpy(&bits, &value, sizeof(bits));
  out.push_back(static_cast<char>(0xcb));
  PutBigEndian(out, bits, 8);
}

void EncodeLength(std::string& out, size_t len, uint8_t fix, size_t fix_limit, uint8_t code8, uint8_t code16,
                  uint8_t code32) {
  if (len < fix_limit) {
    out.push_back(static_cast<char>(fix | len));
  } else if (code8 != 0 && len <= 0xff) {
    out.push_back(static_cast<char>(code8));
    PutBigEndian(out, len, 1);
  } else if (len <= 0xffff) {
    out.push_back(static_cast<char>(code16));
    PutBigEndian(out, len, 2);
  } else {
    out.push_back(static_cast<char>(code32));
    PutBigEndian(out, len, 4);
  }
}

// Keys exactly 1..n (an empty table included): an array.
bool TableIsArray(lua_State* lua) {
  const int top = lua_gettop(lua);
  lua_Number max = 0;
  lua_Number count = 0;
  lua_pushnil(lua);
  while (lua_next(lua, -2)) {
    lua_pop(lua, 1);
    if (lua_type(lua, -1) != LUA_TNUMBER) {
      lua_settop(lua, top);
      return false;
    }
    const lua_Number n = lua_tonumber(lua, -1);
    if (n <= 0 || n != std::floor(n)) {
      lua_settop(lua, top);
      return false;
    }
    max = std::max(max, n);
    ++count;
  }
  lua_settop(lua, top);
  return max == count;
}

void EncodeValue(lua_State* lua, std::string& out, int level);

void EncodeTable(lua_State* lua, std::string& out, int level) {
  if (TableIsArray(lua)) {
    const size_t len = lua_objlen(lua, -1);
    EncodeLength(out, len, 0x90, 16, 0, 0xdc, 0xdd);
    for (size_t i = 1; i <= len; ++i) {
      lua_rawgeti(lua, -1, static_cast<int>(i));
      EncodeValue(lua, out, level + 1);
      lua_pop(lua, 1);
    }
    return;
  }
  size_t pairs = 0;
  lua_pushnil(lua);
  while (lua_next(lua, -2)) {
    lua_pop(lua, 1);
    ++pairs;
  }
  EncodeLength(out, pairs, 0x80, 16, 0, 0xde, 0xdf);
  lua_pushnil(lua);
  while (lua_next(lua, -2)) {
    lua_pushvalue(lua, -2);
    EncodeValue(lua, out, level + 1);
    lua_pop(lua, 1);
    EncodeValue(lua, out, level + 1);
    lua_pop(lua, 1);
  }
}

// Encodes the value on top of the stack (left there). Raises no Lua error (`out` is a
// C++ string whose destructor a longjmp would skip): without stack room, nil.
void EncodeValue(lua_State* lua, std::string& out, int level) {
  if (!lua_checkstack(lua, 4)) {
    out.push_back(static_cast<char>(0xc0));
    return;
  }
  switch (lua_type(lua, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* data = lua_tolstring(lua, -1, &len);
      EncodeLength(out, len, 0xa0, 32, 0xd9, 0xda, 0xdb);
      out.append(data, len);
      return;
    }
    case LUA_TBOOLEAN:
      out.push_back(static_cast<char>(lua_toboolean(lua, -1) ? 0xc3 : 0xc2));
      return;
    case LUA_TNUMBER:
      return EncodeNumber(out, lua_tonumber(lua, -1));
    case LUA_TTABLE:
      if (level < kMaxNesting) return EncodeTable(lua, out, level);
      [[fallthrough]];
    default:
      out.push_back(static_cast<char>(0xc0));
  }
}

int Pack(lua_State* lua) {
  const int argc = lua_gettop(lua);
  if (argc == 0) return luaL_argerror(lua, 0, "MessagePack pack needs input.");
  std::string out;
  for (int i = 1; i <= argc; ++i) {
    lua_pushvalue(lua, i);
    EncodeValue(lua, out, 0);
    lua_pop(lua, 1);
  }
  lua_pushlstring(lua, out.data(), out.size());
  return 1;
}

class Decoder {
 public:
  enum class Error { kNone, kEof, kBadFormat };
  Decoder(lua_State* lua, const unsigned char* data, size_t len) : lua_(lua), data_(data), left_(len) {}

  // Pushes one value; on error sets error() (and what was pushed is left to the caller).
  void DecodeValue() {
    luaL_checkstack(lua_, 4, "cmsgpack: value too deeply nested");
    if (!Need(1)) return;
    const unsigned char code = *data_;
    Skip(1);
    if (code <= 0x7f) return lua_pushnumber(lua_, code);
    if (code >= 0xe0) return lua_pushnumber(lua_, static_cast<int8_t>(code));
    if ((code & 0xe0) == 0xa0) return PushString(code & 0x1f);
    if ((code & 0xf0) == 0x90) return PushArray(code & 0x0f);
    if ((code & 0xf0) == 0x80) return PushMap(code & 0x0f);
    switch (code) {
      case 0xc0: return lua_pushnil(lua_);
      case 0xc2: return lua_pushboolean(lua_, 0);
      case 0xc3: return lua_pushboolean(lua_, 1);
      case 0xcc: return PushUnsigned(1);
      case 0xcd: return PushUnsigned(2);
      case 0xce: return PushUnsigned(4);
      case 0xcf: return PushUnsigned(8);
      case 0xd0: return PushSigned(1);
      case 0xd1: return PushSigned(2);
      case 0xd2: return PushSigned(4);
      case 0xd3: return PushSigned(8);
      case 0xca: {
        uint64_t bits;
        if (!Read(4, &bits)) return;
        float value;
        const auto bits32 = static_cast<uint32_t>(bits);
        std::memcpy(&value, &bits32, sizeof(value));
        return lua_pushnumber(lua_, value);
      }
      case 0xcb: {
        uint64_t bits;
        if (!Read(8, &bits)) return;
        double value;
        std::memcpy(&value, &bits, sizeof(value));
        return lua_pushnumber(lua_, value);
      }
      case 0xc4: case 0xd9: return PushSizedString(1);
      case 0xc5: case 0xda: return PushSizedString(2);
      case 0xc6: case 0xdb: return PushSizedString(4);
      case 0xdc: return PushSized(2, false);
      case 0xdd: return PushSized(4, false);
      case 0xde: return PushSized(2, true);
      case 0xdf: return PushSized(4, true);
      default:
        error_ = Error::kBadFormat;
    }
  }

  Error error() const { return error_; }
  size_t left() const { return left_; }

 private:
  bool Need(size_t bytes) {
    if (left_ >= bytes) return true;
    error_ = Error::kEof;
    return false;
  }
  void Skip(size_t bytes) {
    data_ += bytes;
    left_ -= bytes;
  }
  bool Read(int bytes, uint64_t* value) {
    if (!Need(static_cast<size_t>(bytes))) return false;
    *value = 0;
    for (int i = 0; i < bytes; ++i) *value = (*value << 8) | data_[i];
    Skip(static_cast<size_t>(bytes));
    return true;
  }
  void PushUnsigned(int bytes) {
    uint64_t value;
    if (Read(bytes, &value)) lua_pushnumber(lua_, static_cast<lua_Number>(value));
  }
  void PushSigned(int bytes) {
    uint64_t value;
    if (!Read(bytes, &value)) return;
    const int shift = 64 - 8 * bytes;
    lua_pushnumber(lua_, static_cast<lua_Number>(static_cast<int64_t>(value << shift) >> shift));
  }
  void PushString(size_t len) {
    if (!Need(len)) return;
    lua_pushlstring(lua_, reinterpret_cast<const char*>(data_), len);
    Skip(len);
  }
  void PushSizedString(int bytes) {
    uint64_t len;
    if (Read(bytes, &len)) PushString(static_cast<size_t>(len));
  }
  void PushSized(int bytes, bool map) {
    uint64_t count;
    if (!Read(bytes, &count)) return;
    map ? PushMap(static_cast<size_t>(count)) : PushArray(static_cast<size_t>(count));
  }
  void PushArray(size_t count) {
    lua_newtable(lua_);
    for (size_t i = 1; i <= count && error_ == Error::kNone; ++i) {
      lua_pushnumber(lua_, static_cast<lua_Number>(i));
      DecodeValue();
      if (error_ != Error::kNone) return;
      lua_settable(lua_, -3);
    }
  }
  void PushMap(size_t count) {
    lua_newtable(lua_);
    for (size_t i = 0; i < count && error_ == Error::kNone; ++i) {
      DecodeValue();
      if (error_ != Error::kNone) return;
      DecodeValue();
      if (error_ != Error::kNone) return;
      // A nil key cannot be stored; Redis's decoder would fail the same way in Lua.
      if (lua_isnil(lua_, -2)) {
        error_ = Error::kBadFormat;
        return;
      }
      lua_settable(lua_, -3);
    }
  }

  lua_State* lua_;
  const unsigned char* data_;
  size_t left_;
  Error error_ = Error::kNone;
};

// Redis's mp_unpack_full: `limit` values (0: all) from `offset`; with a limit or an
// offset given, the offset to go on from (-1 at the end) comes first.
int UnpackFull(lua_State* lua, int limit, int offset, bool report_offset) {
  size_t len = 0;
  const char* data = luaL_checklstring(lua, 1, &len);
  if (offset < 0 || limit < 0) {
    // Redis's text names the input's length where it says limit.
    return luaL_error(lua, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) return luaL_error(lua, "Start offset %d greater than input length %d.", offset,
                                                           static_cast<int>(len));
  lua_settop(lua, 0);
  Decoder decoder(lua, reinterpret_cast<const unsigned char*>(data) + offset, len - static_cast<size_t>(offset));
  int count = 0;
  for (; (limit == 0 || count < limit) && decoder.left() > 0; ++count) {
    decoder.DecodeValue();
    if (decoder.error() == Decoder::Error::kEof) return luaL_error(lua, "Missing bytes in input.");
    if (decoder.error() == Decoder::Error::kBadFormat) return luaL_error(lua, "Bad data format in input.");
  }
  if (report_offset) {
    const long long next = decoder.left() == 0 ? -1 : static_cast<long long>(len - decoder.left());
    lua_pushnumber(lua, static_cast<lua_Number>(next));
    lua_insert(lua, 1);
    ++count;
  }
  return count;
}

int Unpack(lua_State* lua) { return UnpackFull(lua, 0, 0, false); }

int UnpackOne(lua_State* lua) {
  const int offset = static_cast<int>(luaL_optinteger(lua, 2, 0));
  return UnpackFull(lua, 1, offset, true);
}

int UnpackLimit(lua_State* lua) {
  const int limit = static_cast<int>(luaL_checkinteger(lua, 2));
  const int offset = static_cast<int>(luaL_optinteger(lua, 3, 0));
  return UnpackFull(lua, limit, offset, true);
}

}  // namespace

int OpenCmsgpack(lua_State* lua) {
  lua_newtable(lua);
  const luaL_Reg functions[] = {{"pack", Pack},
                                {"unpack", Unpack},
                                {"unpack_one", UnpackOne},
                                {"unpack_limit", UnpackLimit},
                                {nullptr, nullptr}};
  for (const luaL_Reg* f = functions; f->name != nullptr; ++f) {
    lua_pushcfunction(lua, f->func);
    lua_setfield(lua, -2, f->name);
  }
  lua_pushstring(lua, "lua-cmsgpack");
  lua_setfield(lua, -2, "_NAME");
  lua_pushstring(lua, "lua-cmsgpack 0.4.0");
  lua_setfield(lua, -2, "_VERSION");
  lua_pushstring(lua, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(lua, -2, "_COPYRIGHT");
  lua_pushstring(lua, "MessagePack C implementation for Lua");
  lua_setfield(lua, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace tierkv
