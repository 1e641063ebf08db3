// serde_json's number grammar and its default (not float_roundtrip) f64
// conversion, plus the number skipping of IgnoredAny (see serde_parser.h).
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "control/serde_parser.h"

namespace fips::serde {
namespace {

const std::array<double, 309>& pow10_table() {
  static const std::array<double, 309> t = [] {
    std::array<double, 309> a{};
    for (size_t k = 0; k < a.size(); ++k) {
      const std::string lit = "1e" + std::to_string(k);
      a[k] = std::strtod(lit.c_str(), nullptr);  // same value as the Rust literal 1eK
    }
    return a;
  }();
  return t;
}

bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}

bool overflow_u64(uint64_t a, uint64_t b) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return a >= kMax / 10 && (a > kMax / 10 || b > kMax % 10);
}

bool overflow_i32(int32_t a, int32_t b) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  return a >= kMax / 10 && (a > kMax / 10 || b > kMax % 10);
}

}  // namespace

bool SerdeParser::parse_integer(bool positive, Number& out) {
  if (at_end()) return error(Code::kEofValue);
  const auto c = static_cast<uint8_t>(s_[i_++]);
  if (c == '0') {
    if (is_digit(peek_or_null())) return peek_error(Code::kInvalidNumber);
    return parse_number(positive, 0, out);
  }
  if (c < '1' || c > '9') return error(Code::kInvalidNumber);
  uint64_t sig = c - '0';
  for (;;) {
    const uint8_t p = peek_or_null();
    if (!is_digit(p)) return parse_number(positive, sig, out);
    const uint64_t digit = p - '0';
    if (overflow_u64(sig, digit)) {
      double f = 0;
      if (!parse_long_integer(positive, sig, f)) return false;
      out = Number::of_f64(f);
      return true;
    }
    ++i_;
    sig = sig * 10 + digit;
  }
}

bool SerdeParser::parse_number(bool positive, uint64_t sig, Number& out) {
  const uint8_t p = peek_or_null();
  double f = 0;
  if (p == '.') {
    if (!parse_decimal(positive, sig, 0, f)) return false;
    out = Number::of_f64(f);
  } else if (p == 'e' || p == 'E') {
    if (!parse_exponent(positive, sig, 0, f)) return false;
    out = Number::of_f64(f);
  } else if (positive) {
    out = Number{Number::kU64, 0, sig, 0};
  } else {
    const auto neg = static_cast<int64_t>(uint64_t{0} - sig);  // wrapping_neg
    if (neg >= 0)
      out = Number::of_f64(-static_cast<double>(sig));  // -0 or below i64::MIN
    else
      out = Number{Number::kI64, 0, 0, neg};
  }
  return true;
}

bool SerdeParser::parse_decimal(bool positive, uint64_t sig, int32_t exp_before, double& out) {
  ++i_;  // '.'
  int32_t exp_after = 0;
  while (is_digit(peek_or_null())) {
    const uint64_t digit = peek_or_null() - '0';
    if (overflow_u64(sig, digit))
      return parse_decimal_overflow(positive, sig, exp_before + exp_after, out);
    ++i_;
    sig = sig * 10 + digit;
    --exp_after;
  }
  if (exp_after == 0) return peek_error(at_end() ? Code::kEofValue : Code::kInvalidNumber);
  const int32_t exponent = exp_before + exp_after;
  const uint8_t p = peek_or_null();
  if (p == 'e' || p == 'E') return parse_exponent(positive, sig, exponent, out);
  return f64_from_parts(positive, sig, exponent, out);
}

