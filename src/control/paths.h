// Where the control socket lives by default, resolved like the reference
// (by existence, not writability): /run/fips/control.sock if /run/fips is a
// directory, else $XDG_RUNTIME_DIR/fips/control.sock if that variable names an
// existing directory, else /tmp/fips-control.sock. Shared by the daemon and
// fipsctl. Not here: binding (control/sockbind.h).
#pragma once

#include <string>
#include <string_view>

namespace fips {

std::string default_control_socket_path();

// Whether `parent` is a runtime directory the default resolver manages
// (/run/fips or $XDG_RUNTIME_DIR/fips): such a parent gets mode 0750 and
// group fips at bind time even when it already existed.
bool is_managed_socket_parent(std::string_view parent);

}  // namespace fips
