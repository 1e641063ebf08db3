// Reading config files, the search-path cascade, and the log level. See load.h.
//
// Merge rule. The reference's Config::merge() copies only node.identity.nsec,
// node.identity.persistent, node.leaf_only, tun.*, dns.*, transports.*, peers
// and gateway from a higher-priority file; every other node.* key (control,
// log_level, limits, rekey, ...) silently stays at its default unless the
// daemon is started with -c. We honour every key: each file is parsed onto
// the Config the lower-priority files produced, and a key present in a later
// file overrides (scalars), or replaces (lists, and a whole transports.<type>
// section). An explicit null leaves an optional key as it was. Consequences
// that differ from the reference besides the node.* keys: a later
// `persistent: false` / `tun.enabled: false` does win (the reference ORs
// them), a later file without `dns:` no longer resets dns.enabled, and an
// explicit `peers: []` clears the list.
#include "config/load.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

#include "config/load_sections.h"
#include "config/yaml_read.h"
#include "crypto/secret.h"

namespace fips {
namespace {

using config_detail::Ctx;
using config_detail::Fields;

std::string os_error(int e) {
  return std::string(std::strerror(e)) + " (os error " + std::to_string(e) + ")";
}

// libyaml refuses C0 controls (other than tab/CR/LF), DEL and malformed
// UTF-8; yaml-cpp does not check, so do it here to reject binary garbage
// with a position instead of producing odd strings.
Result<void, std::string> check_characters(std::string_view s) {
  int line = 1, col = 1;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    auto where = [&] {
      return " at line " + std::to_string(line) + " column " + std::to_string(col);
    };
    size_t len = 1;
    if (b < 0x80) {
      if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f) {
        static const char* kHex = "0123456789abcdef";
        std::string hex = {kHex[b >> 4], kHex[b & 15]};
        return Err{"control character 0x" + hex + " is not allowed in YAML" + where()};
      }
    } else {
      // Sequence length from the lead byte, and the smallest code point it
      // may carry (smaller ones are overlong encodings).
      static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
      if ((b & 0xe0) == 0xc0) {
        len = 2;
      } else if ((b & 0xf0) == 0xe0) {
        len = 3;
      } else if ((b & 0xf8) == 0xf0) {
        len = 4;
      } else {
        return Err{"invalid UTF-8" + where()};
      }
      const uint32_t min = kMin[len];
      if (i + len > s.size()) return Err{"invalid UTF-8" + where()};
      uint32_t cp = b & (0x7fu >> len);
      for (size_t k = 1; k < len; ++k) {
        auto cb = static_cast<unsigned char>(s[i + k]);
        if ((cb & 0xc0) != 0x80) return Err{"invalid UTF-8" + where()};
        cp = (cp << 6) | (cb & 0x3fu);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return Err{"invalid UTF-8" + where()};
    }
    if (b == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
  return {};
}

// Counts documents without building them. yaml-cpp 0.7's LoadAll() never
// returns on some inputs (text starting with ',' yields empty documents
// forever, each appended to its result), so the count stops at two and only
// the first document is built, with YAML::Load().
class DocumentCounter : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> second_start;
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++docs_ == 2) second_start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  int docs_ = 0;
};

// Where a second document starts, if there is one. May throw (yaml-cpp).
std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  if (!parser.HandleNextDocument(counter)) return std::nullopt;
  if (!parser.HandleNextDocument(counter)) return std::nullopt;
  return counter.second_start.value_or(YAML::Mark::null_mark());
}

// Parses one document onto `cfg`, assigning only the keys it contains.
Result<void, std::string> parse_into(Config& cfg, std::string_view text, std::string_view source) {
  if (text.size() > kMaxConfigBytes)
    return Err{"config is " + std::to_string(text.size()) + " bytes; the limit is " +
               std::to_string(kMaxConfigBytes)};
  FIPS_TRY(check_characters(text));
  try {
    std::string copy(text);
    struct Wipe {
      std::string& s;
      ~Wipe() { secure_wipe(s.data(), s.size()); }
    } wipe{copy};
    if (auto m = second_document(copy))
      return Err{"deserializing from YAML containing more than one document is not supported" +
                 config_detail::mark_text(*m)};
    const YAML::Node root = YAML::Load(copy);
    if (root.IsNull()) return {};
    Ctx c(cfg, std::string(source));
    if (!root.IsMap()) {
      c.fail("",
             "expected a map of sections at the top level, got " + config_detail::describe(root),
             &root);
      return Err{c.error};
    }
    Fields f(c, root, "");
    using config_detail::parse_dns;
    using config_detail::parse_node;
    using config_detail::parse_tun;
    f.section("node",
              [&](const YAML::Node& v, const std::string& p) { parse_node(c, v, p, cfg.node); });
    f.section("tun",
              [&](const YAML::Node& v, const std::string& p) { parse_tun(c, v, p, cfg.tun); });
    f.section("dns",
              [&](const YAML::Node& v, const std::string& p) { parse_dns(c, v, p, cfg.dns); });
    f.section("transports", [&](const YAML::Node& v, const std::string& p) {
      config_detail::parse_transports(c, v, p, cfg);
    });
    f.section("peers", [&](const YAML::Node& v, const std::string& p) {
      config_detail::parse_peers(c, v, p, cfg.peers);
    });
    f.section("gateway", [&](const YAML::Node& v, const std::string& p) {
      config_detail::parse_gateway(c, v, p);
    });
    f.finish();
    if (c.failed()) return Err{c.error};
    return {};
  } catch (const YAML::Exception& e) {
    return Err{(e.msg.empty() ? std::string("invalid YAML") : e.msg) +
               config_detail::mark_text(e.mark)};
  } catch (const std::bad_alloc&) {
    return Err{std::string("out of memory while parsing YAML")};
  } catch (const std::exception& e) {
    return Err{std::string("invalid YAML: ") + e.what()};
  } catch (...) {
    return Err{std::string("invalid YAML")};
  }
}

