// FMP link layer: Noise IK handshakes (dial, msg1, msg2), promotion to peer,
// cross-connection resolution, rekey responses, removal.
#include <cstring>

#include "node/link_layer.h"
#include "node/peer_acl.h"
#include "util/log.h"

namespace fips {

// ---- indices ----

std::optional<uint32_t> LinkLayer::alloc_index() {
  for (int i = 0; i < 100; ++i) {
    const uint32_t idx = rng_.next_u32();
    if (used_indices_.insert(idx).second) return idx;
  }
  counters_.drop(LinkDrop::kIndexExhausted);
  return std::nullopt;
}

void LinkLayer::free_index(uint32_t idx) { used_indices_.erase(idx); }

void LinkLayer::register_index(TransportId tid, uint32_t idx, Peer* p) {
  by_index_[index_key(tid, idx)] = IndexEntry{p};
}

void LinkLayer::unregister_index(TransportId tid, uint32_t idx) {
  by_index_.erase(index_key(tid, idx));
}

// ---- outbound ----

bool LinkLayer::start_leg(const PeerIdentity& id, const DialTarget& t, uint64_t now) {
  if (cfg_.max_connections && legs_.size() >= cfg_.max_connections) return false;
  auto idx = alloc_index();
  if (!idx) return false;
  auto leg = std::make_unique<HandshakeLeg>(
      HandshakeState::ik_initiator(local_, id.compressed(), epoch_), id);
  uint8_t noise[kIkMsg1Size];
  if (!leg->hs.write_message(noise).ok()) {
    free_index(*idx);
    return false;
  }
  Writer w{MutByteSpan(leg->msg1)};
  if (!fmp::encode_msg1(w, *idx, noise).ok()) {
    free_index(*idx);
    return false;
  }
  leg->link_id = next_link_id_++;
  leg->tid = t.tid;
  leg->addr = t.addr;
  leg->our_index = *idx;
  leg->started_ms = leg->last_activity_ms = now;
  leg->started_wall_ms = io_.wall_ms();
  leg->next_resend_ms = now + cfg_.first_resend_ms;
  const std::array<uint8_t, fmp::kMsg1WireSize> wire = leg->msg1;
  legs_[index_key(t.tid, *idx)] = std::move(leg);
  LOG_DEBUG("dialling %s at %s", display_name(id.node_addr()).c_str(), t.addr.str().c_str());
  // A failed first send is retried by the resend schedule.
  (void)send_raw(t.tid, t.addr, wire);
  return true;
}

void LinkLayer::drop_leg(uint64_t key) {
  auto it = legs_.find(key);
  if (it == legs_.end()) return;
  free_index(it->second->our_index);
  legs_.erase(it);
}

LinkLayer::DialResult LinkLayer::dial(const PeerIdentity& id, const DialTarget& target,
                                      uint64_t now) {
  if (id.node_addr() == local_.node_addr()) return DialResult::kFailed;
  if (Peer* p = find_peer(id.node_addr()))
    return refresh_path(*p, target, now);
  if (!acl_admits(id, AclContext::kOutboundConnect, target.tid, target.addr,
                  LinkDrop::kAclDialRefused))
    return DialResult::kDenied;
  for (auto& [k, leg] : legs_)
    if (leg->expected.node_addr() == id.node_addr() && leg->tid == target.tid &&
        leg->addr == target.addr)
      return DialResult::kAlreadyConnecting;
  if (full() && !(wanted_.count(id.node_addr()) && stranger_holds_slot()))
    return DialResult::kNoSlots;
  if (cfg_.max_links && peers_.size() + legs_.size() >= cfg_.max_links) return DialResult::kNoSlots;
  return start_leg(id, target, now) ? DialResult::kStarted : DialResult::kNoSlots;
}

void LinkLayer::on_connection_closed(TransportId tid, const TransportAddr& addr, uint64_t now) {
  // A stream transport lost the connection a peer's link runs over: treat
  // it as link loss now rather than waiting for the dead timeout (the dialling
  // side reconnects at once; the accepting side waits to be dialled).
  NodeAddr victim{};
  bool found = false;
  for (auto& [a, p] : peers_)
    if (p->tid == tid && p->addr == addr) {
      victim = a;
      found = true;
      break;
    }
  if (!found) return;
  LOG_INFO("peer %s: connection closed", display_name(victim).c_str());
  remove_peer(victim, now, true);
}

void LinkLayer::on_connect_failed(TransportId tid, const TransportAddr& to, uint64_t now) {
  std::vector<uint64_t> dead;
  for (auto& [k, leg] : legs_)
    if (leg->tid == tid && leg->addr == to) dead.push_back(k);
  for (uint64_t k : dead) {
    NodeAddr a = legs_[k]->expected.node_addr();
    drop_leg(k);
    note_handshake_failed(a, now);
  }
}

// ---- admission at max_peers ----

bool LinkLayer::stranger_holds_slot() const {
  for (const auto& [a, p] : peers_)
    if (!wanted_.count(a)) return true;
  return false;
}

bool LinkLayer::make_room(const NodeAddr& newcomer, uint64_t now) {
  if (!full()) return true;
  Peer* victim = nullptr;
  const char* why = nullptr;
  // Listed: in our peers: (we keep it connected) or named in peers.allow.
  auto listed = [&](const NodeAddr& a) {
    return wanted_.count(a) != 0 || (acl_ && acl_->check(a) == AclDecision::kAllowList);
  };
  if (listed(newcomer)) {
    for (auto& [a, p] : peers_) {
      if (listed(a)) continue;
      if (!victim || p->last_useful_ms < victim->last_useful_ms ||
          (p->last_useful_ms == victim->last_useful_ms && p->link_id < victim->link_id))
        victim = p.get();
    }
    if (victim) {
      why = wanted_.count(newcomer) ? "a configured peer" : "an allow-listed peer";
      ++counters_.strangers_evicted;
    }
  }
  if (!victim) {
    // Anyone else (or a listed peer when only listed peers hold slots):
    // first the oldest unlisted peer that never sent a frame after our msg2
    // (a msg1 flood holds slots this way), then, rate-bounded, the unlisted
    // one idle longest past stranger_idle_ms. Listed peers keep their slots.
    if (cfg_.unproven_grace_ms)
      for (auto& [a, p] : peers_)
        if (!listed(a) && !p->proven && now - p->linked_ms >= cfg_.unproven_grace_ms &&
            (!victim || p->linked_ms < victim->linked_ms))
          victim = p.get();
    if (victim) {
      why = "a newcomer; it sent no frame after the handshake";
      ++counters_.unproven_strangers_evicted;
    } else if (cfg_.stranger_idle_ms) {
      auto idle_since = [](const Peer& p) { return std::max(p.last_useful_ms, p.linked_ms); };
      for (auto& [a, p] : peers_)
        if (!listed(a) && now - idle_since(*p) >= cfg_.stranger_idle_ms &&
            (!victim || idle_since(*p) < idle_since(*victim)))
          victim = p.get();
      if (!victim || !idle_evict_bucket_.try_take(now)) return false;
      why = "a newcomer; it carried only link upkeep";
      ++counters_.idle_strangers_evicted;
    } else {
      return false;
    }
  }
  LOG_INFO("max_peers: stranger %s gives its slot to %s (%s)",
           display_name(victim->id.node_addr()).c_str(), display_name(newcomer).c_str(), why);
  disconnect(victim->id.node_addr(), fmp::DisconnectReason::kResourceExhaustion, now);
  return true;
}

// ---- peer ACL ----

bool LinkLayer::acl_admits(const PeerIdentity& id, AclContext ctx, TransportId tid,
                           const TransportAddr& addr, LinkDrop drop) {
  if (acl_ == nullptr) return true;
  const AclDecision d = acl_->check(id.node_addr());
  if (acl_allowed(d)) return true;
  counters_.drop(drop);
  // The reference's WARN "Rejected peer by ACL" with its fields.
  LOG_WARN("Rejected peer by ACL peer=%s npub=%s transport_id=%u remote_addr=%s context=%s "
           "decision=%s",
           display_name(id.node_addr()).c_str(), id.npub().c_str(), tid, addr.str().c_str(),
           acl_context_name(ctx), acl_decision_name(d));
  return false;
}

// ---- inbound msg1 ----

bool LinkLayer::admit_msg1(TransportId tid, const TransportAddr& from, bool known, uint64_t now) {
  if (known) {  // rekey / restart traffic of a live link
    if (established_bucket_.try_take(now)) return true;
    counters_.drop(LinkDrop::kMsg1RateLimited);
    return false;
  }
  // An address we dial a configured peer at (its answer to our dial, or its
  // own dial from the same socket).
  for (const auto& [a, e] : wanted_)
    for (const DialTarget& t : e.targets)
      if (t.tid == tid && t.addr == from) {
        if (expected_bucket_.try_take(now)) return true;
        counters_.drop(LinkDrop::kMsg1RateLimited);
        return false;
      }
  const TransportAddr host = from.host();
  uint32_t s = source_buckets_.find(host);
  if (s == decltype(source_buckets_)::kNil) {
    if (source_buckets_.size() >= std::max<size_t>(cfg_.max_sources, 1))
      source_buckets_.erase(source_buckets_.oldest());
    s = source_buckets_.insert(host, TokenBucket(cfg_.source_burst, cfg_.source_rate));
  } else {
    source_buckets_.touch(s);
  }
  if (!source_buckets_.value(s).try_take(now)) {
    counters_.drop(LinkDrop::kMsg1SourceRateLimited);
    return false;
  }
  if (stranger_bucket_.try_take(now)) return true;
  counters_.drop(LinkDrop::kMsg1RateLimited);
  return false;
}

void LinkLayer::on_msg1(TransportId tid, const TransportAddr& from, ByteSpan pkt, uint64_t now) {
  // Is the source an address we already hold a live link with?
  const bool known = has_link_at(tid, from);
  if (!admit_msg1(tid, from, known, now)) return;
  if (!known && !io_.accepts_inbound(tid)) return counters_.drop(LinkDrop::kMsg1Refused);

  auto m = fmp::decode_msg1(pkt);
  if (!m) return counters_.drop(LinkDrop::kMsg1Malformed);

  // An ephemeral we already answered, checked before any Diffie-Hellman. The
  // peer's latest msg1 again (from any address: sender_idx is not
  // authenticated, so compare the Noise part) means its msg2 was lost and
  // gets the same msg2; anything else is a replay and changes nothing.
  const uint64_t eph = Msg1Memory::digest(m->noise_msg1);
  if (auto who = msg1_seen_.seen(eph)) {
    Peer* p = find_peer(*who);
    constexpr size_t kNoiseOff = fmp::kMsg1WireSize - kIkMsg1Size;
    if (p && p->answered_msg1 &&
        std::memcmp(p->answered_msg1->data() + kNoiseOff, m->noise_msg1.data(), kIkMsg1Size) == 0) {
      counters_.drop(LinkDrop::kMsg1Duplicate);
      (void)send_raw(tid, from, p->answered_msg2);
      return;
    }
    return counters_.drop(LinkDrop::kMsg1Replay);
  }

  HandshakeState hs = HandshakeState::ik_responder(local_, epoch_);
  if (!hs.read_message(m->noise_msg1)) return counters_.drop(LinkDrop::kMsg1NoiseFailed);
  auto id_opt = PeerIdentity::from_compressed(*hs.remote_static());
  if (!id_opt || id_opt->node_addr() == local_.node_addr())
    return counters_.drop(LinkDrop::kMsg1NoiseFailed);
  const PeerIdentity id = *id_opt;
  const Epoch their_epoch = *hs.remote_epoch();
  const NodeAddr addr = id.node_addr();
  Peer* existing = find_peer(addr);

  // The peer ACL, as soon as the key is known and before a slot is made or
  // an index spent (docs/spec/peer-acl.md §4): a new peer, or a live one
  // with a new epoch (restart). A denied restart leaves the live link to its
  // dead timeout (the msg1 may be a replay). Rekeys are not asked.
  if ((!existing || existing->remote_epoch != their_epoch) &&
      !acl_admits(id, AclContext::kInboundHandshake, tid, from, LinkDrop::kAclDenied))
    return;

  if (!existing && full() && !make_room(addr, now)) {
    bool dialling = false;
    for (auto& [k, leg] : legs_) dialling |= leg->expected.node_addr() == addr;
    if (!dialling) return counters_.drop(LinkDrop::kMsg1AtMaxPeers);
  }

  // A new epoch on a live link: the peer restarted, or someone replays a msg1
  // from an earlier run of it. Either way the live link stays until the
  // peer's first frame under the new keys proves the restart
  // (replace_restarted); an unproven handshake of either kind gives way.
  const bool restart = existing && existing->remote_epoch != their_epoch;
  if (restart) {
    if (existing->pending && existing->pending->unproven) {
      unregister_index(existing->tid, existing->pending->our_index);
      free_index(existing->pending->our_index);
      existing->pending.reset();
    }
    if (existing->pending) return counters_.drop(LinkDrop::kMsg1PendingSession);
    LOG_INFO("peer %s sent a new epoch; its link is replaced at its first frame under the new keys",
             display_name(addr).c_str());
  } else if (existing) {
    const bool rekey_eligible = cfg_.rekey_enabled && existing->current &&
                                now - existing->session_established_ms >= cfg_.rekey_min_session_age_ms;
    if (!rekey_eligible) {
      // Same epoch on a young session: a duplicate of the dial that made it.
      counters_.drop(LinkDrop::kMsg1Duplicate);
      if (existing->stored_msg2) (void)send_raw(tid, from, *existing->stored_msg2);
      return;
    }
    if (existing->pending) return counters_.drop(LinkDrop::kMsg1PendingSession);
    if (existing->rekey) {
      // Both sides started a rekey: the smaller node_addr stays initiator.
      if (local_.node_addr() < addr) return counters_.drop(LinkDrop::kMsg1DualRekeyWon);
      rekey_by_index_.erase(index_key(existing->rekey->tid, existing->rekey->our_index));
      free_index(existing->rekey->our_index);
      existing->rekey.reset();
    }
  }

  auto idx = alloc_index();
  if (!idx) return;
  uint8_t noise2[kIkMsg2Size];
  std::array<uint8_t, fmp::kMsg2WireSize> msg2{};
  Writer w{MutByteSpan(msg2)};
  if (!hs.write_message(noise2).ok() || !fmp::encode_msg2(w, *idx, m->sender_idx, noise2).ok()) {
    free_index(*idx);
    return counters_.drop(LinkDrop::kMsg1NoiseFailed);
  }
  auto keys = hs.split();
  if (!keys || !send_raw(tid, from, msg2)) {
    free_index(*idx);
    return;
  }

  msg1_seen_.remember(eph, addr);
  if (existing) {  // rekey or restart response: the new keys wait for their proof
    auto s = std::make_unique<LinkSession>();
    s->keys = NoiseTransport(std::move(*keys));
    s->our_index = *idx;
    s->their_index = m->sender_idx;
    s->start_ms = now;
    s->unproven = true;
    if (restart) s->restart_epoch = their_epoch;
    existing->pending = std::move(s);
    register_index(tid, *idx, existing);
    existing->last_peer_rekey_ms = now;
    existing->answered_msg1.emplace();
    std::memcpy(existing->answered_msg1->data(), pkt.data(), fmp::kMsg1WireSize);
    existing->answered_msg2 = msg2;
    existing->answered_ms = now;
    LOG_DEBUG("answered rekey from %s", display_name(addr).c_str());
    return;
  }

  Peer& p = promote(id, false, tid, from, std::move(*keys), *idx, m->sender_idx, now);
  p.remote_epoch = their_epoch;
  p.stored_msg2 = msg2;
  p.answered_msg1.emplace();
  std::memcpy(p.answered_msg1->data(), pkt.data(), fmp::kMsg1WireSize);
  p.answered_msg2 = msg2;
  p.answered_ms = now;
  if (upper_) upper_->on_peer_up(p, now);
}

// ---- msg2 ----

void LinkLayer::on_msg2(TransportId tid, const TransportAddr& from, ByteSpan pkt, uint64_t now) {
  auto m = fmp::decode_msg2(pkt);
  if (!m) return counters_.drop(LinkDrop::kMsg2Malformed);
  const uint64_t key = index_key(tid, m->receiver_idx);

  if (auto it = legs_.find(key); it != legs_.end()) {
    HandshakeLeg& leg = *it->second;
    // A forged msg2 fails here and leaves the leg able to complete later.
    if (!leg.hs.read_message(m->noise_msg2)) return counters_.drop(LinkDrop::kMsg2NoiseFailed);
    auto keys = leg.hs.split();
    if (!keys) return counters_.drop(LinkDrop::kMsg2NoiseFailed);
    const PeerIdentity id = leg.expected;
    const Epoch their_epoch = *leg.hs.remote_epoch();
    const uint32_t our_idx = leg.our_index;
    legs_.erase(it);  // the index now belongs to a session (or is freed below)
    const NodeAddr addr = id.node_addr();

    // The ACL changed since we dialled (§4): our leg ends without a link; a
    // link the peer made to us meanwhile stays. The peer, which sent its msg2,
    // holds a link that hears nothing and dies at its dead timeout.
    if (!acl_admits(id, AclContext::kOutboundHandshake, tid, from, LinkDrop::kAclDenied)) {
      free_index(our_idx);
      const Peer* existing = find_peer(addr);
      if (!existing || existing->tid != tid || !(existing->addr == from))
        io_.close_connection(tid, from);
      note_handshake_failed(addr, now);
      return;
    }

    if (Peer* existing = find_peer(addr)) {
      // Crossed dials: both sides keep the session of the smaller node's msg1.
      if (local_.node_addr() < addr) {
        const TransportId old_tid = existing->tid;
        const TransportAddr old_addr = existing->addr;
        unregister_index(existing->tid, existing->current->our_index);
        free_index(existing->current->our_index);
        existing->current->keys = NoiseTransport(std::move(*keys));
        existing->current->our_index = our_idx;
        existing->current->their_index = m->sender_idx;
        set_path(*existing, tid, from);  // our dial's path carries the surviving session
        io_.link_authenticated(tid, from);
        register_index(tid, our_idx, existing);
        existing->outbound = true;
        // The connection their dial opened is now unused (TCP: one per peer).
        if (old_tid != tid || !(old_addr == from)) io_.close_connection(old_tid, old_addr);
        LOG_DEBUG("crossed dial with %s: using our session", display_name(addr).c_str());
      } else {
        free_index(our_idx);
        // Our dial's connection is the unused one; theirs carries the link.
        if (existing->tid != tid || !(existing->addr == from)) io_.close_connection(tid, from);
        LOG_DEBUG("crossed dial with %s: keeping theirs", display_name(addr).c_str());
      }
      return;
    }
    // Our own dial answered: never refused. The peer now believes it is
    // linked; refusing here would leave it sending into the void until its
    // dead timeout. A configured peer takes a stranger's slot; otherwise the
    // table goes over max_peers by at most the dials in flight
    // (max_connections), which dial() started only below the limit.
    if (full()) (void)make_room(addr, now);
    Peer& p = promote(id, true, tid, from, std::move(*keys), our_idx, m->sender_idx, now);
    p.remote_epoch = their_epoch;
    if (upper_) upper_->on_peer_up(p, now);
    return;
  }

  if (auto it = rekey_by_index_.find(key); it != rekey_by_index_.end()) {
    Peer& p = *it->second;
    if (!p.rekey || !p.rekey->hs.read_message(m->noise_msg2))
      return counters_.drop(LinkDrop::kMsg2NoiseFailed);
    auto keys = p.rekey->hs.split();
    if (!keys) return counters_.drop(LinkDrop::kMsg2NoiseFailed);
    if (*p.rekey->hs.remote_epoch() != p.remote_epoch) {
      LOG_INFO("peer %s restarted during rekey", display_name(p.id.node_addr()).c_str());
      p.remote_epoch = *p.rekey->hs.remote_epoch();
    }
    if (p.pending) {
      unregister_index(tid, p.pending->our_index);
      free_index(p.pending->our_index);
    }
    auto s = std::make_unique<LinkSession>();
    s->keys = NoiseTransport(std::move(*keys));
    s->our_index = p.rekey->our_index;
    s->their_index = m->sender_idx;
    s->start_ms = now;
    p.pending = std::move(s);
    register_index(tid, p.pending->our_index, &p);
    if (p.rekey->path_probe && (p.tid != tid || !(p.addr == from))) {
      // The probed address answered with the peer's key: the link moves there.
      LOG_INFO("peer %s: link moved from %s to %s (connect)", display_name(p.id.node_addr()).c_str(),
               p.addr.str().c_str(), from.str().c_str());
      set_path(p, tid, from);
      io_.link_authenticated(tid, from);
    }
    rekey_by_index_.erase(it);
    p.rekey.reset();
    return;
  }
  counters_.drop(LinkDrop::kMsg2UnknownIndex);
}

// ---- promotion, cutover, removal ----

Peer& LinkLayer::promote(const PeerIdentity& id, bool outbound, TransportId tid,
                         const TransportAddr& addr, HandshakeResult&& hs, uint32_t our_index,
                         uint32_t their_index, uint64_t now) {
  auto s = std::make_unique<LinkSession>();
  s->keys = NoiseTransport(std::move(hs));
  s->our_index = our_index;
  s->their_index = their_index;
  s->start_ms = now;
  return promote_session(id, outbound, tid, addr, std::move(s), now);
}

Peer& LinkLayer::replace_restarted(Peer& old, TransportId tid, const TransportAddr& from,
                                   uint64_t now) {
  const PeerIdentity id = old.id;
  const NodeAddr a = id.node_addr();
  std::unique_ptr<LinkSession> s = std::move(old.pending);
  const Epoch epoch = *s->restart_epoch;
  const auto answered_msg1 = old.answered_msg1;
  const auto answered_msg2 = old.answered_msg2;
  LOG_INFO("peer %s restarted (new epoch proven by its first frame); replacing its link",
           display_name(a).c_str());
  remove_peer(a, now, false);  // also drops the by_index_ entry of `s`; re-registered below
  s->unproven = false;
  s->restart_epoch.reset();
  s->start_ms = now;
  Peer& p = promote_session(id, false, tid, from, std::move(s), now);
  p.remote_epoch = epoch;
  p.stored_msg2 = answered_msg2;
  p.answered_msg1 = answered_msg1;
  p.answered_msg2 = answered_msg2;
  p.answered_ms = now;
  if (upper_) upper_->on_peer_up(p, now);
  return p;
}

Peer& LinkLayer::promote_session(const PeerIdentity& id, bool outbound, TransportId tid,
                                 const TransportAddr& addr, std::unique_ptr<LinkSession> s,
                                 uint64_t now) {
  auto p = std::make_unique<Peer>(id);
  p->link_id = next_link_id_++;
  p->outbound = outbound;
  p->tid = tid;
  p->addr = addr;
  const uint32_t our_index = s->our_index;
  p->current = std::move(s);
  p->session_established_ms = p->linked_ms = now;
  p->rekey_jitter_ms = new_jitter();
  p->authenticated_wall_ms = p->last_seen_wall_ms = io_.wall_ms();
  // The spin-bit initiator is the side that dialled (reference active.rs).
  p->mmp.emplace(cfg_.mmp_mode, outbound, cfg_.mmp_owd_window, cfg_.mmp_log_interval_ms);
  Peer* raw = p.get();
  auto& slot = peers_[id.node_addr()];
  if (slot) drop_path(*slot);  // a restarted peer's old link object
  ++path_refs_[PathKey{tid, addr}];
  slot = std::move(p);
  register_index(tid, our_index, raw);
  io_.link_authenticated(tid, addr);
  retries_.erase(id.node_addr());
  ++counters_.handshakes_completed;
  LOG_INFO("peer %s up (%s, %s %s)", display_name(id.node_addr()).c_str(), id.npub().c_str(),
           outbound ? "outbound to" : "inbound from", addr.str().c_str());
  return *raw;
}

void LinkLayer::cutover(Peer& p, uint64_t now) {
  if (!p.pending) return;
  if (p.previous) {  // a second cutover inside the drain window: drop the older one
    unregister_index(p.tid, p.previous->our_index);
    free_index(p.previous->our_index);
  }
  p.previous = std::move(p.current);
  p.drain_started_ms = now;
  p.current = std::move(p.pending);
  p.current->start_ms = now;
  p.k_bit = !p.k_bit;
  p.session_established_ms = now;
  p.last_recv_ms = 0;
  p.rekey_jitter_ms = new_jitter();
  if (p.mmp) p.mmp->on_rekey(now);  // counters restart with the new session
  ++counters_.rekeys_completed;
  LOG_DEBUG("peer %s: rekey cutover (K=%d)", display_name(p.id.node_addr()).c_str(), p.k_bit);
}

void LinkLayer::drop_path(const Peer& p) {
  auto it = path_refs_.find(PathKey{p.tid, p.addr});
  if (it != path_refs_.end() && --it->second == 0) path_refs_.erase(it);
}

void LinkLayer::set_path(Peer& p, TransportId tid, const TransportAddr& addr) {
  drop_path(p);
  p.tid = tid;
  p.addr = addr;
  ++path_refs_[PathKey{tid, addr}];
}

void LinkLayer::remove_peer(NodeAddr a, uint64_t now, bool schedule_reconnect) {
  auto it = peers_.find(a);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  for (LinkSession* s : {p.current.get(), p.pending.get(), p.previous.get()}) {
    if (!s) continue;
    unregister_index(p.tid, s->our_index);
    free_index(s->our_index);
  }
  // Indices registered under an earlier transport before a roam.
  for (auto bi = by_index_.begin(); bi != by_index_.end();)
    bi = bi->second.peer == &p ? by_index_.erase(bi) : std::next(bi);
  if (p.rekey) {
    rekey_by_index_.erase(index_key(p.rekey->tid, p.rekey->our_index));
    free_index(p.rekey->our_index);
  }
  for (auto ri = rekey_by_index_.begin(); ri != rekey_by_index_.end();)
    ri = ri->second == &p ? rekey_by_index_.erase(ri) : std::next(ri);
  LOG_INFO("peer %s down", display_name(a).c_str());
  drop_path(p);
  peers_.erase(it);
  if (upper_) upper_->on_peer_down(a, now);
  if (schedule_reconnect) note_link_dead(a, now);
}

bool LinkLayer::disconnect(const NodeAddr& a, fmp::DisconnectReason reason, uint64_t now) {
  Peer* p = find_peer(a);
  retries_.erase(a);
  if (!p) return false;
  uint8_t msg[fmp::kDisconnectSize];
  Writer w{MutByteSpan(msg)};
  if (fmp::encode_disconnect(w, {reason}).ok() && send_message_bytes(*p, msg, now))
    ++counters_.disconnects_sent;
  const TransportId tid = p->tid;
  const TransportAddr addr = p->addr;
  remove_peer(a, now, false);
  io_.close_connection(tid, addr);
  return true;
}

void LinkLayer::shutdown(uint64_t now) {
  shutting_down_ = true;
  retries_.clear();
  std::vector<NodeAddr> all;
  for (auto& [a, p] : peers_) all.push_back(a);
  for (const NodeAddr& a : all) {
    Peer* p = find_peer(a);
    if (!p) continue;
    uint8_t msg[fmp::kDisconnectSize];
    Writer w{MutByteSpan(msg)};
    if (fmp::encode_disconnect(w, {fmp::DisconnectReason::kShutdown}).ok() &&
        send_message_bytes(*p, msg, now))
      ++counters_.disconnects_sent;
  }
  for (const NodeAddr& a : all) remove_peer(a, now, false);
  std::vector<uint64_t> keys;
  for (auto& [k, leg] : legs_) keys.push_back(k);
  for (uint64_t k : keys) drop_leg(k);
}

}  // namespace fips
