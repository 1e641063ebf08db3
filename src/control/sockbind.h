// Binding a listening Unix stream socket under the FIPS access policy (the
// reference's utils/sockbind.rs): create missing parent directories; if a
// socket file exists, probe it with connect() - a live listener is an error
// ("<what> socket already in use: <path>"), a dead one is unlinked; bind and
// listen; chmod 0770 and best-effort chgrp `fips`; a parent this call created
// (or a managed runtime dir, config/paths.h) gets 0750 + group fips.
// Not here: serving connections (control/server.h).
#pragma once

#include <string>
#include <string_view>

#include "io/fd.h"
#include "util/result.h"

namespace fips {

// A non-blocking, close-on-exec listening socket, or a message such as
// "control socket already in use: /run/fips/control.sock" or
// "Permission denied (os error 13)" (Rust io::Error style).
[[nodiscard]] Result<UniqueFd, std::string> bind_unix_listener(const std::string& path,
                                                               std::string_view what);

// Unlinks the socket file at teardown; a missing file is fine.
void remove_unix_socket_file(const std::string& path);

// Rust's io::Error Display for an errno: "<strerror> (os error N)".
std::string os_error_string(int err);

}  // namespace fips
