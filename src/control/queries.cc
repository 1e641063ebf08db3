#include "control/queries.h"

#include <cmath>
#include <cstdio>

namespace fips {

using nlohmann::json;

constexpr std::array<std::string_view, 26> kForwardingCounters = {
    "decode_error_bytes",      "decode_error_packets",    "delivered_bytes",
    "delivered_packets",       "drop_mtu_exceeded_bytes", "drop_mtu_exceeded_packets",
    "drop_no_route_bytes",     "drop_no_route_packets",   "drop_send_error_bytes",
    "drop_send_error_packets", "forwarded_bytes",         "forwarded_packets",
    "originated_bytes",        "originated_packets",      "received_bytes",
    "received_packets",        "route_crosslink_ascend",  "route_crosslink_descend",
    "route_direct_peer",       "route_tree_down",         "route_tree_down_cross",
    "route_tree_up",           "ttl_exhausted_bytes",     "ttl_exhausted_packets",
    "warm_malformed_bytes",    "warm_malformed_packets",
};

namespace {

using routing::ForwardingCounters;
struct ForwardingField {
  std::string_view name;
  uint64_t ForwardingCounters::*member;
};
// Same order as kForwardingCounters (checked in forwarding_json).
constexpr std::array<ForwardingField, 26> kForwardingFields = {{
    {"decode_error_bytes", &ForwardingCounters::decode_error_bytes},
    {"decode_error_packets", &ForwardingCounters::decode_error_packets},
    {"delivered_bytes", &ForwardingCounters::delivered_bytes},
    {"delivered_packets", &ForwardingCounters::delivered_packets},
    {"drop_mtu_exceeded_bytes", &ForwardingCounters::drop_mtu_exceeded_bytes},
    {"drop_mtu_exceeded_packets", &ForwardingCounters::drop_mtu_exceeded_packets},
    {"drop_no_route_bytes", &ForwardingCounters::drop_no_route_bytes},
    {"drop_no_route_packets", &ForwardingCounters::drop_no_route_packets},
    {"drop_send_error_bytes", &ForwardingCounters::drop_send_error_bytes},
    {"drop_send_error_packets", &ForwardingCounters::drop_send_error_packets},
    {"forwarded_bytes", &ForwardingCounters::forwarded_bytes},
    {"forwarded_packets", &ForwardingCounters::forwarded_packets},
    {"originated_bytes", &ForwardingCounters::originated_bytes},
    {"originated_packets", &ForwardingCounters::originated_packets},
    {"received_bytes", &ForwardingCounters::received_bytes},
    {"received_packets", &ForwardingCounters::received_packets},
    {"route_crosslink_ascend", &ForwardingCounters::route_crosslink_ascend},
    {"route_crosslink_descend", &ForwardingCounters::route_crosslink_descend},
    {"route_direct_peer", &ForwardingCounters::route_direct_peer},
    {"route_tree_down", &ForwardingCounters::route_tree_down},
    {"route_tree_down_cross", &ForwardingCounters::route_tree_down_cross},
    {"route_tree_up", &ForwardingCounters::route_tree_up},
    {"ttl_exhausted_bytes", &ForwardingCounters::ttl_exhausted_bytes},
    {"ttl_exhausted_packets", &ForwardingCounters::ttl_exhausted_packets},
    {"warm_malformed_bytes", &ForwardingCounters::warm_malformed_bytes},
    {"warm_malformed_packets", &ForwardingCounters::warm_malformed_packets},
}};

constexpr bool forwarding_tables_agree() {
  for (size_t i = 0; i < kForwardingFields.size(); ++i)
    if (kForwardingFields[i].name != kForwardingCounters[i]) return false;
  return true;
}

}  // namespace

json forwarding_json(const routing::ForwardingCounters& c) {
  static_assert(forwarding_tables_agree(), "kForwardingFields must follow kForwardingCounters");
  json j = json::object();
  for (const ForwardingField& f : kForwardingFields) j[std::string(f.name)] = c.*f.member;
  return j;
}

const std::array<std::string_view, 6> kSparklineSeries = {
    "bytes_in", "bytes_out", "loss_rate", "mesh_size", "peer_count", "tree_depth",
};

std::string format_session_index(uint32_t index) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", index);
  return buf;
}

