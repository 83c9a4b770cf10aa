#include "server/protected_mode.h"

namespace tierkv {

const std::string_view kProtectedModeDenied =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    "default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    "from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    "sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the "
    "same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode "
    "by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting "
    "the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the "
    "above things in order for the server to start accepting connections from the outside.\r\n";

bool ProtectedModeRefuses(bool protected_mode, bool default_user_nopass, const asio::ip::address& remote) {
  if (!protected_mode || !default_user_nopass) return false;
  if (remote.is_loopback()) return false;
  // An IPv4 client reaching an IPv6 socket shows as ::ffff:127.x.y.z.
  if (remote.is_v6() && remote.to_v6().is_v4_mapped()) {
    return !asio::ip::make_address_v4(asio::ip::v4_mapped, remote.to_v6()).is_loopback();
  }
  return true;
}

}  // namespace tierkv
