// A recursive-descent parser that follows serde_json's Deserializer step by
// step (which byte is peeked or consumed before each error) because the error
// position is part of the reference's observable output.
#include "control/json_in.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "control/json_out.h"

namespace fips {
namespace {

enum class Code : uint8_t {
  kEofList,
  kEofObject,
  kEofString,
  kEofValue,
  kExpectedColon,
  kExpectedListCommaOrEnd,
  kExpectedObjectCommaOrEnd,
  kExpectedSomeIdent,
  kExpectedSomeValue,
  kInvalidEscape,
  kInvalidNumber,
  kNumberOutOfRange,
  kControlChar,
  kKeyMustBeAString,
  kLoneLeadingSurrogate,
  kTrailingComma,
  kTrailingCharacters,
  kUnexpectedEndOfHexEscape,
  kRecursionLimit,
};

const char* code_text(Code c) {
  switch (c) {
    case Code::kEofList: return "EOF while parsing a list";
    case Code::kEofObject: return "EOF while parsing an object";
    case Code::kEofString: return "EOF while parsing a string";
    case Code::kEofValue: return "EOF while parsing a value";
    case Code::kExpectedColon: return "expected `:`";
    case Code::kExpectedListCommaOrEnd: return "expected `,` or `]`";
    case Code::kExpectedObjectCommaOrEnd: return "expected `,` or `}`";
    case Code::kExpectedSomeIdent: return "expected ident";
    case Code::kExpectedSomeValue: return "expected value";
    case Code::kInvalidEscape: return "invalid escape";
    case Code::kInvalidNumber: return "invalid number";
    case Code::kNumberOutOfRange: return "number out of range";
    case Code::kControlChar:
      return "control character (\\u0000-\\u001F) found while parsing a string";
    case Code::kKeyMustBeAString: return "key must be a string";
    case Code::kLoneLeadingSurrogate: return "lone leading surrogate in hex escape";
    case Code::kTrailingComma: return "trailing comma";
    case Code::kTrailingCharacters: return "trailing characters";
    case Code::kUnexpectedEndOfHexEscape: return "unexpected end of hex escape";
    case Code::kRecursionLimit: return "recursion limit exceeded";
  }
  return "error";
}

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

bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

bool overflow_u64(uint64_t a, uint64_t b) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return a >= kMax / 10 && (a > kMax / 10 || b > kMax % 10);
}

bool overflow_i32(int32_t a, int32_t b) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  return a >= kMax / 10 && (a > kMax / 10 || b > kMax % 10);
}

