// FSP session layer: the per-tick maintenance, in the reference's order
// (docs/spec/fsp-ipv6.md §19): handshake resends and timeouts (§2.6), rekey msg3
// retransmission (§7.5), idle purge (§8.1), session MMP reports and
// PathMtuNotifications (§9.1, §10; session_mmp.cc), the rekey check (§7.1) with our rekey-setup resends and expiry,
// then the limiter purges.
#include <algorithm>
#include <cmath>

#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"

namespace fips::fsp {

namespace {

uint64_t since(uint64_t now, uint64_t t) { return now > t ? now - t : 0; }

}  // namespace

void SessionManager::tick(uint64_t now, SessionActions& out) {
  tick_handshakes(now, out);
  tick_rekey_msg3(now, out);
  tick_idle(now, out);
  tick_mmp(now, out);  // session_mmp.cc: reports and PathMtuNotifications
  tick_rekey(now, out);
  setup_limiter_.purge(now);
  coords_response_.purge(now);
}

// resend interval * backoff^count (T:466-469).
static uint64_t resend_delay(const SessionParams& p, uint32_t count) {
  const double d = static_cast<double>(p.resend_interval_ms) * std::pow(p.resend_backoff, count);
  return d >= 1.8e19 ? UINT64_MAX / 2 : static_cast<uint64_t>(d);
}

void SessionManager::tick_handshakes(uint64_t now, SessionActions& out) {
  scratch_addrs_.clear();
  for (auto& [addr, ep] : sessions_) {
    SessionEntry& e = *ep;
    if (e.established()) continue;
    // Timeout first (strict), measured from creation: last_activity is not
    // moved by resends (T:417-433).
    if (since(now, e.last_activity_ms) > params_.handshake_timeout_ms) {
      scratch_addrs_.push_back(addr);
      continue;
    }
    if (e.hs_payload.empty() || e.resend_count >= params_.max_resends || !e.next_resend_ms ||
        now < *e.next_resend_ms)
      continue;
    // A failed send does not count and stays due.
    if (send_copy(addr, e.hs_payload, &e, now, out)) {
      ++e.resend_count;
      e.next_resend_ms = now + resend_delay(params_, e.resend_count);
      ++counters_.handshake_resends;
    }
  }
  for (const NodeAddr& a : scratch_addrs_) {
    ++counters_.handshake_timeouts;
    remove(a, SessionEvent::Reason::kHandshakeTimeout, out);
  }
}

void SessionManager::tick_rekey_msg3(uint64_t now, SessionActions& out) {
  for (auto& [addr, ep] : sessions_) {
    SessionEntry& e = *ep;
    if (!e.established() || !e.rekey_msg3_retained || !e.rekey_msg3_next_ms ||
        now < *e.rekey_msg3_next_ms)
      continue;
    if (e.rekey_msg3_resends >= params_.max_resends) {
      e.abandon_rekey();  // by now the initiator has long cut over
      ++counters_.rekey_abandoned;
      continue;
    }
    if (send_copy(addr, e.rekey_msg3, &e, now, out)) {
      ++e.rekey_msg3_resends;
      e.rekey_msg3_next_ms = now + resend_delay(params_, e.rekey_msg3_resends);
      ++counters_.rekey_msg3_resent;
    }
  }
}

void SessionManager::tick_idle(uint64_t now, SessionActions& out) {
  if (params_.idle_timeout_ms == 0) return;
  scratch_addrs_.clear();
  for (auto& [addr, ep] : sessions_)
    if (ep->established() && since(now, ep->last_activity_ms) > params_.idle_timeout_ms)
      scratch_addrs_.push_back(addr);
  for (const NodeAddr& a : scratch_addrs_) {
    ++counters_.idle_timeouts;
    remove(a, SessionEvent::Reason::kIdle, out);  // silent: nothing goes to the peer
  }
}

void SessionManager::tick_rekey(uint64_t now, SessionActions& out) {
  scratch_addrs_.clear();  // rekeys to start, after every other action (R:564-663)
  for (auto& [addr, ep] : sessions_) {
    SessionEntry& e = *ep;
    if (!e.established()) continue;
    // 1. Initiator cutover, 2 s after msg3 went out.
    if (e.pending && !e.rekey_hs && e.rekey_initiator && e.rekey_completed_ms &&
        since(now, *e.rekey_completed_ms) >= kCutoverDelayMs) {
      promote_pending(e, now);
      continue;
    }
    // 2. Drain: the old epoch goes 10 s after the later of the cutover and
    //    its last use by the peer.
    if (e.draining() &&
        since(now, std::max(*e.drain_started_ms, e.previous_last_used_ms.value_or(0))) >= kDrainWindowMs) {
      e.previous.reset();
      e.drain_started_ms.reset();
      e.previous_last_used_ms.reset();
    }
    // 3. A handshake the peer armed and never finished.
    if (e.rekey_hs && !e.rekey_initiator && e.last_peer_rekey_ms &&
        since(now, *e.last_peer_rekey_ms) > params_.handshake_timeout_ms) {
      e.abandon_handshake();
      ++counters_.rekey_expired;
      continue;
    }
    // 3b. Ours: our own rekey setup is resent and, unanswered, expires.
    if (e.rekey_hs && e.rekey_initiator) {
      if (since(now, e.rekey_started_ms) > params_.handshake_timeout_ms) {
        e.abandon_handshake();
        e.rekey_initiator = false;
        ++counters_.rekey_initiator_expired;
      } else if (e.rekey_setup_resends < params_.max_resends && now >= e.rekey_setup_next_ms &&
                 send_copy(addr, e.rekey_setup, &e, now, out)) {
        ++e.rekey_setup_resends;
        e.rekey_setup_next_ms = now + resend_delay(params_, e.rekey_setup_resends);
        ++counters_.rekey_setup_resent;
      }
      continue;
    }
    // 4. Trigger.
    if (!params_.rekey_enabled) continue;
    if (e.rekey_hs || e.pending || e.rekey_msg3_retained) continue;
    if (e.last_peer_rekey_ms && since(now, *e.last_peer_rekey_ms) < kRekeyDampeningMs) continue;
    const int64_t after = static_cast<int64_t>(params_.rekey_after_secs) + e.rekey_jitter_s;
    const uint64_t effective_after = after < 0 ? 0 : static_cast<uint64_t>(after);
    const uint64_t elapsed_s = since(now, e.session_start_ms) / 1000;
    if (elapsed_s >= effective_after || e.current->next_send_counter() >= params_.rekey_after_messages)
      scratch_addrs_.push_back(addr);
  }
  for (const NodeAddr& a : scratch_addrs_)
    if (SessionEntry* e = find(a)) (void)start_rekey(*e, now, out);
}

}  // namespace fips::fsp
