// Protected mode (protected-mode yes, the default): while the default user has
// no password, a server that listens beyond the loopback interface serves only
// loopback clients; the others get Redis's DENIED error and are closed, so that
// an instance exposed by mistake is not an open door.
//
// Thread-safety: pure functions.
#pragma once

#include <asio/ip/address.hpp>
#include <string_view>


namespace tierkv {

// Redis's reply to a refused client, word for word (clients and tools show it).
extern const std::string_view kProtectedModeDenied;

// True if a client connecting from `remote` must be refused: protected mode is on and
// the default ACL user has no password (nopass: requirepass "" and none set by ACL).
bool ProtectedModeRefuses(bool protected_mode, bool default_user_nopass, const asio::ip::address& remote);

}  // namespace tierkv
