// FSP session layer: the initial Noise XK exchange (docs/spec/fsp-ipv6.md §2-§3):
// initiate(), inbound SessionSetup (rate limit, simultaneous initiation,
// duplicate, fresh responder), SessionAck with rollback, SessionMsg3 with
// identity binding. The rekey variants of these messages are in
// session_rekey.cc.
#include <algorithm>
#include <cstring>

#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"

namespace fips::fsp {

namespace {

bool same(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

bool SessionManager::encode_setup(const NodeAddr& dest, ByteSpan msg1, uint64_t now,
                                  std::vector<uint8_t>& bytes) {
  SessionSetup s;
  s.flags = 0;  // REQUEST_ACK / BIDIRECTIONAL: always 0 in the reference, never read
  s.src_coords = env_.my_coords();
  s.dest_coords = dest_coords_or_mine(dest, now);
  s.handshake = msg1;
  bytes.resize(session_setup_wire_size(s));
  Writer w{MutByteSpan(bytes)};
  return encode_session_setup(w, s).ok();
}

void SessionManager::establish(SessionEntry& e, uint64_t now) {
  e.state = SessionState::kEstablished;
  e.hs.reset();
  e.hs_payload.clear();
  e.hs_payload.shrink_to_fit();
  e.next_resend_ms.reset();
  e.warmup_remaining = params_.coords_warmup_packets;
  e.session_start_ms = now;
  e.last_activity_ms = now;
  e.k_bit = false;
  e.rekey_jitter_s = draw_jitter();
  e.mtu = PathMtuState{};
  e.mmp.emplace(mmp::mode_of(params_.mmp_mode), e.is_initiator, params_.mmp_owd_window, params_.mmp_log_interval_ms,
                mmp::kSessionIntervals);
  ++counters_.sessions_established;
}

// ---- initiator (S:2052-2110) ----

InitiateResult SessionManager::initiate(const PeerIdentity& dest, uint64_t now, SessionActions& out) {
  const NodeAddr addr = dest.node_addr();
  if (addr == local_.node_addr()) return InitiateResult::kSelf;
  SessionEntry* existing = find(addr);
  // An AwaitingMsg3 entry is replaced by the new initiation (S:2058-2062).
  if (existing && existing->state != SessionState::kAwaitingMsg3) return InitiateResult::kExists;
  if (!existing && sessions_.size() >= params_.max_sessions) {
    ++counters_.table_full;
    return InitiateResult::kTableFull;
  }
  // No route: the reference's send fails and nothing is stored.
  if (env_.route_mtu(addr, now) == 0) return InitiateResult::kNoRoute;

  auto e = std::make_unique<SessionEntry>();
  HandshakeState hs = HandshakeState::xk_initiator(local_, dest.compressed(), epoch_);
  std::array<uint8_t, kXkMsg1Size> msg1{};
  if (!hs.write_message(msg1).ok()) return InitiateResult::kFailed;
  if (!encode_setup(addr, msg1, now, e->hs_payload)) return InitiateResult::kFailed;
  const size_t off = out.arena.size();
  out.arena.insert(out.arena.end(), e->hs_payload.begin(), e->hs_payload.end());
  push_send(addr, off, out);

  env_.register_identity(dest, now);
  e->remote = addr;
  e->remote_key = dest.compressed();
  e->state = SessionState::kInitiating;
  e->is_initiator = true;
  e->created_ms = e->last_activity_ms = now;
  e->hs.emplace(std::move(hs));
  e->next_resend_ms = now + params_.resend_interval_ms;
  sessions_[addr] = std::move(e);
  return InitiateResult::kStarted;
}

// ---- inbound SessionSetup (S:514-800) ----

void SessionManager::on_setup(const NodeAddr& src, const NodeAddr& link_peer, ByteSpan msg,
                              uint64_t now, SessionActions& out) {
  auto s = decode_session_setup(msg);
  if (!s) {
    ++counters_.malformed;
    return;
  }
  SessionEntry* e = find(src);
  // Metered per FMP link peer, before any DH and before every send below.
  const SetupClass cls = e && e->established() ? SetupClass::kEstablished : SetupClass::kStranger;
  if (!setup_limiter_.try_admit(link_peer, cls, now)) {
    ++counters_.setup_rate_limited;
    return;
  }
  if (e) {
    switch (e->state) {
      case SessionState::kInitiating:
        // Simultaneous initiation (§3): the smaller address keeps initiating.
        if (local_.node_addr() < src) {
          ++counters_.simultaneous_won;
          return;
        }
        ++counters_.simultaneous_yielded;
        break;  // our entry is replaced by a responder entry below
      case SessionState::kAwaitingMsg3:
        // Their msg1 again (our ack was lost, or a new ephemeral: §3.4
        // hazard, reproduced): answer with the stored ack, no crypto.
        if (send_copy(src, e->hs_payload, e, now, out)) ++counters_.ack_resent;
        return;
      case SessionState::kEstablished:
        on_rekey_setup(*e, s->handshake, s->src_coords, now, out);
        return;
    }
  }
  respond_fresh(src, s->handshake, s->src_coords, now, out);
}

std::optional<SessionManager::SetupAnswer> SessionManager::answer_setup(const NodeAddr& to, ByteSpan msg1,
                                                          CoordsView setup_src_coords,
                                                          SessionEntry* e, uint64_t now,
                                                          SessionActions& out) {
  HandshakeState hs = HandshakeState::xk_responder(local_, epoch_);
  std::array<uint8_t, kXkMsg2Size> msg2{};
  if (!hs.read_message(msg1).ok() || !hs.write_message(msg2).ok()) {
    ++counters_.setup_handshake_failed;
    return std::nullopt;
  }
  SessionAck ack;
  ack.src_coords = env_.my_coords();
  ack.dest_coords = setup_src_coords;
  ack.handshake = msg2;
  std::vector<uint8_t> bytes(session_ack_wire_size(ack));
  Writer w{MutByteSpan(bytes)};
  if (!encode_session_ack(w, ack).ok()) {
    ++counters_.setup_handshake_failed;
    return std::nullopt;
  }
  if (!send_copy(to, bytes, e, now, out)) {
    ++counters_.setup_no_route;
    return std::nullopt;
  }
  return SetupAnswer{std::move(hs), std::move(bytes)};
}

void SessionManager::respond_fresh(const NodeAddr& src, ByteSpan msg1, CoordsView setup_src_coords,
                                   uint64_t now, SessionActions& out) {
  if (!find(src) && sessions_.size() >= params_.max_sessions) {
    ++counters_.table_full;
    return;
  }
  std::optional<SetupAnswer> answered = answer_setup(src, msg1, setup_src_coords, nullptr, now, out);
  if (!answered) return;  // nothing stored (S:770-782)
  HandshakeState hs = std::move(answered->hs);
  std::vector<uint8_t> bytes = std::move(answered->ack);
  auto e = std::make_unique<SessionEntry>();
  e->remote = src;
  e->remote_key = local_.compressed();  // the reference's placeholder until msg3
  e->state = SessionState::kAwaitingMsg3;
  e->is_initiator = false;
  e->created_ms = e->last_activity_ms = now;
  e->hs.emplace(std::move(hs));
  e->hs_payload = std::move(bytes);
  e->next_resend_ms = now + params_.resend_interval_ms;
  sessions_[src] = std::move(e);
}

// ---- inbound SessionAck (S:805-1009) ----

void SessionManager::on_ack(const NodeAddr& src, ByteSpan msg, uint64_t now, SessionActions& out) {
  auto a = decode_session_ack(msg);
  if (!a) {
    ++counters_.malformed;
    return;
  }
  SessionEntry* e = find(src);
  if (!e) {
    ++counters_.unknown_session;
    return;
  }
  if (e->established()) {
    if (e->rekey_hs && e->rekey_initiator) return on_rekey_ack(*e, a->handshake, now, out);
    // Ours: the responder never got our msg3 and resends its ack.
    if (e->msg3_retained && same(a->handshake, e->acked_msg2)) {
      if (send_copy(src, e->msg3, e, now, out)) ++counters_.msg3_resent;
      return;
    }
    ++counters_.bad_state;
    return;
  }
  if (e->state != SessionState::kInitiating) {
    ++counters_.bad_state;
    return;
  }
  // A failed read leaves the handshake untouched: a forged or garbled ack
  // cannot cancel the initiation (resends and timeout unchanged, no touch).
  if (!e->hs->read_message(a->handshake).ok()) {
    ++counters_.ack_handshake_failed;
    return;
  }
  std::array<uint8_t, kXkMsg3Size> m3{};
  auto wrote = e->hs->write_message(m3);
  auto keys = wrote.ok() ? e->hs->split() : Result<HandshakeResult, NoiseErr>(Err{wrote.error()});
  SessionMsg3 sm{ByteSpan(m3)};
  Writer w{MutByteSpan(e->msg3)};
  if (!keys || !encode_session_msg3(w, sm).ok()) {
    remove(src, SessionEvent::Reason::kHandshakeFailed, out);
    return;
  }
  e->current = std::make_unique<NoiseTransport>(std::move(*keys));
  establish(*e, now);
  // msg3 goes out once; any failure drops the entry (S:964-992).
  if (!send_copy(src, e->msg3, e, now, out)) {
    remove(src, SessionEvent::Reason::kHandshakeFailed, out);
    return;
  }
  e->msg3_retained = true;
  std::memcpy(e->acked_msg2.data(), a->handshake.data(), kXkMsg2Size);
  SessionEvent ev;
  ev.kind = SessionEvent::Kind::kEstablished;
  ev.peer = src;
  out.events.push_back(ev);
}

// ---- inbound SessionMsg3 (S:1016-1229) ----

void SessionManager::on_msg3(const NodeAddr& src, ByteSpan msg, uint64_t now, SessionActions& out) {
  auto m = decode_session_msg3(msg);
  if (!m) {
    ++counters_.malformed;
    return;
  }
  SessionEntry* e = find(src);
  if (!e) {
    ++counters_.unknown_session;
    return;
  }
  if (e->established()) {
    if (e->rekey_hs && !e->rekey_initiator) return on_rekey_msg3(*e, m->handshake, now);
    // The initiator resends its rekey msg3 until our first frame on the new
    // keys reaches it; a copy of the one we completed is not an error.
    if (e->has_answered_msg3 &&
        std::equal(m->handshake.begin(), m->handshake.end(), e->answered_msg3.begin())) {
      ++counters_.rekey_msg3_duplicate;
      return;
    }
    ++counters_.bad_state;
    return;
  }
  if (e->state != SessionState::kAwaitingMsg3) {
    ++counters_.bad_state;
    return;
  }
  // Ours: a msg3 that does not authenticate leaves the entry as it was (the
  // reference drops the entry, letting a forged msg3 kill the handshake).
  if (!e->hs->read_message(m->handshake).ok()) {
    ++counters_.msg3_handshake_failed;
    return;
  }
  auto keys = e->hs->split();
  const std::optional<CompressedKey> rs = e->hs->remote_static();
  std::optional<PeerIdentity> id;
  if (rs) id = PeerIdentity::from_compressed(*rs);
  if (!keys || !id) {
    remove(src, SessionEvent::Reason::kHandshakeFailed, out);
    return;
  }
  // Identity binding: the static key must hash to the claimed source.
  if (!(id->node_addr() == src)) {
    ++counters_.addr_mismatch;
    remove(src, SessionEvent::Reason::kHandshakeFailed, out);
    return;
  }
  env_.register_identity(*id, now);
  auto fresh = std::make_unique<SessionEntry>();  // fresh counters (S:1209-1222)
  fresh->remote = src;
  fresh->remote_key = *rs;
  fresh->is_initiator = false;
  fresh->created_ms = now;
  fresh->current = std::make_unique<NoiseTransport>(std::move(*keys));
  establish(*fresh, now);
  sessions_[src] = std::move(fresh);
  SessionEvent ev;
  ev.kind = SessionEvent::Kind::kEstablished;
  ev.peer = src;
  out.events.push_back(ev);
}

}  // namespace fips::fsp
