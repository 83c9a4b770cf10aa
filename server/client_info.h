// What CLIENT LIST / CLIENT INFO print about a client, in Redis 7.2's line
// format, and who counts as a local client for the "local" setting of
// enable-debug-command / enable-protected-configs.
// Thread-safety: engine thread only.
#pragma once

#include <string>
#include <string_view>

#include "server/client.h"
#include "server/pubsub.h"

namespace tierkv {

// One CLIENT LIST line without the trailing newline:
// "id=7 addr=127.0.0.1:5000 laddr=... fd=8 name= age=0 ... lib-name= lib-ver=".
std::string ClientInfoLine(const Client& client, const PubSub& pubsub, int64_t now_ms);

// Connected over loopback (127.0.0.1 or ::1), as Redis's islocalClient.
bool IsLocalClient(const Client& client);

// A "no" | "yes" | "local" setting (enable-debug-command, ...) allows `client`.
bool AllowProtectedAction(std::string_view setting, const Client& client);

}  // namespace tierkv
