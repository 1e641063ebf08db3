#include "control/commands.h"

#include <array>

#include "control/npub_compat.h"

namespace fips {
namespace {

// params.get(key).and_then(as_str): a string member of an object, else null.
const std::string* string_param(const nlohmann::json& params, const char* key) {
  if (!params.is_object()) return nullptr;
  auto it = params.find(key);
  if (it == params.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

bool is_snapshot_command(std::string_view command) {
  static constexpr std::array<std::string_view, 21> kNames = {
      "show_status",
      "show_peers",
      "show_links",
      "show_connections",
      "show_transports",
      "show_sessions",
      "show_mmp",
      "show_tree",
      "show_bloom",
      "show_cache",
      "show_routing",
      "show_identity_cache",
      "show_acl",
      "show_native_flows",
      "show_listening_sockets",
      "show_stats_list",
      "show_metrics",
      "show_stats_history",
      "show_stats_all_history",
      "show_stats_peers",
      "show_stats_history_all_peers",
  };
  for (std::string_view n : kNames)
    if (n == command) return true;
  return false;
}

std::string unknown_command_message(std::string_view command) {
  return "unknown command: " + std::string(command);
}

Result<ConnectParams, std::string> parse_connect_params(const nlohmann::json* params) {
  if (params == nullptr || params->is_null()) return Err{std::string("missing params for connect")};
  const std::string* npub = string_param(*params, "npub");
  if (npub == nullptr) return Err{std::string("missing 'npub' parameter")};
  const std::string* address = string_param(*params, "address");
  if (address == nullptr) return Err{std::string("missing 'address' parameter")};
  const std::string* transport = string_param(*params, "transport");
  if (transport == nullptr) return Err{std::string("missing 'transport' parameter")};
  auto peer = decode_npub_compat(*npub);
  if (!peer) return Err{"invalid peer npub '" + *npub + "': " + peer.error()};
  return ConnectParams{*npub, *address, *transport, *peer};
}

Result<DisconnectParams, std::string> parse_disconnect_params(const nlohmann::json* params) {
  if (params == nullptr || params->is_null())
    return Err{std::string("missing params for disconnect")};
  const std::string* npub = string_param(*params, "npub");
  if (npub == nullptr) return Err{std::string("missing 'npub' parameter")};
  auto peer = decode_npub_compat(*npub);
  if (!peer) return Err{"invalid npub '" + *npub + "': " + peer.error()};
  return DisconnectParams{*npub, *peer};
}

nlohmann::json connect_result(const ConnectParams& p, bool refreshed) {
  return nlohmann::json{{"npub", p.npub},
                        {"address", p.address},
                        {"transport", p.transport},
                        {"refreshed", refreshed}};
}

nlohmann::json disconnect_result(std::string_view npub) {
  return nlohmann::json{{"npub", std::string(npub)}, {"disconnected", true}};
}

std::string connect_no_addresses_message(std::string_view npub) {
  return "no transport available for type: no addresses known for " + std::string(npub);
}

std::string connect_denied_message(std::string_view npub) {
  return "access denied: peer " + std::string(npub) + " rejected by ACL: denylist match";
}

std::string connect_no_slots_message(std::string_view npub) {
  return "no transport available for type: no outbound slots available for " + std::string(npub);
}

std::string connect_no_transport_message(std::string_view npub) {
  return "no transport available for type: no operational transport for any of " +
         std::string(npub) + "'s addresses";
}

std::string peer_not_found_message(std::string_view npub) {
  return "peer not found: " + std::string(npub);
}

}  // namespace fips
