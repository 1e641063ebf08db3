// FMP link layer: periodic work — handshake resends and timeouts, heartbeats,
// dead-link detection, rekey triggers/resends/cutover/drain, reconnects.
#include <algorithm>
#include <cmath>

#include "node/link_layer.h"
#include "node/peer_acl.h"
#include "util/log.h"

namespace fips {

uint64_t LinkLayer::backoff_ms(uint32_t n) {
  const uint32_t shift = n > 30 ? 30 : n;
  uint64_t d = cfg_.retry_base_ms << shift;
  if (d > cfg_.retry_max_ms || (cfg_.retry_base_ms && (d >> shift) != cfg_.retry_base_ms))
    d = cfg_.retry_max_ms;
  // Jitter so peers that lost a common neighbour do not all redial in step.
  const double j = 1.0 + cfg_.retry_jitter * (2.0 * rng_.unit() - 1.0);
  return static_cast<uint64_t>(static_cast<double>(d) * j);
}

int64_t LinkLayer::new_jitter() {
  if (cfg_.rekey_jitter_ms == 0) return 0;
  return static_cast<int64_t>(rng_.below(2 * cfg_.rekey_jitter_ms + 1)) -
         static_cast<int64_t>(cfg_.rekey_jitter_ms);
}

void LinkLayer::add_static_peer(const PeerIdentity& id, std::vector<DialTarget> targets,
                                bool auto_reconnect, uint64_t now) {
  RetryEntry e{id, std::move(targets), auto_reconnect, true, 0, now};
  retries_.erase(id.node_addr());
  wanted_.erase(id.node_addr());
  wanted_.emplace(id.node_addr(), e);
  retries_.emplace(id.node_addr(), std::move(e));  // due now: dialled on this tick
  tick_retries(now);
}

void LinkLayer::note_handshake_failed(const NodeAddr& a, uint64_t now) {
  if (shutting_down_ || find_peer(a)) return;
  for (auto& [k, leg] : legs_)
    if (leg->expected.node_addr() == a) return;  // another address is still trying
  auto w = wanted_.find(a);
  if (w == wanted_.end()) return;  // one-off dials are not retried
  auto [it, fresh] = retries_.try_emplace(a, w->second);
  RetryEntry& e = it->second;
  if (!fresh) ++e.retry_count;
  else e.retry_count = 1;
  e.retry_after_ms = now + backoff_ms(e.retry_count);
  LOG_DEBUG("handshake with %s failed; retry %u in %llu ms", display_name(a).c_str(),
            e.retry_count, static_cast<unsigned long long>(e.retry_after_ms - now));
}

void LinkLayer::note_link_dead(const NodeAddr& a, uint64_t now) {
  if (shutting_down_) return;
  auto w = wanted_.find(a);
  if (w == wanted_.end() || !w->second.auto_reconnect) return;
  auto [it, fresh] = retries_.try_emplace(a, w->second);
  RetryEntry& e = it->second;
  e.reconnect = true;
  if (!fresh) ++e.retry_count;
  else e.retry_count = 0;
  e.retry_after_ms = now + backoff_ms(e.retry_count);
}

void LinkLayer::tick(uint64_t now) {
  tick_legs(now);
  tick_rekeys(now);
  tick_retries(now);
  tick_peers(now);
  tick_mmp(now);
}

uint64_t LinkLayer::next_deadline(uint64_t now) const {
  uint64_t d = std::min(now + 1000, std::max(now, next_mmp_ms_));
  for (auto& [k, leg] : legs_) d = std::min(d, std::max(now, leg->next_resend_ms));
  return d;
}

void LinkLayer::tick_legs(uint64_t now) {
  std::vector<uint64_t> expired;
  for (auto& [k, leg] : legs_) {
    if (now - leg->last_activity_ms > cfg_.handshake_timeout_ms) {
      expired.push_back(k);
      continue;
    }
    if (now >= leg->next_resend_ms && leg->resend_count < cfg_.max_resends) {
      if (send_raw(leg->tid, leg->addr, leg->msg1)) {
        ++leg->resend_count;
        leg->next_resend_ms = now + static_cast<uint64_t>(
            static_cast<double>(cfg_.resend_interval_ms) *
            std::pow(cfg_.resend_backoff, static_cast<double>(leg->resend_count)));
      }
    }
  }
  for (uint64_t k : expired) {
    auto it = legs_.find(k);
    const NodeAddr a = it->second->expected.node_addr();
    const TransportId tid = it->second->tid;
    const TransportAddr addr = it->second->addr;
    LOG_DEBUG("handshake with %s at %s timed out", display_name(a).c_str(), addr.str().c_str());
    drop_leg(k);
    if (!find_peer(a)) io_.close_connection(tid, addr);
    note_handshake_failed(a, now);
  }
}

bool LinkLayer::start_rekey(Peer& p, uint64_t now, const DialTarget* probe) {
  auto idx = alloc_index();
  if (!idx) return false;
  auto r = std::make_unique<RekeyInFlight>(RekeyInFlight{
      HandshakeState::ik_initiator(local_, p.id.compressed(), epoch_), *idx, {}, 0, 0,
      probe ? probe->tid : p.tid, probe ? probe->addr : p.addr, probe != nullptr});
  uint8_t noise[kIkMsg1Size];
  Writer w{MutByteSpan(r->msg1)};
  if (!r->hs.write_message(noise).ok() || !fmp::encode_msg1(w, *idx, noise).ok() ||
      !send_raw(r->tid, r->addr, r->msg1)) {
    free_index(*idx);
    return false;
  }
  r->next_resend_ms = now + cfg_.resend_interval_ms;
  rekey_by_index_[index_key(r->tid, *idx)] = &p;
  LOG_DEBUG("%s of %s started%s%s", probe ? "path probe" : "rekey",
            display_name(p.id.node_addr()).c_str(), probe ? " to " : "",
            probe ? probe->addr.str().c_str() : "");
  p.rekey = std::move(r);
  return true;
}

LinkLayer::DialResult LinkLayer::refresh_path(Peer& p, const DialTarget& t, uint64_t now) {
  const bool same_path = p.tid == t.tid && p.addr == t.addr;
  const uint64_t stale_after = std::max<uint64_t>(cfg_.heartbeat_interval_ms, 1000);
  const uint64_t since = p.last_recv_ms ? p.last_recv_ms : (p.current ? p.current->start_ms : now);
  if (same_path && now - since <= stale_after) return DialResult::kAlreadyConnected;  // fresh
  // The reference dials the address like a new peer, so the ACL is asked
  // (docs/spec/peer-acl.md §4); the live link itself is left alone.
  if (!acl_admits(p.id, AclContext::kOutboundConnect, t.tid, t.addr, LinkDrop::kAclDialRefused))
    return DialResult::kDenied;
  if (!p.current || p.rekey || p.pending) return DialResult::kAlreadyConnected;  // under way
  return start_rekey(p, now, &t) ? DialResult::kRefreshed : DialResult::kAlreadyConnected;
}

void LinkLayer::tick_rekeys(uint64_t now) {
  for (auto& [a, pp] : peers_) {
    Peer& p = *pp;
    if (!p.current) continue;
    // Drain: the previous session stays decryptable for the window.
    if (p.previous && now - p.drain_started_ms >= cfg_.drain_window_ms) {
      unregister_index(p.tid, p.previous->our_index);
      free_index(p.previous->our_index);
      p.previous.reset();
    }
    // Keys from a msg1 we answered wait for the peer's first frame under
    // them (link_layer.cc); never used, they expire and the link keeps its
    // current keys (a replayed msg1, or a rekey whose msg2 was lost).
    if (p.pending && p.pending->unproven) {
      if (now - p.pending->start_ms >= cfg_.handshake_timeout_ms) {
        unregister_index(p.tid, p.pending->our_index);
        free_index(p.pending->our_index);
        p.pending.reset();
        ++counters_.unproven_handshakes_expired;
      }
      continue;
    }
    // Cutover of a rekey we initiated once its msg2 arrived. (With rekey
    // disabled only a path probe from connect can get here.)
    if (p.pending && !p.rekey) {
      cutover(p, now);
      continue;
    }
    if (p.rekey) {
      if (p.rekey->resend_count >= cfg_.max_resends) {
        LOG_DEBUG("rekey of %s unanswered; abandoning", display_name(a).c_str());
        rekey_by_index_.erase(index_key(p.rekey->tid, p.rekey->our_index));
        free_index(p.rekey->our_index);
        p.rekey.reset();
      } else if (now >= p.rekey->next_resend_ms &&
                 send_raw(p.rekey->tid, p.rekey->addr, p.rekey->msg1)) {
        ++p.rekey->resend_count;
        p.rekey->next_resend_ms = now + static_cast<uint64_t>(
            static_cast<double>(cfg_.resend_interval_ms) *
            std::pow(cfg_.resend_backoff, static_cast<double>(p.rekey->resend_count)));
      }
      continue;
    }
    if (!cfg_.rekey_enabled || p.pending) continue;
    if (p.last_peer_rekey_ms && now - p.last_peer_rekey_ms < cfg_.rekey_dampening_ms) continue;
    const int64_t due = static_cast<int64_t>(cfg_.rekey_after_ms) + p.rekey_jitter_ms;
    const bool by_time = static_cast<int64_t>(now - p.session_established_ms) >= due;
    const bool by_count = p.current->keys.next_send_counter() >= cfg_.rekey_after_messages;
    if (by_time || by_count) start_rekey(p, now);
  }
}

void LinkLayer::tick_retries(uint64_t now) {
  // Full of configured peers: nothing to dial into. Full with strangers: a
  // configured peer's dial still goes out (make_room gives it a slot).
  if (full() && !stranger_holds_slot()) return;
  uint32_t dials = 0;
  for (auto& [a, e] : retries_) {
    if (dials >= cfg_.max_dials_per_tick) break;
    if (now < e.retry_after_ms || find_peer(a)) continue;
    bool in_flight = false;
    for (auto& [k, leg] : legs_) in_flight |= leg->expected.node_addr() == a;
    if (in_flight) continue;
    // The peer ACL (docs/spec/peer-acl.md §4): a denied peer is not dialled;
    // asked again after the backoff, so an edited file takes effect.
    if (!e.targets.empty() && !acl_admits(e.id, AclContext::kOutboundConnect, e.targets[0].tid,
                                          e.targets[0].addr, LinkDrop::kAclDialRefused)) {
      e.retry_after_ms = now + backoff_ms(++e.retry_count);
      continue;
    }
    uint32_t started = 0;
    for (const DialTarget& t : e.targets) {
      if (started >= cfg_.max_parallel_dials) break;
      if (start_leg(e.id, t, now)) ++started;
    }
    ++dials;
    // The legs' outcome reschedules; until then do not fire again.
    e.retry_after_ms = now + cfg_.handshake_timeout_ms + 1000;
  }
  for (auto it = retries_.begin(); it != retries_.end();)
    it = find_peer(it->first) ? retries_.erase(it) : std::next(it);
}

void LinkLayer::tick_peers(uint64_t now) {
  std::vector<NodeAddr> dead;
  for (auto& [a, pp] : peers_) {
    Peer& p = *pp;
    if (!p.current) continue;
    const uint64_t since = p.last_recv_ms ? p.last_recv_ms : p.current->start_ms;
    const bool rekey_active = p.rekey && p.rekey->resend_count < cfg_.max_resends;
    if (now - since >= cfg_.link_dead_timeout_ms && !rekey_active) {
      dead.push_back(a);
      continue;
    }
    if (!p.heartbeat_sent || now - p.last_heartbeat_ms >= cfg_.heartbeat_interval_ms)
      send_heartbeat(p, now);
  }
  for (const NodeAddr& a : dead) {
    LOG_WARN("peer %s: nothing received for %llu s, link dead", display_name(a).c_str(),
             static_cast<unsigned long long>(cfg_.link_dead_timeout_ms / 1000));
    ++counters_.peers_removed_dead;
    const Peer* p = find_peer(a);
    const TransportId tid = p->tid;
    const TransportAddr addr = p->addr;
    remove_peer(a, now, true);
    io_.close_connection(tid, addr);  // a stream transport's idle timeout
  }
}

}  // namespace fips

