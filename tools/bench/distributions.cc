#include "tools/bench/distributions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tierkv::bench {
namespace {

constexpr double kPi = 3.14159265358979323846;

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  if (text.empty()) return false;
  if constexpr (std::is_floating_point_v<T>) {
    // GCC 12 has floating-point from_chars; it rejects a leading '+', as we want.
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*out);
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size();
  }
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

}  // namespace

std::optional<KeySpec> ParseKeySpec(std::string_view text, std::string* error) {
  KeySpec spec;
  std::string_view name = text.substr(0, text.find(':'));
  std::string_view params = name.size() < text.size() ? text.substr(name.size() + 1) : std::string_view();
  bool has_params = name.size() < text.size();
  if (name == "uniform" || name == "sequential") {
    spec.kind = name == "uniform" ? KeySpec::Kind::kUniform : KeySpec::Kind::kSequential;
    if (has_params) {
      *error = std::string(name) + " takes no parameters";
      return std::nullopt;
    }
    return spec;
  }
  if (name == "zipf") {
    spec.kind = KeySpec::Kind::kZipf;
    if (has_params && (!ParseNumber(params, &spec.theta) || spec.theta <= 0 || spec.theta > 10)) {
      *error = "zipf theta must be a number in (0, 10], got '" + std::string(params) + "'";
      return std::nullopt;
    }
    return spec;
  }
  if (name == "gaussian") {
    spec.kind = KeySpec::Kind::kGaussian;
    if (has_params) {
      auto parts = Split(params, ',');
      double mean = 0, stddev = 0;
      if (parts.size() != 2 || !ParseNumber(parts[0], &mean) || !ParseNumber(parts[1], &stddev) ||
          mean < 0 || stddev <= 0) {
        *error = "gaussian takes MEAN,STDDEV (key offsets, stddev > 0), got '" + std::string(params) + "'";
        return std::nullopt;
      }
      spec.mean = mean;
      spec.stddev = stddev;
    }
    return spec;
  }
  *error = "unknown key distribution '" + std::string(text) + "' (uniform, sequential, zipf[:THETA], gaussian[:MEAN,STDDEV])";
  return std::nullopt;
}

std::string Describe(const KeySpec& spec) {
  switch (spec.kind) {
    case KeySpec::Kind::kUniform: return "uniform";
    case KeySpec::Kind::kSequential: return "sequential";
    case KeySpec::Kind::kZipf: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "zipf:%g", spec.theta);
      return buf;
    }
    case KeySpec::Kind::kGaussian: {
      if (!spec.mean) return "gaussian";
      char buf[96];
      std::snprintf(buf, sizeof buf, "gaussian:%g,%g", *spec.mean, *spec.stddev);
      return buf;
    }
  }
  return "?";
}

KeyPicker::KeyPicker(const KeySpec& spec, KeyRange range) : spec_(spec), range_(range) {
  if (range_.count == 0) range_.count = 1;
  const double n = static_cast<double>(range_.count);
  if (spec_.kind == KeySpec::Kind::kZipf) {
    // Ranks 1..n; h(x) = x^-theta, H its antiderivative with H(1) = 0. Rank 1 gets the
    // area [H(1.5) - h(1), H(1.5)], rank k > 1 the area [H(k - 0.5), H(k + 0.5)] less
    // what the rejection test below cuts.
    h_x1_ = ZipfH(1.5) - 1.0;
    h_n_ = ZipfH(n + 0.5);
    s_ = 2.0 - ZipfHInverse(ZipfH(2.5) - std::pow(2.0, -spec_.theta));
  }
  mean_ = spec_.mean.value_or(n / 2);
  stddev_ = spec_.stddev.value_or(n / 6);
}

uint64_t KeyPicker::Next(Rng& rng) {
  switch (spec_.kind) {
    case KeySpec::Kind::kUniform: return range_.first + rng.Below(range_.count);
    case KeySpec::Kind::kSequential:
      return range_.first + cursor_.fetch_add(1, std::memory_order_relaxed) % range_.count;
    case KeySpec::Kind::kZipf: return range_.first + NextZipf(rng);
    case KeySpec::Kind::kGaussian: return range_.first + NextGaussian(rng);
  }
  return range_.first;
}

namespace {

// log(1 + x) / x and (exp(x) - 1) / x, continuous at 0 (where theta = 1 puts them).
double Log1pOverX(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x / 2.0; }
double Expm1OverX(double x) { return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x / 2.0; }

}  // namespace

// H(x) = (x^(1 - theta) - 1) / (1 - theta), or log(x) when theta = 1.
double KeyPicker::ZipfH(double x) const {
  const double log_x = std::log(x);
  return Expm1OverX((1.0 - spec_.theta) * log_x) * log_x;
}

double KeyPicker::ZipfHInverse(double x) const {
  return std::exp(Log1pOverX((1.0 - spec_.theta) * x) * x);
}

