#include "daemon/control_handler.h"

#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>

#include "control/commands.h"
#include "control/probe_report.h"
#include "control/queries.h"
#include "control/queries_acl.h"
#include "control/queries_routing.h"
#include "control/queries_sessions.h"
#include "control/queries_stats.h"
#include "daemon/daemon.h"
#include "daemon/listening_probe.h"
#include "transport/udp.h"
#include "daemon/metrics_extra.h"
#include "io/event_loop.h"
#include "transport/tcp.h"
#include "version.h"

namespace fips {

namespace {
// Source port of our echo requests (fipsctl ping); replies come back to it.
constexpr uint16_t kPingPort = 0xFE07;
constexpr uint64_t kPingReplyMs = 3500;  // see kLookupReplyMs
constexpr size_t kPingBytes = 56;  // like ping(8)'s default payload

uint64_t mono_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
}  // namespace

DaemonControl::DaemonControl(Daemon& d)
    : listening_(std::make_unique<ListeningProbe>(
          d.event_loop(),
          [&d](uint64_t ticket, nlohmann::json data) {
            d.complete_control(ticket, ControlReply(std::move(data)));
          })),
      d_(d) {
  d_.sessions().set_port_handler(kPingPort, [this](const NodeAddr& src, uint16_t, PacketBuf&& p, uint64_t) {
    on_echo_reply(src, p.span());
  });
}

DaemonControl::~DaemonControl() { d_.sessions().set_port_handler(kPingPort, nullptr); }

std::optional<ControlReply> DaemonControl::handle(const ControlRequest& req, uint64_t ticket) {
  const std::string& c = req.command;
  const uint64_t now = monotonic_ms();
  LinkLayer& link = d_.node().link();
  if (c == "show_status") return ControlReply(show_status_data(d_.status_snapshot()));
  if (c == "show_peers") {
    auto peers = link.peer_snapshots(now);
    const HostMap& hosts = d_.host_names();
    for (PeerSnapshot& p : peers) {
      if (Transport* t = d_.transport(p.transport_id)) p.transport_type = std::string(t->type());
      if (auto id = PeerIdentity::from_npub(p.npub))
        if (const std::string* h = hosts.hostname_of(id->node_addr())) p.display_name = *h;
    }
    d_.node().annotate_peers(peers);
    return ControlReply(show_peers_data(peers));
  }
  if (c == "show_links") return ControlReply(show_links_data(link.link_snapshots()));
  if (c == "show_connections")
    return ControlReply(show_connections_data(link.connection_snapshots(now)));
  if (c == "show_transports") return ControlReply(show_transports_data(d_.transport_snapshots()));
  if (c == "show_tree" || c == "show_bloom" || c == "show_routing" || c == "show_cache" ||
      c == "show_identity_cache" || c == "show_metrics")
    return routing_query(c, now);
  if (c == "connect") return connect(req.params_ptr());
  if (c == "disconnect") return disconnect(req.params_ptr());
  if (c == "lookup") return lookup(req.params_ptr(), ticket);
  if (c == "ping") return ping(req.params_ptr(), ticket);
  if (c == "show_sessions") return show_sessions(now);
  if (c == "show_mmp") return show_mmp(now);
  if (c == "probe_start" || c == "probe_poll" || c == "probe_cancel") return probe(c, req.params_ptr(), now);
  if (c.rfind("show_stats_", 0) == 0) return stats_query(c, req.params_ptr(), now);
  if (c == "show_acl") return ControlReply(show_acl_data(d_.peer_acl_status()));
  if (c == "show_listening_sockets") {
    if (auto now_data = listening_->request(ticket, d_.node().identity().address().bytes))
      return ControlReply(std::move(*now_data));
    return std::nullopt;
  }
  return ControlReply(Err{unknown_command_message(c)});
}

ControlReply DaemonControl::connect(const nlohmann::json* params) {
  auto p = parse_connect_params(params);
  if (!p) return Err{p.error()};
  Transport* t = d_.find_transport(p->transport);
  auto addr = TransportAddr::parse(p->address);
  if (!t || !addr) return Err{connect_no_transport_message(p->npub)};
  const uint64_t now = monotonic_ms();
  auto r = d_.node().link().dial(p->peer, DialTarget{t->id(), *addr}, now);
  d_.on_burst_end();
  switch (r) {
    case LinkLayer::DialResult::kStarted:
    case LinkLayer::DialResult::kAlreadyConnecting:
      return connect_result(*p, false);
    case LinkLayer::DialResult::kAlreadyConnected:  // fresh on this very path
      return connect_result(*p, false);
    case LinkLayer::DialResult::kRefreshed:  // a handshake went to the address
      return connect_result(*p, true);
    case LinkLayer::DialResult::kNoSlots:
      return Err{connect_no_slots_message(p->npub)};
    case LinkLayer::DialResult::kDenied:
      return Err{connect_denied_message(p->npub)};
    case LinkLayer::DialResult::kFailed:
      break;
  }
  return Err{connect_no_transport_message(p->npub)};
}

ControlReply DaemonControl::disconnect(const nlohmann::json* params) {
  auto p = parse_disconnect_params(params);
  if (!p) return Err{p.error()};
  const uint64_t now = monotonic_ms();
  if (!d_.node().link().disconnect(p->peer.node_addr(), fmp::DisconnectReason::kConfigurationChange,
                                   now))
    return Err{peer_not_found_message(p->npub)};
  d_.on_burst_end();
  return disconnect_result(p->npub);
}

// ---- routing-layer queries ----

namespace {
// Names an operator sees, in the reference's order (peer_display_name): a
// host-map name (peer aliases and /etc/fips/hosts, the file winning), else
// a config alias, else the short npub of a peer or another known key.
DisplayNames display_names(Node& node, const HostMap& hosts) {
  DisplayNames names;
  for (const auto& e : node.identity_cache().snapshot(0, 0).entries)
    if (auto id = PeerIdentity::from_npub(e.npub)) names[e.node_addr] = id->short_npub();
  node.link().for_each_peer([&](const Peer& p) {
    names[p.id.node_addr()] = node.link().display_name(p.id.node_addr());
  });
  names[node.identity().node_addr()] = node.identity().as_peer().short_npub();
  for (auto& [addr, name] : names)
    if (const std::string* h = hosts.hostname_of(addr)) name = *h;
  return names;
}
}  // namespace

// The metric-history queries (control/queries_stats.h). A tracked peer that
// is no longer a peer is named as show_tree names nodes and shows its
// node_addr hex as npub, as the reference does.
ControlReply DaemonControl::stats_query(const std::string& c, const nlohmann::json* params,
                                        uint64_t now) {
  const stats::StatsHistory& h = d_.history();
  if (c == "show_stats_list") return show_stats_list_data();
  Node& node = d_.node();
  const DisplayNames names = display_names(node, d_.host_names());
  const StatsPeerNamer namer = [&](const NodeAddr& a) {
    StatsPeerInfo i;
    const Peer* p = node.link().find_peer(a);
    i.is_active = p != nullptr;
    i.npub = p ? p->id.npub() : a.hex();
    auto it = names.find(a);
    i.display_name = it != names.end() ? it->second : a.short_hex();
    return i;
  };
  if (c == "show_stats_peers") return show_stats_peers_data(h, now, namer);
  if (c == "show_stats_history") return show_stats_history_data(h, params, namer);
  if (c == "show_stats_all_history") return show_stats_all_history_data(h, params, namer);
  if (c == "show_stats_history_all_peers") return show_stats_history_all_peers_data(h, params, namer);
  return Err{unknown_command_message(c)};
}

ControlReply DaemonControl::routing_query(const std::string& c, uint64_t now) {
  Node& node = d_.node();
  const uint64_t unix_now = unix_ms();
  if (c == "show_tree") {
    TreeQueryExtras x;
    x.display_names = display_names(node, d_.host_names());
    const NodeAddr root = node.tree().root();
    if (root == node.identity().node_addr()) x.root_npub = node.identity().npub();
    else if (const PeerIdentity* id = node.identity_cache().peek(root)) x.root_npub = id->npub();
    return show_tree_data(node.tree().snapshot(), x);
  }
  if (c == "show_bloom") {
    const auto& t = node.tree();
    std::optional<NodeAddr> parent;
    if (!t.is_root()) parent = t.parent();
    return show_bloom_data(node.bloom().snapshot(parent), display_names(node, d_.host_names()));
  }
  if (c == "show_cache") return show_cache_data(node.coord_cache().snapshot(now, unix_now), display_names(node, d_.host_names()));
  if (c == "show_identity_cache")
    return show_identity_cache_data(node.identity_cache().snapshot(now, unix_now), display_names(node, d_.host_names()));
  if (c == "show_routing") {
    RoutingQueryExtras x;
    x.display_names = display_names(node, d_.host_names());
    x.coord_cache_entries = node.coord_cache().size();
    x.identity_cache_entries = node.identity_cache().size();
    x.error_signals = error_signal_counters(d_.sessions().sessions().counters());
    x.error_signals.lookup_resp_mtu_below_floor = node.lookups().extra_counters().lookup_resp_mtu_below_floor;
    x.pending_tun_destinations = d_.sessions().tun_pending().destinations();
    x.pending_tun_packets = d_.sessions().tun_pending().packets();
    if (d_.adapter()) x.congestion.ce_received = d_.adapter()->counters().ce_received;
    x.congestion.ce_forwarded = node.counters().ce_forwarded;
    x.congestion.congestion_detected = node.counters().congestion_detected;
    x.congestion.kernel_drop_events = node.counters().kernel_drop_events;
    return show_routing_data(node.lookups().snapshot(now, unix_now), node.lookups().counters(),
                             node.forwarding(), x);
  }
  MetricsExtras x;
  x.errors = error_signal_counters(d_.sessions().sessions().counters());
  x.errors.lookup_resp_mtu_below_floor = node.lookups().extra_counters().lookup_resp_mtu_below_floor;
  if (d_.adapter()) x.congestion.ce_received = d_.adapter()->counters().ce_received;
  x.congestion.ce_forwarded = node.counters().ce_forwarded;
  x.congestion.congestion_detected = node.counters().congestion_detected;
  x.congestion.kernel_drop_events = node.counters().kernel_drop_events;
  nlohmann::json j = show_metrics_data(node.forwarding(), node.lookups().counters(), node.tree().counters(),
                                       node.bloom().counters(), node.link().counters(), x);
  j.update(dataplane_metrics_json(d_.sessions(), d_.adapter(), d_.tun(), d_.dns()));
  // UDP GSO/GRO per UDP transport (ours: the reference sends and receives
  // datagram by datagram).
  nlohmann::json gso = nlohmann::json::array();
  for (const auto& t : d_.transports())
    if (const auto* u = dynamic_cast<const UdpTransport*>(t.get()))
      gso.push_back({{"transport_id", u->id()},
                     {"gso", u->gso()},
                     {"gso_messages", u->gso_messages()},
                     {"gso_datagrams", u->gso_datagrams()},
                     {"gro", u->gro()},
                     {"gro_messages", u->gro_messages()},
                     {"gro_datagrams", u->gro_datagrams()}});
  j["udp_gso"] = std::move(gso);
  // Fair shares of shared tables (ours, issue 15): refusals, and which peers
  // ran into their lookup share, by display name.
  const DisplayNames names = display_names(node, d_.host_names());
  nlohmann::json by_peer = nlohmann::json::object();
  for (const auto& [a, n] : node.lookups().share_refusals()) {
    auto it = names.find(a);
    by_peer[it != names.end() ? it->second : a.hex()] = n;
  }
  j["shares"] = {{"lookup_req_peer_share_exceeded", node.lookups().extra_counters().req_peer_share_exceeded},
                 {"lookup_share_refusals_by_peer", std::move(by_peer)},
                 {"coord_cache_share_refused", node.coord_cache().counters().share_refused}};
  return j;
}

// ---- lookup (ours): discovery as a diagnostic ----

namespace {
// Replies within the control socket's 5 s reply window.
// Deadlines are checked on the daemon's 1 s tick, so an expired request is
// answered up to 1 s late: 3.5 s keeps the answer inside the control
// socket's 5 s reply timeout (a ping to an unreachable node used to say
// "query timeout" instead of "no reply").
constexpr uint64_t kLookupReplyMs = 3500;

nlohmann::json coords_json(const Coords& c) {
  nlohmann::json a = nlohmann::json::array();
  for (const NodeAddr& x : c) a.push_back(x.hex());
  return a;
}
}  // namespace

std::optional<ControlReply> DaemonControl::lookup(const nlohmann::json* params, uint64_t ticket) {
  if (!params || params->is_null()) return ControlReply(Err{std::string("missing params for lookup")});
  auto p = parse_disconnect_params(params);  // same {"npub": S} shape and checks
  if (!p) return ControlReply(Err{p.error()});
  Node& node = d_.node();
  if (p->peer.node_addr() == node.identity().node_addr())
    return ControlReply(Err{std::string("cannot look up this node")});
  const uint64_t now = monotonic_ms();
  auto r = node.start_lookup(p->peer, now);
  d_.on_burst_end();
  if (r.outcome != lookup::InitiateOutcome::kSent &&
      r.outcome != lookup::InitiateOutcome::kDeduplicated)
    return ControlReply(Err{std::string("lookup failed: ") + lookup::initiate_outcome_name(r.outcome)});
  lookups_.push_back(PendingLookup{ticket, p->peer, now, now + kLookupReplyMs});
  return std::nullopt;  // answered by on_lookup_done() or expire()
}

void DaemonControl::on_lookup_done(const lookup::LookupEvent& e) {
  const uint64_t now = monotonic_ms();
  for (auto it = lookups_.begin(); it != lookups_.end();) {
    if (!(it->target.node_addr() == e.target)) {
      ++it;
      continue;
    }
    if (e.kind == lookup::LookupEvent::Kind::kFound) {
      nlohmann::json j{{"npub", it->target.npub()},
                       {"node_addr", e.target.hex()},
                       {"coords", coords_json(e.coords)},
                       {"depth", e.coords.empty() ? 0 : e.coords.size() - 1},
                       {"path_mtu", e.path_mtu},
                       {"elapsed_ms", now - it->started_ms}};
      d_.complete_control(it->ticket, ControlReply(std::move(j)));
    } else {
      d_.complete_control(it->ticket, ControlReply(Err{std::string("lookup failed: no response")}));
    }
    it = lookups_.erase(it);
  }
}

// ---- ping (ours): an echo over an FSP session ----

std::optional<ControlReply> DaemonControl::ping(const nlohmann::json* params, uint64_t ticket) {
  if (!params || params->is_null()) return ControlReply(Err{std::string("missing params for ping")});
  auto p = parse_disconnect_params(params);  // same {"npub": S} shape and checks
  if (!p) return ControlReply(Err{p.error()});
  if (p->peer.node_addr() == d_.node().identity().node_addr())
    return ControlReply(Err{std::string("cannot ping this node")});
  if (pings_.size() >= 64) return ControlReply(Err{std::string("too many pings in flight")});
  const uint64_t token = next_token_++;
  uint8_t payload[kPingBytes] = {'P'};
  std::memcpy(payload + 1, &token, sizeof token);
  const uint64_t now = monotonic_ms();
  const uint64_t t0 = mono_us();
  const auto st = d_.sessions().send(p->peer, kPingPort, kEchoPort, ByteSpan(payload, sizeof payload), now);
  d_.on_burst_end();
  if (st != SessionLayer::SendStatus::kSent && st != SessionLayer::SendStatus::kQueued)
    return ControlReply(Err{std::string("ping failed: cannot send (queue full or no buffer)")});
  pings_.push_back(PendingPing{ticket, token, p->npub, t0, now + kPingReplyMs, sizeof payload});
  return std::nullopt;  // answered by on_echo_reply() or expire()
}

void DaemonControl::on_echo_reply(const NodeAddr& src, ByteSpan payload) {
  if (payload.size() < 9 || payload[0] != 'R') return;
  uint64_t token;
  std::memcpy(&token, payload.data() + 1, sizeof token);
  for (auto it = pings_.begin(); it != pings_.end(); ++it) {
    if (it->token != token) continue;
    auto id = PeerIdentity::from_npub(it->npub);
    if (!id || !(id->node_addr() == src)) return;  // a reply must come from whom we pinged
    const double rtt_ms = static_cast<double>(mono_us() - it->started_us) / 1000.0;
    nlohmann::json j{{"npub", it->npub},
                     {"node_addr", src.hex()},
                     {"bytes", payload.size()},
                     {"rtt_ms", rtt_ms}};
    d_.complete_control(it->ticket, ControlReply(std::move(j)));
    pings_.erase(it);
    return;
  }
}

ControlReply DaemonControl::show_sessions(uint64_t now) {
  Node& node = d_.node();
  const DisplayNames names = display_names(node, d_.host_names());
  auto name_of = [&](const NodeAddr& a) {
    auto it = names.find(a);
    return it != names.end() ? it->second : a.hex();
  };
  const auto& sm = d_.sessions().sessions();
  return ControlReply(show_sessions_data(
      session_rows(sm.snapshot(now, unix_ms()), name_of, sm.params().mmp_mode)));
}

ControlReply DaemonControl::show_mmp(uint64_t now) {
  Node& node = d_.node();
  const DisplayNames names = display_names(node, d_.host_names());
  auto name_of = [&](const NodeAddr& a) {
    auto it = names.find(a);
    return it != names.end() ? it->second : a.hex();
  };
  auto peers = node.link().peer_snapshots(now);
  for (PeerSnapshot& p : peers)
    if (auto id = PeerIdentity::from_npub(p.npub)) p.display_name = name_of(id->node_addr());
  // Sessions: established ones carry their session MMP block.
  std::vector<MmpSessionRow> sessions;
  const auto& sm = d_.sessions().sessions();
  for (const SessionRow& r : session_rows(sm.snapshot(now, unix_ms()), name_of, sm.params().mmp_mode))
    if (r.mmp) sessions.push_back(MmpSessionRow{r.remote_addr, r.display_name, *r.mmp, r.path_mtu});
  return ControlReply(show_mmp_data(peers, sessions));
}

ControlReply DaemonControl::probe(const std::string& c, const nlohmann::json* params, uint64_t now) {
  ProbeRegistry& reg = d_.probes();
  if (c == "probe_start") {
    auto npub = parse_probe_start_params(params);
    if (!npub) return Err{npub.error()};
    auto r = reg.start(*npub, now);
    d_.on_burst_end();  // a lookup or handshake may be queued
    if (!r) return Err{r.error()};
    const DisplayNames names = display_names(d_.node(), d_.host_names());
    auto it = names.find(r->target);
    return ControlReply(nlohmann::json{{"probe_id", r->probe_id},
                                       {"npub", *npub},
                                       {"node_addr", r->target.hex()},
                                       {"display_name", it != names.end() ? it->second : r->target.short_hex()},
                                       {"budget_ms", r->budget_ms}});
  }
  auto id = parse_probe_id_param(params);
  if (!id) return Err{id.error()};
  if (c == "probe_cancel") {
    auto r = reg.cancel(*id, now);
    d_.on_burst_end();
    if (!r) return Err{r.error()};
    return ControlReply(nlohmann::json{{"probe_id", *id}, {"cancelled", true}});
  }
  auto r = reg.poll(*id, now);
  if (!r) return Err{r.error()};
  const DisplayNames names = display_names(d_.node(), d_.host_names());
  auto name_of = [&](const NodeAddr& a) {
    auto it = names.find(a);
    return it != names.end() ? it->second : a.short_hex();
  };
  const ProbeTargetInfo target{r->npub, r->target.hex(), name_of(r->target),
                               FipsAddress::from_node_addr(r->target).str()};
  return ControlReply(nlohmann::json{
      {"state", r->done ? "done" : "running"},
      {"report", probe_report_json(*r, target, [](const NodeAddr& a) { return a.hex(); }, name_of)}});
}

void DaemonControl::expire(uint64_t now) {
  for (auto it = pings_.begin(); it != pings_.end();) {
    if (now < it->deadline_ms) {
      ++it;
      continue;
    }
    d_.complete_control(it->ticket, ControlReply(Err{std::string("ping: no reply within 3.5 s")}));
    it = pings_.erase(it);
  }
  for (auto it = lookups_.begin(); it != lookups_.end();) {
    if (now < it->deadline_ms) {
      ++it;
      continue;
    }
    d_.complete_control(it->ticket,
                        ControlReply(Err{std::string("lookup failed: no answer within 3.5 s (still pending)")}));
    it = lookups_.erase(it);
  }
}

// ---- snapshots owned by the daemon ----

StatusSnapshot Daemon::status_snapshot() const {
  StatusSnapshot s;
  s.version = FIPS_VERSION_STRING;
  s.npub = id_.npub();
  s.node_addr = id_.node_addr().hex();
  s.ipv6_addr = id_.address().str();
  s.state = "running";
  s.is_leaf_only = cfg_.node.leaf_only;
  s.is_root = node_->tree().is_root();
  s.root = node_->tree().root().hex();
  s.estimated_mesh_size = node_->estimated_mesh_size();
  s.persistent = persistent_;
  s.peer_count = node_->link().peer_count();
  s.link_count = node_->link().peer_count();
  s.session_count = sessions_->sessions().size();  // every entry, as the reference (handshaking too)
  s.connection_count = node_->link().pending_count();
  for (auto& t : transports_) {
    if (!t || t->state() != TransportState::kUp) continue;
    ++s.transport_count;
    s.transport_peer_counts.emplace(std::string(t->type()), 0);
  }
  node_->link().for_each_peer([&](const Peer& p) {
    if (Transport* t = transport(p.tid)) ++s.transport_peer_counts[std::string(t->type())];
  });
  uint64_t min_mtu = 0;
  for (auto& t : transports_)
    if (t && t->state() == TransportState::kUp && (min_mtu == 0 || t->mtu() < min_mtu)) min_mtu = t->mtu();
  s.effective_ipv6_mtu = min_mtu > 77 ? min_mtu - 77 : 0;
  if (tun_) {
    s.tun_state = std::string(ipv6::tun_state_name(tun_->state()));
    if (tun_->state() == ipv6::TunState::kActive) s.tun_name = tun_->name();
  }
  s.control_socket = control_path_;
  s.pid = static_cast<uint64_t>(::getpid());
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  s.exe_path = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "-";
  s.uptime_secs = (monotonic_ms() - started_ms_) / 1000;
  s.forwarding = node_->forwarding();
  for (std::string_view k : kSparklineSeries) s.sparklines[std::string(k)] = {};
  if (history_) s.sparklines = stats_sparklines(*history_);
  s.inactive_config = inactive_keys_;
  return s;
}

std::vector<TransportSnapshot> Daemon::transport_snapshots() const {
  std::vector<TransportSnapshot> out;
  for (auto& t : transports_) {
    if (!t || t->state() != TransportState::kUp) continue;
    TransportSnapshot s;
    s.transport_id = t->id();
    s.type = std::string(t->type());
    s.name = t->name();
    s.state = "up";
    s.mtu = t->mtu();
    if (std::string la = t->local_addr(); !la.empty()) s.local_addr = la;
    s.stats = t->stats();
    s.kernel_drops = t->stats().kernel_drops;
    if (auto* tcp = dynamic_cast<const TcpTransport*>(t.get())) {
      s.pool_inbound = tcp->pool_inbound();
      s.pool_outbound = tcp->pool_outbound();
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace fips
