// FSP session layer: construction, configuration, inbound dispatch by phase,
// queries, snapshots and the shared send helpers.
// Handshakes: session_handshake.cc / session_rekey.cc; data path:
// session_data.cc; routing signals: session_signals.cc; timers:
// session_timers.cc.
#include <algorithm>
#include <cstring>

#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"
#include "proto/fsp/signals.h"
#include "util/lru_table.h"

namespace fips::fsp {

const char* session_state_name(SessionState s) {
  switch (s) {
    case SessionState::kInitiating: return "initiating";
    case SessionState::kAwaitingMsg3: return "awaiting_msg3";
    case SessionState::kEstablished: return "established";
  }
  return "unknown";
}

SessionParams SessionParams::from_config(const NodeConfig& n) {
  SessionParams p;
  p.idle_timeout_ms = n.session.idle_timeout_secs * 1000;
  p.coords_warmup_packets = n.session.coords_warmup_packets;
  p.coords_response_interval_ms = n.session.coords_response_interval_ms;
  p.handshake_timeout_ms = n.rate_limit.handshake_timeout_secs * 1000;
  p.resend_interval_ms = n.rate_limit.handshake_resend_interval_ms;
  p.resend_backoff = n.rate_limit.handshake_resend_backoff;
  p.max_resends = n.rate_limit.handshake_max_resends;
  p.setup_burst = n.rate_limit.session_setup_burst;
  p.setup_rate = n.rate_limit.session_setup_rate;
  // derive_established_bucket (rate_limit.rs:299-312): unlimited peers ->
  // the stranger parameters; else burst = max_peers and rate =
  // max(1, max_peers / max(after_secs, 1) * (1 + max_resends)).
  if (n.limits.max_peers == 0) {
    p.established_setup_burst = p.setup_burst;
    p.established_setup_rate = p.setup_rate;
  } else {
    p.established_setup_burst = static_cast<double>(n.limits.max_peers);
    p.established_setup_rate = std::max(
        1.0, static_cast<double>(n.limits.max_peers) /
                 static_cast<double>(std::max<uint64_t>(n.rekey.after_secs, 1)) *
                 (1.0 + static_cast<double>(n.rate_limit.handshake_max_resends)));
  }
  p.rekey_enabled = n.rekey.enabled;
  p.rekey_after_secs = n.rekey.after_secs;
  p.rekey_after_messages = n.rekey.after_messages;
  p.mmp_mode = n.session_mmp.mode;
  p.mmp_owd_window = static_cast<size_t>(
      std::min<uint64_t>(n.session_mmp.owd_window_size, mmp::kMaxOwdWindow));
  p.mmp_log_interval_ms = n.session_mmp.log_interval_secs * 1000;
  return p;
}

size_t SessionManager::AddrHash::operator()(const NodeAddr& a) const noexcept {
  // Claimed source addresses are attacker-chosen: hash all 16 bytes with a
  // per-table seed so no one can aim a set of addresses at one bucket chain.
  uint64_t lo, hi;
  std::memcpy(&lo, a.bytes.data(), 8);
  std::memcpy(&hi, a.bytes.data() + 8, 8);
  return static_cast<size_t>(mix64(mix64(lo ^ seed) ^ hi));
}

SessionManager::SessionManager(const Identity& local, const Epoch& epoch, const SessionParams& params,
                               SessionEnv& env, Rng& rng)
    : local_(local),
      epoch_(epoch),
      params_(params),
      env_(env),
      rng_(rng),
      sessions_(16, AddrHash{rng.next()}),
      setup_limiter_(params.setup_burst, params.setup_rate, params.established_setup_burst,
                     params.established_setup_rate, params.max_setup_links, rng.next()),
      coords_response_(params.coords_response_interval_ms, kCoordsResponseMaxAgeMs,
                       params.max_coords_response_entries, rng.next()) {}

SessionManager::~SessionManager() = default;

SessionEntry* SessionManager::find(const NodeAddr& a) {
  auto it = sessions_.find(a);
  return it == sessions_.end() ? nullptr : it->second.get();
}

const SessionEntry* SessionManager::find(const NodeAddr& a) const {
  auto it = sessions_.find(a);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void SessionManager::remove(const NodeAddr& a, SessionEvent::Reason why, SessionActions& out) {
  if (sessions_.erase(a) == 0) return;
  SessionEvent ev;
  ev.kind = SessionEvent::Kind::kClosed;
  ev.peer = a;
  ev.reason = why;
  out.events.push_back(ev);
}

int64_t SessionManager::draw_jitter() {
  return static_cast<int64_t>(rng_.below(2 * kRekeyJitterSecs + 1)) - kRekeyJitterSecs;
}

CoordsView SessionManager::dest_coords_or_mine(const NodeAddr& dest, uint64_t now) {
  // get_dest_coords (S:2805-2818): the cache entry without a touch, else our
  // own coordinates (the wire format needs at least one entry).
  if (auto c = env_.cached_coords(dest, now); c && !c->empty()) return *c;
  return env_.my_coords();
}

void SessionManager::push_send(const NodeAddr& dest, size_t offset, SessionActions& out) {
  SendItem s;
  s.dest = dest;
  s.offset = static_cast<uint32_t>(offset);
  s.len = static_cast<uint32_t>(out.arena.size() - offset);
  out.sends.push_back(s);
}

bool SessionManager::send_copy(const NodeAddr& dest, ByteSpan bytes, SessionEntry* e, uint64_t now,
                               SessionActions& out) {
  const uint16_t mtu = env_.route_mtu(dest, now);
  if (mtu == 0) return false;
  if (e && e->established()) e->mtu.seed_source(mtu);
  const size_t off = out.arena.size();
  out.arena.insert(out.arena.end(), bytes.begin(), bytes.end());
  push_send(dest, off, out);
  return true;
}

// ---- inbound dispatch (S:109-171) ----

RxResult SessionManager::receive(const NodeAddr& src, const NodeAddr& link_peer, uint16_t path_mtu,
                                 PacketBuf& buf, uint64_t now, SessionActions& out, bool ce) {
  RxResult r;
  const ByteSpan b = buf.span();
  if (b.size() < kCommonPrefixSize) {
    ++counters_.too_short;
    return r;
  }
  // Our own datagrams never come back to us; a claimed source equal to ours
  // is forged (the reference would process it; nothing good can follow).
  if (src == local_.node_addr()) {
    ++counters_.malformed;
    return r;
  }
  switch (b[0] & 0x0F) {
    case kPhaseMsg1:
      on_setup(src, link_peer, b, now, out);
      r.outcome = RxOutcome::kConsumed;
      return r;
    case kPhaseMsg2:
      on_ack(src, b, now, out);
      r.outcome = RxOutcome::kConsumed;
      return r;
    case kPhaseMsg3:
      on_msg3(src, b, now, out);
      r.outcome = RxOutcome::kConsumed;
      return r;
    case kPhaseEstablished:
      if (b[1] & kFlagU) {
        on_signal(src, b, now, out);
        r.outcome = RxOutcome::kConsumed;
        return r;
      }
      return on_encrypted(src, path_mtu, buf, now, out, ce);
    default:
      ++counters_.bad_phase;
      return r;
  }
}

// ---- node hooks ----

void SessionManager::on_peer_removed(const NodeAddr& peer, uint64_t, SessionActions& out) {
  remove(peer, SessionEvent::Reason::kPeerRemoved, out);
}

void SessionManager::reset_warmup_if_established(const NodeAddr& dest) {
  if (SessionEntry* e = find(dest); e && e->established())
    e->warmup_remaining = params_.coords_warmup_packets;
}

bool SessionManager::tear_down(const NodeAddr& dest, SessionActions& out) {
  if (!find(dest)) return false;
  remove(dest, SessionEvent::Reason::kTornDown, out);
  return true;
}

bool SessionManager::send_warmup(const NodeAddr& dest, uint64_t now, SessionActions& out) {
  SessionEntry* e = find(dest);
  if (!e || !e->established()) return false;
  if (!send_control(*e, static_cast<uint8_t>(SessionMsgType::kCoordsWarmup), {}, true, now, out))
    return false;
  ++counters_.coords_warmups_sent;
  return true;
}

void SessionManager::clear() { sessions_.clear(); }

std::optional<SessionManager::Brief> SessionManager::brief(const NodeAddr& dest) const {
  const SessionEntry* e = find(dest);
  if (!e) return std::nullopt;
  Brief b;
  b.state = e->state;
  b.is_initiator = e->is_initiator;
  b.created_ms = e->created_ms;
  b.last_activity_ms = e->last_activity_ms;
  b.packets_sent = e->stats.packets_sent;
  b.packets_recv = e->stats.packets_recv;
  b.bytes_sent = e->stats.bytes_sent;
  b.bytes_recv = e->stats.bytes_recv;
  b.last_observed_mtu = e->mtu.last_observed();
  return b;
}

// ---- queries ----

std::optional<SessionState> SessionManager::state_of(const NodeAddr& dest) const {
  const SessionEntry* e = find(dest);
  if (!e) return std::nullopt;
  return e->state;
}

std::optional<uint16_t> SessionManager::path_mtu(const NodeAddr& dest) const {
  const SessionEntry* e = find(dest);
  if (!e || !e->established()) return std::nullopt;
  return e->mtu.current_mtu();
}

std::optional<PeerIdentity> SessionManager::remote_identity(const NodeAddr& dest) const {
  const SessionEntry* e = find(dest);
  if (!e || !e->established()) return std::nullopt;
  return PeerIdentity::from_compressed(e->remote_key);
}

const mmp::SessionMmp* SessionManager::mmp_of(const NodeAddr& dest) const {
  const SessionEntry* e = find(dest);
  if (!e || !e->established() || !e->mmp) return nullptr;
  return &*e->mmp;
}

void SessionManager::for_each_mmp_log_due(
    uint64_t now, FunctionRef<void(const NodeAddr&, const mmp::SessionMmp&)> f) {
  for (auto& [addr, ep] : sessions_) {
    if (!ep->established() || !ep->mmp || !ep->mmp->log_due(now)) continue;
    f(addr, *ep->mmp);
    ep->mmp->mark_logged(now);
  }
}

size_t SessionManager::data_headroom() const {
  return kHeaderSize + kInnerHeaderSize + kPortHeaderSize + params_.outer_headroom;
}

std::vector<SessionSnapshot> SessionManager::snapshot(uint64_t now, uint64_t unix_now) const {
  auto to_unix = [&](uint64_t t) {
    const uint64_t age = now > t ? now - t : 0;
    return unix_now > age ? unix_now - age : 0;
  };
  std::vector<SessionSnapshot> rows;
  rows.reserve(sessions_.size());
  for (const auto& [addr, ep] : sessions_) {
    const SessionEntry& e = *ep;
    SessionSnapshot s;
    s.remote = addr;
    s.remote_key = to_xonly(e.remote_key);
    s.state = e.state;
    s.is_initiator = e.is_initiator;
    s.last_activity_ms = to_unix(e.last_activity_ms);
    s.packets_sent = e.stats.packets_sent;
    s.bytes_sent = e.stats.bytes_sent;
    s.packets_recv = e.stats.packets_recv;
    s.bytes_recv = e.stats.bytes_recv;
    s.resend_count = e.resend_count;
    if (e.established()) {
      s.session_start_ms = to_unix(e.session_start_ms);
      s.current_k_bit = e.k_bit;
      s.coords_warmup_remaining = e.warmup_remaining;
      s.is_draining = e.draining();
      s.path_mtu = e.mtu.current_mtu();
      if (e.mmp) {
        s.mmp = e.mmp->metrics;
        s.mmp_mode = e.mmp->mode();
        s.mmp_spin_initiator = e.mmp->spin.initiator();
        s.mmp_packets_sent = e.mmp->sender.packets();
        s.mmp_packets_recv = e.mmp->receiver.packets();
        s.mmp_jitter_us = e.mmp->receiver.jitter_us();
      }
    }
    rows.push_back(s);
  }
  std::sort(rows.begin(), rows.end(),
            [](const SessionSnapshot& a, const SessionSnapshot& b) { return a.remote < b.remote; });
  return rows;
}

}  // namespace fips::fsp
