// Internal to control/: serde_json's Deserializer (1.0.151, StrRead, default
// features) re-implemented step by step - which byte is peeked or consumed
// before each error - because error positions are part of the reference's
// observable output. Used by json_in.cc; nothing else should include this.
// Not here: the public API (control/json_in.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "control/json_in.h"
#include "control/json_out.h"
#include "util/result.h"

namespace fips::serde {

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

struct Number {
  enum Kind : uint8_t { kF64, kU64, kI64 } kind = kU64;
  double f = 0;
  uint64_t u = 0;
  int64_t i = 0;
  static Number of_f64(double v) { return Number{kF64, v, 0, 0}; }
  nlohmann::json to_json() const {
    switch (kind) {
      case kF64:
        return nlohmann::json(f);
      case kU64:
        return nlohmann::json(u);
      case kI64:
        return nlohmann::json(i);
    }
    return nullptr;
  }
  std::string unexpected() const {  // serde_json's JsonUnexpected
    switch (kind) {
      case kF64:
        return "floating point `" + format_f64(f) + "`";
      case kU64:
        return "integer `" + std::to_string(u) + "`";
      case kI64:
        return "integer `" + std::to_string(i) + "`";
    }
    return "number";
  }
};

class SerdeParser {
 public:
  explicit SerdeParser(std::string_view s, FloatParsing floats = FloatParsing::kSerdeDefault)
      : s_(s), floats_(floats) {}

  // serde_json::from_str::<Request> / ::<Value>.
  Result<ControlRequest, std::string> request();
  Result<nlohmann::json, std::string> value();

 private:
  struct Error {
    std::string msg;
    bool positioned = false;
    size_t line = 0, column = 0;
  };

  // ---- reader ----
  [[nodiscard]] bool at_end() const { return i_ >= s_.size(); }
  bool error(Code c) { return fail_at(c, i_); }                                // after next()
  bool peek_error(Code c) { return fail_at(c, std::min(s_.size(), i_ + 1)); }  // after peek()
  [[nodiscard]] uint8_t peek_or_null() const;
  void position_of(size_t idx, size_t& line, size_t& column) const;
  bool fail_at(Code c, size_t idx);
  bool custom(std::string msg);
  void fix_position();
  std::string message() const;
  // Returns the next non-whitespace byte (not consumed), 0 at the end.
  bool parse_whitespace(uint8_t& c);
  bool end();
  bool parse_ident(std::string_view ident);
  // ---- numbers ----
  bool parse_integer(bool positive, Number& out);
  bool parse_number(bool positive, uint64_t sig, Number& out);
  bool parse_decimal(bool positive, uint64_t sig, int32_t exp_before, double& out);
  bool parse_exponent(bool positive, uint64_t sig, int32_t starting_exp, double& out);
  bool f64_from_parts(bool positive, uint64_t sig, int32_t exponent, double& out);
  bool parse_long_integer(bool positive, uint64_t sig, double& out);
  bool parse_decimal_overflow(bool positive, uint64_t sig, int32_t exponent, double& out);
  bool ignore_integer();
  bool ignore_decimal();
  bool ignore_exponent();
  // ---- strings ----
  void skip_to_escape();
  bool decode_hex_escape(uint16_t& out);
  bool parse_unicode_escape(std::string& out);
  bool parse_escape(std::string& out);
  // After the opening quote.
  bool parse_str(std::string& out);
  bool ignore_str();
  // ---- containers ----
  bool has_next_element(bool& first, bool& more);
  bool has_next_key(bool& first, bool& more);
  bool parse_object_colon();
  bool end_seq();
  bool end_map();
  // serde_json evaluates `(visit_result, end_xxx())` as a tuple: the end
  // check always runs (and may consume input), but the visit error wins.
  bool finish_container(bool visited, bool is_seq);
  // check_recursion!: the decrement happens before the container is opened.
  bool enter();
  // ---- Value ----
  bool parse_any(nlohmann::json& out);
  // deserialize_ignored_any: skips a value without building it; uses an
  // explicit stack (bounded by the input length), no recursion limit.
  bool ignore_value();
  // ---- Request ----
  // peek_invalid_type: consumes the offending scalar, then reports its type.
  bool peek_invalid_type(std::string_view expected);
  bool deserialize_string(std::string& out);
  bool deserialize_option_value(std::optional<nlohmann::json>& out);
  bool visit_request_seq(ControlRequest& req);
  bool visit_request_map(ControlRequest& req);
  bool deserialize_request(ControlRequest& req);

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 128;  // serde_json's recursion limit
  FloatParsing floats_;
  std::optional<Error> err_;
};

}  // namespace fips::serde
