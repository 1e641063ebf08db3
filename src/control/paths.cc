#include "control/paths.h"

#include <sys/stat.h>

#include <cstdlib>

namespace fips {
namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return !p.empty() && ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Path::join for a relative component.
std::string join(std::string base, std::string_view leaf) {
  if (!base.empty() && base.back() != '/') base += '/';
  base += leaf;
  return base;
}

std::string_view strip_trailing_slashes(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return p;
}

}  // namespace

std::string default_control_socket_path() {
  if (is_dir("/run/fips")) return "/run/fips/control.sock";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && is_dir(xdg))
    return join(join(xdg, "fips"), "control.sock");
  return "/tmp/fips-control.sock";
}

bool is_managed_socket_parent(std::string_view parent) {
  parent = strip_trailing_slashes(parent);
  if (parent == "/run/fips") return true;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg == nullptr) return false;
  const std::string managed = join(xdg, "fips");
  return parent == strip_trailing_slashes(managed);
}

}  // namespace fips