// Whole file, bounded by kMaxConfigBytes.
Result<std::string, std::string> read_file(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return Err{"failed to read config file " + path + ": " + why};
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(os_error(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(os_error(EISDIR));
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      secure_wipe(out.data(), out.size());
      return fail(os_error(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxConfigBytes) {
      ::close(fd);
      secure_wipe(out.data(), out.size());
      return fail("larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    }
  }
  secure_wipe(buf, sizeof buf);
  ::close(fd);
  return out;
}

// Reads and parses one file onto cfg; the text (which may hold an nsec) is wiped.
Result<void, std::string> load_onto(Config& cfg, const std::string& path) {
  auto text = read_file(path);
  if (!text) return Err{text.error()};
  auto r = parse_into(cfg, *text, path);
  secure_wipe(text->data(), text->size());
  if (!r) return Err{"failed to parse config file " + path + ": " + r.error()};
  cfg.loaded_paths.push_back(path);
  return {};
}

Result<Config, std::string> finish_validated(Config cfg) {
  auto v = validate_config(cfg);
  if (!v) return Err{"invalid configuration: " + v.error()};
  return cfg;
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

}  // namespace

Result<Config, std::string> parse_config_string(std::string_view yaml_text,
                                                std::string_view source_name) {
  Config cfg;
  auto r = parse_into(cfg, yaml_text, source_name);
  if (!r) return Err{r.error()};
  return cfg;
}

Result<Config, std::string> load_config_file(const std::string& path) {
  Config cfg;
  FIPS_TRY(load_onto(cfg, path));
  return finish_validated(std::move(cfg));
}

std::vector<std::string> search_paths_for(const std::optional<std::string>& home,
                                          const std::optional<std::string>& xdg_config_home) {
  std::vector<std::string> paths = {"/etc/fips/fips.yaml"};
  std::optional<std::string> config_dir;
  if (xdg_config_home && xdg_config_home->starts_with('/'))
    config_dir = *xdg_config_home;
  else if (home)
    config_dir = *home + "/.config";
  if (config_dir) paths.push_back(*config_dir + "/fips/fips.yaml");
  if (home) paths.push_back(*home + "/.fips.yaml");
  paths.push_back("./fips.yaml");
  return paths;
}

std::vector<std::string> default_search_paths() {
  std::optional<std::string> home = env("HOME");
  if (!home) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buf[4096];
    if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &found) == 0 && found && pw.pw_dir &&
        *pw.pw_dir)
      home = std::string(pw.pw_dir);
  }
  return search_paths_for(home, env("XDG_CONFIG_HOME"));
}

Result<Config, std::string> load_config_from_paths(const std::vector<std::string>& paths) {
  Config cfg;
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // missing files are skipped silently
    FIPS_TRY(load_onto(cfg, path));
  }
  if (cfg.loaded_paths.empty()) {
    // No file at all: run rather than exit (the reference exits 1 here for
    // want of a transport).
    cfg = Config{};
    cfg.udp.emplace_back();
  }
  return finish_validated(std::move(cfg));
}

Result<Config, std::string> load_config(std::optional<std::string> explicit_path) {
  try {
    if (explicit_path) return load_config_file(*explicit_path);
    return load_config_from_paths(default_search_paths());
  } catch (const std::exception& e) {
    return Err{std::string("failed to load configuration: ") + e.what()};
  }
}

std::optional<LogLevel> parse_config_log_level(std::string_view s) {
  LogLevel l;
  if (!parse_log_level(s, l) || l == LogLevel::kOff) return std::nullopt;
  return l;
}

