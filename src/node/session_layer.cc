// SessionLayer: see session_layer.h. The order of work after every session
// core call follows docs/fsp-sessions.md: sends in order, then events.
#include "node/session_layer.h"

#include <cstring>

#include "util/log.h"

namespace fips {

namespace {
constexpr size_t kMaxPathMtuEntries = 4096;
constexpr uint32_t port_tag(uint16_t sp, uint16_t dp) { return (uint32_t{sp} << 16) | dp; }
}  // namespace

size_t SessionLayer::PrefixHash::operator()(const IdentityPrefix& p) const noexcept {
  uint64_t h;
  std::memcpy(&h, p.data(), sizeof h);  // node_addr bits are a SHA-256 output
  return static_cast<size_t>(h);
}

SessionLayer::SessionLayer(Node& node, LinkIo& io, const Epoch& epoch, const fsp::SessionParams& params,
                           const ipv6::PendingLimits& pending, uint64_t seed)
    : node_(node),
      io_(io),
      rng_(seed),
      tun_pending_(pending, seed ^ 0x5455'4e00ULL),
      native_pending_(pending, seed ^ 0x4e41'5400ULL) {
  sm_ = std::make_unique<fsp::SessionManager>(node.identity(), epoch, params, *this, rng_);
  node_.set_session_deliver([this](const routing::SessionDatagram& dg, const NodeAddr& peer, PacketBuf&& f,
                                   bool ce, uint64_t now) { on_datagram(dg, peer, std::move(f), ce, now); });
  node_.set_peer_down([this](const NodeAddr& a, uint64_t now) {
    sm_->on_peer_removed(a, now, acts_);
    run_actions(now);
  });
  set_port_handler(kEchoPort, [this](const NodeAddr& src, uint16_t sp, PacketBuf&& p, uint64_t now) {
    echo(src, sp, std::move(p), now);
  });
}

SessionLayer::~SessionLayer() {
  node_.set_session_deliver(nullptr);
  node_.set_peer_down(nullptr);
}

void SessionLayer::attach_ipv6(ipv6::Ipv6Adapter* adapter, TunWriter writer) {
  adapter_ = adapter;
  tun_write_ = std::move(writer);
}

void SessionLayer::set_port_handler(uint16_t port, PortHandler h) {
  if (h) ports_[port] = std::move(h);
  else ports_.erase(port);
}

// ---- SessionEnv / AdapterHost ----

std::optional<CoordsView> SessionLayer::cached_coords(const NodeAddr& dest, uint64_t now) {
  return node_.coord_cache().get(dest, now);
}

void SessionLayer::register_identity(const PeerIdentity& id, uint64_t now) {
  node_.identity_cache().register_identity(id, now);
}

const PeerIdentity* SessionLayer::identity_by_prefix(const IdentityPrefix& prefix, uint64_t now) {
  return node_.identity_cache().lookup_by_prefix(prefix, now);
}

ipv6::AdapterHost::SessionInfo SessionLayer::session(const NodeAddr& dest) {
  SessionInfo info;
  auto st = sm_->state_of(dest);
  if (!st) return info;
  if (*st != fsp::SessionState::kEstablished) {
    info.state = SessionState::kHandshaking;
    return info;
  }
  info.state = SessionState::kEstablished;
  if (auto m = sm_->path_mtu(dest); m && *m != 0xFFFF) info.path_mtu = *m;
  return info;
}

std::optional<uint16_t> SessionLayer::path_mtu(std::span<const uint8_t, 16> fips_addr) {
  IdentityPrefix p;
  std::memcpy(p.data(), fips_addr.data() + 1, p.size());
  auto it = path_mtus_.find(p);
  if (it == path_mtus_.end()) return std::nullopt;
  return it->second;
}

// ---- actions ----

void SessionLayer::run_actions(uint64_t now) {
  // Sends first, in order, each as a SessionDatagram routed now.
  for (const fsp::SendItem& s : acts_.sends)
    if (node_.send_datagram(s.dest, acts_.bytes(s), now) != Node::SendResult::kSent) ++counters_.route_lost;
  // Events may call back into the core (flushes seal data): take them out
  // first so acts_ is free again.
  events_.assign(acts_.events.begin(), acts_.events.end());
  acts_.clear();
  if (events_.empty()) return;
  std::vector<fsp::SessionEvent> evs;
  evs.swap(events_);
  for (const fsp::SessionEvent& e : evs) {
    using K = fsp::SessionEvent::Kind;
    using R = fsp::SessionEvent::Reason;
    switch (e.kind) {
      case K::kEstablished:
        flush(e.peer, now);
        break;
      case K::kClosed:
        if (e.reason == R::kHandshakeTimeout || e.reason == R::kIdle) {
          discard_tun(e.peer, false);
          path_mtus_.erase(identity_prefix(e.peer));
        } else if (e.reason == R::kPeerRemoved) {
          discard_tun(e.peer, false);
        }
        if (e.reason == R::kHandshakeTimeout || e.reason == R::kIdle || e.reason == R::kPeerRemoved)
          counters_.native_discarded += native_pending_.discard(e.peer);
        break;
      case K::kInvalidateCoords:
        node_.coord_cache().remove(e.peer);
        break;
      case K::kStartLookup:
        if (const PeerIdentity* id = node_.identity_cache().peek(e.peer)) {
          const PeerIdentity copy = *id;
          (void)node_.start_lookup(copy, now);
          ++counters_.lookups_started;
        }
        break;
      case K::kPathMtuChanged: {
        auto it = path_mtus_.find(identity_prefix(e.peer));
        if (it != path_mtus_.end()) {
          if (e.mtu < it->second) it->second = e.mtu;
        } else if (path_mtus_.size() < kMaxPathMtuEntries) {
          path_mtus_.emplace(identity_prefix(e.peer), e.mtu);
        } else {
          ++counters_.path_mtu_table_full;
        }
        break;
      }
      case K::kPathMtuReleased:
        path_mtus_.erase(identity_prefix(e.peer));
        break;
    }
  }
  evs.clear();
  if (events_.capacity() < evs.capacity()) events_.swap(evs);
}

void SessionLayer::start_session(const PeerIdentity& dest, uint64_t now) {
  const fsp::InitiateResult r = sm_->initiate(dest, now, acts_);
  run_actions(now);
  if (r == fsp::InitiateResult::kNoRoute) {
    note_retry(dest.node_addr());
    if (node_.start_lookup(dest, now).outcome == lookup::InitiateOutcome::kSent) ++counters_.lookups_started;
  }
}

std::optional<std::string> SessionLayer::open_session(const PeerIdentity& dest, uint64_t now) {
  const fsp::InitiateResult r = sm_->initiate(dest, now, acts_);
  run_actions(now);
  switch (r) {
    case fsp::InitiateResult::kStarted:
    case fsp::InitiateResult::kExists: return std::nullopt;
    case fsp::InitiateResult::kNoRoute: return std::string("no route to destination");
    case fsp::InitiateResult::kTableFull: return std::string("session table full");
    case fsp::InitiateResult::kSelf: return std::string("cannot open a session to this node");
    case fsp::InitiateResult::kFailed: break;
  }
  return std::string("session handshake could not be built");
}

bool SessionLayer::send_warmup(const NodeAddr& dest, uint64_t now) {
  const bool ok = sm_->send_warmup(dest, now, acts_);
  run_actions(now);
  return ok;
}

bool SessionLayer::tear_down(const NodeAddr& dest, uint64_t now) {
  const bool ok = sm_->tear_down(dest, acts_);
  run_actions(now);
  return ok;
}

void SessionLayer::note_retry(const NodeAddr& dest) {
  if (retry_.size() >= kMaxRetry) return;  // the next packet tries again
  for (const NodeAddr& a : retry_)
    if (a == dest) return;
  retry_.push_back(dest);
}

// Destinations whose packets wait for a route (no coordinates yet, or the
// lookup could not even start: bloom miss, backoff): try again every tick
// while packets wait, so a queue is never stranded.
void SessionLayer::retry_waiting(uint64_t now) {
  if (retry_.empty()) return;
  retry_scratch_.swap(retry_);
  retry_.clear();
  for (const NodeAddr& dest : retry_scratch_) {
    if (!tun_pending_.contains(dest) && !native_pending_.contains(dest)) continue;
    if (sm_->is_established(dest)) {
      flush(dest, now);
    } else if (!sm_->state_of(dest)) {
      if (const PeerIdentity* id = node_.identity_cache().peek(dest)) {
        const PeerIdentity copy = *id;
        start_session(copy, now);
      }
    }
  }
  retry_scratch_.clear();
}

SessionLayer::Tx SessionLayer::send_established(const NodeAddr& dest, uint16_t sp, uint16_t dp,
                                                PacketBuf& buf, uint64_t now) {
  const Node::Route hop = node_.route(dest, now);
  if (hop.mtu == 0) {
    // Routing lost the destination's coordinates (the tree moved): refresh
    // them; the caller keeps the packet until the lookup completes.
    ++counters_.route_lost;
    note_retry(dest);
    if (const PeerIdentity* id = node_.identity_cache().peek(dest)) {
      const PeerIdentity copy = *id;
      if (node_.start_lookup(copy, now).outcome == lookup::InitiateOutcome::kSent) ++counters_.lookups_started;
    }
    return Tx::kNoRoute;
  }
  const fsp::SealStatus st = sm_->seal_data(dest, sp, dp, buf, hop.mtu, now, acts_);
  const bool warmup = !acts_.sends.empty();
  run_actions(now);  // a CoordsWarmup goes before the data
  if (st != fsp::SealStatus::kOk) {
    ++counters_.seal_failed;
    buf = PacketBuf();
    return Tx::kFailed;
  }
  // The route just computed still holds unless sending the warmup changed
  // something (it cannot remove peers, but stay safe and route again).
  if (node_.send_datagram_buf(dest, std::move(buf), now, warmup ? nullptr : &hop) != Node::SendResult::kSent) {
    ++counters_.route_lost;
    return Tx::kFailed;
  }
  return Tx::kSent;
}

void SessionLayer::flush(const NodeAddr& dest, uint64_t now) {
  if (!sm_->is_established(dest)) return;
  if (adapter_ && tun_pending_.contains(dest)) {
    // Raw IPv6 packets are compressed here; a packet that comes back for
    // want of a route is queued again already compressed (tag 1).
    (void)tun_pending_.flush(dest, [&](PacketBuf&& p, uint32_t compressed) {
      if (!compressed && !adapter_->compress_for_send(p)) return true;  // not shim-able: dropped
      const Tx t = send_established(dest, kIpv6ShimPort, kIpv6ShimPort, p, now);
      if (t == Tx::kNoRoute) (void)tun_pending_.push(dest, std::move(p), 1);
      return t != Tx::kFailed;
    });
  }
  if (native_pending_.contains(dest)) {
    (void)native_pending_.flush(dest, [&](PacketBuf&& p, uint32_t tag) {
      const Tx t = send_established(dest, static_cast<uint16_t>(tag >> 16),
                                    static_cast<uint16_t>(tag & 0xFFFF), p, now);
      if (t == Tx::kNoRoute) (void)native_pending_.push(dest, std::move(p), tag);
      return t != Tx::kFailed;
    });
  }
}

void SessionLayer::discard_tun(const NodeAddr& dest, bool unreachable) {
  if (!tun_pending_.contains(dest)) return;
  if (!unreachable || !adapter_ || !tun_write_) {
    (void)tun_pending_.discard(dest);
    return;
  }
  (void)tun_pending_.flush(dest, [&](PacketBuf&& p, uint32_t) {
    if (adapter_->make_dest_unreachable(p) && tun_write_(std::move(p))) ++counters_.unreachable_sent;
    return true;
  });
}

// ---- outbound ----

SessionLayer::SendStatus SessionLayer::send(const PeerIdentity& dest, uint16_t sp, uint16_t dp,
                                            ByteSpan payload, uint64_t now) {
  PacketBuf b = io_.alloc();
  if (!b) return SendStatus::kNoBuffer;
  if (!b.push_back(payload.size()) || b.tailroom() < kAeadTagSize) return SendStatus::kTooLarge;
  if (!payload.empty()) std::memcpy(b.data(), payload.data(), payload.size());
  return send_buf(dest, sp, dp, std::move(b), now);
}

SessionLayer::SendStatus SessionLayer::send_buf(const PeerIdentity& dest, uint16_t sp, uint16_t dp,
                                                PacketBuf&& buf, uint64_t now) {
  const NodeAddr& addr = dest.node_addr();
  if (sm_->is_established(addr) && !native_pending_.contains(addr)) {
    const Tx t = send_established(addr, sp, dp, buf, now);
    if (t == Tx::kSent) {
      ++counters_.native_sent;
      return SendStatus::kSent;
    }
    if (t == Tx::kFailed) return SendStatus::kFailed;
  }
  node_.identity_cache().register_identity(dest, now);
  const auto admit = native_pending_.push(addr, std::move(buf), port_tag(sp, dp));
  if (admit == ipv6::PendingQueue::Admit::kRefusedDestinations ||
      admit == ipv6::PendingQueue::Admit::kRefusedFull) {
    ++counters_.native_refused;
    return SendStatus::kRefused;
  }
  ++counters_.native_queued;
  if (!sm_->state_of(addr)) start_session(dest, now);
  return SendStatus::kQueued;
}

void SessionLayer::on_tun_packet(PacketBuf&& pkt, uint64_t now) {
  if (!adapter_) return;
  ipv6::TunDecision d = adapter_->on_tun_packet(std::move(pkt), now);
  switch (d.action) {
    case ipv6::TunAction::kSend:
      if (tun_pending_.contains(d.dest) ||
          send_established(d.dest, kIpv6ShimPort, kIpv6ShimPort, d.pkt, now) == Tx::kNoRoute)
        (void)tun_pending_.push(d.dest, std::move(d.pkt), 1);  // already compressed
      return;
    case ipv6::TunAction::kQueue:
      (void)tun_pending_.push(d.dest, std::move(d.pkt));
      if (d.initiate && d.identity) start_session(*d.identity, now);
      return;
    case ipv6::TunAction::kReply:
      if (tun_write_ && tun_write_(std::move(d.pkt))) ++counters_.tun_written;
      else ++counters_.tun_write_failed;
      return;
    case ipv6::TunAction::kDrop:
      return;  // counted by the adapter
  }
}

// ---- inbound ----

void SessionLayer::on_datagram(const routing::SessionDatagram& dg, const NodeAddr& link_peer,
                               PacketBuf&& frame, bool ce, uint64_t now) {
  const NodeAddr src = dg.src_addr;  // dg views into frame
  const uint16_t path_mtu = dg.path_mtu;
  frame.pull_front(routing::kSessionDatagramHeaderSize);
  const fsp::RxResult r = sm_->receive(src, link_peer, path_mtu, frame, now, acts_, ce);
  run_actions(now);
  if (r.outcome == fsp::RxOutcome::kDelivered) deliver(src, r.src_port, r.dst_port, std::move(frame), ce, now);
  if (r.flush_pending) flush(src, now);
}

void SessionLayer::deliver(const NodeAddr& src, uint16_t sp, uint16_t dp, PacketBuf&& payload, bool ce,
                           uint64_t now) {
  if (dp == kIpv6ShimPort) {
    if (!adapter_ || !tun_write_) {
      ++counters_.mesh_no_tun;
      return;
    }
    ipv6::MeshDecision m = adapter_->on_mesh_packet(src, std::move(payload), ce, now);
    if (!m.deliver()) {
      ++counters_.mesh_dropped;
      return;
    }
    if (tun_write_(std::move(m.pkt))) ++counters_.tun_written;
    else ++counters_.tun_write_failed;
    return;
  }
  auto it = ports_.find(dp);
  if (it == ports_.end()) {
    ++counters_.native_no_handler;
    return;
  }
  ++counters_.native_delivered;
  it->second(src, sp, std::move(payload), now);
}

void SessionLayer::echo(const NodeAddr& src, uint16_t sp, PacketBuf&& p, uint64_t now) {
  // Only requests are answered, never to the echo port itself (no loops).
  if (p.size() == 0 || p.data()[0] != 'P' || sp == kEchoPort) return;
  auto id = sm_->remote_identity(src);
  if (!id) return;
  p.data()[0] = 'R';
  (void)send_buf(*id, kEchoPort, sp, std::move(p), now);
}

// ---- timers and lookups ----

void SessionLayer::tick(uint64_t now) {
  // Operator log before this tick's reports (reference session.rs ordering).
  sm_->for_each_mmp_log_due(now, [&](const NodeAddr& a, const mmp::SessionMmp& m) {
    LOG_DEBUG("session mmp %s: srtt %.1f ms, loss %.1f%%, etx %.2f, jitter %.1f ms, goodput %.0f B/s, "
              "tx %llu rx %llu",
              a.short_hex().c_str(), m.metrics.srtt_ms().value_or(0.0),
              m.metrics.smoothed_loss().value_or(0.0) * 100.0, m.metrics.etx,
              m.receiver.jitter_us() / 1000.0, m.metrics.goodput_bps,
              static_cast<unsigned long long>(m.sender.packets()),
              static_cast<unsigned long long>(m.receiver.packets()));
  });
  sm_->tick(now, acts_);
  run_actions(now);
  retry_waiting(now);
  if (adapter_) adapter_->purge(now);
}

void SessionLayer::on_lookup_done(const lookup::LookupEvent& e, uint64_t now) {
  const bool waiting = tun_pending_.contains(e.target) || native_pending_.contains(e.target);
  if (e.kind == lookup::LookupEvent::Kind::kFound) {
    sm_->reset_warmup_if_established(e.target);
    if (!waiting) return;
    if (sm_->is_established(e.target)) return flush(e.target, now);  // waited for a route
    if (sm_->state_of(e.target)) return;
    if (const PeerIdentity* id = node_.identity_cache().peek(e.target)) {
      const PeerIdentity copy = *id;
      start_session(copy, now);
    }
    return;
  }
  // Lookup failed: nothing can carry the waiting packets (a handshake in
  // progress keeps them until it completes or times out).
  if (!waiting || (sm_->state_of(e.target) && !sm_->is_established(e.target))) return;
  ++counters_.lookup_failures;
  discard_tun(e.target, true);
  counters_.native_discarded += native_pending_.discard(e.target);
}

void SessionLayer::shutdown() {
  sm_->clear();
  tun_pending_.clear();
  native_pending_.clear();
}

}  // namespace fips
