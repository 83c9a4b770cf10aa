#include "engine/number.h"

#include <cctype>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tierkv {

bool ParseUint64(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

bool ParseInt64(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  const bool negative = text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty()) return false;
  if (negative && text == "0") return false;  // Redis rejects "-0"
  uint64_t magnitude;
  if (!ParseUint64(text, &magnitude)) return false;
  if (negative) {
    if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - magnitude);
  } else {
    if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(magnitude);
  }
  return true;
}

namespace {

// strtod/strtold need a NUL-terminated copy; numbers longer than this are not numbers.
constexpr size_t kMaxNumberText = 5 * 1024;

template <typename Float, typename Convert>
bool ParseFloating(std::string_view text, Float* out, Convert convert) {
  if (text.empty() || text.size() > kMaxNumberText) return false;
  if (std::isspace(static_cast<unsigned char>(text.front()))) return false;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  Float value = convert(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return false;
  if (std::isnan(value)) return false;
  // Overflow to infinity and underflow to zero are both rejected, as in Redis.
  if (errno == ERANGE && (std::isinf(value) || value == 0)) return false;
  *out = value;
  return true;
}

}  // namespace

bool ParseDouble(std::string_view text, double* out) {
  return ParseFloating<double>(text, out, [](const char* s, char** e) { return std::strtod(s, e); });
}

bool ParseLongDouble(std::string_view text, long double* out) {
  return ParseFloating<long double>(text, out, [](const char* s, char** e) { return std::strtold(s, e); });
}

std::string FormatInt64(int64_t value) {
  char buffer[24];
  int n = std::snprintf(buffer, sizeof(buffer), "%lld", static_cast<long long>(value));
  return std::string(buffer, static_cast<size_t>(n));
}

std::string FormatLongDouble(long double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[5 * 1024];
  int n = std::snprintf(buffer, sizeof(buffer), "%.17Lf", value);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buffer)) return "0";
  std::string text(buffer, static_cast<size_t>(n));
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

std::string FormatDoubleShortest(double value) {
  std::string out;
  if (std::signbit(value)) out.push_back('-');
  if (std::isnan(value)) return out + "nan";
  if (std::isinf(value)) return out + "inf";
  if (value == 0) return out + "0";
  // Shortest round-trip digits from the library, as "d.ddde+XX".
  char scientific[40];
  const auto converted =
      std::to_chars(scientific, scientific + sizeof(scientific), std::fabs(value), std::chars_format::scientific);
  std::string digits;
  const char* cursor = scientific;
  for (; cursor < converted.ptr && *cursor != 'e'; ++cursor) {
    if (*cursor != '.') digits.push_back(*cursor);
  }
  int exponent = 0;  // decimal exponent of the first digit
  std::from_chars(cursor + 1 + (cursor[1] == '+' ? 1 : 0), converted.ptr, exponent);
  const int count = static_cast<int>(digits.size());
  const int last_digit_exponent = exponent - (count - 1);
  const int magnitude = std::abs(exponent);
  // fpconv's layout rules: plain integer, plain decimal, or exponent form.
  if (last_digit_exponent >= 0 && magnitude < count + 7) {
    out += digits;
    out.append(static_cast<size_t>(last_digit_exponent), '0');
    return out;
  }
  if (last_digit_exponent < 0 && (last_digit_exponent > -7 || magnitude < 4)) {
    const int integer_digits = count + last_digit_exponent;
    if (integer_digits <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-integer_digits), '0');
      out += digits;
    } else {
      out.append(digits, 0, static_cast<size_t>(integer_digits));
      out.push_back('.');
      out.append(digits, static_cast<size_t>(integer_digits));
    }
    return out;
  }
  out.push_back(digits[0]);
  if (count > 1) {
    out.push_back('.');
    out.append(digits, 1);
  }
  out.push_back('e');
  out.push_back(exponent < 0 ? '-' : '+');
  int rest = magnitude;
  const int hundreds = rest / 100;
  if (hundreds > 0) {
    out.push_back(static_cast<char>('0' + hundreds));
    rest -= hundreds * 100;
  }
  if (rest > 9) {
    out.push_back(static_cast<char>('0' + rest / 10));
  } else if (hundreds > 0) {
    out.push_back('0');
  }
  out.push_back(static_cast<char>('0' + rest % 10));
  return out;
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // Integers print as integers while a long long holds them with room to spare
  // (Redis's double2ll bound, LLONG_MAX / 2).
  constexpr double kIntegerLimit = static_cast<double>(INT64_MAX / 2);
  if (value >= -kIntegerLimit && value <= kIntegerLimit) {
    const auto integer = static_cast<int64_t>(value);
    if (static_cast<double>(integer) == value) return FormatInt64(integer);
  }
  return FormatDoubleShortest(value);
}

}  // namespace tierkv
