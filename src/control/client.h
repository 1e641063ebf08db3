// The client side of the control socket, as the reference's fipsctl does it:
// request bytes, one blocking request/response exchange with 5-second socket
// timeouts, rendering of the response, and the connect-argument checks.
// Error strings are fipsctl's texts without the leading "error: ".
// Not here: argument parsing (apps/fipsctl/), the daemon side (control/server.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace fips {

// {"command":"<command>"}\n, formatted literally (no escaping), as fipsctl does.
std::string build_query_request(std::string_view command);
// serde_json::to_string(&json!({"command":..,"params":..})) + "\n": compact,
// keys sorted ("command" < "params", params' keys sorted too).
std::string build_command_request(std::string_view command, const nlohmann::json& params);

// Connects to socket_path, writes the request, half-closes, reads the first
// response line and parses it. Errors:
//   "cannot connect to <path>: <io error>\nIs the FIPS daemon running?"
//   "cannot connect to <path>: Permission denied (os error 13)\nHint: ..."
//   "failed to send request: <io error>", "no response from daemon",
//   "failed to read response: <io error>" (timeout: "Resource temporarily
//   unavailable (os error 11)"), "invalid response JSON: <serde_json message>"
[[nodiscard]] Result<nlohmann::json, std::string> send_control_request(
    const std::string& socket_path, std::string_view request, int timeout_ms = 5000);

// What fipsctl prints for a response: an "error" status goes to stderr as
// "error: <message>" with exit code 1; anything else prints
// to_string_pretty(data) (or of the whole response without "data") + "\n".
struct CliOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};
CliOutput render_control_response(const nlohmann::json& response);

// fd00::/8 literal (bare, "[v6]:port" or "v6:port"): not a transport endpoint.
bool is_fips_mesh_address(std::string_view address);
// For udp/tcp/ethernet: the reference's two-line rejection of a mesh
// address (without "error: "), or nullopt when the address is acceptable.
std::optional<std::string> check_connect_address(std::string_view address,
                                                 std::string_view transport);

// hosts-file lookup ("hostname npub" lines, '#' comments, invalid entries
// skipped, names case-insensitive); nullopt when absent or unreadable.
std::optional<std::string> lookup_hosts_npub(const std::string& hosts_path, std::string_view name);

}  // namespace fips
