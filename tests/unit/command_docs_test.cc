#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/command_docs.h"
#include "server/command_table.h"

namespace tierkv {
namespace {

// A table of two commands: "getx" with one key spec, and "box" with the
// subcommand "box|inner".
CommandTable SmallTable() {
  CommandTable table;
  CommandSpec getx{.name = "getx", .group = "string", .summary = "s"};
  getx.key_specs = {KeySpec{kKeyRO | kKeyAccess}.Index(1).Range(0, 1, 0)};
  table.Add(std::move(getx));
  table.Add({.name = "box", .group = "server", .summary = "s", .subcommands = {{.name = "inner", .summary = "s"}}});
  return table;
}

Status Attach(CommandTable& table, std::vector<std::string_view> texts) {
  std::vector<CommandDocsText> sources;
  for (std::string_view text : texts) sources.push_back({"test", text});
  return AttachCommandDocs(table, sources);
}

// The error of attaching `text` to SmallTable(), "" when it attaches.
std::string AttachError(std::string_view text) {
  CommandTable table = SmallTable();
  const Status status = Attach(table, {text});
  return status.ok() ? "" : status.message();
}

constexpr std::string_view kValidDocs = R"docs(
# a comment
getx
  doc_flags deprecated syscmd
  deprecated_since 6.2.0
  replaced_by `GET` with more words
  history 2.0.0 Added the `CONDITION` argument.
  history 6.2.0 Added something else.
  arg key key
    key_spec_index 0
  arg condition oneof
    since 2.0.0
    flags optional
    arg nx pure-token
      token NX
    arg pair block
      flags multiple multiple_token
      arg field string
      arg seconds unix-time
        token EX
        display_text secs
box

box|inner
)docs";

TEST(CommandDocs, TheServersOwnDocsDocumentEveryCommand) {
  auto table = CommandTable::Build();
  ASSERT_TRUE(table.ok()) << table.status().message();
  const CommandSpec* zadd = (*table)->Find("zadd");
  ASSERT_NE(zadd, nullptr);
  ASSERT_FALSE(zadd->docs.arguments.empty());
  EXPECT_EQ(zadd->docs.arguments[0].name, "key");
  EXPECT_EQ(zadd->docs.arguments[0].key_spec_index, 0);
  EXPECT_EQ((*table)->Find("getset")->docs.flags, CommandDocs::kDeprecated);
}

TEST(CommandDocs, AttachesFactsAndNestedArgumentsInOrder) {
  CommandTable table = SmallTable();
  ASSERT_TRUE(Attach(table, {kValidDocs}).ok());
  const CommandDocs& docs = table.Find("getx")->docs;
  EXPECT_EQ(docs.flags, CommandDocs::kDeprecated | CommandDocs::kSysCmd);
  EXPECT_EQ(docs.deprecated_since, "6.2.0");
  EXPECT_EQ(docs.replaced_by, "`GET` with more words");
  ASSERT_EQ(docs.history.size(), 2u);
  EXPECT_EQ(docs.history[0].since, "2.0.0");
  EXPECT_EQ(docs.history[0].what, "Added the `CONDITION` argument.");
  ASSERT_EQ(docs.arguments.size(), 2u);
  const ArgumentDoc& condition = docs.arguments[1];
  EXPECT_EQ(condition.type, "oneof");
  EXPECT_EQ(condition.since, "2.0.0");
  EXPECT_EQ(condition.flags, ArgumentDoc::kOptional);
  ASSERT_EQ(condition.arguments.size(), 2u);
  EXPECT_EQ(condition.arguments[0].token, "NX");
  const ArgumentDoc& pair = condition.arguments[1];
  EXPECT_EQ(pair.flags, ArgumentDoc::kMultiple | ArgumentDoc::kMultipleToken);
  ASSERT_EQ(pair.arguments.size(), 2u);
  EXPECT_EQ(pair.arguments[1].display_text, "secs");
  EXPECT_EQ(pair.arguments[1].key_spec_index, -1);
  EXPECT_TRUE(table.Find("box")->docs.arguments.empty());
}

TEST(CommandDocs, FlagNamesAreRedisWordsInRedisOrder) {
  EXPECT_EQ(DocFlagNames(CommandDocs::kSysCmd | CommandDocs::kDeprecated),
            (std::vector<std::string>{"deprecated", "syscmd"}));
  EXPECT_EQ(ArgumentFlagNames(ArgumentDoc::kMultipleToken | ArgumentDoc::kMultiple | ArgumentDoc::kOptional),
            (std::vector<std::string>{"optional", "multiple", "multiple_token"}));
  EXPECT_TRUE(DocFlagNames(0).empty());
}

TEST(CommandDocs, TwoTextsMayShareTheCommandsButNotACommand) {
  CommandTable table = SmallTable();
  EXPECT_TRUE(Attach(table, {"getx\n  arg key key\n    key_spec_index 0\n", "box\nbox|inner\n"}).ok());
  CommandTable again = SmallTable();
  const Status twice = Attach(again, {"getx\nbox\nbox|inner\n", "getx\n"});
  EXPECT_EQ(twice.message(), "command docs: 'getx' is documented twice");
}

TEST(CommandDocs, AdditionsAppendToDocsFromAnyText) {
  CommandTable table = SmallTable();
  const std::string_view additions = R"docs(
+getx
  doc_flags deprecated
  deprecated_since 7.2.0
  history 7.2.0 Added `EXTRA`.
  arg extra pure-token
    token EXTRA
    flags optional
)docs";
  const std::string_view base = "getx\n  history 1.0.0 First.\n  arg key key\n    key_spec_index 0\nbox\nbox|inner\n";
  ASSERT_TRUE(Attach(table, {additions, base}).ok());
  const CommandDocs& docs = table.Find("getx")->docs;
  EXPECT_EQ(docs.flags, CommandDocs::kDeprecated);
  EXPECT_EQ(docs.deprecated_since, "7.2.0");
  ASSERT_EQ(docs.history.size(), 2u);
  EXPECT_EQ(docs.history[1].what, "Added `EXTRA`.");
  ASSERT_EQ(docs.arguments.size(), 2u);
  EXPECT_EQ(docs.arguments[1].token, "EXTRA");
}