namespace {

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

json show_status_data(const StatusSnapshot& s) {
  json sparklines = json::object();
  for (std::string_view name : kSparklineSeries) {
    json series = json::array();
    auto it = s.sparklines.find(std::string(name));
    if (it != s.sparklines.end())
      for (double v : it->second) {
        if (std::isfinite(v)) series.push_back(v);  // always floats
        else series.push_back(nullptr);             // a gap, as serde_json prints NaN
      }
    sparklines[std::string(name)] = std::move(series);
  }
  json tpc = json::object();
  for (const auto& [type, count] : s.transport_peer_counts) tpc[type] = count;

  json j{
      {"version", s.version},
      {"npub", s.npub},
      {"node_addr", s.node_addr},
      {"ipv6_addr", s.ipv6_addr},
      {"state", s.state},
      {"is_leaf_only", s.is_leaf_only},
      {"peer_count", s.peer_count},
      {"session_count", s.session_count},
      {"link_count", s.link_count},
      {"transport_count", s.transport_count},
      {"connection_count", s.connection_count},
      {"tun_state", s.tun_state},
      {"tun_name", s.tun_name},
      {"effective_ipv6_mtu", s.effective_ipv6_mtu},
      {"control_socket", s.control_socket},
      {"pid", s.pid},
      {"exe_path", s.exe_path},
      {"uptime_secs", s.uptime_secs},
      {"estimated_mesh_size", or_null(s.estimated_mesh_size)},
      {"persistent", s.persistent},
      {"root", s.root},
      {"is_root", s.is_root},
      {"transport_peer_counts", std::move(tpc)},
      {"forwarding", forwarding_json(s.forwarding)},
      {"sparklines", std::move(sparklines)},
  };
  // Ours (not in the reference): present only when some configured key has
  // no effect in this version, so a default node answers the reference's shape.
  if (!s.inactive_config.empty()) j["inactive_config"] = s.inactive_config;
  return j;
}

json link_mmp_json(const MmpSnapshot& m) {
  json j = json::object();
  j["mode"] = m.mode;
  if (m.srtt_ms) j["srtt_ms"] = *m.srtt_ms;
  j["loss_rate"] = 1.0 - m.delivery_ratio_forward;
  j["etx"] = m.etx;
  j["goodput_bps"] = m.goodput_bps;
  j["delivery_ratio_forward"] = m.delivery_ratio_forward;
  j["delivery_ratio_reverse"] = m.delivery_ratio_reverse;
  if (m.smoothed_loss) j["smoothed_loss"] = *m.smoothed_loss;
  if (m.smoothed_etx) j["smoothed_etx"] = *m.smoothed_etx;
  if (m.srtt_ms && m.smoothed_etx) j["lqi"] = *m.smoothed_etx * (1.0 + *m.srtt_ms / 100.0);
  return j;
}

json show_mmp_data(const std::vector<PeerSnapshot>& peers,
                   const std::vector<MmpSessionRow>& sessions) {
  json pa = json::array();
  for (const PeerSnapshot& p : peers) {
    if (!p.mmp) continue;
    const MmpSnapshot& m = *p.mmp;
    json l = json::object();
    l["loss_rate"] = 1.0 - m.delivery_ratio_forward;
    l["etx"] = m.etx;
    l["goodput_bps"] = m.goodput_bps;
    l["spin_bit_role"] = m.spin_bit_role;
    if (m.smoothed_loss) l["smoothed_loss"] = *m.smoothed_loss;
    if (m.smoothed_etx) l["smoothed_etx"] = *m.smoothed_etx;
    if (m.srtt_ms) {
      l["srtt_ms"] = *m.srtt_ms;
      if (m.smoothed_etx) l["lqi"] = *m.smoothed_etx * (1.0 + *m.srtt_ms / 100.0);
    }
    if (m.rtt_trend) l["rtt_trend"] = *m.rtt_trend;
    if (m.loss_trend) l["loss_trend"] = *m.loss_trend;
    if (m.goodput_trend) l["goodput_trend"] = *m.goodput_trend;
    if (m.jitter_trend) l["jitter_trend"] = *m.jitter_trend;
    l["delivery_ratio_forward"] = m.delivery_ratio_forward;
    l["delivery_ratio_reverse"] = m.delivery_ratio_reverse;
    l["ecn_ce_count"] = m.ecn_ce_count;
    pa.push_back(json{{"peer", p.node_addr},
                      {"display_name", p.display_name},
                      {"mode", m.mode},
                      {"link_layer", std::move(l)}});
  }
  json sa = json::array();
  for (const MmpSessionRow& s : sessions) {
    const MmpSnapshot& m = s.mmp;
    json l = json::object();
    l["loss_rate"] = 1.0 - m.delivery_ratio_forward;
    l["etx"] = m.etx;
    l["path_mtu"] = s.path_mtu;
    if (m.smoothed_loss) l["smoothed_loss"] = *m.smoothed_loss;
    if (m.smoothed_etx) l["smoothed_etx"] = *m.smoothed_etx;
    if (m.srtt_ms) {
      l["srtt_ms"] = *m.srtt_ms;
      if (m.smoothed_etx) l["sqi"] = *m.smoothed_etx * (1.0 + *m.srtt_ms / 100.0);
    }
    if (m.rtt_trend) l["rtt_trend"] = *m.rtt_trend;
    if (m.loss_trend) l["loss_trend"] = *m.loss_trend;
    if (m.etx_trend) l["etx_trend"] = *m.etx_trend;
    sa.push_back(json{{"remote", s.remote},
                      {"display_name", s.display_name},
                      {"mode", m.mode},
                      {"session_layer", std::move(l)}});
  }
  return json{{"peers", std::move(pa)}, {"sessions", std::move(sa)}};
}

json peer_json(const PeerSnapshot& p) {
  json j = json::object();
  j["node_addr"] = p.node_addr;
  j["npub"] = p.npub;
  j["display_name"] = p.display_name;
  j["ipv6_addr"] = p.ipv6_addr;
  j["connectivity"] = p.connectivity;
  j["link_id"] = p.link_id;
  j["authenticated_at_ms"] = p.authenticated_at_ms;
  j["last_seen_ms"] = p.last_seen_ms;
  j["has_tree_position"] = p.has_tree_position;
  j["has_bloom_filter"] = p.has_bloom_filter;
  j["filter_sequence"] = p.filter_sequence;
  j["is_parent"] = p.is_parent;
  j["is_child"] = p.is_child;
  if (p.transport_addr) j["transport_addr"] = *p.transport_addr;
  if (p.direction) j["direction"] = *p.direction;
  if (p.transport_type) j["transport_type"] = *p.transport_type;
  if (p.tree_depth) j["tree_depth"] = *p.tree_depth;
  j["effective_depth"] = or_null(p.effective_depth);
  j["stats"] = json{{"packets_sent", p.stats.packets_sent},
                    {"packets_recv", p.stats.packets_recv},
                    {"bytes_sent", p.stats.bytes_sent},
                    {"bytes_recv", p.stats.bytes_recv}};
  j["replay_suppressed"] = p.replay_suppressed;
  j["consecutive_decrypt_failures"] = p.consecutive_decrypt_failures;
  const NostrTraversalSnapshot& n = p.nostr_traversal;
  j["nostr_traversal"] = json{{"consecutive_failures", n.consecutive_failures},
                              {"in_cooldown", n.cooldown_until_ms.has_value()},
                              {"cooldown_until_ms", or_null(n.cooldown_until_ms)},
                              {"last_observed_skew_ms", or_null(n.last_observed_skew_ms)}};
  if (p.noise)
    j["noise"] = json{{"highest_recv_counter", p.noise->first}, {"send_counter", p.noise->second}};
  if (p.our_session_index) j["our_session_index"] = *p.our_session_index;
  if (p.rekey_in_progress) j["rekey_in_progress"] = true;
  if (p.rekey_draining) j["rekey_draining"] = true;
  j["current_k_bit"] = p.current_k_bit;
  if (p.mmp) j["mmp"] = link_mmp_json(*p.mmp);
  return j;
}

json show_peers_data(const std::vector<PeerSnapshot>& peers) {
  json arr = json::array();
  for (const PeerSnapshot& p : peers) arr.push_back(peer_json(p));
  return json{{"peers", std::move(arr)}};
}

json link_json(const LinkSnapshot& l) {
  return json{{"link_id", l.link_id},
              {"transport_id", l.transport_id},
              {"remote_addr", l.remote_addr},
              {"direction", l.direction},
              {"state", l.state},
              {"created_at_ms", l.created_at_ms},
              {"stats",
               {{"packets_sent", l.packets_sent},
                {"packets_recv", l.packets_recv},
                {"bytes_sent", l.bytes_sent},
                {"bytes_recv", l.bytes_recv},
                {"last_recv_ms", l.last_recv_ms}}}};
}

json show_links_data(const std::vector<LinkSnapshot>& links) {
  json arr = json::array();
  for (const LinkSnapshot& l : links) arr.push_back(link_json(l));
  return json{{"links", std::move(arr)}};
}

json connection_json(const ConnectionSnapshot& c) {
  json j{{"link_id", c.link_id},
         {"direction", c.direction},
         {"handshake_state", c.handshake_state},
         {"started_at_ms", c.started_at_ms},
         {"idle_ms", c.idle_ms},
         {"resend_count", c.resend_count}};
  if (c.expected_peer) j["expected_peer"] = *c.expected_peer;
  return j;
}

json show_connections_data(const std::vector<ConnectionSnapshot>& conns) {
  json arr = json::array();
  for (const ConnectionSnapshot& c : conns) arr.push_back(connection_json(c));
  return json{{"connections", std::move(arr)}};
}

json transport_json(const TransportSnapshot& t) {
  const TransportStats& s = t.stats;
  json stats{{"packets_sent", s.packets_sent}, {"bytes_sent", s.bytes_sent},
             {"packets_recv", s.packets_recv}, {"bytes_recv", s.bytes_recv},
             {"send_errors", s.send_errors},   {"recv_errors", s.recv_errors},
             {"mtu_exceeded", s.mtu_exceeded}};
  if (t.type == "tcp") {
    stats["connections_established"] = t.connections_established;
    stats["connections_accepted"] = s.connections_accepted;
    stats["connections_rejected"] = s.connections_rejected;
    stats["connect_timeouts"] = t.connect_timeouts;
    stats["connect_refused"] = t.connect_refused;
    stats["pool_inbound"] = t.pool_inbound;
    stats["pool_outbound"] = t.pool_outbound;
    // Ours: inbound connections closed for room because they had not
    // authenticated a link (issue 15); only when there were any.
    if (s.unauthenticated_evicted) stats["unauthenticated_evicted"] = s.unauthenticated_evicted;
  } else {
    stats["kernel_drops"] = t.kernel_drops;
    // Ours: datagrams dropped because they were larger than the receive
    // buffer (the transport MTU plus headroom), which no other counter
    // shows. Only when there were any, so the reply keeps the reference's
    // shape otherwise.
    if (s.truncated) stats["truncated"] = s.truncated;
  }
  json j{{"transport_id", t.transport_id},
         {"type", t.type},
         {"state", t.state},
         {"mtu", t.mtu},
         {"stats", std::move(stats)}};
  if (t.name) j["name"] = *t.name;
  if (t.local_addr) j["local_addr"] = *t.local_addr;
  return j;
}

json show_transports_data(const std::vector<TransportSnapshot>& transports) {
  json arr = json::array();
  for (const TransportSnapshot& t : transports) arr.push_back(transport_json(t));
  return json{{"transports", std::move(arr)}};
}

}  // namespace fips
