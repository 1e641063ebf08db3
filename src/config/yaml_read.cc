// Typed YAML scalar reading with serde_yaml 0.9's rules; see yaml_read.h.
#include "config/yaml_read.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace fips::config_detail {
namespace {

constexpr size_t kMaxShownChars = 64;

// Levenshtein distance, small strings only (key names).
size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 1000;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string quoted_text(std::string_view s) {
  std::string out = "\"";
  size_t n = std::min(s.size(), kMaxShownChars);
  static const char* kHex = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    auto ch = static_cast<unsigned char>(s[i]);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch >= 0x7f) {
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  if (s.size() > n) out += "...";
  out += '"';
  return out;
}

namespace {

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char ch : s) {
    bool ok = false;
    if (base == 16)
      ok = std::isxdigit(static_cast<unsigned char>(ch)) != 0;
    else if (base == 8)
      ok = ch >= '0' && ch <= '7';
    else if (base == 2)
      ok = ch == '0' || ch == '1';
    else
      ok = ch >= '0' && ch <= '9';
    if (!ok) return false;
  }
  return true;
}

// Digits in `base`; nullopt on overflow or bad digit.
std::optional<uint64_t> parse_digits(std::string_view s, int base) {
  if (!all_digits(s, base)) return std::nullopt;
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view scalar_view(const YAML::Node& n) {
  return n.Scalar();
}

}  // namespace

void Ctx::fail(const std::string& path, const std::string& msg, const YAML::Node* where) {
  if (where)
    fail(path, msg, where->Mark());
  else
    fail(path, msg, YAML::Mark::null_mark());
}

void Ctx::fail(const std::string& path, const std::string& msg, const YAML::Mark& mark) {
  if (failed()) return;
  error = path.empty() ? msg : path + ": " + msg;
  error += mark_text(mark);
}

void Ctx::warn(std::string text) {
  push_warning(source + ": " + text);
}

void Ctx::push_warning(std::string text) {
  if (cfg.warnings.size() < kMaxWarnings) {
    cfg.warnings.push_back(std::move(text));
  } else if (cfg.warnings.size() == kMaxWarnings) {
    cfg.warnings.push_back("too many configuration warnings; further ones are not shown");
  }
}

void Ctx::unknown_key(const std::string& full_path, const YAML::Mark& mark, std::string_view key,
                      std::span<const std::string_view> known) {
  if (cfg.unknown_keys.size() >= kMaxUnknownKeys) return;
  cfg.unknown_keys.push_back(full_path);
  std::string w = source;
  if (!mark.is_null())
    w += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  w += ": unknown key `" + full_path + "` ignored";
  std::string_view best;
  size_t best_d = 4;
  for (auto k : known) {
    size_t d = edit_distance(key, k);
    size_t limit = std::max<size_t>(1, std::min<size_t>(3, k.size() / 3));
    if (d <= limit && d < best_d) {
      best = k;
      best_d = d;
    }
  }
  if (!best.empty()) w += " (did you mean `" + std::string(best) + "`?)";
  push_warning(std::move(w));
}

std::string child_path(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out = path;
  out += '.';
  out += key;
  return out;
}

