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
// Redis 7.2's d2string, which every double reply uses (addReplyDouble, so sorted-set
// scores): "nan", "inf"/"-inf", "0"/"-0", integers of magnitude up to 2^62 as integers,
// otherwise FormatDoubleShortest. (Redis 7.0 printed %.17g: 0.1 was
// "0.10000000000000001", now "0.1"; both read back as the same double.)
std::string FormatDouble(double value);
// Redis 7.2's fpconv_dtoa: the shortest digits that read back as `value`, laid out as
// plain digits ("100", "0.00001", "123.5") or in exponent form ("1e+20", "1.5e-7") by
// fpconv's rules. DEBUG DIGEST uses it for sorted-set scores. (Redis's Grisu2 can, for
// rare values, print a digit more than the shortest form printed here.)
std::string FormatDoubleShortest(double value);

}  // namespace tierkv
