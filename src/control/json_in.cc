// Public JSON-in API (json_in.h): the control Request type's deserializer,
// Value parsing and Rust's str::trim. The byte-level serde_json machinery is
// in serde_parser.{h,cc}.
#include "control/json_in.h"

#include "control/serde_parser.h"

namespace fips {
namespace serde {
namespace {

// Rust's `{:?}` of a str, as serde's Unexpected::Str prints it. Printability
// is approximated: C0/C1 controls and DEL are escaped, everything else raw.
std::string rust_debug_str(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    switch (c) {
      case '\0':
        out += "\\0";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '"':
        out += "\\\"";
        continue;
      default:
        break;
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

}  // namespace

Result<ControlRequest, std::string> SerdeParser::request() {
  ControlRequest req;
  if (!deserialize_request(req) || !end()) return Err{message()};
  return req;
}

Result<nlohmann::json, std::string> SerdeParser::value() {
  nlohmann::json v;
  if (!parse_any(v) || !end()) return Err{message()};
  return v;
}

bool SerdeParser::peek_invalid_type(std::string_view expected) {
  const uint8_t c = peek_or_null();
  std::string unexpected;
  switch (c) {
    case 'n':
      ++i_;
      if (!parse_ident("ull")) return false;
      unexpected = "null";
      break;
    case 't':
      ++i_;
      if (!parse_ident("rue")) return false;
      unexpected = "boolean `true`";
      break;
    case 'f':
      ++i_;
      if (!parse_ident("alse")) return false;
      unexpected = "boolean `false`";
      break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
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
    case '[':
      unexpected = "sequence";
      break;
    case '{':
      unexpected = "map";
      break;
    default:
      return peek_error(Code::kExpectedSomeValue);
  }
  custom("invalid type: " + unexpected + ", expected " + std::string(expected));
  fix_position();
  return false;
}

bool SerdeParser::deserialize_string(std::string& out) {
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

bool SerdeParser::deserialize_option_value(std::optional<nlohmann::json>& out) {
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

bool SerdeParser::visit_request_seq(ControlRequest& req) {
  bool first = true, more = false;
  if (!has_next_element(first, more)) return false;
  if (!more) return custom("invalid length 0, expected struct Request with 2 elements");
  if (!deserialize_string(req.command)) return false;
  if (!has_next_element(first, more)) return false;
  if (more && !deserialize_option_value(req.params)) return false;
  return true;
}

bool SerdeParser::visit_request_map(ControlRequest& req) {
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

bool SerdeParser::deserialize_request(ControlRequest& req) {
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

}  // namespace serde

namespace {

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
  return serde::SerdeParser(rust_trim(line)).request();
}

Result<nlohmann::json, std::string> parse_json_value(std::string_view text, FloatParsing floats) {
  return serde::SerdeParser(text, floats).value();
}

}  // namespace fips