namespace fips {

// ---- link MMP ----

void LinkLayer::tick_mmp(uint64_t now) {
  if (now < next_mmp_ms_) return;
  next_mmp_ms_ = now + 1000;  // the reference runs check_mmp_reports on its 1 s tick
  for (auto& [a, pp] : peers_) {  // logs first: they show counters before this tick's reports
    Peer& p = *pp;
    if (!p.mmp || !p.mmp->log_due(now)) continue;
    const mmp::LinkMmp& m = *p.mmp;
    LOG_DEBUG("mmp %s: srtt %.1f ms, loss %.1f%%, etx %.2f, jitter %.1f ms, goodput %.0f B/s, "
              "tx %llu rx %llu",
              display_name(a).c_str(), m.metrics.rtt_trend.long_avg() / 1000.0,
              m.metrics.smoothed_loss().value_or(0.0) * 100.0, m.metrics.etx,
              m.receiver.jitter_us() / 1000.0, m.metrics.goodput_bps,
              static_cast<unsigned long long>(m.sender.packets()),
              static_cast<unsigned long long>(m.receiver.packets()));
    p.mmp->mark_logged(now);
  }
  // Every due SenderReport, then every due ReceiverReport (reference
  // core.rs plan_link_reports). send_message never removes a peer.
  for (auto& [a, pp] : peers_)
    if (pp->current && pp->mmp && pp->mmp->sender_report_due(now)) (void)send_mmp_report(*pp, true, now);
  for (auto& [a, pp] : peers_)
    if (pp->current && pp->mmp && pp->mmp->receiver_report_due(now))
      (void)send_mmp_report(*pp, false, now);
}

bool LinkLayer::send_mmp_report(Peer& p, bool sender_report, uint64_t now) {
  PacketBuf b = io_.alloc();
  const size_t len = sender_report ? mmp::kLinkSenderReportSize : mmp::kLinkReceiverReportSize;
  if (!b || !b.push_back(len)) {
    counters_.drop(LinkDrop::kNoBuffer);
    return false;
  }
  Writer w{MutByteSpan(b.data(), len)};
  // build() resets the interval even if the send then fails, as the reference.
  WireStatus st{};
  if (sender_report) {
    auto r = p.mmp->sender.build(now);
    if (!r) return false;
    st = mmp::encode_link_sender_report(w, *r);
  } else {
    auto r = p.mmp->receiver.build(now);
    if (!r) return false;
    st = mmp::encode_link_receiver_report(w, *r);
  }
  if (!st) {
    counters_.drop(LinkDrop::kNoBuffer);
    return false;
  }
  if (!send_message(p, std::move(b), now)) return false;  // counted there
  ++counters_.mmp_reports_sent;
  return true;
}

}  // namespace fips
