// FSP session layer: rekey of an Established session (docs/spec/fsp-ipv6.md §7): starting a
// rekey, the responder side of a SessionSetup for an Established entry
// (tie-break, pending guard, arming), the rekey msg2/msg3 and the cutover.
// The timers that drive rekeys (trigger, cutover, drain, expiry, resends)
// are in session_timers.cc.
//
// Deliberate differences from the reference (wire-compatible; see
// docs/fsp-sessions.md): our rekey SessionSetup is resent on the handshake
// schedule and an unanswered one expires after handshake_timeout (the
// reference sends it once and never expires it, so a lost setup stops the
// smaller node from ever rekeying again); a byte-identical retransmitted
// setup gets our stored ack again (the reference runs it through the
// tie-break, which drops it or answers with a second, incompatible msg2);
// a rekey msg2/msg3 that fails to authenticate is rolled back instead of
// abandoning the rekey, so a forged message cannot cancel it.
#include <algorithm>
#include <cstring>

#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"

namespace fips::fsp {

bool SessionManager::start_rekey(SessionEntry& e, uint64_t now, SessionActions& out) {
  // Route first: no crypto for a destination we cannot reach (R:669-680).
  const uint16_t mtu = env_.route_mtu(e.remote, now);
  if (mtu == 0) return false;
  HandshakeState hs = HandshakeState::xk_initiator(local_, e.remote_key, epoch_);
  std::array<uint8_t, kXkMsg1Size> msg1{};
  if (!hs.write_message(msg1).ok()) return false;
  if (!encode_setup(e.remote, msg1, now, e.rekey_setup)) return false;
  e.mtu.seed_source(mtu);
  const size_t off = out.arena.size();
  out.arena.insert(out.arena.end(), e.rekey_setup.begin(), e.rekey_setup.end());
  push_send(e.remote, off, out);
  e.rekey_hs.emplace(std::move(hs));
  e.rekey_initiator = true;
  e.rekey_started_ms = now;
  e.rekey_setup_resends = 0;
  e.rekey_setup_next_ms = now + params_.resend_interval_ms;
  ++counters_.rekey_initiated;
  return true;
}

// SessionSetup naming an Established peer (S:602-736): a rekey (or a
// restarted peer). The running session is never replaced by it.
void SessionManager::on_rekey_setup(SessionEntry& e, ByteSpan msg1, CoordsView setup_src_coords,
                                    uint64_t now, SessionActions& out) {
  if (e.has_answered_msg1 && msg1.size() == kXkMsg1Size &&
      std::equal(msg1.begin(), msg1.end(), e.answered_msg1.begin())) {
    // Ours: their setup again. In flight: our ack was lost, same answer, no
    // DH. Already completed: a late copy, nothing to do.
    if (e.rekey_hs && !e.rekey_initiator && !e.answered_ack.empty()) {
      if (send_copy(e.remote, e.answered_ack, &e, now, out)) ++counters_.rekey_ack_resent;
    } else {
      ++counters_.rekey_setup_duplicate;
    }
    return;
  }
  if (e.rekey_hs) {
    if (local_.node_addr() < e.remote) {
      ++counters_.rekey_tiebreak;  // dual rekey: the smaller address stays initiator
      return;
    }
    e.abandon_handshake();  // a pending session beside it survives
    e.rekey_initiator = false;
    ++counters_.rekey_yielded;
  } else if (e.pending) {
    const bool stale = e.rekey_completed_ms && now - std::min(now, *e.rekey_completed_ms) > params_.idle_timeout_ms;
    if (!stale) {
      ++counters_.rekey_pending;
      return;
    }
  }
  std::optional<SetupAnswer> answered = answer_setup(e.remote, msg1, setup_src_coords, &e, now, out);
  if (!answered) return;
  e.rekey_hs.emplace(std::move(answered->hs));
  e.rekey_initiator = false;
  e.last_peer_rekey_ms = now;
  std::memcpy(e.answered_msg1.data(), msg1.data(), kXkMsg1Size);
  e.has_answered_msg1 = true;
  e.answered_ack = std::move(answered->ack);
  ++counters_.rekey_armed;
}

// SessionAck while our rekey is in flight (S:847-920).
void SessionManager::on_rekey_ack(SessionEntry& e, ByteSpan msg2, uint64_t now, SessionActions& out) {
  if (!e.rekey_hs->read_message(msg2).ok()) {
    if (e.msg3_retained && msg2.size() == kXkMsg2Size &&
        std::equal(msg2.begin(), msg2.end(), e.acked_msg2.begin())) {
      if (send_copy(e.remote, e.msg3, &e, now, out)) ++counters_.msg3_resent;
      return;
    }
    ++counters_.ack_handshake_failed;  // rolled back; the rekey stays in flight
    return;
  }
  std::array<uint8_t, kXkMsg3Size> m3{};
  auto wrote = e.rekey_hs->write_message(m3);
  auto keys = wrote.ok() ? e.rekey_hs->split() : Result<HandshakeResult, NoiseErr>(Err{wrote.error()});
  SessionMsg3 sm{ByteSpan(m3)};
  Writer w{MutByteSpan(e.rekey_msg3)};
  if (!keys || !encode_session_msg3(w, sm).ok()) {
    e.abandon_rekey();
    return;
  }
  if (e.pending) ++counters_.pending_replaced;
  e.pending = std::make_unique<NoiseTransport>(std::move(*keys));
  e.rekey_completed_ms = now;
  e.rekey_hs.reset();
  e.rekey_setup.clear();
  e.rekey_msg3_retained = true;
  e.rekey_msg3_resends = 0;
  e.rekey_msg3_next_ms = now + params_.resend_interval_ms;
  // Ours: without a route now, the msg3 resend schedule delivers it (the
  // reference abandons the rekey on a failed send).
  (void)send_copy(e.remote, e.rekey_msg3, &e, now, out);
}

// SessionMsg3 for a handshake the peer armed (S:1064-1152).
void SessionManager::on_rekey_msg3(SessionEntry& e, ByteSpan msg3, uint64_t now) {
  if (!e.rekey_hs->read_message(msg3).ok()) {
    ++counters_.msg3_handshake_failed;  // rolled back (reference: abandon_handshake)
    return;
  }
  auto keys = e.rekey_hs->split();
  const std::optional<CompressedKey> rs = e.rekey_hs->remote_static();
  if (!keys || !rs) {
    e.abandon_handshake();
    return;
  }
  if (to_xonly(*rs) != to_xonly(e.remote_key)) {
    ++counters_.rekey_key_mismatch;
    e.abandon_handshake();
    return;
  }
  if (e.pending) ++counters_.pending_replaced;
  e.pending = std::make_unique<NoiseTransport>(std::move(*keys));
  e.rekey_completed_ms = now;
  e.rekey_hs.reset();
  e.rekey_initiator = false;
  std::memcpy(e.answered_msg3.data(), msg3.data(), kXkMsg3Size);
  e.has_answered_msg3 = true;
  e.answered_ack.clear();  // answered_msg1 stays: a late duplicate is recognised
}

// Cutover (E:658-689): current -> previous (drain starts), pending ->
// current, K flips, timestamps restart, rekey state cleared, new jitter.
void SessionManager::promote_pending(SessionEntry& e, uint64_t now) {
  if (!e.pending) return;
  e.previous = std::move(e.current);
  e.drain_started_ms = now;
  e.previous_last_used_ms.reset();
  e.current = std::move(e.pending);
  e.k_bit = !e.k_bit;
  e.session_start_ms = now;
  e.rekey_hs.reset();
  e.rekey_setup.clear();
  e.answered_ack.clear();
  e.rekey_initiator = false;
  e.rekey_completed_ms.reset();
  e.rekey_jitter_s = draw_jitter();
  if (e.mmp) e.mmp->on_rekey(now);  // the new keys count from 0 (reference session/mod.rs)
  ++counters_.rekey_cutovers;
}

}  // namespace fips::fsp