TEST(CommandDocs, AdditionsNeedDocsToAddTo) {
  EXPECT_EQ(AttachError("box\nbox|inner\n+getx\n  history 1.0.0 x\n"),
            "command docs: test: '+getx' adds to docs that nothing gives");
  EXPECT_EQ(AttachError("getx\n  replaced_by a\nbox\nbox|inner\n+getx\n  replaced_by b\n"),
            "command docs: test: '+getx' gives a deprecation the docs already give");
}

TEST(CommandDocs, EveryCommandAndSubcommandNeedsDocs) {
  EXPECT_EQ(AttachError("getx\nbox\n"),
            "command docs: 'box|inner' has none (run tools/command-docs/generate.py --add box|inner, or write them "
            "in server/command_docs_tierkv.cc)");
}

TEST(CommandDocs, DocsForNoCommandStopStartUp) {
  EXPECT_EQ(AttachError("getx\nbox\nbox|inner\nbox|other\n"),
            "command docs: test documents 'box|other', which is no command");
}

TEST(CommandDocs, MalformedTextIsReportedWithItsLine) {
  const std::string prefix = "command docs: test line ";
  EXPECT_EQ(AttachError("getx\n   arg key key\n"), prefix + "2: indentation is not a multiple of two spaces");
  EXPECT_EQ(AttachError("  history 1.0.0 x\n"), prefix + "1: a fact before any command");
  EXPECT_EQ(AttachError("getx\n    token X\n"), prefix + "2: indented deeper than the line above allows");
  EXPECT_EQ(AttachError("getx\n  colour red\n"), prefix + "2: unknown command field 'colour'");
  EXPECT_EQ(AttachError("getx\n  arg k key\n    colour red\n"), prefix + "3: unknown argument field 'colour'");
  EXPECT_EQ(AttachError("getx\n  arg k text\n"), prefix + "2: unknown argument type 'text'");
  EXPECT_EQ(AttachError("getx\n  arg k\n"), prefix + "2: 'arg' needs a name and a type");
  EXPECT_EQ(AttachError("getx\n  arg k string\n    arg j string\n"), prefix + "3: only oneof and block arguments nest");
  EXPECT_EQ(AttachError("getx\n  doc_flags old\n"), prefix + "2: unknown flag 'old'");
  EXPECT_EQ(AttachError("getx\n  history 1.0.0\n"), prefix + "2: 'history' needs a version and a text");
  EXPECT_EQ(AttachError("getx\n  replaced_by a\n  replaced_by b\n"), prefix + "3: 'replaced_by' is given twice");
  EXPECT_EQ(AttachError("getx\n  arg k key\n    key_spec_index one\n"), prefix + "3: 'key_spec_index' needs one index");
  EXPECT_EQ(AttachError("get x\n"), prefix + "1: a command name is one word");
  EXPECT_EQ(AttachError("+\n"), prefix + "1: a command name is one word");
}

TEST(CommandDocs, ArgumentsMustBeShapedAsRedisShapesThem) {
  const std::string prefix = "command docs: test: 'getx' argument ";
  const std::string rest = "box\nbox|inner\n";
  EXPECT_EQ(AttachError("getx\n  arg c oneof\n" + rest), prefix + "'c' groups no arguments");
  EXPECT_EQ(AttachError("getx\n  arg nx pure-token\n" + rest), prefix + "'nx' is a pure token without a token");
  EXPECT_EQ(AttachError("getx\n  arg k key\n" + rest), prefix + "'k' is a key without key_spec_index");
  EXPECT_EQ(AttachError("getx\n  arg k string\n    key_spec_index 0\n" + rest),
            prefix + "'k' has a key_spec_index but is no key");
  EXPECT_EQ(AttachError("getx\n  arg p pattern\n    key_spec_index 0\n" + rest), "");
  EXPECT_EQ(AttachError("getx\n  arg k key\n    key_spec_index 1\n" + rest),
            prefix + "'k' names a key spec the command does not have");
}

}  // namespace
}  // namespace tierkv
