// Default socket path resolution; see paths.h.
#include "config/paths.h"

#include <sys/stat.h>

#include <cstdlib>

namespace fips {
namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> xdg_env() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (!xdg) return std::nullopt;
  return std::string(xdg);
}

}  // namespace

std::string resolve_default_socket_in(std::string_view filename, const std::string& run_dir,
                                      const std::optional<std::string>& xdg_runtime_dir) {
  if (is_dir(run_dir)) return run_dir + "/" + std::string(filename);
  if (xdg_runtime_dir && !xdg_runtime_dir->empty() && is_dir(*xdg_runtime_dir))
    return *xdg_runtime_dir + "/fips/" + std::string(filename);
  return "/tmp/fips-" + std::string(filename);
}

std::string resolve_default_socket(std::string_view filename) {
  return resolve_default_socket_in(filename, kRunDir, xdg_env());
}

bool is_managed_socket_parent_in(const std::string& parent, const std::string& run_dir,
                                 const std::optional<std::string>& xdg_runtime_dir) {
  if (parent == run_dir) return true;
  return xdg_runtime_dir && !xdg_runtime_dir->empty() && parent == *xdg_runtime_dir + "/fips";
}

bool is_managed_socket_parent(const std::string& parent) {
  return is_managed_socket_parent_in(parent, kRunDir, xdg_env());
}

std::string default_control_socket_path() {
  return resolve_default_socket(kControlSocketFilename);
}

std::string control_socket_path(const std::string& configured) {
  return configured.empty() ? default_control_socket_path() : configured;
}

}  // namespace fips
