#include "engine/eviction_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace tierkv {
namespace {

TEST(EvictionPool, PopsTheHighestScoreFirst) {
  EvictionPool pool;
  pool.Offer(0, "warm", 5);
  pool.Offer(1, "cold", 50);
  pool.Offer(0, "hot", 0);
  int db = -1;
  std::string key;
  ASSERT_TRUE(pool.PopBest(&db, &key));
  EXPECT_EQ(key, "cold");
  EXPECT_EQ(db, 1);
  ASSERT_TRUE(pool.PopBest(&db, &key));
  EXPECT_EQ(key, "warm");
  ASSERT_TRUE(pool.PopBest(&db, &key));
  EXPECT_EQ(key, "hot");
  EXPECT_FALSE(pool.PopBest(&db, &key));
}

TEST(EvictionPool, KeepsOnlyTheBestSixteen) {
  EvictionPool pool;
  for (int i = 0; i < 100; ++i) pool.Offer(0, "k" + std::to_string(i), i);
  EXPECT_EQ(pool.size(), EvictionPool::kCapacity);
  int db;
  std::string key;
  for (int i = 99; i >= 84; --i) {
    ASSERT_TRUE(pool.PopBest(&db, &key));
    EXPECT_EQ(key, "k" + std::to_string(i));
  }
}

TEST(EvictionPool, ResampledKeyIsNotDuplicated) {
  EvictionPool pool;
  pool.Offer(0, "k", 1);
  pool.Offer(0, "k", 9);
  EXPECT_EQ(pool.size(), 1u);
}

}  // namespace
}  // namespace tierkv
