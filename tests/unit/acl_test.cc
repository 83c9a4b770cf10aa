#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/acl/acl.h"
#include "server/acl/acl_categories.h"
#include "server/acl/acl_user.h"
#include "server/command_table.h"

namespace tierkv {
namespace {

class AclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto built = CommandTable::Build();
    ASSERT_TRUE(built.ok()) << built.status().message();
    table_ = std::move(built.value());
  }

  AclUser User(std::vector<std::string_view> rules) {
    AclUser user("u", *table_);
    for (std::string_view rule : rules) {
      Status status = user.Apply(rule);
      EXPECT_TRUE(status.ok()) << rule << ": " << status.message();
    }
    return user;
  }

  // The verdict for a command line.
  AclVerdict Check(const AclUser& user, std::vector<std::string_view> args) {
    const CommandSpec* spec = table_->Find(args[0]);
    const CommandSpec* parent = nullptr;
    if (spec != nullptr && !spec->subcommands.empty() && args.size() > 1) {
      parent = spec;
      spec = CommandTable::FindSubcommand(*parent, args[1]);
    }
    EXPECT_NE(spec, nullptr) << args[0];
    return user.Check(*spec, parent, args);
  }

  std::unique_ptr<CommandTable> table_;
};

// The table walk: every command and subcommand has categories, exactly one of
// @fast and @slow, and an ACL id of its own (a rule could not reach it otherwise).
TEST_F(AclTest, EveryCommandHasCategoriesAndItsOwnId) {
  std::vector<bool> seen(table_->acl_id_count(), false);
  auto check = [&](const CommandSpec& spec, const std::string& name) {
    EXPECT_NE(spec.acl_categories, 0u) << name;
    const bool fast = spec.acl_categories & (1u << kAclFast);
    const bool slow = spec.acl_categories & (1u << kAclSlow);
    EXPECT_NE(fast, slow) << name;
    ASSERT_LT(spec.acl_id, seen.size()) << name;
    EXPECT_FALSE(seen[spec.acl_id]) << name;
    seen[spec.acl_id] = true;
  };
  for (const auto& command : table_->all()) {
    check(*command, command->name);
    for (const CommandSpec& sub : command->subcommands) check(sub, command->name + "|" + sub.name);
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), false), 0);
}

TEST_F(AclTest, CategoriesFollowFlagsAndGroups) {
  auto categories = [&](std::string_view name) { return AclCategoryLabels(table_->Find(name)->acl_categories); };
  EXPECT_EQ(categories("get"), (std::vector<std::string>{"@read", "@string", "@fast"}));
  EXPECT_EQ(categories("flushall"), (std::vector<std::string>{"@keyspace", "@write", "@slow", "@dangerous"}));
  EXPECT_EQ(categories("blpop"), (std::vector<std::string>{"@write", "@list", "@slow", "@blocking"}));
  EXPECT_EQ(categories("config"), (std::vector<std::string>{"@slow"}));  // a container: its subcommands have the rest
}

TEST_F(AclTest, CategoryNamesAreRedisOrder) {
  ASSERT_EQ(AclCategoryNames().size(), static_cast<size_t>(kAclCategoryCount));
  EXPECT_EQ(AclCategoryNames().front(), "keyspace");
  EXPECT_EQ(FindAclCategory("SortedSet"), kAclSortedSet);
  EXPECT_FALSE(FindAclCategory("nosuch").has_value());
}

TEST_F(AclTest, NewUserIsOffAndAllowedNothing) {
  AclUser user("u", *table_);
  EXPECT_FALSE(user.enabled());
  EXPECT_EQ(user.Describe(), "off resetchannels -@all");
  EXPECT_EQ(Check(user, {"get", "k"}).denial, AclDenial::kCommand);
  EXPECT_EQ(Check(user, {"auth", "pw"}).denial, AclDenial::kNone);  // no_auth commands always run
}

TEST_F(AclTest, CommandRulesAreKeptAsGivenWithoutRepeats) {
  AclUser user = User({"+@read", "-get", "+config|get", "+get", "+select|0", "-@read"});
  EXPECT_EQ(user.root().CommandsText(), "-@all +config|get +get +select|0 -@read");
  user = User({"+client", "-client|kill", "+client"});
  EXPECT_EQ(user.root().CommandsText(), "-@all +client");
  user = User({"+@all", "-@dangerous", "allcommands"});
  EXPECT_EQ(user.root().CommandsText(), "+@all");
}

TEST_F(AclTest, CommandsSubcommandsAndFirstArguments) {
  AclUser user = User({"allkeys", "+@string", "-set", "+config|get", "+select|0"});
  EXPECT_EQ(Check(user, {"get", "k"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"set", "k", "v"}).denial, AclDenial::kCommand);
  EXPECT_EQ(Check(user, {"config", "get", "x"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"config", "set", "x", "y"}).denial, AclDenial::kCommand);
  EXPECT_EQ(Check(user, {"select", "0"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"select", "1"}).denial, AclDenial::kCommand);
}

TEST_F(AclTest, KeyPatternsWithRights) {
  AclUser user = User({"+@all", "~all:*", "%R~read:*", "%W~write:*"});
  EXPECT_EQ(Check(user, {"get", "all:1"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"get", "read:1"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"set", "read:1", "v"}).denial, AclDenial::kKey);
  EXPECT_EQ(Check(user, {"set", "write:1", "v"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"get", "write:1"}).denial, AclDenial::kKey);
  const AclVerdict verdict = Check(user, {"mget", "all:1", "other", "read:2"});
  EXPECT_EQ(verdict.denial, AclDenial::kKey);
  EXPECT_EQ(verdict.position, 2);
  EXPECT_EQ(user.root().KeysText(), "~all:* %R~read:* %W~write:*");
}

