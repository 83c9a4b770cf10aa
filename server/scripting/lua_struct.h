// struct, the binary packing library Redis gives scripts: struct.pack(fmt, ...),
// struct.unpack(fmt, s [, pos]) (the values, then the position after them) and
// struct.size(fmt). Format: '<' '>' byte order, '!n' alignment (a power of 2, default
// 8), 'b'/'B' char, 'h'/'H' short, 'l'/'L' long, 'T' size_t, 'i[n]'/'I[n]' an integer of
// n bytes (default 4, at most 32), 'f' float, 'd' double, 'x' a zero byte, 'c[n]' n
// chars (c0: the length is the previous value when unpacking, the whole string when
// packing), 's' a zero-terminated string; spaces are ignored. Lowercase integer
// letters are signed.
//
// Thread-safety: engine thread only.
#pragma once

struct lua_State;

namespace tierkv {

// Opens the library; leaves its table on the stack.
int OpenStruct(lua_State* lua);

}  // namespace tierkv
