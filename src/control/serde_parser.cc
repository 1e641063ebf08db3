// serde_json's Deserializer: reader, strings, containers, Value and
// IgnoredAny (see serde_parser.h). Numbers are in serde_numbers.cc, the
// Request-specific parts in json_in.cc.
#include "control/serde_parser.h"

#include <cmath>
#include <cstdlib>

namespace fips::serde {
namespace {

const char* code_text(Code c) {
  switch (c) {
    case Code::kEofList:
      return "EOF while parsing a list";
    case Code::kEofObject:
      return "EOF while parsing an object";
    case Code::kEofString:
      return "EOF while parsing a string";
    case Code::kEofValue:
      return "EOF while parsing a value";
    case Code::kExpectedColon:
      return "expected `:`";
    case Code::kExpectedListCommaOrEnd:
      return "expected `,` or `]`";
    case Code::kExpectedObjectCommaOrEnd:
      return "expected `,` or `}`";
    case Code::kExpectedSomeIdent:
      return "expected ident";
    case Code::kExpectedSomeValue:
      return "expected value";
    case Code::kInvalidEscape:
      return "invalid escape";
    case Code::kInvalidNumber:
      return "invalid number";
    case Code::kNumberOutOfRange:
      return "number out of range";
    case Code::kControlChar:
      return "control character (\\u0000-\\u001F) found while parsing a string";
    case Code::kKeyMustBeAString:
      return "key must be a string";
    case Code::kLoneLeadingSurrogate:
      return "lone leading surrogate in hex escape";
    case Code::kTrailingComma:
      return "trailing comma";
    case Code::kTrailingCharacters:
      return "trailing characters";
    case Code::kUnexpectedEndOfHexEscape:
      return "unexpected end of hex escape";
    case Code::kRecursionLimit:
      return "recursion limit exceeded";
  }
  return "error";
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

}  // namespace

uint8_t SerdeParser::peek_or_null() const {
  return at_end() ? 0 : static_cast<uint8_t>(s_[i_]);
}

void SerdeParser::position_of(size_t idx, size_t& line, size_t& column) const {
  size_t start = 0;
  line = 1;
  for (size_t k = 0; k < idx; ++k)
    if (s_[k] == '\n') start = k + 1;
  for (size_t k = 0; k < start; ++k)
    if (s_[k] == '\n') ++line;
  column = idx - start;
}

bool SerdeParser::fail_at(Code c, size_t idx) {
  Error e;
  e.msg = code_text(c);
  e.positioned = true;
  position_of(idx, e.line, e.column);
  err_ = std::move(e);
  return false;
}

bool SerdeParser::custom(std::string msg) {
  err_ = Error{std::move(msg), false, 0, 0};
  return false;
}

void SerdeParser::fix_position() {
  if (err_ && !err_->positioned) {
    err_->positioned = true;
    position_of(i_, err_->line, err_->column);
  }
}

std::string SerdeParser::message() const {
  if (!err_) return "error";
  if (!err_->positioned) return err_->msg;
  return err_->msg + " at line " + std::to_string(err_->line) + " column " +
         std::to_string(err_->column);
}

bool SerdeParser::parse_whitespace(uint8_t& c) {
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

bool SerdeParser::end() {
  uint8_t c = 0;
  if (parse_whitespace(c)) return peek_error(Code::kTrailingCharacters);
  return true;
}

bool SerdeParser::parse_ident(std::string_view ident) {
  for (char expected : ident) {
    if (at_end()) return error(Code::kEofValue);
    if (s_[i_++] != expected) return error(Code::kExpectedSomeIdent);
  }
  return true;
}

void SerdeParser::skip_to_escape() {
  while (!at_end()) {
    const auto c = static_cast<uint8_t>(s_[i_]);
    if (c == '"' || c == '\\' || c < 0x20) return;
    ++i_;
  }
}

bool SerdeParser::decode_hex_escape(uint16_t& out) {
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

bool SerdeParser::parse_unicode_escape(std::string& out) {
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

bool SerdeParser::parse_escape(std::string& out) {
  if (at_end()) return error(Code::kEofString);
  const char ch = s_[i_++];
  switch (ch) {
    case '"':
      out += '"';
      return true;
    case '\\':
      out += '\\';
      return true;
    case '/':
      out += '/';
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      return parse_unicode_escape(out);
    default:
      return error(Code::kInvalidEscape);
  }
}

bool SerdeParser::parse_str(std::string& out) {
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

bool SerdeParser::ignore_str() {
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

bool SerdeParser::has_next_element(bool& first, bool& more) {
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

bool SerdeParser::has_next_key(bool& first, bool& more) {
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

bool SerdeParser::parse_object_colon() {
  uint8_t c = 0;
  if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
  if (c != ':') return peek_error(Code::kExpectedColon);
  ++i_;
  return true;
}

bool SerdeParser::end_seq() {
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

bool SerdeParser::end_map() {
  uint8_t c = 0;
  if (!parse_whitespace(c)) return peek_error(Code::kEofObject);
  if (c == '}') {
    ++i_;
    return true;
  }
  return peek_error(c == ',' ? Code::kTrailingComma : Code::kTrailingCharacters);
}

bool SerdeParser::finish_container(bool visited, bool is_seq) {
  if (!visited) {
    std::optional<Error> saved = std::move(err_);
    err_.reset();
    if (is_seq)
      end_seq();
    else
      end_map();
    err_ = std::move(saved);
    return false;
  }
  return is_seq ? end_seq() : end_map();
}

bool SerdeParser::enter() {
  if (--depth_ == 0) return peek_error(Code::kRecursionLimit);
  return true;
}

bool SerdeParser::parse_any(nlohmann::json& out) {
  uint8_t c = 0;
  if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
  bool ok = true;
  switch (c) {
    case 'n':
      ++i_;
      ok = parse_ident("ull");
      out = nullptr;
      break;
    case 't':
      ++i_;
      ok = parse_ident("rue");
      out = true;
      break;
    case 'f':
      ++i_;
      ok = parse_ident("alse");
      out = false;
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
    default:
      return peek_error(Code::kExpectedSomeValue);
  }
  if (!ok) fix_position();
  return ok;
}

bool SerdeParser::ignore_value() {
  std::string stack;
  uint8_t enclosing = 0;
  for (;;) {
    uint8_t c = 0;
    if (!parse_whitespace(c)) return peek_error(Code::kEofValue);
    uint8_t frame = 0;
    switch (c) {
      case 'n':
        ++i_;
        if (!parse_ident("ull")) return false;
        break;
      case 't':
        ++i_;
        if (!parse_ident("rue")) return false;
        break;
      case 'f':
        ++i_;
        if (!parse_ident("alse")) return false;
        break;
      case '-':
        ++i_;
        if (!ignore_integer()) return false;
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        if (!ignore_integer()) return false;
        break;
      case '"':
        ++i_;
        if (!ignore_str()) return false;
        break;
      case '[':
      case '{':
        if (enclosing != 0) stack.push_back(static_cast<char>(enclosing));
        enclosing = 0;
        ++i_;
        frame = c;
        break;
      default:
        return peek_error(Code::kExpectedSomeValue);
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
      if (!parse_whitespace(c)) return peek_error(frame == '[' ? Code::kEofList : Code::kEofObject);
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

}  // namespace fips::serde
