// Redis's conversion rules between command replies and Lua values, both ways.
//
// Reply -> Lua (what redis.call returns): integer -> number, bulk -> string, nil bulk
// or nil array -> false, array -> table (1..n), status -> {ok=...}, error -> {err=...};
// under RESP3 (redis.setresp(3)) also map -> {map={k=v}}, set -> {set={m=true}},
// null -> nil, boolean -> boolean, double -> {double=n}, big number ->
// {big_number=s}, verbatim -> {verbatim_string={format=f, string=s}}.
//
// Lua -> reply (what a script returns): string -> bulk, number -> integer
// (truncated), true -> 1 and false -> nil (booleans under RESP3 if the script chose
// it), tables by their err / ok / double / big_number / verbatim_string / map / set
// fields, else an array cut at the first nil; anything else -> nil.
//
// Thread-safety: engine thread only (it works on the engine's Lua state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

struct lua_State;

namespace tierkv {

class ReplyWriter;

// A Lua number as an integer the way Redis's C cast does it on x86-64: truncated,
// and INT64_MIN when it does not fit (NaN and the infinities included).
int64_t LuaNumberToInteger(double number);

// Set to true in the error table of a command a script called that failed: its error
// was counted in INFO errorstats when the command ran, so the script's error reply
// passing it on is not counted again (Redis names the field the same).
inline constexpr const char* kCountedErrorField = "ignore_error_stats_update";
// True if the table at `index` is such an error (a raw read: no metamethod runs).
bool ErrorCountedElsewhere(lua_State* lua, int index);

// Pushes the value of the complete reply at the start of `reply` (bytes written by a
// ReplyWriter, RESP2 or RESP3); returns the bytes it took (0 if the reply is
// incomplete or nests deeper than Lua's stack, when nothing is pushed). Never raises
// a Lua error.
size_t PushReplyAsLua(lua_State* lua, std::string_view reply);

// Writes the Lua value on top of the stack (left there) as a reply. `script_resp` is
// the protocol the script chose with redis.setresp: it decides how booleans go.
void WriteLuaAsReply(lua_State* lua, ReplyWriter& reply, int script_resp);

}  // namespace tierkv