std::string index_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string mark_text(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return {};
  return " at line " + std::to_string(m.line + 1) + " column " + std::to_string(m.column + 1);
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar: {
      std::string_view s = scalar_view(n);
      if (is_plain_scalar(n) && (parse_yaml_int(s) || parse_yaml_float(s))) return std::string(s);
      return quoted_text(s);
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

bool is_plain_scalar(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() == "?";
}

std::optional<YamlInt> parse_yaml_int(std::string_view s) {
  YamlInt out;
  std::string_view body = s;
  if (body.starts_with('+')) {
    body.remove_prefix(1);
  } else if (body.starts_with('-')) {
    body.remove_prefix(1);
    out.negative = true;
  }
  if (body.starts_with('+') || body.starts_with('-')) return std::nullopt;
  struct Prefix {
    std::string_view p;
    int base;
  };
  for (auto [p, base] : {Prefix{"0x", 16}, Prefix{"0o", 8}, Prefix{"0b", 2}}) {
    if (body.starts_with(p)) {
      auto v = parse_digits(body.substr(2), base);
      if (!v) return std::nullopt;
      out.magnitude = *v;
      return out;
    }
  }
  // "0123" is a string to serde_yaml, not an octal or decimal number.
  if (body.size() > 1 && body[0] == '0') return std::nullopt;
  auto v = parse_digits(body, 10);
  if (!v) return std::nullopt;
  out.magnitude = *v;
  return out;
}

std::optional<double> parse_yaml_float(std::string_view s) {
  std::string_view body = s;
  bool neg = false;
  if (body.starts_with('+')) {
    body.remove_prefix(1);
  } else if (body.starts_with('-')) {
    body.remove_prefix(1);
    neg = true;
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF")
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  if (auto i = parse_yaml_int(s)) {
    auto m = static_cast<double>(i->magnitude);
    return i->negative ? -m : m;
  }
  // Rust's f64 grammar: digits, optional fraction, optional exponent.
  auto is_digit = [&](size_t k) { return k < body.size() && body[k] >= '0' && body[k] <= '9'; };
  size_t i = 0, digits = 0;
  for (; is_digit(i); ++i) ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    for (; is_digit(i); ++i) ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exp_digits = 0;
    for (; is_digit(i); ++i) ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  if (r.ec != std::errc() || r.ptr != body.data() + body.size() || !std::isfinite(v))
    return std::nullopt;
  return neg ? -v : v;
}

std::optional<bool> parse_yaml_bool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool read_uint(Ctx& c, const YAML::Node& n, const std::string& path, uint64_t max, uint64_t& out) {
  std::string expected = "expected an integer 0.." + std::to_string(max) + ", got ";
  if (!is_plain_scalar(n)) {
    std::string hint;
    if (n.IsScalar() && parse_yaml_int(scalar_view(n)))
      hint = " (a quoted string; remove the quotes)";
    c.fail(path, expected + describe(n) + hint, &n);
    return false;
  }
  auto v = parse_yaml_int(scalar_view(n));
  if (!v || (v->negative && v->magnitude != 0) || v->magnitude > max) {
    c.fail(path, expected + describe(n), &n);
    return false;
  }
  out = v->magnitude;
  return true;
}

bool read_bool(Ctx& c, const YAML::Node& n, const std::string& path, bool& out) {
  std::optional<bool> v;
  if (is_plain_scalar(n)) v = parse_yaml_bool(scalar_view(n));
  if (!v) {
    c.fail(path, "expected true or false, got " + describe(n), &n);
    return false;
  }
  out = *v;
  return true;
}

bool read_f64(Ctx& c, const YAML::Node& n, const std::string& path, double& out) {
  std::optional<double> v;
  if (is_plain_scalar(n)) v = parse_yaml_float(scalar_view(n));
  if (!v) {
    c.fail(path, "expected a number, got " + describe(n), &n);
    return false;
  }
  out = *v;
  return true;
}

bool read_string(Ctx& c, const YAML::Node& n, const std::string& path, std::string& out) {
  if (!n.IsScalar()) {
    c.fail(path, "expected a string, got " + describe(n), &n);
    return false;
  }
  out = n.Scalar();
  return true;
}

void fail_unknown_variant(Ctx& c, const std::string& path, const std::string& value,
                          std::span<const std::string_view> names, const YAML::Node& where) {
  // Built with append: GCC 12 at -O3 misreports operator+ chains (-Wrestrict).
  std::string msg = "unknown variant `";
  msg.append(value).append("`, expected one of ");
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) msg.append(", ");
    msg.append("`").append(names[i]).append("`");
  }
  c.fail(path, msg, &where);
}

std::string rust_f64(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (r.ec != std::errc()) return "?";
  return std::string(buf, r.ptr);
}

Fields::Fields(Ctx& c, const YAML::Node& n, std::string path) : c_(c), path_(std::move(path)) {
  if (c_.failed() || n.IsNull()) return;
  if (!n.IsMap()) {
    c_.fail(path_, "expected a map, got " + describe(n), &n);
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a proxy that dies with the
    // expression, so references into it->first dangle.
    Entry e;
    const YAML::Node k = it->first;
    e.key = k.IsScalar() ? k.Scalar() : "<" + describe(k) + ">";
    e.value = it->second;
    e.mark = k.Mark();
    entries_.push_back(std::move(e));
  }
  // Duplicate keys (yaml-cpp keeps both; serde refuses): sort, not a
  // pairwise scan, as a hostile map may have a hundred thousand keys.
  std::vector<size_t> order(entries_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return entries_[a].key != entries_[b].key ? entries_[a].key < entries_[b].key : a < b;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const Entry& dup = entries_[order[i]];
    if (dup.key == entries_[order[i - 1]].key) {
      c_.fail(path_, "duplicate field `" + dup.key + "`", dup.mark);
      return;
    }
  }
}

const YAML::Node* Fields::take(std::string_view key) {
  known_.push_back(key);
  for (auto& e : entries_) {
    if (e.key == key) {
      e.used = true;
      return &e.value;
    }
  }
  return nullptr;
}

bool Fields::require(std::string_view key) {
  if (!ok()) return false;
  for (const auto& e : entries_) {
    if (e.key == key && !e.value.IsNull()) return true;
  }
  c_.fail(path_, "missing field `" + std::string(key) + "`", nullptr);
  return false;
}

void Fields::boolean(std::string_view key, bool& out, bool nullable) {
  const YAML::Node* v = take(key);
  if (!v || !ok() || (nullable && v->IsNull())) return;
  read_bool(c_, *v, child_path(path_, key), out);
}

void Fields::f64(std::string_view key, double& out) {
  const YAML::Node* v = take(key);
  if (!v || !ok()) return;
  read_f64(c_, *v, child_path(path_, key), out);
}

void Fields::opt_f64(std::string_view key, std::optional<double>& out) {
  const YAML::Node* v = take(key);
  if (!v || !ok() || v->IsNull()) return;
  double x = 0;
  if (read_f64(c_, *v, child_path(path_, key), x)) out = x;
}

void Fields::str(std::string_view key, std::string& out, bool nullable) {
  const YAML::Node* v = take(key);
  if (!v || !ok() || (nullable && v->IsNull())) return;
  read_string(c_, *v, child_path(path_, key), out);
}

void Fields::opt_str(std::string_view key, std::optional<std::string>& out) {
  const YAML::Node* v = take(key);
  if (!v || !ok() || v->IsNull()) return;
  std::string s;
  if (read_string(c_, *v, child_path(path_, key), s)) out = std::move(s);
}

namespace {

// Shared list walk: null = empty list; over-long lists fail.
template <class T, class Read>
void read_list(Ctx& c, const YAML::Node& v, const std::string& p, std::vector<T>& out,
               size_t max_len, Read&& read) {
  if (v.IsNull()) {
    out.clear();
    return;
  }
  if (!v.IsSequence()) {
    c.fail(p, "expected a list, got " + describe(v), &v);
    return;
  }
  if (v.size() > max_len) {
    c.fail(p,
           "too many entries (" + std::to_string(v.size()) + "; at most " +
               std::to_string(max_len) + ")",
           &v);
    return;
  }
  std::vector<T> items;
  size_t i = 0;
  for (auto it = v.begin(); it != v.end(); ++it, ++i) {
    T x{};
    if (!read(*it, index_path(p, i), x)) return;
    items.push_back(std::move(x));
  }
  out = std::move(items);
}

}  // namespace

void Fields::str_list(std::string_view key, std::vector<std::string>& out, size_t max_len,
                      bool nullable) {
  const YAML::Node* v = take(key);
  if (!v || !ok() || (nullable && v->IsNull())) return;
  read_list(c_, *v, child_path(path_, key), out, max_len,
            [&](const YAML::Node& n, const std::string& p, std::string& x) {
              return read_string(c_, n, p, x);
            });
}

void Fields::u64_list(std::string_view key, std::vector<uint64_t>& out, size_t max_len,
                      bool nullable) {
  const YAML::Node* v = take(key);
  if (!v || !ok() || (nullable && v->IsNull())) return;
  read_list(c_, *v, child_path(path_, key), out, max_len,
            [&](const YAML::Node& n, const std::string& p, uint64_t& x) {
              return read_uint(c_, n, p, std::numeric_limits<uint64_t>::max(), x);
            });
}

void Fields::finish() {
  if (!ok()) return;
  for (const auto& e : entries_) {
    if (!e.used) c_.unknown_key(child_path(path_, e.key), e.mark, e.key, known_);
  }
}

}  // namespace fips::config_detail