bool SerdeParser::parse_exponent(bool positive, uint64_t sig, int32_t starting_exp, double& out) {
  ++i_;  // 'e'
  bool positive_exp = true;
  if (peek_or_null() == '+') {
    ++i_;
  } else if (peek_or_null() == '-') {
    ++i_;
    positive_exp = false;
  }
  if (at_end()) return error(Code::kEofValue);
  const auto first = static_cast<uint8_t>(s_[i_++]);
  if (!is_digit(first)) return error(Code::kInvalidNumber);
  int32_t exp = first - '0';
  while (is_digit(peek_or_null())) {
    ++i_;
    const int32_t digit = static_cast<uint8_t>(s_[i_ - 1]) - '0';
    if (overflow_i32(exp, digit)) {
      if (sig != 0 && positive_exp) return error(Code::kNumberOutOfRange);
      while (is_digit(peek_or_null())) ++i_;
      out = positive ? 0.0 : -0.0;
      return true;
    }
    exp = exp * 10 + digit;
  }
  const int64_t wide = positive_exp ? int64_t{starting_exp} + exp : int64_t{starting_exp} - exp;
  const auto final_exp =
      static_cast<int32_t>(std::clamp<int64_t>(wide, std::numeric_limits<int32_t>::min(),
                                               std::numeric_limits<int32_t>::max()));  // saturating
  return f64_from_parts(positive, sig, final_exp, out);
}

bool SerdeParser::f64_from_parts(bool positive, uint64_t sig, int32_t exponent, double& out) {
  const auto& pow10 = pow10_table();
  double f = static_cast<double>(sig);
  int64_t e = exponent;
  for (;;) {
    const uint64_t idx = static_cast<uint64_t>(e < 0 ? -e : e);
    if (idx < pow10.size()) {
      if (e >= 0) {
        f *= pow10[idx];
        if (std::isinf(f)) return error(Code::kNumberOutOfRange);
      } else {
        f /= pow10[idx];
      }
      break;
    }
    if (f == 0.0) break;
    if (e >= 0) return error(Code::kNumberOutOfRange);
    f /= 1e308;
    e += 308;
  }
  out = positive ? f : -f;
  return true;
}

bool SerdeParser::parse_long_integer(bool positive, uint64_t sig, double& out) {
  int32_t exponent = 0;
  for (;;) {
    const uint8_t p = peek_or_null();
    if (is_digit(p)) {
      ++i_;
      ++exponent;
    } else if (p == '.') {
      return parse_decimal(positive, sig, exponent, out);
    } else if (p == 'e' || p == 'E') {
      return parse_exponent(positive, sig, exponent, out);
    } else {
      return f64_from_parts(positive, sig, exponent, out);
    }
  }
}

bool SerdeParser::parse_decimal_overflow(bool positive, uint64_t sig, int32_t exponent,
                                         double& out) {
  while (is_digit(peek_or_null())) ++i_;
  const uint8_t p = peek_or_null();
  if (p == 'e' || p == 'E') return parse_exponent(positive, sig, exponent, out);
  return f64_from_parts(positive, sig, exponent, out);
}

bool SerdeParser::ignore_integer() {
  const uint8_t c = at_end() ? 0 : static_cast<uint8_t>(s_[i_++]);
  if (c == '0') {
    if (is_digit(peek_or_null())) return peek_error(Code::kInvalidNumber);
  } else if (c >= '1' && c <= '9') {
    while (is_digit(peek_or_null())) ++i_;
  } else {
    return error(Code::kInvalidNumber);
  }
  const uint8_t p = peek_or_null();
  if (p == '.') return ignore_decimal();
  if (p == 'e' || p == 'E') return ignore_exponent();
  return true;
}

bool SerdeParser::ignore_decimal() {
  ++i_;
  bool any = false;
  while (is_digit(peek_or_null())) {
    ++i_;
    any = true;
  }
  if (!any) return peek_error(Code::kInvalidNumber);
  const uint8_t p = peek_or_null();
  if (p == 'e' || p == 'E') return ignore_exponent();
  return true;
}

bool SerdeParser::ignore_exponent() {
  ++i_;
  if (peek_or_null() == '+' || peek_or_null() == '-') ++i_;
  const uint8_t c = at_end() ? 0 : static_cast<uint8_t>(s_[i_++]);
  if (!is_digit(c)) return error(Code::kInvalidNumber);
  while (is_digit(peek_or_null())) ++i_;
  return true;
}

}  // namespace fips::serde
