// Internal to config/: path-aware, typed reading of yaml-cpp nodes with
// serde_yaml 0.9's scalar rules (bools only true/false in three spellings,
// integers decimal/0x/0o/0b with optional '+', quoted numbers are strings).
// Errors name the full key path ("transports.udp.mtu: expected ...") and the
// line/column; unknown keys become warnings. Used only by config/load*.cc.
// Not here: which keys exist (load_node.cc, load_transports.cc), cross-field
// rules (validate.cc).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace fips::config_detail {

// Bounds on what one load may produce (aliases can multiply small documents).
inline constexpr size_t kMaxUnknownKeys = 1000;
inline constexpr size_t kMaxWarnings = 1000;

// State shared by one parse of one document.
struct Ctx {
  Ctx(Config& c, std::string src) : cfg(c), source(std::move(src)) {}
  Config& cfg;
  std::string source;  // file name (for warnings) or "<string>"
  std::string error;   // first error; empty while none

  bool failed() const { return !error.empty(); }
  // Records the first error as "<path>: <msg> at line L column C".
  void fail(const std::string& path, const std::string& msg, const YAML::Node* where);
  void fail(const std::string& path, const std::string& msg, const YAML::Mark& mark);
  // A warning about this document: "<source>: <text>".
  void warn(std::string text);
  // Appends to cfg.warnings as is (bounded by kMaxWarnings).
  void push_warning(std::string text);
  // An ignored key: recorded in cfg.unknown_keys and as a warning naming the
  // source position, with a did-you-mean from `known` when one is close.
  void unknown_key(const std::string& full_path, const YAML::Mark& mark, std::string_view key,
                   std::span<const std::string_view> known);
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string child_path(const std::string& path, std::string_view key);
// "peers" + 2 -> "peers[2]".
std::string index_path(const std::string& path, size_t i);
// " at line L column C" (1-based), or "" for a null mark.
std::string mark_text(const YAML::Mark& m);
// A string as shown in messages: quoted, escaped, truncated to 64 bytes.
std::string quoted_text(std::string_view s);
// How a value reads in an error: `"abc"`, `70000`, `null`, `a map`, `a list`.
std::string describe(const YAML::Node& n);

// serde_yaml scalar rules on the raw text of a plain scalar.
struct YamlInt {
  bool negative = false;
  uint64_t magnitude = 0;
};
std::optional<YamlInt> parse_yaml_int(std::string_view s);
std::optional<double> parse_yaml_float(std::string_view s);
std::optional<bool> parse_yaml_bool(std::string_view s);
// True for an untagged plain scalar (quoted or explicitly tagged ones are strings).
bool is_plain_scalar(const YAML::Node& n);

// Single values; each returns false after recording an error in the Ctx.
bool read_uint(Ctx& c, const YAML::Node& n, const std::string& path, uint64_t max, uint64_t& out);
bool read_bool(Ctx& c, const YAML::Node& n, const std::string& path, bool& out);
bool read_f64(Ctx& c, const YAML::Node& n, const std::string& path, double& out);
bool read_string(Ctx& c, const YAML::Node& n, const std::string& path, std::string& out);

// The reference's "unknown variant `x`, expected one of `a`, `b`".
void fail_unknown_variant(Ctx& c, const std::string& path, const std::string& value,
                          std::span<const std::string_view> names, const YAML::Node& where);

// Rust's f64 Display ("0", "-1.5", "NaN", "inf"), for reference messages.
std::string rust_f64(double v);

template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

// The keys of one mapping. Each accessor looks a key up, marks it consumed and
// converts it; finish() reports the keys nobody asked for. "nullable" means
// the reference field is an Option: an explicit null leaves the value as it is.
// Once the Ctx has failed every accessor is a no-op.
class Fields {
 public:
  // `n` must be a mapping or null (an empty section); anything else fails.
  Fields(Ctx& c, const YAML::Node& n, std::string path);
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  const std::string& path() const { return path_; }
  bool ok() const { return !c_.failed(); }
  // The value under `key` (consumed), or nullptr when absent.
  const YAML::Node* take(std::string_view key);
  // Fails with the reference's "missing field `key`" when absent or null.
  bool require(std::string_view key);

  template <class T>
  void uint(std::string_view key, T& out, bool nullable = false) {
    const YAML::Node* v = take(key);
    if (!v || !ok() || (nullable && v->IsNull())) return;
    uint64_t x = 0;
    if (read_uint(c_, *v, child_path(path_, key), std::numeric_limits<T>::max(), x))
      out = static_cast<T>(x);
  }
  template <class T>
  void opt_uint(std::string_view key, std::optional<T>& out) {
    const YAML::Node* v = take(key);
    if (!v || !ok() || v->IsNull()) return;
    uint64_t x = 0;
    if (read_uint(c_, *v, child_path(path_, key), std::numeric_limits<T>::max(), x))
      out = static_cast<T>(x);
  }
  void boolean(std::string_view key, bool& out, bool nullable = false);
  void f64(std::string_view key, double& out);
  void opt_f64(std::string_view key, std::optional<double>& out);
  void str(std::string_view key, std::string& out, bool nullable = false);
  void opt_str(std::string_view key, std::optional<std::string>& out);
  // Lists: null is an empty list unless nullable (then it leaves `out` as is).
  void str_list(std::string_view key, std::vector<std::string>& out, size_t max_len,
                bool nullable = false);
  void u64_list(std::string_view key, std::vector<uint64_t>& out, size_t max_len,
                bool nullable = false);

  template <class E>
  void enumeration(std::string_view key, E& out, std::span<const EnumName<E>> names) {
    const YAML::Node* v = take(key);
    if (!v || !ok()) return;
    std::string p = child_path(path_, key);
    std::string s;
    if (!read_string(c_, *v, p, s)) return;
    std::vector<std::string_view> all;
    for (const auto& e : names) {
      if (e.name == s) {
        out = e.value;
        return;
      }
      all.push_back(e.name);
    }
    fail_unknown_variant(c_, p, s, all, *v);
  }

  // Calls fn(node, path) for a present, non-failed key.
  template <class F>
  void section(std::string_view key, F&& fn) {
    const YAML::Node* v = take(key);
    if (!v || !ok()) return;
    fn(*v, child_path(path_, key));
  }

  // Reports unconsumed keys as unknown (warnings, never errors).
  void finish();

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
    YAML::Mark mark;
    bool used = false;
  };
  Ctx& c_;
  std::string path_;
  std::vector<Entry> entries_;
  std::vector<std::string_view> known_;  // keys asked for (did-you-mean source)
};

}  // namespace fips::config_detail
