// fips: the mesh daemon. Flags and exit codes follow the reference
// (docs/reference/cli-fips.md): -c/--config FILE, -V/--version, -h/--help;
// 0 after a clean shutdown, 1 on configuration/identity/start errors, 2 on
// usage errors.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "config/identity_resolve.h"
#include "config/load.h"
#include "daemon/daemon.h"
#include "daemon/host_limits.h"
#include "util/log.h"
#include "version.h"

using namespace fips;

namespace {

int usage(FILE* out, int code) {
  std::fputs(
      "FIPS mesh network daemon\n\n"
      "Usage: fips [OPTIONS]\n\n"
      "Options:\n"
      "  -c, --config <FILE>  Path to configuration file (default: search standard paths)\n"
      "  -h, --help           Print help\n"
      "  -V, --version        Print version\n",
      out);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> config_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") return usage(stdout, 0);
    if (a == "-V") {
      std::printf("fips %s\n", FIPS_VERSION_STRING);
      return 0;
    }
    if (a == "--version") {
      std::printf("fips %s\ntarget: x86_64-linux (C++ implementation)\n", FIPS_VERSION_STRING);
      return 0;
    }
    if (a == "-c" || a == "--config") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: a value is required for '--config <FILE>' but none was supplied\n");
        return 2;
      }
      config_path = argv[++i];
      continue;
    }
    if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
      continue;
    }
    std::fprintf(stderr, "error: unexpected argument '%s' found\n\n", a.c_str());
    return usage(stderr, 2);
  }

  auto cfg = load_config(config_path);
  if (!cfg) {
    if (config_path)
      std::fprintf(stderr, "Failed to load configuration from %s: %s\n", config_path->c_str(),
                   cfg.error().c_str());
    else
      std::fprintf(stderr, "Failed to load configuration: %s\n", cfg.error().c_str());
    return 1;
  }
  const LogSettings log_settings = resolve_log_settings(*cfg);
  set_log_level(log_settings.level);
  for (const std::string& w : log_settings.warnings) LOG_WARN("%s", w.c_str());
  for (const std::string& p : cfg->loaded_paths) LOG_INFO("Loaded config file path=%s", p.c_str());
  if (cfg->loaded_paths.empty())
    LOG_INFO("No config files found, using defaults (UDP on 0.0.0.0:2121, ephemeral identity)");
  for (const std::string& w : cfg->warnings) LOG_WARN("%s", w.c_str());

  auto ident = resolve_identity(*cfg);
  if (!ident) {
    LOG_ERROR("Failed to resolve identity: %s", ident.error().c_str());
    return 1;
  }
  for (const IdentityLogLine& l : ident->log) FIPS_LOG(l.level, "%s", l.text.c_str());

  // Before anything is opened: a soft RLIMIT_NOFILE below what the limits
  // need is raised (daemon/host_limits.h).
  for (const HostLogLine& l : apply_nofile_limit(*cfg)) {
    if (l.warn) LOG_WARN("%s", l.text.c_str());
    else LOG_INFO("%s", l.text.c_str());
  }

  Daemon d(std::move(*cfg), std::move(ident->identity), ident->persistent);
  if (auto r = d.start(); !r) {
    LOG_ERROR("Failed to start node: node start failed: %s", r.error().c_str());
    return 1;
  }
  for (const std::string& w : udp_buffer_warnings(d.transports())) LOG_WARN("%s", w.c_str());
  return d.run();
}
