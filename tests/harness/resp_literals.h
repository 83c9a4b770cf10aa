// The exact RESP2 bytes of common replies, for assertions on CommandHarness output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv::testing {

inline std::string Bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
inline std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string Err(std::string_view text) { return "-" + std::string(text) + "\r\n"; }

inline constexpr std::string_view kOk = "+OK\r\n";
inline constexpr std::string_view kNil = "$-1\r\n";

}  // namespace tierkv::testing
