// cmsgpack, the MessagePack library Redis gives scripts: cmsgpack.pack(...) encodes its
// arguments one after another, cmsgpack.unpack(s) returns every value in s,
// unpack_one(s [, offset]) and unpack_limit(s, limit [, offset]) return the offset to
// go on from (-1 at the end) before the values. The encoding is Redis's: integral
// numbers as the smallest integer type, others as float32 when exact, else float64;
// tables whose keys are exactly 1..n as arrays, others as maps; nesting past 16
// levels, functions and userdata as nil.
//
// Thread-safety: engine thread only.
#pragma once

struct lua_State;

namespace tierkv {

// Opens the library; leaves its table on the stack.
int OpenCmsgpack(lua_State* lua);

}  // namespace tierkv
