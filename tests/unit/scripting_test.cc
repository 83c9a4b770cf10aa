// The script engine's pieces: Redis's reply <-> Lua conversions both ways (RESP2 and
// RESP3), the sandbox, rand48, shebang parsing, and scripts run through the command
// harness (their writes committed as one change set with the EVAL).
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include "harness/command_harness.h"
#include "server/reply_writer.h"
#include "server/scripting/lua_convert.h"
#include "server/scripting/lua_sandbox.h"
#include "server/scripting/script_engine.h"

namespace tierkv {
namespace {

class LuaConversion : public ::testing::Test {
 protected:
  void SetUp() override {
    lua_ = luaL_newstate();
    luaL_openlibs(lua_);
  }
  void TearDown() override { lua_close(lua_); }

  // The reply `resp` seen from Lua, and written back as a reply in `protocol`.
  std::string RoundTrip(const std::string& resp, int protocol = 2, int script_resp = 2) {
    EXPECT_EQ(PushReplyAsLua(lua_, resp), resp.size()) << resp;
    std::string out;
    ReplyWriter writer(&out);
    writer.set_protocol(protocol);
    WriteLuaAsReply(lua_, writer, script_resp);
    lua_pop(lua_, 1);
    return out;
  }

  // Runs Lua `code` and writes what it returns as a reply.
  std::string Returned(const std::string& code, int protocol = 2, int script_resp = 2) {
    EXPECT_EQ(luaL_dostring(lua_, code.c_str()), 0) << lua_tostring(lua_, -1);
    std::string out;
    ReplyWriter writer(&out);
    writer.set_protocol(protocol);
    WriteLuaAsReply(lua_, writer, script_resp);
    lua_pop(lua_, 1);
    return out;
  }

  // Pushes `resp` and evaluates the Lua expression `check` with it as `v`.
  std::string Inspect(const std::string& resp, const std::string& check) {
    EXPECT_GT(PushReplyAsLua(lua_, resp), 0u);
    lua_setglobal(lua_, "v");
    EXPECT_EQ(luaL_dostring(lua_, ("return " + check).c_str()), 0) << lua_tostring(lua_, -1);
    std::string result = lua_isstring(lua_, -1) ? lua_tostring(lua_, -1) : "<not a string>";
    lua_pop(lua_, 1);
    return result;
  }

