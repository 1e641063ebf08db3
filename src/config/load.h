// Loading fips.yaml into Config: one file (-c PATH), the search-path cascade,
// validation, and the effective log level. Accepts the reference's fips.yaml
// with these deliberate differences:
//   * unknown keys anywhere are warnings (Config::unknown_keys, ::warnings),
//     never errors; type/value errors still refuse to load and name the exact
//     key path with line/column (no "untagged enum" catch-all);
//   * peer npubs, peer udp/tcp addresses, bind addresses, dns.bind_addr and
//     node.identity.nsec are validated at load;
//   * no config file at all => defaults plus one UDP transport on
//     0.0.0.0:2121 (the reference has no transport and exits 1);
//   * the cascade honours every key of every file (the reference merges only a
//     few node.* keys; see load.cc).
// Every function here catches everything yaml-cpp throws; none of them throws.
// Not here: key files and identity (identity_resolve.h), socket paths
// (paths.h), the key tables (load_node.cc, load_transports.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/log.h"
#include "util/result.h"

namespace fips {

// Largest config file or string accepted (real ones are a few KiB).
inline constexpr size_t kMaxConfigBytes = 1 << 20;

// Parses YAML text onto defaults, without cross-field validation. Errors:
// "<key.path>: <reason> at line L column C", or the YAML syntax error with
// its position. `source_name` is used in warnings ("<string>" is fine).
[[nodiscard]] Result<Config, std::string> parse_config_string(std::string_view yaml_text,
                                                              std::string_view source_name);

// Checks values and cross-field rules (the reference's Config::validate, in
// its order, plus ours). Appends non-fatal notes to cfg.warnings. On failure
// the error holds one line per problem, each "<key.path>: <reason>".
[[nodiscard]] Result<void, std::string> validate_config(Config& cfg);

// Reads, parses and validates exactly one file (what `-c PATH` does).
// Errors: "failed to read config file P: ...", "failed to parse config file
// P: ...", "invalid configuration: ...".
[[nodiscard]] Result<Config, std::string> load_config_file(const std::string& path);

// The reference's search path, lowest priority first: /etc/fips/fips.yaml,
// $XDG_CONFIG_HOME (absolute) or $HOME/.config + /fips/fips.yaml,
// $HOME/.fips.yaml, ./fips.yaml. Empty optionals leave entries out.
std::vector<std::string> search_paths_for(const std::optional<std::string>& home,
                                          const std::optional<std::string>& xdg_config_home);
// The same from the environment (HOME, else the passwd entry).
std::vector<std::string> default_search_paths();

// Loads every existing file of `paths` in order, later files overriding the
// keys they set, then validates. None existing => defaults plus a default UDP
// transport; loaded_paths stays empty.
[[nodiscard]] Result<Config, std::string> load_config_from_paths(
    const std::vector<std::string>& paths);

// explicit_path set => load_config_file(*explicit_path); else the cascade
// over default_search_paths().
[[nodiscard]] Result<Config, std::string> load_config(std::optional<std::string> explicit_path);

// trace|debug|info|warn|warning|error, case-insensitive (LogLevel is util/log.h's).
std::optional<LogLevel> parse_config_log_level(std::string_view s);

// The level to log at, and warnings about the variables that chose it.
// Highest priority first:
//   1. FIPS_LOG_LEVEL (ours), when it is a level name;
//   2. RUST_LOG, when set and non-empty: a tracing EnvFilter directive list
//      ("info,fips::node=debug"). The default directive is node.log_level
//      (else info), as the reference builds its filter; a bare level entry
//      replaces it. Our log has no per-module targets, so the level used is
//      the most verbose one that applies to any `fips` target: a `fips=L`
//      directive replaces the default for all of them, and `fips::x=L`
//      directives can only make it more verbose (with a warning saying so).
//      Directives for other crates (nostr=debug) do not matter here; span
//      filters (`[span]`) are skipped. An entry that does not parse is
//      skipped with a warning (the reference drops it silently); RUST_LOG is
//      never rejected;
//   3. node.log_level; anything unrecognised or absent is info.
struct LogSettings {
  LogLevel level = LogLevel::kInfo;
  std::vector<std::string> warnings;  // for the daemon to log once the level is set
};
LogSettings resolve_log_settings(const Config& cfg, const char* rust_log,
                                 const char* fips_log_level);
// From the environment (RUST_LOG, FIPS_LOG_LEVEL).
LogSettings resolve_log_settings(const Config& cfg);
// resolve_log_settings(...).level.
LogLevel effective_log_level(const Config& cfg);
LogLevel effective_log_level(const Config& cfg, const char* rust_log, const char* fips_log_level);

}  // namespace fips
