#include "server/protected_mode.h"

#include <gtest/gtest.h>

namespace tierkv {
namespace {

asio::ip::address Address(const char* text) { return asio::ip::make_address(text); }

TEST(ProtectedMode, RefusesOnlyNonLoopbackClientsWithoutPassword) {
  EXPECT_FALSE(ProtectedModeRefuses(true, true, Address("127.0.0.1")));
  EXPECT_FALSE(ProtectedModeRefuses(true, true, Address("127.0.0.2")));
  EXPECT_FALSE(ProtectedModeRefuses(true, true, Address("::1")));
  EXPECT_FALSE(ProtectedModeRefuses(true, true, Address("::ffff:127.0.0.1")));  // IPv4 on an IPv6 socket
  EXPECT_TRUE(ProtectedModeRefuses(true, true, Address("192.0.2.7")));
  EXPECT_TRUE(ProtectedModeRefuses(true, true, Address("::ffff:192.0.2.7")));
  EXPECT_TRUE(ProtectedModeRefuses(true, true, Address("2001:db8::1")));
}

TEST(ProtectedMode, APasswordOrProtectedModeNoLetsEveryoneIn) {
  EXPECT_FALSE(ProtectedModeRefuses(/*protected_mode=*/true, /*default_user_nopass=*/false, Address("192.0.2.7")));
  EXPECT_FALSE(ProtectedModeRefuses(/*protected_mode=*/false, /*default_user_nopass=*/true, Address("192.0.2.7")));
}

TEST(ProtectedMode, DeniedIsOneRespErrorLine) {
  EXPECT_TRUE(kProtectedModeDenied.starts_with("-DENIED Redis is running in protected mode"));
  EXPECT_TRUE(kProtectedModeDenied.ends_with("outside.\r\n"));
  EXPECT_EQ(kProtectedModeDenied.find('\n'), kProtectedModeDenied.size() - 1);
}

}  // namespace
}  // namespace tierkv
