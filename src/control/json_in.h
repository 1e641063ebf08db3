// JSON parsing that accepts and rejects exactly what the reference's
// serde_json (1.0.151, default features) does, with the same error texts
// ("<what> at line L column C"), so `invalid request: ...` and fipsctl's
// `invalid response JSON: ...` messages match byte for byte.
// Bounded: nesting is limited to serde_json's 128 levels; no exceptions.
// Not here: writing JSON (control/json_out.h), the socket (control/server.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace fips {

// A control request: {"command": String, "params": Option<Value>}. Unknown
// top-level fields are ignored; "params": null is the same as absent.
struct ControlRequest {
  std::string command;
  std::optional<nlohmann::json> params;
  [[nodiscard]] const nlohmann::json* params_ptr() const { return params ? &*params : nullptr; }
};

// serde_json::from_str::<Request>(line.trim()), trimming Unicode white space
// like Rust's str::trim. On failure returns serde_json's message, e.g.
// "missing field `command` at line 1 column 17" (the caller prefixes
// "invalid request: "). `line` should be valid UTF-8 (the server checks).
[[nodiscard]] Result<ControlRequest, std::string> parse_control_request(std::string_view line);

// How non-integer numbers become doubles.
enum class FloatParsing {
  // serde_json without its `float_roundtrip` feature (the reference's build):
  // significand * or / a power of ten, which can be 1 ulp off for 16+
  // significant digits (0.010000000000000009 reads as 0.010000000000000007).
  // fipsctl uses this so it prints what the reference fipsctl prints.
  kSerdeDefault,
  // Correctly rounded (strtod), i.e. serde_json with `float_roundtrip`.
  kCorrectlyRounded,
};

// serde_json::from_str::<Value>(text): integers become uint64/int64, other
// numbers double; duplicate object keys keep the last value.
[[nodiscard]] Result<nlohmann::json, std::string> parse_json_value(
    std::string_view text, FloatParsing floats = FloatParsing::kSerdeDefault);

// Rust's str::trim (Unicode White_Space at both ends).
std::string_view rust_trim(std::string_view s);

}  // namespace fips
