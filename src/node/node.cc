#include "node/node.h"

#include <algorithm>
#include <cstring>

#include "proto/mmp/link_cost.h"
#include "util/log.h"

namespace fips {

// Ours: the fewest coordinate-cache entries transit warming may create on
// behalf of one peer, however many peers there are (issue 15).
constexpr size_t kMinCoordShare = 256;

LinkConfig link_config_from(const Config& cfg) {
  const NodeConfig& n = cfg.node;
  LinkConfig l;
  l.heartbeat_interval_ms = n.heartbeat_interval_secs * 1000;
  l.mmp_mode = mmp::mode_of(n.mmp.mode);
  l.mmp_owd_window = static_cast<size_t>(std::min<uint64_t>(n.mmp.owd_window_size, mmp::kMaxOwdWindow));
  l.mmp_log_interval_ms = n.mmp.log_interval_secs * 1000;
  l.link_dead_timeout_ms = n.link_dead_timeout_secs * 1000;
  l.handshake_timeout_ms = n.rate_limit.handshake_timeout_secs * 1000;
  l.resend_interval_ms = n.rate_limit.handshake_resend_interval_ms;
  l.resend_backoff = n.rate_limit.handshake_resend_backoff;
  l.max_resends = n.rate_limit.handshake_max_resends;
  l.rekey_enabled = n.rekey.enabled;
  l.rekey_after_ms = n.rekey.after_secs * 1000;
  l.rekey_after_messages = n.rekey.after_messages;
  l.max_peers = n.limits.max_peers;
  l.max_connections = n.limits.max_connections;
  l.max_links = n.limits.max_links;
  l.handshake_burst = n.rate_limit.handshake_burst;
  l.handshake_rate = n.rate_limit.handshake_rate;
  // Established-link bucket, derived as the reference does when not set:
  // burst = max_peers (or handshake_burst if unlimited); rate = max(1,
  // max_peers / max(after_secs,1) * (1 + max_resends)) (or handshake_rate).
  if (n.rate_limit.established_handshake_burst) {
    l.established_burst = *n.rate_limit.established_handshake_burst;
  } else {
    l.established_burst = n.limits.max_peers ? static_cast<double>(n.limits.max_peers)
                                             : static_cast<double>(n.rate_limit.handshake_burst);
  }
  if (n.rate_limit.established_handshake_rate) {
    l.established_rate = *n.rate_limit.established_handshake_rate;
  } else if (n.limits.max_peers) {
    l.established_rate = std::max(
        1.0, static_cast<double>(n.limits.max_peers) /
                 static_cast<double>(std::max<uint64_t>(n.rekey.after_secs, 1)) *
                 (1.0 + n.rate_limit.handshake_max_resends));
  } else {
    l.established_rate = n.rate_limit.handshake_rate;
  }
  l.retry_base_ms = n.retry.base_interval_secs * 1000;
  l.retry_max_ms = n.retry.max_backoff_secs * 1000;
  l.max_retries = n.retry.max_retries;
  return l;
}

NodeOptions node_options_from(const Config& cfg) {
  const NodeConfig& n = cfg.node;
  NodeOptions o;
  o.link = link_config_from(cfg);
  o.tree.announce_min_interval_ms = n.tree.announce_min_interval_ms;
  o.tree.parent_hysteresis = n.tree.parent_hysteresis;
  o.tree.hold_down_secs = n.tree.hold_down_secs;
  o.tree.reeval_interval_secs = n.tree.reeval_interval_secs;
  o.tree.flap_threshold = n.tree.flap_threshold;
  o.tree.flap_window_secs = n.tree.flap_window_secs;
  o.tree.flap_dampening_secs = n.tree.flap_dampening_secs;
  o.bloom.update_debounce_ms = n.bloom.update_debounce_ms;
  o.bloom.max_inbound_fpr = n.bloom.max_inbound_fpr;
  o.bloom.leaf_only = n.leaf_only;
  o.lookup = lookup::LookupParams::from_config(n.lookup);
  o.coord_cache_size = n.cache.coord_size;
  o.coord_cache_ttl_ms = n.cache.coord_ttl_secs * 1000;
  o.identity_cache_size = n.cache.identity_size;
  o.session_ttl = n.session.default_ttl;
  o.leaf_only = n.leaf_only;
  o.ecn = EcnParams::from_config(n.ecn);
  return o;
}

Node::Node(const Identity& id, const Epoch& epoch, const NodeOptions& opts, LinkIo& io,
           uint64_t rng_seed)
    : id_(id),
      opts_(opts),
      io_(io),
      rng_(rng_seed),
      link_(id, epoch, opts.link, io, this, rng_.next()),
      tree_(id, opts.tree, io.wall_ms() / 1000),
      bloom_(id.node_addr(), opts.bloom, rng_.next(), rng_.next()),
      lookup_(id, opts.lookup, rng_),
      coords_(opts.coord_cache_size, opts.coord_cache_ttl_ms, rng_.next()),
      ids_(opts.identity_cache_size, rng_.next()),
      err_limiter_(rng_.next()) {}

Node::~Node() = default;

// ---- peers ----

void Node::peer_list_add(const NodeAddr& a) {
  Peer* p = link_.find_peer(a);
  if (!p) return;
  auto it = std::lower_bound(peer_addrs_.begin(), peer_addrs_.end(), a);
  const auto i = it - peer_addrs_.begin();
  if (it != peer_addrs_.end() && *it == a) {  // the same peer again (a new link object)
    peer_list_[static_cast<size_t>(i)] = p;
    return;
  }
  peer_addrs_.insert(it, a);
  peer_list_.insert(peer_list_.begin() + i, p);
}

void Node::peer_list_remove(const NodeAddr& a) {
  auto it = std::lower_bound(peer_addrs_.begin(), peer_addrs_.end(), a);
  if (it == peer_addrs_.end() || !(*it == a)) return;
  peer_list_.erase(peer_list_.begin() + (it - peer_addrs_.begin()));
  peer_addrs_.erase(it);
}

namespace {
double peer_link_cost(const Peer& p) {
  return p.mmp ? mmp::link_cost(p.mmp->metrics.etx, p.mmp->metrics.srtt_ms())
               : mmp::kColdStartLinkCost;
}
bool peer_has_srtt(const Peer& p) { return p.mmp && p.mmp->metrics.srtt_ms().has_value(); }

// Ours (docs/spec/stp-bloom.md §4.4): a peer that has sent no ReceiverReport
// within this long of its link coming up never will (the TypeScript
// implementation sends none). It then passes the cold-start gate at the
// cold-start cost instead of being excluded next to measured peers.
constexpr uint64_t kNonReportingGraceMs = 10'000;

// The cold-start gate (docs/spec/stp-bloom.md §4 step 4): measured, or known
// never to report.
bool peer_passes_gate(const Peer& p, uint64_t wall_ms) {
  if (peer_has_srtt(p)) return true;
  const bool silent = !p.mmp || p.mmp->metrics.reports_seen == 0;
  return silent && wall_ms >= p.authenticated_wall_ms + kNonReportingGraceMs;
}
}  // namespace

stp::PeerCosts Node::peer_costs() const {
  // The cold-start gate's input (docs/spec/stp-bloom.md §4 step 4): peers
  // whose link MMP has an SRTT sample, and (ours) peers that never report at
  // the cold-start cost; empty while there is neither.
  stp::PeerCosts costs;
  const uint64_t wall = io_.wall_ms();
  for (const Peer* p : peer_list_)
    if (peer_passes_gate(*p, wall)) costs.emplace(p->id.node_addr(), peer_link_cost(*p));
  return costs;
}

void Node::on_first_rtt(Peer&, uint64_t now) {
  apply(tree_.on_first_rtt(peer_costs(), now, unix_s()), now);
}

PeerInfo Node::peer(size_t i) const {
  const Peer& p = *peer_list_[i];
  PeerInfo info;
  info.addr = p.id.node_addr();
  info.can_send = p.current != nullptr;
  info.is_tree_peer = tree_.is_tree_peer(info.addr);
  info.link_cost = peer_link_cost(p);  // ungated, as the reference's bloom ranking
  if (const Coords* c = tree_.peer_coords(info.addr)) info.coords = coords_view_of(*c);
  return info;
}

bool Node::peer_may_reach(size_t i, const RouteDest& dest) const {
  return bloom_.peer_filter_contains(peer_list_[i]->id.node_addr(), dest.hashes);
}

size_t Node::find_peer(const NodeAddr& addr) const {
  auto it = std::lower_bound(peer_addrs_.begin(), peer_addrs_.end(), addr);
  if (it == peer_addrs_.end() || !(*it == addr)) return kNoPeer;
  return static_cast<size_t>(it - peer_addrs_.begin());
}

uint16_t Node::link_mtu(size_t i) const {
  const Peer& p = *peer_list_[i];
  const uint16_t m = io_.mtu(p.tid, p.addr);
  return m ? m : kUnknownMtu;
}

void Node::on_peer_up(const Peer& p, uint64_t now) {
  const NodeAddr a = p.id.node_addr();
  peer_list_add(a);
  ids_.register_identity(p.id, now);
  bloom_.on_peer_up(a);
  apply(tree_.on_peer_up(a, now), now);
  lookup_.on_topology_change();
}

void Node::on_peer_down(const NodeAddr& a, uint64_t now) {
  peer_list_remove(a);
  bloom_.on_peer_down(a);
  apply(tree_.on_peer_down(a, peer_costs(), now, unix_s()), now);
  if (peer_down_) peer_down_(a, now);
}

void Node::apply(const stp::TreeActions& a, uint64_t now) {
  if (a.invalidate_via_me) coords_.invalidate_via_node(id_.node_addr());
  if (a.invalidate_other_roots) coords_.invalidate_other_roots(*a.invalidate_other_roots);
  if (a.reset_lookup_backoff) lookup_.on_topology_change();
  if (!a.announce_to.empty()) {
    std::vector<uint8_t> bytes(tree_.announce_wire_size());
    Writer w{MutByteSpan(bytes)};
    if (!tree_.encode_announce(w).ok()) {
      for (const NodeAddr& to : a.announce_to) tree_.on_announce_send_failed(to);
    } else {
      for (const NodeAddr& to : a.announce_to) {
        Peer* p = link_.find_peer(to);
        if (!p || !link_.send_message_bytes(*p, bytes, now)) tree_.on_announce_send_failed(to);
      }
    }
  }
  auto is_tree = [this](const NodeAddr& x) { return tree_.is_tree_peer(x); };
  switch (a.bloom) {
    case stp::BloomMark::kNone: break;
    case stp::BloomMark::kPeer: bloom_.mark(a.bloom_peer); break;
    case stp::BloomMark::kAll: bloom_.mark_all(); break;
    case stp::BloomMark::kChangedExcept: bloom_.mark_changed_peers(a.bloom_peer, is_tree); break;
  }
  if (a.flap_dampening_engaged)
    LOG_WARN("spanning tree: parent flapping, dampening discretionary switches for %llu s",
             static_cast<unsigned long long>(opts_.tree.flap_dampening_secs));
  if (a.parent_changed)
    LOG_DEBUG("spanning tree: parent %s, root %s, depth %zu", tree_.parent().short_hex().c_str(),
              tree_.root().short_hex().c_str(), tree_.depth());
}

// ---- tick ----

void Node::tick(uint64_t now) {
  link_.tick(now);  // resends, timeouts, heartbeats, dead links (may remove peers)
  apply(tree_.tick(now, unix_s(), peer_costs()), now);
  auto is_tree = [this](const NodeAddr& x) { return tree_.is_tree_peer(x); };
  auto send = [&](const NodeAddr& to, const bloom::FilterAnnounce& fa) {
    Peer* p = link_.find_peer(to);
    if (!p) return false;
    PacketBuf b = io_.alloc();
    const size_t n = bloom::filter_announce_wire_size(fa);
    if (!b || !b.push_back(n)) return false;
    Writer w{MutByteSpan(b.data(), n)};
    if (!bloom::encode_filter_announce(w, fa).ok()) return false;
    return link_.send_message(*p, std::move(b), now);
  };
  bloom_.tick(now, is_tree, send);
  mesh_size_ = bloom_.estimate_mesh_size();
  lookup_.tick(*this, now, lookup_acts_);
  run_lookup_actions(now);
  coords_.purge_expired(now);
  err_limiter_.tick(now);
}

// ---- link messages ----

bool Node::on_link_message(Peer& p, uint8_t type, PacketBuf&& frame, bool ce, uint64_t now) {
  const NodeAddr from = p.id.node_addr();
  switch (static_cast<fmp::LinkMsgType>(type)) {
    case fmp::LinkMsgType::kTreeAnnounce: {
      const bool was_tree_peer = tree_.is_tree_peer(from);
      apply(tree_.on_announce(p.id, frame.span(), peer_costs(), now, unix_s()), now);
      // A child attaching or leaving changes which inbound filters we merge,
      // so our outgoing filters may change although no FilterAnnounce
      // arrived (ours: the reference marks nothing here, and a child whose
      // FilterAnnounce overtook its rate-limited TreeAnnounce is then
      // missing from our filters until something else changes them).
      if (tree_.is_tree_peer(from) != was_tree_peer)
        bloom_.mark_changed_peers([this](const NodeAddr& x) { return tree_.is_tree_peer(x); });
      return true;
    }
    case fmp::LinkMsgType::kFilterAnnounce: {
      auto is_tree = [this](const NodeAddr& x) { return tree_.is_tree_peer(x); };
      (void)bloom_.on_filter_announce(from, frame.span(), now, is_tree);
      return true;
    }
    case fmp::LinkMsgType::kLookupRequest:
      if (opts_.leaf_only && frame.size() >= 25 &&
          !(NodeAddr::from_span(frame.span().subspan(9).first<16>()) == id_.node_addr())) {
        ++counters_.leaf_only_refused;
        return true;
      }
      lookup_.on_request(from, frame.span(), *this, now, lookup_acts_);
      run_lookup_actions(now);
      return true;
    case fmp::LinkMsgType::kLookupResponse:
      lookup_.on_response(from, frame.span(), *this, ids_, coords_, now, lookup_acts_);
      run_lookup_actions(now);
      return true;
    case fmp::LinkMsgType::kSessionDatagram:
      on_datagram(p, std::move(frame), ce, now);
      return true;
    default:
      return false;
  }
}

void Node::run_lookup_actions(uint64_t now) {
  for (const lookup::SendItem& s : lookup_acts_.sends)
    if (Peer* p = link_.find_peer(s.peer)) (void)link_.send_message_bytes(*p, lookup_acts_.bytes(s), now);
  for (const lookup::LookupEvent& e : lookup_acts_.events) {
    if (e.kind == lookup::LookupEvent::Kind::kFound)
      LOG_DEBUG("lookup: found %s at depth %zu (path mtu %u)", e.target.short_hex().c_str(),
                e.coords.empty() ? 0 : e.coords.size() - 1, e.path_mtu);
    if (lookup_done_) lookup_done_(e);
  }
  lookup_acts_.clear();
}

lookup::InitiateResult Node::start_lookup(const PeerIdentity& target, uint64_t now) {
  ids_.register_identity(target, now);
  auto r = lookup_.initiate(target.node_addr(), *this, now, lookup_acts_);
  run_lookup_actions(now);
  return r;
}

// ---- datagrams ----

void Node::on_datagram(Peer& from, PacketBuf&& frame, bool ce, uint64_t now) {
  const size_t len = frame.size();
  fwd_.on_received(len);
  auto dg = routing::decode_session_datagram(frame.span());
  if (!dg) return fwd_.on_outcome(routing::DatagramOutcome::kDecodeError, len);
  // A peer may create at most its share of coordinate-cache entries.
  const routing::WarmSource src{
      from.id.node_addr(),
      std::max<size_t>(kMinCoordShare, coords_.capacity() / std::max<size_t>(1, peer_count()))};
  if (!routing::warm_coords(*dg, coords_, now, &src)) fwd_.on_warm_malformed(len);
  const routing::TransitDecision d = routing::decide_transit(*this, *dg, len, coords_, now);
  switch (d.kind) {
    case routing::TransitKind::kDeliver:
      fwd_.on_outcome(routing::DatagramOutcome::kDelivered, len);
      if (session_deliver_) session_deliver_(*dg, from.id.node_addr(), std::move(frame), ce, now);
      else if (deliver_) deliver_(*dg, std::move(frame), now);
      else ++counters_.undeliverable;
      return;
    case routing::TransitKind::kTtlExhausted:
      return fwd_.on_outcome(routing::DatagramOutcome::kTtlExhausted, len);
    case routing::TransitKind::kNoRoute:
    case routing::TransitKind::kMtuExceeded:
      if (opts_.leaf_only) {
        ++counters_.leaf_only_refused;
        return;
      }
      fwd_.on_outcome(d.kind == routing::TransitKind::kNoRoute
                          ? routing::DatagramOutcome::kNoRoute
                          : routing::DatagramOutcome::kMtuExceeded,
                      len);
      return send_error_signal(*dg, d, now);
    case routing::TransitKind::kForward:
      break;
  }
  if (opts_.leaf_only) {
    ++counters_.leaf_only_refused;
    return;
  }
  Peer* next = peer_list_[d.hop.peer_index];
  // Classify before the buffer moves (dg views into it).
  const NodeAddr dest = dg->dest_addr;
  auto dest_coords = coords_.get(dest, now);
  const Coords* hop_coords = tree_.peer_coords(d.hop.peer);
  const routing::RouteClass cls = routing::classify_forward(
      dest, d.hop.peer, id_.node_addr(), self_coords(), dest_coords ? &*dest_coords : nullptr,
      hop_coords ? coords_view_of(*hop_coords) : CoordsView());
  (void)routing::prepare_forward_in_place(frame.span(), d.link_mtu);
  // CE: relayed when it arrived set, and set by us when the outgoing link or
  // a local transport is congested (node/congestion.h).
  const bool congested = link_congested(opts_.ecn, next->mmp ? &next->mmp->metrics : nullptr,
                                        kernel_drops_.dropping());
  if (congested) ++counters_.congestion_detected;
  const bool out_ce = ce || congested;
  if (link_.send_message(*next, std::move(frame), now, out_ce ? fmp::kFlagCE : 0)) {
    fwd_.on_outcome(routing::DatagramOutcome::kForwarded, len);
    fwd_.on_route(cls);
    if (out_ce) ++counters_.ce_forwarded;
  } else {
    fwd_.on_outcome(routing::DatagramOutcome::kSendError, len);
  }
}

void Node::send_error_signal(const routing::SessionDatagram& dg, const routing::TransitDecision& d,
                             uint64_t now) {
  if (!err_limiter_.allow(dg.dest_addr, now)) return;
  PacketBuf b = io_.alloc();
  if (!b) return;
  const size_t room = b.capacity() - b.headroom() - kAeadTagSize;
  Writer w{MutByteSpan(b.data(), room)};
  const WireStatus st =
      d.kind == routing::TransitKind::kMtuExceeded
          ? routing::encode_mtu_exceeded_datagram(w, id_.node_addr(), dg.src_addr, dg.dest_addr,
                                                  d.link_mtu, opts_.session_ttl)
          : routing::encode_no_route_datagram(w, id_.node_addr(), dg.src_addr, dg.dest_addr,
                                              coords_, now, opts_.session_ttl);
  if (!st.ok() || !b.push_back(w.pos())) return;
  if (!route_buffer(dg.src_addr, std::move(b), now)) ++counters_.signal_unroutable;
}

bool Node::route_buffer(const NodeAddr& dest, PacketBuf&& buf, uint64_t now, size_t* hop_out) {
  const routing::NextHop hop = routing::find_next_hop(*this, RouteDest::of(dest), coords_, now);
  if (!hop.is_peer()) return false;
  Peer* p = peer_list_[hop.peer_index];
  routing::clamp_path_mtu_in_place(buf.span(), link_mtu(hop.peer_index));
  if (hop_out) *hop_out = hop.peer_index;
  return link_.send_message(*p, std::move(buf), now);
}

Node::SendResult Node::send_datagram(const NodeAddr& dest, ByteSpan payload, uint64_t now) {
  PacketBuf b = io_.alloc();
  if (!b) return SendResult::kNoBuffer;
  if (b.headroom() < routing::kSessionDatagramHeaderSize || !b.push_back(payload.size()))
    return SendResult::kTooLarge;
  if (!payload.empty()) std::memcpy(b.data(), payload.data(), payload.size());
  return send_datagram_buf(dest, std::move(b), now);
}

Node::SendResult Node::send_datagram_buf(const NodeAddr& dest, PacketBuf&& b, uint64_t now,
                                         const Route* via) {
  if (!b) return SendResult::kNoBuffer;
  if (b.tailroom() < kAeadTagSize || !b.push_front(routing::kSessionDatagramHeaderSize))
    return SendResult::kTooLarge;
  const size_t n = b.size();
  Writer w{MutByteSpan(b.data(), routing::kSessionDatagramHeaderSize)};
  if (!routing::encode_session_datagram_header(w, opts_.session_ttl, routing::kInitialPathMtu,
                                               id_.node_addr(), dest)
           .ok())
    return SendResult::kTooLarge;
  const Route r = via && via->mtu != 0 && via->peer_index < peer_list_.size() ? *via : route(dest, now);
  if (r.mtu == 0) return SendResult::kNoRoute;
  Peer* p = peer_list_[r.peer_index];
  routing::clamp_path_mtu_in_place(b.span(), r.mtu);
  if (!link_.send_message(*p, std::move(b), now)) return SendResult::kSendFailed;
  fwd_.on_originated(n);
  return SendResult::kSent;
}

Node::Route Node::route(const NodeAddr& dest, uint64_t now) {
  const routing::NextHop hop = routing::find_next_hop(*this, RouteDest::of(dest), coords_, now);
  if (!hop.is_peer()) return {};
  return Route{hop.peer_index, link_mtu(hop.peer_index)};
}

// ---- control helpers ----

void Node::sample_kernel_drops(TransportId tid, uint64_t cumulative_drops) {
  if (kernel_drops_.sample(tid, cumulative_drops)) {
    ++counters_.kernel_drop_events;
    LOG_WARN("kernel receive drops first observed on transport %u: CE is set on forwarded "
             "datagrams while they continue", static_cast<unsigned>(tid));
  }
}

void Node::annotate_peers(std::vector<PeerSnapshot>& rows) const {
  // effective_depth under the same cold-start gate as parent selection: null
  // for a peer that does not pass it while another one does.
  const uint64_t wall = io_.wall_ms();
  const bool any_measured = std::any_of(peer_list_.begin(), peer_list_.end(),
                                        [&](const Peer* p) { return peer_passes_gate(*p, wall); });
  for (PeerSnapshot& r : rows) {
    auto pos = std::find_if(peer_list_.begin(), peer_list_.end(),
                            [&](const Peer* p) { return p->id.node_addr().hex() == r.node_addr; });
    if (pos == peer_list_.end()) continue;
    const NodeAddr a = (*pos)->id.node_addr();
    if (auto d = tree_.peer_announced_depth(a)) {
      r.has_tree_position = true;
      r.tree_depth = *d;
      if (!any_measured || peer_passes_gate(**pos, wall))
        r.effective_depth = static_cast<double>(*d) + peer_link_cost(**pos);
    }
    r.is_parent = tree_.is_parent(a);
    r.is_child = tree_.is_child(a);
    r.filter_sequence = bloom_.filter_sequence(a);
    r.has_bloom_filter = r.filter_sequence > 0;
  }
}

}  // namespace fips
