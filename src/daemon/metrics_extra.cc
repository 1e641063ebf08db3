#include "daemon/metrics_extra.h"

namespace fips {

ErrorSignalCounters error_signal_counters(const fsp::SessionCounters& s) {
  ErrorSignalCounters e;
  e.coords_required = s.coords_required;
  e.path_broken = s.path_broken;
  e.mtu_exceeded = s.mtu_exceeded;
  e.path_mtu_notif_below_floor = s.path_mtu_notif_below_floor;
  e.mtu_exceeded_below_floor = s.mtu_exceeded_below_floor;
  e.unbound_coords = s.unbound_coords;
  e.unbound_broken = s.unbound_broken;
  e.unbound_mtu = s.unbound_mtu;
  e.unbound_forged = s.unbound_forged;
  return e;
}

nlohmann::json dataplane_metrics_json(const SessionLayer& sl, const ipv6::Ipv6Adapter* adapter,
                                      const ipv6::TunDevice* tun, const dns::DnsServer* dns) {
  nlohmann::json j;
  if (dns) {
    const auto& r = dns->responder().counters();
    const auto& d = dns->counters();
    j["dns"] = {{"datagrams", d.datagrams},   {"queries", r.queries},
                {"answered", r.answered},     {"aaaa_answers", r.aaaa_answers},
                {"nodata", r.nodata},         {"nxdomain", r.nxdomain},
                {"malformed", r.malformed},   {"oversize", d.oversize},
                {"mesh_dropped", d.mesh_dropped}, {"recv_errors", d.recv_errors},
                {"send_errors", d.send_errors}};
  }
  if (tun) {
    const auto& t = tun->counters();
    j["tun"] = {{"rx_packets", t.rx_packets},       {"rx_bytes", t.rx_bytes},
                {"rx_errors", t.rx_errors},         {"rx_pool_exhausted", t.rx_pool_exhausted},
                {"tx_packets", t.tx_packets},       {"tx_bytes", t.tx_bytes},
                {"tx_errors", t.tx_errors},         {"tx_queue_full", t.tx_queue_full},
                {"tx_not_active", t.tx_not_active}, {"tx_blocked", t.tx_blocked},
                {"offload", tun->offloading()},      {"rx_gso_packets", t.rx_gso_packets},
                {"rx_gso_segments", t.rx_gso_segments}, {"rx_gso_dropped", t.rx_gso_dropped},
                {"rx_csum_completed", t.rx_csum_completed}, {"tx_gro_writes", t.tx_gro_writes},
                {"tx_gro_segments", t.tx_gro_segments}};
  }
  if (adapter) {
    const auto& a = adapter->counters();
    j["ipv6"] = {{"tun_packets", a.tun_packets},   {"not_ipv6", a.not_ipv6},
                 {"not_for_mesh", a.not_for_mesh}, {"hairpin", a.hairpin},
                 {"mss_clamped_out", a.mss_clamped_out}, {"ptb_sent", a.ptb_sent},
                 {"ptb_global", a.ptb_global},     {"ptb_path", a.ptb_path},
                 {"ptb_rate_limited", a.ptb_rate_limited}, {"ptb_refused", a.ptb_refused},
                 {"du_sent", a.du_sent},           {"du_suppressed", a.du_suppressed},
                 {"identity_miss", a.identity_miss}, {"no_headroom", a.no_headroom},
                 {"bad_packet", a.bad_packet},     {"sent", a.sent},
                 {"queued_handshaking", a.queued_handshaking}, {"queued_initiate", a.queued_initiate},
                 {"mesh_packets", a.mesh_packets}, {"mesh_bad_shim", a.mesh_bad_shim},
                 {"mesh_no_headroom", a.mesh_no_headroom}, {"mss_clamped_in", a.mss_clamped_in},
                 {"delivered", a.delivered}};
  }
  const auto& c = sl.counters();
  const auto& tp = sl.tun_pending().counters();
  j["session_layer"] = {{"native_sent", c.native_sent},         {"native_queued", c.native_queued},
                        {"native_refused", c.native_refused},   {"native_delivered", c.native_delivered},
                        {"native_no_handler", c.native_no_handler}, {"native_discarded", c.native_discarded},
                        {"tun_written", c.tun_written},         {"tun_write_failed", c.tun_write_failed},
                        {"mesh_no_tun", c.mesh_no_tun},         {"mesh_dropped", c.mesh_dropped},
                        {"seal_failed", c.seal_failed},         {"route_lost", c.route_lost},
                        {"lookups_started", c.lookups_started}, {"lookup_failures", c.lookup_failures},
                        {"unreachable_sent", c.unreachable_sent},
                        {"pending_tun_queued", tp.queued},      {"pending_tun_dropped_oldest", tp.dropped_oldest},
                        {"pending_tun_refused", tp.refused_destinations + tp.refused_full},
                        {"pending_tun_discarded", tp.discarded}};
  const auto& s = sl.sessions().counters();
  j["fsp"] = {{"sessions", sl.sessions().size()},
              {"sessions_established", s.sessions_established},
              {"too_short", s.too_short},         {"bad_phase", s.bad_phase},
              {"malformed", s.malformed},         {"unknown_session", s.unknown_session},
              {"bad_state", s.bad_state},         {"decrypt_failed", s.decrypt_failed},
              {"replay", s.replay},               {"unknown_msg_type", s.unknown_msg_type},
              {"setup_rate_limited", s.setup_rate_limited}, {"table_full", s.table_full},
              {"handshake_resends", s.handshake_resends}, {"handshake_timeouts", s.handshake_timeouts},
              {"idle_timeouts", s.idle_timeouts}, {"rekey_cutovers", s.rekey_cutovers},
              {"coords_warmups_sent", s.coords_warmups_sent}, {"seal_copied", s.seal_copied},
              {"seal_failed", s.seal_failed},
              {"mmp_reports_sent", s.mmp_reports_sent},
              {"mmp_sender_reports_received", s.mmp_sender_reports_received},
              {"mmp_receiver_reports_received", s.mmp_receiver_reports_received},
              {"mmp_report_send_failed", s.mmp_report_send_failed},
              {"path_mtu_notifications_sent", s.path_mtu_notifications_sent}};
  return j;
}

}  // namespace fips
