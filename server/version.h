// Versions reported to clients. tierkv speaks Redis 7.2's protocol and
// semantics, so tools that gate features on redis_version see 7.2.
#pragma once

namespace tierkv {

inline constexpr const char* kRedisCompatVersion = "7.2.4";
inline constexpr const char* kTierkvVersion = "0.1.0";

}  // namespace tierkv