int hex_val(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void push_utf8(std::string& out, uint32_t n) {
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else if (n < 0x800) {
    out += static_cast<char>(0xC0 | (n >> 6));
    out += static_cast<char>(0x80 | (n & 0x3F));
  } else if (n < 0x10000) {
    out += static_cast<char>(0xE0 | (n >> 12));
    out += static_cast<char>(0x80 | ((n >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (n & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (n >> 18));
    out += static_cast<char>(0x80 | ((n >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((n >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (n & 0x3F));
  }
}

// Rust's `{:?}` of a str, as serde's Unexpected::Str prints it. Printability
// is approximated: C0/C1 controls and DEL are escaped, everything else raw.
std::string rust_debug_str(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    switch (c) {
      case '\0': out += "\\0"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      case '\n': out += "\\n"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      default: break;
    }
    uint32_t cp = c;
    if (c == 0xC2 && i + 1 < s.size()) {  // U+0080..U+00BF: C1 controls live here
      cp = static_cast<uint8_t>(s[i + 1]) & 0x3Fu;
      cp |= 0x80;
      if (cp <= 0x9F) {
        out += "\\u{";
        out += kHex[cp >> 4];
        out += kHex[cp & 0xF];
        out += '}';
        ++i;
        continue;
      }
    }
    if (c < 0x20 || c == 0x7F) {
      out += "\\u{";
      if (c >= 0x10) out += kHex[c >> 4];
      out += kHex[c & 0xF];
      out += '}';
      continue;
    }
    out += static_cast<char>(c);
  }
  out += '"';
  return out;
}

struct Number {
  enum Kind : uint8_t { kF64, kU64, kI64 } kind = kU64;
  double f = 0;
  uint64_t u = 0;
  int64_t i = 0;
  static Number of_f64(double v) { return Number{kF64, v, 0, 0}; }
  nlohmann::json to_json() const {
    switch (kind) {
      case kF64: return nlohmann::json(f);
      case kU64: return nlohmann::json(u);
      case kI64: return nlohmann::json(i);
    }
    return nullptr;
  }
  std::string unexpected() const {  // serde_json's JsonUnexpected
    switch (kind) {
      case kF64: return "floating point `" + format_f64(f) + "`";
      case kU64: return "integer `" + std::to_string(u) + "`";
      case kI64: return "integer `" + std::to_string(i) + "`";
    }
    return "number";
  }
};

class Parser {
 public:
  explicit Parser(std::string_view s, FloatParsing floats = FloatParsing::kSerdeDefault)
      : s_(s), floats_(floats) {}

  Result<ControlRequest, std::string> request() {
    ControlRequest req;
    if (!deserialize_request(req) || !end()) return Err{message()};
    return req;
  }

  Result<nlohmann::json, std::string> value() {
    nlohmann::json v;
    if (!parse_any(v) || !end()) return Err{message()};
    return v;
  }

 private:
  struct Error {
    std::string msg;
    bool positioned = false;
    size_t line = 0, column = 0;
  };

  // ---- reader ----
  [[nodiscard]] bool at_end() const { return i_ >= s_.size(); }
  [[nodiscard]] uint8_t peek_or_null() const {
    return at_end() ? 0 : static_cast<uint8_t>(s_[i_]);
  }
  void position_of(size_t idx, size_t& line, size_t& column) const {
    size_t start = 0;
    line = 1;
    for (size_t k = 0; k < idx; ++k)
      if (s_[k] == '\n') start = k + 1;
    for (size_t k = 0; k < start; ++k)
      if (s_[k] == '\n') ++line;
    column = idx - start;
  }
  bool fail_at(Code c, size_t idx) {
    Error e;
    e.msg = code_text(c);
    e.positioned = true;
    position_of(idx, e.line, e.column);
    err_ = std::move(e);
    return false;
  }
  bool error(Code c) { return fail_at(c, i_); }                                   // after next()
  bool peek_error(Code c) { return fail_at(c, std::min(s_.size(), i_ + 1)); }  // after peek()
  bool custom(std::string msg) {
    err_ = Error{std::move(msg), false, 0, 0};
    return false;
  }
  void fix_position() {
    if (err_ && !err_->positioned) {
      err_->positioned = true;
      position_of(i_, err_->line, err_->column);
    }
  }
  std::string message() const {
    if (!err_) return "error";
    if (!err_->positioned) return err_->msg;
    return err_->msg + " at line " + std::to_string(err_->line) + " column " +
           std::to_string(err_->column);
  }

  // Returns the next non-whitespace byte (not consumed), 0 at the end.
  bool parse_whitespace(uint8_t& c) {
    while (!at_end()) {
      c = static_cast<uint8_t>(s_[i_]);
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
        ++i_;
        continue;
      }
      return true;
    }
    c = 0;
    return false;
  }

  bool end() {
    uint8_t c = 0;
    if (parse_whitespace(c)) return peek_error(Code::kTrailingCharacters);
    return true;
  }

  bool parse_ident(std::string_view ident) {
    for (char expected : ident) {
      if (at_end()) return error(Code::kEofValue);
      if (s_[i_++] != expected) return error(Code::kExpectedSomeIdent);
    }
    return true;
  }

  // ---- numbers ----
  bool parse_integer(bool positive, Number& out) {
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

  bool parse_number(bool positive, uint64_t sig, Number& out) {
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
      if (neg >= 0) out = Number::of_f64(-static_cast<double>(sig));  // -0 or below i64::MIN
      else out = Number{Number::kI64, 0, 0, neg};
    }
    return true;
  }

  bool parse_decimal(bool positive, uint64_t sig, int32_t exp_before, double& out) {
    ++i_;  // '.'
    int32_t exp_after = 0;
    while (is_digit(peek_or_null())) {
      const uint64_t digit = peek_or_null() - '0';
      if (overflow_u64(sig, digit)) return parse_decimal_overflow(positive, sig, exp_before + exp_after, out);
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

  bool parse_exponent(bool positive, uint64_t sig, int32_t starting_exp, double& out) {
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
    const auto final_exp = static_cast<int32_t>(
        std::clamp<int64_t>(wide, std::numeric_limits<int32_t>::min(),
                            std::numeric_limits<int32_t>::max()));  // saturating
    return f64_from_parts(positive, sig, final_exp, out);
  }

  bool f64_from_parts(bool positive, uint64_t sig, int32_t exponent, double& out) {
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

  bool parse_long_integer(bool positive, uint64_t sig, double& out) {
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

  bool parse_decimal_overflow(bool positive, uint64_t sig, int32_t exponent, double& out) {
    while (is_digit(peek_or_null())) ++i_;
    const uint8_t p = peek_or_null();
    if (p == 'e' || p == 'E') return parse_exponent(positive, sig, exponent, out);
    return f64_from_parts(positive, sig, exponent, out);
  }

  bool ignore_integer() {
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

  bool ignore_decimal() {
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

  bool ignore_exponent() {
    ++i_;
    if (peek_or_null() == '+' || peek_or_null() == '-') ++i_;
    const uint8_t c = at_end() ? 0 : static_cast<uint8_t>(s_[i_++]);
    if (!is_digit(c)) return error(Code::kInvalidNumber);
    while (is_digit(peek_or_null())) ++i_;
    return true;
  }

  // ---- strings ----
  void skip_to_escape() {
    while (!at_end()) {
      const auto c = static_cast<uint8_t>(s_[i_]);
      if (c == '"' || c == '\\' || c < 0x20) return;
      ++i_;
    }
  }

  bool decode_hex_escape(uint16_t& out) {
    if (s_.size() - i_ < 4) {
      i_ = s_.size();
      return error(Code::kEofString);
    }
    int v = 0;
    bool ok = true;
    for (size_t k = 0; k < 4; ++k) {
      const int h = hex_val(static_cast<uint8_t>(s_[i_ + k]));
      if (h < 0) ok = false;
      v = (v << 4) | (h & 0xF);
    }
    i_ += 4;
    if (!ok) return error(Code::kInvalidEscape);
    out = static_cast<uint16_t>(v);
    return true;
  }

  bool parse_unicode_escape(std::string& out) {
    uint16_t n = 0;
    if (!decode_hex_escape(n)) return false;
    if (n >= 0xDC00 && n <= 0xDFFF) return error(Code::kLoneLeadingSurrogate);
    if (n < 0xD800 || n > 0xDBFF) {
      push_utf8(out, n);
      return true;
    }
    const uint16_t n1 = n;
    if (at_end()) return error(Code::kEofString);
    if (s_[i_] != '\\') {
      ++i_;
      return error(Code::kUnexpectedEndOfHexEscape);
    }
    ++i_;
    if (at_end()) return error(Code::kEofString);
    if (s_[i_] != 'u') {
      ++i_;
      return error(Code::kUnexpectedEndOfHexEscape);
    }
    ++i_;
    uint16_t n2 = 0;
    if (!decode_hex_escape(n2)) return false;
    if (n2 < 0xDC00 || n2 > 0xDFFF) return error(Code::kLoneLeadingSurrogate);
    const uint32_t cp = ((static_cast<uint32_t>(n1 - 0xD800) << 10) | (n2 - 0xDC00u)) + 0x10000u;
    push_utf8(out, cp);
    return true;
  }

  bool parse_escape(std::string& out) {
    if (at_end()) return error(Code::kEofString);
    const char ch = s_[i_++];
    switch (ch) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': return parse_unicode_escape(out);
      default: return error(Code::kInvalidEscape);
    }
  }

  // After the opening quote.
  bool parse_str(std::string& out) {
    size_t start = i_;
    for (;;) {
      skip_to_escape();
      if (at_end()) return error(Code::kEofString);
      const char c = s_[i_];
      if (c == '"') {
        out.append(s_.substr(start, i_ - start));
        ++i_;
        return true;
      }
      if (c == '\\') {
        out.append(s_.substr(start, i_ - start));
        ++i_;
        if (!parse_escape(out)) return false;
        start = i_;
        continue;
      }
      ++i_;
      return error(Code::kControlChar);
    }
  }

  bool ignore_str() {
    for (;;) {
      skip_to_escape();
      if (at_end()) return error(Code::kEofString);
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c != '\\') return error(Code::kControlChar);  // no advance, unlike parse_str
      ++i_;
      if (at_end()) return error(Code::kEofString);
      const char e = s_[i_++];
      if (e == 'u') {
        uint16_t ignored = 0;
        if (!decode_hex_escape(ignored)) return false;
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return error(Code::kInvalidEscape);
      }
    }
  }

  // ---- containers ----
  bool has_next_element(bool& first, bool& more) {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofList);
    if (c == ']') {
      more = false;
    } else if (first) {
      first = false;
      more = true;
    } else if (c == ',') {
      ++i_;
      if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
      if (c == ']') return peek_error(Code::kTrailingComma);
      more = true;
    } else {
      return peek_error(Code::kExpectedListCommaOrEnd);
    }
    return true;
  }

  bool has_next_key(bool& first, bool& more) {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
    if (c == '}') {
      more = false;
    } else if (first) {
      first = false;
      if (c != '"') return peek_error(Code::kKeyMustBeAString);
      more = true;
    } else if (c == ',') {
      ++i_;
      if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
      if (c == '}') return peek_error(Code::kTrailingComma);
      if (c != '"') return peek_error(Code::kKeyMustBeAString);
      more = true;
    } else {
      return peek_error(Code::kExpectedObjectCommaOrEnd);
    }
    return true;
  }

  bool parse_object_colon() {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
    if (c != ':') return peek_error(Code::kExpectedColon);
    ++i_;
    return true;
  }

  bool end_seq() {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofList);
    if (c == ']') {
      ++i_;
      return true;
    }
    if (c == ',') {
      ++i_;
      uint8_t d = 0;
      parse_whitespace(d);
      return peek_error(d == ']' ? Code::kTrailingComma : Code::kTrailingCharacters);
    }
    return peek_error(Code::kTrailingCharacters);
  }

  bool end_map() {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
    if (c == '}') {
      ++i_;
      return true;
    }
    return peek_error(c == ',' ? Code::kTrailingComma : Code::kTrailingCharacters);
  }

  // serde_json evaluates `(visit_result, end_xxx())` as a tuple: the end
  // check always runs (and may consume input), but the visit error wins.
  bool finish_container(bool visited, bool is_seq) {
    if (!visited) {
      std::optional<Error> saved = std::move(err_);
      err_.reset();
      if (is_seq) end_seq();
      else end_map();
      err_ = std::move(saved);
      return false;
    }
    return is_seq ? end_seq() : end_map();
  }

  // check_recursion!: the decrement happens before the container is opened.
  bool enter() {
    if (--depth_ == 0) return peek_error(Code::kRecursionLimit);
    return true;
  }

  // ---- Value ----
  bool parse_any(nlohmann::json& out) {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
    bool ok = true;
    switch (c) {
      case 'n': ++i_; ok = parse_ident("ull"); out = nullptr; break;
      case 't': ++i_; ok = parse_ident("rue"); out = true; break;
      case 'f': ++i_; ok = parse_ident("alse"); out = false; break;
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9': {
        const size_t start = i_;
        const bool positive = c != '-';
        if (!positive) ++i_;
        Number n;
        ok = parse_integer(positive, n);
        if (ok && n.kind == Number::kF64 && floats_ == FloatParsing::kCorrectlyRounded) {
          const std::string text(s_.substr(start, i_ - start));
          const double exact = std::strtod(text.c_str(), nullptr);
          if (std::isfinite(exact)) n.f = exact;
        }
        if (ok) out = n.to_json();
        break;
      }
      case '"': {
        ++i_;
        std::string s;
        ok = parse_str(s);
        if (ok) out = std::move(s);
        break;
      }
      case '[': {
        if (!enter()) return false;
        ++i_;
        out = nlohmann::json::array();
        bool first = true, more = false;
        bool visited = true;
        for (;;) {
          if (!has_next_element(first, more)) {
            visited = false;
            break;
          }
          if (!more) break;
          nlohmann::json elem;
          if (!parse_any(elem)) {
            visited = false;
            break;
          }
          out.push_back(std::move(elem));
        }
        ++depth_;
        ok = finish_container(visited, true);
        break;
      }
      case '{': {
        if (!enter()) return false;
        ++i_;
        out = nlohmann::json::object();
        bool first = true, more = false;
        bool visited = true;
        for (;;) {
          if (!has_next_key(first, more)) {
            visited = false;
            break;
          }
          if (!more) break;
          ++i_;  // opening quote of the key
          std::string key;
          nlohmann::json val;
          if (!parse_str(key) || !parse_object_colon() || !parse_any(val)) {
            visited = false;
            break;
          }
          out[key] = std::move(val);
        }
        ++depth_;
        ok = finish_container(visited, false);
        break;
      }
      default: return peek_error(Code::kExpectedSomeValue);
    }
    if (!ok) fix_position();
    return ok;
  }

  // deserialize_ignored_any: skips a value without building it; uses an
  // explicit stack (bounded by the input length), no recursion limit.
  bool ignore_value() {
    std::string stack;
    uint8_t enclosing = 0;
    for (;;) {
      uint8_t c = 0;
      if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
      uint8_t frame = 0;
      switch (c) {
        case 'n': ++i_; if (!parse_ident("ull")) return false; break;
        case 't': ++i_; if (!parse_ident("rue")) return false; break;
        case 'f': ++i_; if (!parse_ident("alse")) return false; break;
        case '-': ++i_; if (!ignore_integer()) return false; break;
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
          if (!ignore_integer()) return false;
          break;
        case '"': ++i_; if (!ignore_str()) return false; break;
        case '[':
        case '{':
          if (enclosing != 0) stack.push_back(static_cast<char>(enclosing));
          enclosing = 0;
          ++i_;
          frame = c;
          break;
        default: return peek_error(Code::kExpectedSomeValue);
      }
      bool accept_comma = false;
      if (frame == 0) {
        if (enclosing != 0) {
          frame = enclosing;
          enclosing = 0;
        } else if (!stack.empty()) {
          frame = static_cast<uint8_t>(stack.back());
          stack.pop_back();
        } else {
          return true;
        }
        accept_comma = true;
      }
      for (;;) {
        if (!parse_whitespace(c))
          return peek_error(frame == '[' ? Code::kEofList : Code::kEofObject);
        if (c == ',' && accept_comma) {
          ++i_;
          break;
        }
        const bool closes = (c == ']' && frame == '[') || (c == '}' && frame == '{');
        if (!closes) {
          if (accept_comma)
            return peek_error(frame == '[' ? Code::kExpectedListCommaOrEnd
                                           : Code::kExpectedObjectCommaOrEnd);
          break;
        }
        ++i_;
        if (stack.empty()) return true;
        frame = static_cast<uint8_t>(stack.back());
        stack.pop_back();
        accept_comma = true;
      }
      if (frame == '{') {
        if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
        if (c != '"') return peek_error(Code::kKeyMustBeAString);
        ++i_;
        if (!ignore_str()) return false;
        if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
        if (c != ':') return peek_error(Code::kExpectedColon);
        ++i_;
      }
      enclosing = frame;
    }
  }

  // ---- Request ----
  // peek_invalid_type: consumes the offending scalar, then reports its type.
  bool peek_invalid_type(std::string_view expected) {
    const uint8_t c = peek_or_null();
    std::string unexpected;
    switch (c) {
      case 'n': ++i_; if (!parse_ident("ull")) return false; unexpected = "null"; break;
      case 't': ++i_; if (!parse_ident("rue")) return false; unexpected = "boolean `true`"; break;
      case 'f': ++i_; if (!parse_ident("alse")) return false; unexpected = "boolean `false`"; break;
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9': {
        const bool positive = c != '-';
        if (!positive) ++i_;
        Number n;
        if (!parse_integer(positive, n)) return false;
        unexpected = n.unexpected();
        break;
      }
      case '"': {
        ++i_;
        std::string s;
        if (!parse_str(s)) return false;
        unexpected = "string " + rust_debug_str(s);
        break;
      }
      case '[': unexpected = "sequence"; break;
      case '{': unexpected = "map"; break;
      default: return peek_error(Code::kExpectedSomeValue);
    }
    custom("invalid type: " + unexpected + ", expected " + std::string(expected));
    fix_position();
    return false;
  }

  bool deserialize_string(std::string& out) {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
    bool ok = false;
    if (c == '"') {
      ++i_;
      ok = parse_str(out);
    } else {
      ok = peek_invalid_type("a string");
    }
    if (!ok) fix_position();
    return ok;
  }

  bool deserialize_option_value(std::optional<nlohmann::json>& out) {
    uint8_t c = 0;
    parse_whitespace(c);
    if (c == 'n') {
      ++i_;
      if (!parse_ident("ull")) return false;
      out.reset();
      return true;
    }
    nlohmann::json v;
    if (!parse_any(v)) return false;
    out = std::move(v);
    return true;
  }

  bool visit_request_seq(ControlRequest& req) {
    bool first = true, more = false;
    if (!has_next_element(first, more)) return false;
    if (!more) return custom("invalid length 0, expected struct Request with 2 elements");
    if (!deserialize_string(req.command)) return false;
    if (!has_next_element(first, more)) return false;
    if (more && !deserialize_option_value(req.params)) return false;
    return true;
  }

  bool visit_request_map(ControlRequest& req) {
    bool have_command = false, have_params = false;
    bool first = true, more = false;
    for (;;) {
      if (!has_next_key(first, more)) return false;
      if (!more) break;
      ++i_;
      std::string key;
      if (!parse_str(key)) return false;
      if (key == "command") {
        if (have_command) return custom("duplicate field `command`");
        if (!parse_object_colon() || !deserialize_string(req.command)) return false;
        have_command = true;
      } else if (key == "params") {
        if (have_params) return custom("duplicate field `params`");
        if (!parse_object_colon() || !deserialize_option_value(req.params)) return false;
        have_params = true;
      } else {
        if (!parse_object_colon() || !ignore_value()) return false;
      }
    }
    if (!have_command) return custom("missing field `command`");
    return true;
  }

  bool deserialize_request(ControlRequest& req) {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
    bool ok = false;
    if (c == '[' || c == '{') {
      if (!enter()) return false;
      ++i_;
      const bool visited = c == '[' ? visit_request_seq(req) : visit_request_map(req);
      ++depth_;
      ok = finish_container(visited, c == '[');
    } else {
      ok = peek_invalid_type("struct Request");
    }
    if (!ok) fix_position();
    return ok;
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 128;
  FloatParsing floats_;
  std::optional<Error> err_;
};

bool is_rust_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Decodes the code point starting at s[i] (assumed valid UTF-8); returns its length.
size_t decode_at(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = static_cast<uint8_t>(s[i]);
  size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + n > s.size()) n = s.size() - i;
  cp = n == 1 ? b : (b & (0xFFu >> (n + 1)));
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3Fu);
  return n;
}

}  // namespace

std::string_view rust_trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    uint32_t cp = 0;
    const size_t n = decode_at(s, b, cp);
    if (!is_rust_whitespace(cp)) break;
    b += n;
  }
  size_t e = s.size();
  while (e > b) {
    size_t start = e - 1;  // back up to the lead byte
    while (start > b && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    uint32_t cp = 0;
    decode_at(s, start, cp);
    if (!is_rust_whitespace(cp)) break;
    e = start;
  }
  return s.substr(b, e - b);
}

Result<ControlRequest, std::string> parse_control_request(std::string_view line) {
  return Parser(rust_trim(line)).request();
}

Result<nlohmann::json, std::string> parse_json_value(std::string_view text, FloatParsing floats) {
  return Parser(text, floats).value();
}

}  // namespace fips
