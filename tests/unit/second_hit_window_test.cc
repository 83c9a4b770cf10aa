// Promotion admission (server/second_hit_window.h): a value is admitted on its second
// read within the window of recent first reads, and only then.
#include <gtest/gtest.h>

#include <string>

#include "server/second_hit_window.h"

namespace tierkv {
namespace {

TEST(SecondHitWindowTest, TheSecondReadWithinTheWindowAdmits) {
  SecondHitWindow window(4);
  EXPECT_FALSE(window.Admit(0, "k"));
  EXPECT_TRUE(window.Admit(0, "k"));
  // Admitted and forgotten: the next read of it is a first read again.
  EXPECT_FALSE(window.Admit(0, "k"));
}

TEST(SecondHitWindowTest, KeysOfDifferentDbsAreDifferentKeys) {
  SecondHitWindow window(4);
  EXPECT_FALSE(window.Admit(0, "k"));
  EXPECT_FALSE(window.Admit(1, "k"));
  EXPECT_TRUE(window.Admit(1, "k"));
  EXPECT_TRUE(window.Admit(0, "k"));
}

TEST(SecondHitWindowTest, AFirstReadLeavesTheWindowAfterCapacityOthers) {
  SecondHitWindow window(3);
  EXPECT_FALSE(window.Admit(0, "old"));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(window.Admit(0, "scan" + std::to_string(i)));
  EXPECT_FALSE(window.Admit(0, "old"));  // pushed out by the scan: a first read again
  EXPECT_TRUE(window.Admit(0, "scan2"));
}

TEST(SecondHitWindowTest, AKeyReadFirstAgainKeepsItsNewerSlot) {
  SecondHitWindow window(3);
  EXPECT_FALSE(window.Admit(0, "k"));   // slot 0
  EXPECT_TRUE(window.Admit(0, "k"));    // admitted; slot 0 is stale
  EXPECT_FALSE(window.Admit(0, "a"));   // slot 1
  EXPECT_FALSE(window.Admit(0, "k"));   // slot 2: k's first read again
  EXPECT_FALSE(window.Admit(0, "b"));   // overwrites slot 0, which no longer speaks for k
  EXPECT_TRUE(window.Admit(0, "k"));
}

TEST(SecondHitWindowTest, AnEmptyWindowAdmitsEverything) {
  SecondHitWindow window(0);
  EXPECT_TRUE(window.Admit(0, "k"));
}

}  // namespace
}  // namespace tierkv
