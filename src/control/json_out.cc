#include "control/json_out.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "control/utf8.h"

namespace fips {
namespace {

void append_u64(std::string& out, uint64_t v) {
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}

void append_i64(std::string& out, int64_t v) {
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}

void append_scalar(std::string& out, const nlohmann::json& v) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null:
    case T::discarded:
      out += "null";
      return;
    case T::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case T::number_integer:
      append_i64(out, v.get<int64_t>());
      return;
    case T::number_unsigned:
      append_u64(out, v.get<uint64_t>());
      return;
    case T::number_float:
      append_f64(out, v.get<double>());
      return;
    case T::string:
      append_json_string(out, v.get_ref<const std::string&>());
      return;
    case T::binary:  // never produced by our builders; keep the output valid
      out += "null";
      return;
    case T::object:
    case T::array:
      return;  // handled by the callers
  }
}

void append_pretty(std::string& out, const nlohmann::json& v, size_t depth) {
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out.append(2 * (depth + 1), ' ');
      append_json_string(out, it.key());
      out += ": ";
      append_pretty(out, it.value(), depth + 1);
    }
    out += '\n';
    out.append(2 * depth, ' ');
    out += '}';
    return;
  }
  if (v.is_array()) {
    if (v.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& e : v) {
      if (!first) out += ",\n";
      first = false;
      out.append(2 * (depth + 1), ' ');
      append_pretty(out, e, depth + 1);
    }
    out += '\n';
    out.append(2 * depth, ' ');
    out += ']';
    return;
  }
  append_scalar(out, v);
}

}  // namespace

void append_f64(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  if (std::signbit(x)) out += '-';
  x = std::fabs(x);
  if (x == 0.0) {
    out += "0.0";
    return;
  }
  // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]XX".
  std::array<char, 40> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::scientific);
  std::string_view sci(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  const size_t epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos))
    if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int e10 = 0;
  std::string_view exp = sci.substr(epos + 1);
  if (!exp.empty() && exp.front() == '+') exp.remove_prefix(1);
  std::from_chars(exp.data(), exp.data() + exp.size(), e10);

  const int len = static_cast<int>(digits.size());
  if (e10 >= -5 && e10 <= 15) {
    if (len - 1 <= e10) {  // 1234e7 -> 12340000000.0
      out += digits;
      out.append(static_cast<size_t>(e10 - (len - 1)), '0');
      out += ".0";
    } else if (e10 >= 0) {  // 1234e-2 -> 12.34
      out.append(digits, 0, static_cast<size_t>(e10 + 1));
      out += '.';
      out.append(digits, static_cast<size_t>(e10 + 1));
    } else {  // 1234e-6 -> 0.001234
      out += "0.";
      out.append(static_cast<size_t>(-e10 - 1), '0');
      out += digits;
    }
    return;
  }
  out += digits[0];
  if (len > 1) {
    out += '.';
    out.append(digits, 1);
  }
  out += 'e';
  out += e10 >= 0 ? '+' : '-';
  out += std::to_string(std::abs(e10));
}

std::string format_f64(double x) {
  std::string s;
  append_f64(s, x);
  return s;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_sequence_len(s.substr(i));
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD for the maximal invalid subpart
        i += utf8_invalid_len(s.substr(i));
      } else {
        out.append(s, i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void append_json_compact(std::string& out, const nlohmann::json& v) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, it.key());
      out += ':';
      append_json_compact(out, it.value());
    }
    out += '}';
    return;
  }
  if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : v) {
      if (!first) out += ',';
      first = false;
      append_json_compact(out, e);
    }
    out += ']';
    return;
  }
  append_scalar(out, v);
}

std::string json_compact(const nlohmann::json& v) {
  std::string s;
  append_json_compact(s, v);
  return s;
}

std::string json_pretty(const nlohmann::json& v) {
  std::string s;
  append_pretty(s, v, 0);
  return s;
}

std::string ok_response_line(const nlohmann::json& data) {
  std::string s = R"({"status":"ok","data":)";
  append_json_compact(s, data);
  s += "}\n";
  return s;
}

std::string error_response_line(std::string_view message) {
  std::string s = R"({"status":"error","message":)";
  append_json_string(s, message);
  s += "}\n";
  return s;
}

}  // namespace fips
