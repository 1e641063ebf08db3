// JSON text exactly as the reference (Rust serde_json 1.0.151, zmij floats,
// no preserve_order) writes it: compact for the control socket, pretty for
// fipsctl. Values are nlohmann::json; its default object is a std::map, so
// keys come out in bytewise order like serde_json's BTreeMap.
// Not here: parsing (control/json_in.h), what the responses contain
// (control/queries.h), sockets (control/server.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fips {

// f64 the way serde_json prints it: shortest round-trip digits; fixed
// notation when the leading digit's decimal exponent is in [-5, 15] (always
// with a '.', e.g. "1.0", "0.00002"), otherwise "d[.ddd]e+X" / "e-X" without
// zero padding ("1e-6", "1e+16"). Non-finite values print as "null" (a
// serde_json Value cannot hold them).
std::string format_f64(double x);
void append_f64(std::string& out, double x);

// A JSON string literal: escapes '"', '\\', \n \r \t \b \f, other C0 controls
// as \u00xx (lower-case hex); everything else raw. Invalid UTF-8 is replaced
// by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

// serde_json::to_string: no whitespace at all.
void append_json_compact(std::string& out, const nlohmann::json& v);
std::string json_compact(const nlohmann::json& v);

// serde_json::to_string_pretty: two-space indent, "key": value, "[]"/"{}"
// for empties, no trailing newline.
std::string json_pretty(const nlohmann::json& v);

// The control-socket response envelope (a struct in the reference, so
// "status" comes first), followed by "\n".
std::string ok_response_line(const nlohmann::json& data);
std::string error_response_line(std::string_view message);

}  // namespace fips