  lua_State* lua_ = nullptr;
};

TEST_F(LuaConversion, Resp2RepliesBecomeLuaValues) {
  EXPECT_EQ(Inspect(":42\r\n", "type(v) .. tostring(v)"), "number42");
  EXPECT_EQ(Inspect("$3\r\nabc\r\n", "type(v) .. v"), "stringabc");
  EXPECT_EQ(Inspect("$-1\r\n", "type(v) .. tostring(v)"), "booleanfalse");
  EXPECT_EQ(Inspect("*-1\r\n", "type(v) .. tostring(v)"), "booleanfalse");
  EXPECT_EQ(Inspect("+OK\r\n", "v.ok"), "OK");
  EXPECT_EQ(Inspect("-WRONGTYPE bad\r\n", "v.err"), "WRONGTYPE bad");
  EXPECT_EQ(Inspect("*3\r\n:1\r\n$1\r\nx\r\n*1\r\n:2\r\n", "#v .. v[2] .. v[3][1]"), "3x2");
}

TEST_F(LuaConversion, Resp3RepliesBecomeLuaValues) {
  EXPECT_EQ(Inspect("%1\r\n$1\r\nf\r\n$1\r\nv\r\n", "v.map.f"), "v");
  EXPECT_EQ(Inspect("~2\r\n$1\r\na\r\n$1\r\nb\r\n", "tostring(v.set.a and v.set.b)"), "true");
  EXPECT_EQ(Inspect("_\r\n", "type(v)"), "nil");
  EXPECT_EQ(Inspect("#t\r\n", "tostring(v)"), "true");
  EXPECT_EQ(Inspect("#f\r\n", "tostring(v)"), "false");
  EXPECT_EQ(Inspect(",3.5\r\n", "tostring(v.double)"), "3.5");
  EXPECT_EQ(Inspect("(12345678901234567890\r\n", "v.big_number"), "12345678901234567890");
  EXPECT_EQ(Inspect("=7\r\ntxt:abc\r\n", "v.verbatim_string.format .. v.verbatim_string.string"), "txtabc");
  EXPECT_EQ(Inspect("|1\r\n$1\r\na\r\n:1\r\n:7\r\n", "tostring(v)"), "7");  // attributes skipped
}

TEST_F(LuaConversion, IncompleteReplyPushesNothing) {
  const int top = lua_gettop(lua_);
  EXPECT_EQ(PushReplyAsLua(lua_, "*2\r\n:1\r\n"), 0u);
  EXPECT_EQ(lua_gettop(lua_), top);
}

TEST_F(LuaConversion, LuaValuesBecomeReplies) {
  EXPECT_EQ(Returned("return 'x'"), "$1\r\nx\r\n");
  EXPECT_EQ(Returned("return 3.99"), ":3\r\n");
  EXPECT_EQ(Returned("return true"), ":1\r\n");
  EXPECT_EQ(Returned("return false"), "$-1\r\n");
  EXPECT_EQ(Returned("return false", 3), "_\r\n");
  EXPECT_EQ(Returned("return true", 3, 3), "#t\r\n");
  EXPECT_EQ(Returned("return false", 2, 3), ":0\r\n");
  EXPECT_EQ(Returned("return nil"), "$-1\r\n");
  EXPECT_EQ(Returned("return {1, 'a', nil, 3}"), "*2\r\n:1\r\n$1\r\na\r\n");
  EXPECT_EQ(Returned("return {err='ERR x'}"), "-ERR x\r\n");
  EXPECT_EQ(Returned("return {ok='a\\nb'}"), "+a b\r\n");
  EXPECT_EQ(Returned("return {double=1.5}", 3), ",1.5\r\n");
  EXPECT_EQ(Returned("return {double=1.5}"), "$3\r\n1.5\r\n");
  EXPECT_EQ(Returned("return {big_number='99'}", 3), "(99\r\n");
  EXPECT_EQ(Returned("return {map={a=1}}", 3), "%1\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Returned("return {map={a=1}}"), "*2\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Returned("return {set={a=true}}", 3), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Returned("return {verbatim_string={format='txt', string='hi'}}", 3), "=6\r\ntxt:hi\r\n");
  EXPECT_EQ(Returned("return print"), "$-1\r\n");
}

TEST_F(LuaConversion, RoundTripsKeepTheReply) {
  for (const std::string resp : {":5\r\n", "$2\r\nab\r\n", "*2\r\n:1\r\n*1\r\n$0\r\n\r\n", "-ERR e\r\n", "+PONG\r\n"}) {
    EXPECT_EQ(RoundTrip(resp), resp);
  }
  EXPECT_EQ(RoundTrip("%1\r\n$1\r\nk\r\n$1\r\nv\r\n", 3), "%1\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

TEST(Rand48, FollowsRedisSequence) {
  // Redis's first draws after math.randomseed(0): math.random(1000000) gives 170829, 749902.
  uint64_t state = 0;
  SeedRand48(&state, 0);
  const int32_t max = INT32_MAX;
  auto draw = [&] { return static_cast<int>(static_cast<double>(NextRand48(&state) % max) / max * 1000000) + 1; };
  EXPECT_EQ(draw(), 170829);
  EXPECT_EQ(draw(), 749902);
  // Unseeded, Redis's generator starts from its own constant: the first draw is 396465.
  state = 0x1234ABCD330EULL;
  EXPECT_EQ(draw(), 396465);
}

TEST(Shebang, ParsesFlagsAndRefusesTheUnknown) {
  uint32_t flags = 0;
  size_t len = 0;
  EXPECT_EQ(ParseShebang("return 1", &flags, &len), "");
  EXPECT_EQ(flags, kScriptEvalCompat);
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(ParseShebang("#!lua flags=no-writes,allow-oom\nreturn 1", &flags, &len), "");
  EXPECT_EQ(flags, kScriptNoWrites | kScriptAllowOom);
  EXPECT_EQ(len, 31u);
  EXPECT_EQ(ParseShebang("#!lua\nreturn 1", &flags, &len), "");
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(ParseShebang("#!lua", &flags, &len), "Invalid script shebang");
  EXPECT_EQ(ParseShebang("#!js\n", &flags, &len), "Unexpected engine in script shebang: #!js");
  EXPECT_EQ(ParseShebang("#!lua flags=nope\n", &flags, &len), "Unexpected flag in script shebang: nope");
  EXPECT_EQ(ParseShebang("#!lua other=1\n", &flags, &len), "Unknown lua shebang option: other=1");
}

// Scripts through the dispatcher, as a client runs them.
class ScriptRuns : public ::testing::Test {
 protected:
  std::string Eval(const std::string& script, std::vector<std::string> keys_and_args = {}, int numkeys = 0) {
    std::vector<std::string> args = {"EVAL", script, std::to_string(numkeys)};
    args.insert(args.end(), keys_and_args.begin(), keys_and_args.end());
    return harness_.Run(args);
  }
  testing::CommandHarness harness_;
};

TEST_F(ScriptRuns, SandboxRefusesWhatRedisRefuses) {
  EXPECT_EQ(Eval("return os"), "-ERR user_script:1: Script attempted to access nonexistent global variable 'os' "
                               "script: f03b5ad6e7d58786b6a5e879efbea4a4408f5c2f, on @user_script:1.\r\n");
  EXPECT_NE(Eval("x = 1").find("Attempt to modify a readonly table"), std::string::npos);
  EXPECT_NE(Eval("redis.call = nil").find("Attempt to modify a readonly table"), std::string::npos);
  EXPECT_NE(Eval("rawset(string, 'x', 1)").find("-ERR Attempt to modify a readonly table"), std::string::npos);
  EXPECT_NE(Eval("return loadstring('x = 1')()").find("Attempt to modify a readonly table"), std::string::npos);
  EXPECT_EQ(Eval("local t = {} t[1] = 'ok' return t[1]"), "$2\r\nok\r\n");
}

TEST_F(ScriptRuns, ScriptCommandsSeeKeysAndArgs) {
  EXPECT_EQ(Eval("return redis.call('set', KEYS[1], ARGV[1])", {"k", "v"}, 1), "+OK\r\n");
  EXPECT_EQ(harness_.Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Eval("return redis.call('get', KEYS[1])", {"k"}, 1), "$1\r\nv\r\n");
}

TEST_F(ScriptRuns, ScriptClientStaysInTheScript) {
  // SELECT inside the script is the script's; the caller stays in its db.
  EXPECT_EQ(Eval("redis.call('select', '3') return redis.call('set', 'x', '1')"), "+OK\r\n");
  EXPECT_EQ(harness_.Run({"EXISTS", "x"}), ":0\r\n");
  EXPECT_EQ(harness_.client().db, 0);
  // The script's RESP3 choice does not outlive it.
  EXPECT_EQ(Eval("redis.setresp(3) return 1"), ":1\r\n");
  EXPECT_EQ(Eval("return redis.call('hgetall', 'nokey')"), "*0\r\n");
}

TEST_F(ScriptRuns, ScriptCacheCommands) {
  const std::string sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";  // "return 1"
  EXPECT_EQ(harness_.Run({"SCRIPT", "LOAD", "return 1"}), "$40\r\n" + sha + "\r\n");
  EXPECT_EQ(harness_.Run({"EVALSHA", sha, "0"}), ":1\r\n");
  EXPECT_EQ(harness_.Run({"SCRIPT", "EXISTS", sha, "nope"}), "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(harness_.Run({"SCRIPT", "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(harness_.Run({"EVALSHA", sha, "0"}), "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  EXPECT_EQ(harness_.server().scripting().script_count(), 0u);
}

}  // namespace
}  // namespace tierkv
