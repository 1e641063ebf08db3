// Control-socket command names, parameter validation and the fixed texts of
// the reference's connect/disconnect replies. The daemon's ControlHandler
// uses these and performs the actual action.
// Not here: the socket (control/server.h), show_* rendering (control/queries.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "identity/identity.h"
#include "util/result.h"

namespace fips {

// The show_* commands the reference answers from tick-published snapshots
// (params, if any, are ignored for the param-less ones).
bool is_snapshot_command(std::string_view command);

// "unknown command: <command>"
std::string unknown_command_message(std::string_view command);

struct ConnectParams {
  std::string npub;
  std::string address;
  std::string transport;
  PeerIdentity peer;
};

// {"npub":S,"address":S,"transport":S}. Errors, in the reference's order:
//   "missing params for connect"            (params absent or null)
//   "missing 'npub' parameter"              (absent or not a string; same for
//   "missing 'address' parameter"            address and transport, checked
//   "missing 'transport' parameter"          in this order)
//   "invalid peer npub '<npub>': <reason>"  (control/npub_compat.h)
[[nodiscard]] Result<ConnectParams, std::string> parse_connect_params(const nlohmann::json* params);

struct DisconnectParams {
  std::string npub;
  PeerIdentity peer;
};

// {"npub":S}. Errors: "missing params for disconnect", "missing 'npub'
// parameter", "invalid npub '<npub>': <reason>" (note: not "invalid peer npub").
[[nodiscard]] Result<DisconnectParams, std::string> parse_disconnect_params(
    const nlohmann::json* params);

// Success data: {"address","npub","refreshed","transport"} echoing the
// inputs; refreshed = an alternate path to an already-connected peer was tried.
nlohmann::json connect_result(const ConnectParams& p, bool refreshed);
// {"disconnected":true,"npub":S}
nlohmann::json disconnect_result(std::string_view npub);

// connect failures after validation (NodeError::NoTransportForType texts).
std::string connect_no_addresses_message(std::string_view npub);
std::string connect_no_slots_message(std::string_view npub);
std::string connect_no_transport_message(std::string_view npub);
// "peer not found: <npub>"
std::string peer_not_found_message(std::string_view npub);
// The peer ACL denies the peer (NodeError::AccessDenied): "access denied:
// peer <npub> rejected by ACL: denylist match".
std::string connect_denied_message(std::string_view npub);

}  // namespace fips