namespace {

std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A tracing LevelFilter: a name (any case) or 0..5 (0 = off, 5 = trace).
std::optional<LogLevel> directive_level(std::string_view s) {
  if (s.size() == 1 && s[0] >= '0' && s[0] <= '5') {
    static constexpr LogLevel kByDigit[6] = {LogLevel::kOff,  LogLevel::kError, LogLevel::kWarn,
                                            LogLevel::kInfo, LogLevel::kDebug, LogLevel::kTrace};
    return kByDigit[s[0] - '0'];
  }
  LogLevel l;
  if (!parse_log_level(s, l)) return std::nullopt;
  return l;
}

bool valid_target(std::string_view t) {
  if (t.empty()) return false;
  for (char ch : t) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == ':' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

// Shown in warnings: at most 64 bytes of an entry.
std::string shown(std::string_view s) {
  std::string out = "`";
  out.append(s.substr(0, 64));
  out.append(s.size() > 64 ? "...`" : "`");
  return out;
}

// More verbose = smaller LogLevel value (kTrace = 0 ... kOff last).
LogLevel more_verbose(LogLevel a, LogLevel b) { return a < b ? a : b; }

}  // namespace

LogSettings resolve_log_settings(const Config& cfg, const char* rust_log,
                                 const char* fips_log_level) {
  LogSettings out;
  LogLevel config_level = LogLevel::kInfo;
  if (cfg.node.log_level) {
    if (auto l = parse_config_log_level(*cfg.node.log_level)) config_level = *l;
  }
  if (fips_log_level && *fips_log_level) {
    if (auto l = parse_config_log_level(fips_log_level)) {
      out.level = *l;
      return out;
    }
    out.warnings.push_back("FIPS_LOG_LEVEL=" + shown(fips_log_level) +
                           " is not a level name (trace|debug|info|warn|error); ignored");
  }
  if (!rust_log || !*rust_log) {
    out.level = config_level;
    return out;
  }
  const std::string_view env(rust_log);
  if (env.size() > 4096) {
    out.warnings.push_back("RUST_LOG is longer than 4096 bytes; ignored");
    out.level = config_level;
    return out;
  }
  LogLevel dflt = config_level;
  std::optional<LogLevel> crate_level;  // `fips=L`
  std::optional<LogLevel> module_level;  // most verbose `fips::x=L`
  std::string module_directive;
  size_t pos = 0;
  while (pos <= env.size()) {
    size_t comma = env.find(',', pos);
    if (comma == std::string_view::npos) comma = env.size();
    const std::string_view entry = trim_ascii(env.substr(pos, comma - pos));
    pos = comma + 1;
    if (entry.empty()) continue;
    if (entry.find('[') != std::string_view::npos || entry.find('{') != std::string_view::npos)
      continue;  // span/field filters: valid for tracing, nothing we can apply
    const size_t eq = entry.find('=');
    std::string_view target = entry;
    std::optional<LogLevel> level;
    if (eq == std::string_view::npos) {
      if (auto l = directive_level(entry)) {  // a bare level: the default directive
        dflt = *l;
        continue;
      }
      level = LogLevel::kTrace;  // a bare target enables everything for it
    } else {
      target = trim_ascii(entry.substr(0, eq));
      level = directive_level(trim_ascii(entry.substr(eq + 1)));
      if (!level) {
        out.warnings.push_back("RUST_LOG: ignoring directive " + shown(entry) +
                               " (unknown level; expected trace|debug|info|warn|error|off)");
        continue;
      }
    }
    if (!valid_target(target)) {
      out.warnings.push_back("RUST_LOG: ignoring directive " + shown(entry) +
                             " (not a level or target=level)");
      continue;
    }
    if (target == "fips") {
      crate_level = *level;
    } else if (target.starts_with("fips::")) {
      if (!module_level || *level < *module_level) module_directive = std::string(entry);
      module_level = module_level ? more_verbose(*module_level, *level) : *level;
    }
    // Other crates' targets do not apply to anything this daemon logs.
  }
  LogLevel level = crate_level.value_or(dflt);
  if (module_level && *module_level < level) {
    out.warnings.push_back(
        "RUST_LOG: per-module levels are not supported; " + shown(module_directive) +
        " raises the whole daemon to " + std::string(log_level_name(*module_level)));
    level = *module_level;
  }
  out.level = level;
  return out;
}

LogSettings resolve_log_settings(const Config& cfg) {
  return resolve_log_settings(cfg, std::getenv("RUST_LOG"), std::getenv("FIPS_LOG_LEVEL"));
}

LogLevel effective_log_level(const Config& cfg, const char* rust_log, const char* fips_log_level) {
  return resolve_log_settings(cfg, rust_log, fips_log_level).level;
}

LogLevel effective_log_level(const Config& cfg) { return resolve_log_settings(cfg).level; }

}  // namespace fips
