// The `data` objects of show_status, show_peers, show_links,
// show_connections and show_transports, built from the node's snapshot
// structs with the reference's field names, types (ints vs floats),
// optional-vs-null rules and key order (sorted: nlohmann's std::map).
// Not here: collecting the snapshots (node/), JSON text (control/json_out.h),
// the routing-layer queries (control/queries_routing.h).
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "node/snapshot.h"
#include "proto/routing/core.h"

namespace fips {

// The 26 forwarding counter names (show_status.forwarding,
// show_routing.forwarding, show_metrics.forwarding), sorted.
extern const std::array<std::string_view, 26> kForwardingCounters;
// {name: value} for exactly the kForwardingCounters names, each taken from
// the ForwardingCounters field of the same name.
nlohmann::json forwarding_json(const routing::ForwardingCounters& c);
// show_status.sparklines keys; a missing series prints as [].
extern const std::array<std::string_view, 6> kSparklineSeries;

// Our FMP receiver index as the reference prints it: 8 lower-case hex digits.
std::string format_session_index(uint32_t index);

// Plus, ours, "inactive_config": [key, ...] when s.inactive_config is non-empty.
nlohmann::json show_status_data(const StatusSnapshot& s);

// One peer: optional keys (direction, transport_addr, transport_type,
// tree_depth, noise, our_session_index, mmp) are omitted when unset;
// effective_depth and nostr_traversal.{cooldown_until_ms,last_observed_skew_ms}
// are null when unset; rekey_in_progress / rekey_draining appear only as true.
nlohmann::json peer_json(const PeerSnapshot& p);
nlohmann::json show_peers_data(const std::vector<PeerSnapshot>& peers);

// show_peers' inline "mmp": loss_rate = 1 - delivery_ratio_forward; "lqi" =
// smoothed_etx * (1 + srtt_ms/100) when both are known.
nlohmann::json link_mmp_json(const MmpSnapshot& m);

// show_mmp (reference control/queries.rs show_mmp): peers[] with peer (node
// addr hex), display_name, mode and a link_layer block (loss, etx, goodput,
// spin-bit role, delivery ratios, ECN CE count; smoothed values, srtt_ms,
// lqi and trend labels once measured); sessions[] with remote,
// display_name, mode and a session_layer block (loss_rate, etx, path_mtu;
// srtt_ms, smoothed values, sqi and rtt/loss/etx trends once measured). Rows without an mmp block are left out.
struct MmpSessionRow {
  std::string remote;  // node_addr hex
  std::string display_name;
  MmpSnapshot mmp;
  uint16_t path_mtu = 0xFFFF;
};
nlohmann::json show_mmp_data(const std::vector<PeerSnapshot>& peers,
                             const std::vector<MmpSessionRow>& sessions);

nlohmann::json link_json(const LinkSnapshot& l);
nlohmann::json show_links_data(const std::vector<LinkSnapshot>& links);

nlohmann::json connection_json(const ConnectionSnapshot& c);
nlohmann::json show_connections_data(const std::vector<ConnectionSnapshot>& conns);

// Per-type "stats": tcp gets the TCP counter set, every other type the UDP one.
nlohmann::json transport_json(const TransportSnapshot& t);
nlohmann::json show_transports_data(const std::vector<TransportSnapshot>& transports);

}  // namespace fips
