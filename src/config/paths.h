// Default Unix socket paths, chosen as the reference's resolve_default_socket
// does, so the daemon, fipsctl and fipstop agree without configuration.
// Selection is by existence, not writability:
//   1. /run/fips is a directory          -> /run/fips/<file>
//   2. $XDG_RUNTIME_DIR is an existing dir -> $XDG_RUNTIME_DIR/fips/<file>
//   3. otherwise                          -> /tmp/fips-<file>
// (The reference's macOS/FreeBSD /var/run/fips step is not built here.)
// Not here: binding the socket (control/), config loading (load.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fips {

inline constexpr const char* kControlSocketFilename = "control.sock";
inline constexpr const char* kNativeApiSocketFilename = "api.sock";
inline constexpr const char* kRunDir = "/run/fips";

// The rule above with its inputs given: run_dir is probed for existence,
// xdg_runtime_dir is the variable's value (nullopt or empty = unset).
std::string resolve_default_socket_in(std::string_view filename, const std::string& run_dir,
                                      const std::optional<std::string>& xdg_runtime_dir);
// The rule with /run/fips and the XDG_RUNTIME_DIR environment variable.
std::string resolve_default_socket(std::string_view filename);
// resolve_default_socket("control.sock"): /run/fips/control.sock,
// $XDG_RUNTIME_DIR/fips/control.sock or /tmp/fips-control.sock.
std::string default_control_socket_path();
// Whether `parent` is one of the resolver's own directories (/run/fips or
// $XDG_RUNTIME_DIR/fips), whose mode/group the socket binder may manage.
bool is_managed_socket_parent_in(const std::string& parent, const std::string& run_dir,
                                 const std::optional<std::string>& xdg_runtime_dir);
bool is_managed_socket_parent(const std::string& parent);
// node.control.socket_path when set, else the default.
std::string control_socket_path(const std::string& configured);

}  // namespace fips
