// Number parsing and formatting with Redis's exact rules, so that the same input
// is accepted or rejected, and printed, byte for byte as Redis does.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv {

// Strict base-10 int64 (Redis string2ll): optional '-', no '+', no spaces, no
// leading zeros, no overflow.
bool ParseInt64(std::string_view text, int64_t* out);
// Like ParseInt64 but for unsigned 64-bit values.
bool ParseUint64(std::string_view text, uint64_t* out);
// A double as Redis's string2d: strtod, whole string consumed, no spaces, not NaN.
bool ParseDouble(std::string_view text, double* out);
// A long double as Redis's string2ld (used by INCRBYFLOAT): no spaces, not NaN.
bool ParseLongDouble(std::string_view text, long double* out);

std::string FormatInt64(int64_t value);
// Redis's "human friendly" long double (INCRBYFLOAT result): %.17Lf, trailing
// zeros and a trailing '.' removed.
std::string FormatLongDouble(long double value);
// Redis 7.0's d2string for doubles in replies: "inf"/"-inf", integers without a
// fraction, otherwise %.17g.
std::string FormatDouble(double value);

}  // namespace tierkv