uint64_t KeyPicker::NextZipf(Rng& rng) const {
  const double n = static_cast<double>(range_.count);
  double k = 1;
  // Each round accepts with probability above 0.5 for every theta and n; 64 rounds
  // bound the loop (reaching the bound is a 2^-64 event).
  for (int round = 0; round < 64; ++round) {
    const double u = h_n_ + rng.NextDouble() * (h_x1_ - h_n_);
    const double x = ZipfHInverse(u);
    k = std::clamp(std::floor(x + 0.5), 1.0, n);
    if (k - x <= s_ || u >= ZipfH(k + 0.5) - std::pow(k, -spec_.theta)) break;
  }
  return static_cast<uint64_t>(k) - 1;
}

uint64_t KeyPicker::NextGaussian(Rng& rng) const {
  // Box-Muller; a draw outside the range is drawn again (bounded), then clamped, so the
  // shape inside the range is the normal one cut at its edges.
  const double n = static_cast<double>(range_.count);
  double x = mean_;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const double u1 = 1.0 - rng.NextDouble();  // (0, 1]: log stays finite
    const double u2 = rng.NextDouble();
    x = mean_ + stddev_ * std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
    if (x >= 0 && x < n) break;
  }
  x = std::clamp(x, 0.0, n - 1);
  return static_cast<uint64_t>(x);
}

std::optional<ValueSizes> ValueSizes::Parse(std::string_view text, std::string* error) {
  ValueSizes sizes;
  auto bad = [&](const char* why) {
    *error = std::string(why) + ": '" + std::string(text) + "' (N, MIN-MAX or SIZE:WEIGHT,...)";
    return std::nullopt;
  };
  constexpr size_t kLargest = 512u << 20;  // Redis's proto-max-bulk-len default
  if (text.find(':') != std::string_view::npos) {
    sizes.kind_ = Kind::kWeighted;
    uint64_t total = 0;
    for (std::string_view part : Split(text, ',')) {
      auto pair = Split(part, ':');
      size_t size = 0;
      uint64_t weight = 0;
      if (pair.size() != 2 || !ParseNumber(pair[0], &size) || !ParseNumber(pair[1], &weight) || weight == 0 ||
          size > kLargest) {
        return bad("bad weighted value sizes");
      }
      total += weight;
      sizes.weighted_.emplace_back(size, total);
    }
    return sizes;
  }
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    sizes.kind_ = Kind::kUniform;
    if (!ParseNumber(text.substr(0, dash), &sizes.min_) || !ParseNumber(text.substr(dash + 1), &sizes.max_) ||
        sizes.min_ > sizes.max_ || sizes.max_ > kLargest) {
      return bad("bad value size range");
    }
    return sizes;
  }
  if (!ParseNumber(text, &sizes.min_) || sizes.min_ > kLargest) return bad("bad value size");
  sizes.max_ = sizes.min_;
  return sizes;
}

ValueSizes ValueSizes::Fixed(size_t size) {
  ValueSizes sizes;
  sizes.min_ = sizes.max_ = size;
  return sizes;
}

size_t ValueSizes::Next(Rng& rng) const {
  switch (kind_) {
    case Kind::kFixed: return min_;
    case Kind::kUniform: return min_ + rng.Below(max_ - min_ + 1);
    case Kind::kWeighted: {
      const uint64_t draw = rng.Below(weighted_.back().second);
      auto it = std::upper_bound(weighted_.begin(), weighted_.end(), draw,
                                 [](uint64_t d, const auto& entry) { return d < entry.second; });
      return it->first;
    }
  }
  return min_;
}

size_t ValueSizes::max() const {
  if (kind_ != Kind::kWeighted) return max_;
  size_t largest = 0;
  for (const auto& [size, cumulative] : weighted_) largest = std::max(largest, size);
  return largest;
}

double ValueSizes::mean() const {
  if (kind_ != Kind::kWeighted) return (static_cast<double>(min_) + static_cast<double>(max_)) / 2;
  double sum = 0;
  uint64_t previous = 0;
  for (const auto& [size, cumulative] : weighted_) {
    sum += static_cast<double>(size) * static_cast<double>(cumulative - previous);
    previous = cumulative;
  }
  return sum / static_cast<double>(previous);
}

std::string ValueSizes::Describe() const {
  switch (kind_) {
    case Kind::kFixed: return std::to_string(min_);
    case Kind::kUniform: return std::to_string(min_) + "-" + std::to_string(max_);
    case Kind::kWeighted: {
      std::string out;
      uint64_t previous = 0;
      for (const auto& [size, cumulative] : weighted_) {
        if (!out.empty()) out += ',';
        out += std::to_string(size) + ":" + std::to_string(cumulative - previous);
        previous = cumulative;
      }
      return out;
    }
  }
  return "?";
}

}  // namespace tierkv::bench