TEST_F(AclTest, ChannelPatterns) {
  AclUser user = User({"+@all", "allkeys", "&news.*"});
  EXPECT_EQ(Check(user, {"publish", "news.x", "m"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"publish", "other", "m"}).denial, AclDenial::kChannel);
  EXPECT_EQ(Check(user, {"psubscribe", "news.*"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"psubscribe", "news.x*"}).denial, AclDenial::kChannel);  // patterns must match exactly
  EXPECT_EQ(Check(user, {"unsubscribe", "other"}).denial, AclDenial::kNone);
}

TEST_F(AclTest, SelectorsAreAlternativesAndTheMostRelevantDenialWins) {
  AclUser user = User({"+get", "~r:*", "(+set ~w:*)"});
  EXPECT_EQ(Check(user, {"get", "r:1"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"set", "w:1", "v"}).denial, AclDenial::kNone);
  EXPECT_EQ(Check(user, {"set", "r:1", "v"}).denial, AclDenial::kKey);  // key (selector) beats command (root)
  EXPECT_EQ(Check(user, {"del", "r:1"}).denial, AclDenial::kCommand);
  EXPECT_EQ(user.Describe(), "off ~r:* resetchannels -@all +get (~w:* resetchannels -@all +set)");
}

TEST_F(AclTest, BadRulesNameRedisReasons) {
  AclUser user("u", *table_);
  EXPECT_EQ(user.Apply("+nosuch").message(), "Unknown command or category name in ACL");
  EXPECT_EQ(user.Apply("+@nosuch").message(), "Unknown command or category name in ACL");
  EXPECT_EQ(user.Apply("bogus").message(), "Syntax error");
  EXPECT_EQ(user.Apply("%~k").message(), "Syntax error");
  EXPECT_EQ(user.Apply("+get|").message(), "Syntax error");
  EXPECT_EQ(user.Apply("#abc").message(),
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters");
  EXPECT_EQ(user.Apply("<nothere").message(), "The password you are trying to remove from the user does not exist");
  ASSERT_TRUE(user.Apply("allkeys").ok());
  EXPECT_FALSE(user.Apply("~k").ok());
}

TEST_F(AclTest, Passwords) {
  AclUser user = User({"on", ">one", ">two", "<one"});
  EXPECT_EQ(user.password_hashes(), (std::vector<std::string>{AclPasswordHash("two")}));
  EXPECT_EQ(AclPasswordHash("pw"), "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
  EXPECT_TRUE(user.Accepts("two"));
  EXPECT_FALSE(user.Accepts("one"));
  ASSERT_TRUE(user.Apply("off").ok());
  EXPECT_FALSE(user.Accepts("two"));
  user = User({"on", ">x", "nopass"});
  EXPECT_TRUE(user.Accepts("anything"));
  EXPECT_TRUE(user.password_hashes().empty());
}

TEST_F(AclTest, SelectorArgumentsAreRejoined) {
  std::vector<std::string_view> args{"on", "(+get", "~k*)", "(+set)"};
  auto merged = MergeSelectorArguments(args);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, (std::vector<std::string>{"on", "(+get ~k*)", "(+set)"}));
  std::vector<std::string_view> open{"(+get", "~k*"};
  EXPECT_FALSE(MergeSelectorArguments(open).ok());
}

TEST_F(AclTest, RegistryLoadsUsersAllOrNothingAndGroupsLogEntries) {
  Acl acl(*table_);
  EXPECT_TRUE(acl.default_user_open());
  ASSERT_TRUE(acl.LoadUsers({{"user", "a", "on", ">pw", "+@all"}}, "test").ok());
  EXPECT_EQ(acl.users().size(), 2u);
  EXPECT_NE(acl.Authenticate("a", "pw"), nullptr);
  EXPECT_EQ(acl.Authenticate("a", "bad"), nullptr);
  EXPECT_FALSE(acl.LoadUsers({{"user", "b", "on"}, {"user", "c", "+nosuch"}}, "test").ok());
  EXPECT_NE(acl.Find("a"), nullptr);  // unchanged
  EXPECT_EQ(acl.Find("b"), nullptr);
  acl.SetDefaultPassword("secret");
  EXPECT_FALSE(acl.default_user_open());
  EXPECT_NE(acl.Authenticate("default", "secret"), nullptr);

  acl.Log("command", "toplevel", "get", "a", "id=1", 1000, 10);
  acl.Log("command", "toplevel", "get", "a", "id=2", 2000, 10);
  acl.Log("key", "toplevel", "k", "a", "id=2", 3000, 10);
  ASSERT_EQ(acl.log().size(), 2u);
  EXPECT_EQ(acl.log()[1].count, 2u);
  EXPECT_EQ(acl.log()[1].client_info, "id=2");
  acl.Log("command", "toplevel", "get", "a", "id=3", 2000 + 60000, 10);  // a minute later: a new entry
  EXPECT_EQ(acl.log().size(), 3u);
  acl.TrimLog(1);
  EXPECT_EQ(acl.log().size(), 1u);
}

}  // namespace
}  // namespace tierkv
